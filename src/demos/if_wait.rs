//! Bug 5: `if` instead of `while` around `Condvar::wait`.
//!
//! # The bug
//!
//! Not in the book: it appears when readers replace the book's channel with a
//! `Mutex<VecDeque<Job>>` and a `Condvar` (to add a shutdown flag, priorities, or a queue
//! length), and wait for work like this:
//!
//! ```text
//! let mut state = shared.state.lock().unwrap();
//! if state.jobs.is_empty() && !state.closed {
//!     state = shared.available.wait(state).unwrap();
//! }
//! if state.closed && state.jobs.is_empty() {
//!     break;
//! }
//! let job = state.jobs.pop_front().unwrap(); // "we were woken, so there is a job"
//! ```
//!
//! # Why it fails
//!
//! Being woken is not being handed a job. `execute` pushes a job and calls `notify_one`; the
//! woken worker must then take the lock again, and any other worker that gets there first (one
//! that just finished a job and never slept, say) takes the job. The woken worker then finds
//! the queue empty and unwraps `None`. (`std`'s condition variable may also wake a thread for
//! no reason at all, a spurious wake-up, with the same result.) It panics holding the lock, so
//! the lock is poisoned too: the next `execute` panics on it, and with it the server. The
//! condition must be checked again after every wake-up, which is what a `while` loop does.
//!
//! # How loom reports it
//!
//! Check `one_job_then_drop` of the checker ([`crate::check`]) (two workers, one job, then drop):
//! worker 0 sleeps, `execute` wakes it, worker 1 takes the job first, and worker 0 panics:
//! ``called `Option::unwrap()` on a `None` value``. Two preemptions reach it (one to let worker
//! 0 sleep before the job arrives, one to let worker 1 take it before the pool closes).
//!
//! # The fix
//!
//! `while state.jobs.is_empty() && !state.closed { state = wait(state) }`, or
//! `Condvar::wait_while`. `webpool`'s [`ThreadPool`](crate::ThreadPool) never trusts a
//! wake-up either: a sleeping worker counts the signals meant for it, treats any other wake-up
//! as spurious, and after every wake-up tries the queue again, expecting that it may be empty.
//!
//! # Watch it live
//!
//! `webpool --pool if-wait`, then bursts of requests, e.g.
//! `for i in $(seq 200); do curl -s localhost:7878/ >/dev/null & done`, a few times: sooner or
//! later a worker panics with ``called `Option::unwrap()` on a `None` value``, the poisoned
//! lock panics the accept loop, and the server aborts (the race needs a worker woken while
//! another is free, so it takes a burst to hit it).
//!
//! # On the report card
//!
//! Row `if-wait` of the verdict matrix (`checks/verdicts/verdicts.txt`, asserted by
//! `RUSTFLAGS="--cfg loom" cargo test --release -p webpool-verdicts`): this pool fails
//! `one_job_then_drop` (its `Drop` panics after a worker died of its own panic), `rendezvous` (its
//! `Drop` panics after a worker died of its own panic), `panicking_job` (the scenario's assertion),
//! `drop_while_unwinding` (a panic in `Drop` during unwinding), `spurious_wakeup` (its `Drop`
//! panics after a worker died of its own panic); `backlog_is_bounded` reads `design:unbounded` (a
//! design finding, not a failure); `waiting_jobs` reads `limit:1`. Row `if-wait-fixed` is the same
//! pool with only this page's fix applied ([`IfWaitFixedPool`]): it passes `one_job_then_drop`,
//! `rendezvous` and `spurious_wakeup`, and still fails `panicking_job` and `drop_while_unwinding`:
//! a job's panic still kills its worker, and `Drop` unwraps its `join` (bug 7,
//! [`panic_kills_worker`](super::panic_kills_worker)), which the fix leaves in place. Its
//! counterexample for `one_job_then_drop`, as the card prints it (the `file:line`s are this
//! page's), and as the swimlane the checker draws from the same trace:
#![doc = concat!("\n```text\n", include_str!("../../docs/traces/if-wait.one_job_then_drop.txt"), "```\n")]
#![doc = include_str!("../../docs/traces/if-wait.one_job_then_drop.svg")]

use std::collections::VecDeque;

use super::BookPool;
use crate::sync::{thread, Arc, Condvar, Mutex};

/// A job: any closure the pool can run once on another thread.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// A pool on a `Mutex<VecDeque>` and a `Condvar`, whose workers wait with `if`.
pub struct IfWaitPool {
    /// What the pool and its workers share.
    shared: Arc<Shared>,
    /// The worker threads.
    workers: Vec<Worker>,
}

/// The page's fix: [`IfWaitPool`] whose workers wait in a `while` loop. Its other bug stays:
/// a job's panic still kills its worker.
pub struct IfWaitFixedPool(IfWaitPool);

/// The queue and the condition variable its workers sleep on.
struct Shared {
    /// The jobs and the shutdown flag.
    state: Mutex<State>,
    /// Notified when a job is queued (one worker) and at shutdown (every worker).
    available: Condvar,
}

/// Guarded by `Shared::state`.
struct State {
    /// Jobs not yet taken, oldest first.
    jobs: VecDeque<Job>,
    /// Set once by `Drop`: finish the queue, then exit.
    closed: bool,
}

/// A worker thread and its number.
struct Worker {
    /// The worker's number, for the book's messages.
    id: usize,
    /// The thread running the worker loop.
    thread: thread::JoinHandle<()>,
}

impl IfWaitPool {
    /// Creates a pool of `size` workers sharing one queue.
    ///
    /// # Panics
    ///
    /// If `size` is zero.
    pub fn new(size: usize) -> IfWaitPool {
        IfWaitPool::with(size, false)
    }

    /// [`IfWaitPool::new`], with the page's fix if `fixed`.
    fn with(size: usize, fixed: bool) -> IfWaitPool {
        assert!(size > 0);

        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                closed: false,
            }),
            available: Condvar::new(),
        });
        let mut workers = Vec::with_capacity(size);
        for id in 0..size {
            workers.push(Worker::new(id, Arc::clone(&shared), fixed));
        }

        IfWaitPool { shared, workers }
    }

    /// Queues `f` and wakes one sleeping worker.
    pub fn execute<F>(&self, f: F)
    where
        F: FnOnce() + Send + 'static,
    {
        self.shared
            .state
            .lock()
            .unwrap()
            .jobs
            .push_back(Box::new(f));
        self.shared.available.notify_one();
    }
}

impl Drop for IfWaitPool {
    /// Sets the shutdown flag under the lock, wakes every worker, and joins them.
    fn drop(&mut self) {
        self.shared.state.lock().unwrap().closed = true;
        self.shared.available.notify_all();

        for worker in self.workers.drain(..) {
            narrate!("Shutting down worker {}", worker.id);
            worker.thread.join().unwrap();
        }
    }
}

impl Worker {
    /// Starts worker `id`, with the page's fix if `fixed`.
    fn new(id: usize, shared: Arc<Shared>, fixed: bool) -> Worker {
        let thread = thread::spawn(move || loop {
            let mut state = shared.state.lock().unwrap();
            // BUG: `if`, not `while`. A wake-up is a hint, not a job: by the time this thread
            // has the lock again, another worker may have taken the job it was woken for.
            if !fixed && state.jobs.is_empty() && !state.closed {
                state = shared.available.wait(state).unwrap();
            }
            // FIX: `while`: after every wake-up, the condition is checked again.
            while fixed && state.jobs.is_empty() && !state.closed {
                state = shared.available.wait(state).unwrap();
            }
            if state.closed && state.jobs.is_empty() {
                narrate!("Worker {id} shutting down.");
                break;
            }
            let job = state.jobs.pop_front().unwrap();
            drop(state);

            narrate!("Worker {id} got a job; executing.");
            job();
        });

        Worker { id, thread }
    }
}

impl BookPool for IfWaitPool {
    fn new(size: usize) -> IfWaitPool {
        IfWaitPool::new(size)
    }

    fn execute<F>(&self, job: F)
    where
        F: FnOnce() + Send + 'static,
    {
        IfWaitPool::execute(self, job);
    }
}

fixed_form!(IfWaitFixedPool(IfWaitPool));
