//! Bug 3: `Drop` joins the workers before closing the channel.
//!
//! # The bug
//!
//! The Rust Book's first graceful shutdown, listing 21-22 (20-22 in the 2021 edition), joins
//! every worker when the pool is dropped, while the pool still owns the sender:
//!
//! ```text
//! impl Drop for ThreadPool {
//!     fn drop(&mut self) {
//!         for worker in self.workers.drain(..) {
//!             println!("Shutting down worker {}", worker.id);
//!             worker.thread.join().unwrap();
//!         }
//!     }
//! }
//! ```
//!
//! # Why it fails
//!
//! A worker only leaves its loop when `recv` fails, and `recv` only fails once every sender
//! is gone. The pool's `sender` is a field, and fields are dropped after `drop` returns, so
//! while `drop` waits for the first worker to finish, the channel is still open and the worker
//! waits for a job that never comes. `drop` never returns: the program hangs at shutdown. (The
//! book says so: "the main thread would block forever, waiting for the first thread to
//! finish".) This page's worker loop is already the book's correct one, listing 21-24's, so
//! the ordering is the only bug here.
//!
//! # How loom reports it
//!
//! Check `one_job_then_drop` of the checker ([`crate::check`]) (two workers, one job, then the
//! pool is dropped): `deadlock; threads = [...]`, the caller waiting to join and every worker
//! waiting in `recv`. No preemption is needed.
//!
//! # The fix
//!
//! Close the channel first, then join: `drop(self.sender.take())` before the loop, with the
//! sender in an `Option` (listing 21-23). `webpool`'s [`ThreadPool`](crate::ThreadPool) closes
//! its queue (a bit in the ring's tail), wakes every sleeping worker, and only then joins.
//!
//! # Watch it live
//!
//! `webpool --pool join-before-close`, then `curl localhost:7878/shutdown`: the server prints
//! `Shutting down worker 0` and never exits (with `--pool fixed` it exits at once).
//!
//! # On the report card
//!
//! Row `join-before-close` of the verdict matrix (`checks/verdicts/verdicts.txt`, asserted by
//! `RUSTFLAGS="--cfg loom" cargo test --release -p webpool-verdicts`): this pool fails
//! `one_job_then_drop` (a deadlock), `rendezvous` (a deadlock), `panicking_job` (the scenario's
//! assertion), `drop_while_unwinding` (a panic in `Drop` during unwinding), `spurious_wakeup` (a
//! deadlock); `backlog_is_bounded` reads `design:unbounded` (a design finding, not a failure);
//! `waiting_jobs` reads `limit:0`. Row `join-before-close-fixed` is the same pool with only this
//! page's fix applied ([`JoinBeforeCloseFixedPool`]): it passes `one_job_then_drop`, `rendezvous`
//! and `spurious_wakeup` (and `waiting_jobs` reads `limit:1`), and still fails `panicking_job` and
//! `drop_while_unwinding`: it is the book's final pool, with bug 7
//! ([`panic_kills_worker`](super::panic_kills_worker)), which the fix leaves in place. Its
//! counterexample for `one_job_then_drop`, as the card prints it (the `file:line`s are this
//! page's), and as the swimlane the checker draws from the same trace:
#![doc = concat!("\n```text\n", include_str!("../../docs/traces/join-before-close.one_job_then_drop.txt"), "```\n")]
#![doc = include_str!("../../docs/traces/join-before-close.one_job_then_drop.svg")]

use super::BookPool;
use crate::sync::{mpsc, thread, Arc, Mutex};

/// A job: any closure the pool can run once on another thread.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// The book's thread pool with listing 21-22's `Drop`, which joins before it closes.
pub struct JoinBeforeClosePool {
    /// The worker threads.
    workers: Vec<Worker>,
    /// Sends jobs to the workers. Dropped only after `Drop::drop` returns: too late (the
    /// fix takes it out and drops it first).
    sender: Option<mpsc::Sender<Job>>,
    /// Whether `Drop` closes the channel before joining (the page's fix).
    fixed: bool,
}

/// The page's fix: [`JoinBeforeClosePool`] whose `Drop` closes the channel, then joins
/// (listing 21-23). The book's other bugs stay: a job's panic still kills its worker, and the
/// channel is still unbounded.
pub struct JoinBeforeCloseFixedPool(JoinBeforeClosePool);

/// A worker thread and its number.
struct Worker {
    /// The worker's number, for the book's messages.
    id: usize,
    /// The thread running the worker loop.
    thread: thread::JoinHandle<()>,
}

impl JoinBeforeClosePool {
    /// Creates a pool of `size` workers sharing one channel.
    ///
    /// # Panics
    ///
    /// If `size` is zero.
    pub fn new(size: usize) -> JoinBeforeClosePool {
        JoinBeforeClosePool::with(size, false)
    }

    /// [`JoinBeforeClosePool::new`], with the page's fix if `fixed`.
    fn with(size: usize, fixed: bool) -> JoinBeforeClosePool {
        assert!(size > 0);

        let (sender, receiver) = mpsc::channel();
        let receiver = Arc::new(Mutex::new(receiver));
        let mut workers = Vec::with_capacity(size);
        for id in 0..size {
            workers.push(Worker::new(id, Arc::clone(&receiver)));
        }

        JoinBeforeClosePool {
            workers,
            sender: Some(sender),
            fixed,
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

impl Drop for JoinBeforeClosePool {
    /// Joins every worker. Never returns: see the page's docs (the fix closes the channel
    /// first, and returns).
    fn drop(&mut self) {
        if self.fixed {
            // FIX: close the channel first: once it is empty, every worker's `recv` fails.
            drop(self.sender.take());
        }
        // BUG: unless fixed, `self.sender` is still alive here, so no worker's `recv` ever
        // fails and the first `join` waits forever.
        for worker in self.workers.drain(..) {
            narrate!("Shutting down worker {}", worker.id);
            worker.thread.join().unwrap();
        }
    }
}

impl Worker {
    /// Starts worker `id` with the book's final (correct) loop.
    fn new(id: usize, receiver: Arc<Mutex<mpsc::Receiver<Job>>>) -> Worker {
        let thread = thread::spawn(move || loop {
            let message = receiver.lock().unwrap().recv();

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

impl BookPool for JoinBeforeClosePool {
    fn new(size: usize) -> JoinBeforeClosePool {
        JoinBeforeClosePool::new(size)
    }

    fn execute<F>(&self, job: F)
    where
        F: FnOnce() + Send + 'static,
    {
        JoinBeforeClosePool::execute(self, job);
    }
}

fixed_form!(JoinBeforeCloseFixedPool(JoinBeforeClosePool));
