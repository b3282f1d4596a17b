//! Bug 8: no back-pressure. An unbounded queue, or a thread per connection, lets a burst of
//! connections take all the memory (and file descriptors) there is.
//!
//! # The bug
//!
//! The Rust Book's pool queues jobs on `mpsc::channel()` (listing 21-19, 20-19 in the 2021
//! edition), which is unbounded: `execute` never waits and never refuses. The book's first
//! multithreaded server (listing 21-11) is worse, and says so: a new thread per connection.
//!
//! ```text
//! let (sender, receiver) = mpsc::channel();   // the pool: an unbounded queue
//!
//! for stream in listener.incoming() {          // listing 21-11: a thread per connection
//!     let stream = stream.unwrap();
//!     thread::spawn(|| handle_connection(stream));
//! }
//! ```
//!
//! # Why it fails
//!
//! The accept loop accepts as fast as clients connect, and every accepted connection becomes
//! a queued job holding an open socket and its buffers (or a whole thread, with its stack).
//! When clients arrive faster than the workers finish, for a moment or because the work is
//! slow (`/sleep`), the backlog grows without limit: memory and file descriptors run out,
//! `accept` starts failing, and every queued client waits behind all the others, long after
//! it gave up. A thread pool exists to bound the work in progress; an unbounded queue in front
//! of it just moves the unbounded part. The book's own text warns about this for listing 21-11
//! (a flood of requests "could wreak havoc"), and the pool only limits the threads.
//!
//! # How it is shown
//!
//! [`UnboundedPool::queued`] and [`ThreadPerConnection::threads`] count the backlog.
//! `tests/pools/demos.rs` blocks the workers and submits thousands of jobs: every `execute` returns
//! at once, the count (and the memory the jobs hold) grows with every one, while
//! [`ThreadPool::try_execute`](crate::ThreadPool::try_execute) reports `Full` at the queue's
//! capacity. loom confirms it in check `backlog_is_bounded` (of [`crate::check`]): with the
//! only worker blocked, a producer's three submissions all return, and the model's assertion
//! fails.
//!
//! # The fix
//!
//! Bound the queue, and decide what a full queue means. `webpool`'s
//! [`ThreadPool`](crate::ThreadPool) has a fixed capacity (256 jobs per thread by default):
//! `execute` waits for room, and `try_execute` hands the job back so a server can answer
//! `503 Service Unavailable` at once instead of queueing work it cannot do.
//!
//! # Watch it live
//!
//! `webpool --pool unbounded --threads 1`, then
//! `for i in $(seq 500); do curl -s localhost:7878/sleep >/dev/null & done`: the server
//! accepts all 500 at once and holds them; the last answer comes 500 sleeps later. With
//! `--pool thread-per-connection`, watch `ps -o nlwp= -p $(pgrep webpool)` count 500 threads.
//!
//! # On the report card
//!
//! Row `unbounded` of the verdict matrix (`checks/verdicts/verdicts.txt`, asserted by
//! `RUSTFLAGS="--cfg loom" cargo test --release -p webpool-verdicts`) (`thread-per-connection`, the
//! other pool of this page, fails every check but `drop_while_unwinding`: it joins no thread, so
//! `Drop` returns before the jobs ran, and `backlog_is_bounded` starts more threads than loom can
//! model): this pool fails `panicking_job` (the scenario's assertion), `drop_while_unwinding` (a
//! panic in `Drop` during unwinding); it passes `one_job_then_drop`, `rendezvous`,
//! `spurious_wakeup`; `backlog_is_bounded` reads `design:unbounded` (a design finding, not a
//! failure); `waiting_jobs` reads `limit:1`. Row `unbounded-fixed` is the same pool with only this
//! page's fix applied ([`UnboundedFixedPool`]): it passes `backlog_is_bounded` (with one worker its
//! channel holds one job, so `execute` waits before the third is queued), and still fails
//! `panicking_job` and `drop_while_unwinding`: the book's bug 7
//! ([`panic_kills_worker`](super::panic_kills_worker)), which the fix leaves in place. Its
//! counterexample for `backlog_is_bounded`, as the card prints it (the `file:line`s are this
//! page's), and as the swimlane the checker draws from the same trace:
#![doc = concat!("\n```text\n", include_str!("../../docs/traces/unbounded.backlog_is_bounded.txt"), "```\n")]
#![doc = include_str!("../../docs/traces/unbounded.backlog_is_bounded.svg")]

use super::BookPool;
use crate::sync::{mpsc, thread, Arc, AtomicUsize, Mutex, Ordering};

/// A job: any closure the pool can run once on another thread.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// The book's final thread pool, plus a counter of the jobs waiting in its unbounded queue.
pub struct UnboundedPool {
    /// The worker threads.
    workers: Vec<Worker>,
    /// Sends jobs to the workers; dropped in `Drop` to close the channel.
    sender: Option<Sender>,
    /// Jobs sent and not yet received by a worker.
    queued: Arc<AtomicUsize>,
}

/// The page's fix: [`UnboundedPool`] on a channel bounded by the number of workers, so
/// `execute` waits while that many jobs are queued. The book's other bug stays: a job's panic
/// still kills its worker.
pub struct UnboundedFixedPool(UnboundedPool);

/// The pool's end of its channel: the book's unbounded one, or the fix's bounded one.
enum Sender {
    /// From `mpsc::channel()`: `send` never waits.
    Unbounded(mpsc::Sender<Job>),
    /// From `mpsc::sync_channel(size)`: `send` waits while `size` jobs are queued.
    Bounded(mpsc::SyncSender<Job>),
}

impl Sender {
    /// Sends `job`; fails only once the receiver is gone.
    #[track_caller]
    fn send(&self, job: Job) -> Result<(), mpsc::SendError<Job>> {
        match self {
            Sender::Unbounded(sender) => sender.send(job),
            Sender::Bounded(sender) => sender.send(job),
        }
    }
}

/// A worker thread and its number.
struct Worker {
    /// The worker's number, for the book's messages.
    id: usize,
    /// The thread running the worker loop.
    thread: thread::JoinHandle<()>,
}

impl UnboundedPool {
    /// Creates a pool of `size` workers sharing one unbounded channel.
    ///
    /// # Panics
    ///
    /// If `size` is zero.
    pub fn new(size: usize) -> UnboundedPool {
        UnboundedPool::with(size, false)
    }

    /// [`UnboundedPool::new`], with the page's fix if `fixed`.
    fn with(size: usize, fixed: bool) -> UnboundedPool {
        assert!(size > 0);

        let (sender, receiver) = if fixed {
            // FIX: a bounded channel; `execute` waits while `size` jobs are queued.
            let (sender, receiver) = mpsc::sync_channel(size);
            (Sender::Bounded(sender), receiver)
        } else {
            // BUG: `channel()` is unbounded: `execute` never waits, however many are queued.
            let (sender, receiver) = mpsc::channel();
            (Sender::Unbounded(sender), receiver)
        };
        let receiver = Arc::new(Mutex::new(receiver));
        let queued = Arc::new(AtomicUsize::new(0));
        let mut workers = Vec::with_capacity(size);
        for id in 0..size {
            workers.push(Worker::new(id, Arc::clone(&receiver), Arc::clone(&queued)));
        }

        UnboundedPool {
            workers,
            sender: Some(sender),
            queued,
        }
    }

    /// Sends `f` to the workers. Never waits, however many jobs are already queued (with the
    /// fix, waits while as many jobs are queued as there are workers).
    ///
    /// # Panics
    ///
    /// If every worker is gone (the channel's receiver was dropped).
    pub fn execute<F>(&self, f: F)
    where
        F: FnOnce() + Send + 'static,
    {
        let job = Box::new(f);
        // BUG: unless fixed, nothing bounds this count; the channel grows to hold every job
        // sent.
        self.queued.fetch_add(1, Ordering::SeqCst);
        self.sender.as_ref().unwrap().send(job).unwrap();
    }

    /// Jobs queued and not yet taken by a worker: the backlog the pool holds in memory.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
    }
}

impl Drop for UnboundedPool {
    /// Closes the channel, then joins every worker (the book's final `Drop`).
    fn drop(&mut self) {
        drop(self.sender.take());

        for worker in self.workers.drain(..) {
            narrate!("Shutting down worker {}", worker.id);
            worker.thread.join().unwrap();
        }
    }
}

impl Worker {
    /// Starts worker `id` with the book's final loop, counting each job it takes.
    fn new(
        id: usize,
        receiver: Arc<Mutex<mpsc::Receiver<Job>>>,
        queued: Arc<AtomicUsize>,
    ) -> Worker {
        let thread = thread::spawn(move || loop {
            let message = receiver.lock().unwrap().recv();

            match message {
                Ok(job) => {
                    queued.fetch_sub(1, Ordering::SeqCst);
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

impl BookPool for UnboundedPool {
    fn new(size: usize) -> UnboundedPool {
        UnboundedPool::new(size)
    }

    fn execute<F>(&self, job: F)
    where
        F: FnOnce() + Send + 'static,
    {
        UnboundedPool::execute(self, job);
    }
}

fixed_form!(UnboundedFixedPool(UnboundedPool));

/// Listing 21-11 behind the book's API: `execute` spawns a new thread for every job.
///
/// Like the listing, it never joins its threads: dropping it waits for nothing.
pub struct ThreadPerConnection {
    /// Threads started and not yet finished.
    running: Arc<AtomicUsize>,
}

impl ThreadPerConnection {
    /// Creates the "pool". `size` is ignored: there is no limit, which is the bug.
    pub fn new(size: usize) -> ThreadPerConnection {
        let _ = size;
        ThreadPerConnection {
            running: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Runs `f` on a new thread.
    ///
    /// # Panics
    ///
    /// If the operating system refuses to start another thread, as `thread::spawn` does.
    pub fn execute<F>(&self, f: F)
    where
        F: FnOnce() + Send + 'static,
    {
        // BUG: one thread per job, with no limit.
        let running = Finished::count(&self.running);
        thread::spawn(move || {
            let _running = running;
            f();
        });
    }

    /// Threads started and not yet finished: one per job in progress, without limit.
    pub fn threads(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }
}

/// Counts one running thread, until dropped (even by a panic).
struct Finished(Arc<AtomicUsize>);

impl Finished {
    /// Adds one to `running`; dropping the result takes it away again.
    fn count(running: &Arc<AtomicUsize>) -> Finished {
        running.fetch_add(1, Ordering::SeqCst);
        Finished(Arc::clone(running))
    }
}

impl Drop for Finished {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl BookPool for ThreadPerConnection {
    fn new(size: usize) -> ThreadPerConnection {
        ThreadPerConnection::new(size)
    }

    fn execute<F>(&self, job: F)
    where
        F: FnOnce() + Send + 'static,
    {
        ThreadPerConnection::execute(self, job);
    }
}
