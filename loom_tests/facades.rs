//! Loom models of the shim's facades of crates real pools are built on
//! (`webpool::sync::crossbeam_channel` and `webpool::sync::parking_lot` under `--cfg loom`):
//! they must keep the real crates' promises in every interleaving, or a pool checked on them
//! would be judged on a different channel or lock than it runs on.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --release --features
//! crossbeam-channel,parking_lot --test loom_facades`. Each model fails on one of the protocol
//! mutants `scripts/mutants/protocol/facade-*.patch`.
#![cfg(loom)]

mod support;

use std::time::Duration;

use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;

use support::{check, SMALL_MODEL};
use webpool::sync::crossbeam_channel::{
    self as channel, select, RecvError, RecvTimeoutError, SendError, TryRecvError, TrySendError,
};
use webpool::sync::parking_lot::{Condvar, Mutex, RwLock};

// As crossbeam's: both halves may be shared between threads (many producers, many consumers).
const _: () = {
    const fn send_and_sync<T: Send + Sync>() {}
    send_and_sync::<channel::Sender<u8>>();
    send_and_sync::<channel::Receiver<u8>>();
};

/// `bounded(1)` never holds two messages: a second `send` waits until the first is taken, and
/// both arrive, in order.
#[test]
fn crossbeam_bounded_one_never_holds_two() {
    check("crossbeam_bounded_one_never_holds_two", SMALL_MODEL, || {
        let (tx, rx) = channel::bounded(1);
        let producer = thread::spawn(move || {
            for n in [1, 2] {
                tx.send(n).unwrap();
                assert!(tx.len() <= 1, "bounded(1) holds {} messages", tx.len());
            }
        });
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(rx.recv(), Ok(2));
        producer.join().unwrap();
        assert_eq!(rx.recv(), Err(RecvError));
    });
}

/// `bounded(0)` is a rendezvous: `send` returns only once a receiver has taken the message
/// (another receiver looking right after finds nothing), and `try_send` fails while no
/// receiver waits.
#[test]
fn crossbeam_zero_capacity_send_returns_once_taken() {
    check(
        "crossbeam_zero_capacity_send_returns_once_taken",
        SMALL_MODEL,
        || {
            let (tx, rx) = channel::bounded(0);
            assert_eq!(tx.try_send(7), Err(TrySendError::Full(7)));
            let other = rx.clone();
            let receiver = thread::spawn(move || other.recv());
            tx.send(1).unwrap();
            assert_eq!(
                rx.try_recv(),
                Err(TryRecvError::Empty),
                "send returned before the take"
            );
            assert_eq!(receiver.join().unwrap(), Ok(1));
        },
    );
}

/// A rendezvous's `try_send` hands its message to a receiver waiting in `select!` (as
/// threadfin's pool hands a job to an idle worker): it fails only while no receiver waits.
#[test]
fn crossbeam_zero_capacity_try_send_reaches_a_waiting_select() {
    check(
        "crossbeam_zero_capacity_try_send_reaches_a_waiting_select",
        SMALL_MODEL,
        || {
            let (tx, rx) = channel::bounded::<u8>(0);
            let (_open, other) = channel::unbounded::<u8>();
            let worker = thread::spawn(move || {
                select! {
                    recv(other) -> message => message,
                    recv(rx) -> message => message,
                }
            });
            let mut job = 1;
            loop {
                match tx.try_send(job) {
                    Ok(()) => break,
                    Err(TrySendError::Full(back)) => job = back,
                    Err(TrySendError::Disconnected(_)) => unreachable!("the worker holds rx"),
                }
                thread::yield_now();
            }
            assert_eq!(worker.join().unwrap(), Ok(1));
        },
    );
}

/// Two receivers on two threads: every message goes to exactly one of them (none lost, none
/// twice), and both learn of the close when the last sender goes, however many were asleep.
#[test]
fn crossbeam_two_receivers_get_each_message_once() {
    check(
        "crossbeam_two_receivers_get_each_message_once",
        SMALL_MODEL,
        || {
            let (tx, rx) = channel::unbounded();
            let receivers: Vec<_> = (0..2)
                .map(|_| {
                    let rx = rx.clone();
                    thread::spawn(move || rx.iter().collect::<Vec<u8>>())
                })
                .collect();
            drop(rx);
            tx.send(1).unwrap();
            tx.send(2).unwrap();
            drop(tx);
            let mut received: Vec<u8> = receivers
                .into_iter()
                .flat_map(|receiver| receiver.join().unwrap())
                .collect();
            received.sort_unstable();
            assert_eq!(received, [1, 2]);
        },
    );
}

/// A receiver blocked in `recv` wakes with `RecvError` when the last sender goes, on another
/// thread.
#[test]
fn crossbeam_disconnect_wakes_a_blocked_receiver() {
    check(
        "crossbeam_disconnect_wakes_a_blocked_receiver",
        SMALL_MODEL,
        || {
            let (tx, rx) = channel::bounded::<u8>(1);
            let receiver = thread::spawn(move || rx.recv());
            let sender = thread::spawn(move || drop(tx));
            sender.join().unwrap();
            assert_eq!(receiver.join().unwrap(), Err(RecvError));
        },
    );
}

/// A rendezvous sender blocked in `send` gets its message back when the last receiver goes,
/// whenever it goes: before the offer, or while the sender waits for it to be taken.
#[test]
fn crossbeam_disconnect_wakes_a_blocked_sender() {
    check(
        "crossbeam_disconnect_wakes_a_blocked_sender",
        SMALL_MODEL,
        || {
            let (tx, rx) = channel::bounded::<u8>(0);
            let sender = thread::spawn(move || tx.send(5));
            drop(rx);
            assert_eq!(sender.join().unwrap(), Err(SendError(5)));
        },
    );
}

/// `select!` over two channels: with nothing ready, `default` runs at once; a `select!` with
/// no default sleeps until a message comes on either channel (here the second, from another
/// thread) and takes it; once both are closed, `default(timeout)` does not run: a closed
/// channel is ready, with `RecvError`.
#[test]
fn crossbeam_select_wakes_for_either_channel() {
    check(
        "crossbeam_select_wakes_for_either_channel",
        SMALL_MODEL,
        || {
            let (tx1, rx1) = channel::unbounded::<u8>();
            let (tx2, rx2) = channel::unbounded::<u8>();
            let nothing = select! {
                recv(rx1) -> _message => { false }
                recv(rx2) -> _message => false,
                default => true,
            };
            assert!(nothing, "select! took a message from empty channels");
            let producer = thread::spawn(move || tx2.send(2).unwrap());
            let got = select! {
                recv(rx1) -> message => message.map(|n| (1, n)),
                recv(&rx2) -> message => { message.map(|n| (2, n)) }
            };
            assert_eq!(got, Ok((2, 2)));
            producer.join().unwrap();
            drop(tx1);
            let closed = select! {
                recv(rx1) -> message => message,
                recv(rx2) -> message => message,
                default(Duration::from_secs(1)) => Ok(0),
            };
            assert_eq!(closed, Err(RecvError));
            assert_eq!(
                rx1.recv_timeout(Duration::from_secs(1)),
                Err(RecvTimeoutError::Disconnected)
            );
        },
    );
}

/// `recv_timeout` never hangs: a worker that polls its stop flag between timed receives
/// (as poolite's workers do) sees the flag and stops, though the channel stays open and
/// empty; a message sent meanwhile is received, not lost.
#[test]
fn crossbeam_recv_timeout_lets_a_polling_worker_stop() {
    check(
        "crossbeam_recv_timeout_lets_a_polling_worker_stop",
        SMALL_MODEL,
        || {
            let (tx, rx) = channel::unbounded::<u8>();
            let stop = loom::sync::Arc::new(AtomicBool::new(false));
            let stop_seen = loom::sync::Arc::clone(&stop);
            let worker = thread::spawn(move || {
                let mut received = Vec::new();
                while !stop_seen.load(Ordering::SeqCst) {
                    match rx.recv_timeout(Duration::from_millis(100)) {
                        Ok(n) => received.push(n),
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => unreachable!("tx is alive"),
                    }
                }
                received.extend(rx.try_iter());
                received
            });
            tx.send(1).unwrap();
            stop.store(true, Ordering::SeqCst);
            assert_eq!(worker.join().unwrap(), [1]);
        },
    );
}

/// parking_lot's timed wait never hangs: a waiter that rechecks its condition after each
/// `wait_for` sees it become true though nobody notifies (a pool that relies on its
/// timeout to notice a change).
#[test]
fn parking_lot_wait_for_lets_a_polling_waiter_see_the_change() {
    check(
        "parking_lot_wait_for_lets_a_polling_waiter_see_the_change",
        SMALL_MODEL,
        || {
            let shared = loom::sync::Arc::new((Mutex::new(false), Condvar::new()));
            let other = loom::sync::Arc::clone(&shared);
            let waiter = thread::spawn(move || {
                let (ready, condvar) = &*other;
                let mut guard = ready.lock();
                while !*guard {
                    let _ = condvar.wait_for(&mut guard, Duration::from_millis(100));
                }
            });
            *shared.0.lock() = true;
            waiter.join().unwrap();
        },
    );
}

/// parking_lot's `Mutex`: two threads' read-modify-write updates never interleave. (Each
/// yields inside its critical section: without a step of loom's there, no other thread could
/// run while the lock is held, and a lock that does not exclude would pass.)
#[test]
fn parking_lot_mutex_excludes() {
    check("parking_lot_mutex_excludes", SMALL_MODEL, || {
        let counter = loom::sync::Arc::new(Mutex::new(0));
        let other = loom::sync::Arc::clone(&counter);
        let incrementer = thread::spawn(move || {
            let mut guard = other.lock();
            let seen = *guard;
            thread::yield_now();
            *guard = seen + 1;
        });
        {
            let mut guard = counter.lock();
            let seen = *guard;
            thread::yield_now();
            *guard = seen + 1;
        }
        incrementer.join().unwrap();
        assert_eq!(*counter.lock(), 2);
    });
}

/// parking_lot's `Condvar`, waited on in a `while` loop over the condition: the waiter always
/// wakes, whether the notification comes before it sleeps or after.
#[test]
fn parking_lot_condvar_loses_no_wake_up() {
    check("parking_lot_condvar_loses_no_wake_up", SMALL_MODEL, || {
        let shared = loom::sync::Arc::new((Mutex::new(false), Condvar::new()));
        let other = loom::sync::Arc::clone(&shared);
        let waiter = thread::spawn(move || {
            let (ready, condvar) = &*other;
            let mut guard = ready.lock();
            while !*guard {
                condvar.wait(&mut guard);
            }
        });
        let (ready, condvar) = &*shared;
        *ready.lock() = true;
        condvar.notify_one();
        waiter.join().unwrap();
    });
}

/// parking_lot's `RwLock`: a writer is alone (a reader never sees half of a write, a second
/// writer waits), and `try_write` fails while a reader holds the lock.
#[test]
fn parking_lot_rwlock_writer_is_exclusive() {
    check(
        "parking_lot_rwlock_writer_is_exclusive",
        SMALL_MODEL,
        || {
            let lock = loom::sync::Arc::new(RwLock::new((0u8, 0u8)));
            let reader_lock = loom::sync::Arc::clone(&lock);
            let reader = thread::spawn(move || {
                let pair = reader_lock.read();
                // A step of loom's while the read lock is held: a writer may try to enter here.
                thread::yield_now();
                assert_eq!(pair.0, pair.1, "a reader saw half a write");
            });
            let writer_lock = loom::sync::Arc::clone(&lock);
            let writer = thread::spawn(move || {
                let mut pair = writer_lock.write();
                pair.0 += 1;
                thread::yield_now();
                pair.1 += 1;
            });
            {
                let mut pair = lock.write();
                pair.0 += 1;
                pair.1 += 1;
            }
            reader.join().unwrap();
            writer.join().unwrap();
            let reading = lock.read();
            assert!(
                lock.try_write().is_none(),
                "try_write succeeded beside a reader"
            );
            assert_eq!(*reading, (2, 2));
        },
    );
}
