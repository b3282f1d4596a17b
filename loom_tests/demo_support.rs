//! Helpers for the demo models: run a model that must fail, in a child process, and check
//! what loom said about it.
//!
//! Why a child process: when loom finds a deadlock in a model with spawned threads, its
//! cleanup panics again while unwinding ("panic in a destructor during cleanup") and the whole
//! test binary aborts (loom issue #291), so `#[should_panic]` cannot catch it. Instead each
//! failing model is an `#[ignore]`d test, and its checking test re-runs this very binary with
//! `--ignored --exact MODEL`, then asserts that the child failed and that its stderr holds
//! loom's report.

use std::panic;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

/// What loom says when every thread is blocked.
pub const DEADLOCK: &str = "deadlock; threads =";

/// Printed by the child, once, at the first panic: which interleaving failed, at which bound.
const FOUND: &str = "loom found the bug:";

/// Printed by the child if loom explored every interleaving within the bound and none failed.
const NOT_FOUND: &str = "loom found no failure:";

/// The body of a failing model's `#[ignore]`d test: runs `model` under loom with `bound`
/// preemptions, expecting loom to find a failure.
///
/// `LOOM_MAX_PREEMPTIONS` may raise the bound but not lower it: the bound is part of what the
/// demo shows (bug 5, for one, needs two preemptions), and more preemptions only add
/// interleavings, so they can delay the failure but never hide it.
///
/// At the first panic (loom's deadlock report, or the panic the bug causes) it prints which
/// interleaving it was; the panic then fails the test, or aborts the process. If loom finds
/// nothing, it panics with a message saying so, which [`expect_loom_failure`] reports as the
/// demo having stopped demonstrating its bug.
pub fn run_buggy_model<F>(name: &'static str, bound: usize, model: F)
where
    F: Fn() + Sync + Send + 'static,
{
    static ITERATIONS: AtomicUsize = AtomicUsize::new(0);
    static REPORTED: AtomicBool = AtomicBool::new(false);

    let bound = crate::support::preemption_bound(bound).max(bound);
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if !REPORTED.swap(true, Ordering::SeqCst) {
            let iteration = ITERATIONS.load(Ordering::SeqCst);
            eprintln!("{FOUND} model {name}, interleaving {iteration}, preemption bound {bound}");
        }
        default_hook(info);
    }));

    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    builder.check(move || {
        ITERATIONS.fetch_add(1, Ordering::SeqCst);
        model();
    });

    REPORTED.store(true, Ordering::SeqCst);
    let explored = ITERATIONS.load(Ordering::SeqCst);
    panic!(
        "{NOT_FOUND} model {name} passed all {explored} interleavings at preemption bound {bound}"
    );
}

/// Runs the `#[ignore]`d test `model_test` of this binary in a child process and asserts that
/// loom failed it with a report containing `expected`. Prints the interleaving that failed and
/// how long the child took.
///
/// # Panics
///
/// If the child ran no such test, passed, or failed without `expected` in its stderr; in
/// particular if loom explored every interleaving without finding the bug.
pub fn expect_loom_failure(model_test: &str, expected: &str) {
    let exe = std::env::current_exe().expect("the path of this test binary");
    let started = Instant::now();
    let output = Command::new(exe)
        .args([
            "--ignored",
            "--exact",
            model_test,
            "--test-threads=1",
            // Uncaptured: an aborting child never prints captured output.
            "--nocapture",
        ])
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("this test binary runs again as a child");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(
        stdout.contains("running 1 test"),
        "{model_test}: the child did not run exactly that test\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        !stderr.contains(NOT_FOUND),
        "{model_test}: loom no longer finds the bug this demo exists to show\n{stderr}"
    );
    assert!(
        !output.status.success(),
        "{model_test}: the model passed, but it must fail\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stderr.contains(expected),
        "{model_test}: the model failed, but loom's report lacks {expected:?}\n{stderr}"
    );
    let found = stderr
        .lines()
        .find(|line| line.starts_with(FOUND))
        .unwrap_or_else(|| panic!("{model_test}: the child never reported a failure\n{stderr}"));
    eprintln!("{found}; loom reported {expected:?}; child took {elapsed:.2?}");
}
