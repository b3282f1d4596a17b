//! A bounded thread pool: the Rust Book's `ThreadPool`, made safe, fast and model-checked.
//!
//! Design. Jobs wait in a bounded lock-free ring (`pool/ring.rs`); small closures are stored in it
//! inline, without a `Box` (`pool/job.rs`). Submitting a job is one compare-and-swap on the ring's
//! tail, taking one is one on its head: no lock is on the hot path, and no lock is ever held
//! while a job runs, so a slow or blocked job never blocks the queue and a panicking job
//! (caught with `catch_unwind`, counted, and survived) can never poison anything.
//!
//! Sleeping is the slow path. A worker that finds the ring empty yields the CPU a few times (never
//! busy-spins: `pool/backoff.rs`), then sleeps on the workers' wait list; a producer that pushed a
//! job wakes one only if a sleeper is registered. Producers facing a full ring sleep on a second
//! wait list, woken the same way by a worker that frees a slot. Both are one type
//! (`pool/wait_list.rs`), whose Dekker-style handshake leaves no sleeper behind work and lets a
//! busy pool make no futex calls at all.
//!
//! Shutdown closes the ring (a bit in its tail, set atomically, so a concurrent submission either made it into the ring and will run, or is refused), wakes everyone, lets the workers
//! drain the ring, and joins them, skipping the calling thread when a job shuts its own pool
//! down. The ring is built from shim atomics rather than `mpsc` so that loom can check
//! shutdown too: loom's channel never reports disconnection.

mod backoff;
mod builder;
mod cache_padded;
mod error;
mod job;
mod ring;
mod shared;
mod wait_list;

use std::fmt;

use crate::sync::{thread, Arc};
use job::Job;
use ring::{Pop, PushError};
use shared::Shared;

pub use builder::Builder;
pub use error::{ExecuteError, PoolCreationError, TryExecuteError};

/// A fixed set of worker threads running jobs from a bounded queue.
///
/// # Examples
///
/// ```
/// # if webpool::MODEL_CHECKING { return; }
/// use std::sync::mpsc;
/// use webpool::ThreadPool;
///
/// let pool = ThreadPool::new(4);
/// let (done_tx, done_rx) = mpsc::channel();
/// for n in 0..8 {
///     let done_tx = done_tx.clone();
///     pool.execute(move || done_tx.send(n * n).unwrap()).unwrap();
/// }
/// let stats = pool.shutdown(); // runs everything already queued, then joins the workers
/// assert_eq!(stats.completed, 8);
/// drop(done_tx);
/// let mut squares: Vec<i32> = done_rx.iter().collect();
/// squares.sort();
/// assert_eq!(squares, [0, 1, 4, 9, 16, 25, 36, 49]);
/// ```
pub struct ThreadPool {
    /// State shared with the workers.
    shared: Arc<Shared>,
    /// One handle per worker, joined at shutdown.
    workers: Vec<thread::JoinHandle<()>>,
}

/// A pool's counters.
///
/// Read while jobs run, the fields are not taken at one instant: a job moving from one stage
/// to the next during the read may be missed, but is never counted twice. Once the pool is
/// idle (and in the value [`ThreadPool::shutdown`] returns) they are exact, and
/// `queued + running + completed + panicked` is every job ever accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Jobs accepted and waiting for a worker.
    pub queued: usize,
    /// Jobs a worker has taken and not yet finished.
    pub running: usize,
    /// Jobs that returned normally.
    pub completed: u64,
    /// Jobs that panicked (the panic was caught; the worker lived on).
    pub panicked: u64,
}

/// Who waits on one of a pool's wait lists now (see [`Waiters`]).
#[cfg(shuttle)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListWaiters {
    /// Threads snoozing now (under shuttle a snooze is one look, then sleep): the list's count
    /// of snoozers, which its cap (`Builder::snoozers`) bounds.
    pub snoozing: usize,
    /// Threads asleep now that no waker has signalled yet.
    pub asleep: usize,
}

/// Who waits on a pool's wait lists now, from [`ThreadPool::waiters`] (shuttle builds only).
#[cfg(shuttle)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Waiters {
    /// Workers waiting for a job.
    pub workers: ListWaiters,
    /// Producers waiting for room in a full queue.
    pub producers: ListWaiters,
}

impl ThreadPool {
    /// Creates a pool with `size` worker threads and the default queue capacity
    /// (256 jobs per thread).
    ///
    /// # Panics
    ///
    /// The `new` function will panic if the size is zero, as in the book; it also panics if
    /// the operating system refuses to start a thread. [`ThreadPool::build`] reports both as
    /// errors instead.
    pub fn new(size: usize) -> ThreadPool {
        assert!(size > 0, "a ThreadPool needs at least one thread");
        match ThreadPool::build(size) {
            Ok(pool) => pool,
            Err(err) => panic!("failed to build a ThreadPool of {size} threads: {err}"),
        }
    }

    /// Creates a pool with `size` worker threads and the default queue capacity.
    ///
    /// # Errors
    ///
    /// [`PoolCreationError::ZeroThreads`] if `size` is zero; [`PoolCreationError::Spawn`] if a
    /// thread could not be started (the threads already started are shut down first).
    pub fn build(size: usize) -> Result<ThreadPool, PoolCreationError> {
        Builder::new().threads(size).build()
    }

    /// Queues `job` to run on a worker thread.
    ///
    /// When the queue is full this waits for room (back-pressure); use
    /// [`try_execute`](ThreadPool::try_execute) to never wait.
    ///
    /// # Errors
    ///
    /// [`ExecuteError::ShutDown`] if the pool is shutting down (before or while this call
    /// waited for room); `job` is handed back inside, unrun.
    pub fn execute<F>(&self, job: F) -> Result<(), ExecuteError<F>>
    where
        F: FnOnce() + Send + 'static,
    {
        self.shared.push(Job::new(job)).map_err(|job| {
            // SAFETY: the queue handed back the `Job` built from this `F` just above.
            ExecuteError::ShutDown(unsafe { job.into_closure() })
        })
    }

    /// Queues `job` if there is room right now; never waits.
    ///
    /// # Errors
    ///
    /// Hands `job` back, unrun: [`TryExecuteError::Full`] when the queue is at capacity (a
    /// server answers 503), [`TryExecuteError::ShutDown`] when the pool is shutting down.
    /// `Full` also comes, for a moment, when the slot the queue fills next is still being
    /// emptied by a worker that has just taken its job, however few jobs are queued: the queue
    /// is a ring, and a worker paused at that point holds its slot until it runs again.
    /// [`execute`](ThreadPool::execute) waits that moment out.
    pub fn try_execute<F>(&self, job: F) -> Result<(), TryExecuteError<F>>
    where
        F: FnOnce() + Send + 'static,
    {
        self.shared
            .try_push(Job::new(job))
            .map_err(|refused| match refused {
                // SAFETY: the queue handed back the `Job` built from this `F` just above.
                PushError::Full(job) => TryExecuteError::Full(unsafe { job.into_closure() }),
                // SAFETY: as above.
                PushError::Closed(job) => TryExecuteError::ShutDown(unsafe { job.into_closure() }),
            })
    }

    /// The pool's counters (see [`Stats`] for how exact they are while jobs run).
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Jobs waiting for a worker right now: exact when nothing is being pushed or popped,
    /// and cheap (two loads), so a single producer can check for room before it submits with
    /// [`execute`](ThreadPool::execute), which then does not wait for long (see
    /// [`try_execute`](ThreadPool::try_execute) for why it may wait at all).
    pub fn queued(&self) -> usize {
        self.shared.ring.len()
    }

    /// Number of worker threads.
    pub fn threads(&self) -> usize {
        self.shared.counters.len()
    }

    /// Capacity of the job queue.
    pub fn queue_capacity(&self) -> usize {
        self.shared.ring.capacity()
    }

    /// Stops intake without waiting: from now on `execute` and `try_execute` fail, producers
    /// waiting for room get their job back in [`ExecuteError::ShutDown`], and workers exit once the queue is
    /// empty. Jobs already queued still run. Idempotent.
    ///
    /// Takes `&self`, so a pool shared between threads can be closed by one of them while
    /// others submit; [`shutdown`](ThreadPool::shutdown) then waits for the workers.
    pub fn close(&self) {
        self.shared.close();
    }

    /// Shuttle builds only: who waits on the pool's two wait lists now (workers for a job,
    /// producers for room), for a model to check that it reached the states it is about
    /// (several threads snoozing at once beside sleepers, a close that came while they
    /// waited). Each list's counts are one instant's (read under its lock); the two lists are
    /// read one after the other.
    #[cfg(shuttle)]
    pub fn waiters(&self) -> Waiters {
        self.shared.waiters()
    }

    /// Whether [`close`](ThreadPool::close) (or a shutdown) has begun.
    pub fn is_closed(&self) -> bool {
        self.shared.ring.is_closed()
    }

    /// Shuts the pool down gracefully: stops intake, lets the workers run every job already
    /// queued, joins them, and returns the final counters. Dropping the pool does the same.
    ///
    /// Called from inside one of this pool's own jobs, it does not wait for that job's worker
    /// (which would wait for itself forever); that worker finishes the queue and exits on its
    /// own after the job returns, so the returned counters may not include its work.
    pub fn shutdown(mut self) -> Stats {
        self.close();
        self.join_workers();
        self.stats()
    }

    /// Shuts the pool down, discarding every queued job that no worker has started.
    ///
    /// Jobs already running are waited for (a thread cannot be stopped from outside). Returns
    /// the number of jobs discarded; they are dropped, never run. Like
    /// [`shutdown`](ThreadPool::shutdown), it does not wait for the calling worker.
    pub fn shutdown_now(mut self) -> usize {
        self.close();
        let mut discarded = 0;
        // Workers may take some of these concurrently; whatever this thread pops, nobody runs.
        while let Pop::Item(job) = self.shared.ring.pop() {
            drop(job);
            discarded += 1;
        }
        self.join_workers();
        discarded
    }

    /// Gives up on the pool without waiting for it: stops intake as [`close`](ThreadPool::close)
    /// does, and lets the workers go on alone (their threads are detached). Each finishes the
    /// job it is running and the jobs still queued, then exits; nobody waits for that. For a
    /// process about to exit that must not wait for a job that will not end (a shutdown that
    /// timed out). Returns the counters as they were when it gave up.
    pub fn detach(mut self) -> Stats {
        self.close();
        // Dropping a join handle detaches its thread; `Drop` then has nobody left to join.
        self.workers.clear();
        self.stats()
    }

    /// Joins every worker except the calling thread. Never panics: a worker's own panics are
    /// caught inside it, so a failed join can only mean a bug in the worker loop, and a
    /// destructor is no place to report it by panicking.
    fn join_workers(&mut self) {
        let me = thread::current().id();
        for worker in self.workers.drain(..) {
            if worker.thread().id() != me {
                let _ = worker.join();
            }
        }
    }
}

impl Drop for ThreadPool {
    /// Same as [`ThreadPool::shutdown`]: stop intake, drain the queue, join the workers.
    fn drop(&mut self) {
        self.close();
        self.join_workers();
    }
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPool")
            .field("threads", &self.threads())
            .field("queue_capacity", &self.queue_capacity())
            .field("closed", &self.is_closed())
            .field("stats", &self.stats())
            .finish()
    }
}
