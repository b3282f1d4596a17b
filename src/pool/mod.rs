//! A bounded thread pool: the Rust Book's `ThreadPool`, made safe, fast and model-checked.
//!
//! Design. Jobs wait in a bounded lock-free ring (`pool/ring.rs`); small closures are stored in it
//! inline, without a `Box` (`pool/job.rs`). Submitting a job is one compare-and-swap on the ring's
//! tail, taking one is one on its head: no lock is on the hot path, and no lock is ever held
//! while a job runs, so a slow or blocked job never blocks the queue and a panicking job
//! (caught with `catch_unwind`, counted, and survived) can never poison anything.
//!
//! Sleeping is the slow path. A worker that finds the ring empty yields the CPU a few times (never
//! busy-spins: see `BriefWait`), then registers as asleep under the `parking` mutex and waits on a
//! condition variable; a producer that pushed a job wakes one only if a registered sleeper exists.
//! The two sides meet in a Dekker-style handshake: the producer pushes, then (after a `SeqCst`
//! fence) reads the sleeper count; the worker registers, then (after a `SeqCst` fence) looks at the
//! ring again before it waits. At least one of them sees the other, so no job is left behind a
//! sleeping worker, and a busy pool makes no futex calls at all. Producers blocked on a full ring
//! are woken by consumers the same way. Wake-ups are counted, as in tokio's blocking pool, so a
//! spurious wake-up is never mistaken for a signal.
//!
//! Shutdown closes the ring (a bit in its tail, set atomically, so a concurrent submission
//! either made it into the ring and will run, or is refused), wakes everyone, lets the workers
//! drain the ring, and joins them, skipping the calling thread when a job shuts its own pool
//! down. The ring is built from shim atomics rather than `mpsc` so that loom can check
//! shutdown too: loom's channel never reports disconnection.

mod job;
mod ring;

use std::fmt;
use std::io;
use std::panic::{self, AssertUnwindSafe};

use crate::sync::{self, fence, thread, Arc, AtomicU64, AtomicUsize, Condvar, Mutex, Ordering};
use job::Job;
use ring::{Pop, PushError, Ring};

/// Default capacity of the job queue, per worker thread.
const DEFAULT_QUEUE_PER_THREAD: usize = 256;

/// Default prefix of worker thread names (`webpool-worker-0`, `webpool-worker-1`, ...).
const DEFAULT_THREAD_NAME: &str = "webpool-worker";

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

/// Configures and builds a [`ThreadPool`].
///
/// # Examples
///
/// ```
/// # if webpool::MODEL_CHECKING { return; }
/// let pool = webpool::Builder::new()
///     .threads(2)
///     .queue_capacity(16)
///     .thread_name("resizer")
///     .build()
///     .expect("two threads");
/// pool.execute(|| println!("hello from a resizer thread")).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    /// Number of worker threads; `None` means one per available CPU.
    threads: Option<usize>,
    /// Jobs the queue holds before `execute` waits; `None` means 256 per thread.
    queue_capacity: Option<usize>,
    /// Worker threads are named `{thread_name}-{index}`.
    thread_name: String,
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

/// Why a [`ThreadPool`] could not be built.
#[derive(Debug)]
pub enum PoolCreationError {
    /// A pool needs at least one thread.
    ZeroThreads,
    /// A queue needs room for at least one job.
    ZeroCapacity,
    /// More threads than [`Builder::MAX_THREADS`].
    TooManyThreads(usize),
    /// A queue this large cannot be allocated (or its positions would not fit in a `usize`).
    QueueTooLarge(usize),
    /// The operating system refused to start a worker thread.
    Spawn(io::Error),
}

/// Why [`ThreadPool::execute`] did not accept a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecuteError {
    /// The pool is shutting down; it accepts no new jobs. The job was dropped without running.
    ShutDown,
}

/// Why [`ThreadPool::try_execute`] did not accept a job; the job is handed back inside.
pub enum TryExecuteError<F> {
    /// The queue is at capacity right now.
    Full(F),
    /// The pool is shutting down and accepts no new jobs.
    ShutDown(F),
}

/// Everything the pool's threads share.
struct Shared {
    /// The jobs, oldest first.
    ring: Ring<Job>,
    /// Who is asleep and who has been signalled; touched only on the slow paths.
    parking: Mutex<Parking>,
    /// Workers wait here for a job or for shutdown.
    work: Condvar,
    /// Producers wait here for room in a full queue, or for shutdown.
    room: Condvar,
    /// A copy of `parking.idle_workers`, written under the lock, read without it by every
    /// producer after a push, so that nobody takes the lock when no worker sleeps.
    idle_workers_hint: AtomicUsize,
    /// A copy of `parking.blocked_producers`, read without the lock by every worker after a
    /// pop, for the same reason.
    blocked_producers_hint: AtomicUsize,
    /// One set of counters per worker, each written only by its worker.
    counters: Box<[WorkerCounters]>,
}

/// The sleepers, guarded by `Shared::parking`.
struct Parking {
    /// Workers asleep on `work` that nobody has signalled yet.
    idle_workers: usize,
    /// Signals sent on `work` and not yet consumed by a waking worker. A worker that wakes
    /// while this is zero woke spuriously and sleeps again.
    work_signals: usize,
    /// Producers asleep on `room` that nobody has signalled yet.
    blocked_producers: usize,
    /// Signals sent on `room` and not yet consumed by a waking producer.
    room_signals: usize,
}

/// Counters written by one worker only, on a cache line of their own, so that counting costs
/// no contention; `stats()` sums them.
#[repr(align(128))]
struct WorkerCounters {
    /// Jobs this worker has taken from the queue.
    taken: AtomicU64,
    /// Jobs this worker finished normally.
    completed: AtomicU64,
    /// Jobs this worker caught panicking.
    panicked: AtomicU64,
}

// ===== impl ThreadPool =====

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
    /// waited for room); the job is dropped without running.
    pub fn execute<F>(&self, job: F) -> Result<(), ExecuteError>
    where
        F: FnOnce() + Send + 'static,
    {
        match self.shared.ring.push(Job::new(job)) {
            Ok(()) => {
                self.shared.job_pushed();
                Ok(())
            }
            Err(PushError::Full(job)) => self.shared.push_when_room(job),
            Err(PushError::Closed(_)) => Err(ExecuteError::ShutDown),
        }
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
        match self.shared.ring.push(Job::new(job)) {
            Ok(()) => {
                self.shared.job_pushed();
                Ok(())
            }
            Err(PushError::Full(job)) => {
                // SAFETY: the ring handed back the `Job` built from this `F` just above.
                let job = unsafe { job.into_closure() };
                Err(TryExecuteError::Full(job))
            }
            Err(PushError::Closed(job)) => {
                // SAFETY: the ring handed back the `Job` built from this `F` just above.
                let job = unsafe { job.into_closure() };
                Err(TryExecuteError::ShutDown(job))
            }
        }
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
    /// waiting for room return [`ExecuteError::ShutDown`], and workers exit once the queue is
    /// empty. Jobs already queued still run. Idempotent.
    ///
    /// Takes `&self`, so a pool shared between threads can be closed by one of them while
    /// others submit; [`shutdown`](ThreadPool::shutdown) then waits for the workers.
    pub fn close(&self) {
        self.shared.close();
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

// ===== impl Builder =====

impl Builder {
    /// The most worker threads a pool may have.
    ///
    /// Far more than a pool of blocking jobs needs, and far below where a system runs out: a
    /// thread costs kernel memory maps (Linux's default `vm.max_map_count` runs out near 16 000
    /// threads), and a thread that fails to set itself up *after* it has started aborts the
    /// whole process, where a refusal before starting it can only be an error.
    pub const MAX_THREADS: usize = 4096;

    /// A builder with the defaults: one thread per available CPU, 256 queued jobs per thread,
    /// threads named `webpool-worker-N`.
    pub fn new() -> Builder {
        Builder {
            threads: None,
            queue_capacity: None,
            thread_name: DEFAULT_THREAD_NAME.to_owned(),
        }
    }

    /// Sets the number of worker threads.
    pub fn threads(mut self, threads: usize) -> Builder {
        self.threads = Some(threads);
        self
    }

    /// Sets how many jobs may wait in the queue before `execute` waits for room.
    pub fn queue_capacity(mut self, capacity: usize) -> Builder {
        self.queue_capacity = Some(capacity);
        self
    }

    /// Sets the prefix of worker thread names; workers are named `{prefix}-{index}`.
    pub fn thread_name(mut self, prefix: impl Into<String>) -> Builder {
        self.thread_name = prefix.into();
        self
    }

    /// Starts the worker threads.
    ///
    /// The queue's memory is allocated here, all of it (about 40 bytes a job), so that no
    /// submission ever allocates.
    ///
    /// # Errors
    ///
    /// [`PoolCreationError::ZeroThreads`] or [`PoolCreationError::ZeroCapacity`] for a zero
    /// setting; [`PoolCreationError::TooManyThreads`] past [`Builder::MAX_THREADS`];
    /// [`PoolCreationError::QueueTooLarge`] for a queue whose memory cannot be had;
    /// [`PoolCreationError::Spawn`] if the OS refused a thread, in which case the threads
    /// already started are shut down before this returns. Never panics on a size.
    pub fn build(self) -> Result<ThreadPool, PoolCreationError> {
        let threads = match self.threads {
            Some(0) => return Err(PoolCreationError::ZeroThreads),
            Some(n) if n > Self::MAX_THREADS => return Err(PoolCreationError::TooManyThreads(n)),
            Some(n) => n,
            None => sync::available_parallelism(),
        };
        let capacity = match self.queue_capacity {
            Some(0) => return Err(PoolCreationError::ZeroCapacity),
            Some(n) => n,
            None => threads.saturating_mul(DEFAULT_QUEUE_PER_THREAD),
        };
        let ring = Ring::new(capacity).ok_or(PoolCreationError::QueueTooLarge(capacity))?;
        let shared = Arc::new(Shared {
            ring,
            parking: Mutex::new(Parking {
                idle_workers: 0,
                work_signals: 0,
                blocked_producers: 0,
                room_signals: 0,
            }),
            work: Condvar::new(),
            room: Condvar::new(),
            idle_workers_hint: AtomicUsize::new(0),
            blocked_producers_hint: AtomicUsize::new(0),
            counters: (0..threads)
                .map(|_| WorkerCounters {
                    taken: AtomicU64::new(0),
                    completed: AtomicU64::new(0),
                    panicked: AtomicU64::new(0),
                })
                .collect(),
        });
        let mut pool = ThreadPool {
            shared,
            workers: Vec::with_capacity(threads),
        };
        for index in 0..threads {
            let shared = Arc::clone(&pool.shared);
            let spawned = thread::Builder::new()
                .name(format!("{}-{index}", self.thread_name))
                .spawn(move || shared.work_loop(index));
            match spawned {
                Ok(handle) => pool.workers.push(handle),
                // Dropping `pool` closes it and joins the workers started so far.
                Err(err) => return Err(PoolCreationError::Spawn(err)),
            }
        }
        Ok(pool)
    }
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

// ===== impl Shared =====

impl Shared {
    /// After a successful push: wakes a sleeping worker if there is one to wake.
    fn job_pushed(&self) {
        // Pairs with the fence in `park_worker`: either that worker sees our job when it looks
        // at the ring again, or we see it registered here.
        fence(Ordering::SeqCst);
        if self.idle_workers_hint.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut parking = sync::lock(&self.parking);
        if parking.idle_workers == 0 {
            return; // Another producer claimed the last sleeper first.
        }
        parking.idle_workers -= 1;
        parking.work_signals += 1;
        self.idle_workers_hint
            .store(parking.idle_workers, Ordering::Relaxed);
        drop(parking);
        self.work.notify_one();
    }

    /// After a successful pop: wakes a producer waiting for room if there is one to wake.
    fn slot_freed(&self) {
        // Pairs with the fence in `push_when_room`, as `job_pushed` pairs with `park_worker`.
        fence(Ordering::SeqCst);
        if self.blocked_producers_hint.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut parking = sync::lock(&self.parking);
        if parking.blocked_producers == 0 {
            return;
        }
        parking.blocked_producers -= 1;
        parking.room_signals += 1;
        self.blocked_producers_hint
            .store(parking.blocked_producers, Ordering::Relaxed);
        drop(parking);
        self.room.notify_one();
    }

    /// The slow path of `execute`: the ring was full. Retries for a moment, then registers as
    /// a blocked producer, retries, and sleeps until a worker frees a slot (or the pool
    /// closes), as often as needed.
    fn push_when_room(&self, mut job: Job) -> Result<(), ExecuteError> {
        let mut wait = BriefWait::new();
        while wait.wait() {
            match self.ring.push(job) {
                Ok(()) => {
                    self.job_pushed();
                    return Ok(());
                }
                Err(PushError::Full(back)) => job = back,
                Err(PushError::Closed(_)) => return Err(ExecuteError::ShutDown),
            }
        }
        let mut parking = sync::lock(&self.parking);
        loop {
            parking.blocked_producers += 1;
            self.blocked_producers_hint
                .store(parking.blocked_producers, Ordering::Relaxed);
            // Pairs with the fence in `slot_freed`: either a consumer that frees a slot after
            // our retry sees us registered, or our retry sees the slot it freed.
            fence(Ordering::SeqCst);
            let refused = match self.ring.push(job) {
                Ok(()) => None,
                Err(PushError::Full(back)) => Some(back),
                Err(PushError::Closed(_)) => {
                    self.unregister_producer(&mut parking);
                    return Err(ExecuteError::ShutDown);
                }
            };
            let Some(back) = refused else {
                self.unregister_producer(&mut parking);
                drop(parking);
                self.job_pushed();
                return Ok(());
            };
            job = back;
            loop {
                parking = sync::wait(&self.room, parking);
                if parking.room_signals > 0 {
                    // A consumer freed a slot for us (and unregistered us): retry.
                    parking.room_signals -= 1;
                    break;
                }
                if self.ring.is_closed() {
                    self.unregister_producer(&mut parking);
                    return Err(ExecuteError::ShutDown);
                }
            }
        }
    }

    /// Removes one registration made in `push_when_room` that no consumer has claimed.
    fn unregister_producer(&self, parking: &mut Parking) {
        parking.blocked_producers -= 1;
        self.blocked_producers_hint
            .store(parking.blocked_producers, Ordering::Relaxed);
    }

    /// Puts a worker that found the ring empty to sleep until a producer signals it or the
    /// pool closes. Returns at once if the ring is no longer empty by the time the worker is
    /// registered; the caller pops again either way.
    fn park_worker(&self) {
        let mut parking = sync::lock(&self.parking);
        parking.idle_workers += 1;
        self.idle_workers_hint
            .store(parking.idle_workers, Ordering::Relaxed);
        // Pairs with the fence in `job_pushed`: either the producer of a job we miss here sees
        // us registered and signals, or we see its job now.
        fence(Ordering::SeqCst);
        if !self.ring.may_pop() {
            loop {
                parking = sync::wait(&self.work, parking);
                if parking.work_signals > 0 {
                    // A producer signalled us (and unregistered us).
                    parking.work_signals -= 1;
                    return;
                }
                if self.ring.is_closed() {
                    break;
                }
            }
        }
        parking.idle_workers -= 1;
        self.idle_workers_hint
            .store(parking.idle_workers, Ordering::Relaxed);
    }

    /// Stops intake and wakes every sleeper: workers to drain the ring and exit, producers to
    /// give up.
    fn close(&self) {
        if !self.ring.close() {
            return;
        }
        self.wake_all();
    }

    /// Wakes every sleeping worker and producer to look at the ring again.
    fn wake_all(&self) {
        // Taking the lock orders this call before any sleeper's next look at the ring: a
        // worker or producer either sees what we did before calling (under the lock), or was
        // already waiting when we took it and receives the notification below.
        drop(sync::lock(&self.parking));
        self.work.notify_all();
        self.room.notify_all();
    }

    /// The body of worker `index`: take a job, run it, count it; exit once the ring is
    /// closed and empty.
    fn work_loop(&self, index: usize) {
        let counters = &self.counters[index];
        loop {
            match self.ring.pop() {
                Pop::Item(job) => {
                    self.slot_freed();
                    // Single writer: a load and a store, no read-modify-write needed. Release:
                    // a reader that sees this count also sees the job gone from the queue.
                    let taken = counters.taken.load(Ordering::Relaxed);
                    counters.taken.store(taken + 1, Ordering::Release);
                    let counter = match panic::catch_unwind(AssertUnwindSafe(|| job.run())) {
                        Ok(()) => &counters.completed,
                        Err(payload) => {
                            // The payload's own destructor may panic too; that must not kill
                            // the worker either.
                            let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
                            &counters.panicked
                        }
                    };
                    // Release: a reader that sees this count also sees `taken` counted.
                    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Release);
                }
                Pop::Empty => {
                    if !self.wait_briefly_for_work() {
                        self.park_worker();
                    }
                }
                Pop::Closed => {
                    // Another worker may have gone back to sleep after the close, waiting for
                    // a job whose producer was still publishing it; that producer's signal
                    // woke only one of them. The queue is now drained for good, so wake
                    // everyone still asleep to see that and exit.
                    self.wake_all();
                    return;
                }
            }
        }
    }

    /// Watches the ring for a moment before a worker sleeps. Returns whether there may be
    /// something to pop.
    fn wait_briefly_for_work(&self) -> bool {
        let mut wait = BriefWait::new();
        while wait.wait() {
            if self.ring.may_pop() {
                return true;
            }
        }
        false
    }

    /// Sums the per-worker counters, reading each job's later stages first (finished, then
    /// taken, then queued), so that a job moving on while we read is counted at most once.
    fn stats(&self) -> Stats {
        let mut stats = Stats::default();
        let mut taken = 0;
        for counters in self.counters.iter() {
            // Acquire pairs with the worker's Release stores: once we see a job finished, we
            // also see it taken, and once we see it taken, we see it gone from the queue.
            stats.completed += counters.completed.load(Ordering::Acquire);
            stats.panicked += counters.panicked.load(Ordering::Acquire);
            taken += counters.taken.load(Ordering::Acquire);
        }
        stats.queued = self.ring.len();
        let finished = stats.completed + stats.panicked;
        stats.running = usize::try_from(taken.saturating_sub(finished)).unwrap_or(usize::MAX);
        stats
    }
}

// ===== impl BriefWait =====

/// A short, bounded wait before going to sleep: waking a sleeping thread costs a futex call
/// on both sides, far more than a few yields when jobs (or free slots) come quickly.
///
/// It yields the CPU instead of busy-spinning. Measured on a 2-core machine (a VM) with one
/// producer and two or four workers, threads outnumber cores: a waiter that spins holds the
/// very core the thread it waits for needs, while a yield hands that core over. Dropping an
/// earlier spin phase (up to 127 `spin_loop` hints before the yields) raised throughput on
/// every workload measured, most on 1 µs jobs at 2 workers (3.9 to 6.3 M jobs/s, medians of
/// five processes; the figures are in the message of the commit that made this change).
struct BriefWait {
    /// Yields made so far.
    yields: u32,
}

impl BriefWait {
    /// Yields before giving up.
    const MAX_YIELDS: u32 = 8;

    fn new() -> BriefWait {
        BriefWait { yields: 0 }
    }

    /// Yields once; `false` once the budget is spent (the caller then sleeps for real).
    /// Under loom and shuttle it is spent from the start: waiting would only multiply the
    /// states to explore, and the sleep protocol alone must be (and is checked to be) correct.
    /// Under shuttle it would also hide that protocol: the PCT scheduler lowers a yielding
    /// thread's priority, and the random one spreads its steps over every thread, so workers
    /// yielding here would rarely all be asleep when a job or a shutdown comes, which is where
    /// the protocol's bugs are.
    fn wait(&mut self) -> bool {
        if cfg!(any(loom, shuttle)) || self.yields >= Self::MAX_YIELDS {
            return false;
        }
        thread::yield_now();
        self.yields += 1;
        true
    }
}

// ===== impl errors =====

impl fmt::Display for PoolCreationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolCreationError::ZeroThreads => {
                f.write_str("a thread pool needs at least one thread")
            }
            PoolCreationError::ZeroCapacity => {
                f.write_str("a thread pool's queue needs room for at least one job")
            }
            PoolCreationError::TooManyThreads(threads) => write!(
                f,
                "a thread pool may have at most {} threads, not {threads}",
                Builder::MAX_THREADS
            ),
            PoolCreationError::QueueTooLarge(capacity) => {
                write!(
                    f,
                    "a thread pool's queue of {capacity} jobs cannot be allocated"
                )
            }
            PoolCreationError::Spawn(err) => write!(f, "could not start a worker thread: {err}"),
        }
    }
}

impl std::error::Error for PoolCreationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PoolCreationError::Spawn(err) => Some(err),
            _ => None,
        }
    }
}

impl From<PoolCreationError> for io::Error {
    fn from(err: PoolCreationError) -> io::Error {
        match err {
            PoolCreationError::Spawn(err) => err,
            other => io::Error::new(io::ErrorKind::InvalidInput, other),
        }
    }
}

impl fmt::Display for ExecuteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecuteError::ShutDown => f.write_str("the thread pool is shutting down"),
        }
    }
}

impl std::error::Error for ExecuteError {}

impl<F> TryExecuteError<F> {
    /// The job that was not accepted.
    pub fn into_inner(self) -> F {
        match self {
            TryExecuteError::Full(job) | TryExecuteError::ShutDown(job) => job,
        }
    }

    /// `true` if the queue was full (the pool is still running).
    pub fn is_full(&self) -> bool {
        matches!(self, TryExecuteError::Full(_))
    }

    /// `true` if the pool was shutting down.
    pub fn is_shut_down(&self) -> bool {
        matches!(self, TryExecuteError::ShutDown(_))
    }
}

impl<F> fmt::Debug for TryExecuteError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryExecuteError::Full(_) => f.write_str("Full(..)"),
            TryExecuteError::ShutDown(_) => f.write_str("ShutDown(..)"),
        }
    }
}

impl<F> fmt::Display for TryExecuteError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryExecuteError::Full(_) => f.write_str("the thread pool's queue is full"),
            TryExecuteError::ShutDown(_) => f.write_str("the thread pool is shutting down"),
        }
    }
}

impl<F> std::error::Error for TryExecuteError<F> {}
