//! Loom models of the shim's channel (`webpool::demos::mpsc` under `--cfg loom`): it must
//! behave as std's `mpsc` does, in every interleaving, for the book's pools to be checked as
//! written. loom's own `mpsc` does not: it never reports disconnection (loom issue #213).
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --release --test loom_channel`.
#![cfg(loom)]

mod support;

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

use support::{check, SMALL_MODEL};
use webpool::demos::mpsc::{self, Receiver, RecvError, SendError, Sender, TryRecvError};

// Like std's: a sender may be shared between threads, a receiver only moved to one.
const _: () = {
    const fn send_and_sync<T: Send + Sync>() {}
    const fn send<T: Send>() {}
    send_and_sync::<Sender<u8>>();
    send::<Receiver<u8>>();
};

/// A message that counts its drops.
struct Token(Arc<AtomicUsize>);

impl Drop for Token {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// `recv` returns every message, each sender's in the order sent, and then `RecvError` once
/// every sender (the original and its clone, on two threads) is gone; `try_recv` then says
/// `Disconnected`.
#[test]
fn recv_returns_every_message_then_reports_disconnection() {
    check(
        "recv_returns_every_message_then_reports_disconnection",
        SMALL_MODEL,
        || {
            let (tx, rx) = mpsc::channel();
            let tx2 = tx.clone();
            let first = thread::spawn(move || {
                tx.send(1).unwrap();
                tx.send(2).unwrap();
            });
            let second = thread::spawn(move || tx2.send(10).unwrap());
            let received: Vec<i32> = rx.iter().collect();
            assert_eq!(received.len(), 3, "received {received:?}");
            let position = |n| received.iter().position(|&m| m == n).unwrap();
            assert!(position(1) < position(2), "received {received:?}");
            assert!(received.contains(&10));
            assert_eq!(rx.recv(), Err(RecvError));
            assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
            first.join().unwrap();
            second.join().unwrap();
        },
    );
}

/// A `recv` blocked on an empty channel wakes up with `RecvError` when the last sender is
/// dropped, whichever thread drops it and when: the disconnection is never lost.
#[test]
fn blocked_recv_wakes_when_the_last_sender_goes() {
    check(
        "blocked_recv_wakes_when_the_last_sender_goes",
        SMALL_MODEL,
        || {
            let (tx, rx) = mpsc::channel::<u8>();
            let tx2 = tx.clone();
            let receiver = thread::spawn(move || rx.recv());
            let other = thread::spawn(move || drop(tx2));
            drop(tx);
            other.join().unwrap();
            assert_eq!(receiver.join().unwrap(), Err(RecvError));
        },
    );
}

/// Racing the receiver's drop, `send` either succeeds (and the message is dropped with the
/// receiver, never delivered) or fails and hands the very message back; once the receiver is
/// gone, every `send` fails.
#[test]
fn send_fails_once_the_receiver_is_gone() {
    check("send_fails_once_the_receiver_is_gone", SMALL_MODEL, || {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel();
        let receiver = thread::spawn(move || drop(rx));
        match tx.send(Token(Arc::clone(&drops))) {
            Ok(()) => {
                receiver.join().unwrap();
                assert_eq!(drops.load(Ordering::SeqCst), 1, "buffered, then dropped");
            }
            Err(SendError(token)) => {
                assert_eq!(drops.load(Ordering::SeqCst), 0, "handed back, not dropped");
                drop(token);
                assert_eq!(drops.load(Ordering::SeqCst), 1);
                receiver.join().unwrap();
            }
        }
        let Err(SendError(token)) = tx.send(Token(Arc::clone(&drops))) else {
            panic!("a send after the receiver was dropped succeeded");
        };
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        drop(token);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    });
}

/// `try_recv` never blocks: `Empty` while the sender lives and nothing is buffered, the
/// message once sent, and `Disconnected` only after the message was received.
#[test]
fn try_recv_tells_empty_from_disconnected() {
    check(
        "try_recv_tells_empty_from_disconnected",
        SMALL_MODEL,
        || {
            let (tx, rx) = mpsc::channel();
            let sender = thread::spawn(move || tx.send(7).unwrap());
            let mut received = Vec::new();
            loop {
                match rx.try_recv() {
                    Ok(message) => received.push(message),
                    Err(TryRecvError::Empty) => thread::yield_now(),
                    Err(TryRecvError::Disconnected) => break,
                }
            }
            assert_eq!(received, [7]);
            sender.join().unwrap();
        },
    );
}

/// A `sync_channel(1)` pushes back: the sender's second `send` returns only after the first
/// message was received, so the sender never gets more than one message ahead; every message
/// arrives, in order. (An unbounded channel fails the first assertion; the checker's
/// `backlog_is_bounded` shows the same on whole pools: `book-final` against `book-fixed`.)
#[test]
fn sync_channel_makes_send_wait_for_room() {
    check("sync_channel_makes_send_wait_for_room", SMALL_MODEL, || {
        let (tx, rx) = mpsc::sync_channel(1);
        let received = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&received);
        let receiver = thread::spawn(move || {
            for expected in 0..3 {
                assert_eq!(rx.recv(), Ok(expected));
                seen.fetch_add(1, Ordering::SeqCst);
            }
        });
        for n in 0..3 {
            tx.send(n).unwrap();
            // After the n-th send, at most `bound` (1) messages are buffered, so at least
            // n of the n + 1 sent have been taken out.
            let taken = received.load(Ordering::SeqCst);
            assert!(
                taken + 2 > n,
                "send {n} returned with {taken} received: no back-pressure"
            );
        }
        receiver.join().unwrap();
    });
}

/// A `sync_channel(0)` send does not return before its message is taken: while nothing
/// receives, a sender on another thread is still inside `send`, in every interleaving; once
/// the message is received, it returns. Killed mutants of the channel's rendezvous (the
/// ticket miscounted, its comparison or the bound's test flipped, `received` not counted):
/// a send that returns at once, or never (a deadlock). The rendezvous model below checks the
/// value and the disconnection, not this timing.
#[test]
fn sync_channel_send_returns_only_after_the_receive() {
    check(
        "sync_channel_send_returns_only_after_the_receive",
        SMALL_MODEL,
        || {
            let (tx, rx) = mpsc::sync_channel(0);
            let returned = Arc::new(AtomicUsize::new(0));
            let sender_returned = Arc::clone(&returned);
            let sender = thread::spawn(move || {
                tx.send(7).unwrap();
                sender_returned.fetch_add(1, Ordering::SeqCst);
            });
            assert_eq!(
                returned.load(Ordering::SeqCst),
                0,
                "send returned before anything received"
            );
            assert_eq!(rx.recv(), Ok(7));
            sender.join().unwrap();
            assert_eq!(returned.load(Ordering::SeqCst), 1);
        },
    );
}

/// Two senders race `try_send` on an empty `sync_channel(1)`: exactly one takes the one place
/// and the other is refused as `Full`, its message handed back; after a receive there is room
/// again. (Killed mutant: the room test flipped, which refuses an empty channel.)
#[test]
fn try_send_takes_the_one_place_then_reports_full() {
    check(
        "try_send_takes_the_one_place_then_reports_full",
        SMALL_MODEL,
        || {
            let (tx, rx) = mpsc::sync_channel(1);
            let other_tx = tx.clone();
            let other = thread::spawn(move || match other_tx.try_send(2) {
                Ok(()) => true,
                Err(mpsc::TrySendError::Full(2)) => false,
                Err(err) => panic!("unexpected {err:?}"),
            });
            let mine = match tx.try_send(1) {
                Ok(()) => true,
                Err(mpsc::TrySendError::Full(1)) => false,
                Err(err) => panic!("unexpected {err:?}"),
            };
            let theirs = other.join().unwrap();
            assert!(
                mine != theirs,
                "both or neither of two try_sends got the one place"
            );
            assert_eq!(rx.recv(), Ok(if mine { 1 } else { 2 }));
            assert!(tx.try_send(3).is_ok(), "no room after the receive");
            assert_eq!(rx.recv(), Ok(3));
        },
    );
}

/// A `sync_channel(0)` is a rendezvous: `send` returns once its message is received; a
/// sender blocked on a full channel gets its message back when the receiver goes.
#[test]
fn sync_channel_rendezvous_and_disconnection() {
    check(
        "sync_channel_rendezvous_and_disconnection",
        SMALL_MODEL,
        || {
            let (tx, rx) = mpsc::sync_channel(0);
            let received = Arc::new(AtomicUsize::new(0));
            let seen = Arc::clone(&received);
            let receiver = thread::spawn(move || {
                assert_eq!(rx.recv(), Ok(7));
                seen.fetch_add(1, Ordering::SeqCst);
                // Dropping the receiver releases the next send.
            });
            tx.send(7).unwrap();
            receiver.join().unwrap();
            assert_eq!(received.load(Ordering::SeqCst), 1);
            assert_eq!(tx.send(8), Err(SendError(8)));
            assert!(matches!(
                tx.try_send(9),
                Err(mpsc::TrySendError::Disconnected(9))
            ));
        },
    );
}
