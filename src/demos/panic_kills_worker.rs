//! Bug 7: a panicking job kills its worker (the book's final code).
//!
//! # The bug
//!
//! The Rust Book's finished pool (listing 21-24, 20-24 in the 2021 edition, and the chapter's
//! final code) runs each job directly on the worker's stack:
//!
//! ```text
//! let message = receiver.lock().unwrap().recv();
//! match message {
//!     Ok(job) => job(),
//!     Err(_) => break,
//! }
//! ```
//!
//! and the book's `handle_connection`, which every job runs, unwraps freely:
//! `buf_reader.lines().next().unwrap().unwrap()`.
//!
//! # Why it fails
//!
//! Nothing catches a panic in `job()`, so it unwinds the worker's thread and the worker is
//! gone, silently, for good. A client that connects and sends nothing (a port scanner, a
//! browser's speculative connection, `nc -z`) makes `lines().next()` return `None`, and the
//! unwrap panics: with four workers, four empty connections leave no worker at all. The jobs
//! still queued are dropped unrun with the channel's receiver, and the next `execute` finds
//! the channel closed and panics in the accept loop, taking the server down. `Drop` would
//! panic as well, unwrapping the dead workers' `join`.
//!
//! # How loom reports it
//!
//! Check `panicking_job` of the checker ([`crate::check`]) (one worker; a job that panics, then
//! a job that must still run): the job's panic ends its worker, as on real threads, nothing
//! replaces it, and `Drop` returns with job B never run. The card names the fix because the
//! trace shows this bug's mechanism: the worker exits by job A's panic, and no thread is
//! started after it. No preemption is needed.
//!
//! # The fix
//!
//! Run each job inside [`std::panic::catch_unwind`], so a failing job fails alone, and decide
//! what a panic means (`webpool` counts it in [`Stats::panicked`](crate::Stats::panicked)).
//! Catch the payload's own destructor too: it may panic as well. Never hold a lock while a
//! job runs, or its panic poisons the lock for every other worker.
//!
//! # Watch it live
//!
//! `webpool --pool panic-kills-worker --threads 4`, then four empty connections
//! (`for i in 1 2 3 4; do nc -z localhost 7878; done`), then `curl localhost:7878/`: no answer,
//! and the server dies. `--pool fixed` logs the four panics and answers.
//!
//! # On the report card
//!
//! Row `panic-kills-worker` of the verdict matrix (`checks/verdicts/verdicts.txt`, asserted by
//! `RUSTFLAGS="--cfg loom" cargo test --release -p webpool-verdicts`): this pool fails
//! `panicking_job` (the scenario's assertion), `drop_while_unwinding` (a panic in `Drop` during
//! unwinding); it passes `one_job_then_drop`, `rendezvous`, `spurious_wakeup`; `backlog_is_bounded`
//! reads `design:unbounded` (a design finding, not a failure); `waiting_jobs` reads `limit:1`. Row
//! `panic-kills-worker-fixed` is the same pool with only this page's fix applied
//! ([`PanicKillsWorkerFixedPool`]): it passes `panicking_job`, and `drop_while_unwinding` as well
//! (no worker dies, so no `join` fails in `Drop`); `backlog_is_bounded` still reads
//! `design:unbounded`, the book's unbounded channel (bug 8, [`unbounded`](super::unbounded)), which
//! the fix leaves in place. Its counterexample for `panicking_job`, as the card prints it (the
//! `file:line`s are this page's), and as the swimlane the checker draws from the same trace:
#![doc = concat!("\n```text\n", include_str!("../../docs/traces/panic-kills-worker.panicking_job.txt"), "```\n")]
#![doc = include_str!("../../docs/traces/panic-kills-worker.panicking_job.svg")]

use std::panic::{self, AssertUnwindSafe};

use super::BookPool;
use crate::sync::{mpsc, thread, Arc, Mutex};

/// A job: any closure the pool can run once on another thread.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// The Rust Book's final thread pool: correct shutdown, but no protection from panics.
pub struct PanicKillsWorkerPool {
    /// The worker threads.
    workers: Vec<Worker>,
    /// Sends jobs to the workers; dropped in `Drop` to close the channel.
    sender: Option<mpsc::Sender<Job>>,
}

/// The page's fix: [`PanicKillsWorkerPool`] whose workers run each job inside `catch_unwind`,
/// so a panicking job fails alone. Its other bug stays: the channel is still unbounded.
pub struct PanicKillsWorkerFixedPool(PanicKillsWorkerPool);

/// A worker thread and its number.
struct Worker {
    /// The worker's number, for the book's messages.
    id: usize,
    /// The thread running the worker loop.
    thread: thread::JoinHandle<()>,
}

impl PanicKillsWorkerPool {
    /// Creates a pool of `size` workers sharing one channel.
    ///
    /// # Panics
    ///
    /// If `size` is zero.
    pub fn new(size: usize) -> PanicKillsWorkerPool {
        PanicKillsWorkerPool::with(size, false)
    }

    /// [`PanicKillsWorkerPool::new`], with the page's fix if `fixed`.
    fn with(size: usize, fixed: bool) -> PanicKillsWorkerPool {
        assert!(size > 0);

        let (sender, receiver) = mpsc::channel();
        let receiver = Arc::new(Mutex::new(receiver));
        let mut workers = Vec::with_capacity(size);
        for id in 0..size {
            workers.push(Worker::new(id, Arc::clone(&receiver), fixed));
        }

        PanicKillsWorkerPool {
            workers,
            sender: Some(sender),
        }
    }

    /// Sends `f` to the workers.
    ///
    /// # Panics
    ///
    /// If every worker is gone (the channel's receiver was dropped), as happens once as many
    /// jobs have panicked as there were workers (never with the fix).
    pub fn execute<F>(&self, f: F)
    where
        F: FnOnce() + Send + 'static,
    {
        let job = Box::new(f);
        self.sender.as_ref().unwrap().send(job).unwrap();
    }
}

impl Drop for PanicKillsWorkerPool {
    /// Closes the channel, then joins every worker.
    ///
    /// # Panics
    ///
    /// If a job panicked (never with the fix): its worker's `join` returns `Err`, which this
    /// unwraps.
    fn drop(&mut self) {
        drop(self.sender.take());

        for worker in self.workers.drain(..) {
            narrate!("Shutting down worker {}", worker.id);
            worker.thread.join().unwrap();
        }
    }
}

impl Worker {
    /// Starts worker `id` with the book's final loop, with the page's fix if `fixed`.
    fn new(id: usize, receiver: Arc<Mutex<mpsc::Receiver<Job>>>, fixed: bool) -> Worker {
        let thread = thread::spawn(move || loop {
            let message = receiver.lock().unwrap().recv();

            match message {
                Ok(job) => {
                    narrate!("Worker {id} got a job; executing.");
                    if !fixed {
                        // BUG: nothing catches a panic here; it unwinds this thread and the
                        // worker is gone.
                        job();
                    } else if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(job)) {
                        // FIX: the job's panic ends here, and the worker takes the next job.
                        narrate!("Worker {id}: the job panicked; carrying on.");
                        // The payload's own destructor may panic too: catch that as well.
                        let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
                    }
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

impl BookPool for PanicKillsWorkerPool {
    fn new(size: usize) -> PanicKillsWorkerPool {
        PanicKillsWorkerPool::new(size)
    }

    fn execute<F>(&self, job: F)
    where
        F: FnOnce() + Send + 'static,
    {
        PanicKillsWorkerPool::execute(self, job);
    }
}

fixed_form!(PanicKillsWorkerFixedPool(PanicKillsWorkerPool));
