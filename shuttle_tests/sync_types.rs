//! Under `--cfg shuttle`, `webpool::sync` hands out shuttle's `RwLock`, `Barrier`, `Once`,
//! `thread::scope` and `park`/`unpark`, and its own `OnceLock` (shuttle 0.9 has none) built on
//! shuttle's `Once`. This checks that one under shuttle's schedulers, as
//! `loom_tests/sync_types.rs` checks it under loom: every caller sees the one value. It also
//! names every type the shim covers, so this build fails if the shuttle build stops exporting
//! one that the std and loom builds export.
//!
//! Run with `RUSTFLAGS="--cfg shuttle" cargo test --release --test shuttle_sync_types`.
#![cfg(shuttle)]

mod support;

use webpool::sync::thread::{self, Scope, ScopedJoinHandle, Thread};
use webpool::sync::{
    Arc, Barrier, BarrierWaitResult, Once, OnceLock, OnceState, RwLock, RwLockReadGuard,
    RwLockWriteGuard,
};

use support::{check, Plan};

/// This test binary's name, for the replay command.
const BINARY: &str = "shuttle_sync_types";

/// A small model, cheap to run thousands of times.
const PLAN: Plan = Plan::new(1000, 1000);

/// Every name the loom and std builds of the shim export for these types, here too (a type
/// missing from the shuttle build fails this file's build, not a user's).
#[allow(dead_code)]
fn the_shuttle_build_names_every_type(
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
    thread::scope(|scope| {
        scope.spawn(|| ());
    });
}

/// Every caller of a `OnceLock` sees the one value: the `get_or_init` that won, or the `set`
/// that did; the loser learns it lost; a `get` racing with both sees nothing or that value.
#[test]
fn once_lock_every_caller_sees_the_one_value() {
    check(
        BINARY,
        "once_lock_every_caller_sees_the_one_value",
        PLAN,
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
            // Which one won, and whether the early `get` saw it: the outcomes to tell apart.
            (value as u64) * 2 + u64::from(early.is_some())
        },
    );
}
