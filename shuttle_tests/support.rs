//! Helpers shared by the shuttle models: the runner (random, then PCT, then the verdict), the
//! replay switch, a gate, and a quiet panic hook.
//!
//! Each shuttle test binary includes this module and uses a subset of it.
//!
//! # Running, and replaying a failure
//!
//! `RUSTFLAGS="--cfg shuttle" cargo test --release` runs every model. Each runs its body under
//! shuttle's random scheduler, then under its PCT scheduler (Probabilistic Concurrency Testing:
//! a few priority changes at random points, which finds bugs that need a few preemptions in a
//! long run with a known probability), for thousands of iterations each, with fixed seeds so a
//! run is the same every time; `SHUTTLE_RANDOM_SEED=N` explores other schedules (shuttle reads
//! it), `WEBPOOL_SHUTTLE_SCALE=F` multiplies every iteration count (0.1 for a quick look, 10 for
//! a long hunt).
//!
//! When an iteration fails (a panic, a failed assertion, a deadlock: shuttle panics when every
//! thread is blocked, or a livelock past the step bound), shuttle prints the failing schedule
//! (`failing schedule: "..."`) and this runner prints the command that replays exactly it:
//!
//! ```text
//! WEBPOOL_SHUTTLE_REPLAY='<the schedule>' RUSTFLAGS="--cfg shuttle" \
//!     cargo test --release --test <binary> -- --exact <model> --nocapture
//! ```
//!
//! With `WEBPOOL_SHUTTLE_REPLAY` set (to the schedule string, or to a file holding it), a
//! model runs that one schedule instead of searching (`shuttle::replay`), deterministically, so
//! the failure can be stepped through in a debugger or printed from.
#![allow(dead_code)]

use std::collections::HashSet;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc as StdArc, Mutex as StdMutex, PoisonError};
use std::time::{Duration, Instant};

use shuttle::scheduler::{PctScheduler, RandomScheduler, ReplayScheduler};
use shuttle::{Config, FailurePersistence, MaxSteps, Runner};
use webpool::sync::{Arc, Condvar, Mutex};

/// The variable that switches a model from searching to replaying one schedule.
pub const REPLAY_ENV: &str = "WEBPOOL_SHUTTLE_REPLAY";

/// The variable that scales every model's iteration counts.
pub const SCALE_ENV: &str = "WEBPOOL_SHUTTLE_SCALE";

/// How a model is searched.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Iterations under the random scheduler.
    pub random: usize,
    /// Iterations under the PCT scheduler.
    pub pct: usize,
    /// PCT's bug depth: the number of priority change points plus one. Depth `d` finds, with
    /// a probability PCT bounds from below, any bug that needs `d - 1` preemptions.
    pub depth: usize,
    /// Stack size of each model thread, in bytes (shuttle's default, 60 KiB, is too small for
    /// the server's request handling).
    pub stack: usize,
    /// Scheduling steps after which an execution counts as a livelock and fails.
    pub max_steps: usize,
}

impl Plan {
    /// `random` and `pct` iterations, PCT depth 3, 256 KiB stacks, a million steps.
    pub const fn new(random: usize, pct: usize) -> Plan {
        Plan {
            random,
            pct,
            depth: 3,
            stack: 256 * 1024,
            max_steps: 1_000_000,
        }
    }

    /// The same plan with PCT depth `depth`.
    pub const fn depth(self, depth: usize) -> Plan {
        Plan { depth, ..self }
    }

    /// The iteration counts times `WEBPOOL_SHUTTLE_SCALE` (at least 2 each: one schedule
    /// proves nothing).
    fn scaled(self) -> Plan {
        let scale: f64 = std::env::var(SCALE_ENV)
            .ok()
            .and_then(|value| value.parse().ok())
            .filter(|scale: &f64| scale.is_finite() && *scale > 0.0)
            .unwrap_or(1.0);
        let times = |n: usize| ((n as f64 * scale).round() as usize).max(2);
        Plan {
            random: times(self.random),
            pct: times(self.pct),
            ..self
        }
    }
}

/// The shuttle configuration of every run: schedules printed on failure, warnings about
/// orderings silenced (shuttle runs every atomic as SeqCst; the module docs of each test file
/// say what that hides), and the plan's stack and step bound.
fn config(plan: &Plan) -> Config {
    let mut config = Config::new();
    config.failure_persistence = FailurePersistence::Print;
    config.silence_warnings = true;
    config.stack_size = plan.stack;
    config.max_steps = MaxSteps::FailAfter(plan.max_steps);
    config
}

/// A stable seed per model and scheduler, so a run is the same every time (shuttle's
/// `SHUTTLE_RANDOM_SEED` overrides it).
fn seed(name: &str, scheduler: &str) -> u64 {
    // FNV-1a: stable across Rust versions, unlike `DefaultHasher`.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes().chain([0]).chain(scheduler.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The seed shuttle will use: `SHUTTLE_RANDOM_SEED` if set, else ours.
fn effective_seed(ours: u64) -> u64 {
    std::env::var("SHUTTLE_RANDOM_SEED")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(ours)
}

/// Writes one line to the real stderr, past the test harness's capture, so `cargo test` shows
/// each model's figures even when it passes.
pub fn report(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// What one scheduler's search saw.
#[derive(Clone, Copy, Debug)]
pub struct Searched {
    /// Executions run.
    pub iterations: usize,
    /// Distinct outcomes among them (the model's fingerprints).
    pub outcomes: usize,
    /// Wall time.
    pub time: Duration,
}

/// Runs `model` under the random scheduler, then under PCT, as `plan` says (scaled by
/// `WEBPOOL_SHUTTLE_SCALE`); or, with `WEBPOOL_SHUTTLE_REPLAY` set, replays that one schedule.
///
/// The model returns a fingerprint of what it observed (the order jobs ran in, which worker
/// answered which connection, ...). Each search must see more than one distinct fingerprint:
/// a model whose every execution looks the same explored one schedule, and proves nothing.
/// Prints `shuttle model NAME: ...` with the iteration counts, outcomes and times.
///
/// # Panics
///
/// When an execution fails (the schedule and the replay command are printed first), or when a
/// search saw a single outcome.
#[track_caller]
pub fn check<F>(binary: &str, name: &str, plan: Plan, model: F) -> (Searched, Searched)
where
    F: Fn() -> u64 + Send + Sync + 'static,
{
    let model = StdArc::new(model);
    if let Ok(schedule) = std::env::var(REPLAY_ENV) {
        replay(name, &schedule, &plan, move || {
            model();
        });
        return (
            Searched {
                iterations: 1,
                outcomes: 1,
                time: Duration::ZERO,
            },
            Searched {
                iterations: 0,
                outcomes: 0,
                time: Duration::ZERO,
            },
        );
    }
    let plan = plan.scaled();
    let replay_hint = format!(
        "{name} failed; replay the failing schedule shuttle printed (in the test's output) \
         with: {REPLAY_ENV}='<schedule>' RUSTFLAGS=\"--cfg shuttle\" cargo test --release \
         --test {binary} -- --exact {name} --nocapture"
    );

    let random_seed = effective_seed(seed(name, "random"));
    let random = search(
        &plan,
        RandomScheduler::new_from_seed(seed(name, "random"), plan.random),
        StdArc::clone(&model),
        &replay_hint,
    );
    let pct_seed = effective_seed(seed(name, "pct"));
    let pct = search(
        &plan,
        PctScheduler::new_from_seed(seed(name, "pct"), plan.depth, plan.pct),
        model,
        &replay_hint,
    );
    report(&format!(
        "shuttle model {name}: random {} iterations (seed {random_seed}), {} distinct outcomes, \
         {:.1}s; pct depth {} {} iterations (seed {pct_seed}), {} distinct outcomes, {:.1}s",
        random.iterations,
        random.outcomes,
        random.time.as_secs_f64(),
        plan.depth,
        pct.iterations,
        pct.outcomes,
        pct.time.as_secs_f64(),
    ));
    if random.iterations != plan.random || pct.iterations != plan.pct {
        fail(&format!(
            "{name}: a search was cut short ({} of {} random, {} of {} PCT iterations)",
            random.iterations, plan.random, pct.iterations, plan.pct
        ));
    }
    if random.outcomes < 2 || pct.outcomes < 2 {
        fail(&format!(
            "{name}: a search saw a single outcome (random {}, pct {}): the model explores \
             nothing",
            random.outcomes, pct.outcomes
        ));
    }
    (random, pct)
}

/// Fails the test with `message`, outside any shuttle execution. Not by `panic!`: shuttle's
/// panic hook would print the last execution's schedule as if it had failed.
pub fn fail(message: &str) -> ! {
    report(&format!("FAILED: {message}"));
    panic::resume_unwind(Box::new(message.to_owned()));
}

/// One scheduler's search of `model`, counting distinct fingerprints. On failure prints
/// `replay_hint` and fails with the execution's own panic.
fn search<S, F>(plan: &Plan, scheduler: S, model: StdArc<F>, replay_hint: &str) -> Searched
where
    S: shuttle::scheduler::Scheduler + 'static,
    F: Fn() -> u64 + Send + Sync + 'static,
{
    // Invisible to shuttle (a std mutex, never held across a scheduling point): bookkeeping,
    // not part of the model.
    let outcomes = StdArc::new(StdMutex::new(HashSet::new()));
    let seen = StdArc::clone(&outcomes);
    let start = Instant::now();
    let runner = Runner::new(scheduler, config(plan));
    let ran = panic::catch_unwind(AssertUnwindSafe(|| {
        runner.run(move || {
            let fingerprint = model();
            seen.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(fingerprint);
        })
    }));
    let iterations = match ran {
        Ok(iterations) => iterations,
        Err(payload) => {
            report(replay_hint);
            panic::resume_unwind(payload);
        }
    };
    let outcomes = outcomes
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .len();
    Searched {
        iterations,
        outcomes,
        time: start.elapsed(),
    }
}

/// Runs `model` once, on `schedule` (the string shuttle printed, or a file holding it).
pub fn replay<F>(name: &str, schedule: &str, plan: &Plan, model: F)
where
    F: Fn() + Send + Sync + 'static,
{
    let schedule = schedule.trim();
    let scheduler = if std::path::Path::new(schedule).is_file() {
        ReplayScheduler::new_from_file(schedule).expect("a readable schedule file")
    } else {
        ReplayScheduler::new_from_encoded(schedule.trim_matches('"').trim())
    };
    report(&format!("shuttle model {name}: replaying one schedule"));
    Runner::new(scheduler, config(plan)).run(model);
    report(&format!(
        "shuttle model {name}: the replayed schedule passed"
    ));
}

/// A stable 64-bit fingerprint of a sequence of small numbers (FNV-1a).
pub fn fingerprint(values: impl IntoIterator<Item = usize>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for value in values {
        for byte in (value as u64).to_le_bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// A record of the order things happened in, invisible to shuttle (a std mutex: appending is
/// not a scheduling point, so recording adds no interleavings). Clones share it.
#[derive(Clone, Default)]
pub struct Log(StdArc<StdMutex<Vec<usize>>>);

impl Log {
    /// An empty log.
    pub fn new() -> Log {
        Log::default()
    }

    /// Appends `value`.
    pub fn push(&self, value: usize) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(value);
    }

    /// Everything logged, in order.
    pub fn entries(&self) -> Vec<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The fingerprint of the order.
    pub fn fingerprint(&self) -> u64 {
        fingerprint(self.entries())
    }
}

/// Counts, across all iterations of a search, how often a state was reached (std atomics:
/// bookkeeping outside the model).
pub struct Reached(AtomicUsize);

impl Reached {
    /// Never reached yet.
    pub const fn new() -> Reached {
        Reached(AtomicUsize::new(0))
    }

    /// Counts one more time.
    pub fn hit(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Times reached.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// Fails the test unless every one of `states` was reached at least once: a model that never
/// got where it was meant to go proved nothing about it. (Not when replaying one schedule,
/// which need not reach them all.)
pub fn expect_reached(model: &str, states: &[(&Reached, &str)]) {
    if std::env::var_os(REPLAY_ENV).is_some() {
        return;
    }
    for (reached, what) in states {
        if reached.count() == 0 {
            fail(&format!("{model}: the search never reached {what}"));
        }
    }
}

/// A one-shot gate: `wait` blocks until some thread calls `open`. Clones share the gate. Built
/// from the shim's (shuttle's) lock and condition variable, so waiting is a model operation.
#[derive(Clone)]
pub struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    /// A closed gate.
    pub fn new() -> Gate {
        Gate(Arc::new((Mutex::new(false), Condvar::new())))
    }

    /// Opens the gate for every waiter, now and later.
    pub fn open(&self) {
        let (open, changed) = &*self.0;
        *open.lock().unwrap() = true;
        changed.notify_all();
    }

    /// Blocks until the gate is open.
    pub fn wait(&self) {
        let (open, changed) = &*self.0;
        let mut is_open = open.lock().unwrap();
        while !*is_open {
            is_open = changed.wait(is_open).unwrap();
        }
    }
}

/// A count-down latch: `wait` blocks until `count_down` has been called `count` times. Clones
/// share it. Built from the shim's lock and condition variable, like [`Gate`].
#[derive(Clone)]
pub struct Latch(Arc<(Mutex<usize>, Condvar)>);

impl Latch {
    /// A latch that opens after `count` calls to `count_down`.
    pub fn new(count: usize) -> Latch {
        Latch(Arc::new((Mutex::new(count), Condvar::new())))
    }

    /// Counts one down; the last one wakes every waiter.
    pub fn count_down(&self) {
        let (left, changed) = &*self.0;
        let mut left = left.lock().unwrap();
        *left = left
            .checked_sub(1)
            .expect("counted down more often than set up for");
        if *left == 0 {
            changed.notify_all();
        }
    }

    /// Blocks until the count reaches zero.
    pub fn wait(&self) {
        let (left, changed) = &*self.0;
        let mut left = left.lock().unwrap();
        while *left > 0 {
            left = changed.wait(left).unwrap();
        }
    }
}

/// Installs (once) a panic hook that stays quiet for panics whose message contains
/// `expected panic`, which the models raise on purpose thousands of times, and hands every
/// other panic to shuttle's hook (which prints the failing schedule) and the default one.
///
/// Shuttle installs its hook at its first run, around the hook it finds, and its hook prints
/// the schedule for every panic, caught or not; so this runs one trivial shuttle execution
/// first and then wraps shuttle's hook. A failing execution still prints its schedule: shuttle
/// prints it again as it fails the run.
pub fn silence_expected_panics() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let plan = Plan::new(1, 1);
        Runner::new(RandomScheduler::new_from_seed(0, 1), config(&plan)).run(|| {});
        let default_hook = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("");
            if !message.contains("expected panic") {
                default_hook(info);
            }
        }));
    });
}
