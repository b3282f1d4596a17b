//! Regression demos: the classic thread-pool bugs, each kept as a small buggy pool that loom
//! catches and that the book's server can run live.
//!
//! Every page below is one bug that the Rust Book's thread pool (chapter 21, "Final Project:
//! Building a Multithreaded Web Server"; chapter 20 in the 2021 edition) or its readers'
//! rewrites of it actually hit. Each page holds the whole buggy pool, with the book's API
//! ([`BookPool`]: `new(size)`, `execute(f)`, and `Drop`), and explains the bug, where it comes
//! from, why it fails, how loom reports it, and how `webpool`'s own [`ThreadPool`](crate::ThreadPool) avoids it.
//!
//! | Bug | Page | Pool |
//! |-----|------|------|
//! | 1. `while let` holds the lock for the whole job | [`while_let`] | [`PoolKind::WhileLet`] |
//! | 2. a named guard holds the lock for the whole job | [`named_guard`] | [`PoolKind::NamedGuard`] |
//! | 3. `Drop` joins the workers before closing the channel | [`join_before_close`] | [`PoolKind::JoinBeforeClose`] |
//! | 4. `recv().unwrap()` panics every worker at shutdown | [`recv_unwrap`] | [`PoolKind::RecvUnwrap`] |
//! | 5. `if` instead of `while` around `Condvar::wait` | [`if_wait`] | [`PoolKind::IfWait`] |
//! | 6. the shutdown flag is set without the lock (lost wake-up) | [`lost_wakeup`] | [`PoolKind::LostWakeup`] |
//! | 6b. `notify_one` where every worker must wake | [`notify_one`] | [`PoolKind::NotifyOne`] |
//! | 7. a panicking job kills its worker | [`panic_kills_worker`] | [`PoolKind::PanicKillsWorker`] |
//! | 8. unbounded queue, or a thread per connection | [`unbounded`] | [`PoolKind::Unbounded`], [`PoolKind::ThreadPerConnection`] |
//! | 9. `Drop` re-raises a job's panic, even while unwinding | [`repanic_in_drop`] | [`PoolKind::RepanicInDrop`] |
//! | 10. `join` returns before the jobs end, or wakes one joiner | [`join`] | none: the book's server never joins |
//! | 11. a scope returns before its jobs end, or re-raises a panic while unwinding | [`scoped`] | none: the book's server never scopes |
//!
//! How each is kept honest:
//!
//! - **the checker** (`webpool::check`, under loom): each pool is a row of the verdict matrix
//!   (`checks/verdicts/verdicts.txt`), which names the checks it must fail (a deadlock, or the
//!   panic the bug causes); [`ThreadPool`](crate::ThreadPool) must pass every one. If a demo
//!   ever stops failing, CI fails: that is the regression guard. `shuttle_tests/demos.rs`
//!   runs the same pools through models at a scale loom cannot hold. The book's pools are
//!   built on [`mpsc`], which under loom is a channel with std's semantics (loom's own never
//!   reports disconnection), so they are checked as written.
//! - **the fix**: each page also holds its pool's fixed form (`WhileLetFixedPool`, ...; row
//!   `while-let-fixed`, ...): the same code with only that page's fix applied, the fix the
//!   page and the card name. Its row passes the checks the page's bug fails; what it still
//!   fails is another bug of the catalog, left in place (most often bug 7's panicking job).
//! - **live**: `webpool --pool NAME` runs the book's server ([`serve_book`]) on any of these
//!   pools, so the bug can be watched with `curl`; `tests/e2e/demos_live.rs` does so for bugs 1,
//!   4 and 7. [`book_server`] lists the routes, including the demo routes `/hold`, `/release`
//!   and `/shutdown`.
//!
//! The book's code prints as it works ("Worker 0 got a job; executing."); the demos do too,
//! except under loom, where every interleaving would print it again.

use std::fmt;
use std::str::FromStr;

pub use crate::check::BookPool;

/// Prints a line the way the book's pool does, except in a loom build (where the same line
/// would be printed once per explored interleaving).
macro_rules! narrate {
    ($($arg:tt)*) => {
        if !cfg!(loom) {
            println!($($arg)*);
        }
    };
}

/// The book's API for a page's fixed form: a newtype of the page's pool `$pool`, built by its
/// `$pool::with(size, true)`, the same code with only the page's fix applied.
macro_rules! fixed_form {
    ($fixed:ident($pool:ident)) => {
        impl BookPool for $fixed {
            fn new(size: usize) -> $fixed {
                $fixed($pool::with(size, true))
            }

            fn execute<F>(&self, job: F)
            where
                F: FnOnce() + Send + 'static,
            {
                self.0.execute(job);
            }
        }
    };
}

pub mod book_server;
pub mod if_wait;
pub mod join;
pub mod join_before_close;
pub mod lost_wakeup;
pub mod named_guard;
pub mod notify_one;
pub mod panic_kills_worker;
pub mod recv_unwrap;
pub mod repanic_in_drop;
pub mod scoped;
pub mod unbounded;
pub mod while_let;

pub use crate::sync::mpsc;
pub use book_server::{serve_book, serve_book_on};

/// Which pool the book's server runs on (`webpool --pool NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PoolKind {
    /// `webpool::ThreadPool`, the fixed pool.
    Fixed,
    /// Bug 1, [`while_let`]: `while let Ok(job) = receiver.lock().unwrap().recv()`.
    WhileLet,
    /// Bug 2, [`named_guard`]: `let guard = receiver.lock().unwrap(); let job = guard.recv()`.
    NamedGuard,
    /// Bug 3, [`join_before_close`]: `Drop` joins the workers before dropping the sender.
    JoinBeforeClose,
    /// Bug 4, [`recv_unwrap`]: the worker loop unwraps `recv()`.
    RecvUnwrap,
    /// Bug 5, [`if_wait`]: `if` instead of `while` around `Condvar::wait`.
    IfWait,
    /// Bug 6, [`lost_wakeup`]: the shutdown flag is set without holding the queue's lock.
    LostWakeup,
    /// Bug 6b, [`notify_one`]: shutdown wakes one worker where all must wake.
    NotifyOne,
    /// Bug 7, [`panic_kills_worker`]: a panicking job kills its worker (the book's final code).
    PanicKillsWorker,
    /// Bug 9, [`repanic_in_drop`]: `Drop` re-raises a job's panic, even while unwinding.
    RepanicInDrop,
    /// Bug 8, [`unbounded`]: the book's unbounded channel, with a backlog counter.
    Unbounded,
    /// Bug 8, [`unbounded`]: a new thread per connection (the book's listing 21-11).
    ThreadPerConnection,
}

impl PoolKind {
    /// Every kind: the fixed pool, then the catalog in order.
    pub const ALL: &'static [PoolKind] = &[
        PoolKind::Fixed,
        PoolKind::WhileLet,
        PoolKind::NamedGuard,
        PoolKind::JoinBeforeClose,
        PoolKind::RecvUnwrap,
        PoolKind::IfWait,
        PoolKind::LostWakeup,
        PoolKind::NotifyOne,
        PoolKind::PanicKillsWorker,
        PoolKind::Unbounded,
        PoolKind::ThreadPerConnection,
        PoolKind::RepanicInDrop,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            PoolKind::Fixed => "fixed",
            PoolKind::WhileLet => "while-let",
            PoolKind::NamedGuard => "named-guard",
            PoolKind::JoinBeforeClose => "join-before-close",
            PoolKind::RecvUnwrap => "recv-unwrap",
            PoolKind::IfWait => "if-wait",
            PoolKind::LostWakeup => "lost-wakeup",
            PoolKind::NotifyOne => "notify-one",
            PoolKind::PanicKillsWorker => "panic-kills-worker",
            PoolKind::RepanicInDrop => "repanic-in-drop",
            PoolKind::Unbounded => "unbounded",
            PoolKind::ThreadPerConnection => "thread-per-connection",
        }
    }
}

impl fmt::Display for PoolKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PoolKind {
    type Err = String;

    fn from_str(name: &str) -> Result<PoolKind, String> {
        PoolKind::ALL
            .iter()
            .copied()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| format!("unknown pool {name:?}"))
    }
}
