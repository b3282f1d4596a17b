//! The synchronisation shim: the only module that names `std::sync`, `std::thread`, `loom` or
//! `shuttle`.
//!
//! Built normally, these are std's types. Built with `RUSTFLAGS="--cfg loom"`, they are
//! [loom](https://docs.rs/loom)'s mocks with the same API, so the loom models in `loom_tests/`
//! explore every interleaving of the real pool code, not of a copy of it. Built with
//! `RUSTFLAGS="--cfg shuttle"`, they are [shuttle](https://docs.rs/shuttle)'s, so the models in
//! `shuttle_tests/` run the same code at a scale loom cannot hold (many threads, hundreds of
//! jobs), under shuttle's random and PCT schedulers. The two checkers exclude each other.
//! Everything else in the crate imports its `Arc`, `Mutex`, `Condvar`, atomics, `UnsafeCell` and
//! `thread` from here.
//!
//! It is public so that anyone can check their own pool with [`crate::check`]: swap
//! `std::sync` and `std::thread` in the pool's imports for this module, and nothing else
//! changes.
//!
//! ```
//! // Before: use std::{sync::{mpsc, Arc, Mutex}, thread};
//! use webpool::sync::{mpsc, thread, Arc, Mutex};
//! # if webpool::MODEL_CHECKING { return; }
//!
//! let (sender, receiver) = mpsc::channel();
//! let receiver = Arc::new(Mutex::new(receiver));
//! let worker = thread::spawn(move || receiver.lock().unwrap().recv().unwrap());
//! sender.send(42).unwrap();
//! assert_eq!(worker.join().unwrap(), 42);
//! ```
//!
//! Under loom, `Mutex`, `Condvar`, `RwLock`, `mpsc` and `thread` also report each operation
//! (with the caller's `file:line`) to the checker's recorder, which turns a failing interleaving
//! into a readable trace; with no check recording, that costs one load per operation. loom models
//! what std promises, minus two things: a `Condvar` wait never times out, and it wakes without
//! a notification only by accident of loom's scheduler; the `spurious` module (loom builds)
//! makes each wait in turn wake spuriously on purpose.
//!
//! Under shuttle the types are shuttle's own, unrecorded (the checker's traces are loom's).
//! shuttle has the same two gaps as loom, and one more: it runs every atomic operation as
//! `SeqCst` (sequentially consistent), whatever ordering the code asks for, so a bug that needs
//! a weaker ordering's reordering is loom's to find, never shuttle's.

// With both set, the shim's shuttle items (`cfg(all(shuttle, not(loom)))`) step aside, so this
// is the only error the build reports.
#[cfg(all(loom, shuttle))]
compile_error!(
    "webpool: `--cfg loom` and `--cfg shuttle` exclude each other: the shim can hand out one \
     checker's types, not both. Build with one of them (RUSTFLAGS=\"--cfg loom\" for the loom \
     models, RUSTFLAGS=\"--cfg shuttle\" for the shuttle ones)."
);

pub mod atomic;
// Facades of crates real pools use (their features, off by default): the crate itself in a
// normal build, a loom- or shuttle-backed model with the same API under the checkers.
#[cfg(feature = "crossbeam-channel")]
pub mod crossbeam_channel;
pub mod mpsc;
#[cfg(feature = "parking_lot")]
pub mod parking_lot;
#[cfg(loom)]
pub mod spurious;
pub mod thread;
pub(crate) mod trace;
#[cfg(loom)]
mod traced;

pub(crate) use atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};

// The std types real pools use beyond the book's (issue 29): in a normal build std's own,
// under loom and shuttle the checker's (each module says how).
mod barrier;
mod once;
mod rwlock;
#[cfg(loom)]
mod scope;
pub use barrier::{Barrier, BarrierWaitResult};
pub use once::{Once, OnceLock, OnceState};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};

#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;
#[cfg(loom)]
pub use loom::sync::{Arc, WaitTimeoutResult};
// Only the server and its parser keep per-thread state.
#[cfg(all(loom, feature = "server"))]
pub(crate) use loom::thread_local;
#[cfg(loom)]
pub use traced::{Condvar, Mutex, MutexGuard};

#[cfg(all(shuttle, not(loom)))]
pub use shuttle::sync::{Arc, Condvar, Mutex, MutexGuard, WaitTimeoutResult};
// shuttle runs every model thread on one OS thread, so std's thread-locals would be shared by
// all of them; shuttle's give each model thread its own.
#[cfg(all(shuttle, not(loom), feature = "server"))]
pub(crate) use shuttle::thread_local;

#[cfg(not(any(loom, shuttle)))]
pub use std::sync::{Arc, Condvar, Mutex, MutexGuard, WaitTimeoutResult};
#[cfg(all(not(any(loom, shuttle)), feature = "server"))]
pub(crate) use std::thread_local;

/// `std::cell::UnsafeCell` with loom's closure-based API, so that under loom every access is
/// checked for data races (loom's `UnsafeCell` tracks which thread touched it, and when). Under
/// shuttle it is this std wrapper too: shuttle has no cell of its own, and never runs two model
/// threads at once.
#[cfg(not(loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    /// Wraps `value`.
    pub(crate) const fn new(value: T) -> UnsafeCell<T> {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    /// Runs `f` with a shared pointer to the contents.
    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Runs `f` with an exclusive pointer to the contents.
    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Hints that this thread is busy-waiting for another one. Under loom and shuttle it yields to
/// the model's scheduler instead, which is how the checker learns that the thread cannot
/// progress alone (shuttle's PCT scheduler lowers a yielding thread's priority, so a spin loop
/// cannot starve the thread it waits for).
#[inline(always)]
pub(crate) fn spin_hint() {
    #[cfg(not(any(loom, shuttle)))]
    std::hint::spin_loop();
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(all(shuttle, not(loom)))]
    shuttle::thread::yield_now();
}

/// Blocks the calling thread for `duration` (`/sleep`'s delay). Time does not exist in a loom
/// or shuttle model, so there it only yields.
pub(crate) fn sleep(duration: std::time::Duration) {
    #[cfg(not(any(loom, shuttle)))]
    std::thread::sleep(duration);
    #[cfg(any(loom, shuttle))]
    {
        let _ = duration;
        thread::yield_now();
    }
}

/// Locks `mutex`, ignoring poisoning.
///
/// webpool never runs user code while holding one of its locks, so a poisoned lock can only
/// mean a bug in webpool itself panicked mid-update; the state is still the best there is, and
/// turning every later lock into a panic would only spread the damage.
#[track_caller]
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Waits on `condvar`, ignoring poisoning (see [`lock`]).
#[track_caller]
pub(crate) fn wait<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    condvar
        .wait(guard)
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How many threads the machine runs at once (std's estimate), or 1 when it cannot tell: the
/// pool's default size. The same under loom and shuttle, where it only sizes a pool no model
/// uses.
pub(crate) fn available_parallelism() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}
