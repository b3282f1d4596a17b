//! The card's child process: one check under loom, its verdict written for the parent; a panic
//! hook and a watchdog make sure a verdict is written even when loom aborts or the pool hangs.

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::catalog::{self, payload_text, Check, Kind};
use super::diagnose::{diagnose, headline, open_call, replayable};
use super::invocation::{
    replay_command_in_child, DEFAULT_TIMEOUT, DIR_ENV, SPURIOUS_ENV, TIMEOUT_ENV,
};
use super::report::{ext, files, Report};
use super::{page, render, svg, trace_event, BookPool, End, Trace};
use crate::sync::{spurious, trace};

/// loom's panic when one interleaving takes more steps than its branch limit.
const BRANCH_LIMIT: &str = "Model exceeded maximum number of branches";

/// Exit code of a child whose watchdog fired.
const TIMED_OUT: i32 = 3;

/// What the child shares with its panic hook and watchdog.
struct ChildState {
    check: &'static Check,
    /// `search`, `record` or `replay`: names the files this child writes.
    mode: &'static str,
    subject: &'static str,
    dir: PathBuf,
    bound: usize,
    /// When the check started (the report page says how long it ran).
    started: std::time::Instant,
    /// Interleavings started so far.
    iterations: AtomicUsize,
    /// Set once a verdict is written: the first one stands.
    reported: AtomicBool,
    /// The wait made spurious in the runs so far (the spurious-wake-up check), or 0.
    spurious_at: AtomicUsize,
}

impl ChildState {
    /// Writes a failure (or, for a limit check, the limit) with `trace`, once.
    fn fail(&self, message: &str, trace: &Trace) {
        if self.reported.swap(true, Ordering::SeqCst) {
            return;
        }
        let base = self.base();
        let spurious_at = self.spurious_at.load(Ordering::SeqCst);
        let message = match spurious_at {
            0 => describe(message, trace),
            at => format!(
                "wait #{at} returned with no notification (a spurious wake-up), then: {}",
                describe(message, trace)
            ),
        };
        if self.check.kind == Kind::Limit {
            Report {
                verdict: "limit".into(),
                interleavings: self.iterations.load(Ordering::SeqCst),
                bound: self.bound,
                spurious_at,
                message: limit_message(&message),
                ..Report::default()
            }
            .write(&ext(&base, "result"));
            return;
        }
        let _ = fs::write(ext(&base, "trace"), render::lines(trace).join("\n") + "\n");
        let design = (self.check.kind == Kind::Design)
            .then(|| message.strip_prefix(catalog::DESIGN_FINDING))
            .flatten();
        let verb = if design.is_some() { "lacks" } else { "fails" };
        let title = format!("{}: {} {verb}", self.subject, self.check.name);
        let svg_file = ext(&base, "svg");
        let _ = fs::write(&svg_file, svg::render(trace, &title, &message));
        // The report page and the trace-event file (issue 31), next to the swimlane, same stem.
        let can_replay = self.check.kind != Kind::Limit
            && self.mode == "search"
            && !trace.events.is_empty()
            && replayable(&message);
        let diagnosis = diagnose(self.check.name, &message, trace);
        let info = page::PageInfo {
            subject: self.subject.to_owned(),
            check: self.check.name.to_owned(),
            claim: self.check.claim.to_owned(),
            verdict: if design.is_some() { "design" } else { "FAILS" }.to_owned(),
            message: message.clone(),
            interleavings: self.iterations.load(Ordering::SeqCst),
            bound: self.bound,
            elapsed: self.started.elapsed(),
            replay: can_replay
                .then(|| {
                    replay_command_in_child(
                        self.check.name,
                        &self.dir,
                        (spurious_at > 0).then_some(spurious_at),
                    )
                })
                .flatten(),
            cause: design
                .is_none()
                .then(|| diagnosis.cause.clone())
                .filter(|cause| headline(&message) != cause.as_str()),
            hint: design.is_none().then(|| diagnosis.hint.clone()).flatten(),
        };
        let _ = page::write(&page::path_for(&svg_file), trace, &info);
        let _ = fs::write(
            page::trace_json_path_for(&svg_file),
            trace_event::render(trace, &title),
        );
        if let Some(finding) = design {
            Report {
                verdict: "design".into(),
                interleavings: self.iterations.load(Ordering::SeqCst),
                bound: self.bound,
                message: format!("unbounded: {finding}"),
                ..Report::default()
            }
            .write(&ext(&base, "result"));
            return;
        }
        if message.contains(BRANCH_LIMIT) {
            // Not a finding about the pool: loom could not finish the scenario.
            Report {
                verdict: "undecided".into(),
                interleavings: self.iterations.load(Ordering::SeqCst),
                bound: self.bound,
                message: format!(
                    "undecided: one interleaving took more steps than loom allows (its branch \
                     limit), at interleaving {}: a thread loops without blocking (a timed \
                     wait or poll, which the model cannot make wait; a spin loop), so loom \
                     cannot finish the scenario. Not a failure; no verdict",
                    self.iterations.load(Ordering::SeqCst)
                ),
                ..Report::default()
            }
            .write(&ext(&base, "result"));
            return;
        }
        Report {
            verdict: "fails".into(),
            interleavings: self.iterations.load(Ordering::SeqCst),
            bound: self.bound,
            spurious_at,
            cause: diagnosis.cause,
            hint: diagnosis.hint.unwrap_or_default(),
            message,
        }
        .write(&ext(&base, "result"));
    }

    /// The stem of this child's files (`DIR/CHECK` or `DIR/CHECK.MODE`).
    fn base(&self) -> PathBuf {
        files(&self.dir, self.check.name, self.mode)
    }

    fn pass(&self) {
        if self.reported.swap(true, Ordering::SeqCst) {
            return;
        }
        let iterations = self.iterations.load(Ordering::SeqCst);
        let base = self.base();
        let report = if iterations <= 1 {
            Report {
                verdict: "fails".into(),
                interleavings: iterations,
                bound: self.bound,
                spurious_at: 0,
                message: "loom explored a single interleaving, which proves nothing: the pool \
                          uses no synchronisation loom can see (does it still import std::sync \
                          or std::thread instead of webpool::sync?)"
                    .into(),
                ..Report::default()
            }
        } else if self.check.kind == Kind::Limit {
            Report {
                verdict: "limit".into(),
                interleavings: iterations,
                bound: self.bound,
                spurious_at: 0,
                message: format!(
                    "no limit found: every interleaving completed ({iterations} interleavings); \
                     the pool runs more jobs at once than it has workers"
                ),
                ..Report::default()
            }
        } else {
            Report {
                verdict: "ok".into(),
                interleavings: iterations,
                bound: self.bound,
                spurious_at: 0,
                message: String::new(),
                ..Report::default()
            }
        };
        report.write(&ext(&base, "result"));
    }
}

/// Makes the `at`-th wait of each execution spurious (0: none), and notes it for the report.
fn webpool_spurious_at(state: &ChildState, at: usize) {
    spurious::wake_spuriously_at(at);
    state.spurious_at.store(at, Ordering::SeqCst);
}

/// Runs `check` against `P` in this (child) process, writes the verdict, and exits.
pub(super) fn child<P: BookPool>(subject: &str, check: &'static Check, mode: &str) -> ! {
    let dir = PathBuf::from(std::env::var_os(DIR_ENV).expect("the parent names the folder"));
    let timeout = std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|value| value.parse().ok())
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs);
    let override_bound = std::env::var("LOOM_MAX_PREEMPTIONS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    // More preemptions only add interleavings: they can delay a failure, never hide one.
    let bound = check.bound.max(override_bound);
    let subject = Box::leak(subject.to_owned().into_boxed_str());
    let mode: &'static str = match mode {
        "record" => "record",
        "replay" => "replay",
        _ => "search",
    };
    let state = Arc::new(ChildState {
        check,
        mode,
        subject,
        dir,
        bound,
        started: std::time::Instant::now(),
        iterations: AtomicUsize::new(0),
        reported: AtomicBool::new(false),
        spurious_at: AtomicUsize::new(0),
    });

    install_hook(Arc::clone(&state));
    start_watchdog(Arc::clone(&state), timeout);

    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    let checkpoint = std::env::var_os("WEBPOOL_CHECK_CHECKPOINT").map(PathBuf::from);
    match (mode, checkpoint) {
        ("record", Some(file)) => {
            // A checkpoint before every interleaving: the failing one is the last written.
            builder.checkpoint_file = Some(file);
            builder.checkpoint_interval = 1;
        }
        ("replay", Some(file)) => {
            // loom rewrites its checkpoint file as it goes: replay from a copy, and stop
            // after the first interleaving (the recorded one).
            let copy = state.dir.join(format!("{}.replaying", check.name));
            if let Err(err) = fs::copy(&file, &copy) {
                state.fail(
                    &format!("cannot read the checkpoint {}: {err}", file.display()),
                    &Trace::default(),
                );
                std::process::exit(1);
            }
            builder.checkpoint_file = Some(copy);
            builder.checkpoint_interval = 1;
            builder.max_permutations = Some(2);
        }
        _ => {}
    }

    let run = |spurious_at: usize| {
        webpool_spurious_at(&state, spurious_at);
        let counted = Arc::clone(&state);
        builder.check(move || {
            counted.iterations.fetch_add(1, Ordering::SeqCst);
            spurious::begin_execution();
            // Recording goes on after main's part ends: a pool that does not join its
            // threads has them run on, and fail, after it.
            trace::start();
            catalog::run::<P>(counted.check.name);
        });
    };
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        if check.name != catalog::SPURIOUS {
            return run(0);
        }
        // The spurious-wake-up check: a given wait (a replay), or none and then each wait
        // of an execution in turn.
        if let Some(at) = std::env::var(SPURIOUS_ENV)
            .ok()
            .and_then(|k| k.parse().ok())
        {
            return run(at);
        }
        run(0);
        for at in 1..=spurious::most_waits() {
            run(at);
        }
    }));
    match result {
        Ok(()) if mode == "replay" => {
            state.fail(
                "the recorded interleaving ran to the end without failing: the pool or the \
                 checker changed since it was recorded",
                &trace::snapshot(),
            );
            std::process::exit(1);
        }
        Ok(()) => {
            state.pass();
            std::process::exit(0);
        }
        Err(payload) => {
            let trace = trace::snapshot();
            let message = trace::failure().unwrap_or_else(|| payload_text(&*payload));
            state.fail(&message, &trace);
            std::process::exit(1);
        }
    }
}

/// The child's panic hook: saves each panic's message for the trace, and writes the verdict
/// at once when the process is about to abort, since nothing after the hook would run. Two
/// things abort: loom's deadlock report (loom #291), and loom tearing down, outside the
/// model, the threads still alive when a model fails (their unwinding calls into loom, which
/// panics again). In the second case the verdict is the failure that came first.
fn install_hook(state: Arc<ChildState>) {
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let message = payload_text(info.payload());
        // A panic on another OS thread comes from a thread loom does not run (a pool on
        // std::thread by mistake): it ends that thread, not the model.
        let model = trace::on_model_thread();
        let deadlock = model && message.starts_with("deadlock;");
        let aborting = model && ABORT_MARKERS.iter().any(|marker| message.contains(marker));
        if !model && message.contains(OUTSIDE_LOOM) {
            // A thread loom does not run used loom's types: its unwinding will touch them
            // again and abort the process, so this is the verdict.
            state.fail(
                "a thread loom does not know touched the model: the pool runs jobs on threads \
                 from std::thread (swap the import for webpool::sync::thread)",
                &trace::snapshot(),
            );
        }
        if deadlock {
            trace::stop();
            // A deadlock while the scenario's own failure unwinds main (the pool dropped on
            // the way out never returns) is that failure's aftermath: the first one stands.
            let first = trace::failure().unwrap_or_else(|| message.clone());
            state.fail(&first, &trace::snapshot());
        } else if aborting {
            let trace = trace::snapshot();
            let cause = first_failure(&trace).unwrap_or_else(|| {
                // loom's own assertion that failed the model (a thread too many, on main) is
                // the cause, not the teardown's panic after it.
                let first = trace::last_panic()
                    .filter(|earlier| earlier.contains(THREAD_LIMIT))
                    .unwrap_or_else(|| message.clone());
                format!("loom aborted while tearing down a failed model (loom #291): {first}")
            });
            state.fail(&cause, &trace);
        }
        if model {
            trace::save_panic(message.clone());
            // loom's own panics come from inside its scheduler, where calling it again would
            // panic inside this hook and abort; they end the model anyway.
            let from_loom = info
                .location()
                .is_some_and(|at| at.file().contains("/loom-"));
            if deadlock || aborting || from_loom {
                trace::loom_panics();
            } else {
                trace::unwinding_begins();
            }
        }
        if !message.contains("expected panic") && !deadlock && !aborting {
            default_hook(info);
        }
    }));
}

/// loom's panic when its types are used outside a model's threads.
const OUTSIDE_LOOM: &str = "cannot access Loom execution state from outside a Loom model";

/// Panic messages that mean the process is about to abort.
/// loom's assertion when a model starts more threads than it can hold.
const THREAD_LIMIT: &str = "self.threads.len() < self.max()";

const ABORT_MARKERS: &[&str] = &[
    "panic in a destructor during cleanup",
    "panic in a function that cannot unwind",
    OUTSIDE_LOOM,
];

/// The failure that came first in `trace`: the scenario's own assertion, or the panic of a
/// thread that died by it.
fn first_failure(trace: &Trace) -> Option<String> {
    trace::failure().or_else(|| {
        trace.events.iter().find_map(|event| match &event.action {
            super::Action::Panic(message) => Some(format!(
                "{} panicked: {message}",
                trace.threads[event.thread]
            )),
            _ => None,
        })
    })
}

/// How long one interleaving may run before the check is reported as stuck. A model's
/// interleaving takes micro- to milliseconds; one that runs for seconds has a thread spinning
/// or blocked outside loom's view, and waiting for the whole timeout would only delay the card.
const STALL: Duration = Duration::from_secs(10);

/// Reports the check as hung when one interleaving has run for [`STALL`] (no new one started),
/// or when the whole check has run for `timeout`, with the trace of the interleaving in
/// progress.
fn start_watchdog(state: Arc<ChildState>, timeout: Duration) {
    std::thread::spawn(move || {
        let started = std::time::Instant::now();
        let (mut seen, mut since) = (usize::MAX, started);
        // Polls the interleaving count: the model runs on the other thread, which cannot
        // signal a stall (it is the stuck one).
        let stuck = loop {
            std::thread::sleep(Duration::from_millis(250));
            let now = state.iterations.load(Ordering::SeqCst);
            if now != seen {
                (seen, since) = (now, std::time::Instant::now());
            }
            if since.elapsed() >= STALL {
                break format!("interleaving {now} ran for {}s", STALL.as_secs());
            }
            if started.elapsed() >= timeout {
                break format!(
                    "no verdict after {}s (interleaving {now})",
                    timeout.as_secs()
                );
            }
        };
        let trace = trace::snapshot();
        let within = open_call(&trace, 0)
            .map_or_else(String::new, |call| format!("; main is still in {call}"));
        state.fail(
            &format!(
                "{stuck}{within}: a thread is stuck outside loom's view (a std lock or \
                 channel, a busy loop?), or the check needs longer ({TIMEOUT_ENV})"
            ),
            &trace,
        );
        std::process::exit(TIMED_OUT);
    });
}

/// One line saying what went wrong, from loom's panic message and the trace.
fn describe(message: &str, trace: &Trace) -> String {
    let stuck_in = |thread: usize| open_call(trace, thread);
    if trace::failure().as_deref() == Some(message) {
        // The scenario's own words, complete.
        return message.to_owned();
    }
    if message.starts_with("deadlock;") {
        let blocked = trace
            .ends
            .iter()
            .filter(|end| matches!(end, End::Blocked(..)))
            .count();
        let within = stuck_in(0).map_or_else(String::new, |call| {
            format!("; main never returned from {call}")
        });
        return format!("deadlock: all {blocked} threads are blocked{within}");
    }
    if !replayable(message) {
        return message.to_owned();
    }
    if message.contains(" panicked: ") || message.starts_with("loom aborted") {
        if message.contains(THREAD_LIMIT) {
            // loom's own assertion, on the thread that spawned one thread too many.
            return "the pool started more threads than loom can model (main and 4 more): \
                    it starts threads without limit"
                .to_owned();
        }
        return message.to_owned();
    }
    // A panic in one of the pool's threads names the thread.
    let panicked = trace
        .events
        .iter()
        .rev()
        .find_map(|event| match &event.action {
            super::Action::Panic(text) if text == message => Some(event.thread),
            _ => None,
        });
    match panicked {
        Some(thread) => format!("{} panicked: {message}", trace.threads[thread]),
        None => match stuck_in(0) {
            Some(call) => format!("main panicked in {call}: {message}"),
            None => message.to_owned(),
        },
    }
}

/// The limit check's line: what loom found, as the pool's documented limit.
fn limit_message(found: &str) -> String {
    if found.starts_with("deadlock") {
        "2 workers, 2 jobs waiting for a job queued behind them: every worker waits and loom \
         finds the deadlock. By design: a fixed pool runs at most `size` jobs at once, so at \
         most size - 1 of them may wait for a later job"
            .to_owned()
    } else {
        format!("undetermined: the scenario failed before it could tell ({found})")
    }
}
