//! `std::sync::{Once, OnceState, OnceLock}`, or under loom and shuttle the same API built on the
//! checker's own types.
//!
//! Built normally these are std's types, re-exported untouched. loom 0.7 has no `Once` and no
//! `OnceLock`, so under `--cfg loom` this module builds both: `Once` the way std's works (a
//! status under the shim's traced `Mutex`, a `Condvar` for the threads that find another one
//! running the initialisation, and an atomic `completed` flag, stored with `Release` and loaded
//! with `Acquire`, for the fast path), and `OnceLock` on that `Once` and a loom `UnsafeCell`,
//! so that loom checks every read of the value happens after its write. shuttle 0.9 has `Once`
//! and `OnceState` but no `OnceLock`: under `--cfg shuttle` the first two are shuttle's, and
//! `OnceLock` is the same construction on shuttle's `Once`.
//!
//! Under loom, a `Once`'s steps show in the checker's traces as the lock, wait and notify of a
//! `Mutex` and `Condvar` created where the `Once` (or `OnceLock`) was, with the `file:line` of
//! the `call_once`/`get_or_init`/`set` call. Unlike std's, `Once::new` and `OnceLock::new` are
//! not `const` under loom, so a `static` of either does not build there: loom's objects belong
//! to one model execution, and a `static` would outlive it.

#[cfg(not(any(loom, shuttle)))]
pub use std::sync::{Once, OnceLock, OnceState};

#[cfg(all(shuttle, not(loom)))]
pub use shuttle::sync::{Once, OnceState};

#[cfg(loom)]
pub use self::once_model::{Once, OnceState};

#[cfg(any(loom, shuttle))]
pub use self::once_lock_model::OnceLock;

#[cfg(loom)]
mod once_model {
    use std::fmt;
    use std::panic::{self, AssertUnwindSafe};

    use crate::sync::{lock, wait, AtomicBool, Condvar, Mutex, Ordering};

    /// Runs a one-time initialisation; see [`std::sync::Once`].
    pub struct Once {
        /// Where the initialisation stands; the waiters' condition.
        status: Mutex<Status>,
        /// Where threads sleep while another one runs the initialisation.
        finished: Condvar,
        /// Set, with `Release`, once an initialisation has returned: a thread that loads it
        /// `true` (with `Acquire`) sees everything the initialisation wrote, without locking.
        completed: AtomicBool,
    }

    /// Where a [`Once`]'s initialisation stands.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Status {
        /// Nobody has run it yet.
        Incomplete,
        /// A thread is running it; the others wait.
        Running,
        /// It returned: it never runs again.
        Complete,
        /// It panicked: `call_once` panics, `call_once_force` runs it again.
        Poisoned,
    }

    /// What [`Once::call_once_force`] tells its closure; see [`std::sync::OnceState`].
    #[derive(Debug)]
    pub struct OnceState {
        poisoned: bool,
    }

    impl OnceState {
        /// Whether an earlier initialisation panicked.
        pub fn is_poisoned(&self) -> bool {
            self.poisoned
        }
    }

    impl Once {
        /// A `Once` whose initialisation has not run.
        #[track_caller]
        pub fn new() -> Once {
            Once {
                status: Mutex::new(Status::Incomplete),
                finished: Condvar::new(),
                completed: AtomicBool::new(false),
            }
        }

        /// Runs `init` if no initialisation has completed yet; every call returns only once
        /// one has (it may be this one, or another thread's).
        ///
        /// # Panics
        ///
        /// If an earlier initialisation panicked (the `Once` is poisoned), and with `init`'s
        /// own panic if it panics (which poisons the `Once`).
        #[track_caller]
        pub fn call_once<F: FnOnce()>(&self, init: F) {
            if self.is_completed() {
                return;
            }
            let mut init = Some(init);
            self.run(false, &mut |_| {
                if let Some(init) = init.take() {
                    init();
                }
            });
        }

        /// As [`call_once`](Self::call_once), but runs `init` on a poisoned `Once` too, telling
        /// it so.
        ///
        /// # Panics
        ///
        /// With `init`'s own panic if it panics (which poisons the `Once`).
        #[track_caller]
        pub fn call_once_force<F: FnOnce(&OnceState)>(&self, init: F) {
            if self.is_completed() {
                return;
            }
            let mut init = Some(init);
            self.run(true, &mut |state| {
                if let Some(init) = init.take() {
                    init(state);
                }
            });
        }

        /// Whether an initialisation has completed. `true` means everything it wrote is
        /// visible to the caller.
        pub fn is_completed(&self) -> bool {
            self.completed.load(Ordering::Acquire)
        }

        /// The slow path: waits while another thread runs the initialisation, and runs it here
        /// if nobody has completed it.
        #[track_caller]
        fn run(&self, ignore_poisoning: bool, init: &mut dyn FnMut(&OnceState)) {
            let mut status = lock(&self.status);
            let poisoned = loop {
                match *status {
                    Status::Complete => return,
                    Status::Running => status = wait(&self.finished, status),
                    Status::Incomplete => break false,
                    Status::Poisoned if ignore_poisoning => break true,
                    Status::Poisoned => {
                        // Released first: a guard dropped while unwinding would poison the
                        // std mutex inside loom's, and every later lock would panic.
                        drop(status);
                        panic!("Once instance has previously been poisoned");
                    }
                }
            };
            *status = Status::Running;
            drop(status);
            // Run outside the lock (the initialisation may take other locks, or call another
            // `Once`), and caught, so that the status is settled after the unwinding rather
            // than during it (see above); the panic then goes on, as std's does.
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| init(&OnceState { poisoned })));
            let mut status = lock(&self.status);
            if outcome.is_ok() {
                self.completed.store(true, Ordering::Release);
                *status = Status::Complete;
            } else {
                *status = Status::Poisoned;
            }
            self.finished.notify_all();
            drop(status);
            if let Err(payload) = outcome {
                panic::resume_unwind(payload);
            }
        }
    }

    impl Default for Once {
        #[track_caller]
        fn default() -> Once {
            Once::new()
        }
    }

    impl fmt::Debug for Once {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Once").finish_non_exhaustive()
        }
    }
}

#[cfg(any(loom, shuttle))]
mod once_lock_model {
    use std::fmt;

    use super::Once;
    use crate::sync::UnsafeCell;

    /// A cell written once, then read by every thread; see [`std::sync::OnceLock`].
    pub struct OnceLock<T> {
        /// Completed once `value` holds the value.
        once: Once,
        /// `None` until the one initialisation writes it.
        value: UnsafeCell<Option<T>>,
    }

    // SAFETY: as std's `OnceLock`: shared references hand out `&T` to every thread (so `T` must
    // be `Sync`), and the value may be written by one thread and dropped by another (`Send`).
    // The cell is written only inside the `Once`'s initialisation, which runs on one thread at
    // a time and never after it completed, and read only after it completed (see `get`).
    unsafe impl<T: Sync + Send> Sync for OnceLock<T> {}

    impl<T> OnceLock<T> {
        /// An empty cell.
        #[track_caller]
        pub fn new() -> OnceLock<T> {
            OnceLock {
                once: Once::new(),
                value: UnsafeCell::new(None),
            }
        }

        /// The value, if the cell has been written.
        pub fn get(&self) -> Option<&T> {
            if !self.once.is_completed() {
                return None;
            }
            // SAFETY: the `Once` completed, so the one write (in `initialize`) happened before
            // this read (`is_completed` loads with `Acquire` what the initialisation stored with
            // `Release`), and no shared access writes the cell again: only `&mut self` methods
            // do, which no `&T` handed out here can outlive.
            self.value.with(|value| unsafe { (*value).as_ref() })
        }

        /// The value, mutably, if the cell has been written.
        pub fn get_mut(&mut self) -> Option<&mut T> {
            // SAFETY: `&mut self`: no other reference to the cell exists.
            self.value.with_mut(|value| unsafe { (*value).as_mut() })
        }

        /// Writes `value` if the cell is empty.
        ///
        /// # Errors
        ///
        /// If the cell already holds a value (or another thread's initialisation wins the
        /// race), with `value` given back.
        #[track_caller]
        pub fn set(&self, value: T) -> Result<(), T> {
            let mut value = Some(value);
            self.initialize(|| value.take().expect("the initialisation runs once"));
            match value {
                None => Ok(()),
                Some(value) => Err(value),
            }
        }

        /// The value, running `init` to make it if the cell is empty; if several threads call
        /// this at once, one runs its `init` and the others wait for it.
        ///
        /// # Panics
        ///
        /// With `init`'s panic if it panics; the cell stays empty, and a later call runs its
        /// own `init`.
        #[track_caller]
        pub fn get_or_init<F: FnOnce() -> T>(&self, init: F) -> &T {
            if let Some(value) = self.get() {
                return value;
            }
            self.initialize(init);
            self.get()
                .expect("the Once completed, so the value is written")
        }

        /// Takes the value out, leaving the cell empty.
        pub fn take(&mut self) -> Option<T> {
            // A fresh `Once`: the cell can be written again, as std's can after `take`.
            self.once = Once::new();
            // SAFETY: `&mut self`: no other reference to the cell exists.
            self.value.with_mut(|value| unsafe { (*value).take() })
        }

        /// The value, if the cell has been written.
        pub fn into_inner(mut self) -> Option<T> {
            self.take()
        }

        /// Runs `init` and stores its value, unless an initialisation has completed.
        #[track_caller]
        fn initialize<F: FnOnce() -> T>(&self, init: F) {
            let value = &self.value;
            // `call_once_force`, as std's does: an `init` that panicked leaves the cell empty,
            // not poisoned, and the next caller tries its own.
            self.once.call_once_force(|_| {
                let made = init();
                // SAFETY: the `Once` runs this closure on one thread at a time and never once
                // it has completed, and `get` reads the cell only after it has: nobody else
                // reads or writes the cell now.
                value.with_mut(|slot| unsafe { *slot = Some(made) });
            });
        }
    }

    impl<T> Default for OnceLock<T> {
        #[track_caller]
        fn default() -> OnceLock<T> {
            OnceLock::new()
        }
    }

    impl<T> From<T> for OnceLock<T> {
        #[track_caller]
        fn from(value: T) -> OnceLock<T> {
            let cell = OnceLock::new();
            let _ = cell.set(value);
            cell
        }
    }

    impl<T: fmt::Debug> fmt::Debug for OnceLock<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self.get() {
                Some(value) => f.debug_tuple("OnceLock").field(value).finish(),
                None => f.write_str("OnceLock(<uninit>)"),
            }
        }
    }
}
