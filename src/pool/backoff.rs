//! How a thread waits for another without sleeping: the pool's one waiting policy below the
//! condition variable (crossbeam's `Backoff` has the same two uses).
//!
//! - [`Backoff::spin`]: after losing a compare-and-swap, or reading a stale head or tail, in the
//!   ring. The other thread has already made progress, so retry soon, a little later each time.
//! - [`Backoff::snooze`]: before going to sleep on a [`WaitList`](super::wait_list::WaitList).
//!   Waking a sleeping thread costs a futex call on both sides, far more than a few yields when
//!   jobs (or free slots) come quickly.
//!
//! Snoozing yields the CPU instead of busy-spinning. Measured on a 2-core machine (a VM) with
//! one producer and two or four workers, threads outnumber cores: a waiter that spins holds the
//! very core the thread it waits for needs, while a yield hands that core over. Dropping an
//! earlier spin phase (up to 127 `spin_loop` hints before the yields) raised throughput on every
//! workload measured, most on 1 µs jobs at 2 workers (3.9 to 6.3 M jobs/s, medians of five
//! processes; the figures are in the message of the commit that made this change).
//!
//! Under loom and shuttle, spinning is one yield (it tells the checker this thread waits for
//! another, and under loom lets a stale load see newer values), and snoozing is spent from the
//! start: waiting would only multiply the states to explore, and the sleep protocol alone must
//! be (and is checked to be) correct. Under shuttle snoozing would also hide that protocol: the
//! PCT scheduler lowers a yielding thread's priority, and the random one spreads its steps over
//! every thread, so threads snoozing here would rarely all be asleep when a job or a shutdown
//! comes, which is where the protocol's bugs are.

use crate::sync;

/// One thread's wait for another; make a new one for each wait. Each value is used for one
/// kind of wait only, spinning or snoozing.
pub(crate) struct Backoff {
    /// Spins or snoozes so far.
    step: u32,
}

impl Backoff {
    /// At most `2^SPIN_LIMIT` spin hints per [`spin`](Backoff::spin).
    const SPIN_LIMIT: u32 = 6;
    /// Yields before [`snooze`](Backoff::snooze) gives up.
    const SNOOZE_LIMIT: u32 = 8;

    pub(crate) fn new() -> Backoff {
        Backoff { step: 0 }
    }

    /// Waits a moment after losing a race: `2^step` spin hints, `step` growing to
    /// [`SPIN_LIMIT`](Self::SPIN_LIMIT).
    pub(crate) fn spin(&mut self) {
        if cfg!(any(loom, shuttle)) {
            sync::thread::yield_now();
            return;
        }
        for _ in 0..1u32 << self.step {
            sync::spin_hint();
        }
        self.step = (self.step + 1).min(Self::SPIN_LIMIT);
    }

    /// Yields once; `false` once the budget is spent (the caller then sleeps for real), and
    /// always under loom and shuttle.
    pub(crate) fn snooze(&mut self) -> bool {
        if cfg!(any(loom, shuttle)) || self.step >= Self::SNOOZE_LIMIT {
            return false;
        }
        sync::thread::yield_now();
        self.step += 1;
        true
    }
}
