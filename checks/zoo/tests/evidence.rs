//! Evidence on real threads for every FAILS in the zoo's expected cards (`expected/`): each test
//! reproduces the symptom the checker reported under loom, with the crate as published, on
//! std's threads, with no model. A FAILS with no test here is a checker bug.
//!
//! None of these waits by sleeping: each symptom follows from the order the jobs are queued in
//! (the pools take jobs first in, first out), whatever the threads' timing.

use std::panic::{self, AssertUnwindSafe};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// Names the scenario a child process of this test binary runs (see [`run_child`]).
const CHILD_ENV: &str = "WEBPOOL_ZOO_EVIDENCE_CHILD";

/// Runs `test` of this binary again in a child process with [`CHILD_ENV`] set, for a
/// scenario whose symptom ends the process (an abort); returns its status and stderr.
fn run_child(test: &str) -> (std::process::ExitStatus, String) {
    let out = Command::new(std::env::current_exe().expect("the test binary knows its path"))
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, test)
        .output()
        .expect("the test binary runs again");
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Whether this process is the child that runs `test`'s scenario.
fn is_child(test: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|name| name == test)
}

/// scoped_threadpool 0.1.9, `panicking_job` FAILS. One worker; job A panics, job B is queued
/// behind it. The panic ends the worker (nothing catches it), so job B never runs, and the
/// scope panics ("Thread pool worker panicked").
#[test]
fn scoped_threadpool_a_panicking_job_loses_the_job_behind_it() {
    let mut pool = scoped_threadpool::Pool::new(1);
    let ran = AtomicUsize::new(0);
    let first = panic::catch_unwind(AssertUnwindSafe(|| {
        pool.scoped(|scope| {
            scope.execute(|| panic!("job A panics"));
            scope.execute(|| {
                ran.fetch_add(1, Ordering::SeqCst);
            });
        });
    }));
    let message = first.expect_err("the scope panics: its worker died");
    assert_eq!(
        message.downcast_ref::<&str>(),
        Some(&"Thread pool worker panicked")
    );
    assert_eq!(ran.load(Ordering::SeqCst), 0, "job B never ran");
}

/// scoped_threadpool 0.1.9, the same bug, later: the worker is gone for good. With its only
/// worker dead, the pool's job channel has no receiver, so the next scope's `execute` panics
/// (`send(..).unwrap()`), and the scope's end, during that unwinding, panics again on its own
/// `send(Message::Join).unwrap()`: the process aborts.
#[test]
fn scoped_threadpool_after_its_worker_died_the_next_scope_aborts() {
    let test = "scoped_threadpool_after_its_worker_died_the_next_scope_aborts";
    if is_child(test) {
        let mut pool = scoped_threadpool::Pool::new(1);
        let first = panic::catch_unwind(AssertUnwindSafe(|| {
            pool.scoped(|scope| scope.execute(|| panic!("job A panics")));
        }));
        assert!(first.is_err(), "the scope panics: its worker died");
        pool.scoped(|scope| scope.execute(|| {}));
        unreachable!("the second scope aborts the process");
    }
    let (status, stderr) = run_child(test);
    assert_aborted(&status, &stderr);
    assert!(
        stderr.contains("SendError"),
        "the first panic is execute's send(..).unwrap(); stderr:\n{stderr}"
    );
}

/// Asserts that a child process aborted (SIGABRT on unix, a failure elsewhere), as a panic
/// during unwinding does.
fn assert_aborted(status: &std::process::ExitStatus, stderr: &str) {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            status.signal(),
            Some(6),
            "the child aborts (SIGABRT); status {status:?}, stderr:\n{stderr}"
        );
    }
    assert!(!status.success(), "stderr:\n{stderr}");
    assert!(
        stderr.contains("panic in a destructor during cleanup"),
        "a panic during unwinding; stderr:\n{stderr}"
    );
}

/// scoped_threadpool 0.1.9, the same bug with two workers: after a scope in which a job
/// panicked, the survivor waits for a go-ahead the panicking `join_all` never sent, so the next
/// scope on the pool never returns (a hang, shown here under a 5 s timeout on a thread left
/// blocked).
#[test]
fn scoped_threadpool_after_a_panicking_job_the_next_scope_hangs() {
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let mut pool = scoped_threadpool::Pool::new(2);
        let first = panic::catch_unwind(AssertUnwindSafe(|| {
            pool.scoped(|scope| scope.execute(|| panic!("job A panics")));
        }));
        assert!(first.is_err(), "the scope panics: a worker died");
        done.send("first scope returned").unwrap();
        pool.scoped(|scope| scope.execute(|| {}));
        done.send("second scope returned").unwrap();
    });
    assert_eq!(
        finished.recv_timeout(Duration::from_secs(5)),
        Ok("first scope returned")
    );
    assert_eq!(
        finished.recv_timeout(Duration::from_secs(5)),
        Err(mpsc::RecvTimeoutError::Timeout),
        "the second scope never returns"
    );
}

/// scoped_threadpool 0.1.9, `drop_while_unwinding` FAILS. Job A panics, then the scope's body
/// panics: the scope's end (`Scope::drop`, during that unwinding) finds the dead worker and
/// panics again, and a panic during unwinding aborts the process.
#[test]
fn scoped_threadpool_a_panic_in_the_scope_after_a_job_panicked_aborts() {
    let test = "scoped_threadpool_a_panic_in_the_scope_after_a_job_panicked_aborts";
    if is_child(test) {
        let mut pool = scoped_threadpool::Pool::new(1);
        pool.scoped(|scope| {
            scope.execute(|| panic!("job A panics"));
            panic!("the scope's owner panics");
        });
        unreachable!("the scope panics");
    }
    let (status, stderr) = run_child(test);
    assert_aborted(&status, &stderr);
    // Which of join_all's two panics comes second depends on whether the worker has finished
    // dying when it sends its `Join` (then the send fails, `SendError`) or not (then it finds
    // the worker dead); either aborts.
    assert!(
        stderr.contains("Thread pool worker panicked") || stderr.contains("SendError"),
        "the second panic is join_all's; stderr:\n{stderr}"
    );
}

/// A gate a job waits at until main opens it (dropping the sender opens it too).
fn gate() -> (mpsc::Sender<()>, mpsc::Receiver<()>) {
    mpsc::channel()
}

/// threadpool-simple 0.1.12, `one_job_then_drop` FAILS. Its pool has no `Drop`: dropping it
/// drops the sender and returns at once, joining no worker, so a job still queued or running
/// is lost when the owner goes on (or `main` returns). Here job A waits at a gate main opens
/// only after the drop: a `Drop` that waited for the jobs would never return; this one returns
/// with job A not run.
#[test]
fn threadpool_simple_drop_returns_before_the_job_runs() {
    let pool = threadpool_simple::ThreadPool::new(2);
    let ran = std::sync::Arc::new(AtomicUsize::new(0));
    let (open, gate) = gate();
    let ran_a = std::sync::Arc::clone(&ran);
    pool.execute(move || {
        let _ = gate.recv();
        ran_a.fetch_add(1, Ordering::SeqCst);
    });
    drop(pool);
    assert_eq!(
        ran.load(Ordering::SeqCst),
        0,
        "drop returned before job A ran"
    );
    drop(open);
}

/// threadpool-simple 0.1.12, `rendezvous` FAILS: the same cause. Two workers; job A waits for
/// job B's signal, job B waits at main's gate: the drop returns with neither done.
#[test]
fn threadpool_simple_drop_returns_before_a_rendezvous_completes() {
    let pool = threadpool_simple::ThreadPool::new(2);
    let done = std::sync::Arc::new(AtomicUsize::new(0));
    let (signal, signalled) = mpsc::channel::<()>();
    let (open, gate) = gate();
    let done_a = std::sync::Arc::clone(&done);
    pool.execute(move || {
        let _ = signalled.recv();
        done_a.fetch_add(1, Ordering::SeqCst);
    });
    let done_b = std::sync::Arc::clone(&done);
    pool.execute(move || {
        let _ = gate.recv();
        let _ = signal.send(());
        done_b.fetch_add(1, Ordering::SeqCst);
    });
    drop(pool);
    assert_eq!(
        done.load(Ordering::SeqCst),
        0,
        "drop returned with 0 of 2 jobs done"
    );
    drop(open);
}

/// threadpool-simple 0.1.12, `panicking_job` FAILS. One worker; job A panics and ends it
/// (nothing catches the panic, nothing replaces the worker), so job B, queued behind it, never
/// runs: the dead worker held the last handle of the queue, so job B is dropped unrun (its
/// channel to the test disconnects), and the pool's next `execute` panics.
#[test]
fn threadpool_simple_a_panicking_job_loses_the_job_behind_it() {
    let pool = threadpool_simple::ThreadPool::new(1);
    let (report, reports) = mpsc::channel();
    let report_a = report.clone();
    pool.execute(move || {
        report_a.send("job A starts").unwrap();
        panic!("job A panics");
    });
    pool.execute(move || report.send("job B runs").unwrap());
    assert_eq!(
        reports.recv_timeout(Duration::from_secs(5)),
        Ok("job A starts")
    );
    assert_eq!(
        reports.recv_timeout(Duration::from_secs(5)),
        Err(mpsc::RecvTimeoutError::Disconnected),
        "job B is dropped unrun"
    );
    let next = panic::catch_unwind(AssertUnwindSafe(|| pool.execute(|| {})));
    assert!(next.is_err(), "the pool takes no job any more");
}

/// threadpool-simple 0.1.12, `spurious_wakeup` FAILS: the same cause as `one_job_then_drop`
/// (the pool has no condition variable to wake spuriously). One worker, two jobs, the first
/// waiting at main's gate: the drop returns with neither run.
#[test]
fn threadpool_simple_drop_returns_before_two_jobs_run() {
    let pool = threadpool_simple::ThreadPool::new(1);
    let ran = std::sync::Arc::new(AtomicUsize::new(0));
    let (open, gate) = gate();
    let ran_a = std::sync::Arc::clone(&ran);
    pool.execute(move || {
        let _ = gate.recv();
        ran_a.fetch_add(1, Ordering::SeqCst);
    });
    let ran_b = std::sync::Arc::clone(&ran);
    pool.execute(move || {
        ran_b.fetch_add(1, Ordering::SeqCst);
    });
    drop(pool);
    assert_eq!(
        ran.load(Ordering::SeqCst),
        0,
        "drop returned with 0 of 2 jobs run"
    );
    drop(open);
}
