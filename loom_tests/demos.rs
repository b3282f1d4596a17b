//! The regression demos under loom: every classic thread-pool bug in `webpool::demos` must be
//! found by loom, and the same model must pass against `webpool::ThreadPool`.
//!
//! Each buggy model is an `#[ignore]`d test that fails by design; its `*_is_caught` test runs
//! it in a child process and checks loom's report (see `demo_support.rs` for why a child).
//! If a demo's bug ever stops being found, its `*_is_caught` test fails: the checkers have
//! lost the power this catalog exists to prove. The `fixed_pool_*` tests run the same models
//! against the real pool, in process, with `check` (more than one interleaving, none failing).
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --release --test loom_demos --
//! --test-threads=1`; `--nocapture` shows, for each bug, the interleaving that exposed it.
#![cfg(loom)]

mod support;

mod demo_support;

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;

use demo_support::{expect_loom_failure, run_buggy_model, DEADLOCK};
use support::{check, silence_expected_panics, Gate, LARGE_MODEL, SMALL_MODEL};
use webpool::demos::if_wait::IfWaitPool;
use webpool::demos::join_before_close::JoinBeforeClosePool;
use webpool::demos::lost_wakeup::LostWakeupPool;
use webpool::demos::named_guard::NamedGuardPool;
use webpool::demos::notify_one::NotifyOnePool;
use webpool::demos::panic_kills_worker::PanicKillsWorkerPool;
use webpool::demos::recv_unwrap::RecvUnwrapPool;
use webpool::demos::unbounded::UnboundedPool;
use webpool::demos::while_let::WhileLetPool;
use webpool::demos::BookPool;
use webpool::ThreadPool;

// ===== the models =====

/// Preemption bound of `rendezvous`, for the buggy pools and the fixed one alike.
const RENDEZVOUS_BOUND: usize = LARGE_MODEL;
/// Preemption bound of `one_job_then_drop`.
const SHUTDOWN_BOUND: usize = SMALL_MODEL;
/// Preemption bound of `panicking_job`.
const PANIC_BOUND: usize = SMALL_MODEL;
/// Preemption bound of `backlog_is_bounded`.
const BACKLOG_BOUND: usize = LARGE_MODEL;

/// A counter shared by a model and its jobs.
fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

/// A job that adds one to `counter`.
fn bump(counter: &Arc<AtomicUsize>) -> impl FnOnce() + Send + 'static {
    let counter = Arc::clone(counter);
    move || {
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

/// Rendezvous on two workers: job A waits for a signal that job B sends. Both complete, and
/// dropping the pool returns, only if a running job never keeps another worker from taking
/// the next job.
fn rendezvous<P: BookPool>() {
    let pool = P::new(2);
    let signal = Gate::new();
    let done = counter();
    let (signal_a, done_a) = (signal.clone(), Arc::clone(&done));
    pool.execute(move || {
        signal_a.wait();
        done_a.fetch_add(1, Ordering::SeqCst);
    });
    let done_b = Arc::clone(&done);
    pool.execute(move || {
        signal.open();
        done_b.fetch_add(1, Ordering::SeqCst);
    });
    drop(pool);
    assert_eq!(done.load(Ordering::SeqCst), 2);
}

/// One job on two workers, then the pool is dropped: the job runs exactly once, and `Drop`
/// returns whatever state the workers are in (busy, waking, asleep, not yet started).
fn one_job_then_drop<P: BookPool>() {
    let pool = P::new(2);
    let ran = counter();
    pool.execute(bump(&ran));
    drop(pool);
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

/// One worker, a job that panics, then a job that must still run: a job's panic must not
/// cost the pool its worker.
fn panicking_job<P: BookPool>() {
    let pool = P::new(1);
    let ran = counter();
    pool.execute(|| panic!("expected panic: the job failed"));
    pool.execute(bump(&ran));
    drop(pool);
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

/// Back-pressure: while the only worker is blocked, a producer submits three more jobs. A
/// bounded pool makes one of those submissions wait (its queue holds two), so the caller
/// never sees all three accepted before it releases the worker.
fn backlog_is_bounded<P: BookPool>() {
    let pool = Arc::new(P::new(1));
    let release = Gate::new();
    let blocked = release.clone();
    pool.execute(move || blocked.wait());
    let submitted = counter();
    let producer = {
        let (pool, submitted) = (Arc::clone(&pool), Arc::clone(&submitted));
        loom::thread::spawn(move || {
            for _ in 0..3 {
                pool.execute(|| {});
                submitted.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let accepted_while_blocked = submitted.load(Ordering::SeqCst);
    release.open();
    producer.join().unwrap();
    drop(pool);
    assert!(
        accepted_while_blocked < 3,
        "all {accepted_while_blocked} submissions returned while the only worker was blocked: \
         the queue never pushed back"
    );
}

// ===== bug 1: `while let` holds the lock for the whole job =====

/// The book's listing 21-21 on the rendezvous model. Fails by design.
#[test]
#[ignore = "fails by design; run in a child process by while_let_is_caught"]
fn while_let_model() {
    run_buggy_model(
        "while_let_model",
        RENDEZVOUS_BOUND,
        rendezvous::<WhileLetPool>,
    );
}

/// loom finds bug 1: a deadlock.
#[test]
fn while_let_is_caught() {
    expect_loom_failure("while_let_model", DEADLOCK);
}

// ===== bug 2: a named guard holds the lock for the whole job =====

/// The named-guard worker loop on the rendezvous model. Fails by design.
#[test]
#[ignore = "fails by design; run in a child process by named_guard_is_caught"]
fn named_guard_model() {
    run_buggy_model(
        "named_guard_model",
        RENDEZVOUS_BOUND,
        rendezvous::<NamedGuardPool>,
    );
}

/// loom finds bug 2: a deadlock.
#[test]
fn named_guard_is_caught() {
    expect_loom_failure("named_guard_model", DEADLOCK);
}

/// The fixed pool passes the rendezvous model (bugs 1 and 2).
#[test]
fn fixed_pool_passes_rendezvous() {
    check(
        "rendezvous (fixed pool)",
        RENDEZVOUS_BOUND,
        rendezvous::<ThreadPool>,
    );
}

// ===== bug 3: `Drop` joins the workers before closing the channel =====

/// The book's listing 21-22 on the one-job-then-drop model. Fails by design.
#[test]
#[ignore = "fails by design; run in a child process by join_before_close_is_caught"]
fn join_before_close_model() {
    run_buggy_model(
        "join_before_close_model",
        SHUTDOWN_BOUND,
        one_job_then_drop::<JoinBeforeClosePool>,
    );
}

/// loom finds bug 3: a deadlock at shutdown.
#[test]
fn join_before_close_is_caught() {
    expect_loom_failure("join_before_close_model", DEADLOCK);
}

// ===== bug 4: `recv().unwrap()` panics every worker at shutdown =====

/// The book's listing 21-23 on the one-job-then-drop model. Fails by design.
#[test]
#[ignore = "fails by design; run in a child process by recv_unwrap_is_caught"]
fn recv_unwrap_model() {
    run_buggy_model(
        "recv_unwrap_model",
        SHUTDOWN_BOUND,
        one_job_then_drop::<RecvUnwrapPool>,
    );
}

/// loom finds bug 4: a worker unwraps the `RecvError` that closing the channel causes.
#[test]
fn recv_unwrap_is_caught() {
    expect_loom_failure(
        "recv_unwrap_model",
        "called `Result::unwrap()` on an `Err` value: RecvError",
    );
}

// ===== bug 5: `if` instead of `while` around `Condvar::wait` =====

/// The `if`-waiting worker on the one-job-then-drop model. Fails by design.
#[test]
#[ignore = "fails by design; run in a child process by if_wait_is_caught"]
fn if_wait_model() {
    run_buggy_model(
        "if_wait_model",
        SHUTDOWN_BOUND,
        one_job_then_drop::<IfWaitPool>,
    );
}

/// loom finds bug 5: a woken worker finds the queue empty and unwraps `None`.
#[test]
fn if_wait_is_caught() {
    expect_loom_failure(
        "if_wait_model",
        "called `Option::unwrap()` on a `None` value",
    );
}

// ===== bug 6: the shutdown flag is set without the lock (a lost wake-up) =====

/// The unlocked shutdown flag on the one-job-then-drop model. Fails by design.
#[test]
#[ignore = "fails by design; run in a child process by lost_wakeup_is_caught"]
fn lost_wakeup_model() {
    run_buggy_model(
        "lost_wakeup_model",
        SHUTDOWN_BOUND,
        one_job_then_drop::<LostWakeupPool>,
    );
}

/// loom finds bug 6: a worker sleeps through shutdown, a deadlock.
#[test]
fn lost_wakeup_is_caught() {
    expect_loom_failure("lost_wakeup_model", DEADLOCK);
}

// ===== bug 6b: `notify_one` where every worker must wake =====

/// Shutdown by `notify_one` on the one-job-then-drop model. Fails by design.
#[test]
#[ignore = "fails by design; run in a child process by notify_one_is_caught"]
fn notify_one_model() {
    run_buggy_model(
        "notify_one_model",
        SHUTDOWN_BOUND,
        one_job_then_drop::<NotifyOnePool>,
    );
}

/// loom finds bug 6b: the workers not woken sleep through shutdown, a deadlock.
#[test]
fn notify_one_is_caught() {
    expect_loom_failure("notify_one_model", DEADLOCK);
}

/// The fixed pool passes the one-job-then-drop model (bugs 3, 4, 5, 6 and 6b).
#[test]
fn fixed_pool_passes_one_job_then_drop() {
    check(
        "one_job_then_drop (fixed pool)",
        SHUTDOWN_BOUND,
        one_job_then_drop::<ThreadPool>,
    );
}

// ===== bug 7: a panicking job kills its worker =====

/// The book's final pool on the panicking-job model. Fails by design.
#[test]
#[ignore = "fails by design; run in a child process by panic_kills_worker_is_caught"]
fn panic_kills_worker_model() {
    run_buggy_model(
        "panic_kills_worker_model",
        PANIC_BOUND,
        panicking_job::<PanicKillsWorkerPool>,
    );
}

/// loom finds bug 7: the job's panic escapes its worker thread.
#[test]
fn panic_kills_worker_is_caught() {
    expect_loom_failure("panic_kills_worker_model", "expected panic: the job failed");
}

/// The fixed pool passes the panicking-job model: the panic is caught, the worker lives on.
#[test]
fn fixed_pool_passes_panicking_job() {
    silence_expected_panics();
    check(
        "panicking_job (fixed pool)",
        PANIC_BOUND,
        panicking_job::<ThreadPool>,
    );
}

// ===== bug 8: an unbounded queue =====

/// The book's unbounded channel on the back-pressure model. Fails by design.
#[test]
#[ignore = "fails by design; run in a child process by unbounded_is_caught"]
fn unbounded_model() {
    run_buggy_model(
        "unbounded_model",
        BACKLOG_BOUND,
        backlog_is_bounded::<UnboundedPool>,
    );
}

/// loom finds bug 8: every submission returned while the only worker was blocked.
#[test]
fn unbounded_is_caught() {
    expect_loom_failure("unbounded_model", "the queue never pushed back");
}

/// The fixed pool passes the back-pressure model: its bounded queue makes a producer wait.
#[test]
fn fixed_pool_passes_backlog_is_bounded() {
    check(
        "backlog_is_bounded (fixed pool)",
        BACKLOG_BOUND,
        backlog_is_bounded::<ThreadPool>,
    );
}
