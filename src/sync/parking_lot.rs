//! `parking_lot`, or under loom (and shuttle) its `Mutex`, `Condvar` and `RwLock` with the same
//! API built on the shim's types, so that a pool built on parking_lot can be checked with its
//! imports swapped: `use parking_lot::{..}` becomes `use webpool::sync::parking_lot::{..}`.
//!
//! Built normally (with the `parking_lot` feature), this module is the real crate, untouched:
//! `pub use parking_lot::*`. Built with `--cfg loom`, [`Mutex`] and [`Condvar`] are thin
//! wrappers of the shim's traced `Mutex` and `Condvar` (`crate::sync`), so the checker's
//! traces show each lock, wait and notification at the pool's `file:line` (every public
//! operation is `#[track_caller]`), and the shim's spurious wake-ups reach parking_lot waits
//! too. [`RwLock`] is a gate of the same traced types in front of loom's `RwLock` (see
//! `rwlock.rs`), with parking_lot's task-fair policy. Built with `--cfg shuttle`, the same
//! code runs on shuttle's types. Their semantics are model-checked in `loom_tests/facades.rs`.
//!
//! ```
//! // Before: use parking_lot::{Condvar, Mutex};
//! use webpool::sync::parking_lot::{Condvar, Mutex};
//! use webpool::sync::{thread, Arc};
//! # if webpool::MODEL_CHECKING { return; }
//!
//! let state = Arc::new((Mutex::new(None), Condvar::new()));
//! let shared = Arc::clone(&state);
//! let worker = thread::spawn(move || {
//!     let (job, ready) = &*shared;
//!     let mut job = job.lock();
//!     while job.is_none() {
//!         ready.wait(&mut job);
//!     }
//!     job.take().unwrap() * 2
//! });
//! let (job, ready) = &*state;
//! *job.lock() = Some(21);
//! ready.notify_one();
//! assert_eq!(worker.join().unwrap(), 42);
//! ```
//!
//! parking_lot's API, as the model has it:
//!
//! - `Mutex::lock` returns the guard itself (no poisoning: a panic while it is held leaves the
//!   lock usable, as parking_lot's does); `try_lock` returns an `Option`; `into_inner`,
//!   `get_mut`; [`MutexGuard::unlocked`];
//! - `Condvar::wait(&mut guard)`, `wait_while`, `wait_for`, `wait_until`, `wait_while_for`,
//!   `wait_while_until` (the timed ones return [`WaitTimeoutResult`]), `notify_one() -> bool`
//!   and `notify_all() -> usize`;
//! - `RwLock::read`, `write`, `try_read`, `try_write` (guards and `Option`s, no poisoning; a
//!   reader waits while a writer waits, so a recursive read can deadlock, as with
//!   parking_lot), `into_inner`, `get_mut`.
//!
//! Not covered: `const` constructors (`const_mutex`, a `static` parking_lot `Mutex`: loom's
//! objects exist only inside a model), guard mapping (`MutexGuard::map`), fairness
//! (`unlock_fair`, `bump`), upgradable reads, `ReentrantMutex`, `FairMutex`, `Once` and the
//! `*_for`/`*_until` lock attempts; a pool using them does not build under loom.
//!
//! # Timeouts under the checkers
//!
//! Time does not exist in a loom or shuttle model (loom's `wait_timeout` never times out). A
//! timed wait here (`wait_for`, `wait_until`, and the `wait_while_*` ones between checks)
//! releases the lock, lets every other thread of the model take steps (it yields to the
//! scheduler), locks again and reports a timeout; `wait_while_for` then returns once its
//! condition is false or after that one timeout. Every outcome can happen on real threads (a
//! timeout may expire before any other thread runs), so this adds no false alarm; a pool
//! that polls with timed waits is explored as polling, never as hanging. What it cannot show
//! is a notification waking the timed waiter before its timeout: the waiter is not registered
//! on the condition variable, so `notify_one` wakes another waiter or none (and reports that
//! in its return value).
//!
//! `notify_one`'s and `notify_all`'s return values count the threads in `wait` (and
//! `wait_while`) not yet notified. They may overcount: a thread counts from just before it
//! goes to sleep (the checker may switch threads in between, and a notification then wakes
//! nobody), and a wait the checker ends spuriously counts until notified.

#[cfg(not(any(loom, shuttle)))]
pub use ::parking_lot::*;

#[cfg(any(loom, shuttle))]
pub use self::condvar::{Condvar, WaitTimeoutResult};
#[cfg(any(loom, shuttle))]
pub use self::mutex::{Mutex, MutexGuard};
#[cfg(any(loom, shuttle))]
pub use self::rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};

#[cfg(any(loom, shuttle))]
mod condvar;
#[cfg(any(loom, shuttle))]
mod mutex;
#[cfg(any(loom, shuttle))]
mod rwlock;
