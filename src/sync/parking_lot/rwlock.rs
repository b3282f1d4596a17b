//! parking_lot's `RwLock`: guards and `Option`s, no poisoning, and parking_lot's task-fair
//! policy (a reader waits while a writer waits, so a thread that takes a read lock twice
//! can deadlock, as it can with parking_lot).
//!
//! Who may enter is decided by a gate made of the shim's traced `Mutex` and `Condvar` (so a
//! counterexample shows each `read` and `write` at the pool's `file:line`, as the lock and the
//! waits on the gate). The value itself lives in loom's (or shuttle's) `RwLock`, entered only
//! with `try_read` and `try_write` once the gate has admitted the caller: those never fail
//! while the gate is right, and if the gate were wrong they would fail loudly (a panic the
//! model reports) instead of handing out two writers.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{PoisonError, TryLockError};

#[cfg(loom)]
use loom::sync::{
    RwLock as Backend, RwLockReadGuard as BackendRead, RwLockWriteGuard as BackendWrite,
};
#[cfg(all(shuttle, not(loom)))]
use shuttle::sync::{
    RwLock as Backend, RwLockReadGuard as BackendRead, RwLockWriteGuard as BackendWrite,
};

use super::mutex::lock;
use crate::sync::{self, Condvar};

/// A reader-writer lock with parking_lot's API; see `parking_lot::RwLock`.
pub struct RwLock<T> {
    gate: sync::Mutex<Access>,
    /// Signalled whenever a holder leaves.
    left: Condvar,
    value: Backend<T>,
}

/// Who holds the lock and who waits to write, guarded by `RwLock::gate`.
#[derive(Default)]
struct Access {
    readers: usize,
    writer: bool,
    /// Writers waiting: readers wait behind them (parking_lot's task-fair policy).
    writers_waiting: usize,
}

/// Shared access to a [`RwLock`]'s value; see `parking_lot::RwLockReadGuard`.
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockReadGuard<'a, T> {
    lock: &'a RwLock<T>,
    /// `Some` until dropped (then let go before the gate is told).
    inner: Option<BackendRead<'a, T>>,
}

/// Exclusive access to a [`RwLock`]'s value; see `parking_lot::RwLockWriteGuard`.
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockWriteGuard<'a, T> {
    lock: &'a RwLock<T>,
    /// `Some` until dropped (then let go before the gate is told).
    inner: Option<BackendWrite<'a, T>>,
}

impl<T> RwLock<T> {
    /// A new unlocked lock holding `value`. (Not `const`, unlike parking_lot's.)
    #[track_caller]
    pub fn new(value: T) -> RwLock<T> {
        RwLock {
            gate: sync::Mutex::new(Access::default()),
            left: Condvar::new(),
            value: Backend::new(value),
        }
    }

    /// Consumes the lock and returns its value.
    pub fn into_inner(self) -> T {
        self.value
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A mutable reference to the value, without locking (`&mut self` proves exclusivity).
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut().unwrap_or_else(PoisonError::into_inner)
    }

    /// Shared access, blocking while a writer holds the lock or waits for it.
    #[track_caller]
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        let mut access = lock(&self.gate);
        while access.writer || access.writers_waiting > 0 {
            access = sync::wait(&self.left, access);
        }
        access.readers += 1;
        drop(access);
        self.read_guard()
    }

    /// Exclusive access, blocking while anyone holds the lock.
    #[track_caller]
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        let mut access = lock(&self.gate);
        access.writers_waiting += 1;
        while access.writer || access.readers > 0 {
            access = sync::wait(&self.left, access);
        }
        access.writers_waiting -= 1;
        access.writer = true;
        drop(access);
        self.write_guard()
    }

    /// Shared access if no writer holds the lock now.
    #[track_caller]
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        let mut access = lock(&self.gate);
        if access.writer {
            return None;
        }
        access.readers += 1;
        drop(access);
        Some(self.read_guard())
    }

    /// Exclusive access if nobody holds the lock now.
    #[track_caller]
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        let mut access = lock(&self.gate);
        if access.writer || access.readers > 0 {
            return None;
        }
        access.writer = true;
        drop(access);
        Some(self.write_guard())
    }

    /// The value, shared, for a reader the gate admitted.
    fn read_guard(&self) -> RwLockReadGuard<'_, T> {
        let inner = match self.value.try_read() {
            Ok(inner) => inner,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => {
                panic!("RwLock's gate admitted a reader during a write")
            }
        };
        RwLockReadGuard {
            lock: self,
            inner: Some(inner),
        }
    }

    /// The value, exclusive, for the writer the gate admitted.
    fn write_guard(&self) -> RwLockWriteGuard<'_, T> {
        let inner = match self.value.try_write() {
            Ok(inner) => inner,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => {
                panic!("RwLock's gate admitted a writer while it was held")
            }
        };
        RwLockWriteGuard {
            lock: self,
            inner: Some(inner),
        }
    }
}

impl<T> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        drop(self.inner.take());
        let mut access = lock(&self.lock.gate);
        access.readers -= 1;
        if access.readers == 0 {
            self.lock.left.notify_all();
        }
    }
}

impl<T> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        drop(self.inner.take());
        lock(&self.lock.gate).writer = false;
        self.lock.left.notify_all();
    }
}

impl<T: Default> Default for RwLock<T> {
    #[track_caller]
    fn default() -> RwLock<T> {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    #[track_caller]
    fn from(value: T) -> RwLock<T> {
        RwLock::new(value)
    }
}

impl<T> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("RwLock { .. }")
    }
}

impl<T> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.inner
            .as_deref()
            .expect("a guard is whole until dropped")
    }
}

impl<T> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.inner
            .as_deref()
            .expect("a guard is whole until dropped")
    }
}

impl<T> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.inner
            .as_deref_mut()
            .expect("a guard is whole until dropped")
    }
}

impl<T: fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
