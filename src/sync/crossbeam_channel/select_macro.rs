//! `select!` for the model, built on [`Select`](super::Select): `recv(r) -> msg => body`
//! arms, and at most one `default => body` (do not wait) or `default(timeout) => body` (the
//! model's timeout: see the module documentation of `crossbeam_channel`) arm, in any order,
//! each body a block (comma optional) or an expression followed by a comma (optional after
//! the last arm). `send` arms are refused at compile time with a message saying so.
//!
//! How it expands: the arms are parsed into a list (`@parse`); then each receiver is
//! evaluated once, in order, into a variable of its own and added to a `Select` (`@bind`,
//! one recursion per arm: macro hygiene keeps each recursion's `__receiver` and `__index`
//! apart); then the chosen operation's arm runs (`@dispatch`), its body inline (so `break`,
//! `continue`, `return` and `?` in a body act on the caller's code, as with crossbeam's).

/// The model's `select!` (exported as `webpool::sync::crossbeam_channel::select` under the
/// checkers); not for direct use.
#[doc(hidden)]
#[macro_export]
macro_rules! __webpool_crossbeam_select {
    // ----- parsing: `[arms] [default]` accumulate -----
    (@parse [$($arms:tt)*] $default:tt) => {
        $crate::__webpool_crossbeam_select!(@bind [] [$($arms)*] $default)
    };
    (@parse [$($arms:tt)*] $default:tt
        recv($receiver:expr) -> $message:pat => $body:block $(, $($rest:tt)*)?) => {
        $crate::__webpool_crossbeam_select!(@parse [$($arms)* ($receiver, $message, $body)]
            $default $($($rest)*)?)
    };
    (@parse [$($arms:tt)*] $default:tt
        recv($receiver:expr) -> $message:pat => $body:block $($rest:tt)+) => {
        $crate::__webpool_crossbeam_select!(@parse [$($arms)* ($receiver, $message, $body)]
            $default $($rest)+)
    };
    (@parse [$($arms:tt)*] $default:tt
        recv($receiver:expr) -> $message:pat => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__webpool_crossbeam_select!(@parse [$($arms)* ($receiver, $message, $body)]
            $default $($($rest)*)?)
    };
    (@parse [$($arms:tt)*] [] default => $body:block $(, $($rest:tt)*)?) => {
        $crate::__webpool_crossbeam_select!(@parse [$($arms)*] [now $body] $($($rest)*)?)
    };
    (@parse [$($arms:tt)*] [] default => $body:block $($rest:tt)+) => {
        $crate::__webpool_crossbeam_select!(@parse [$($arms)*] [now $body] $($rest)+)
    };
    (@parse [$($arms:tt)*] [] default => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__webpool_crossbeam_select!(@parse [$($arms)*] [now $body] $($($rest)*)?)
    };
    (@parse [$($arms:tt)*] []
        default($timeout:expr) => $body:block $(, $($rest:tt)*)?) => {
        $crate::__webpool_crossbeam_select!(@parse [$($arms)*] [timeout $timeout, $body]
            $($($rest)*)?)
    };
    (@parse [$($arms:tt)*] [] default($timeout:expr) => $body:block $($rest:tt)+) => {
        $crate::__webpool_crossbeam_select!(@parse [$($arms)*] [timeout $timeout, $body]
            $($rest)+)
    };
    (@parse [$($arms:tt)*] [] default($timeout:expr) => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__webpool_crossbeam_select!(@parse [$($arms)*] [timeout $timeout, $body]
            $($($rest)*)?)
    };
    (@parse [$($arms:tt)*] $default:tt send $($rest:tt)*) => {
        ::std::compile_error!(
            "webpool's loom model of crossbeam-channel's select! supports `recv` and `default` \
             arms only, not `send` (see webpool::sync::crossbeam_channel)"
        )
    };
    (@parse [$($arms:tt)*] [$($default:tt)+] default $($rest:tt)*) => {
        ::std::compile_error!("there can be only one `default` case in a `select!` block")
    };
    (@parse [$($arms:tt)*] $default:tt $($rest:tt)+) => {
        ::std::compile_error!(
            "webpool's select!: expected `recv(receiver) -> message => body` or \
             `default => body` or `default(timeout) => body`"
        )
    };

    // ----- binding: each receiver evaluated once, added to the `Select` -----
    (@bind [$($bound:tt)*] [($receiver:expr, $message:pat, $body:expr) $($arms:tt)*]
        $default:tt) => {{
        let __receiver: &$crate::sync::crossbeam_channel::Receiver<_> = &$receiver;
        $crate::__webpool_crossbeam_select!(@bind
            [$($bound)* (__receiver, $message, $body)] [$($arms)*] $default)
    }};
    (@bind [$(($receiver:ident, $message:pat, $body:expr))+] [] $default:tt) => {{
        let mut __select = $crate::sync::crossbeam_channel::Select::new();
        $crate::__webpool_crossbeam_select!(@dispatch __select
            [$(($receiver, __select.recv($receiver), $message, $body))+] $default)
    }};
    (@bind [] [] $default:tt) => {
        ::std::compile_error!("webpool's select!: no `recv` arm")
    };

    // ----- dispatch: wait as the default arm says, then run the chosen arm -----
    (@dispatch $select:ident [$(($receiver:ident, $add:expr, $message:pat, $body:expr))+]
        []) => {{
        let __indices = [$($add),+];
        let __operation = $select.select();
        $crate::__webpool_crossbeam_select!(@arm __operation __indices (0usize)
            [$(($receiver, $message, $body))+])
    }};
    (@dispatch $select:ident [$(($receiver:ident, $add:expr, $message:pat, $body:expr))+]
        [now $default:expr]) => {{
        let __indices = [$($add),+];
        match $select.try_select() {
            ::std::result::Result::Ok(__operation) => {
                $crate::__webpool_crossbeam_select!(@arm __operation __indices (0usize)
                    [$(($receiver, $message, $body))+])
            }
            ::std::result::Result::Err(_) => $default,
        }
    }};
    (@dispatch $select:ident [$(($receiver:ident, $add:expr, $message:pat, $body:expr))+]
        [timeout $timeout:expr, $default:expr]) => {{
        let __indices = [$($add),+];
        match $select.select_timeout($timeout) {
            ::std::result::Result::Ok(__operation) => {
                $crate::__webpool_crossbeam_select!(@arm __operation __indices (0usize)
                    [$(($receiver, $message, $body))+])
            }
            ::std::result::Result::Err(_) => $default,
        }
    }};

    // ----- the chosen arm: compare the operation's index with each arm's in turn -----
    (@arm $operation:ident $indices:ident ($position:expr)
        [($receiver:ident, $message:pat, $body:expr) $($arms:tt)*]) => {
        if $operation.index() == $indices[$position] {
            let $message = $operation.recv($receiver);
            $body
        } else {
            $crate::__webpool_crossbeam_select!(@arm $operation $indices ($position + 1)
                [$($arms)*])
        }
    };
    (@arm $operation:ident $indices:ident ($position:expr) []) => {
        ::std::unreachable!("select! chose an operation it did not add")
    };

    // ----- entry -----
    ($($tokens:tt)*) => {
        $crate::__webpool_crossbeam_select!(@parse [] [] $($tokens)*)
    };
}
