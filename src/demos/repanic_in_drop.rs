//! Bug 9: `Drop` re-raises a job's panic, even while the owner's own panic unwinds.
//!
//! # The bug
//!
//! A reader fixes bug 7 ([`panic_kills_worker`](super::panic_kills_worker)) by catching each
//! job's panic, and then, not wanting a failure to pass unnoticed, reports it where the pool is
//! shut down, as `std::thread::scope` does when it joins:
//!
//! ```text
//! impl Drop for ThreadPool {
//!     fn drop(&mut self) {
//!         drop(self.sender.take());
//!         for worker in self.workers.drain(..) {
//!             worker.thread.join().unwrap();
//!         }
//!         if self.panicked.load(Ordering::SeqCst) {
//!             panic!("a job panicked");
//!         }
//!     }
//! }
//! ```
//!
//! # Why it fails
//!
//! `Drop` also runs while a panic unwinds: when the code that owns the pool panics, the pool
//! is dropped on the way out. A destructor that panics then is a panic during unwinding, and
//! Rust aborts the process ("panic in a destructor during cleanup"): no `catch_unwind`, no
//! other destructors, no clean shutdown, and the owner's first panic message is all that is
//! left. scoped-threadpool hit exactly this (its issue #13): a job's panic turned every later
//! failure of its owner into an abort.
//!
//! # How the checker reports it
//!
//! Check `drop_while_unwinding` ([`crate::check`]): one worker, a job that panics, then the
//! pool is dropped while its owner unwinds. This pool's `Drop` panics there, which the card
//! reports as the abort it would be. (loom runs all model threads on one OS thread, so the
//! owner's unwinding is simulated: `webpool::sync::thread::panicking()` returns `true` on the
//! owner's thread while the pool drops.) `panicking_job` passes: re-raising a job's panic in
//! an ordinary `Drop` is a legitimate design. (`backlog_is_bounded` fails too, as for every
//! pool on the book's unbounded channel.)
//!
//! # The fix
//!
//! Re-raise only when not already unwinding: `if panicked && !thread::panicking()`. Better
//! still, hand the failure back instead of panicking (a `shutdown(self) -> Result` or a
//! count, as `webpool`'s [`Stats::panicked`](crate::Stats::panicked)).
//!
//! # Watch it live
//!
//! `webpool --pool repanic-in-drop`, then an empty connection (`nc -z localhost 7878`: the
//! book's handler unwraps the missing request line and panics, and the worker survives it),
//! then `curl localhost:7878/shutdown`: the server stops by panicking in `Drop` (exit 101)
//! instead of exiting cleanly.
//!
//! # On the report card
//!
//! Row `repanic-in-drop` of the verdict matrix (`checks/verdicts/verdicts.txt`, asserted by
//! `RUSTFLAGS="--cfg loom" cargo test --release -p webpool-verdicts`): this pool fails
//! `drop_while_unwinding` (a panic in `Drop` during unwinding); it passes `one_job_then_drop`,
//! `rendezvous`, `panicking_job`, `spurious_wakeup`; `backlog_is_bounded` reads `design:unbounded`
//! (a design finding, not a failure); `waiting_jobs` reads `limit:1`. Row `repanic-in-drop-fixed`
//! is the same pool with only this page's fix applied ([`RepanicInDropFixedPool`]): it passes
//! `drop_while_unwinding`; `backlog_is_bounded` still reads `design:unbounded`, the book's
//! unbounded channel (bug 8, [`unbounded`](super::unbounded)), which the fix leaves in place. Its
//! counterexample for `drop_while_unwinding`, as the card prints it (the `file:line`s are this
//! page's), and as the swimlane the checker draws from the same trace:
#![doc = concat!("\n```text\n", include_str!("../../docs/traces/repanic-in-drop.drop_while_unwinding.txt"), "```\n")]
#![doc = include_str!("../../docs/traces/repanic-in-drop.drop_while_unwinding.svg")]

use super::BookPool;
use crate::sync::{mpsc, thread, Arc, AtomicBool, Mutex, Ordering};

/// A job: any closure the pool can run once on another thread.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// The book's final pool with bug 7 fixed, and bug 9 added: `Drop` re-raises a job's panic.
pub struct RepanicInDropPool {
    /// The worker threads.
    workers: Vec<Worker>,
    /// Sends jobs to the workers; dropped in `Drop` to close the channel.
    sender: Option<mpsc::Sender<Job>>,
    /// Set by a worker whose job panicked.
    panicked: Arc<AtomicBool>,
    /// Whether `Drop` re-raises only when not already unwinding (the page's fix).
    fixed: bool,
}

/// The page's fix: [`RepanicInDropPool`] whose `Drop` re-raises a job's panic only when its
/// owner is not already unwinding. Its other bug stays: the channel is still unbounded.
pub struct RepanicInDropFixedPool(RepanicInDropPool);

/// A worker thread and its number.
struct Worker {
    /// The worker's number, for the book's messages.
    id: usize,
    /// The thread running the worker loop.
    thread: thread::JoinHandle<()>,
}

impl RepanicInDropPool {
    /// Creates a pool of `size` workers sharing one channel.
    ///
    /// # Panics
    ///
    /// If `size` is zero.
    pub fn new(size: usize) -> RepanicInDropPool {
        RepanicInDropPool::with(size, false)
    }

    /// [`RepanicInDropPool::new`], with the page's fix if `fixed`.
    fn with(size: usize, fixed: bool) -> RepanicInDropPool {
        assert!(size > 0);

        let (sender, receiver) = mpsc::channel();
        let receiver = Arc::new(Mutex::new(receiver));
        let panicked = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::with_capacity(size);
        for id in 0..size {
            workers.push(Worker::new(
                id,
                Arc::clone(&receiver),
                Arc::clone(&panicked),
            ));
        }

        RepanicInDropPool {
            workers,
            sender: Some(sender),
            panicked,
            fixed,
        }
    }

    /// Sends `f` to the workers.
    ///
    /// # Panics
    ///
    /// If every worker is gone (never, here: a job's panic is caught).
    pub fn execute<F>(&self, f: F)
    where
        F: FnOnce() + Send + 'static,
    {
        let job = Box::new(f);
        self.sender.as_ref().unwrap().send(job).unwrap();
    }
}

impl Drop for RepanicInDropPool {
    /// Closes the channel, joins every worker, then re-raises if a job panicked.
    ///
    /// # Panics
    ///
    /// If a job panicked, even while the owner is already unwinding (that is the bug; with the
    /// fix, only when it is not).
    fn drop(&mut self) {
        drop(self.sender.take());

        for worker in self.workers.drain(..) {
            narrate!("Shutting down worker {}", worker.id);
            worker.thread.join().unwrap();
        }

        // BUG: unless fixed, no `!thread::panicking()` here. During unwinding this panic
        // aborts.
        // FIX: re-raise only when the owner is not already unwinding.
        if self.panicked.load(Ordering::SeqCst) && (!self.fixed || !thread::panicking()) {
            panic!("a job panicked");
        }
    }
}

impl Worker {
    /// Starts worker `id`: the book's final loop, with each job's panic caught and noted.
    fn new(
        id: usize,
        receiver: Arc<Mutex<mpsc::Receiver<Job>>>,
        panicked: Arc<AtomicBool>,
    ) -> Worker {
        let thread = thread::spawn(move || loop {
            let message = receiver.lock().unwrap().recv();

            match message {
                Ok(job) => {
                    narrate!("Worker {id} got a job; executing.");
                    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                        panicked.store(true, Ordering::SeqCst);
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

impl BookPool for RepanicInDropPool {
    fn new(size: usize) -> RepanicInDropPool {
        RepanicInDropPool::new(size)
    }

    fn execute<F>(&self, job: F)
    where
        F: FnOnce() + Send + 'static,
    {
        RepanicInDropPool::execute(self, job);
    }
}

fixed_form!(RepanicInDropFixedPool(RepanicInDropPool));
