//! Shuttle models of `webpool::ThreadPool` with several threads snoozing at once on a wait list,
//! beside several asleep: where loom cannot go (issue 30, item 3). Loom's pool models allow one
//! snoozer per list at most (`Builder::snoozers`; each snoozer multiplies their interleavings),
//! and shuttle's other models run with its default of one; the pool that runs has no limit. Here
//! every model runs four times, with the cap at 1, 2, 3 and no limit (`Builder::snoozers`, loom
//! and shuttle builds only), at 8 workers and several producers:
//!
//! - `jobs_run_once_*`: three producers submit 120 jobs through a queue of 4; every job runs
//!   exactly once, with no shutdown needed to wake a worker for it.
//! - `close_releases_waiting_producers_*`: 8 workers held by jobs, a full queue, six producers
//!   waiting for room (some snoozing, some asleep) when `close` comes; each returns, refused with
//!   its job handed back unrun, and the pool then ends by `shutdown`, `shutdown_now` or drop.
//! - `endings_release_waiting_workers_*`: 8 workers waiting for jobs (some snoozing, some asleep,
//!   some still running the last jobs) when `shutdown`, `shutdown_now`, drop, or `close` then
//!   `shutdown` comes; each does what its docs promise, and nothing hangs.
//!
//! `shutdown`, `shutdown_now` and drop take the pool by value, so they cannot come while a
//! producer waits in `execute` (which borrows it): the producers' list is reached by `close`
//! alone, which all three begin with. Waiters on both lists at once are transient (a full queue
//! keeps no worker waiting for long); `jobs_run_once_*` samples them as the producers go.
//!
//! Each model checks that it got where it is about: its threads sample who snoozes and who
//! sleeps on each list as they go (`ThreadPool::waiters`, shuttle builds only: the count of
//! snoozers and the count of sleepers not yet signalled), and a model whose searches never had
//! as many threads snoozing at once as its cap lets (up to 4), beside a sleeper, or whose close
//! never came while producers snoozed and slept, fails; so does a sample with more snoozers at
//! once than the cap. Each model prints those figures (`shuttle snoozers NAME: ...`) after its
//! `shuttle model NAME: ...` line.
//!
//! Run with `RUSTFLAGS="--cfg shuttle" cargo test --release --test shuttle_snoozers`; failures
//! print the schedule and the command that replays it, as in `shuttle_tests/pool.rs`, whose
//! caveat holds here too: shuttle runs every atomic as `SeqCst`, so these models check the
//! protocol's logic with many waiters, with the orderings taken as right (loom's to check).
#![cfg(shuttle)]

mod support;

use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering as StdOrdering};
use std::sync::Arc as StdArc;

use shuttle::rand::{thread_rng, Rng};
use webpool::pool::{ListWaiters, Waiters};
use webpool::sync::atomic::{AtomicUsize, Ordering};
use webpool::sync::{thread, Arc};
use webpool::{Builder, ExecuteError, ThreadPool};

use support::{check, fail, report, Gate, Latch, Log, Plan};

/// This test binary's name, for the replay command.
const BINARY: &str = "shuttle_snoozers";

/// Worker threads of every model's pool.
const WORKERS: usize = 8;

/// No limit on the snoozers, as the pool that runs has.
const UNLIMITED: usize = usize::MAX;

/// A pool of `threads` workers, a queue of `capacity` jobs, and at most `snoozers` threads
/// snoozing at once on each wait list.
fn pool(threads: usize, capacity: usize, snoozers: usize) -> ThreadPool {
    Builder::new()
        .threads(threads)
        .queue_capacity(capacity)
        .snoozers(snoozers)
        .build()
        .expect("shuttle can start the workers")
}

/// Takes the pool back from an `Arc` once every other holder has been joined.
fn sole(pool: Arc<ThreadPool>) -> ThreadPool {
    match Arc::try_unwrap(pool) {
        Ok(pool) => pool,
        Err(_) => panic!("another thread still holds the pool"),
    }
}

/// One run counter per job (shuttle atomics: each count is a scheduling point).
fn counters(jobs: usize) -> Arc<Vec<AtomicUsize>> {
    Arc::new((0..jobs).map(|_| AtomicUsize::new(0)).collect())
}

/// A job that counts its own run and logs its number.
fn job(ran: &Arc<Vec<AtomicUsize>>, log: &Log, number: usize) -> impl FnOnce() + Send + 'static {
    let (ran, log) = (Arc::clone(ran), log.clone());
    move || {
        ran[number].fetch_add(1, Ordering::SeqCst);
        log.push(number);
    }
}

/// A model's name for `cap`, as its test function is named: `{model}_with_1_snoozer`,
/// `{model}_with_2_snoozers`, ..., `{model}_with_unlimited_snoozers` (the replay command runs
/// the test of that name).
fn model_name(model: &str, cap: usize) -> String {
    match cap {
        1 => format!("{model}_with_1_snoozer"),
        UNLIMITED => format!("{model}_with_unlimited_snoozers"),
        cap => format!("{model}_with_{cap}_snoozers"),
    }
}

/// What a search saw of one wait list, over the samples its models took
/// (`ThreadPool::waiters`): the most threads snoozing at once, asleep at once, snoozing while
/// at least one slept, asleep while at least one snoozed, and how many samples had both. Std
/// atomics: bookkeeping outside the model.
#[derive(Default)]
struct Seen {
    snoozing: StdAtomicUsize,
    asleep: StdAtomicUsize,
    snoozing_beside_asleep: StdAtomicUsize,
    asleep_beside_snoozing: StdAtomicUsize,
    mixed: StdAtomicUsize,
}

impl Seen {
    /// Counts one sample of a list whose cap is `cap`, and fails the execution if more threads
    /// snooze on it than the cap lets.
    fn see(&self, list: &str, now: &ListWaiters, cap: usize) {
        assert!(
            now.snoozing <= cap,
            "{} threads snooze at once on the {list} list, past its cap of {cap}",
            now.snoozing
        );
        let most = |high: &StdAtomicUsize, value: usize| {
            high.fetch_max(value, StdOrdering::Relaxed);
        };
        most(&self.snoozing, now.snoozing);
        most(&self.asleep, now.asleep);
        if now.asleep > 0 {
            most(&self.snoozing_beside_asleep, now.snoozing);
        }
        if now.snoozing > 0 {
            most(&self.asleep_beside_snoozing, now.asleep);
            if now.asleep > 0 {
                self.mixed.fetch_add(1, StdOrdering::Relaxed);
            }
        }
    }

    fn get(high: &StdAtomicUsize) -> usize {
        high.load(StdOrdering::Relaxed)
    }

    /// `up to S snoozing (S' beside a sleeper), A asleep (A' beside a snoozer), N samples with
    /// both`.
    fn describe(&self) -> String {
        format!(
            "up to {} snoozing ({} beside a sleeper), {} asleep ({} beside a snoozer), {} \
             samples with both",
            Seen::get(&self.snoozing),
            Seen::get(&self.snoozing_beside_asleep),
            Seen::get(&self.asleep),
            Seen::get(&self.asleep_beside_snoozing),
            Seen::get(&self.mixed),
        )
    }
}

/// Fails the test unless `got` reached `want`: the search never got where the model is about.
fn reached(model: &str, what: &str, got: usize, want: usize) {
    if std::env::var_os(support::REPLAY_ENV).is_some() {
        return; // one replayed schedule need not reach everything
    }
    if got < want {
        fail(&format!(
            "{model}: the search never reached {what} (want {want}, saw {got})"
        ));
    }
}

/// How many snoozers at once a search must have seen under `cap`: the cap, up to `most` (past
/// it, shuttle's searches rarely line that many snoozes up). `most` is 4 wherever the list has
/// the threads for it, so that no limit (`usize::MAX`) is seen to differ from a cap of 3.
fn snoozers_wanted(cap: usize, most: usize) -> usize {
    cap.min(most)
}

// ===== jobs run exactly once =====

/// Producer threads of `jobs_run_once`.
const PRODUCERS: usize = 3;

/// Jobs of `jobs_run_once` that each wait for a later job: one worker is always left free.
const WAITERS: usize = WORKERS - 1;

/// What job `i` of producer `producer`, of `per_producer`, does besides counting, in
/// `jobs_run_once`: waits for gate `k` (`Some((true, k))`), opens it (`Some((false, k))`), or
/// nothing. Producer `p` has the pairs `k = p, p + 3, ...` (below `WAITERS`), each waiter
/// queued just before its opener, at the end of its jobs: a lost wake-up there, with no more
/// submissions to make up for it, leaves the opener queued beside a sleeping worker.
fn role(producer: usize, i: usize, per_producer: usize) -> Option<(bool, usize)> {
    let pairs = (WAITERS - producer).div_ceil(PRODUCERS);
    let first = per_producer - 2 * pairs;
    let from_first = i.checked_sub(first)?;
    Some((from_first % 2 == 0, producer + PRODUCERS * (from_first / 2)))
}

/// Three producers submit 40 jobs each through a queue of 4 to 8 workers, with up to `cap`
/// threads snoozing at once on each list; seven of the jobs each hold their worker until the
/// job their producer queues next runs, at the end of each producer's jobs, so that as few as
/// one worker is free. Every
/// job runs exactly once, and all 120 run with no shutdown to wake a worker for them (the owner
/// waits for every job before it shuts the pool down, so a wake-up lost on either list, or a
/// pass-on, is a deadlock here: with seven workers held, the eighth asleep beside a queued job
/// is the end); the counters add up; and no sample saw more snoozers at once than the cap. The search must reach `cap` workers
/// snoozing at once (up to 4, so that no limit is seen to differ from 3) and `cap` producers
/// (up to all 3), two workers and a producer asleep beside a snoozer, and sleepers on both
/// lists at once while a thread snoozed (sampled by the owner, a step at a time, while the
/// producers submit).
fn jobs_run_once(cap: usize) {
    const PER_PRODUCER: usize = 40;
    const CAPACITY: usize = 4;
    const MOST_SAMPLES: usize = 300;
    let name = model_name("jobs_run_once", cap);
    let (workers, producers) = (StdArc::new(Seen::default()), StdArc::new(Seen::default()));
    let both_asleep = StdArc::new(StdAtomicUsize::new(0));
    let both_mixed = StdArc::new(StdAtomicUsize::new(0));
    let (w, p, asleep, mixed) = (
        StdArc::clone(&workers),
        StdArc::clone(&producers),
        StdArc::clone(&both_asleep),
        StdArc::clone(&both_mixed),
    );
    check(BINARY, &name, Plan::new(5000, 5000), move || {
        let jobs = PRODUCERS * PER_PRODUCER;
        let pool = Arc::new(pool(WORKERS, CAPACITY, cap));
        let (ran, log, done) = (counters(jobs), Log::new(), Latch::new(jobs));
        let finished = Arc::new(AtomicUsize::new(0));
        let gates: Vec<Gate> = (0..WAITERS).map(|_| Gate::new()).collect();
        let threads: Vec<_> = (0..PRODUCERS)
            .map(|producer| {
                let (pool, ran, log, done) = (
                    Arc::clone(&pool),
                    Arc::clone(&ran),
                    log.clone(),
                    done.clone(),
                );
                let (finished, gates) = (Arc::clone(&finished), gates.clone());
                thread::spawn(move || {
                    for i in 0..PER_PRODUCER {
                        let number = producer * PER_PRODUCER + i;
                        let counted = job(&ran, &log, number);
                        let done = done.clone();
                        let role = role(producer, i, PER_PRODUCER)
                            .map(|(waits, k)| (waits, gates[k].clone()));
                        pool.execute(move || {
                            match role {
                                Some((true, gate)) => gate.wait(),
                                Some((false, gate)) => gate.open(),
                                None => {}
                            }
                            counted();
                            done.count_down();
                        })
                        .unwrap();
                    }
                    finished.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        // The owner samples both lists while the producers submit: each sample is one of its
        // steps, and its yields let shuttle run the others (PCT lowers its priority). At most
        // `MOST_SAMPLES`, then it blocks: a lost wake-up must leave every thread blocked, which
        // shuttle reports as the deadlock it is, not as a livelock after a million steps.
        let mut samples = 0;
        while finished.load(Ordering::SeqCst) < PRODUCERS && samples < MOST_SAMPLES {
            samples += 1;
            let Waiters { workers, producers } = pool.waiters();
            w.see("workers'", &workers, cap);
            p.see("producers'", &producers, cap);
            if workers.asleep > 0 && producers.asleep > 0 {
                asleep.fetch_add(1, StdOrdering::Relaxed);
                if workers.snoozing + producers.snoozing > 0 {
                    mixed.fetch_add(1, StdOrdering::Relaxed);
                }
            }
            thread::yield_now();
        }
        for producer in threads {
            producer.join().unwrap();
        }
        done.wait();
        let stats = sole(pool).shutdown();
        for (number, count) in ran.iter().enumerate() {
            assert_eq!(count.load(Ordering::SeqCst), 1, "job {number}");
        }
        assert_eq!(stats.completed, jobs as u64);
        assert_eq!((stats.queued, stats.running, stats.panicked), (0, 0, 0));
        log.fingerprint()
    });
    report(&format!(
        "shuttle snoozers {name}: sampled by the owner, workers' list {}; producers' list {}; \
         sleepers on both lists at once in {} samples, {} of them beside a snoozer",
        workers.describe(),
        producers.describe(),
        Seen::get(&both_asleep),
        Seen::get(&both_mixed),
    ));
    reached(
        &name,
        "that many workers snoozing at once",
        Seen::get(&workers.snoozing),
        snoozers_wanted(cap, 4),
    );
    reached(
        &name,
        "that many producers snoozing at once",
        Seen::get(&producers.snoozing),
        snoozers_wanted(cap, PRODUCERS),
    );
    reached(
        &name,
        "two workers asleep beside a snoozer",
        Seen::get(&workers.asleep_beside_snoozing),
        2,
    );
    reached(
        &name,
        "a producer asleep beside a snoozer",
        Seen::get(&producers.asleep_beside_snoozing),
        1,
    );
    reached(
        &name,
        "sleepers on both lists at once, beside a snoozer",
        Seen::get(&both_mixed),
        1,
    );
}

#[test]
fn jobs_run_once_with_1_snoozer() {
    jobs_run_once(1);
}

#[test]
fn jobs_run_once_with_2_snoozers() {
    jobs_run_once(2);
}

#[test]
fn jobs_run_once_with_3_snoozers() {
    jobs_run_once(3);
}

#[test]
fn jobs_run_once_with_unlimited_snoozers() {
    jobs_run_once(UNLIMITED);
}

// ===== close while producers wait for room =====

/// How a model ends the pool once it is closed, or (for the workers' model) ends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    /// `shutdown()`: drain the queue, join.
    Shutdown,
    /// `drop(pool)`: the same, by `Drop`.
    Drop,
    /// `shutdown_now()`: discard what no worker has taken, join.
    ShutdownNow,
    /// `close()`, then `shutdown()` (the workers' model: the close wakes them, not the
    /// shutdown).
    CloseThenShutdown,
}

/// Ends `pool` as `ending` says; returns the jobs `shutdown_now` discarded (0 otherwise), after
/// asserting what `shutdown`'s counters promise: every accepted job finished, `accepted` of
/// them, nothing queued or running.
fn end(pool: ThreadPool, ending: Ending, accepted: usize) -> usize {
    match ending {
        Ending::Shutdown | Ending::CloseThenShutdown => {
            if ending == Ending::CloseThenShutdown {
                pool.close();
                assert!(pool.is_closed());
            }
            let stats = pool.shutdown();
            assert_eq!(stats.completed, accepted as u64);
            assert_eq!((stats.queued, stats.running, stats.panicked), (0, 0, 0));
            0
        }
        Ending::Drop => {
            drop(pool);
            0
        }
        Ending::ShutdownNow => pool.shutdown_now(),
    }
}

/// Fails unless each job ran as `ending` promises: every accepted job exactly once after
/// `shutdown` or drop (they drain the queue); after `shutdown_now`, at most once, the ones that
/// never ran being exactly the `discarded` ones; and no refused job ever.
fn ran_as_promised(ran: &[AtomicUsize], accepted: &[bool], ending: Ending, discarded: usize) {
    let mut not_run = 0;
    for (number, count) in ran.iter().enumerate() {
        let count = count.load(Ordering::SeqCst);
        match (accepted[number], ending) {
            (false, _) => assert_eq!(count, 0, "refused job {number} ran"),
            (true, Ending::ShutdownNow) => {
                assert!(count <= 1, "job {number} ran {count} times");
                not_run += 1 - count;
            }
            (true, _) => assert_eq!(count, 1, "accepted job {number}"),
        }
    }
    assert_eq!(not_run, discarded, "discarded jobs vs jobs that never ran");
}

/// Producers waiting for room in `close_releases_waiting_producers`.
const WAITING_PRODUCERS: usize = 6;

/// `close` while six producers wait for room, some snoozing, some asleep: 8 workers each held
/// by a job until a gate opens, a full queue of 2, six producers each submitting one job, and
/// the owner closing the pool after a number of its own steps that shuttle picks (0 to 30).
/// Every producer returns; once the gate opens only after the close (three runs in four), each
/// is refused with `ExecuteError::ShutDown` and its job handed back unrun, since no slot was
/// ever freed. Otherwise (the gate opened before the close, so workers free slots as producers
/// wait) each producer's job is accepted or refused, and a refused one never runs. Then the
/// pool ends by `shutdown`, drop or `shutdown_now` (shuttle's pick): every accepted job ran
/// exactly once (after `shutdown_now`, at most once, the discarded ones never). The search
/// must reach `cap` producers snoozing at once (up to 4), and a close that came while
/// producers snoozed and slept at once: `cap` of them snoozing (up to 3) beside a sleeper, and
/// two asleep beside a snoozer.
fn close_releases_waiting_producers(cap: usize) {
    const CAPACITY: usize = 2;
    const MOST_STEPS: usize = 30;
    let name = model_name("close_releases_waiting_producers", cap);
    let (waiting, at_close) = (StdArc::new(Seen::default()), StdArc::new(Seen::default()));
    let (seen, at) = (StdArc::clone(&waiting), StdArc::clone(&at_close));
    check(BINARY, &name, Plan::new(5000, 5000), move || {
        let mut rng = thread_rng();
        let gate_first = rng.gen_range(0..4) == 0;
        let steps = rng.gen_range(0..=MOST_STEPS);
        // Half the executions look at the producers' list right before the close. A look takes
        // the list's lock (`ThreadPool::waiters`), so a producer between its last look at the
        // queue and its wait (which it makes holding that lock) gets into the wait first, and
        // the close that follows at once reaches it however it notifies: a close that notified
        // without the lock (protocol patch `wl-wake-all-no-lock`) would pass every execution
        // that looked.
        let look_at_close = rng.gen_range(0..2) == 0;
        let ending = [Ending::Shutdown, Ending::Drop, Ending::ShutdownNow][rng.gen_range(0..3)];

        let held = WORKERS + CAPACITY; // jobs 0..8 hold the workers, 8..10 fill the queue
        let jobs = held + WAITING_PRODUCERS;
        let pool = Arc::new(pool(WORKERS, CAPACITY, cap));
        let (ran, log) = (counters(jobs), Log::new());
        let gate = Gate::new();
        for number in 0..WORKERS {
            let (gate, counted) = (gate.clone(), job(&ran, &log, number));
            pool.execute(move || {
                gate.wait();
                counted();
            })
            .unwrap();
        }
        for number in WORKERS..held {
            pool.execute(job(&ran, &log, number)).unwrap();
        }
        let producers: Vec<_> = (held..jobs)
            .map(|number| {
                let (pool, counted) = (Arc::clone(&pool), job(&ran, &log, number));
                thread::spawn(move || match pool.execute(counted) {
                    Ok(()) => true,
                    Err(ExecuteError::ShutDown(_job)) => false, // handed back; dropped unrun
                })
            })
            .collect();
        if gate_first {
            gate.open();
        }
        // The owner's own steps while the producers come to wait: a sample of their list each.
        for _ in 0..steps {
            seen.see("producers'", &pool.waiters().producers, cap);
            thread::yield_now();
        }
        if look_at_close {
            let now = pool.waiters().producers;
            seen.see("producers'", &now, cap);
            at.see("producers'", &now, cap);
        }
        pool.close();
        gate.open();
        let mut accepted = vec![true; held];
        accepted.extend(producers.into_iter().map(|p| p.join().unwrap()));
        if !gate_first {
            let got_in = accepted[held..].iter().filter(|&&yes| yes).count();
            assert_eq!(
                got_in, 0,
                "a producer got in with the queue full until the close"
            );
        }
        let count = accepted.iter().filter(|&&yes| yes).count();
        let discarded = end(sole(pool), ending, count);
        ran_as_promised(&ran, &accepted, ending, discarded);
        let mut outcome = log.entries();
        outcome.extend(accepted.iter().map(|&yes| usize::from(yes)));
        outcome.extend([gate_first as usize, ending as usize, discarded]);
        support::fingerprint(outcome)
    });
    report(&format!(
        "shuttle snoozers {name}: producers' list sampled by the owner {}; at the close {}",
        waiting.describe(),
        at_close.describe()
    ));
    reached(
        &name,
        "that many producers snoozing at once",
        Seen::get(&waiting.snoozing),
        snoozers_wanted(cap, 4),
    );
    reached(
        &name,
        "a close while that many producers snoozed beside a sleeper",
        Seen::get(&at_close.snoozing_beside_asleep),
        snoozers_wanted(cap, 3),
    );
    reached(
        &name,
        "a close while two producers slept beside a snoozer",
        Seen::get(&at_close.asleep_beside_snoozing),
        2,
    );
}

#[test]
fn close_releases_waiting_producers_with_1_snoozer() {
    close_releases_waiting_producers(1);
}

#[test]
fn close_releases_waiting_producers_with_2_snoozers() {
    close_releases_waiting_producers(2);
}

#[test]
fn close_releases_waiting_producers_with_3_snoozers() {
    close_releases_waiting_producers(3);
}

#[test]
fn close_releases_waiting_producers_with_unlimited_snoozers() {
    close_releases_waiting_producers(UNLIMITED);
}

// ===== endings while workers wait for jobs =====

/// Shutdown, `shutdown_now`, drop, and `close` then `shutdown`, while workers wait for jobs,
/// some snoozing, some asleep: three producers submit up to 4 jobs each (shuttle picks how
/// many) through a queue of 2 to 8 workers, and the owner ends the pool as shuttle picks, after
/// a number of its own steps that shuttle picks too (0 to 20; the workers drain the queue and go
/// to wait meanwhile). `shutdown`, `shutdown_now` and drop take the pool, so they come once the
/// producers are joined; `close` comes while they may still submit (a job may be refused, and a
/// worker may go back to sleep after the close, waiting for a job whose producer is still
/// publishing it, so each worker's exit must pass the close on), then `shutdown`. Nothing hangs
/// (the close must reach every worker, asleep, snoozing or between the two); every accepted job
/// runs exactly once after `shutdown` (whose counters say so) and drop, and at most once after
/// `shutdown_now`, the ones that never ran being exactly those it discarded; no refused job
/// runs, and a producer once refused is refused for good. The search must reach an ending that
/// came while workers snoozed and slept at once: `cap` of them snoozing (up to 4) beside a
/// sleeper, and two asleep beside a snoozer.
fn endings_release_waiting_workers(cap: usize) {
    const CAPACITY: usize = 2;
    const PER_PRODUCER: usize = 4;
    const MOST_STEPS: usize = 20;
    let name = model_name("endings_release_waiting_workers", cap);
    let (waiting, at_ending) = (StdArc::new(Seen::default()), StdArc::new(Seen::default()));
    let (seen, at) = (StdArc::clone(&waiting), StdArc::clone(&at_ending));
    check(BINARY, &name, Plan::new(5000, 5000), move || {
        let mut rng = thread_rng();
        let each = rng.gen_range(0..=PER_PRODUCER);
        let steps = rng.gen_range(0..=MOST_STEPS);
        // Half the executions look at the workers' list right before the ending: a look takes
        // the list's lock, which would hide a close that notifies without it (see
        // `close_releases_waiting_producers`).
        let look_at_ending = rng.gen_range(0..2) == 0;
        let ending = [
            Ending::Shutdown,
            Ending::Drop,
            Ending::ShutdownNow,
            Ending::CloseThenShutdown,
        ][rng.gen_range(0..4)];

        let jobs = PRODUCERS * each;
        let pool = Arc::new(pool(WORKERS, CAPACITY, cap));
        let (ran, log) = (counters(jobs), Log::new());
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|producer| {
                let (pool, ran, log) = (Arc::clone(&pool), Arc::clone(&ran), log.clone());
                thread::spawn(move || {
                    let mut accepted = Vec::with_capacity(each);
                    for i in 0..each {
                        let ok = pool.execute(job(&ran, &log, producer * each + i)).is_ok();
                        let refused_before = accepted.contains(&false);
                        assert!(!(ok && refused_before), "a job accepted after a refusal");
                        accepted.push(ok);
                    }
                    accepted
                })
            })
            .collect();
        // The owner's own steps (the workers drain the queue and come to wait meanwhile), each
        // with a sample of the workers' list, then the ending's first move.
        let wait_then_look = |pool: &ThreadPool| {
            for _ in 0..steps {
                seen.see("workers'", &pool.waiters().workers, cap);
                thread::yield_now();
            }
            if look_at_ending {
                let now = pool.waiters().workers;
                seen.see("workers'", &now, cap);
                at.see("workers'", &now, cap);
            }
        };
        let close_first = ending == Ending::CloseThenShutdown;
        if close_first {
            // The close comes while the producers may still submit.
            wait_then_look(&pool);
            pool.close();
        }
        let accepted: Vec<bool> = producers
            .into_iter()
            .flat_map(|producer| producer.join().unwrap())
            .collect();
        if !close_first {
            assert!(accepted.iter().all(|&ok| ok), "refused before any close");
        }
        let pool = sole(pool);
        if !close_first {
            wait_then_look(&pool);
        }
        let count = accepted.iter().filter(|&&ok| ok).count();
        let discarded = end(pool, ending, count);
        ran_as_promised(&ran, &accepted, ending, discarded);
        let mut outcome = log.entries();
        outcome.extend(accepted.iter().map(|&ok| usize::from(ok)));
        outcome.extend([each, ending as usize, discarded]);
        support::fingerprint(outcome)
    });
    report(&format!(
        "shuttle snoozers {name}: workers' list sampled by the owner {}; at the ending {}",
        waiting.describe(),
        at_ending.describe()
    ));
    reached(
        &name,
        "that many workers snoozing at once",
        Seen::get(&waiting.snoozing),
        snoozers_wanted(cap, 4),
    );
    reached(
        &name,
        "an ending while that many workers snoozed beside a sleeper",
        Seen::get(&at_ending.snoozing_beside_asleep),
        snoozers_wanted(cap, 4),
    );
    reached(
        &name,
        "an ending while two workers slept beside a snoozer",
        Seen::get(&at_ending.asleep_beside_snoozing),
        2,
    );
}

#[test]
fn endings_release_waiting_workers_with_1_snoozer() {
    endings_release_waiting_workers(1);
}

#[test]
fn endings_release_waiting_workers_with_2_snoozers() {
    endings_release_waiting_workers(2);
}

#[test]
fn endings_release_waiting_workers_with_3_snoozers() {
    endings_release_waiting_workers(3);
}

#[test]
fn endings_release_waiting_workers_with_unlimited_snoozers() {
    endings_release_waiting_workers(UNLIMITED);
}
