//! Under `--cfg shuttle`, `webpool::sync::mpsc` is shuttle's own channel. The book's pools (the
//! catalog in `webpool::demos`) shut down by the channel reporting disconnection, so these
//! models check that shuttle's channel reports it as std's does, under every interleaving
//! shuttle tries: buffered messages first, then `RecvError` once every sender is gone (also to
//! a receiver already blocked in `recv`); `SendError` with the value handed back once the
//! receiver is gone (also to a sender already blocked on a full `sync_channel`); and a
//! `sync_channel` that makes `send` wait while it is full.
//!
//! (loom's own channel never reports disconnection, which is why the loom build has its own
//! channel, checked in `loom_tests/channel.rs`.)
//!
//! Run with `RUSTFLAGS="--cfg shuttle" cargo test --release --test shuttle_channel`; a failure
//! prints its schedule and the replay command (see `shuttle_tests/support.rs`).
#![cfg(shuttle)]

mod support;

use webpool::sync::mpsc::{self, RecvError, SendError, TryRecvError};
use webpool::sync::thread;

use support::{check, Log, Plan};

/// This test binary's name, for the replay command.
const BINARY: &str = "shuttle_channel";

/// Every model's search: small models, cheap to run thousands of times.
const PLAN: Plan = Plan::new(2000, 2000);

/// Two senders send three messages each, then go; the receiver gets all six, each sender's in
/// order, and then `RecvError`, whether it was blocked in `recv` when the last sender went or
/// came to the empty channel after.
#[test]
fn recv_reports_the_last_sender_gone_after_the_buffer() {
    check(
        BINARY,
        "recv_reports_the_last_sender_gone_after_the_buffer",
        PLAN,
        || {
            let (sender, receiver) = mpsc::channel();
            let log = Log::new();
            let senders: Vec<_> = (0..2)
                .map(|s| {
                    let (sender, log) = (sender.clone(), log.clone());
                    thread::spawn(move || {
                        for i in 0..3 {
                            sender.send(s * 10 + i).unwrap();
                            log.push(s * 10 + i);
                        }
                    })
                })
                .collect();
            drop(sender);
            let mut got = Vec::new();
            while let Ok(value) = receiver.recv() {
                log.push(100 + value);
                got.push(value);
            }
            assert_eq!(receiver.recv(), Err(RecvError));
            assert_eq!(receiver.try_recv(), Err(TryRecvError::Disconnected));
            for sender in senders {
                sender.join().unwrap();
            }
            for s in 0..2 {
                let mine: Vec<usize> = got.iter().copied().filter(|v| v / 10 == s).collect();
                assert_eq!(mine, [s * 10, s * 10 + 1, s * 10 + 2]);
            }
            log.fingerprint()
        },
    );
}

/// The receiver goes while two senders send: each sender's `send`s succeed up to some point
/// and fail from then on, never the other way round, and a failed `send` hands its value back.
#[test]
fn send_reports_the_receiver_gone_and_hands_the_value_back() {
    check(
        BINARY,
        "send_reports_the_receiver_gone_and_hands_the_value_back",
        PLAN,
        || {
            let (sender, receiver) = mpsc::channel();
            let log = Log::new();
            let producers: Vec<_> = (0..2)
                .map(|p| {
                    let (sender, log) = (sender.clone(), log.clone());
                    thread::spawn(move || {
                        let mut failed = false;
                        for i in 0..3 {
                            let value = p * 10 + i;
                            match sender.send(value) {
                                Ok(()) => {
                                    assert!(!failed, "send {value} succeeded after one failed");
                                    log.push(value);
                                }
                                Err(SendError(back)) => {
                                    assert_eq!(back, value, "the failed send hands its value back");
                                    failed = true;
                                    log.push(100 + value);
                                }
                            }
                        }
                    })
                })
                .collect();
            drop(sender);
            if let Ok(value) = receiver.recv() {
                log.push(200 + value);
            }
            drop(receiver);
            for producer in producers {
                producer.join().unwrap();
            }
            log.fingerprint()
        },
    );
}

/// A `sync_channel(1)` and two senders of three messages each: a `send` waits while the
/// channel is full, so whenever the receiver looks, the senders are at most one message ahead
/// of it; and the senders still blocked on the full channel when the receiver goes (after three
/// messages) fail, with their values, instead of waiting forever.
#[test]
fn sync_channel_send_waits_while_full_and_fails_when_the_receiver_goes() {
    check(
        BINARY,
        "sync_channel_send_waits_while_full_and_fails_when_the_receiver_goes",
        PLAN,
        || {
            let (sender, receiver) = mpsc::sync_channel(1);
            let log = Log::new();
            let producers: Vec<_> = (0..2)
                .map(|p| {
                    let (sender, log) = (sender.clone(), log.clone());
                    thread::spawn(move || {
                        for i in 0..3 {
                            let value = p * 10 + i;
                            match sender.send(value) {
                                Ok(()) => log.push(value),
                                Err(SendError(back)) => {
                                    assert_eq!(back, value, "the failed send hands it back");
                                    log.push(100 + value);
                                    return;
                                }
                            }
                        }
                    })
                })
                .collect();
            drop(sender);
            for received in 1..=3 {
                let value = receiver.recv().unwrap();
                log.push(200 + value);
                let sent = log.entries().iter().filter(|&&entry| entry < 100).count();
                assert!(
                    sent <= received + 1,
                    "{sent} sends returned with {received} received, in a channel of 1"
                );
            }
            drop(receiver);
            for producer in producers {
                producer.join().unwrap();
            }
            let sent = log.entries().iter().filter(|&&entry| entry < 100).count();
            assert!(
                (3..=4).contains(&sent),
                "{sent} of 6 sent, 3 received, bound 1"
            );
            log.fingerprint()
        },
    );
}
