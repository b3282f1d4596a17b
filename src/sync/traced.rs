//! loom's `Mutex` and `Condvar`, reporting each operation to the trace recorder.
//!
//! Same API as `std::sync::{Mutex, MutexGuard, Condvar}` (the parts loom models). Each call is
//! `#[track_caller]`, so a counterexample names the line in the pool under check that locked,
//! waited or notified. When no check is recording, the wrappers cost one relaxed load.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};
use std::time::Duration;

use super::trace::{self, Action, Blocked, ObjectKind};

/// A mutual-exclusion lock; see [`std::sync::Mutex`].
pub struct Mutex<T: ?Sized> {
    /// The recorder's index for this lock.
    id: usize,
    inner: loom::sync::Mutex<T>,
}

/// The guard of a locked [`Mutex`]; see [`std::sync::MutexGuard`].
pub struct MutexGuard<'a, T: ?Sized> {
    /// The mutex it guards (a spurious wake-up locks it again).
    mutex: &'a Mutex<T>,
    /// `None` only while [`Condvar::wait`] has handed the guard to loom.
    inner: Option<loom::sync::MutexGuard<'a, T>>,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex holding `value`.
    #[track_caller]
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            id: trace::object(ObjectKind::Lock, Location::caller()),
            inner: loom::sync::Mutex::new(value),
        }
    }

    /// Consumes the mutex and returns its value.
    ///
    /// # Errors
    ///
    /// If the mutex is poisoned, with the value inside the error.
    pub fn into_inner(self) -> LockResult<T> {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Acquires the lock, blocking until it is free.
    ///
    /// # Errors
    ///
    /// If a thread panicked while holding it (the guard is inside the error).
    #[track_caller]
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        let at = Location::caller();
        trace::block(Blocked::Lock { lock: self.id }, Some(at));
        let result = self.inner.lock();
        trace::unblock();
        trace::record(Action::Lock { lock: self.id }, Some(at));
        self.guard(result)
    }

    /// Acquires the lock if it is free.
    ///
    /// # Errors
    ///
    /// [`TryLockError::WouldBlock`] if it is held, [`TryLockError::Poisoned`] if poisoned.
    #[track_caller]
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        match self.inner.try_lock() {
            Ok(inner) => {
                trace::record(Action::Lock { lock: self.id }, Some(Location::caller()));
                Ok(self.wrap(inner))
            }
            Err(TryLockError::WouldBlock) => Err(TryLockError::WouldBlock),
            Err(TryLockError::Poisoned(poisoned)) => {
                trace::record(Action::Lock { lock: self.id }, Some(Location::caller()));
                Err(TryLockError::Poisoned(PoisonError::new(
                    self.wrap(poisoned.into_inner()),
                )))
            }
        }
    }

    /// A mutable reference to the value, without locking (`&mut self` proves exclusivity).
    ///
    /// # Errors
    ///
    /// If the mutex is poisoned, with the reference inside the error.
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        self.inner.get_mut()
    }

    fn wrap<'a>(&'a self, inner: loom::sync::MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        MutexGuard {
            mutex: self,
            inner: Some(inner),
        }
    }

    fn guard<'a>(
        &'a self,
        result: LockResult<loom::sync::MutexGuard<'a, T>>,
    ) -> LockResult<MutexGuard<'a, T>> {
        match result {
            Ok(inner) => Ok(self.wrap(inner)),
            Err(poisoned) => Err(PoisonError::new(self.wrap(poisoned.into_inner()))),
        }
    }
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
        self.inner.fmt(f)
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// This guard again, holding the lock loom's condvar handed back after a wait; poisoned
    /// if loom's was.
    fn relocked(
        mut self,
        relocked: LockResult<loom::sync::MutexGuard<'a, T>>,
    ) -> LockResult<MutexGuard<'a, T>> {
        match relocked {
            Ok(inner) => {
                self.inner = Some(inner);
                Ok(self)
            }
            Err(poisoned) => {
                self.inner = Some(poisoned.into_inner());
                Err(PoisonError::new(self))
            }
        }
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.inner
            .as_deref()
            .expect("a guard is whole outside Condvar::wait")
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.inner
            .as_deref_mut()
            .expect("a guard is whole outside Condvar::wait")
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            // Recorded before the release: after it, loom may run another thread, which
            // could record taking the lock before this thread recorded letting it go.
            trace::record(
                Action::Unlock {
                    lock: self.mutex.id,
                },
                None,
            );
            drop(inner);
        }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A condition variable; see [`std::sync::Condvar`].
pub struct Condvar {
    /// The recorder's index for this condition variable.
    id: usize,
    inner: loom::sync::Condvar,
}

impl Condvar {
    /// A new condition variable.
    #[track_caller]
    pub fn new() -> Condvar {
        Condvar {
            id: trace::object(ObjectKind::Condvar, Location::caller()),
            inner: loom::sync::Condvar::new(),
        }
    }

    /// Releases `guard`'s lock, sleeps until notified, and locks again.
    ///
    /// # Errors
    ///
    /// If the mutex is poisoned when it is locked again.
    #[track_caller]
    pub fn wait<'a, T>(&self, mut guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        let at = Location::caller();
        let lock = guard.mutex.id;
        let inner = guard.inner.take().expect("a guard is whole outside wait");
        if super::spurious::next_wait_is_spurious() {
            return self.wake_spuriously(guard, inner, at);
        }
        trace::record(
            Action::Wait {
                condvar: self.id,
                lock,
            },
            Some(at),
        );
        trace::block(Blocked::Wait { condvar: self.id }, Some(at));
        let result = self.inner.wait(inner);
        trace::unblock();
        trace::record(
            Action::Woken {
                condvar: self.id,
                lock,
            },
            Some(at),
        );
        guard.relocked(result)
    }

    /// A wait that returns without a notification, as std allows any wait to: releases the
    /// lock and locks it again (see `super::spurious`). No yield in between: loom would then
    /// always run the others first; taking the lock again is itself a point where loom tries
    /// both orders.
    fn wake_spuriously<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        inner: loom::sync::MutexGuard<'a, T>,
        at: &'static Location<'static>,
    ) -> LockResult<MutexGuard<'a, T>> {
        let (condvar, lock) = (self.id, guard.mutex.id);
        trace::record(Action::Wait { condvar, lock }, Some(at));
        drop(inner);
        trace::block(Blocked::Lock { lock }, Some(at));
        let relocked = guard.mutex.inner.lock();
        trace::unblock();
        trace::record(Action::Spurious { condvar, lock }, Some(at));
        guard.relocked(relocked)
    }

    /// Waits while `condition` holds; see [`std::sync::Condvar::wait_while`].
    ///
    /// # Errors
    ///
    /// If the mutex is poisoned when it is locked again.
    #[track_caller]
    pub fn wait_while<'a, T, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: F,
    ) -> LockResult<MutexGuard<'a, T>>
    where
        F: FnMut(&mut T) -> bool,
    {
        while condition(&mut *guard) {
            guard = self.wait(guard)?;
        }
        Ok(guard)
    }

    /// As [`wait`](Self::wait): loom has no time, so the wait never times out.
    ///
    /// # Errors
    ///
    /// If the mutex is poisoned when it is locked again.
    #[track_caller]
    pub fn wait_timeout<'a, T>(
        &self,
        mut guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, loom::sync::WaitTimeoutResult)> {
        let at = Location::caller();
        let lock = guard.mutex.id;
        let inner = guard.inner.take().expect("a guard is whole outside wait");
        let condvar = self.id;
        trace::record(Action::Wait { condvar, lock }, Some(at));
        trace::block(Blocked::Wait { condvar }, Some(at));
        let result = self.inner.wait_timeout(inner, timeout);
        trace::unblock();
        trace::record(Action::Woken { condvar, lock }, Some(at));
        match result {
            Ok((inner, timed_out)) => {
                guard.inner = Some(inner);
                Ok((guard, timed_out))
            }
            Err(poisoned) => {
                let (inner, timed_out) = poisoned.into_inner();
                guard.inner = Some(inner);
                Err(PoisonError::new((guard, timed_out)))
            }
        }
    }

    /// Wakes one waiting thread.
    #[track_caller]
    pub fn notify_one(&self) {
        trace::record(
            Action::Notify {
                condvar: self.id,
                all: false,
            },
            Some(Location::caller()),
        );
        self.inner.notify_one();
    }

    /// Wakes every waiting thread.
    #[track_caller]
    pub fn notify_all(&self) {
        trace::record(
            Action::Notify {
                condvar: self.id,
                all: true,
            },
            Some(Location::caller()),
        );
        self.inner.notify_all();
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
        f.debug_struct("Condvar").finish_non_exhaustive()
    }
}
