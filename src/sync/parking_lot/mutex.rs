//! parking_lot's `Mutex` over the shim's: `lock` returns the guard, poisoning is ignored.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{PoisonError, TryLockError};

use crate::sync;

/// A mutual-exclusion lock with parking_lot's API; see `parking_lot::Mutex`.
pub struct Mutex<T: ?Sized> {
    pub(super) inner: sync::Mutex<T>,
}

/// The guard of a locked [`Mutex`]; see `parking_lot::MutexGuard`.
///
/// It holds the shim's std-shaped guard in an `Option` so that [`Condvar`](super::Condvar)'s
/// waits, which take the guard by `&mut` as parking_lot's do, can hand it to the shim's
/// condition variable (which takes it by value) and put back the one it returns.
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T: ?Sized> {
    pub(super) mutex: &'a Mutex<T>,
    /// `None` only inside a wait of [`Condvar`](super::Condvar) or [`MutexGuard::unlocked`].
    pub(super) inner: Option<sync::MutexGuard<'a, T>>,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex holding `value`. (Not `const`, unlike parking_lot's: loom's
    /// objects exist only inside a model.)
    #[track_caller]
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            inner: sync::Mutex::new(value),
        }
    }

    /// Consumes the mutex and returns its value.
    pub fn into_inner(self) -> T {
        self.inner
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Acquires the lock, blocking until it is free.
    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        MutexGuard {
            mutex: self,
            inner: Some(lock(&self.inner)),
        }
    }

    /// Acquires the lock if it is free now.
    #[track_caller]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        let inner = match self.inner.try_lock() {
            Ok(inner) => inner,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return None,
        };
        Some(MutexGuard {
            mutex: self,
            inner: Some(inner),
        })
    }

    /// A mutable reference to the value, without locking (`&mut self` proves exclusivity).
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// Releases the lock, runs `f`, and locks again; see `parking_lot::MutexGuard::unlocked`.
    #[track_caller]
    pub fn unlocked<F, U>(guard: &mut MutexGuard<'a, T>, f: F) -> U
    where
        F: FnOnce() -> U,
    {
        drop(guard.inner.take());
        let result = f();
        guard.inner = Some(lock(&guard.mutex.inner));
        result
    }
}

/// Locks the shim's `mutex`, ignoring poisoning: parking_lot has none (a panic while the lock
/// is held leaves it usable).
#[track_caller]
pub(super) fn lock<T: ?Sized>(mutex: &sync::Mutex<T>) -> sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T: Default> Default for Mutex<T> {
    #[track_caller]
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    #[track_caller]
    fn from(value: T) -> Mutex<T> {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex").finish_non_exhaustive()
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.inner
            .as_deref()
            .expect("a guard is whole outside Condvar's waits")
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.inner
            .as_deref_mut()
            .expect("a guard is whole outside Condvar's waits")
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// The checker's trace of the facade: a lock, a wait and a notification are steps at the
/// caller's `file:line`, as with the shim's own `Mutex` and `Condvar`.
#[cfg(all(test, loom))]
mod trace_tests {
    use super::super::{Condvar, Mutex};
    use crate::sync::trace::{self, Action};

    #[test]
    fn locks_and_notifications_are_steps_at_the_callers_line() {
        loom::model(|| {
            trace::start();
            let (mutex, condvar) = (Mutex::new(0), Condvar::new());
            *mutex.lock() += 1;
            let locked = line!() - 1;
            assert!(!condvar.notify_one());
            let notified = line!() - 1;
            let recorded = trace::snapshot();
            trace::stop();
            let sites: Vec<Option<u32>> = recorded
                .events
                .iter()
                .filter(|event| matches!(event.action, Action::Lock { .. } | Action::Notify { .. }))
                .map(|event| {
                    event
                        .site
                        .filter(|site| site.file == file!())
                        .map(|site| site.line)
                })
                .collect();
            assert_eq!(
                sites,
                [Some(locked), Some(notified)],
                "{:#?}",
                recorded.events
            );
        });
    }
}
