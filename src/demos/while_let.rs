//! Bug 1: `while let` holds the receiver's lock for the whole job.
//!
//! # The bug
//!
//! The Rust Book's listing 21-21 (20-21 in the 2021 edition) offers this worker loop as an
//! alternative to its `loop`, and then explains why it does not work:
//!
//! ```text
//! while let Ok(job) = receiver.lock().unwrap().recv() {
//!     println!("Worker {id} got a job; executing.");
//!     job();
//! }
//! ```
//!
//! # Why it fails
//!
//! The temporaries of a `while let` (or `if let`, or `match`) scrutinee live until the end of
//! the block it controls. Here the temporary is the `MutexGuard` that `lock()` returned, so the
//! worker still holds the receiver's lock while `job()` runs. Every other worker waits for
//! that lock, idle, with jobs queued: the pool runs one job at a time. Worse, a job that waits
//! for another job (a rendezvous: a request that waits for another request) waits forever,
//! because the job it waits for can never be received.
//!
//! # How loom reports it
//!
//! Check `rendezvous` of the checker ([`crate::check`]): two workers, job A waits for a signal
//! that job B sends. loom reports `deadlock; threads = [...]`: A waits for the signal, the
//! other worker waits for the lock, and the pool's `Drop` waits to join them. It needs no
//! preemption at all: whichever worker receives A holds the lock from then on.
//!
//! # The fix
//!
//! Receive in a statement of its own, so the guard is dropped at its `;` before the job runs:
//! `let message = receiver.lock().unwrap().recv();` (listing 21-24). `webpool`'s
//! [`ThreadPool`](crate::ThreadPool) has no lock on the job path at all: workers take jobs
//! from a lock-free ring and hold nothing while a job runs.
//!
//! # Watch it live
//!
//! `webpool --pool while-let`, then `curl localhost:7878/hold` in one terminal and
//! `curl localhost:7878/release` in another: neither returns (with `--pool fixed` both do).
//! Interrupt the first `curl`; its job gives up, lets go of the lock, and the second returns.
//!
//! # On the report card
//!
//! Row `while-let` of the verdict matrix (`checks/verdicts/verdicts.txt`, asserted by
//! `RUSTFLAGS="--cfg loom" cargo test --release -p webpool-verdicts`): this pool fails `rendezvous`
//! (a deadlock), `panicking_job` (the scenario's assertion), `drop_while_unwinding` (a panic in
//! `Drop` during unwinding); it passes `one_job_then_drop`, `spurious_wakeup`; `backlog_is_bounded`
//! reads `design:unbounded` (a design finding, not a failure); `waiting_jobs` reads `limit:0`. Row
//! `while-let-fixed` is the same pool with only this page's fix applied ([`WhileLetFixedPool`]): it
//! passes `rendezvous` (and `waiting_jobs` reads `limit:1`), and still fails `panicking_job` and
//! `drop_while_unwinding`: the book's bug 7 ([`panic_kills_worker`](super::panic_kills_worker)),
//! which the fix leaves in place. Its counterexample for `rendezvous`, as the card prints it (the
//! `file:line`s are this page's), and as the swimlane the checker draws from the same trace:
#![doc = concat!("\n```text\n", include_str!("../../docs/traces/while-let.rendezvous.txt"), "```\n")]
#![doc = include_str!("../../docs/traces/while-let.rendezvous.svg")]

use super::BookPool;
use crate::sync::{mpsc, thread, Arc, Mutex};

/// A job: any closure the pool can run once on another thread.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// The book's thread pool with listing 21-21's `while let` worker loop.
pub struct WhileLetPool {
    /// The worker threads.
    workers: Vec<Worker>,
    /// Sends jobs to the workers; dropped in `Drop` to close the channel.
    sender: Option<mpsc::Sender<Job>>,
}

/// The page's fix: [`WhileLetPool`] whose workers receive in a statement of their own
/// (listing 21-24), so no lock is held while a job runs. The book's other bugs stay: a job's
/// panic still kills its worker, and the channel is still unbounded.
pub struct WhileLetFixedPool(WhileLetPool);

/// A worker thread and its number.
struct Worker {
    /// The worker's number, for the book's messages.
    id: usize,
    /// The thread running the worker loop.
    thread: thread::JoinHandle<()>,
}

impl WhileLetPool {
    /// Creates a pool of `size` workers sharing one channel.
    ///
    /// # Panics
    ///
    /// If `size` is zero.
    pub fn new(size: usize) -> WhileLetPool {
        WhileLetPool::with(size, false)
    }

    /// [`WhileLetPool::new`], with the page's fix if `fixed`.
    fn with(size: usize, fixed: bool) -> WhileLetPool {
        assert!(size > 0);

        let (sender, receiver) = mpsc::channel();
        let receiver = Arc::new(Mutex::new(receiver));
        let mut workers = Vec::with_capacity(size);
        for id in 0..size {
            workers.push(Worker::new(id, Arc::clone(&receiver), fixed));
        }

        WhileLetPool {
            workers,
            sender: Some(sender),
        }
    }

    /// Sends `f` to the workers.
    ///
    /// # Panics
    ///
    /// If every worker is gone (the channel's receiver was dropped).
    pub fn execute<F>(&self, f: F)
    where
        F: FnOnce() + Send + 'static,
    {
        let job = Box::new(f);
        self.sender.as_ref().unwrap().send(job).unwrap();
    }
}

impl Drop for WhileLetPool {
    /// Closes the channel, then joins every worker (the book's correct order).
    fn drop(&mut self) {
        drop(self.sender.take());

        for worker in self.workers.drain(..) {
            narrate!("Shutting down worker {}", worker.id);
            worker.thread.join().unwrap();
        }
    }
}

impl Worker {
    /// Starts worker `id`, with the page's fix if `fixed`.
    fn new(id: usize, receiver: Arc<Mutex<mpsc::Receiver<Job>>>, fixed: bool) -> Worker {
        let thread = thread::spawn(move || {
            if !fixed {
                // BUG: the `MutexGuard` from `lock()` is a temporary of the scrutinee, so it
                // lives until the end of the loop body: the lock is held while `job()` runs.
                while let Ok(job) = receiver.lock().unwrap().recv() {
                    narrate!("Worker {id} got a job; executing.");
                    job();
                }
                return;
            }
            loop {
                // FIX: receive in a statement of its own (listing 21-24): the guard is a
                // temporary of this `let`, dropped at its `;`, before `job()` runs.
                let message = receiver.lock().unwrap().recv();
                let Ok(job) = message else {
                    break;
                };
                narrate!("Worker {id} got a job; executing.");
                job();
            }
        });

        Worker { id, thread }
    }
}

impl BookPool for WhileLetPool {
    fn new(size: usize) -> WhileLetPool {
        WhileLetPool::new(size)
    }

    fn execute<F>(&self, job: F)
    where
        F: FnOnce() + Send + 'static,
    {
        WhileLetPool::execute(self, job);
    }
}

fixed_form!(WhileLetFixedPool(WhileLetPool));
