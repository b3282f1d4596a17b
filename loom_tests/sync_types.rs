//! Loom models of the std types the shim covers beyond the book's (issue 29): `RwLock`,
//! `Barrier`, `Once`, `OnceLock`, `thread::scope` and `park`/`unpark`, as
//! `webpool::sync` hands them out under `--cfg loom` (loom's `RwLock`, traced; the others built
//! on the shim's traced `Mutex` and `Condvar`, or wrapped). Each model checks one property a
//! pool relies on, in every interleaving; each has a deliberately broken variant under
//! `scripts/mutants/protocol/sync-*.patch` that it fails. The `..._spurious_wake_up` models run
//! a model again with each `Condvar::wait` in turn returning spuriously (the shim's `spurious`
//! mode), which loom alone never does: they catch an `if` where a `while` belongs.
//!
//! Counts kept about the model's run (how many executions reached some case) are std atomics,
//! outside what loom explores: a loom atomic would add interleavings and start over with each
//! execution.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --release --test loom_sync_types`.
#![cfg(loom)]

mod support;

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering as StdOrdering};
use std::sync::Arc as StdArc;

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, Ordering};
use support::{check, SMALL_MODEL};
use webpool::sync::thread::{Scope, ScopedJoinHandle, Thread};
use webpool::sync::{spurious, thread, Arc, Barrier, Mutex, Once, OnceLock, RwLock};
use webpool::sync::{BarrierWaitResult, OnceState, RwLockReadGuard, RwLockWriteGuard};

/// Every name the std and shuttle builds of the shim export for these types, here too (a type
/// missing from the loom build fails this file's build, not a user's).
#[allow(dead_code)]
fn the_loom_build_names_every_type(
    _: Option<(
        &RwLock<u8>,
        RwLockReadGuard<'_, u8>,
        RwLockWriteGuard<'_, u8>,
    )>,
    _: Option<(
        &Barrier,
        BarrierWaitResult,
        &Once,
        &OnceState,
        &OnceLock<u8>,
    )>,
    _: Option<(&Scope<'_, '_>, ScopedJoinHandle<'_, u8>, Thread)>,
) {
    let _: fn() = thread::park;
    let _: fn(std::time::Duration) = thread::park_timeout;
    let _: fn() -> Thread = thread::current;
}

/// Installs (once) a panic hook that stays quiet for the panics these models raise on purpose
/// in every execution (`expected panic`, and the scope's own `a scoped thread panicked`), and
/// reports every other panic as the default hook would.
fn silence_expected_panics() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let default_hook = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("");
            if !message.contains("expected panic") && message != "a scoped thread panicked" {
                default_hook(info);
            }
        }));
    });
}

// ===== RwLock =====

/// Readers share the lock: in some interleaving two readers hold it at once.
#[test]
fn rwlock_readers_hold_it_together() {
    static BOTH_INSIDE: StdAtomicUsize = StdAtomicUsize::new(0);
    BOTH_INSIDE.store(0, StdOrdering::SeqCst);
    check("rwlock_readers_hold_it_together", SMALL_MODEL, || {
        let lock = Arc::new(RwLock::new(5));
        let inside = StdArc::new(StdAtomicUsize::new(0));
        let reader = {
            let (lock, inside) = (Arc::clone(&lock), StdArc::clone(&inside));
            move || {
                let value = lock.read().unwrap();
                if inside.fetch_add(1, StdOrdering::SeqCst) == 1 {
                    BOTH_INSIDE.fetch_add(1, StdOrdering::SeqCst);
                }
                // A point where loom may run the other reader while this one holds the lock.
                thread::yield_now();
                inside.fetch_sub(1, StdOrdering::SeqCst);
                *value
            }
        };
        let other = thread::spawn(reader.clone());
        assert_eq!(reader(), 5);
        assert_eq!(other.join().unwrap(), 5);
    });
    assert!(
        BOTH_INSIDE.load(StdOrdering::SeqCst) > 0,
        "no interleaving had two readers holding the RwLock at once: reads exclude each other"
    );
}

/// A writer excludes everyone: no reader sees the value change under it, no writer sees
/// anyone else inside, and no write is lost (two writers' read-modify-writes both land).
#[test]
fn rwlock_writer_excludes_readers_and_writers() {
    check(
        "rwlock_writer_excludes_readers_and_writers",
        SMALL_MODEL,
        || {
            let lock = Arc::new(RwLock::new(0));
            let inside = StdArc::new(StdAtomicUsize::new(0));
            let writer = {
                let (lock, inside) = (Arc::clone(&lock), StdArc::clone(&inside));
                move || {
                    let mut value = lock.write().unwrap();
                    assert_eq!(
                        inside.fetch_add(1, StdOrdering::SeqCst),
                        0,
                        "a writer got the RwLock while another thread held it"
                    );
                    let seen = *value;
                    thread::yield_now();
                    *value = seen + 1;
                    inside.fetch_sub(1, StdOrdering::SeqCst);
                }
            };
            let first = thread::spawn(writer.clone());
            let second = thread::spawn(writer);
            {
                let value = lock.read().unwrap();
                inside.fetch_add(1, StdOrdering::SeqCst);
                let seen = *value;
                thread::yield_now();
                assert_eq!(*value, seen, "the value changed under a read lock");
                inside.fetch_sub(1, StdOrdering::SeqCst);
            }
            first.join().unwrap();
            second.join().unwrap();
            assert_eq!(*lock.read().unwrap(), 2, "a write was lost");
        },
    );
}

// ===== Barrier =====

/// Nobody passes the barrier before every party has arrived.
#[test]
fn barrier_lets_nobody_through_before_all_arrive() {
    check(
        "barrier_lets_nobody_through_before_all_arrive",
        SMALL_MODEL,
        three_parties_meet,
    );
}

/// The same, with each `Condvar::wait` inside the barrier in turn returning spuriously (std
/// allows it; loom alone never does it): a waiter must check that its round ended, not take
/// the wake-up for it.
#[test]
fn barrier_lets_nobody_through_on_a_spurious_wake_up() {
    with_each_wait_spurious(
        "barrier_lets_nobody_through_on_a_spurious_wake_up",
        three_parties_meet,
    );
}

/// Three threads meet at a barrier; each checks, once through, that all three arrived.
fn three_parties_meet() {
    let barrier = Arc::new(Barrier::new(3));
    let arrived = StdArc::new(StdAtomicUsize::new(0));
    let party = {
        let (barrier, arrived) = (Arc::clone(&barrier), StdArc::clone(&arrived));
        move || {
            arrived.fetch_add(1, StdOrdering::SeqCst);
            barrier.wait();
            assert_eq!(
                arrived.load(StdOrdering::SeqCst),
                3,
                "a thread passed the barrier before every party arrived"
            );
        }
    };
    let first = thread::spawn(party.clone());
    let second = thread::spawn(party.clone());
    party();
    first.join().unwrap();
    second.join().unwrap();
}

/// Runs `model` once to count its `Condvar::wait`s (through the shim), then once per wait with
/// that wait returning spuriously (the shim's `spurious` mode; see `loom_tests/spurious.rs`).
/// Each run's name is one word (`NAME_wait_2_spurious`), as scripts/mutants.sh reads it.
fn with_each_wait_spurious(name: &str, model: fn()) {
    let counted = move || {
        spurious::begin_execution();
        model();
    };
    spurious::wake_spuriously_at(0);
    check(&format!("{name}_no_wait_spurious"), SMALL_MODEL, counted);
    let waits = spurious::most_waits();
    assert!(waits > 0, "{name}: the model makes no Condvar::wait");
    for at in 1..=waits {
        spurious::wake_spuriously_at(at);
        check(&format!("{name}_wait_{at}_spurious"), SMALL_MODEL, counted);
    }
    spurious::wake_spuriously_at(0);
}

/// Each round of a reused barrier has exactly one leader.
#[test]
fn barrier_elects_one_leader_per_round() {
    check("barrier_elects_one_leader_per_round", SMALL_MODEL, || {
        let barrier = Arc::new(Barrier::new(2));
        let party = {
            let barrier = Arc::clone(&barrier);
            move || {
                let first = barrier.wait().is_leader();
                let second = barrier.wait().is_leader();
                [first, second]
            }
        };
        let other = thread::spawn(party.clone());
        let mine = party();
        let theirs = other.join().unwrap();
        for round in 0..2 {
            assert!(
                mine[round] != theirs[round],
                "round {round}: {} leaders of 2 parties",
                usize::from(mine[round]) + usize::from(theirs[round])
            );
        }
    });
}

// ===== Once, OnceLock =====

/// `call_once` runs the initialisation exactly once, however many threads race to it, and
/// every caller returns after it and sees what it wrote (loom's `UnsafeCell` checks that the
/// write happens before each read).
#[test]
fn once_runs_its_initialisation_exactly_once() {
    check(
        "once_runs_its_initialisation_exactly_once",
        SMALL_MODEL,
        || {
            struct Shared {
                once: Once,
                value: UnsafeCell<usize>,
                runs: StdAtomicUsize,
            }
            // SAFETY: `value` is written only inside the `Once`'s initialisation and read only
            // after `call_once` returned; loom checks every access (that is the property).
            unsafe impl Sync for Shared {}
            let shared = Arc::new(Shared {
                once: Once::new(),
                value: UnsafeCell::new(0),
                runs: StdAtomicUsize::new(0),
            });
            let caller = {
                let shared = Arc::clone(&shared);
                move || {
                    shared.once.call_once(|| {
                        shared.runs.fetch_add(1, StdOrdering::SeqCst);
                        // SAFETY: inside the one initialisation (what the model checks).
                        shared.value.with_mut(|value| unsafe { *value = 42 });
                    });
                    assert!(shared.once.is_completed());
                    // SAFETY: after `call_once` returned (what the model checks).
                    shared.value.with(|value| unsafe { *value })
                }
            };
            let first = thread::spawn(caller.clone());
            let second = thread::spawn(caller.clone());
            assert_eq!(caller(), 42, "a caller returned before the initialisation");
            assert_eq!(first.join().unwrap(), 42);
            assert_eq!(second.join().unwrap(), 42);
            assert_eq!(
                shared.runs.load(StdOrdering::SeqCst),
                1,
                "the initialisation ran more than once"
            );
        },
    );
}

/// Every caller of a `OnceLock` sees the one value: the `get_or_init` that won, or the `set`
/// that did; the loser learns it lost; a `get` racing with both sees nothing or that value,
/// never a value half-written (loom's `UnsafeCell` inside the shim's `OnceLock` checks it).
#[test]
fn once_lock_every_caller_sees_the_one_value() {
    check(
        "once_lock_every_caller_sees_the_one_value",
        SMALL_MODEL,
        || {
            let cell = Arc::new(OnceLock::new());
            let initialiser = {
                let cell = Arc::clone(&cell);
                thread::spawn(move || *cell.get_or_init(|| 7))
            };
            let setter = {
                let cell = Arc::clone(&cell);
                thread::spawn(move || (cell.set(8).is_ok(), *cell.get().unwrap()))
            };
            let early = cell.get().copied();
            let initialised = initialiser.join().unwrap();
            let (set, seen_by_setter) = setter.join().unwrap();
            let value = *cell.get().unwrap();
            assert_eq!(initialised, value, "get_or_init returned another value");
            assert_eq!(seen_by_setter, value, "the setter saw another value");
            assert_eq!(set, value == 8, "set's result disagrees with the value");
            assert!(early.is_none_or(|early| early == value));
        },
    );
}

// ===== thread::scope =====

/// `scope` returns only after every scoped thread has finished: their writes to the borrowed
/// state are all there, and a result comes back through `join`.
#[test]
fn scope_joins_every_thread_before_returning() {
    check(
        "scope_joins_every_thread_before_returning",
        SMALL_MODEL,
        scoped_threads_add_up,
    );
}

/// The same, with the scope's `Condvar::wait` (each, in turn, if there are several) returning
/// spuriously: `scope` must check that no thread is left, not take the wake-up for it.
#[test]
fn scope_joins_every_thread_despite_a_spurious_wake_up() {
    with_each_wait_spurious(
        "scope_joins_every_thread_despite_a_spurious_wake_up",
        scoped_threads_add_up,
    );
}

/// Scoped threads add borrowed numbers to a borrowed total, and one returns a value.
fn scoped_threads_add_up() {
    let total = Mutex::new(0);
    let parts = [1, 2];
    let length = thread::scope(|scope| {
        scope.spawn(|| *total.lock().unwrap() += parts[0]);
        scope.spawn(|| *total.lock().unwrap() += parts[1]);
        scope.spawn(|| parts.len()).join().unwrap()
    });
    assert_eq!(length, 2);
    assert_eq!(
        *total.lock().unwrap(),
        3,
        "scope returned before every scoped thread finished"
    );
}

/// A panic does not let `scope` return early, and reaches the caller as std's does: the
/// scope's own closure's panic after every thread finished; a scoped thread's panic through
/// `join`, or, if nobody joined it, as `scope`'s own panic once the others finished.
#[test]
fn scope_waits_for_every_thread_and_reports_panics() {
    silence_expected_panics();
    check(
        "scope_waits_for_every_thread_and_reports_panics",
        SMALL_MODEL,
        || {
            let done = Mutex::new(0);
            let body_panicked = panic::catch_unwind(AssertUnwindSafe(|| {
                thread::scope(|scope| {
                    scope.spawn(|| *done.lock().unwrap() += 1);
                    panic!("expected panic: the scope's closure");
                })
            }));
            assert!(body_panicked.is_err());
            assert_eq!(
                *done.lock().unwrap(),
                1,
                "scope unwound before its thread finished"
            );

            let unjoined = panic::catch_unwind(AssertUnwindSafe(|| {
                thread::scope(|scope| {
                    scope.spawn(|| panic!("expected panic: a scoped thread"));
                    scope.spawn(|| *done.lock().unwrap() += 1);
                })
            }));
            assert!(
                unjoined.is_err(),
                "scope returned normally although a scoped thread panicked and nobody joined it"
            );
            assert_eq!(
                *done.lock().unwrap(),
                2,
                "scope panicked before its other thread finished"
            );

            let joined = thread::scope(|scope| {
                scope
                    .spawn(|| panic!("expected panic: a joined scoped thread"))
                    .join()
                    .is_err()
            });
            assert!(joined, "join did not report the scoped thread's panic");
        },
    );
}

// ===== park / unpark =====

/// A thread parks until a flag is set; another sets it and unparks the first. If the unpark
/// comes before the park, the park must return at once (the token is kept): in some
/// interleaving it does, and none deadlocks.
fn unpark_before_park(name: &'static str, timeout: bool) {
    // Per call, not a `static`: the two tests below run at once.
    let unparked_first = StdArc::new(StdAtomicUsize::new(0));
    let counted = StdArc::clone(&unparked_first);
    check(name, SMALL_MODEL, move || {
        let counted = StdArc::clone(&counted);
        let ready = Arc::new(AtomicBool::new(false));
        let unparked = StdArc::new(StdAtomicUsize::new(0));
        let parker = {
            let (ready, unparked) = (Arc::clone(&ready), StdArc::clone(&unparked));
            thread::spawn(move || {
                while !ready.load(Ordering::Acquire) {
                    // A point where loom may run the unparker between the check and the park,
                    // as a preemption there could on real threads (loom switches threads only
                    // at its own operations).
                    thread::yield_now();
                    if unparked.load(StdOrdering::SeqCst) == 1 {
                        counted.fetch_add(1, StdOrdering::SeqCst);
                    }
                    if timeout {
                        thread::park_timeout(std::time::Duration::from_secs(60));
                    } else {
                        thread::park();
                    }
                }
            })
        };
        ready.store(true, Ordering::Release);
        parker.thread().unpark();
        unparked.store(1, StdOrdering::SeqCst);
        parker.join().unwrap();
    });
    assert!(
        unparked_first.load(StdOrdering::SeqCst) > 0,
        "{name}: no interleaving had the unpark before the park"
    );
}

#[test]
fn park_keeps_an_unpark_that_came_first() {
    unpark_before_park("park_keeps_an_unpark_that_came_first", false);
}

#[test]
fn park_timeout_keeps_an_unpark_that_came_first() {
    unpark_before_park("park_timeout_keeps_an_unpark_that_came_first", true);
}
