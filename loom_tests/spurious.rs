//! Spurious wake-ups: the shim's mode (`webpool::sync::spurious`) in which one
//! `Condvar::wait` per execution returns with no notification, each wait in turn.
//!
//! The deliberately broken variant is the smallest `if`-around-`wait`: a thread waits for a
//! flag with `if !flag { wait }` and then trusts it. loom, on its own, passes it: here every
//! wake-up it makes follows the flag being set. With the mode on, the one wait returns before
//! the flag is set, and the model fails; the `while` version passes both ways. The catalog's
//! `spurious_wakeup` check runs the same mode against whole pools (see `checks/verdicts`).
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --release --test loom_spurious`.
#![cfg(loom)]

mod support;

use std::panic::{self, AssertUnwindSafe};

use support::{check, SMALL_MODEL};
use webpool::sync::{spurious, thread, Arc, Condvar, Mutex};

/// A waiter that waits for a flag (with `if` when `trusting`, with `while` otherwise) and
/// reports whether the flag was set when it stopped waiting; the main thread sets the flag
/// and notifies.
fn wait_for_flag(trusting: bool) -> impl Fn() + Sync + Send + 'static {
    move || {
        spurious::begin_execution();
        let state = Arc::new((Mutex::new(false), Condvar::new()));
        let shared = Arc::clone(&state);
        let waiter = thread::spawn(move || {
            let (flag, changed) = &*shared;
            let mut set = flag.lock().unwrap();
            if trusting {
                if !*set {
                    set = changed.wait(set).unwrap();
                }
            } else {
                while !*set {
                    set = changed.wait(set).unwrap();
                }
            }
            *set
        });
        let (flag, changed) = &*state;
        *flag.lock().unwrap() = true;
        changed.notify_one();
        assert!(
            waiter.join().unwrap(),
            "the waiter stopped waiting before the flag was set: it took a wake-up for a signal"
        );
    }
}

/// Runs `model` once normally, then once per wait with that wait spurious; returns the
/// failures (the wait made spurious, and the panic's message).
fn each_wait_spurious(model: impl Fn() + Sync + Send + Clone + 'static) -> Vec<(usize, String)> {
    spurious::wake_spuriously_at(0);
    loom::model::Builder::new().check(model.clone());
    let waits = spurious::most_waits();
    assert!(
        waits > 0,
        "the model makes no Condvar::wait: nothing to check"
    );
    let mut failures = Vec::new();
    for at in 1..=waits {
        spurious::wake_spuriously_at(at);
        let model = model.clone();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            loom::model::Builder::new().check(model)
        }));
        if let Err(payload) = outcome {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failures.push((at, message));
        }
    }
    spurious::wake_spuriously_at(0);
    failures
}

#[test]
fn loom_alone_passes_the_if_around_wait() {
    spurious::wake_spuriously_at(0);
    check(
        "loom_alone_passes_the_if_around_wait",
        SMALL_MODEL,
        wait_for_flag(true),
    );
}

#[test]
fn spurious_mode_catches_the_if_around_wait() {
    let quiet = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let failures = each_wait_spurious(std::sync::Arc::new(wait_for_flag(true)).into_fn());
    panic::set_hook(quiet);
    assert!(
        failures
            .iter()
            .any(|(_, message)| message.contains("took a wake-up for a signal")),
        "no spurious wake-up broke the `if` around `wait`: {failures:?}"
    );
    eprintln!(
        "spurious mode: the `if` around `wait` fails at waits {:?}",
        failures.iter().map(|f| f.0).collect::<Vec<_>>()
    );
}

#[test]
fn spurious_mode_passes_the_while_loop() {
    let failures = each_wait_spurious(std::sync::Arc::new(wait_for_flag(false)).into_fn());
    assert!(failures.is_empty(), "the `while` loop failed: {failures:?}");
}

/// `Arc<F>` as a cloneable `Fn`.
trait IntoFn {
    fn into_fn(self) -> impl Fn() + Sync + Send + Clone + 'static;
}

impl<F: Fn() + Sync + Send + 'static> IntoFn for std::sync::Arc<F> {
    fn into_fn(self) -> impl Fn() + Sync + Send + Clone + 'static {
        move || (self)()
    }
}
