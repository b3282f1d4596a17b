//! Bug 6b: shutdown wakes one worker where every worker must wake.
//!
//! # The bug
//!
//! Not in the book: a `Mutex` + `Condvar` pool that gets the flag right (it lives under the
//! lock, with the queue) but announces shutdown the way it announces a job:
//!
//! ```text
//! self.shared.state.lock().unwrap().closed = true;
//! self.shared.available.notify_one();
//! ```
//!
//! # Why it fails
//!
//! A job needs one worker; shutdown needs all of them. `notify_one` wakes a single sleeping
//! worker, which sees the flag and exits without passing the news on; every other idle worker
//! sleeps on, and `Drop` waits forever to join it. It works whenever at most one worker is
//! asleep at shutdown, which is why it survives casual testing.
//!
//! # How loom reports it
//!
//! Check `one_job_then_drop` of the checker ([`crate::check`]) (two workers): once both workers are
//! asleep when the pool is dropped, `deadlock; threads = [...]`.
//!
//! # The fix
//!
//! `notify_all` for a state change every waiter must see. `webpool`'s
//! [`ThreadPool`](crate::ThreadPool) wakes everyone at close, and each worker that leaves
//! wakes everyone again, so a worker that went back to sleep in between is not forgotten.
//!
//! # Watch it live
//!
//! `webpool --pool notify-one --threads 4`, then `curl localhost:7878/shutdown`: the server
//! prints `Shutting down worker 0`, then hangs, with three workers still asleep.
//!
//! # On the report card
//!
//! Row `notify-one` of the verdict matrix (`checks/verdicts/verdicts.txt`, asserted by
//! `RUSTFLAGS="--cfg loom" cargo test --release -p webpool-verdicts`): this pool fails
//! `one_job_then_drop` (a deadlock), `rendezvous` (a deadlock), `panicking_job` (the scenario's
//! assertion), `drop_while_unwinding` (a panic in `Drop` during unwinding); it passes
//! `spurious_wakeup`; `backlog_is_bounded` reads `design:unbounded` (a design finding, not a
//! failure); `waiting_jobs` reads `limit:0`. Row `notify-one-fixed` is the same pool with only this
//! page's fix applied ([`NotifyOneFixedPool`]): it passes `one_job_then_drop` and `rendezvous` (and
//! `waiting_jobs` reads `limit:1`), and still fails `panicking_job` and `drop_while_unwinding`: a
//! job's panic still kills its worker, and `Drop` unwraps its `join` (bug 7,
//! [`panic_kills_worker`](super::panic_kills_worker)), which the fix leaves in place. Its
//! counterexample for `one_job_then_drop`, as the card prints it (the `file:line`s are this
//! page's), and as the swimlane the checker draws from the same trace:
#![doc = concat!("\n```text\n", include_str!("../../docs/traces/notify-one.one_job_then_drop.txt"), "```\n")]
#![doc = include_str!("../../docs/traces/notify-one.one_job_then_drop.svg")]

use std::collections::VecDeque;

use super::BookPool;
use crate::sync::{thread, Arc, Condvar, Mutex};

/// A job: any closure the pool can run once on another thread.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// A pool on a `Mutex<VecDeque>` and a `Condvar` whose `Drop` wakes only one worker.
pub struct NotifyOnePool {
    /// What the pool and its workers share.
    shared: Arc<Shared>,
    /// The worker threads.
    workers: Vec<Worker>,
    /// Whether `Drop` wakes every worker (the page's fix).
    fixed: bool,
}

/// The page's fix: [`NotifyOnePool`] whose `Drop` wakes every worker with `notify_all`. Its
/// other bug stays: a job's panic still kills its worker.
pub struct NotifyOneFixedPool(NotifyOnePool);

/// The queue and the condition variable its workers sleep on.
struct Shared {
    /// The jobs and the shutdown flag.
    state: Mutex<State>,
    /// Notified when a job is queued, and (too sparingly) at shutdown.
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

impl NotifyOnePool {
    /// Creates a pool of `size` workers sharing one queue.
    ///
    /// # Panics
    ///
    /// If `size` is zero.
    pub fn new(size: usize) -> NotifyOnePool {
        NotifyOnePool::with(size, false)
    }

    /// [`NotifyOnePool::new`], with the page's fix if `fixed`.
    fn with(size: usize, fixed: bool) -> NotifyOnePool {
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
            workers.push(Worker::new(id, Arc::clone(&shared)));
        }

        NotifyOnePool {
            shared,
            workers,
            fixed,
        }
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

impl Drop for NotifyOnePool {
    /// Sets the shutdown flag under the lock, wakes one worker (every worker, if fixed), and
    /// joins them all.
    fn drop(&mut self) {
        self.shared.state.lock().unwrap().closed = true;
        if self.fixed {
            // FIX: a change every sleeping worker must see wakes them all.
            self.shared.available.notify_all();
        } else {
            // BUG: every sleeping worker must see the flag, but this wakes only one of them.
            self.shared.available.notify_one();
        }

        for worker in self.workers.drain(..) {
            narrate!("Shutting down worker {}", worker.id);
            worker.thread.join().unwrap();
        }
    }
}

impl Worker {
    /// Starts worker `id`.
    fn new(id: usize, shared: Arc<Shared>) -> Worker {
        let thread = thread::spawn(move || loop {
            let mut state = shared.state.lock().unwrap();
            while state.jobs.is_empty() {
                if state.closed {
                    narrate!("Worker {id} shutting down.");
                    return;
                }
                state = shared.available.wait(state).unwrap();
            }
            let job = state.jobs.pop_front().unwrap();
            drop(state);

            narrate!("Worker {id} got a job; executing.");
            job();
        });

        Worker { id, thread }
    }
}

impl BookPool for NotifyOnePool {
    fn new(size: usize) -> NotifyOnePool {
        NotifyOnePool::new(size)
    }

    fn execute<F>(&self, job: F)
    where
        F: FnOnce() + Send + 'static,
    {
        NotifyOnePool::execute(self, job);
    }
}

fixed_form!(NotifyOneFixedPool(NotifyOnePool));
