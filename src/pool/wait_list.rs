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
//!
//! Wakers leave their progress to snoozers. Before sleeping, a thread snoozes (see
//! [`Backoff::snooze`]): it yields and looks again for a moment, so that work coming soon
//! finds it awake. A waker that signalled a sleeper while another thread snoozed would wake it
//! for nothing: the snoozer takes the job, and the woken thread snoozes its own 100 µs and
//! sleeps again. Measured on a 2-core VM, a server at `-c1` with four workers did that on
//! nearly every request (10.5 context switches and 53 µs of CPU per request); with wakers
//! skipping their signal while a thread snoozes, 1.2 and 33 µs, and 11% more requests a
//! second. The count of snoozers can be capped (`max_snoozers`, for the checkers); a cap at
//! the number of CPUs was measured too, and cost 6-9% at `-c50` for nothing at `-c1`, so the
//! normal build has none.
//!
//! Since wakers skip their signal for a snoozer, a thread that returns from a wait may stand for
//! several wakers, and takes one share (one job, one slot); so every thread that waited, once its
//! operation has an outcome, passes the wake on if there is more ([`WaitList::pass_on`]). That
//! rule is not left to the callers: they wait only through [`WaitList::retry`], which tries their
//! operation, waits between tries, and passes the wake on before it hands the outcome back, so no
//! caller can forget the pass-on or make it after using what it got (a worker passing it on only
//! after running its job leaves the jobs behind that one queued beside sleepers for as long as
//! the job runs). The count of
//! snoozers is a registration like the sleepers' count: a snoozer leaves it, and a `SeqCst` fence
//! (`pass_on`'s, or the registration's if it goes on to sleep) comes before its next look. A waker
//! that saw the count above zero saw some snoozer still in it; if the waker's fence came first,
//! that snoozer's next look sees the progress, and if the snoozer's came first, the waker would
//! have seen it leave. Passing on after a signal too covers a job published behind one whose
//! producer is not done yet: the woken thread finds the head unpublished and sleeps again, and the
//! later wake-up, for the first job, then stands for both.
//!
//! Under loom and shuttle a snooze is one look (see [`Backoff`]). Shuttle's pool models run
//! with one snoozer allowed unless a model asks for more (`Builder::snoozers`), so they explore
//! wakers that skip their signal for a snoozer, the threads that find the snoozing taken and go
//! straight to sleep, a snoozer that finds its work, and the pass-on. Loom's pool models run
//! with none unless they opt in (the count multiplies interleavings sixfold or more);
//! loom explores the snoozers on this list alone, in `loom_model` below, through the same
//! [`WaitList::retry`] the pool's threads call: there removing `pass_on`'s fence, its signal,
//! `retry`'s call of it, or the snoozer's exit from the count (or moving that exit past the
//! registration fence, or leaving it by a store) each ends in a consumer asleep beside a job.

use std::ops::ControlFlow;

use crate::sync::{self, fence, AtomicUsize, Condvar, Mutex, Ordering};

use super::backoff::Backoff;
use super::cache_padded::CachePadded;

/// A list of sleeping threads of one kind.
pub(crate) struct WaitList {
    /// Who is asleep and who has been signalled.
    sleepers: Mutex<Sleepers>,
    /// The sleepers wait here.
    wakeup: Condvar,
    /// A copy of `sleepers.waiting`, written under the lock and read without it by every waker,
    /// so that nobody takes the lock when nobody sleeps.
    waiting_hint: AtomicUsize,
    /// How many threads snooze on this list now. Changed twice per wait, so it gets a cache
    /// line of its own: a waker's common case (nobody asleep) reads `waiting_hint` only.
    snoozers: CachePadded<AtomicUsize>,
    /// The most threads that may snooze at once.
    max_snoozers: usize,
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
    /// A list on which at most `max_snoozers` threads snooze at once (none: every waiter goes
    /// straight to sleep).
    pub(crate) fn new(max_snoozers: usize) -> WaitList {
        WaitList {
            sleepers: Mutex::new(Sleepers {
                waiting: 0,
                signals: 0,
            }),
            wakeup: Condvar::new(),
            waiting_hint: AtomicUsize::new(0),
            snoozers: CachePadded(AtomicUsize::new(0)),
            max_snoozers,
        }
    }

    /// Tries `attempt` until it has an outcome (`Break`), waiting on this list whenever it has
    /// none (`Continue`, handing back the state to try again with, such as a job that did not
    /// fit); returns that outcome. If it waited, it first passes the wake on
    /// ([`pass_on`](WaitList::pass_on)), whatever the outcome: a job or slot taken, or the
    /// queue closed.
    ///
    /// `ready` says whether an attempt now might have an outcome. It must become true through
    /// a store that its waker makes *before* calling [`wake_one`](WaitList::wake_one) (that
    /// store is what the handshake's fences order), and must hold for good once the awaited
    /// thing can no longer come (the queue closed), since [`wake_all`](WaitList::wake_all)
    /// wakes every sleeper to look at it. It may say yes wrongly (the attempt then has no
    /// outcome, and this waits again), never no when an attempt would have one.
    #[inline] // the hot path: one attempt that has its outcome, on every job and every push
    pub(crate) fn retry<S, T>(
        &self,
        state: S,
        mut attempt: impl FnMut(S) -> ControlFlow<T, S>,
        ready: impl Fn() -> bool,
    ) -> T {
        match attempt(state) {
            ControlFlow::Break(outcome) => outcome,
            ControlFlow::Continue(back) => self.wait_then_retry(back, attempt, ready),
        }
    }

    /// [`retry`](WaitList::retry) once an attempt had no outcome: waits, tries again (and
    /// again), and passes the wake on before it returns the outcome.
    #[cold]
    fn wait_then_retry<S, T>(
        &self,
        mut state: S,
        mut attempt: impl FnMut(S) -> ControlFlow<T, S>,
        ready: impl Fn() -> bool,
    ) -> T {
        loop {
            self.wait_until(&ready);
            match attempt(state) {
                ControlFlow::Break(outcome) => {
                    self.pass_on(&ready);
                    return outcome;
                }
                ControlFlow::Continue(back) => state = back,
            }
        }
    }

    /// Waits until `ready()` holds or another thread's [`wake_one`](WaitList::wake_one)
    /// picks this one: first snoozing a moment unless the most threads allowed already do (see
    /// [`Backoff::snooze`]), then asleep. A return says only "look again" ([`retry`](WaitList::retry)
    /// tries the operation again, and may wait again).
    fn wait_until(&self, ready: impl Fn() -> bool) {
        let snoozing = &*self.snoozers;
        let joined = snoozing.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |now| {
            (now < self.max_snoozers).then_some(now + 1)
        });
        #[cfg(all(test, loom))]
        if let Ok(before) = joined {
            loom_model::snoozer_joined(before);
        }
        if joined.is_ok() {
            let mut backoff = Backoff::new();
            let mut found = false;
            while backoff.snooze() {
                if ready() {
                    found = true;
                    break;
                }
            }
            // Ordered before our next look by a `SeqCst` fence: `retry`'s `pass_on` once the
            // operation has its outcome, or the registration below (in this wait or the next).
            snoozing.fetch_sub(1, Ordering::Relaxed);
            if found {
                #[cfg(all(test, loom))]
                loom_model::snoozer_found_its_work();
                return;
            }
        }
        let mut sleepers = sync::lock(&self.sleepers);
        sleepers.waiting += 1;
        self.waiting_hint.store(sleepers.waiting, Ordering::Relaxed);
        // Pairs with the fence in `wake_one`: either a waker whose progress we miss here sees
        // us registered (and out of the snoozers) and signals, or we see its progress now.
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

    /// Called by [`retry`](WaitList::retry) for a thread that waited, once its operation has
    /// an outcome (it took a job or a slot, or found the queue closed): wakes one sleeper if
    /// `ready()` still holds. Wakers skip their signal while a thread snoozes, leaving their
    /// progress to it, and a woken thread takes one share of what may be several wakers'
    /// progress; this passes the rest on. After a close `ready` holds for good, so each
    /// thread that leaves the list wakes the next.
    fn pass_on(&self, ready: impl Fn() -> bool) {
        // Pairs with the fence in `wake_one`: a waker that skipped its signal for a snooze
        // that has ended since made its progress before its fence; if that fence came first,
        // `ready` sees the progress now, and if ours came first, the waker saw the snooze over
        // and signalled itself.
        fence(Ordering::SeqCst);
        if ready() {
            self.signal_one();
        }
    }

    /// Wakes one sleeper, if any is registered; called after making progress a sleeper may be
    /// waiting for (a job pushed, a slot freed).
    pub(crate) fn wake_one(&self) {
        // Pairs with the fences in `wait_until` and `pass_on`: either that sleeper (or
        // snoozer) sees our progress when it looks again, or we see it registered here (or
        // the snooze over).
        fence(Ordering::SeqCst);
        self.signal_one();
    }

    /// `wake_one` after its fence.
    fn signal_one(&self) {
        if self.waiting_hint.load(Ordering::Relaxed) == 0 {
            return;
        }
        if self.snoozers.load(Ordering::Relaxed) > 0 {
            return; // A snoozer will see our progress, and pass the wake on.
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

/// Shuttle builds only: what the models read of a list (`ThreadPool::waiters`), kept apart from
/// the protocol above, which never calls it.
#[cfg(shuttle)]
impl WaitList {
    /// Who waits here now, as at one instant: the sleepers not yet
    /// signalled, read under the lock, so that none registers or is signalled while the count of
    /// snoozers is read after them (a snoozer that leaves meanwhile waits for the lock to
    /// register). For `shuttle_tests/snoozers.rs`, whose models check with it that their
    /// searches had several threads snoozing beside several asleep; only the models that ask pay
    /// for the lock and the loads (scheduling points, like any other).
    pub(crate) fn waiters(&self) -> super::ListWaiters {
        let sleepers = sync::lock(&self.sleepers);
        super::ListWaiters {
            asleep: sleepers.waiting,
            snoozing: self.snoozers.load(Ordering::Relaxed),
        }
    }
}

/// The loom suite's model runner (the preemption bound, the count of interleavings, the line
/// `ci/loom.sh` counts, the mutation run's fail-fast), for the model below.
#[cfg(all(test, loom))]
#[path = "../../loom_tests/support.rs"]
mod loom_support;

/// The snoozer's skipped signals, explored by loom on the wait list alone. Most pool models run
/// with no snoozer (`Builder::snoozers`, loom builds): the count's two read-modify-writes per wait
/// multiplied their states six- to eightfold. Here two consumers wait for two jobs on a list
/// that lets one of them snooze, so loom explores wakers that see it snoozing and skip their
/// signal, a snoozer that finds its job, and the pass-on that repays the skipped signals; a
/// wake-up lost on any path leaves a consumer asleep, and loom reports the deadlock. The
/// protocol mutants `wl-fence-pass-on-removed`, `wl-pass-on-never-signals` and
/// `wl-snooze-count-*` (scripts/mutants/protocol/) are the broken variants it catches. It also
/// asserts that some interleaving had a snoozer find its job, the path that makes `pass_on`
/// needed: without that check, a snooze that never looks (`Backoff::snooze` returning `false`,
/// or nobody allowed to snooze) passed it, the model then exploring nothing of the kind.
#[cfg(all(test, loom))]
mod loom_model {
    use std::ops::ControlFlow;

    use super::loom_support as support;
    use super::WaitList;
    use crate::sync::atomic::UnmodelledAtomicUsize;
    use crate::sync::{thread, Arc, AtomicUsize, Ordering};

    /// How many snoozes found their work, over every interleaving the model ran: outside what
    /// loom explores. No other test of the library makes a `WaitList`.
    static SNOOZES_THAT_FOUND_WORK: UnmodelledAtomicUsize = UnmodelledAtomicUsize::new(0);

    /// The most threads that snoozed at once on one list, over every interleaving run.
    static MOST_SNOOZERS_AT_ONCE: UnmodelledAtomicUsize = UnmodelledAtomicUsize::new(0);

    /// Called by `wait_until` when a snoozer's look found its work.
    pub(super) fn snoozer_found_its_work() {
        SNOOZES_THAT_FOUND_WORK.fetch_add(1, Ordering::Relaxed);
    }

    /// Called by `wait_until` when a thread joins the snoozers, `before` snoozing already.
    pub(super) fn snoozer_joined(before: usize) {
        MOST_SNOOZERS_AT_ONCE.fetch_max(before + 1, Ordering::Relaxed);
    }

    /// A queue of jobs reduced to its two counters, as the pool's ring keeps them apart: the
    /// producer writes `pushed`, consumers claim from `taken`. A consumer's look reads both
    /// and writes neither, as the ring's `may_pop` does; that is what the wait list's fences
    /// are for (a read-modify-write on one shared counter would order the looks by itself).
    #[derive(Default)]
    struct Jobs {
        pushed: AtomicUsize,
        taken: AtomicUsize,
    }

    impl Jobs {
        fn push(&self) {
            let pushed = self.pushed.load(Ordering::Relaxed);
            self.pushed.store(pushed + 1, Ordering::Release);
        }

        fn ready(&self) -> bool {
            self.pushed.load(Ordering::Acquire) > self.taken.load(Ordering::Relaxed)
        }

        /// Claims one job, if there is one.
        fn take(&self) -> bool {
            loop {
                let taken = self.taken.load(Ordering::Relaxed);
                if self.pushed.load(Ordering::Acquire) <= taken {
                    return false;
                }
                if self
                    .taken
                    .compare_exchange(taken, taken + 1, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
                {
                    return true;
                }
            }
        }
    }

    /// A consumer's loop, as the pool's workers run it ([`WaitList::retry`]): take a job, or
    /// wait; after a wait, pass the wake on once the job is taken.
    fn consume_one(list: &WaitList, jobs: &Jobs) {
        list.retry(
            (),
            |()| {
                if jobs.take() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
            || jobs.ready(),
        );
    }

    /// Two consumers, two jobs pushed one by one by the main thread, on a list that lets
    /// `max_snoozers` consumers snooze at once: both jobs are taken, and nobody is left asleep
    /// (loom reports the deadlock).
    fn two_consumers_take_two_jobs(max_snoozers: usize) {
        let shared = Arc::new((WaitList::new(max_snoozers), Jobs::default()));
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let shared = Arc::clone(&shared);
                thread::spawn(move || consume_one(&shared.0, &shared.1))
            })
            .collect();
        let (list, jobs) = &*shared;
        for _ in 0..2 {
            jobs.push();
            list.wake_one();
        }
        for consumer in consumers {
            consumer.join().unwrap();
        }
        assert_eq!(jobs.taken.load(Ordering::Relaxed), 2);
    }

    /// The count of snoozers with both consumers in it at once (the pool's other models allow
    /// one snoozer per list): each must leave it by a read-modify-write. A snoozer that leaves
    /// by storing back the count it found when it joined is exact alone, and with two that
    /// leave in the order they joined leaves the count at one with nobody snoozing, so every
    /// waker skips its signal from then on (protocol patch
    /// `wl-snooze-count-restored-not-decremented`, a deadlock here at two preemptions, not at
    /// one: 103 728 interleavings at two, ten times that at three).
    #[test]
    fn two_snoozers_leave_the_count_as_they_found_it() {
        support::check(
            "two_snoozers_leave_the_count_as_they_found_it",
            support::LARGE_MODEL,
            || two_consumers_take_two_jobs(2),
        );
        // Only this model allows two: one that never had both in the count would pass whatever
        // the second's exit did.
        assert_eq!(
            MOST_SNOOZERS_AT_ONCE.load(Ordering::Relaxed),
            2,
            "no interleaving had both consumers snoozing at once"
        );
    }

    #[test]
    fn skipped_signals_are_passed_on() {
        support::check(
            "skipped_signals_are_passed_on",
            support::SMALL_MODEL,
            || two_consumers_take_two_jobs(1),
        );
        // The path `pass_on` exists for starts with a snoozer that finds its job: a model that
        // never reaches it would pass whatever `pass_on` did.
        assert!(
            SNOOZES_THAT_FOUND_WORK.load(Ordering::Relaxed) > 0,
            "no interleaving had a snoozer find its job"
        );
    }
}
