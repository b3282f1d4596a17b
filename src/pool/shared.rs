//! What the pool's threads share, and the workers' loop: the queue, the two wait lists, and the
//! per-worker counters.

use std::ops::ControlFlow;
use std::panic::{self, AssertUnwindSafe};

use crate::sync::{AtomicU64, Ordering};

use super::job::Job;
use super::ring::{Pop, PushError, Ring};
use super::wait_list::WaitList;
use super::Stats;

/// Everything the pool's threads share.
pub(super) struct Shared {
    /// The jobs, oldest first.
    pub(super) ring: Ring<Job>,
    /// Workers waiting for a job, or for shutdown.
    workers: WaitList,
    /// Producers waiting for room in a full queue, or for shutdown.
    producers: WaitList,
    /// One set of counters per worker, each written only by its worker.
    pub(super) counters: Box<[WorkerCounters]>,
}

/// The most threads that snooze at once on each wait list, unless the builder says otherwise:
/// no limit in the normal build (a limit at the number of CPUs was measured, and cost
/// throughput; see `WaitList`).
///
/// Fixed under the checkers, so that they explore the same on every machine, unless a model
/// sets its own (`Builder::snoozers`). Under shuttle, one: its models explore wakers that skip
/// their signal for a snoozer, threads that find the snoozing taken, a snoozer that finds its
/// work, and the pass-on; `shuttle_tests/snoozers.rs` also asks for 2, 3 and no limit. Under
/// loom, none: the count's two read-modify-writes per wait multiply a model's interleavings
/// six- to eightfold, so only the models that opt in run with snoozers, each sized for CI.
pub(super) fn default_max_snoozers() -> usize {
    if cfg!(loom) {
        return 0;
    }
    if cfg!(shuttle) {
        return 1;
    }
    usize::MAX
}

/// Counters written by one worker only, on a cache line of their own, so that counting costs
/// no contention; `stats()` sums them.
#[repr(align(128))]
pub(super) struct WorkerCounters {
    /// Jobs this worker has taken from the queue.
    taken: AtomicU64,
    /// Jobs this worker finished normally.
    completed: AtomicU64,
    /// Jobs this worker caught panicking.
    panicked: AtomicU64,
}

impl Shared {
    /// The state of a pool of `threads` workers and a queue of `capacity` jobs, on whose wait
    /// lists at most `max_snoozers` threads snooze at once (each); `None` if the queue cannot
    /// be had (see [`Ring::new`]).
    pub(super) fn new(threads: usize, capacity: usize, max_snoozers: usize) -> Option<Shared> {
        Some(Shared {
            ring: Ring::new(capacity)?,
            workers: WaitList::new(max_snoozers),
            producers: WaitList::new(max_snoozers),
            counters: (0..threads)
                .map(|_| WorkerCounters {
                    taken: AtomicU64::new(0),
                    completed: AtomicU64::new(0),
                    panicked: AtomicU64::new(0),
                })
                .collect(),
        })
    }

    /// Queues `job` if there is room right now, and wakes a sleeping worker for it.
    pub(super) fn try_push(&self, job: Job) -> Result<(), PushError<Job>> {
        self.ring.push(job)?;
        self.workers.wake_one();
        Ok(())
    }

    /// Queues `job`, waiting for room while the queue is full. Hands the job back if the pool
    /// is closed, before or while this waits.
    pub(super) fn push(&self, job: Job) -> Result<(), Job> {
        self.producers.retry(
            job,
            |job| match self.try_push(job) {
                Ok(()) => ControlFlow::Break(Ok(())),
                Err(PushError::Full(back)) => ControlFlow::Continue(back),
                Err(PushError::Closed(back)) => ControlFlow::Break(Err(back)),
            },
            || self.ring.may_push(),
        )
    }

    /// Stops intake and wakes every sleeper: workers to drain the ring and exit, producers to
    /// give up.
    pub(super) fn close(&self) {
        if !self.ring.close() {
            return;
        }
        self.workers.wake_all();
        self.producers.wake_all();
    }

    /// The body of worker `index`: take a job, run it, count it; exit once the ring is
    /// closed and empty.
    pub(super) fn work_loop(&self, index: usize) {
        let counters = &self.counters[index];
        loop {
            // The next job, waiting for one while the queue is empty; `None` once it is
            // closed and empty.
            let next = self.workers.retry(
                (),
                |()| match self.ring.pop() {
                    Pop::Item(job) => ControlFlow::Break(Some(job)),
                    Pop::Closed => ControlFlow::Break(None),
                    Pop::Empty => ControlFlow::Continue(()),
                },
                || self.ring.may_pop(),
            );
            let Some(job) = next else {
                // Another worker may have gone back to sleep after the close, waiting for a
                // job whose producer was still publishing it; that producer's signal woke only
                // one of them. The queue is now drained for good, so wake everyone still
                // asleep to see that and exit. (Each of them also passes the wake on as it
                // leaves the list; this wakes them all at once instead of one by one.)
                self.workers.wake_all();
                return;
            };
            self.producers.wake_one();
            // Single writer: a load and a store, no read-modify-write needed. Release: a
            // reader that sees this count also sees the job gone from the queue.
            let taken = counters.taken.load(Ordering::Relaxed);
            counters.taken.store(taken + 1, Ordering::Release);
            let counter = match panic::catch_unwind(AssertUnwindSafe(|| job.run())) {
                Ok(()) => &counters.completed,
                Err(payload) => {
                    // The payload's own destructor may panic too; that must not kill the
                    // worker either.
                    let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
                    &counters.panicked
                }
            };
            // Release: a reader that sees this count also sees `taken` counted.
            counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Release);
        }
    }

    /// Who waits on the two wait lists (shuttle builds only).
    #[cfg(shuttle)]
    pub(super) fn waiters(&self) -> super::Waiters {
        super::Waiters {
            workers: self.workers.waiters(),
            producers: self.producers.waiters(),
        }
    }

    /// Sums the per-worker counters, reading each job's later stages first (finished, then
    /// taken, then queued), so that a job moving on while we read is counted at most once.
    pub(super) fn stats(&self) -> Stats {
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
