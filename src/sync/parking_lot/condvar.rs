//! parking_lot's `Condvar` over the shim's: waits take the guard by `&mut`, notifications say
//! how many sleepers they woke.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::PoisonError;
use std::time::{Duration, Instant};

use super::mutex::{lock, MutexGuard};
use crate::sync;

/// A condition variable with parking_lot's API; see `parking_lot::Condvar`.
pub struct Condvar {
    inner: sync::Condvar,
    /// Threads asleep in [`wait`](Self::wait) and not yet notified, for the return values of
    /// the notifications. A std atomic, not a model one: the checkers run one model thread
    /// at a time and switch only inside their own operations, so bookkeeping next to a wait
    /// or a notification is exact, and adds no interleavings.
    sleepers: AtomicUsize,
}

/// Whether a timed wait timed out; see `parking_lot::WaitTimeoutResult`.
#[derive(Debug, PartialEq, Eq, Copy, Clone)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// Whether the wait ended by its timeout.
    pub fn timed_out(self) -> bool {
        self.0
    }
}

impl Condvar {
    /// A new condition variable. (Not `const`, unlike parking_lot's: loom's objects exist only
    /// inside a model.)
    #[track_caller]
    pub fn new() -> Condvar {
        Condvar {
            inner: sync::Condvar::new(),
            sleepers: AtomicUsize::new(0),
        }
    }

    /// Releases `guard`'s lock, sleeps until notified, and locks again.
    #[track_caller]
    pub fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
        let inner = guard.inner.take().expect("a guard is whole outside waits");
        self.sleepers.fetch_add(1, Ordering::Relaxed);
        let relocked = self
            .inner
            .wait(inner)
            .unwrap_or_else(PoisonError::into_inner);
        guard.inner = Some(relocked);
    }

    /// Waits while `condition` holds.
    #[track_caller]
    pub fn wait_while<T, F>(&self, guard: &mut MutexGuard<'_, T>, mut condition: F)
    where
        F: FnMut(&mut T) -> bool,
    {
        while condition(&mut **guard) {
            self.wait(guard);
        }
    }

    /// The model's timed wait (see the module documentation): releases the lock, lets the
    /// other threads run, locks again, and reports a timeout. `timeout` is ignored.
    #[track_caller]
    pub fn wait_for<T>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        timeout: Duration,
    ) -> WaitTimeoutResult {
        let _ = timeout;
        drop(guard.inner.take());
        sync::thread::yield_now();
        guard.inner = Some(lock(&guard.mutex.inner));
        WaitTimeoutResult(true)
    }

    /// As [`wait_for`](Self::wait_for): the model has no clock.
    #[track_caller]
    pub fn wait_until<T>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        deadline: Instant,
    ) -> WaitTimeoutResult {
        let _ = deadline;
        self.wait_for(guard, Duration::ZERO)
    }

    /// Returns at once if `condition` is false, else after one timed wait (see
    /// [`wait_for`](Self::wait_for)), timed out unless `condition` became false meanwhile.
    #[track_caller]
    pub fn wait_while_for<T, F>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        mut condition: F,
        timeout: Duration,
    ) -> WaitTimeoutResult
    where
        F: FnMut(&mut T) -> bool,
    {
        if !condition(&mut **guard) {
            return WaitTimeoutResult(false);
        }
        self.wait_for(guard, timeout);
        WaitTimeoutResult(condition(&mut **guard))
    }

    /// As [`wait_while_for`](Self::wait_while_for): the model has no clock.
    #[track_caller]
    pub fn wait_while_until<T, F>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        condition: F,
        deadline: Instant,
    ) -> WaitTimeoutResult
    where
        F: FnMut(&mut T) -> bool,
    {
        let _ = deadline;
        self.wait_while_for(guard, condition, Duration::ZERO)
    }

    /// Wakes one sleeping thread; returns whether there was one.
    #[track_caller]
    pub fn notify_one(&self) -> bool {
        self.inner.notify_one();
        // Counted after the notification: the checker may switch threads before it, not
        // between it and this.
        self.sleepers
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Wakes every sleeping thread; returns how many there were.
    #[track_caller]
    pub fn notify_all(&self) -> usize {
        self.inner.notify_all();
        self.sleepers.swap(0, Ordering::Relaxed)
    }
}

impl Default for Condvar {
    #[track_caller]
    fn default() -> Condvar {
        Condvar::new()
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Condvar { .. }")
    }
}
