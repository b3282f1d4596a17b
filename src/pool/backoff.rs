//! How a thread waits for another without sleeping: the pool's one waiting policy below the
//! condition variable (crossbeam's `Backoff` has the same two uses).
//!
//! - [`Backoff::spin`]: after losing a compare-and-swap, or reading a stale head or tail, in the
//!   ring. The other thread has already made progress, so retry soon, a little later each time.
//! - [`Backoff::snooze`]: before going to sleep on a [`WaitList`](super::wait_list::WaitList),
//!   for up to [`SNOOZE_FOR`](Backoff::SNOOZE_FOR) of wall time. Waking a sleeping thread
//!   costs a futex call on both sides and, on a virtual machine, waking the idle virtual CPU
//!   it slept on: far more than yielding until the next job when jobs (or free slots) come
//!   within a fraction of a millisecond.
//!
//! Snoozing yields the CPU instead of busy-spinning. Measured on a 2-core machine (a VM) with
//! one producer and two or four workers, threads outnumber cores: a waiter that spins holds the
//! very core the thread it waits for needs, while a yield hands that core over. Dropping an
//! earlier spin phase (up to 127 `spin_loop` hints before the yields) raised throughput on every
//! workload measured, most on 1 µs jobs at 2 workers (3.9 to 6.3 M jobs/s, medians of five
//! processes; the figures are in the message of the commit that made this change).
//!
//! Why a time and not a count of yields: a yield with nothing else to run returns in well under
//! a microsecond, so the eight yields this policy used to allow lasted a few microseconds, and
//! a job that came later than that found its worker asleep. The server at `-c1` is that case:
//! each request reaches the pool about 100 µs after the last one, so every request paid for
//! waking a worker, and webpool answered 0.91-1.00x nginx's requests per second. Snoozing
//! for 100 µs instead lets the worker that just answered catch the next request while it
//! yields (the commit that made this change has the figures). The price is CPU: a worker
//! yields for up to 100 µs after its last job before it sleeps, so a pool that gets a job
//! every millisecond keeps up to a tenth of a core busy yielding; an idle pool still sleeps.
//!
//! Under loom and shuttle, spinning is one yield (it tells the checker this thread waits for
//! another, and under loom lets a stale load see newer values), and snoozing is one look with
//! no yield: enough for the checkers to reach a snoozer that finds its work and returns (the
//! path that relies on `WaitList::pass_on`), while longer waits would only multiply the states
//! to explore. Under shuttle yielding would also hide the sleep protocol: the PCT scheduler
//! lowers a yielding thread's priority, and the random one spreads its steps over every thread,
//! so threads snoozing here would rarely all be asleep when a job or a shutdown comes, which is
//! where the protocol's bugs are.

use std::time::{Duration, Instant};

use crate::sync;

/// One thread's wait for another; make a new one for each wait. Each value is used for one
/// kind of wait only, spinning or snoozing.
pub(crate) struct Backoff {
    /// Spins so far (under loom and shuttle, also the looks of a snooze).
    step: u32,
    /// When the first snooze began.
    snoozing_since: Option<Instant>,
}

impl Backoff {
    /// At most `2^SPIN_LIMIT` spin hints per [`spin`](Backoff::spin).
    const SPIN_LIMIT: u32 = 6;
    /// How long [`snooze`](Backoff::snooze) keeps yielding before it gives up.
    const SNOOZE_FOR: Duration = Duration::from_micros(100);

    pub(crate) fn new() -> Backoff {
        Backoff {
            step: 0,
            snoozing_since: None,
        }
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

    /// Yields once; `false` once the budget is spent (the caller then sleeps for real). Under
    /// loom and shuttle, `true` once without yielding: one look, then sleep.
    pub(crate) fn snooze(&mut self) -> bool {
        if cfg!(any(loom, shuttle)) {
            // `step` counts the looks here: a snoozing `Backoff` never spins.
            let first = self.step == 0;
            self.step = 1;
            return first;
        }
        let now = Instant::now();
        if now.duration_since(*self.snoozing_since.get_or_insert(now)) >= Self::SNOOZE_FOR {
            return false;
        }
        sync::thread::yield_now();
        true
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;

    #[test]
    fn snooze_yields_for_its_whole_time_then_stays_spent() {
        let start = Instant::now();
        let mut backoff = Backoff::new();
        let mut yields = 0u64;
        while backoff.snooze() {
            yields += 1;
            // A snooze that never runs out fails here rather than hangs: 100 µs holds a few
            // thousand yields at most, however fast the machine or slow the scheduler.
            assert!(
                yields < 1_000_000,
                "still snoozing after {yields} yields ({:?}): the snooze never runs out",
                start.elapsed()
            );
        }
        assert!(yields > 0, "gave up without yielding");
        assert!(
            start.elapsed() >= Backoff::SNOOZE_FOR,
            "gave up after {:?}, before its {:?}",
            start.elapsed(),
            Backoff::SNOOZE_FOR
        );
        assert!(!backoff.snooze(), "a spent snooze yields again");
    }
}
