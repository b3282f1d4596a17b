//! Configuring a pool, and starting its threads.

use crate::sync::{self, thread, Arc};

use super::shared::{self, Shared};
use super::{PoolCreationError, ThreadPool};

/// Default capacity of the job queue, per worker thread.
const DEFAULT_QUEUE_PER_THREAD: usize = 256;

/// Default prefix of worker thread names (`webpool-worker-0`, `webpool-worker-1`, ...).
const DEFAULT_THREAD_NAME: &str = "webpool-worker";

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
    /// The most threads that snooze at once on each wait list (loom and shuttle builds only;
    /// see [`Builder::snoozers`]).
    #[cfg(any(loom, shuttle))]
    snoozers: usize,
}

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
            #[cfg(any(loom, shuttle))]
            snoozers: shared::default_max_snoozers(),
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

    /// Loom and shuttle builds only: lets up to `snoozers` threads at once snooze on each of
    /// the pool's wait lists (workers waiting for a job, producers waiting for room) before
    /// they sleep; `usize::MAX` for no limit, as the pool that runs has.
    ///
    /// The pool that runs lets every waiting thread snooze. Under loom the default is none,
    /// because the snoozer count's read-modify-writes multiply a model's interleavings, so the
    /// loom models that explore the snooze path (a waker skipping its signal for a snoozer,
    /// the pass-on, a close or shutdown while sleepers and snoozers wait together) ask for it
    /// here, with the smallest count their scenario needs. Under shuttle the default is one;
    /// the models of several snoozers at once (`shuttle_tests/snoozers.rs`) ask for 2, 3 or no
    /// limit here, so that both one snoozer and many are explored. The normal build has no
    /// such setting: its pools never limit the snoozers.
    #[cfg(any(loom, shuttle))]
    pub fn snoozers(mut self, snoozers: usize) -> Builder {
        self.snoozers = snoozers;
        self
    }

    /// Starts the worker threads.
    ///
    /// The queue's memory is allocated here, all of it (64 bytes a job: a cache line), so that no
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
        #[cfg(any(loom, shuttle))]
        let max_snoozers = self.snoozers;
        #[cfg(not(any(loom, shuttle)))]
        let max_snoozers = shared::default_max_snoozers();
        let shared = Shared::new(threads, capacity, max_snoozers)
            .ok_or(PoolCreationError::QueueTooLarge(capacity))?;
        let mut pool = ThreadPool {
            shared: Arc::new(shared),
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
