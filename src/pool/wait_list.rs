//! Threads asleep until another thread makes progress for them: the pool's sleep protocol,
//! written once and used twice, for workers waiting for a job and for producers waiting for
//! room in a full queue (crossbeam-channel's `SyncWaker` plays the same part for its senders
//! and receivers).
//!
//! The protocol. A thread that found nothing to do (the queue empty, or full) registers in the
//! list, then (after a `SeqCst` fence) looks again; only if there is still nothing does it wait
//! on the condition variable. A thread that made progress (pushed a job, or freed a slot)
//! issues a `SeqCst` fence, then reads how many are registered, and takes the lock to signal
//! one only if someone is. This is a Dekker-style handshake: of the two fences, one comes first
//! in the single order of `SeqCst` operations, so either the waker's read sees the registration
//! or the sleeper's second look sees the progress. No sleeper is left behind work, and a busy
//! pool makes no futex calls at all: the waker's common case is a fence and one load.
//!
//! Signals are counted, as in tokio's blocking pool: a waker takes one sleeper off the list and
//! adds a signal, and a sleeper returns only for a signal (consuming it) or when its own
//! condition holds, so a spurious wake-up is never mistaken for a signal.

use crate::sync::{self, fence, AtomicUsize, Condvar, Mutex, Ordering};

use super::backoff::Backoff;

/// A list of sleeping threads of one kind.
pub(crate) struct WaitList {
    /// Who is asleep and who has been signalled.
    sleepers: Mutex<Sleepers>,
    /// The sleepers wait here.
    wakeup: Condvar,
    /// A copy of `sleepers.waiting`, written under the lock and read without it by every waker,
    /// so that nobody takes the lock when nobody sleeps.
    waiting_hint: AtomicUsize,
}

/// The state behind `WaitList::sleepers`.
struct Sleepers {
    /// Threads registered as asleep that nobody has signalled yet.
    waiting: usize,
    /// Signals sent and not yet consumed by a waking thread. A thread that wakes while this is
    /// zero was woken by [`WaitList::wake_all`] or spuriously.
    signals: usize,
}

impl WaitList {
    pub(crate) fn new() -> WaitList {
        WaitList {
            sleepers: Mutex::new(Sleepers {
                waiting: 0,
                signals: 0,
            }),
            wakeup: Condvar::new(),
            waiting_hint: AtomicUsize::new(0),
        }
    }

    /// Waits until `ready()` holds or another thread's [`wake_one`](WaitList::wake_one)
    /// picks this one: first snoozing a moment (see [`Backoff::snooze`]), then asleep.
    ///
    /// `ready` must become true through a store that its waker makes *before* calling
    /// `wake_one` (that store is what the handshake's fences order), and must hold for good
    /// once the awaited thing can no longer come (the queue closed), since
    /// [`wake_all`](WaitList::wake_all) wakes every sleeper to look at it. A return says only
    /// "look again": the caller retries its operation and may wait again.
    pub(crate) fn wait_until(&self, ready: impl Fn() -> bool) {
        let mut backoff = Backoff::new();
        while backoff.snooze() {
            if ready() {
                return;
            }
        }
        let mut sleepers = sync::lock(&self.sleepers);
        sleepers.waiting += 1;
        self.waiting_hint.store(sleepers.waiting, Ordering::Relaxed);
        // Pairs with the fence in `wake_one`: either a waker whose progress we miss here sees
        // us registered and signals, or we see its progress now.
        fence(Ordering::SeqCst);
        while !ready() {
            sleepers = sync::wait(&self.wakeup, sleepers);
            if sleepers.signals > 0 {
                // A waker signalled us, and took us off the list.
                sleepers.signals -= 1;
                return;
            }
        }
        sleepers.waiting -= 1;
        self.waiting_hint.store(sleepers.waiting, Ordering::Relaxed);
    }

    /// Wakes one sleeper, if any is registered; called after making progress a sleeper may be
    /// waiting for (a job pushed, a slot freed).
    pub(crate) fn wake_one(&self) {
        // Pairs with the fence in `wait_until`: either that sleeper sees our progress when it
        // looks again, or we see it registered here.
        fence(Ordering::SeqCst);
        if self.waiting_hint.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut sleepers = sync::lock(&self.sleepers);
        if sleepers.waiting == 0 {
            return; // Another waker claimed the last sleeper first.
        }
        sleepers.waiting -= 1;
        sleepers.signals += 1;
        self.waiting_hint.store(sleepers.waiting, Ordering::Relaxed);
        drop(sleepers);
        self.wakeup.notify_one();
    }

    /// Wakes every sleeper to look at its condition again (the queue closed, or drained for
    /// good).
    pub(crate) fn wake_all(&self) {
        // Taking the lock orders this call before any sleeper's next look: a sleeper either
        // sees what the caller did before calling (it looks under the lock), or was already
        // waiting when we took it and receives the notification below.
        drop(sync::lock(&self.sleepers));
        self.wakeup.notify_all();
    }
}
