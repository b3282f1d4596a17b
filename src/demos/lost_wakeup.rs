//! Bug 6: the shutdown flag is set without holding the queue's lock, so a worker sleeps
//! through shutdown (a lost wake-up).
//!
//! # The bug
//!
//! Not in the book: readers who move to a `Mutex<VecDeque<Job>>` and a `Condvar` often make
//! the shutdown flag an `AtomicBool` ("it is only a flag, it needs no lock"):
//!
//! ```text
//! // worker                                     // Drop
//! let mut jobs = shared.jobs.lock().unwrap();
//! while jobs.is_empty() {
//!     if shared.shutting_down.load(SeqCst) {
//!         return;
//!     }
//!                                               shared.shutting_down.store(true, SeqCst);
//!                                               shared.available.notify_all();
//!     jobs = shared.available.wait(jobs).unwrap();
//! }
//! ```
//!
//! # Why it fails
//!
//! The worker checks the flag and then goes to sleep, holding the lock in between, and
//! believes nothing can happen in that gap. But `Drop` does not take the lock, so it can set
//! the flag and notify right there, after the check and before the worker is waiting. A
//! notification reaches only threads already waiting, so it is lost; the worker then sleeps
//! forever, and `Drop` waits forever to join it. Every wait/notify pair needs the condition
//! to change under the same mutex the waiter holds while it checks.
//!
//! # How loom reports it
//!
//! Check `one_job_then_drop` of the checker ([`crate::check`]): `deadlock; threads = [...]`, in the
//! very first interleaving loom explores. There the worker loads the flag after `Drop` stored
//! it, yet nothing orders the load after the store (the lock was not involved), so the load
//! may still return `false`, and loom lets it: the worker goes to sleep after the only
//! notification. The textbook interleaving, the worker interrupted between its check and its
//! wait, needs one preemption and ends the same way.
//!
//! # The fix
//!
//! Change the flag while holding the lock (or keep it inside the mutex, with the queue), then
//! notify: a worker is then either before its check, and sees the flag, or already waiting,
//! and gets the notification. `webpool`'s [`ThreadPool`](crate::ThreadPool) closes its queue
//! and then takes and releases the parking lock before `notify_all`, so every sleeper either
//! saw the close or is woken.
//!
//! # Watch it live
//!
//! `webpool --pool lost-wakeup`, then `curl localhost:7878/shutdown`: usually the server
//! exits, but the window is a few instructions wide, so now and then it hangs for good; loom
//! finds that interleaving every time.
//!
//! # On the report card
//!
//! Row `lost-wakeup` of the verdict matrix (`checks/verdicts/verdicts.txt`, asserted by
//! `RUSTFLAGS="--cfg loom" cargo test --release -p webpool-verdicts`): this pool fails
//! `one_job_then_drop` (a deadlock), `rendezvous` (a deadlock), `panicking_job` (the scenario's
//! assertion), `drop_while_unwinding` (a panic in `Drop` during unwinding), `spurious_wakeup` (a
//! deadlock); `backlog_is_bounded` reads `design:unbounded` (a design finding, not a failure);
//! `waiting_jobs` reads `limit:0`. Row `lost-wakeup-fixed` is the same pool with only this page's
//! fix applied ([`LostWakeupFixedPool`]): it passes `one_job_then_drop`, `rendezvous` and
//! `spurious_wakeup` (and `waiting_jobs` reads `limit:1`), and still fails `panicking_job` and
//! `drop_while_unwinding`: a job's panic still kills its worker, and `Drop` unwraps its `join` (bug
//! 7, [`panic_kills_worker`](super::panic_kills_worker)), which the fix leaves in place. Its
//! counterexample for `one_job_then_drop`, as the card prints it (the `file:line`s are this
//! page's), and as the swimlane the checker draws from the same trace:
#![doc = concat!("\n```text\n", include_str!("../../docs/traces/lost-wakeup.one_job_then_drop.txt"), "```\n")]
#![doc = include_str!("../../docs/traces/lost-wakeup.one_job_then_drop.svg")]

use std::collections::VecDeque;

use super::BookPool;
use crate::sync::{thread, Arc, AtomicBool, Condvar, Mutex, Ordering};

/// A job: any closure the pool can run once on another thread.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// A pool on a `Mutex<VecDeque>` and a `Condvar`, with an atomic shutdown flag set without
/// the lock.
pub struct LostWakeupPool {
    /// What the pool and its workers share.
    shared: Arc<Shared>,
    /// The worker threads.
    workers: Vec<Worker>,
    /// Whether `Drop` sets the flag under the lock (the page's fix).
    fixed: bool,
}

/// The page's fix: [`LostWakeupPool`] whose `Drop` sets the shutdown flag while holding the
/// queue's lock. Its other bug stays: a job's panic still kills its worker.
pub struct LostWakeupFixedPool(LostWakeupPool);

/// The queue, the condition variable its workers sleep on, and the shutdown flag.
struct Shared {
    /// Jobs not yet taken, oldest first.
    jobs: Mutex<VecDeque<Job>>,
    /// Notified when a job is queued (one worker) and at shutdown (every worker).
    available: Condvar,
    /// Set once by `Drop`: finish the queue, then exit.
    shutting_down: AtomicBool,
}

/// A worker thread and its number.
struct Worker {
    /// The worker's number, for the book's messages.
    id: usize,
    /// The thread running the worker loop.
    thread: thread::JoinHandle<()>,
}

impl LostWakeupPool {
    /// Creates a pool of `size` workers sharing one queue.
    ///
    /// # Panics
    ///
    /// If `size` is zero.
    pub fn new(size: usize) -> LostWakeupPool {
        LostWakeupPool::with(size, false)
    }

    /// [`LostWakeupPool::new`], with the page's fix if `fixed`.
    fn with(size: usize, fixed: bool) -> LostWakeupPool {
        assert!(size > 0);

        let shared = Arc::new(Shared {
            jobs: Mutex::new(VecDeque::new()),
            available: Condvar::new(),
            shutting_down: AtomicBool::new(false),
        });
        let mut workers = Vec::with_capacity(size);
        for id in 0..size {
            workers.push(Worker::new(id, Arc::clone(&shared)));
        }

        LostWakeupPool {
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
        self.shared.jobs.lock().unwrap().push_back(Box::new(f));
        self.shared.available.notify_one();
    }
}

impl Drop for LostWakeupPool {
    /// Sets the shutdown flag, wakes every worker, and joins them.
    fn drop(&mut self) {
        // FIX: hold the lock the workers hold between checking the flag and waiting, so the
        // change falls before a worker's check (it sees the flag) or after its wait began (it
        // gets the notification).
        let jobs = self.fixed.then(|| self.shared.jobs.lock().unwrap());
        // BUG: unless fixed, the flag changes without the lock the workers hold between
        // checking it and waiting, so this store and notification can fall into that gap and
        // be lost.
        self.shared.shutting_down.store(true, Ordering::SeqCst);
        drop(jobs);
        self.shared.available.notify_all();

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
            let mut jobs = shared.jobs.lock().unwrap();
            while jobs.is_empty() {
                if shared.shutting_down.load(Ordering::SeqCst) {
                    narrate!("Worker {id} shutting down.");
                    return;
                }
                jobs = shared.available.wait(jobs).unwrap();
            }
            let job = jobs.pop_front().unwrap();
            drop(jobs);

            narrate!("Worker {id} got a job; executing.");
            job();
        });

        Worker { id, thread }
    }
}

impl BookPool for LostWakeupPool {
    fn new(size: usize) -> LostWakeupPool {
        LostWakeupPool::new(size)
    }

    fn execute<F>(&self, job: F)
    where
        F: FnOnce() + Send + 'static,
    {
        LostWakeupPool::execute(self, job);
    }
}

fixed_form!(LostWakeupFixedPool(LostWakeupPool));
