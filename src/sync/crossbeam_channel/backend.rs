//! What the channel model is made of, per checker: loom's lock, condition variable and `Arc`
//! with the recorder's hooks, or shuttle's with no-op hooks (shuttle's runs are not traced).
//!
//! loom's own lock and condition variable, not the shim's traced ones, as in `mpsc`: a
//! counterexample shows `send` and `recv` on the channel, at the pool's `file:line`, not the
//! channel's insides.

#[cfg(loom)]
pub(super) use loom::sync::{Arc, Condvar, Mutex, MutexGuard};
#[cfg(all(shuttle, not(loom)))]
pub(super) use shuttle::sync::{Arc, Condvar, Mutex, MutexGuard};

#[cfg(loom)]
pub(super) use crate::sync::trace::{block, object, record, unblock};
pub(super) use crate::sync::trace::{Action, Blocked, ObjectKind};

use std::sync::PoisonError;

/// Locks `mutex` (no user code runs under the channel's locks, so poisoning cannot happen).
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `condvar`, ignoring poisoning (see [`lock`]).
pub(super) fn wait<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    condvar.wait(guard).unwrap_or_else(PoisonError::into_inner)
}

/// Lets every other thread of the model take steps: what a timed operation does before its
/// second and last look (see the module documentation of `crossbeam_channel`).
pub(super) fn let_time_pass() {
    crate::sync::thread::yield_now();
}

/// Under shuttle nothing records: the recorder's hooks, doing nothing.
#[cfg(all(shuttle, not(loom)))]
mod unrecorded {
    use std::panic::Location;

    use super::{Action, Blocked, ObjectKind};

    /// No index: nothing records.
    pub(crate) fn object(_kind: ObjectKind, _at: &'static Location<'static>) -> usize {
        usize::MAX
    }

    /// Records nothing.
    pub(crate) fn record(_action: Action, _at: Option<&'static Location<'static>>) {}

    /// Records nothing.
    pub(crate) fn block(_blocked: Blocked, _at: Option<&'static Location<'static>>) {}

    /// Records nothing.
    pub(crate) fn unblock() {}
}
#[cfg(all(shuttle, not(loom)))]
pub(super) use unrecorded::{block, object, record, unblock};
