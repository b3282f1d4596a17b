//! Bug 2: a named guard holds the receiver's lock for the whole job.
//!
//! # The bug
//!
//! Readers who learn from listing 21-21 (20-21 in the 2021 edition) that `while let` keeps the
//! lock often "fix" it by giving the guard a name, to make its lifetime explicit:
//!
//! ```text
//! loop {
//!     let guard = receiver.lock().unwrap();
//!     let message = guard.recv();
//!     match message {
//!         Ok(job) => job(),
//!         Err(_) => break,
//!     }
//! }
//! ```
//!
//! # Why it fails
//!
//! It is the same bug, spelled differently. A named `let` binding lives to the end of its
//! block, which here is the whole loop body, so the lock is held while `job()` runs. The book
//! points this out right after listing 21-21: its own `let job =
//! receiver.lock().unwrap().recv()` works only because there the guard is a *temporary*,
//! dropped at the end of the `let` statement. Every other worker waits for the lock, and a job
//! that waits for another job waits forever.
//!
//! # How loom reports it
//!
//! Check `rendezvous` of the checker ([`crate::check`]) (job A waits for a signal job B sends):
//! loom reports `deadlock; threads = [...]`, with no preemption needed.
//!
//! # The fix
//!
//! Drop the guard before running the job: receive in a statement of its own (listing 21-24),
//! or end the guard's scope with a block or an explicit `drop(guard)`. `webpool`'s
//! [`ThreadPool`](crate::ThreadPool) holds no lock while a job runs.
//!
//! # Watch it live
//!
//! `webpool --pool named-guard`; then `/hold` and `/release` as for
//! [`while_let`](super::while_let).
//!
//! # On the report card
//!
//! Row `named-guard` of the verdict matrix (`checks/verdicts/verdicts.txt`, asserted by
//! `RUSTFLAGS="--cfg loom" cargo test --release -p webpool-verdicts`): this pool fails `rendezvous`
//! (a deadlock), `panicking_job` (the scenario's assertion), `drop_while_unwinding` (a panic in
//! `Drop` during unwinding); it passes `one_job_then_drop`, `spurious_wakeup`; `backlog_is_bounded`
//! reads `design:unbounded` (a design finding, not a failure); `waiting_jobs` reads `limit:0`. Row
//! `named-guard-fixed` is the same pool with only this page's fix applied
//! ([`NamedGuardFixedPool`]): it passes `rendezvous` (and `waiting_jobs` reads `limit:1`), and
//! still fails `panicking_job` and `drop_while_unwinding`: the book's bug 7
//! ([`panic_kills_worker`](super::panic_kills_worker)), which the fix leaves in place. Its
//! counterexample for `rendezvous`, as the card prints it (the `file:line`s are this page's), and
//! as the swimlane the checker draws from the same trace:
#![doc = concat!("\n```text\n", include_str!("../../docs/traces/named-guard.rendezvous.txt"), "```\n")]
#![doc = include_str!("../../docs/traces/named-guard.rendezvous.svg")]

use super::BookPool;
use crate::sync::{mpsc, thread, Arc, Mutex};

/// A job: any closure the pool can run once on another thread.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// The book's thread pool, whose worker keeps its `MutexGuard` in a named variable.
pub struct NamedGuardPool {
    /// The worker threads.
    workers: Vec<Worker>,
    /// Sends jobs to the workers; dropped in `Drop` to close the channel.
    sender: Option<mpsc::Sender<Job>>,
}

/// The page's fix: [`NamedGuardPool`] whose workers drop the guard before running the job.
/// The book's other bugs stay: a job's panic still kills its worker, and the channel is still
/// unbounded.
pub struct NamedGuardFixedPool(NamedGuardPool);

/// A worker thread and its number.
struct Worker {
    /// The worker's number, for the book's messages.
    id: usize,
    /// The thread running the worker loop.
    thread: thread::JoinHandle<()>,
}

impl NamedGuardPool {
    /// Creates a pool of `size` workers sharing one channel.
    ///
    /// # Panics
    ///
    /// If `size` is zero.
    pub fn new(size: usize) -> NamedGuardPool {
        NamedGuardPool::with(size, false)
    }

    /// [`NamedGuardPool::new`], with the page's fix if `fixed`.
    fn with(size: usize, fixed: bool) -> NamedGuardPool {
        assert!(size > 0);

        let (sender, receiver) = mpsc::channel();
        let receiver = Arc::new(Mutex::new(receiver));
        let mut workers = Vec::with_capacity(size);
        for id in 0..size {
            workers.push(Worker::new(id, Arc::clone(&receiver), fixed));
        }

        NamedGuardPool {
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

impl Drop for NamedGuardPool {
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
        let thread = thread::spawn(move || loop {
            // BUG: `guard` lives until the end of the loop body, so the lock is held while
            // `job()` runs, exactly as with `while let`.
            let guard = receiver.lock().unwrap();
            let message = guard.recv();
            if fixed {
                // FIX: the job is out of the channel; let go of the lock before running it.
                drop(guard);
            }

            match message {
                Ok(job) => {
                    narrate!("Worker {id} got a job; executing.");
                    job();
                }
                Err(_) => {
                    narrate!("Worker {id} disconnected; shutting down.");
                    break;
                }
            }
        });

        Worker { id, thread }
    }
}

impl BookPool for NamedGuardPool {
    fn new(size: usize) -> NamedGuardPool {
        NamedGuardPool::new(size)
    }

    fn execute<F>(&self, job: F)
    where
        F: FnOnce() + Send + 'static,
    {
        NamedGuardPool::execute(self, job);
    }
}

fixed_form!(NamedGuardFixedPool(NamedGuardPool));
