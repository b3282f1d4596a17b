//! An idle pool sleeps: its workers snooze for a moment after their last job (100 µs of
//! yielding, `Backoff::snooze`), then sleep on the wait list, so a pool with nothing to do
//! costs no CPU. The models cannot see this (under loom and shuttle a snooze is one look, no
//! clock), so a snooze whose clock never ran out would pass them all and keep a core busy per
//! idle worker; this test reads the workers' own CPU time.
//!
//! Linux only: it reads each worker thread's CPU time from `/proc/self/task/<id>/stat`, in
//! clock ticks (`utime` + `stime`), so that the other tests this binary runs at the same time
//! are not counted.
#![cfg(target_os = "linux")]

use std::sync::{Arc, Barrier};
use std::time::Duration;

use webpool::Builder;

/// The workers' name prefix: no other test of this binary uses it.
const NAME: &str = "idle-cpu";

/// How long the pool is left idle.
const IDLE_FOR: Duration = Duration::from_millis(300);

/// The most CPU both workers together may use over [`IDLE_FOR`], in clock ticks (10 ms each
/// at Linux's usual 100 a second): starting and falling asleep take well under one. A worker
/// that snoozed for good would use the CPU share it gets for the whole time: on an idle
/// 2-core machine about 30 ticks each, and still several on one shared by a dozen busy
/// threads.
const MAX_TICKS: u64 = 3;

/// CPU time so far of every thread of this process whose name starts with [`NAME`], in clock
/// ticks, and how many such threads there are.
fn workers_cpu_ticks() -> (u64, usize) {
    let mut ticks = 0;
    let mut workers = 0;
    for task in std::fs::read_dir("/proc/self/task").expect("Linux has /proc/self/task") {
        let task = task.expect("a task entry").path();
        // A thread may have exited between the listing and the read: skip it.
        let Ok(comm) = std::fs::read_to_string(task.join("comm")) else {
            continue;
        };
        if !comm.starts_with(NAME) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(task.join("stat")) else {
            continue;
        };
        // Fields after the name (in parentheses, which may hold spaces): state is the first,
        // utime and stime the 12th and 13th (stat's fields 14 and 15).
        let after_name = &stat[stat.rfind(')').expect("stat has the name in parentheses") + 1..];
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let field = |n: usize| -> u64 { fields[n].parse().expect("a tick count") };
        ticks += field(11) + field(12);
        workers += 1;
    }
    (ticks, workers)
}

#[test]
fn an_idle_pool_uses_almost_no_cpu() {
    let pool = Builder::new().threads(2).thread_name(NAME).build().unwrap();
    // One job per worker, each held until both run: then both threads have started (and
    // named themselves), and from their return on the pool is idle.
    let both_running = Arc::new(Barrier::new(3));
    for _ in 0..2 {
        let both_running = Arc::clone(&both_running);
        pool.execute(move || {
            both_running.wait();
        })
        .unwrap();
    }
    both_running.wait();
    let (before, workers) = workers_cpu_ticks();
    assert_eq!(workers, 2, "found {workers} threads named {NAME}-N");
    // Not synchronisation: the time over which the idle pool's CPU use is measured.
    std::thread::sleep(IDLE_FOR);
    let (after, _) = workers_cpu_ticks();
    let used = after - before;
    if used > MAX_TICKS {
        // A worker that never stops snoozing would still see the close and exit, but no
        // shutdown is waited for on the failing path.
        let _ = pool.detach();
        panic!(
            "an idle 2-worker pool used {used} clock ticks of CPU in {IDLE_FOR:?} \
             (at most {MAX_TICKS}): its workers do not sleep"
        );
    }
    assert_eq!(pool.shutdown().completed, 2);
}
