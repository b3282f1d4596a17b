//! Shuttle models of `webpool::ThreadPool` at a scale loom cannot hold: 8 workers, 3 producers,
//! hundreds of jobs, and a queue small enough that producers block on it, so every path of the
//! pool (the ring's races, the sleep protocol on both sides, shutdown while producers wait for
//! room and workers sleep) runs with many threads at once.
//!
//! Run with `RUSTFLAGS="--cfg shuttle" cargo test --release --test shuttle_pool`. Each model
//! runs under shuttle's random scheduler, then its PCT scheduler, thousands of iterations each
//! (`support::check`); a failure prints the failing schedule and the command that replays it
//! (`WEBPOOL_SHUTTLE_REPLAY='<schedule>' RUSTFLAGS="--cfg shuttle" cargo test --release --test
//! shuttle_pool -- --exact <model> --nocapture`). Each search must see more than one distinct
//! order of jobs, and the whole run must reach the states the model is about (a full queue, a
//! shutdown that refuses a waiting producer, ...), or the test fails: a model that never got
//! there proved nothing.
//!
//! What shuttle cannot see here: shuttle runs every atomic as `SeqCst`, so the pool's fences
//! and its `Relaxed`/`Acquire`/`Release` orderings are taken as stronger than they are. Whether
//! the sleep protocol's `SeqCst` fences are needed, and whether the ring's stamps publish the
//! values, is `loom_tests/pool.rs`'s to check (loom explores the weaker orderings' outcomes);
//! these models check the protocol's logic at scale, with the orderings assumed right.
#![cfg(shuttle)]

mod support;

use std::panic;

use shuttle::rand::{thread_rng, Rng};
use webpool::sync::atomic::{AtomicUsize, Ordering};
use webpool::sync::{thread, Arc};
use webpool::{Builder, ExecuteError, ThreadPool};

use support::{check, fail, silence_expected_panics, Gate, Latch, Log, Plan, Reached};

/// This test binary's name, for the replay command.
const BINARY: &str = "shuttle_pool";

/// Worker threads of every model's pool.
const WORKERS: usize = 8;

/// Producer threads submitting at once.
const PRODUCERS: usize = 3;

/// A pool of `threads` workers whose queue holds `capacity` jobs.
fn pool(threads: usize, capacity: usize) -> ThreadPool {
    Builder::new()
        .threads(threads)
        .queue_capacity(capacity)
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

/// One run counter per job, shared by the model and its jobs (shuttle atomics: each count is
/// a scheduling point, so jobs interleave with the pool's own steps).
fn counters(jobs: usize) -> Arc<Vec<AtomicUsize>> {
    Arc::new((0..jobs).map(|_| AtomicUsize::new(0)).collect())
}

/// A job that counts its own run, logs its number, and counts `done` down.
fn job(
    ran: &Arc<Vec<AtomicUsize>>,
    log: &Log,
    done: &Latch,
    number: usize,
) -> impl FnOnce() + Send + 'static {
    let (ran, log, done) = (Arc::clone(ran), log.clone(), done.clone());
    move || {
        ran[number].fetch_add(1, Ordering::SeqCst);
        log.push(number);
        done.count_down();
    }
}

/// `job` once `gate` opens: it holds its worker until then.
fn waiting_for(gate: Gate, job: impl FnOnce() + Send + 'static) -> impl FnOnce() + Send + 'static {
    move || {
        gate.wait();
        job();
    }
}

/// `job` after opening `gate`.
fn opening(gate: Gate, job: impl FnOnce() + Send + 'static) -> impl FnOnce() + Send + 'static {
    move || {
        gate.open();
        job();
    }
}

/// Three producers submit 300 jobs through a queue of 16 to 8 workers: every job runs, with
/// no shutdown needed to wake a worker for it (the owner waits for all 300 before it shuts the
/// pool down, so a lost wake-up is a deadlock here); every job runs exactly once; the counters
/// add up; and the queue never holds more than its capacity (back-pressure: producers block on
/// the full queue, and are woken).
#[test]
fn every_job_runs_exactly_once_at_scale() {
    const PER_PRODUCER: usize = 100;
    const CAPACITY: usize = 16;
    static FULL: Reached = Reached::new();
    check(
        BINARY,
        "every_job_runs_exactly_once_at_scale",
        Plan::new(2000, 2000),
        || {
            let jobs = PRODUCERS * PER_PRODUCER;
            let pool = Arc::new(pool(WORKERS, CAPACITY));
            let (ran, log, done) = (counters(jobs), Log::new(), Latch::new(jobs));
            let producers: Vec<_> = (0..PRODUCERS)
                .map(|p| {
                    let (pool, ran, log, done) = (
                        Arc::clone(&pool),
                        Arc::clone(&ran),
                        log.clone(),
                        done.clone(),
                    );
                    thread::spawn(move || {
                        for i in 0..PER_PRODUCER {
                            let queued = pool.queued();
                            assert!(queued <= CAPACITY, "{queued} jobs in a queue of {CAPACITY}");
                            if queued == CAPACITY {
                                FULL.hit();
                            }
                            let number = p * PER_PRODUCER + i;
                            pool.execute(job(&ran, &log, &done, number)).unwrap();
                        }
                    })
                })
                .collect();
            for producer in producers {
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
        },
    );
    if FULL.count() == 0 {
        fail("no producer ever found the queue full: the back-pressure path was never modelled");
    }
}

/// How a model ends the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    /// `shutdown()`: drain the queue, join.
    Shutdown,
    /// `drop(pool)`: the same, by `Drop`.
    Drop,
    /// `shutdown_now()`: discard what no worker has taken, join.
    ShutdownNow,
}

/// Shutdown under load: while three producers submit 300 jobs through a queue of 8, the
/// owner closes the pool after a number of accepted jobs shuttle picks (0 to 300), then ends
/// it by `shutdown`, `drop` or `shutdown_now` (also shuttle's pick). It never deadlocks (shuttle
/// fails a run whose threads all block); every accepted job runs exactly once (or, after
/// `shutdown_now`, at most once, and the ones that did not run are exactly the discarded
/// ones); no refused job ever runs; once a producer is refused, it is refused for good; and
/// the counters add up.
#[test]
fn shutdown_under_load_drains_and_never_deadlocks() {
    const PER_PRODUCER: usize = 100;
    const CAPACITY: usize = 8;
    static REFUSED_WHILE_WAITING: Reached = Reached::new();
    static CLOSED_WITH_JOBS_QUEUED: Reached = Reached::new();
    static DISCARDED: Reached = Reached::new();
    check(
        BINARY,
        "shutdown_under_load_drains_and_never_deadlocks",
        Plan::new(2000, 2000),
        || {
            let jobs = PRODUCERS * PER_PRODUCER;
            let mut rng = thread_rng();
            let close_after = rng.gen_range(0..=jobs);
            let ending = [Ending::Shutdown, Ending::Drop, Ending::ShutdownNow][rng.gen_range(0..3)];

            let pool = Arc::new(pool(WORKERS, CAPACITY));
            // Not waited for: which jobs are accepted is the model's question.
            let (ran, log, done) = (counters(jobs), Log::new(), Latch::new(jobs));
            let accepted_count = Arc::new(AtomicUsize::new(0));
            let reached = Gate::new();
            if close_after == 0 {
                reached.open();
            }
            let producers: Vec<_> = (0..PRODUCERS)
                .map(|p| {
                    let (pool, ran, log) = (Arc::clone(&pool), Arc::clone(&ran), log.clone());
                    let (accepted_count, reached) = (Arc::clone(&accepted_count), reached.clone());
                    let done = done.clone();
                    thread::spawn(move || {
                        let mut accepted = Vec::new();
                        let mut refused = false;
                        for i in 0..PER_PRODUCER {
                            let number = p * PER_PRODUCER + i;
                            let full = pool.queued() == CAPACITY;
                            match pool.execute(job(&ran, &log, &done, number)) {
                                Ok(()) => {
                                    assert!(!refused, "job {number} accepted after a refusal");
                                    accepted.push(number);
                                    if accepted_count.fetch_add(1, Ordering::SeqCst) + 1
                                        == close_after
                                    {
                                        reached.open();
                                    }
                                }
                                Err(ExecuteError::ShutDown(_)) => {
                                    if full && !refused {
                                        REFUSED_WHILE_WAITING.hit();
                                    }
                                    refused = true;
                                }
                            }
                        }
                        accepted
                    })
                })
                .collect();

            reached.wait();
            pool.close();
            assert!(pool.is_closed());
            if pool.queued() > 0 {
                CLOSED_WITH_JOBS_QUEUED.hit();
            }
            let accepted: Vec<usize> = producers
                .into_iter()
                .flat_map(|producer| producer.join().unwrap())
                .collect();
            assert!(accepted.len() >= close_after);
            let pool = sole(pool);
            let discarded = match ending {
                Ending::Shutdown => {
                    let stats = pool.shutdown();
                    assert_eq!(stats.completed, accepted.len() as u64);
                    assert_eq!((stats.queued, stats.running), (0, 0));
                    0
                }
                Ending::Drop => {
                    drop(pool);
                    0
                }
                Ending::ShutdownNow => pool.shutdown_now(),
            };
            if discarded > 0 {
                DISCARDED.hit();
            }

            let mut not_run = 0;
            let mut is_accepted = vec![false; jobs];
            for &number in &accepted {
                is_accepted[number] = true;
            }
            for (number, count) in ran.iter().enumerate() {
                let count = count.load(Ordering::SeqCst);
                match (is_accepted[number], ending) {
                    (false, _) => assert_eq!(count, 0, "refused job {number} ran"),
                    (true, Ending::ShutdownNow) => {
                        assert!(count <= 1, "job {number} ran {count} times");
                        not_run += 1 - count;
                    }
                    (true, _) => assert_eq!(count, 1, "accepted job {number}"),
                }
            }
            assert_eq!(not_run, discarded, "discarded jobs vs jobs that never ran");
            // Where the close fell, how it ended, and the order jobs ran in.
            let mut outcome = log.entries();
            outcome.extend([close_after, ending as usize, discarded]);
            support::fingerprint(outcome)
        },
    );
    for (reached, what) in [
        (
            &REFUSED_WHILE_WAITING,
            "a producer refused after finding the queue full",
        ),
        (&CLOSED_WITH_JOBS_QUEUED, "a close with jobs still queued"),
        (&DISCARDED, "a shutdown_now that discarded jobs"),
    ] {
        if reached.count() == 0 {
            fail(&format!("the search never reached {what}"));
        }
    }
}

/// Seven jobs each wait for a signal that another job sends; three producers submit them,
/// their senders and 90 more jobs, in an order shuttle picks, through a queue of 4, to 8
/// workers. Everything completes before the owner shuts the pool down: a job that waits only
/// ever holds its own worker, never the queue (the book's `while let` pool deadlocks here), up
/// to `size - 1` jobs may wait for a later one, and no wake-up is lost on the way.
#[test]
fn blocked_jobs_never_block_the_queue_at_scale() {
    const WAITERS: usize = WORKERS - 1;
    const FILLERS: usize = 90;
    check(
        BINARY,
        "blocked_jobs_never_block_the_queue_at_scale",
        Plan::new(2000, 2000),
        || {
            let jobs = 2 * WAITERS + FILLERS;
            let pool = Arc::new(pool(WORKERS, 4));
            let (ran, log, done) = (counters(jobs), Log::new(), Latch::new(jobs));
            let gates: Vec<Gate> = (0..WAITERS).map(|_| Gate::new()).collect();
            // Every job, numbered: waiters 0..7, their senders 7..14, fillers after.
            let mut order: Vec<usize> = (0..jobs).collect();
            // Each producer gets every third job, in an order shuttle picks.
            let mut rng = thread_rng();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.gen_range(0..=i));
            }
            let producers: Vec<_> = (0..PRODUCERS)
                .map(|p| {
                    let mine: Vec<usize> =
                        order.iter().copied().skip(p).step_by(PRODUCERS).collect();
                    let (pool, ran, log, gates) = (
                        Arc::clone(&pool),
                        Arc::clone(&ran),
                        log.clone(),
                        gates.clone(),
                    );
                    let done = done.clone();
                    thread::spawn(move || {
                        for number in mine {
                            let count = job(&ran, &log, &done, number);
                            if number < WAITERS {
                                pool.execute(waiting_for(gates[number].clone(), count))
                                    .unwrap();
                            } else if number < 2 * WAITERS {
                                pool.execute(opening(gates[number - WAITERS].clone(), count))
                                    .unwrap();
                            } else {
                                pool.execute(count).unwrap();
                            }
                        }
                    })
                })
                .collect();
            for producer in producers {
                producer.join().unwrap();
            }
            done.wait();
            let stats = sole(pool).shutdown();
            assert_eq!(stats.completed, jobs as u64);
            for (number, count) in ran.iter().enumerate() {
                assert_eq!(count.load(Ordering::SeqCst), 1, "job {number}");
            }
            log.fingerprint()
        },
    );
}

/// A job that waits for the next one gets it run, on a pool otherwise idle: two workers, job A
/// waits for a signal that job B, queued after it, sends. The owner waits for both before it
/// shuts the pool down, so a wake-up lost for B is a deadlock here (a shutdown would wake every
/// worker and hide it). The case this is for: one worker snoozes (shuttle's pools allow one) and
/// the other sleeps when A and B come; both wakers see the snoozer and signal nobody, the
/// snoozer takes A, and only its pass-on wakes the sleeper for B (made by `WaitList::retry`
/// before it hands A over; the protocol mutant `wl-retry-no-pass-on` leaves B queued beside a
/// sleeping worker).
#[test]
fn a_job_waiting_for_the_next_gets_it_run() {
    check(
        BINARY,
        "a_job_waiting_for_the_next_gets_it_run",
        Plan::new(2000, 2000),
        || {
            let pool = pool(2, 2);
            let (ran, log, done) = (counters(2), Log::new(), Latch::new(2));
            let signal = Gate::new();
            let a = waiting_for(signal.clone(), job(&ran, &log, &done, 0));
            let b = opening(signal, job(&ran, &log, &done, 1));
            pool.execute(a).unwrap();
            pool.execute(b).unwrap();
            done.wait();
            let stats = pool.shutdown();
            assert_eq!(stats.completed, 2);
            log.fingerprint()
        },
    );
}

/// A job that waits for a producer to get its job in gets it in: one worker, a queue of two.
/// Job H holds the worker while Q1 and Q2 fill the queue and two producers wait for room; Q2
/// then waits until the second producer's `execute` has returned. The owner waits for every
/// job before it shuts the pool down, so a wake-up lost for a producer is a deadlock here. The
/// case this is for: one producer snoozes (shuttle's pools allow one) and the other sleeps
/// when the worker frees both slots; both pops see the snoozer and signal nobody, the snoozer
/// takes one slot, and only its pass-on wakes the sleeper for the other (`WaitList::retry`'s;
/// the protocol mutant `wl-retry-no-pass-on` leaves it asleep beside the free slot while Q2
/// waits for it).
#[test]
fn a_job_waiting_for_a_producer_gets_its_job_in() {
    check(
        BINARY,
        "a_job_waiting_for_a_producer_gets_its_job_in",
        Plan::new(2000, 2000),
        || {
            let pool = Arc::new(pool(1, 2));
            let (ran, log, done) = (counters(5), Log::new(), Latch::new(5));
            let (hold, second_in) = (Gate::new(), Gate::new());
            let h = waiting_for(hold.clone(), job(&ran, &log, &done, 0));
            let q2 = waiting_for(second_in.clone(), job(&ran, &log, &done, 2));
            pool.execute(h).unwrap();
            pool.execute(job(&ran, &log, &done, 1)).unwrap();
            pool.execute(q2).unwrap();
            let producers: Vec<_> = [(3, None), (4, Some(second_in))]
                .into_iter()
                .map(|(number, opens)| {
                    let (pool, count) = (Arc::clone(&pool), job(&ran, &log, &done, number));
                    thread::spawn(move || {
                        pool.execute(count).unwrap();
                        if let Some(gate) = opens {
                            gate.open();
                        }
                    })
                })
                .collect();
            hold.open();
            done.wait();
            for producer in producers {
                producer.join().unwrap();
            }
            let stats = sole(pool).shutdown();
            assert_eq!(stats.completed, 5);
            log.fingerprint()
        },
    );
}

/// Panicking jobs cost no worker: three producers submit 150 jobs, every fifth of which
/// panics, to 8 workers; every other job runs exactly once, the counters say how many
/// panicked, and then 8 jobs that each wait until all 8 have started complete, which needs
/// all 8 workers alive.
#[test]
fn panicking_jobs_cost_no_worker_at_scale() {
    const PER_PRODUCER: usize = 50;
    silence_expected_panics();
    check(
        BINARY,
        "panicking_jobs_cost_no_worker_at_scale",
        Plan::new(2000, 2000),
        || {
            let jobs = PRODUCERS * PER_PRODUCER;
            let pool = Arc::new(pool(WORKERS, 16));
            let (ran, log, done) = (counters(jobs), Log::new(), Latch::new(jobs));
            let producers: Vec<_> = (0..PRODUCERS)
                .map(|p| {
                    let (pool, ran, log, done) = (
                        Arc::clone(&pool),
                        Arc::clone(&ran),
                        log.clone(),
                        done.clone(),
                    );
                    thread::spawn(move || {
                        for i in 0..PER_PRODUCER {
                            let number = p * PER_PRODUCER + i;
                            let count = job(&ran, &log, &done, number);
                            pool.execute(move || {
                                count();
                                if number % 5 == 0 {
                                    panic!("expected panic: job {number} panics");
                                }
                            })
                            .unwrap();
                        }
                    })
                })
                .collect();
            for producer in producers {
                producer.join().unwrap();
            }
            // A barrier of 8 jobs: each waits until all 8 have started.
            let started = Arc::new(AtomicUsize::new(0));
            let all_started = Gate::new();
            let finished = Arc::new(AtomicUsize::new(0));
            for _ in 0..WORKERS {
                let (started, all_started, finished) = (
                    Arc::clone(&started),
                    all_started.clone(),
                    Arc::clone(&finished),
                );
                pool.execute(move || {
                    if started.fetch_add(1, Ordering::SeqCst) + 1 == WORKERS {
                        all_started.open();
                    }
                    all_started.wait();
                    finished.fetch_add(1, Ordering::SeqCst);
                })
                .unwrap();
            }
            let stats = sole(pool).shutdown();
            for (number, count) in ran.iter().enumerate() {
                assert_eq!(count.load(Ordering::SeqCst), 1, "job {number}");
            }
            assert_eq!(finished.load(Ordering::SeqCst), WORKERS);
            let panicked = jobs.div_ceil(5) as u64;
            assert_eq!(stats.panicked, panicked);
            assert_eq!(stats.completed, (jobs + WORKERS) as u64 - panicked);
            log.fingerprint()
        },
    );
}
