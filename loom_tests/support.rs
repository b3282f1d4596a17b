//! Helpers shared by the loom models: the model runner, a gate, and a quiet panic hook.
//!
//! Each loom test binary includes this module and uses a subset of it.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering as StdOrdering};

use loom::sync::{Arc, Condvar, Mutex};

/// Preemption bound for models with few operations (at most a couple of jobs).
pub const SMALL_MODEL: usize = 3;
/// Preemption bound for models whose state space explodes at 3.
pub const LARGE_MODEL: usize = 2;
/// Preemption bound for models whose state space explodes at 2: two workers moving while a
/// third thread acts, with snoozers counted (each wait adds two read-modify-writes) or a
/// `stats` read racing a job through its stages. One preemption still reaches every bug these
/// models were shown to catch (each model's doc names its broken variants).
pub const TIGHT_MODEL: usize = 1;

/// Runs `model` under loom with `default_bound` preemptions (or `LOOM_MAX_PREEMPTIONS`), and
/// fails unless loom explored more than one interleaving: a model that explores nothing proves
/// nothing.
pub fn check<F>(name: &str, default_bound: usize, model: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let bound = preemption_bound(default_bound);
    // Counted per model (not in a static), so the figure is exact even when the test harness
    // runs several models of this binary at once.
    let iterations = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&iterations);
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    let run = move || {
        builder.check(move || {
            counted.fetch_add(1, StdOrdering::SeqCst);
            model();
        })
    };
    if fail_fast() {
        // The mutation run (scripts/mutants.sh) needs only "did any model fail", as soon as one
        // does: end the whole test binary now rather than let the harness's other threads
        // finish their models (minutes each).
        if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("(no message)");
            // Straight to the process's stderr: `eprintln!` (and the panic message) go to the
            // test harness's capture buffer, which `exit` throws away.
            let report =
                format!("loom model {name}: FAILED (WEBPOOL_LOOM_FAIL_FAST: exiting): {message}\n");
            let _ = std::io::Write::write_all(&mut std::io::stderr(), report.as_bytes());
            std::process::exit(101);
        }
    } else {
        run();
    }
    let explored = iterations.load(StdOrdering::SeqCst);
    let line = format!("loom model {name}: {explored} interleavings, preemption bound {bound}\n");
    eprint!("{line}");
    record(&line);
    assert!(explored > 1, "{name} explored a single interleaving");
}

/// Appends `line` to the file `WEBPOOL_LOOM_REPORT` names, if it is set: `ci/loom.sh` counts
/// the models that passed there, not in the test output, where a line can be split by another
/// model's panic message written at the same moment (it once counted 32 of 33 models that way).
/// One `write` of the whole line to a file opened for appending, so lines from models running
/// at once never mix.
fn record(line: &str) {
    let Some(path) = std::env::var_os("WEBPOOL_LOOM_REPORT") else {
        return;
    };
    let appended = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| std::io::Write::write_all(&mut file, line.as_bytes()));
    if let Err(err) = appended {
        panic!(
            "cannot append to WEBPOOL_LOOM_REPORT ({}): {err}",
            path.to_string_lossy()
        );
    }
}

/// Whether `WEBPOOL_LOOM_FAIL_FAST` is set (to anything but `0`): the first failing model
/// ends the test binary, with exit code 101, instead of failing its test.
pub fn fail_fast() -> bool {
    std::env::var_os("WEBPOOL_LOOM_FAIL_FAST").is_some_and(|value| value != "0")
}

/// The preemption bound: `LOOM_MAX_PREEMPTIONS` if set, else the model's default.
pub fn preemption_bound(default_bound: usize) -> usize {
    std::env::var("LOOM_MAX_PREEMPTIONS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default_bound)
}

/// A one-shot gate: `wait` blocks until some thread calls `open`. Clones share the gate.
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

/// Installs (once) a panic hook that stays quiet for panics whose message contains
/// `expected panic`, which the models raise on purpose thousands of times, and reports every
/// other panic as the default hook would.
pub fn silence_expected_panics() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
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
