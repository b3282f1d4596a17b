//! The checks: small scenarios that each classic pool bug breaks, written against
//! [`BookPool`] so they run on any pool.
//!
//! Every scenario narrates itself into the trace (`execute(job A)`, `job A starts`, ...), so a
//! counterexample reads as the script plus what the pool did in between. The scenario's own
//! synchronisation (the gate a job waits at, the counters) is loom's, unrecorded: the trace
//! shows what the checker meant (`waits for job B's signal`), not its insides.

use std::panic::{self, AssertUnwindSafe};

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::{Arc, Condvar, Mutex};

use super::{BookPool, Submit};
use crate::sync::thread;
use crate::sync::trace::{self, Action, Blocked};

/// Whether a failing check is a bug or a documented limit of the pool's design.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The property must hold; failing it is a bug.
    Must,
    /// The scenario finds where the pool stops (by design); it is reported, never failed.
    Limit,
    /// A property of the pool's design (a bounded queue): reported with its numbers apart
    /// from the failures, failed only when the user requires it (`WEBPOOL_CHECK_REQUIRE`).
    Design,
}

/// What a design check's failure message starts with: the finding, not a bug.
pub const DESIGN_FINDING: &str = "unbounded: ";

/// One check of the catalog.
#[derive(Clone, Copy, Debug)]
pub struct Check {
    /// Its name on the card and in `WEBPOOL_CHECK`.
    pub name: &'static str,
    /// What must hold, in one line.
    pub claim: &'static str,
    /// The preemption bound it runs at (more only delays a failure, never hides it).
    pub bound: usize,
    /// A bug or a limit.
    pub kind: Kind,
    /// The catalog pages that explain the bugs it catches, and their fixes.
    pub pages: &'static str,
    /// What of the pool's shape it needs (it is `n/a` for pools without it).
    pub needs: Needs,
}

/// What a check needs of the pool's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Any pool.
    Nothing,
    /// A `join` ([`BookPool::JOINS`]).
    Join,
    /// Scopes ([`BookPool::SCOPED`]).
    Scope,
}

impl Needs {
    /// Why the check does not apply to a pool of this shape, if it does not.
    pub fn missing(self, joins: bool, scoped: bool) -> Option<&'static str> {
        match self {
            Needs::Join if !joins => {
                Some("the pool has no join (check_pool!'s join = |pool| pool.join() names one)")
            }
            Needs::Scope if !scoped => {
                Some("the pool has no scopes (check_pool!'s scoped = |pool, body| ... opens one)")
            }
            _ => None,
        }
    }
}

/// The check run with spurious wake-ups (the card runs it once normally, then once per
/// `Condvar::wait` of an execution, making that one spurious; see `webpool::sync::spurious`).
pub const SPURIOUS: &str = "spurious_wakeup";

/// The catalog, in the card's order: the plainest scenario first, so that a cause which breaks
/// every scenario (a `Drop` that never returns) is named on the first failure, and the later
/// ones say "same cause".
pub const CHECKS: &[Check] = &[
    Check {
        name: "one_job_then_drop",
        claim: "2 workers: one job, then drop; it runs exactly once and Drop returns",
        bound: 3,
        kind: Kind::Must,
        needs: Needs::Nothing,
        pages: "webpool::demos::join_before_close, recv_unwrap, if_wait, lost_wakeup, \
                notify_one (shutdown)",
    },
    Check {
        name: "rendezvous",
        claim: "2 workers: job A waits for job B, queued behind it; both complete",
        bound: 2,
        kind: Kind::Must,
        needs: Needs::Nothing,
        pages: "webpool::demos::while_let, webpool::demos::named_guard \
                (a lock held while a job runs)",
    },
    Check {
        name: "panicking_job",
        claim: "1 worker: job A panics; job B still runs",
        bound: 3,
        kind: Kind::Must,
        needs: Needs::Nothing,
        pages: "webpool::demos::panic_kills_worker (catch_unwind around each job)",
    },
    Check {
        name: "backlog_is_bounded",
        claim: "1 busy worker: execute waits before 3 more jobs are queued",
        bound: 2,
        kind: Kind::Design,
        needs: Needs::Nothing,
        pages: "webpool::demos::unbounded (a bounded queue)",
    },
    Check {
        name: "drop_while_unwinding",
        claim: "job A panicked, then the pool's owner panics: Drop must not panic (abort)",
        bound: 3,
        kind: Kind::Must,
        needs: Needs::Nothing,
        pages: "webpool::demos::repanic_in_drop (check thread::panicking() in Drop)",
    },
    Check {
        name: SPURIOUS,
        claim: "1 worker, 2 jobs, then drop, while each Condvar::wait in turn wakes with no \
                notification: both jobs run once",
        bound: 2,
        kind: Kind::Must,
        needs: Needs::Nothing,
        pages: "webpool::demos::if_wait (a `while` around every wait: a wake-up is a hint)",
    },
    Check {
        name: "join_waits_for_jobs",
        claim: "2 workers, 2 jobs, then join: both have run when it returns",
        bound: 3,
        kind: Kind::Must,
        needs: Needs::Join,
        pages: "webpool::demos::join (wait for the running jobs, not the queue)",
    },
    Check {
        name: "joins_from_two_threads",
        claim: "1 job, then join from two threads at once: both return, and a job submitted \
                after them runs",
        bound: 2,
        kind: Kind::Must,
        needs: Needs::Join,
        pages: "webpool::demos::join (every joiner must wake)",
    },
    Check {
        name: "scope_waits_for_jobs",
        claim: "2 workers, 2 jobs in a scope: both have run when it returns; a job in a second \
                scope on the same pool runs too",
        bound: 2,
        kind: Kind::Must,
        needs: Needs::Scope,
        pages: "webpool::demos::scoped (wait for the running jobs, not the queue)",
    },
    Check {
        name: "waiting_jobs",
        claim: "2 workers: jobs A and B wait for job C, queued behind them",
        bound: 2,
        kind: Kind::Limit,
        needs: Needs::Nothing,
        pages: "threadpool #56, rayon #592: a fixed pool runs at most `size` jobs at once",
    },
];

/// Runs check `name`'s scenario once against `P` (inside a loom model).
///
/// # Panics
///
/// When the scenario finds the pool at fault (that is the check failing), or if `name` is
/// not in [`CHECKS`].
pub fn run<P: BookPool>(name: &str) {
    match name {
        "rendezvous" => rendezvous::<P>(),
        "one_job_then_drop" => one_job_then_drop::<P>(),
        "panicking_job" => panicking_job::<P>(),
        "backlog_is_bounded" => backlog_is_bounded::<P>(),
        "drop_while_unwinding" => drop_while_unwinding::<P>(),
        SPURIOUS => spurious_wakeup::<P>(),
        "join_waits_for_jobs" => join_waits_for_jobs::<P>(),
        "joins_from_two_threads" => joins_from_two_threads::<P>(),
        "scope_waits_for_jobs" => scope_waits_for_jobs::<P>(),
        "waiting_jobs" => waiting_jobs::<P>(),
        other => panic!("no check named {other:?}"),
    }
}

// ===== the scenarios =====

/// Job A waits for a signal that job B, queued after it, sends. Both complete, and the drop
/// returns, only if a running job never keeps another worker from taking the next job.
fn rendezvous<P: BookPool>() {
    let mut pool = new_pool::<P>(2);
    let signal = Gate::new("job B's signal");
    let done = counter();
    let (signal_a, done_a) = (signal.clone(), Arc::clone(&done));
    let done_b = Arc::clone(&done);
    session(&mut pool, |to| {
        submit(to, "A", move || {
            signal_a.wait();
            done_a.fetch_add(1, Ordering::SeqCst);
        });
        submit(to, "B", move || {
            signal.open();
            done_b.fetch_add(1, Ordering::SeqCst);
        });
    });
    drop_expecting(pool, &done, 2, "done");
}

/// One job, then the pool is dropped, whatever state the workers are in (busy, waking,
/// asleep, not yet started): the job runs exactly once, and the drop returns.
fn one_job_then_drop<P: BookPool>() {
    let mut pool = new_pool::<P>(2);
    let ran = counter();
    let ran_a = Arc::clone(&ran);
    session(&mut pool, |to| {
        submit(to, "A", move || {
            ran_a.fetch_add(1, Ordering::SeqCst);
        });
    });
    drop_pool(pool);
    let ran = ran.load(Ordering::SeqCst);
    if ran != 1 {
        fail(&format!(
            "Drop returned, and job A had run {ran} times, not once"
        ));
    }
}

/// One worker; job A panics, then job B must still run.
fn panicking_job<P: BookPool>() {
    let mut pool = new_pool::<P>(1);
    let ran = counter();
    let ran_b = Arc::clone(&ran);
    let jobs = |to: &Submit<'_>| {
        submit(to, "A", || panic_when_quiet("expected panic: job A panics"));
        submit(to, "B", move || {
            ran_b.fetch_add(1, Ordering::SeqCst);
        });
    };
    // A `Drop` or a scope that re-raises job A's panic is a design choice (std::thread::scope
    // makes it), not this check's concern.
    if P::SCOPED {
        if panic::catch_unwind(AssertUnwindSafe(|| session(&mut pool, jobs))).is_err() {
            note("the scope panics: the pool re-raises job A's panic");
        }
    } else {
        session(&mut pool, jobs);
    }
    if panic::catch_unwind(AssertUnwindSafe(|| drop_pool(pool))).is_err() {
        note("drop(pool) panics: the pool re-raises job A's panic");
    }
    if ran.load(Ordering::SeqCst) != 1 {
        fail(&format!(
            "{} and job B never ran: job A's panic cost the pool its only worker",
            if P::SCOPED {
                "the scope ended, Drop returned"
            } else {
                "Drop returned"
            }
        ));
    }
}

/// How many turns the observer of `backlog_is_bounded` gives main before it reads the count.
const PRODUCER_TURNS: usize = 6;

/// While the only worker is blocked, main submits three more jobs. A bounded pool makes one of
/// those submissions wait (the model's queue holds two), so an observer thread never sees all
/// three accepted before it releases the worker.
///
/// Main submits, not a second thread: a pool need not be `Sync`, and a scoped pool's scope
/// stays with the thread that opened it (scoped_threadpool's `Scope` is not `Sync`). The
/// observer waits until main has submitted all three or is blocked inside `execute` (a pool
/// that waits outside the shim's sight is read after a few turns), reads the count, and
/// releases the worker. A design property, not a bug: reported with its numbers.
fn backlog_is_bounded<P: BookPool>() {
    let mut pool = new_pool::<P>(1);
    let release = Gate::new("the release");
    let blocked = release.clone();
    let submitted = counter();
    let accepted = counter();
    let observer = {
        let (submitted, accepted) = (Arc::clone(&submitted), Arc::clone(&accepted));
        thread::spawn_labelled("observer", move || {
            // A read-modify-write reads the latest count: loom lets a plain load, even a
            // SeqCst one, read an older value when nothing orders it after main's increment.
            let latest = || submitted.fetch_add(0, Ordering::SeqCst);
            for _ in 0..PRODUCER_TURNS {
                if latest() == 3 || trace::blocked("main") {
                    break;
                }
                thread::yield_now();
            }
            let seen = latest();
            note(format!("sees {seen} of 3 jobs accepted"));
            accepted.store(seen, Ordering::SeqCst);
            release.open();
        })
    };
    session(&mut pool, |to| {
        submit(to, "A", move || blocked.wait());
        for name in ["B", "C", "D"] {
            submit(to, name, || {});
            submitted.fetch_add(1, Ordering::SeqCst);
        }
    });
    observer.join().expect("the observer never panics");
    if accepted.load(Ordering::SeqCst) == 3 {
        // Not dropped on the way out: a `Drop` that never returns (another check's failure)
        // must not hide this finding.
        std::mem::forget(pool);
        fail(&format!(
            "{DESIGN_FINDING}all 3 jobs were accepted while the only worker was blocked: the \
             queue never pushes back, so a burst of jobs grows memory without limit (a \
             bounded queue of more than 2 jobs is reported so too: give the check a pool with \
             a queue of 2, through check_pool!'s new = ...)"
        ));
    }
    drop_pool(pool);
}

/// One worker; job A panics; then the code that owns the pool panics, and the pool is dropped
/// while that panic unwinds. A `Drop` that panics then (say, by re-raising job A's panic)
/// aborts the process: the pool must not.
///
/// The owner's unwinding is simulated: `webpool::sync::thread::panicking()` returns `true` on
/// main while the pool drops, and a panic out of `Drop` is caught and reported as the abort
/// it would be. A real unwinding cannot be modelled: loom runs all model threads on one OS
/// thread, so `std::thread::panicking()` would be true for the workers too, and the std
/// locks inside loom's `Mutex` would poison as they release them.
fn drop_while_unwinding<P: BookPool>() {
    let mut pool = new_pool::<P>(1);
    let jobs = |to: &Submit<'_>| {
        submit(to, "A", || panic_when_quiet("expected panic: job A panics"));
        note("panics while it owns the pool (simulated: thread::panicking() is true)");
        trace::simulate_unwinding(true);
    };
    // A scoped pool's scope ends during the owner's unwinding, as the pool's drop does.
    let scope_ended = if P::SCOPED {
        panic::catch_unwind(AssertUnwindSafe(|| session(&mut pool, jobs)))
    } else {
        session(&mut pool, jobs);
        Ok(())
    };
    let dropped = panic::catch_unwind(AssertUnwindSafe(|| drop_pool(pool)));
    trace::simulate_unwinding(false);
    for (what, ended) in [("the scope's end", scope_ended), ("Drop", dropped)] {
        if let Err(payload) = ended {
            let message = payload_text(&*payload);
            fail(&format!(
                "{what} panicked while main was unwinding ({message}): a panic during \
                 unwinding aborts the process"
            ));
        }
    }
}

/// One worker, two jobs, then drop. The card runs this once normally, then once for each
/// `Condvar::wait` an execution makes, that wait returning at once with no notification (std
/// allows it; loom never does it on its own). A pool that takes every return from `wait` as
/// a job or a shutdown breaks here and only here.
fn spurious_wakeup<P: BookPool>() {
    let mut pool = new_pool::<P>(1);
    let ran = counter();
    submit_counted(&mut pool, &["A", "B"], &ran);
    drop_expecting(pool, &ran, 2, "run");
}

/// Two workers, two jobs, then `join`: when it returns, both jobs have run.
fn join_waits_for_jobs<P: BookPool>() {
    let mut pool = new_pool::<P>(2);
    let ran = counter();
    submit_counted(&mut pool, &["A", "B"], &ran);
    join_pool(&pool);
    let done = ran.load(Ordering::SeqCst);
    if done != 2 {
        fail(&format!(
            "join returned with {done} of 2 jobs run: it waited for the queue, not the jobs"
        ));
    }
    drop_pool(pool);
}

/// One job, then main and a second thread `join` at once: both return; then a job submitted
/// after the joins runs, and a third join sees it done (the pool is usable after `join`).
fn joins_from_two_threads<P: BookPool>() {
    let pool = Arc::new(new_pool::<P>(1));
    let ran = counter();
    let ran_a = Arc::clone(&ran);
    submit(&|job| pool.execute(job), "A", move || {
        ran_a.fetch_add(1, Ordering::SeqCst);
    });
    let joiner = {
        let join = P::joiner(&pool).expect("a pool with a join can join from another thread");
        thread::spawn_labelled("joiner", move || {
            note("calls join()");
            join();
            note("join() returns");
        })
    };
    join_pool(&*pool);
    joiner.join().expect("the joiner never panics");
    let ran_b = Arc::clone(&ran);
    submit(&|job| pool.execute(job), "B", move || {
        ran_b.fetch_add(1, Ordering::SeqCst);
    });
    join_pool(&*pool);
    let done = ran.load(Ordering::SeqCst);
    if done != 2 {
        fail(&format!(
            "after the joins, job B was submitted and joined, and {done} of 2 jobs had run"
        ));
    }
    let pool = Arc::try_unwrap(pool).unwrap_or_else(|_| panic!("the joiner kept the pool"));
    drop_pool(pool);
}

/// Two workers, two jobs in a scope: when the scope returns, both have run (a scoped pool's
/// jobs may borrow what the scope's caller owns, so a job still running after it is a use
/// after free). Then a second scope on the same pool runs job C: the pool outlives its scopes.
fn scope_waits_for_jobs<P: BookPool>() {
    let mut pool = new_pool::<P>(2);
    let ran = counter();
    submit_counted(&mut pool, &["A", "B"], &ran);
    let done = ran.load(Ordering::SeqCst);
    if done != 2 {
        fail(&format!(
            "the scope returned with {done} of 2 jobs run: a job may outlive what it borrows"
        ));
    }
    let ran_c = Arc::clone(&ran);
    session(&mut pool, |to| {
        submit(to, "C", move || {
            ran_c.fetch_add(1, Ordering::SeqCst);
        });
    });
    if ran.load(Ordering::SeqCst) != 3 {
        fail(
            "the second scope returned with 0 of 1 jobs run: the pool outlives its scopes, \
             and each scope must wait for its jobs",
        );
    }
    drop_pool(pool);
}

/// `pool.join()`, narrated.
fn join_pool<P: BookPool>(pool: &P) {
    note("calls join()");
    pool.join();
    note("join() returns");
}

/// Two workers; jobs A and B wait for a signal that job C, queued behind them, sends. A pool
/// of a fixed `size` runs at most `size` jobs at once, so this deadlocks by design: the card
/// reports it as the pool's limit.
fn waiting_jobs<P: BookPool>() {
    let mut pool = new_pool::<P>(2);
    let signal = Gate::new("job C's signal");
    let done = counter();
    session(&mut pool, |to| {
        for name in ["A", "B"] {
            let (signal, done) = (signal.clone(), Arc::clone(&done));
            submit(to, name, move || {
                signal.wait();
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        let done_c = Arc::clone(&done);
        submit(to, "C", move || {
            signal.open();
            done_c.fetch_add(1, Ordering::SeqCst);
        });
    });
    drop_expecting(pool, &done, 3, "done");
}

// ===== the script's steps =====

/// Fails the check: stops the trace here (so it ends where the property broke, not after
/// the unwinding that follows) and panics with `message`.
fn fail(message: &str) -> ! {
    trace::stop();
    trace::save_failure(message.to_owned());
    panic!("{message}");
}

/// How many times a job about to panic yields to let other threads leave their critical
/// sections first (see [`panic_when_quiet`]).
const QUIET_TRIES: usize = 8;

/// Panics with `message` (a job's panic), once no other thread holds a lock of the shim's, or
/// after [`QUIET_TRIES`] yields.
///
/// Why wait: loom runs every model thread on one OS thread, whose panic count std keeps, so
/// while this thread unwinds `std::thread::panicking()` is true for all of them. A thread that
/// took a std lock inside loom's `Mutex` before the panic and releases it during the unwinding
/// (which it can, if the unwinding blocks) would poison it, and loom would then panic on its
/// next `lock`: a failure no real thread sees. The cost: the checks never explore a job's
/// panic that starts while another thread is inside a critical section.
fn panic_when_quiet(message: &'static str) -> ! {
    for _ in 0..QUIET_TRIES {
        if !trace::others_hold_locks() {
            break;
        }
        loom::thread::yield_now();
    }
    panic!("{message}");
}

/// A panic payload as text.
pub(crate) fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-text payload".to_owned())
}

/// Records a step of the checker's script on the calling thread.
fn note(text: impl Into<String>) {
    trace::record(Action::Note(text.into()), None);
}

/// `P::new(size)`, narrated.
fn new_pool<P: BookPool>(size: usize) -> P {
    note(format!("calls new({size})"));
    let pool = P::new(size);
    note(format!("new({size}) returns"));
    pool
}

/// Fails the check if the pool has started no thread through the shim by the time its first
/// `execute` returned: its threads, if any, then run outside loom's view, and the check would
/// prove nothing. (Checked after `execute`, not `new`: a pool may start threads lazily.)
fn expect_pool_threads() {
    let pool_threads = trace::snapshot()
        .threads
        .iter()
        .filter(|name| name.starts_with("worker "))
        .count();
    if pool_threads == 0 {
        fail(
            "the pool started no thread through webpool::sync::thread by the time its first \
             execute returned: its threads are invisible to loom (does it still import \
             std::thread?), or it runs jobs on the caller's thread",
        );
    }
}

/// `execute(job)` of a job named `name` through `to` (the pool's `execute`, or a scope's),
/// narrated.
fn submit<F>(to: &Submit<'_>, name: &'static str, job: F)
where
    F: FnOnce() + Send + 'static,
{
    note(format!("calls execute(job {name})"));
    to(Box::new(move || {
        note(format!("job {name} starts"));
        job();
        note(format!("job {name} ends"));
    }));
    note(format!("execute(job {name}) returns"));
    if name == "A" {
        expect_pool_threads();
    }
}

/// One session in which each job of `names` is submitted, each bumping `ran` when it runs.
fn submit_counted<P: BookPool>(pool: &mut P, names: &[&'static str], ran: &Arc<AtomicUsize>) {
    session(pool, |to| {
        for &name in names {
            let ran = Arc::clone(ran);
            submit(to, name, move || {
                ran.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
}

/// Runs `body` with a way to submit jobs: the pool's `execute`, or for a scoped pool one
/// scope, narrated (the scope returns once its jobs are done).
///
/// Fails the check if a scoped pool's `scoped` returned without running `body`.
fn session<P: BookPool>(pool: &mut P, body: impl FnOnce(&Submit<'_>)) {
    let mut body = Some(body);
    let mut once = |to: &Submit<'_>| {
        if let Some(body) = body.take() {
            body(to);
        }
    };
    if P::SCOPED {
        note("calls scoped(..)");
    }
    pool.scope(&mut once);
    if P::SCOPED {
        note("scoped(..) returns");
    }
    if body.is_some() {
        fail("scoped(..) returned without running its body: check_pool!'s scoped = ... must call body");
    }
}

/// Drops the pool, narrated.
fn drop_pool<P: BookPool>(pool: P) {
    note("calls drop(pool)");
    drop(pool);
    note("drop(pool) returns");
}

/// A fresh shared counter.
/// Drops the pool, then fails unless all `jobs` jobs had bumped `finished` by then
/// ("Drop returned with 1 of 2 jobs {what}").
fn drop_expecting<P: BookPool>(pool: P, finished: &AtomicUsize, jobs: usize, what: &str) {
    drop_pool(pool);
    let finished = finished.load(Ordering::SeqCst);
    if finished != jobs {
        fail(&format!(
            "Drop returned with {finished} of {jobs} jobs {what}"
        ));
    }
}

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

/// A one-shot signal between jobs: `wait` blocks until some thread calls `open`.
#[derive(Clone)]
struct Gate {
    /// What the trace calls it (`job B's signal`).
    name: &'static str,
    state: Arc<(Mutex<bool>, Condvar)>,
}

impl Gate {
    fn new(name: &'static str) -> Gate {
        Gate {
            name,
            state: Arc::new((Mutex::new(false), Condvar::new())),
        }
    }

    fn open(&self) {
        note(format!("sends {}", self.name));
        let (open, changed) = &*self.state;
        *open.lock().unwrap() = true;
        changed.notify_all();
    }

    fn wait(&self) {
        let waiting = format!("waits for {}", self.name);
        note(waiting.clone());
        trace::block(Blocked::Note(waiting), None);
        let (open, changed) = &*self.state;
        let mut is_open = open.lock().unwrap();
        while !*is_open {
            is_open = changed.wait(is_open).unwrap();
        }
        drop(is_open);
        trace::unblock();
        note(format!("gets {}", self.name));
    }
}
