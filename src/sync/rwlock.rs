//! `std::sync::RwLock`, or under loom its `RwLock` reporting each operation to the trace
//! recorder, or under shuttle its `RwLock`.
//!
//! Built normally these are std's types, re-exported untouched. Built with `--cfg loom` they
//! wrap `loom::sync::RwLock`, which loom models (readers share the lock, a writer excludes
//! everyone), and record each acquisition and release with the caller's `file:line`, as the
//! shim's `Mutex` does: a write lock as `locks RW1`, a read lock as `read-locks RW1`. loom's
//! `RwLock` never poisons, so neither does this one; and its `new` is not `const`, as std's is
//! (loom's objects belong to one model execution, so a `static` of one cannot exist). Built
//! with `--cfg shuttle` they are `shuttle::sync`'s.

#[cfg(not(any(loom, shuttle)))]
pub use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

#[cfg(all(shuttle, not(loom)))]
pub use shuttle::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

#[cfg(loom)]
pub use self::model::*;

#[cfg(loom)]
mod model {
    use std::fmt;
    use std::ops::{Deref, DerefMut};
    use std::panic::Location;
    use std::sync::{LockResult, TryLockError, TryLockResult};

    use crate::sync::trace::{self, Action, Blocked, ObjectKind};

    /// A reader-writer lock; see [`std::sync::RwLock`].
    pub struct RwLock<T: ?Sized> {
        /// The recorder's index for this lock.
        id: usize,
        inner: loom::sync::RwLock<T>,
    }

    /// Shared access to a read-locked [`RwLock`]; see [`std::sync::RwLockReadGuard`].
    pub struct RwLockReadGuard<'a, T: ?Sized> {
        /// The lock's recorder index.
        id: usize,
        /// `None` only inside `drop`, once the release is recorded.
        inner: Option<loom::sync::RwLockReadGuard<'a, T>>,
    }

    /// Exclusive access to a write-locked [`RwLock`]; see [`std::sync::RwLockWriteGuard`].
    pub struct RwLockWriteGuard<'a, T: ?Sized> {
        /// The lock's recorder index.
        id: usize,
        /// `None` only inside `drop`, once the release is recorded.
        inner: Option<loom::sync::RwLockWriteGuard<'a, T>>,
    }

    impl<T> RwLock<T> {
        /// A new unlocked lock holding `value`.
        #[track_caller]
        pub fn new(value: T) -> RwLock<T> {
            RwLock {
                id: trace::object(ObjectKind::RwLock, Location::caller()),
                inner: loom::sync::RwLock::new(value),
            }
        }

        /// Consumes the lock and returns its value.
        ///
        /// # Errors
        ///
        /// Never (loom's `RwLock` does not poison); the signature is std's.
        pub fn into_inner(self) -> LockResult<T> {
            self.inner.into_inner()
        }
    }

    impl<T: ?Sized> RwLock<T> {
        /// Locks for shared reading, blocking while a writer holds the lock.
        ///
        /// # Errors
        ///
        /// Never (loom's `RwLock` does not poison); the signature is std's.
        #[track_caller]
        pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
            let at = Location::caller();
            trace::block(Blocked::Lock { lock: self.id }, Some(at));
            let result = self.inner.read();
            trace::unblock();
            let inner = result.unwrap_or_else(std::sync::PoisonError::into_inner);
            trace::record(Action::ReadLock { lock: self.id }, Some(at));
            Ok(RwLockReadGuard {
                id: self.id,
                inner: Some(inner),
            })
        }

        /// Locks for shared reading if no writer holds the lock.
        ///
        /// # Errors
        ///
        /// [`TryLockError::WouldBlock`] if a writer holds it.
        #[track_caller]
        pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, T>> {
            match self.inner.try_read() {
                Ok(inner) => {
                    trace::record(Action::ReadLock { lock: self.id }, Some(Location::caller()));
                    Ok(RwLockReadGuard {
                        id: self.id,
                        inner: Some(inner),
                    })
                }
                Err(_) => Err(TryLockError::WouldBlock),
            }
        }

        /// Locks for exclusive writing, blocking while anyone holds the lock.
        ///
        /// # Errors
        ///
        /// Never (loom's `RwLock` does not poison); the signature is std's.
        #[track_caller]
        pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
            let at = Location::caller();
            trace::block(Blocked::Lock { lock: self.id }, Some(at));
            let result = self.inner.write();
            trace::unblock();
            let inner = result.unwrap_or_else(std::sync::PoisonError::into_inner);
            trace::record(Action::Lock { lock: self.id }, Some(at));
            Ok(RwLockWriteGuard {
                id: self.id,
                inner: Some(inner),
            })
        }

        /// Locks for exclusive writing if nobody holds the lock.
        ///
        /// # Errors
        ///
        /// [`TryLockError::WouldBlock`] if anyone holds it.
        #[track_caller]
        pub fn try_write(&self) -> TryLockResult<RwLockWriteGuard<'_, T>> {
            match self.inner.try_write() {
                Ok(inner) => {
                    trace::record(Action::Lock { lock: self.id }, Some(Location::caller()));
                    Ok(RwLockWriteGuard {
                        id: self.id,
                        inner: Some(inner),
                    })
                }
                Err(_) => Err(TryLockError::WouldBlock),
            }
        }

        /// A mutable reference to the value, without locking (`&mut self` proves exclusivity).
        ///
        /// # Errors
        ///
        /// Never (loom's `RwLock` does not poison); the signature is std's.
        pub fn get_mut(&mut self) -> LockResult<&mut T> {
            self.inner.get_mut()
        }

        /// Whether the lock is poisoned: never, under loom.
        pub fn is_poisoned(&self) -> bool {
            false
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

    impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.inner.fmt(f)
        }
    }

    impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
        type Target = T;

        fn deref(&self) -> &T {
            self.inner
                .as_deref()
                .expect("a guard is whole until dropped")
        }
    }

    impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
        fn drop(&mut self) {
            // Recorded before the release, as `MutexGuard` does: after it, loom may run a
            // writer that would record taking the lock before this reader let it go.
            trace::record(Action::ReadUnlock { lock: self.id }, None);
            drop(self.inner.take());
        }
    }

    impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            fmt::Debug::fmt(&**self, f)
        }
    }

    impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
        type Target = T;

        fn deref(&self) -> &T {
            self.inner
                .as_deref()
                .expect("a guard is whole until dropped")
        }
    }

    impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            self.inner
                .as_deref_mut()
                .expect("a guard is whole until dropped")
        }
    }

    impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
        fn drop(&mut self) {
            // Recorded before the release (see `RwLockReadGuard`'s `drop`).
            trace::record(Action::Unlock { lock: self.id }, None);
            drop(self.inner.take());
        }
    }

    impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            fmt::Debug::fmt(&**self, f)
        }
    }
}

#[cfg(all(test, loom))]
mod trace_tests {
    use super::RwLock;
    use crate::sync::trace::{self, Action};

    #[test]
    fn reads_and_writes_are_recorded_with_the_callers_line() {
        loom::model(|| {
            trace::start();
            let lock = RwLock::new(0);
            let read_line = line!() + 1;
            let value = *lock.read().unwrap();
            let write_line = line!() + 1;
            *lock.write().unwrap() = value + 1;
            let recorded = trace::snapshot();
            trace::stop();
            let steps: Vec<(Action, Option<(&str, u32)>)> = recorded
                .events
                .iter()
                .map(|event| {
                    let site = event.site.map(|site| (site.file, site.line));
                    (event.action.clone(), site)
                })
                .collect();
            let at = |line| Some((file!(), line));
            assert_eq!(
                steps,
                [
                    (Action::ReadLock { lock: 0 }, at(read_line)),
                    (Action::ReadUnlock { lock: 0 }, None),
                    (Action::Lock { lock: 0 }, at(write_line)),
                    (Action::Unlock { lock: 0 }, None),
                ]
            );
            assert_eq!(recorded.objects[0].name, "RW1");
        });
    }
}
