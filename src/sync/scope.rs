//! `std::thread::scope` under loom, which has none: scoped threads that may borrow from the
//! caller's stack, because the scope joins every one of them before it returns.
//!
//! Built normally, `webpool::sync::thread::scope` is std's, and under `--cfg shuttle`
//! shuttle's; this module is the `--cfg loom` one, on the shim's traced threads, `Mutex` and
//! `Condvar` (so scoped threads show in the checker's traces as `worker N`, spawned at the
//! caller's `Scope::spawn`, and the scope's final wait as a wait on a `Condvar` created at the
//! `scope` call).
//!
//! loom's `spawn` wants a `'static` closure; a scoped thread's borrows for `'scope`. As std and
//! crossbeam do, `Scope::spawn` erases the closure's lifetime, and `scope` upholds what the
//! erased lifetime promised: it returns, or unwinds, only after every thread it spawned has
//! finished running its closure (see the `SAFETY:` comment in `Scope::spawn`).
//!
//! Panics, as std: a scoped thread's panic is caught in that thread and handed to whoever
//! joins it (`ScopedJoinHandle::join` returns `Err`); if nobody joined it, `scope` panics once
//! every thread has finished. A panic of the scope's own closure waits for every thread too,
//! and then goes on. So a scoped thread's panic does not, by itself, end the model the way a
//! panic on a thread from `thread::spawn` does under loom (loom does not catch those): it fails
//! the model only when it reaches the model's closure through `scope`, as it would end a real
//! program's `main`.

use std::fmt;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
// std's `Arc` and `Mutex`, not loom's: the scope's bookkeeping that loom need not see (who
// holds the shared state, and a thread's result, which `join` reads after loom's own join has
// ordered it). What must be ordered for the model, the count of running threads, is under the
// shim's `Mutex`.
use std::sync::{Arc as StdArc, Mutex as StdMutex, PoisonError};

use super::thread::{self, JoinHandle, Result, Thread};
use super::trace::{self, Action};
use super::{lock, wait, Condvar, Mutex};

/// A scope to spawn scoped threads in; see [`std::thread::Scope`].
pub struct Scope<'scope, 'env: 'scope> {
    shared: StdArc<Shared>,
    /// Invariant in `'scope`, as std's: a scoped thread cannot be handed to a longer scope.
    scope: PhantomData<&'scope mut &'scope ()>,
    /// Invariant in `'env`, as std's.
    env: PhantomData<&'env mut &'env ()>,
}

/// What a scope and its threads share.
struct Shared {
    counts: Mutex<Counts>,
    /// Notified when `running` drops to 0.
    all_finished: Condvar,
}

/// The scope's threads, counted.
struct Counts {
    /// Spawned and not yet finished running their closure.
    running: usize,
    /// Ended by a panic that no `join` has taken yet: `scope` panics if any are left.
    unjoined_panics: usize,
}

/// A handle to join a scoped thread; see [`std::thread::ScopedJoinHandle`].
pub struct ScopedJoinHandle<'scope, T> {
    inner: JoinHandle<()>,
    /// Where the thread leaves its closure's outcome.
    outcome: StdArc<StdMutex<Option<Result<T>>>>,
    shared: StdArc<Shared>,
    scope: PhantomData<&'scope ()>,
}

/// Runs `body` with a scope whose threads may borrow what outlives the scope, and returns what
/// `body` returns once every thread spawned in the scope has finished; see
/// [`std::thread::scope`].
///
/// # Panics
///
/// With `body`'s panic, once every thread has finished, if `body` panicked; else if a scoped
/// thread panicked and nobody joined it.
#[track_caller]
pub fn scope<'env, F, T>(body: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    let scope = Scope {
        shared: StdArc::new(Shared {
            counts: Mutex::new(Counts {
                running: 0,
                unjoined_panics: 0,
            }),
            all_finished: Condvar::new(),
        }),
        scope: PhantomData,
        env: PhantomData,
    };
    // Caught, so that the wait below runs on this path too, after the unwinding (a guard
    // dropped during it would poison the std mutex inside loom's lock).
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| body(&scope)));
    let unjoined_panics = scope.shared.wait_for_all();
    match outcome {
        Err(payload) => panic::resume_unwind(payload),
        Ok(_) if unjoined_panics > 0 => panic!("a scoped thread panicked"),
        Ok(value) => value,
    }
}

impl<'scope> Scope<'scope, '_> {
    /// Spawns a thread that may borrow for `'scope`; see [`std::thread::Scope::spawn`].
    #[track_caller]
    pub fn spawn<F, T>(&'scope self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        let outcome = StdArc::new(StdMutex::new(None));
        lock(&self.shared.counts).running += 1;
        let their_outcome = StdArc::clone(&outcome);
        let shared = StdArc::clone(&self.shared);
        let run = move || {
            // `f` is consumed here: its captures are dropped inside, returning or unwinding.
            let result = panic::catch_unwind(AssertUnwindSafe(f));
            let panicked = result.is_err();
            if panicked {
                let message = trace::last_panic().unwrap_or_else(|| "(no message)".to_owned());
                trace::record(Action::Panic(message), None);
            }
            *their_outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
            // The last borrow for `'scope`: if the handle is gone, this drops the `T`.
            drop(their_outcome);
            shared.finished(panicked);
        };
        let run: Box<dyn FnOnce() + Send + 'scope> = Box::new(run);
        // SAFETY: only the lifetime changes (same layout, same vtable). The closure borrows for
        // `'scope`, and `scope` keeps everything it borrows alive until the closure is done
        // with it: the closure uses and drops its borrows (`f` and its captures, the `T` in
        // `their_outcome`) before `finished`, which is its last step touching the scope; the
        // count `running` includes this thread from before the spawn until that step; and
        // `scope` returns or unwinds only after `wait_for_all` has seen `running` at 0, on
        // every path: `body`'s panic is caught first, and a scoped thread's panic is caught in
        // that thread. If instead a panic escapes the model (loom's deadlock report, a failed
        // assertion), loom runs no model thread again: the borrowed data is never touched
        // after it is gone.
        let run: Box<dyn FnOnce() + Send + 'static> = unsafe { std::mem::transmute(run) };
        ScopedJoinHandle {
            inner: thread::spawn(run),
            outcome,
            shared: StdArc::clone(&self.shared),
            scope: PhantomData,
        }
    }
}

impl Shared {
    /// A scoped thread is done with everything it borrowed: counts it out, and wakes the
    /// scope if it was the last.
    #[track_caller]
    fn finished(&self, panicked: bool) {
        let mut counts = lock(&self.counts);
        counts.running -= 1;
        if panicked {
            counts.unjoined_panics += 1;
        }
        if counts.running == 0 {
            self.all_finished.notify_all();
        }
    }

    /// Waits until no scoped thread is running; returns how many panicked with nobody
    /// joining them.
    #[track_caller]
    fn wait_for_all(&self) -> usize {
        let mut counts = lock(&self.counts);
        while counts.running > 0 {
            counts = wait(&self.all_finished, counts);
        }
        counts.unjoined_panics
    }
}

impl<T> ScopedJoinHandle<'_, T> {
    /// Waits for the thread to finish; see [`std::thread::ScopedJoinHandle::join`].
    ///
    /// # Errors
    ///
    /// If the thread panicked, with the panic's payload (and then `scope` does not panic for
    /// it).
    #[track_caller]
    pub fn join(self) -> Result<T> {
        // The closure catches its own panic, so the thread itself always returns.
        let _ = self.inner.join();
        let outcome = self
            .outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .expect("a scoped thread leaves its outcome before it ends");
        if outcome.is_err() {
            lock(&self.shared.counts).unjoined_panics -= 1;
        }
        outcome
    }

    /// The thread's handle.
    pub fn thread(&self) -> &Thread {
        self.inner.thread()
    }

    /// Whether the thread has finished running its closure (then `join` does not block).
    pub fn is_finished(&self) -> bool {
        // The thread drops its reference right after leaving the outcome.
        StdArc::strong_count(&self.outcome) == 1
    }
}

impl fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for ScopedJoinHandle<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedJoinHandle").finish_non_exhaustive()
    }
}
