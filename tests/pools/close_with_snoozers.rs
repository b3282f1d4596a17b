//! `close` on real threads while producers wait for room, some asleep and one snoozing: every
//! producer must get its job back. Loom's model of the same scene
//! (`close_releases_sleeping_and_snoozing_producers` in `loom_tests/pool.rs`) explores every
//! interleaving of two producers; this runs the pool that ships, snooze clock and all, with
//! three.
//!
//! The scene, once per try: one worker held busy by a job, a full one-slot queue, two producers
//! asleep on the full queue (read from `/proc`: their threads sleep in the kernel), then a third
//! producer that starts to wait just as the pool is closed, so it is usually still snoozing
//! (yielding for up to 100 µs before it sleeps) when `close` comes. Then the busy job is
//! released, and the worker pops the queued job, which frees a slot and wakes one producer.
//! A `close` that skips its wake-up while a thread snoozes (protocol patch
//! `wl-wake-all-skips-for-snoozer`) leaves one of the two sleepers asleep for good: the snoozer
//! sees the close and returns, and the pop's wake-up reaches only one sleeper.
//!
//! Linux only: it reads the producers' thread states from `/proc`.
#![cfg(target_os = "linux")]

use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use webpool::{Builder, ExecuteError, ThreadPool};

/// Tries per run; `WEBPOOL_CLOSE_TRIES` overrides it (the bar is 1 000 of 1 000).
const DEFAULT_TRIES: usize = 200;

/// How long a producer may take to return once the pool is closed and the slot freed: far
/// longer than a woken thread needs to run, even on a loaded machine. Only a hang reaches it.
const RETURN_WITHIN: Duration = Duration::from_secs(5);

/// How long a producer may take to fall asleep on the full queue: its snooze lasts 100 µs.
const ASLEEP_WITHIN: Duration = Duration::from_secs(30);

/// The state letter of thread `task` of this process (`S`: asleep in the kernel, `R`:
/// running or runnable), from `/proc/self/task/<task>/stat`.
fn thread_state(task: &str) -> char {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{task}/stat"))
        .expect("a live thread of this process has a stat file");
    // The command name, in parentheses, may hold spaces; the state is the field after it.
    let after_name = &stat[stat.rfind(')').expect("stat has the name in parentheses") + 1..];
    after_name
        .split_whitespace()
        .next()
        .and_then(|state| state.chars().next())
        .expect("stat has a state after the name")
}

/// Waits (yielding, not sleeping) until thread `task` sleeps in the kernel.
///
/// # Panics
///
/// If it does not within [`ASLEEP_WITHIN`]: a waiter that never stops snoozing.
fn wait_until_asleep(task: &str) {
    let start = Instant::now();
    while thread_state(task) != 'S' {
        assert!(
            start.elapsed() < ASLEEP_WITHIN,
            "producer thread {task} did not fall asleep on the full queue within {ASLEEP_WITHIN:?}"
        );
        thread::yield_now();
    }
}

/// A producer thread: where it sends its thread id, where it sends whether the pool refused its
/// job, and its handle.
struct Producer {
    task: Receiver<String>,
    refused: Receiver<bool>,
    thread: JoinHandle<()>,
}

/// Starts a producer that sends its thread id (its task in `/proc/self/task`), then submits a
/// job to the full queue and sends back whether the pool refused it.
fn producer(pool: &Arc<ThreadPool>) -> Producer {
    let (task_tx, task_rx) = mpsc::channel();
    let (refused_tx, refused_rx) = mpsc::channel();
    let pool = Arc::clone(pool);
    let thread = thread::spawn(move || {
        let me = std::fs::read_link("/proc/thread-self").expect("Linux has /proc/thread-self");
        let task = me
            .file_name()
            .and_then(|name| name.to_str())
            .expect("/proc/thread-self ends in the thread id")
            .to_owned();
        task_tx.send(task).unwrap();
        let refused = matches!(pool.execute(|| {}), Err(ExecuteError::ShutDown(_)));
        // The test may have given up on this producer already; then nobody listens.
        let _ = refused_tx.send(refused);
    });
    Producer {
        task: task_rx,
        refused: refused_rx,
        thread,
    }
}

/// One try of the scene; `Err` names what went wrong (a producer left blocked, or a job
/// accepted after close). A producer left blocked stays blocked: its thread is leaked.
fn close_with_sleeping_and_snoozing_producers() -> Result<(), String> {
    let pool = Arc::new(Builder::new().threads(1).queue_capacity(1).build().unwrap());
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    pool.execute(move || {
        started_tx.send(()).unwrap();
        let _ = release_rx.recv();
    })
    .unwrap();
    started_rx.recv_timeout(ASLEEP_WITHIN).unwrap();
    pool.execute(|| {}).unwrap(); // the queue is now full
    let mut producers = Vec::new();
    for _ in 0..2 {
        let sleeper = producer(&pool);
        wait_until_asleep(&sleeper.task.recv().unwrap());
        producers.push(sleeper);
    }
    let snoozer = producer(&pool);
    snoozer.task.recv().unwrap(); // about to wait: it snoozes first
    pool.close();
    producers.push(snoozer);
    release_tx.send(()).unwrap(); // the worker pops the queued job, freeing a slot
    for (n, producer) in producers.iter().enumerate() {
        match producer.refused.recv_timeout(RETURN_WITHIN) {
            Ok(true) => {}
            Ok(false) => return Err(format!("producer {n}'s job was accepted after close")),
            Err(RecvTimeoutError::Timeout) => {
                return Err(format!(
                    "producer {n} still blocked {RETURN_WITHIN:?} after close"
                ))
            }
            Err(RecvTimeoutError::Disconnected) => panic!("producer {n} panicked"),
        }
    }
    for producer in producers {
        producer.thread.join().unwrap();
    }
    let pool = Arc::into_inner(pool).expect("every producer has been joined");
    assert_eq!(pool.shutdown().completed, 2);
    Ok(())
}

#[test]
fn close_returns_every_producer_waiting_for_room_sleeping_or_snoozing() {
    let tries = std::env::var("WEBPOOL_CLOSE_TRIES")
        .ok()
        .map_or(DEFAULT_TRIES, |tries| {
            tries.parse().expect("WEBPOOL_CLOSE_TRIES is a number")
        });
    // Every try runs, so that a failing pool reports how often it fails.
    let failures: Vec<String> = (0..tries)
        .filter_map(|_| close_with_sleeping_and_snoozing_producers().err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {tries} tries failed; the first: {}",
        failures.len(),
        failures[0]
    );
}
