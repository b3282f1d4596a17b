//! Bug 11: a scoped pool's scope returns before its jobs end, or re-raises a job's panic while
//! its owner unwinds.
//!
//! # The bug
//!
//! A scoped pool (scoped_threadpool, crossbeam's and std's scoped threads) runs jobs that may
//! borrow what the caller owns: `pool.scoped(|scope| scope.execute(|| v.push(1)))`. Its whole
//! promise is the scope's end: when `scoped` returns, every job of the scope has finished, so
//! nothing it borrowed is used after. Two ways the end goes wrong, both in pools like this
//! page's, on a `Mutex`-guarded queue and two `Condvar`s:
//!
//! ```text
//! // Too early: waits for the queue to empty, not for the jobs to finish.
//! impl Drop for Scope<'_> {
//!     fn drop(&mut self) {
//!         let mut state = self.pool.shared.state.lock().unwrap();
//!         while !state.jobs.is_empty() {
//!             state = self.pool.shared.idle.wait(state).unwrap();
//!         }
//!     }
//! }
//!
//! // Re-raises a job's panic even while the scope's owner is already unwinding.
//! if state.panicked {
//!     panic!("a job of the scope panicked");
//! }
//! ```
//!
//! # Why it fails
//!
//! A job leaves the queue when a worker takes it, long before it ends: a scope that waits for
//! an empty queue returns while the last jobs still run. With borrowed jobs that is a use
//! after free, the one thing a scoped pool must never allow (this page's pools take `'static`
//! jobs, so here it is only a wrong answer).
//!
//! The scope ends in a `Drop` (it must: the body may panic, and the jobs must still be waited
//! for). If the body panics after a job did, the scope's end runs during the unwinding, and a
//! second panic there aborts the process. scoped_threadpool 0.1.9's `join_all` panics on a
//! dead worker from `Scope::drop` this way (see the zoo in the README).
//!
//! # How the checker reports it
//!
//! Scoped pools are checked with `check_pool!`'s `scoped = |pool, body| ...`: every scenario
//! runs inside scopes, and `scope_waits_for_jobs` (two workers, two jobs in a scope: both
//! must have run when it returns; then a second scope runs a job too) fails on
//! [`ScopeTooEarlyPool`] with the count it saw. `drop_while_unwinding` ends the scope while
//! main unwinds (simulated), after job A panicked: [`ScopeRepanicsPool`]'s end panics, which
//! would abort.
//!
//! # The fix
//!
//! Count the running jobs as well as the queued ones and wait for both to be zero; catch each
//! job's panic in its worker, and re-raise it at the scope's end only when
//! `thread::panicking()` is false ([`ScopedFixedPool`]).
//!
//! # On the report card
//!
//! Rows `scope-too-early`, `scope-repanics` and `scope-fixed` of the verdict matrix
//! (`checks/verdicts/verdicts.txt`). The book's server never scopes its pool, so these have
//! no live demo.

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};

use super::BookPool;
use crate::check::{Job, ScopeBody};
use crate::sync::{thread, Arc, Condvar, Mutex};

/// Which of the page's two bugs a pool has.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bug {
    /// The scope's end waits for the queue to empty, not for the jobs to end.
    TooEarly,
    /// The scope's end re-raises a job's panic even while its owner unwinds.
    Repanics,
    /// Neither: the page's fix.
    Fixed,
}

/// The scope's end returns once the queue is empty, while the last jobs may still run.
pub struct ScopeTooEarlyPool(Pool);

/// The scope's end waits for every job, but re-raises a job's panic even during an unwinding.
pub struct ScopeRepanicsPool(Pool);

/// The fix: the scope's end waits for queued and running jobs, and re-raises a job's panic
/// only when its owner is not unwinding already.
pub struct ScopedFixedPool(Pool);

/// The pool the bugs share: a queue, a count of running jobs, and two condition variables.
struct Pool {
    /// What the pool and its workers share.
    shared: Arc<Shared>,
    /// The worker threads.
    workers: Vec<thread::JoinHandle<()>>,
}

/// The queue and the condition variables.
struct Shared {
    /// The jobs, the count of running ones, whether one panicked, and the shutdown flag.
    state: Mutex<State>,
    /// Notified when a job is queued and at shutdown (the workers sleep on it).
    available: Condvar,
    /// Notified when the scope's jobs may all be done (the scope's end sleeps on it).
    idle: Condvar,
    /// Which bug this pool has.
    bug: Bug,
}

/// Guarded by `Shared::state`.
struct State {
    /// Jobs not yet taken, oldest first.
    jobs: VecDeque<Job>,
    /// Jobs taken and not yet finished.
    running: usize,
    /// Whether a job of the current scope panicked.
    panicked: bool,
    /// Set once by `Drop`: finish the queue, then exit.
    closed: bool,
}

/// One scope of a [`Pool`]: jobs go in through [`Scope::execute`], and its `Drop`, which runs
/// when the scope's body returns or unwinds, waits for them.
struct Scope<'pool> {
    /// The pool, borrowed mutably for the scope as scoped pools do (one scope at a time).
    pool: &'pool mut Pool,
}

impl Pool {
    fn new(size: usize, bug: Bug) -> Pool {
        assert!(size > 0);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                running: 0,
                panicked: false,
                closed: false,
            }),
            available: Condvar::new(),
            idle: Condvar::new(),
            bug,
        });
        let workers = (0..size)
            .map(|_| {
                let shared = Arc::clone(&shared);
                thread::spawn(move || work(&shared))
            })
            .collect();
        Pool { shared, workers }
    }

    /// Runs `body` with a scope; returns once the scope's end has waited for its jobs.
    fn scoped<R>(&mut self, body: impl FnOnce(&Scope<'_>) -> R) -> R {
        let scope = Scope { pool: self };
        body(&scope)
    }
}

impl Scope<'_> {
    fn execute(&self, job: Job) {
        let shared = &self.pool.shared;
        shared.state.lock().unwrap().jobs.push_back(job);
        shared.available.notify_one();
    }
}

impl Drop for Scope<'_> {
    /// The scope's end: waits for its jobs, then re-raises a job's panic.
    fn drop(&mut self) {
        let shared = &self.pool.shared;
        let mut state = shared.state.lock().unwrap();
        loop {
            let done = match shared.bug {
                // BUG (too early): a job leaves the queue when it starts, not when it ends.
                Bug::TooEarly => state.jobs.is_empty(),
                Bug::Repanics | Bug::Fixed => state.jobs.is_empty() && state.running == 0,
            };
            if done {
                break;
            }
            state = shared.idle.wait(state).unwrap();
        }
        let panicked = std::mem::take(&mut state.panicked);
        drop(state);
        // BUG (repanics): during an unwinding this second panic aborts the process.
        if panicked && (shared.bug == Bug::Repanics || !thread::panicking()) {
            panic!("a job of the scope panicked");
        }
    }
}

/// A worker's loop: take a job, run it catching its panic, tell the scope when it may be done.
fn work(shared: &Shared) {
    loop {
        let mut state = shared.state.lock().unwrap();
        while state.jobs.is_empty() && !state.closed {
            state = shared.available.wait(state).unwrap();
        }
        let Some(job) = state.jobs.pop_front() else {
            return;
        };
        state.running += 1;
        if shared.bug == Bug::TooEarly && state.jobs.is_empty() {
            // The queue is empty: what the too-early scope waits for.
            shared.idle.notify_all();
        }
        drop(state);
        let result = panic::catch_unwind(AssertUnwindSafe(job));
        let mut state = shared.state.lock().unwrap();
        state.running -= 1;
        state.panicked |= result.is_err();
        if state.jobs.is_empty() && state.running == 0 {
            shared.idle.notify_all();
        }
    }
}

impl Drop for Pool {
    /// Sets the shutdown flag under the lock, wakes every worker, and joins them (a worker
    /// catches its jobs' panics, so its join cannot fail).
    fn drop(&mut self) {
        self.shared.state.lock().unwrap().closed = true;
        self.shared.available.notify_all();
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

/// The checker's API for each of the page's pools: jobs go in through a scope only.
macro_rules! scoped_pool_with {
    ($($pool:ident: $bug:expr),* $(,)?) => {$(
        impl BookPool for $pool {
            const SCOPED: bool = true;

            fn new(size: usize) -> $pool {
                $pool(Pool::new(size, $bug))
            }

            /// # Panics
            ///
            /// Always: a scoped pool takes jobs inside a scope ([`BookPool::scope`]).
            fn execute<F>(&self, _job: F)
            where
                F: FnOnce() + Send + 'static,
            {
                panic!("a scoped pool takes jobs inside a scope only");
            }

            fn scope(&mut self, body: &mut ScopeBody<'_>) {
                self.0.scoped(|scope| body(&|job| scope.execute(job)));
            }
        }
    )*};
}

scoped_pool_with!(
    ScopeTooEarlyPool: Bug::TooEarly,
    ScopeRepanicsPool: Bug::Repanics,
    ScopedFixedPool: Bug::Fixed,
);

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Submits `jobs` jobs into one scope of `pool`, each bumping `ran`.
    fn scope_of(pool: &mut impl BookPool, ran: &Arc<AtomicUsize>, jobs: usize) {
        pool.scope(&mut |submit| {
            for _ in 0..jobs {
                let ran = Arc::clone(ran);
                submit(Box::new(move || {
                    ran.fetch_add(1, Ordering::SeqCst);
                }));
            }
        });
    }

    #[test]
    fn the_fixed_scope_waits_for_its_jobs_and_the_pool_outlives_it() {
        let mut pool = ScopedFixedPool::new(4);
        let ran = Arc::new(AtomicUsize::new(0));
        for scope in 1..=3 {
            scope_of(&mut pool, &ran, 16);
            assert_eq!(ran.load(Ordering::SeqCst), 16 * scope);
        }
    }

    #[test]
    fn the_fixed_scope_re_raises_a_jobs_panic_and_the_pool_runs_on() {
        let mut pool = ScopedFixedPool::new(1);
        let ended = panic::catch_unwind(AssertUnwindSafe(|| {
            pool.scope(&mut |submit| submit(Box::new(|| panic!("a job panics"))));
        }));
        assert!(ended.is_err(), "the scope's end re-raises the job's panic");
        let ran = Arc::new(AtomicUsize::new(0));
        scope_of(&mut pool, &ran, 2);
        assert_eq!(ran.load(Ordering::SeqCst), 2);
    }
}
