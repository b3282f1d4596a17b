//! Bug 4: the worker loop unwraps `recv()`, so closing the channel panics every worker.
//!
//! # The bug
//!
//! The Rust Book's worker loop, listing 21-20 (20-20 in the 2021 edition), unwraps what
//! `recv` returns. Listing 21-23 then fixes the shutdown order (drop the sender, then join),
//! which is this page's pool, and the unwrap is still there:
//!
//! ```text
//! let thread = thread::spawn(move || loop {
//!     let job = receiver.lock().unwrap().recv().unwrap();
//!     println!("Worker {id} got a job; executing.");
//!     job();
//! });
//! ```
//!
//! # Why it fails
//!
//! Closing the channel is exactly how `Drop` asks the workers to stop, and what each worker
//! sees then is `Err(RecvError)`, which it unwraps: every worker panics (and, since the guard
//! is still alive during that statement, poisons the lock for the others on its way out).
//! `Drop` then joins a panicked thread, gets `Err`, and unwraps that too, so dropping the pool
//! panics. A pool dropped while the program is already unwinding from another panic aborts the
//! process. The book stops here too, and fixes it in listing 21-24.
//!
//! # How loom reports it
//!
//! Check `one_job_then_drop` of the checker ([`crate::check`]) (two workers, one job, then
//! drop): the first worker to see the closed channel panics, and loom reports that panic,
//! ``called `Result::unwrap()` on an `Err` value: RecvError``. It needs no preemption.
//!
//! # The fix
//!
//! Treat `Err` as the signal it is: `match message { Ok(job) => job(), Err(_) => break }`
//! (listing 21-24). In `webpool`'s [`ThreadPool`](crate::ThreadPool) a worker exits when its
//! queue reports closed-and-empty, and `Drop` never panics: worker panics are caught inside
//! the worker, so a join cannot fail.
//!
//! # Watch it live
//!
//! `webpool --pool recv-unwrap`, then `curl localhost:7878/shutdown`: every worker panics with
//! `RecvError`, and the server dies with a panic in `Drop` (exit status 101); `--pool fixed`
//! exits cleanly.
//!
//! # On the report card
//!
//! Row `recv-unwrap` of the verdict matrix (`checks/verdicts/verdicts.txt`, asserted by
//! `RUSTFLAGS="--cfg loom" cargo test --release -p webpool-verdicts`): this pool fails
//! `one_job_then_drop` (its `Drop` panics after a worker died of its own panic), `rendezvous` (its
//! `Drop` panics after a worker died of its own panic), `panicking_job` (the scenario's assertion),
//! `drop_while_unwinding` (a panic in `Drop` during unwinding), `spurious_wakeup` (its `Drop`
//! panics after a worker died of its own panic); `backlog_is_bounded` reads `design:unbounded` (a
//! design finding, not a failure); `waiting_jobs` reads `limit:1`. Row `recv-unwrap-fixed` is the
//! same pool with only this page's fix applied ([`RecvUnwrapFixedPool`]): it passes
//! `one_job_then_drop`, `rendezvous` and `spurious_wakeup`, and still fails `panicking_job` and
//! `drop_while_unwinding`: it is the book's final pool, with bug 7
//! ([`panic_kills_worker`](super::panic_kills_worker)), which the fix leaves in place. Its
//! counterexample for `one_job_then_drop`, as the card prints it (the `file:line`s are this
//! page's), and as the swimlane the checker draws from the same trace:
#![doc = concat!("\n```text\n", include_str!("../../docs/traces/recv-unwrap.one_job_then_drop.txt"), "```\n")]
#![doc = include_str!("../../docs/traces/recv-unwrap.one_job_then_drop.svg")]

use super::BookPool;
use crate::sync::{mpsc, thread, Arc, Mutex};

/// A job: any closure the pool can run once on another thread.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// The book's thread pool as of listing 21-23: correct shutdown order, unwrapping workers.
pub struct RecvUnwrapPool {
    /// The worker threads.
    workers: Vec<Worker>,
    /// Sends jobs to the workers; dropped in `Drop` to close the channel.
    sender: Option<mpsc::Sender<Job>>,
}

/// The page's fix: [`RecvUnwrapPool`] whose workers leave their loop when `recv` fails
/// (listing 21-24's loop: the book's final pool). The book's other bugs stay: a job's panic
/// still kills its worker, and the channel is still unbounded.
pub struct RecvUnwrapFixedPool(RecvUnwrapPool);

/// A worker thread and its number.
struct Worker {
    /// The worker's number, for the book's messages.
    id: usize,
    /// The thread running the worker loop.
    thread: thread::JoinHandle<()>,
}

impl RecvUnwrapPool {
    /// Creates a pool of `size` workers sharing one channel.
    ///
    /// # Panics
    ///
    /// If `size` is zero.
    pub fn new(size: usize) -> RecvUnwrapPool {
        RecvUnwrapPool::with(size, false)
    }

    /// [`RecvUnwrapPool::new`], with the page's fix if `fixed`.
    fn with(size: usize, fixed: bool) -> RecvUnwrapPool {
        assert!(size > 0);

        let (sender, receiver) = mpsc::channel();
        let receiver = Arc::new(Mutex::new(receiver));
        let mut workers = Vec::with_capacity(size);
        for id in 0..size {
            workers.push(Worker::new(id, Arc::clone(&receiver), fixed));
        }

        RecvUnwrapPool {
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

impl Drop for RecvUnwrapPool {
    /// Closes the channel, then joins every worker.
    ///
    /// # Panics
    ///
    /// Always, once a worker has been started: closing the channel panics every worker (see
    /// the page's docs), and joining a panicked worker returns `Err`, which this unwraps. With
    /// the fix, only if a job panicked, which killed its worker.
    fn drop(&mut self) {
        drop(self.sender.take());

        for worker in self.workers.drain(..) {
            narrate!("Shutting down worker {}", worker.id);
            worker.thread.join().unwrap();
        }
    }
}

impl Worker {
    /// Starts worker `id` with listing 21-20's loop, or with listing 21-24's if `fixed`.
    fn new(id: usize, receiver: Arc<Mutex<mpsc::Receiver<Job>>>, fixed: bool) -> Worker {
        let thread = thread::spawn(move || loop {
            let job = if fixed {
                let message = receiver.lock().unwrap().recv();
                // FIX: `Err` is the shutdown signal, not a failure: leave the loop.
                let Ok(job) = message else {
                    narrate!("Worker {id} disconnected; shutting down.");
                    break;
                };
                job
            } else {
                // BUG: `recv` fails once the channel is closed, which is how `Drop` says
                // "stop"; unwrapping turns that into a panic in every worker.
                receiver.lock().unwrap().recv().unwrap()
            };

            narrate!("Worker {id} got a job; executing.");
            job();
        });

        Worker { id, thread }
    }
}

impl BookPool for RecvUnwrapPool {
    fn new(size: usize) -> RecvUnwrapPool {
        RecvUnwrapPool::new(size)
    }

    fn execute<F>(&self, job: F)
    where
        F: FnOnce() + Send + 'static,
    {
        RecvUnwrapPool::execute(self, job);
    }
}

fixed_form!(RecvUnwrapFixedPool(RecvUnwrapPool));
