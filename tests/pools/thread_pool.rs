//! The pool on real threads, at sizes loom cannot explore: many jobs, many producers, the
//! public API's edge cases. The interleavings themselves are checked by `loom_tests/pool.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

use webpool::{Builder, ExecuteError, PoolCreationError, Stats, ThreadPool};

/// Generous bound for "this should happen"; only reached if the pool is broken.
const LIVENESS: Duration = Duration::from_secs(30);

#[test]
fn many_jobs_from_many_producers_each_run_exactly_once() {
    const PRODUCERS: usize = 4;
    // Under miri, which interprets every step, 4 x 25 000 jobs would take hours. 4 x 100
    // through a queue of 8 still takes every path the large run takes: in miri's default run
    // producers slept on a full queue 198 times and workers on an empty one 32 times.
    const PER_PRODUCER: usize = if cfg!(miri) { 100 } else { 25_000 };
    const QUEUE: usize = if cfg!(miri) { 8 } else { 64 };
    let pool = Arc::new(
        Builder::new()
            .threads(3)
            .queue_capacity(QUEUE)
            .build()
            .unwrap(),
    );
    let runs: Arc<Vec<AtomicUsize>> = Arc::new(
        (0..PRODUCERS * PER_PRODUCER)
            .map(|_| AtomicUsize::new(0))
            .collect(),
    );
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let (pool, runs) = (Arc::clone(&pool), Arc::clone(&runs));
            thread::spawn(move || {
                for n in 0..PER_PRODUCER {
                    let runs = Arc::clone(&runs);
                    let id = p * PER_PRODUCER + n;
                    pool.execute(move || {
                        runs[id].fetch_add(1, Ordering::Relaxed);
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for producer in producers {
        producer.join().unwrap();
    }
    let pool = Arc::into_inner(pool).expect("producers are joined");
    let stats = pool.shutdown();
    assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 1));
    assert_eq!(
        stats,
        Stats {
            queued: 0,
            running: 0,
            completed: (PRODUCERS * PER_PRODUCER) as u64,
            panicked: 0
        }
    );
}

#[test]
fn large_and_small_closures_both_run_and_drop_their_captures() {
    let pool = ThreadPool::new(2);
    let (tx, rx) = mpsc::channel();
    let big = [1u64; 64];
    let tx_big = tx.clone();
    pool.execute(move || tx_big.send(big.iter().sum::<u64>()).unwrap())
        .unwrap();
    pool.execute(move || tx.send(7).unwrap()).unwrap();
    let mut got: Vec<u64> = rx.iter().take(2).collect();
    got.sort_unstable();
    assert_eq!(got, [7, 64]);
    // Both senders were dropped with their jobs, so the channel is now closed.
    assert!(rx.recv_timeout(LIVENESS).is_err());
}

#[test]
fn panics_are_counted_and_every_worker_survives_them() {
    let pool = Builder::new().threads(2).build().unwrap();
    // More panics than workers: if a panic killed its worker, the last jobs would never run.
    for n in 0..6 {
        pool.execute(move || panic!("expected panic {n}")).unwrap();
    }
    let (tx, rx) = mpsc::channel();
    for _ in 0..4 {
        let tx = tx.clone();
        pool.execute(move || tx.send(()).unwrap()).unwrap();
    }
    for _ in 0..4 {
        rx.recv_timeout(LIVENESS)
            .expect("a surviving worker ran the job");
    }
    let stats = pool.shutdown();
    assert_eq!((stats.completed, stats.panicked), (4, 6));
}

#[test]
fn execute_waits_for_room_and_try_execute_does_not() {
    let pool = Builder::new().threads(1).queue_capacity(2).build().unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let release = Arc::new(Barrier::new(2));
    let release_job = Arc::clone(&release);
    pool.execute(move || {
        started_tx.send(()).unwrap();
        release_job.wait();
    })
    .unwrap();
    started_rx.recv_timeout(LIVENESS).unwrap();
    // The worker is busy: two jobs fill the queue, a third does not fit.
    pool.execute(|| {}).unwrap();
    pool.execute(|| {}).unwrap();
    let (marker_tx, marker_rx) = mpsc::channel();
    let refused = pool
        .try_execute(move || marker_tx.send(42).unwrap())
        .unwrap_err();
    assert!(refused.is_full());
    refused.into_inner()();
    assert_eq!(marker_rx.try_recv(), Ok(42), "the very closure comes back");
    assert_eq!(pool.stats().queued, 2);

    // `execute` on the full queue waits until the worker frees a slot.
    let pool = Arc::new(pool);
    let (done_tx, done_rx) = mpsc::channel();
    let producer = {
        let pool = Arc::clone(&pool);
        thread::spawn(move || {
            let result = pool.execute(|| {});
            done_tx.send(result).unwrap();
        })
    };
    assert!(
        done_rx.recv_timeout(Duration::from_millis(100)).is_err(),
        "execute returned while the queue was still full"
    );
    release.wait();
    assert!(done_rx.recv_timeout(LIVENESS).unwrap().is_ok());
    producer.join().unwrap();
    let stats = Arc::into_inner(pool).unwrap().shutdown();
    assert_eq!(stats.completed, 4);
}

#[test]
fn after_close_everything_is_refused_and_queued_jobs_still_run() {
    let pool = Builder::new().threads(1).queue_capacity(8).build().unwrap();
    let gate = Arc::new(Barrier::new(2));
    let gate_job = Arc::clone(&gate);
    pool.execute(move || {
        gate_job.wait();
    })
    .unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..3 {
        let ran = Arc::clone(&ran);
        pool.execute(move || {
            ran.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    }
    pool.close();
    assert!(pool.is_closed());
    let late = Arc::new(AtomicUsize::new(0));
    let refused = pool.execute({
        let late = Arc::clone(&late);
        move || {
            late.fetch_add(1, Ordering::SeqCst);
        }
    });
    let Err(ExecuteError::ShutDown(job)) = refused else {
        panic!("a closed pool accepted a job");
    };
    assert_eq!(late.load(Ordering::SeqCst), 0, "the refused job ran");
    job(); // handed back unrun: running it now is the caller's choice
    assert_eq!(late.load(Ordering::SeqCst), 1);
    assert!(pool.try_execute(|| {}).unwrap_err().is_shut_down());
    gate.wait();
    let stats = pool.shutdown();
    assert_eq!(ran.load(Ordering::SeqCst), 3, "queued jobs run after close");
    assert_eq!(stats.completed, 4);
}

#[test]
fn shutdown_now_discards_queued_jobs_and_waits_for_running_ones() {
    let pool = Builder::new().threads(1).queue_capacity(8).build().unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let running_done = Arc::new(AtomicUsize::new(0));
    let running_done_job = Arc::clone(&running_done);
    let release = Arc::new(Barrier::new(2));
    let release_job = Arc::clone(&release);
    pool.execute(move || {
        started_tx.send(()).unwrap();
        release_job.wait();
        running_done_job.fetch_add(1, Ordering::SeqCst);
    })
    .unwrap();
    started_rx.recv_timeout(LIVENESS).unwrap();
    let queued_ran = Arc::new(AtomicUsize::new(0));
    // Each queued job holds a sender; the channel disconnects once all five are dropped.
    let (queued_tx, queued_rx) = mpsc::channel::<()>();
    for _ in 0..5 {
        let queued_ran = Arc::clone(&queued_ran);
        let queued_tx = queued_tx.clone();
        pool.execute(move || {
            let _held = queued_tx;
            queued_ran.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    }
    drop(queued_tx);
    // Release the running job only once the five queued jobs are gone. While it runs, the
    // only worker cannot take them, so only `shutdown_now` can have dropped them: the release
    // comes after the discard, on every schedule. (Released straight away, the job could
    // finish before `shutdown_now` drained the queue, and the worker run some of the five:
    // miri's scheduler did exactly that.)
    let releaser = thread::spawn(move || {
        assert!(queued_rx.recv().is_err(), "no queued job sends anything");
        release.wait();
    });
    let discarded = pool.shutdown_now();
    releaser.join().unwrap();
    assert_eq!(discarded, 5);
    assert_eq!(queued_ran.load(Ordering::SeqCst), 0);
    assert_eq!(
        running_done.load(Ordering::SeqCst),
        1,
        "the running job finished"
    );
}

#[test]
fn dropping_the_pool_from_inside_its_own_job_does_not_deadlock() {
    let slot: Arc<Mutex<Option<ThreadPool>>> = Arc::new(Mutex::new(None));
    let (done_tx, done_rx) = mpsc::channel();
    let pool = ThreadPool::new(2);
    let job_slot = Arc::clone(&slot);
    let mut guard = slot.lock().unwrap();
    pool.execute(move || {
        let pool = job_slot.lock().unwrap().take();
        drop(pool);
        done_tx.send(()).unwrap();
    })
    .unwrap();
    *guard = Some(pool);
    drop(guard);
    done_rx
        .recv_timeout(LIVENESS)
        .expect("drop from inside a job returned");
}

#[test]
fn build_reports_bad_settings_and_new_panics_on_zero() {
    assert!(matches!(
        ThreadPool::build(0),
        Err(PoolCreationError::ZeroThreads)
    ));
    assert!(matches!(
        Builder::new().threads(1).queue_capacity(0).build(),
        Err(PoolCreationError::ZeroCapacity)
    ));
    let panic = std::panic::catch_unwind(|| ThreadPool::new(0)).unwrap_err();
    let message = panic.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(message.contains("at least one thread"), "{message}");
    let err: std::io::Error = PoolCreationError::ZeroThreads.into();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

/// Item 5 of issue 13: sizes a pool cannot have are errors, never a panic or an abort. A queue
/// of `usize::MAX` jobs cannot even be counted in the ring's positions; `usize::MAX` threads,
/// or even 100 000, are more than a system gives without failing inside a thread that has
/// already started (which aborts the process).
#[test]
fn absurd_sizes_are_errors_not_panics() {
    for (threads, capacity, says) in [
        (1, usize::MAX, "queue"),
        (usize::MAX, 1, "threads"),
        (100_000, 1, "threads"),
    ] {
        assert_build_fails(threads, capacity, says);
    }
}

/// A queue of `2^40` jobs can be counted but not allocated: an error too, not an abort.
#[test]
#[cfg_attr(
    miri,
    ignore = "miri cannot refuse an allocation: it tries to make the 40 TiB one for real (the \
              machine runs out of memory) or stops with resource exhaustion"
)]
fn a_queue_the_allocator_refuses_is_an_error_not_an_abort() {
    assert_build_fails(1, 1 << 40, "queue");
}

/// Building a pool of `threads` workers and a queue of `capacity` jobs returns an error whose
/// message mentions `says`, without panicking.
fn assert_build_fails(threads: usize, capacity: usize, says: &str) {
    let built = std::panic::catch_unwind(|| {
        Builder::new()
            .threads(threads)
            .queue_capacity(capacity)
            .build()
            .map(drop)
            .map_err(|err| err.to_string())
    });
    let Ok(Err(message)) = built else {
        panic!("{threads} threads, {capacity} jobs: {built:?}, not an error");
    };
    assert!(message.contains(says), "{message}");
}

/// `detach` gives up without waiting: it returns while a job still runs, refuses new jobs
/// from then on, and the detached workers still finish the running job and the queued ones.
#[test]
fn detach_returns_at_once_and_the_workers_finish_alone() {
    let pool = Builder::new().threads(1).queue_capacity(4).build().unwrap();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    let first_done = done_tx.clone();
    pool.execute(move || {
        started_tx.send(()).unwrap();
        release_rx.recv().unwrap();
        first_done.send("running").unwrap();
    })
    .unwrap();
    pool.execute(move || done_tx.send("queued").unwrap())
        .unwrap();
    started_rx.recv_timeout(LIVENESS).unwrap();
    // The only worker is blocked in the first job: joining would wait for it forever.
    let stats = pool.detach();
    assert_eq!((stats.running, stats.queued), (1, 1));
    release_tx.send(()).unwrap();
    assert_eq!(done_rx.recv_timeout(LIVENESS), Ok("running"));
    assert_eq!(done_rx.recv_timeout(LIVENESS), Ok("queued"));
}

#[test]
fn workers_carry_the_configured_names_and_count() {
    let pool = Builder::new()
        .threads(3)
        .queue_capacity(5)
        .thread_name("resizer")
        .build()
        .unwrap();
    assert_eq!((pool.threads(), pool.queue_capacity()), (3, 5));
    let (tx, rx) = mpsc::channel();
    pool.execute(move || {
        tx.send(thread::current().name().map(str::to_owned))
            .unwrap()
    })
    .unwrap();
    let name = rx.recv_timeout(LIVENESS).unwrap().unwrap();
    assert!(name.starts_with("resizer-"), "{name}");
    let default = ThreadPool::new(2);
    assert_eq!(default.queue_capacity(), 512, "256 per thread by default");
}
