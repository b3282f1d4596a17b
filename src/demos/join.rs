//! Bug 10: `join` returns before the jobs are done, or wakes only one of the threads joining.
//!
//! # The bug
//!
//! Pools that outlive a batch of jobs (threadpool, workerpool) offer `join`: wait until every
//! job submitted so far has finished, then go on using the pool. Two ways to get it wrong,
//! both in pools like this page's, on a `Mutex`-guarded queue and two `Condvar`s:
//!
//! ```text
//! // Too early: waits for the queue to empty, not for the jobs to finish.
//! fn join(&self) {
//!     let mut state = self.shared.state.lock().unwrap();
//!     while !state.jobs.is_empty() {
//!         state = self.shared.idle.wait(state).unwrap();
//!     }
//! }
//!
//! // One joiner: the last job's end wakes one waiting thread, not all of them.
//! if state.jobs.is_empty() && state.running == 0 {
//!     shared.idle.notify_one();
//! }
//! ```
//!
//! # Why it fails
//!
//! A job leaves the queue when a worker takes it, long before it ends: a `join` that waits for
//! an empty queue returns while the last jobs still run, and the caller reads results that are
//! not there yet. And `join` may be called from several threads at once (threadpool's own
//! tests do, and its `join_generation` exists for it): the moment the pool becomes idle is a
//! change every joiner must see, so `notify_one` leaves all but one asleep for good.
//!
//! # How the checker reports it
//!
//! Two checks of [`crate::check`], run for pools that have a `join` (`check_pool!`'s
//! `join = |pool| pool.join()`): `join_waits_for_jobs` (two workers, two jobs, then `join`:
//! both must have run when it returns) fails on [`JoinTooEarlyPool`] with the count it saw;
//! `joins_from_two_threads` (one job, then `join` from main and from a second thread at once:
//! both return, and the pool then runs a job submitted after them) deadlocks on
//! [`JoinWakesOnePool`], the second joiner asleep on the idle condvar.
//!
//! # The fix
//!
//! Count the jobs that are running as well as the queued ones, and wait for both to be zero:
//! `while !state.jobs.is_empty() || state.running > 0`; wake joiners with `notify_all`.
//!
//! # On the report card
//!
//! Rows `join-too-early` and `join-wakes-one` of the verdict matrix
//! (`checks/verdicts/verdicts.txt`), and `join-fixed`, the fix ([`JoinFixedPool`]), which
//! passes both. The book's server never joins its pool, so these have no live demo.

use std::collections::VecDeque;

use super::BookPool;
use crate::sync::{thread, Arc, Condvar, Mutex};

/// A job: any closure the pool can run once on another thread.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// Which of the page's two bugs a pool has.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bug {
    /// `join` waits for the queue to empty, not for the jobs to end.
    TooEarly,
    /// The last job's end wakes one joiner (`notify_one`).
    WakesOne,
    /// Neither: the page's fix.
    Fixed,
}

/// `join` returns once the queue is empty, while the last jobs may still run.
pub struct JoinTooEarlyPool(Pool);

/// `join` is right for one caller, but the pool wakes only one of several joiners.
pub struct JoinWakesOnePool(Pool);

/// The fix: `join` waits for queued and running jobs, and the pool wakes every joiner.
pub struct JoinFixedPool(Pool);

/// The pool both bugs share: a queue, a count of running jobs, and two condition variables.
struct Pool {
    /// What the pool and its workers share.
    shared: Arc<Shared>,
    /// The worker threads.
    workers: Vec<thread::JoinHandle<()>>,
}

/// The queue and the condition variables.
struct Shared {
    /// The jobs, the count of running ones, and the shutdown flag.
    state: Mutex<State>,
    /// Notified when a job is queued and at shutdown (the workers sleep on it).
    available: Condvar,
    /// Notified when the pool may have become idle (the joiners sleep on it).
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
    /// Set once by `Drop`: finish the queue, then exit.
    closed: bool,
}

impl Pool {
    fn new(size: usize, bug: Bug) -> Pool {
        assert!(size > 0);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                running: 0,
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

    fn execute(&self, job: Job) {
        self.shared.state.lock().unwrap().jobs.push_back(job);
        self.shared.available.notify_one();
    }

    fn join(&self) {
        let mut state = self.shared.state.lock().unwrap();
        loop {
            let done = match self.shared.bug {
                // BUG (too early): a job leaves the queue when it starts, not when it ends.
                Bug::TooEarly => state.jobs.is_empty(),
                Bug::WakesOne | Bug::Fixed => state.jobs.is_empty() && state.running == 0,
            };
            if done {
                return;
            }
            state = self.shared.idle.wait(state).unwrap();
        }
    }
}

/// A worker's loop: take a job, run it, tell the joiners when the pool may be idle.
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
            // The queue is empty: what the too-early join waits for.
            shared.idle.notify_all();
        }
        drop(state);
        job();
        let mut state = shared.state.lock().unwrap();
        state.running -= 1;
        if state.jobs.is_empty() && state.running == 0 {
            match shared.bug {
                Bug::TooEarly | Bug::Fixed => shared.idle.notify_all(),
                // BUG (wakes one): every joiner must see the pool go idle.
                Bug::WakesOne => {
                    shared.idle.notify_one();
                }
            }
        }
    }
}

impl Drop for Pool {
    /// Sets the shutdown flag under the lock, wakes every worker, and joins them.
    fn drop(&mut self) {
        self.shared.state.lock().unwrap().closed = true;
        self.shared.available.notify_all();
        for worker in self.workers.drain(..) {
            worker.join().unwrap();
        }
    }
}

/// The book's API for each of the page's pools, on the shared `Pool` with its bug.
macro_rules! book_pool_with {
    ($($pool:ident: $bug:expr),* $(,)?) => {$(
        impl BookPool for $pool {
            const JOINS: bool = true;

            fn new(size: usize) -> $pool {
                $pool(Pool::new(size, $bug))
            }

            fn execute<F>(&self, job: F)
            where
                F: FnOnce() + Send + 'static,
            {
                self.0.execute(Box::new(job));
            }

            fn join(&self) {
                self.0.join();
            }

            fn joiner(pool: &Arc<Self>) -> Option<crate::check::Job> {
                let pool = Arc::clone(pool);
                Some(Box::new(move || pool.join()))
            }
        }
    )*};
}

book_pool_with!(
    JoinTooEarlyPool: Bug::TooEarly,
    JoinWakesOnePool: Bug::WakesOne,
    JoinFixedPool: Bug::Fixed,
);
