//! Spurious wake-ups under loom: `Condvar::wait` returning without a notification.
//!
//! std allows any `Condvar::wait` to return early, for no reason; code that takes every return
//! as a signal (an `if` where a `while` belongs) is wrong even where every wake-up it happens to
//! see is real. loom never makes a spurious wake-up (loom issue #1), so such code passes every
//! model. Here the shim makes them: [`wake_spuriously_at`]`(k)` makes the `k`-th wait of each
//! model execution (counted across its threads, from 1) return at once, having released and
//! retaken its lock, without a notification. A harness runs a model once normally, reads
//! [`most_waits`], then once for each `k` up to it: every wait, in turn, is the spurious one,
//! and loom explores every interleaving around it.
//!
//! The state is per OS thread: loom runs a model's threads on the one OS thread that called
//! `loom::model`, so models running in parallel test threads do not disturb each other.

use std::cell::Cell;

thread_local! {
    /// Which wait is spurious (0: none), how many waits this execution made, the most any did.
    static STATE: Cell<(usize, usize, usize)> = const { Cell::new((0, 0, 0)) };
}

/// From now on, the `k`-th `Condvar::wait` of each model execution returns spuriously (`0`:
/// none). Resets [`most_waits`].
pub fn wake_spuriously_at(k: usize) {
    STATE.with(|state| state.set((k, 0, 0)));
}

/// Starts counting waits for a new model execution (call it first thing in the model).
pub fn begin_execution() {
    STATE.with(|state| {
        let (at, _, most) = state.get();
        state.set((at, 0, most));
    });
}

/// The most `Condvar::wait` calls one model execution made since [`wake_spuriously_at`].
pub fn most_waits() -> usize {
    STATE.with(|state| state.get().2)
}

/// Counts a wait; whether it is the one to return spuriously.
pub(crate) fn next_wait_is_spurious() -> bool {
    STATE.with(|state| {
        let (at, count, most) = state.get();
        let count = count + 1;
        state.set((at, count, most.max(count)));
        at != 0 && count == at
    })
}
