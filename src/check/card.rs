//! The report card: runs each check of the catalog in a child process and prints a line per
//! check as it finishes, with the counterexample of each failure.
//!
//! Why children: when loom finds a deadlock, its cleanup panics again and the process aborts
//! (loom #291), so a card run in one process would stop at the first deadlock. The parent
//! re-runs its own test binary once per check (`--exact TEST`, with `WEBPOOL_CHECK_CHILD`
//! naming the check); the child runs loom and writes its verdict, the trace of the failing
//! interleaving as text and SVG, and loom's checkpoint of it into the check's folder under
//! `target/webpool-check/`, where the parent reads them.
//!
//! A failing check is run twice: first to find the failure, then again with loom writing a
//! checkpoint before each interleaving, which leaves the failing one in a file that the
//! printed replay command loads. The second run must record the same trace as the first, or
//! the card says so (the pool then does something loom does not control).

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::catalog::{self, payload_text, Check, Kind, CHECKS};
use super::{render, svg, BookPool, End, Trace};
use crate::sync::{spurious, trace};

/// Names the check a child process runs: `TEST|CHECK|MODE`.
const CHILD_ENV: &str = "WEBPOOL_CHECK_CHILD";
/// Where a child writes its results.
const DIR_ENV: &str = "WEBPOOL_CHECK_DIR";
/// Which checks to run (comma-separated names); all if unset.
const FILTER_ENV: &str = "WEBPOOL_CHECK";
/// A checkpoint file to replay (with `WEBPOOL_CHECK` naming its check).
const REPLAY_ENV: &str = "WEBPOOL_CHECK_REPLAY";
/// Which wait the spurious-wake-up check makes spurious (a replay names it).
const SPURIOUS_ENV: &str = "WEBPOOL_CHECK_SPURIOUS_AT";
/// Seconds a check may run before it is reported as hung.
const TIMEOUT_ENV: &str = "WEBPOOL_CHECK_TIMEOUT";
/// The default of [`TIMEOUT_ENV`].
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// Exit code of a child whose watchdog fired.
const TIMED_OUT: i32 = 3;

/// What a check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every interleaving within the bound passed.
    Ok {
        /// How many interleavings loom explored.
        interleavings: usize,
        /// The preemption bound.
        bound: usize,
    },
    /// An interleaving broke the property.
    Fails {
        /// What went wrong, in one line.
        message: String,
        /// The interleaving's number (loom's exploration order).
        interleaving: usize,
        /// The preemption bound.
        bound: usize,
        /// The numbered steps of the failing interleaving and the state at its end.
        trace: Vec<String>,
        /// The same, drawn as a swimlane.
        svg: Option<PathBuf>,
        /// The command that replays exactly this interleaving, if it could be recorded.
        replay: Option<String>,
        /// For `spurious_wakeup`: which wait of the execution returned spuriously.
        spurious_wait: Option<usize>,
    },
    /// A limit of the pool's design: where the scenario stops.
    Limit {
        /// What the scenario found.
        finding: Limit,
        /// What the limit is, in one line.
        message: String,
    },
}

impl Outcome {
    /// The verdict as the card and the verdict matrix spell it: `ok`, `FAILS` or `limit`.
    pub fn verdict(&self) -> &'static str {
        match self {
            Outcome::Ok { .. } => "ok",
            Outcome::Fails { .. } => "FAILS",
            Outcome::Limit { .. } => "limit",
        }
    }
}

/// What the `waiting_jobs` scenario found: how many jobs, on a pool of 2 workers, may wait for
/// a job queued behind them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// This many may wait; one more and every worker waits: a deadlock. A fixed pool of 2
    /// holds 1; 0 means even one waiting job deadlocks (`rendezvous` fails by a deadlock).
    Holds(usize),
    /// No deadlock at 2: the pool runs more jobs at once than it has workers.
    Unlimited,
    /// The scenario failed for another reason before it could tell.
    Undetermined,
}

/// A pool's report card: each check run, and what it found.
#[derive(Clone, Debug)]
pub struct Card {
    /// The pool's name as given to [`run_card`].
    pub subject: String,
    /// Each check's name and outcome, in the catalog's order.
    pub outcomes: Vec<(&'static str, Outcome)>,
    /// How long the card took.
    pub elapsed: Duration,
}

impl Card {
    /// The outcome of check `name`, if it ran.
    pub fn outcome(&self, name: &str) -> Option<&Outcome> {
        self.outcomes
            .iter()
            .find(|(check, _)| *check == name)
            .map(|(_, outcome)| outcome)
    }

    /// The checks that failed.
    pub fn failures(&self) -> Vec<&'static str> {
        self.outcomes
            .iter()
            .filter(|(_, outcome)| matches!(outcome, Outcome::Fails { .. }))
            .map(|(name, _)| *name)
            .collect()
    }

    /// Fails the calling test unless every check passed (limits are not failures).
    ///
    /// # Panics
    ///
    /// If any check failed, naming them; the card above says why.
    pub fn assert_all_pass(&self) {
        let failures = self.failures();
        assert!(
            failures.is_empty(),
            "{}: {} of {} checks failed ({}); the report card above shows how",
            self.subject,
            failures.len(),
            self.outcomes.len(),
            failures.join(", ")
        );
    }
}

/// Runs the catalog against `P` and prints its report card to stderr as it goes.
///
/// `subject` names the pool on the card. `test` is the calling test's path as
/// `concat!(module_path!(), "::NAME")` spells it: the card re-runs that test in a child
/// process per check. In such a child this function runs the one check and exits the process;
/// [`check_pool!`](crate::check_pool) writes the call.
pub fn run_card<P: BookPool>(subject: &str, test: &str) -> Card {
    let test = test.split_once("::").map_or(test, |(_, path)| path);
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        let mut parts = spec.splitn(3, '|');
        let (child_test, check, mode) = (parts.next(), parts.next(), parts.next());
        if child_test == Some(test) {
            if let (Some(check), Some(mode)) = (check.and_then(find_check), mode) {
                child::<P>(subject, check, mode);
            }
        }
        // A child runs only its own test (`--exact`); anything else has nothing to do.
        return Card {
            subject: subject.to_owned(),
            outcomes: Vec::new(),
            elapsed: Duration::ZERO,
        };
    }
    Parent::new(subject, test).run()
}

fn find_check(name: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|check| check.name == name)
}

// ===== the parent: one child per check, a line per check =====

/// The parent's settings.
struct Parent {
    subject: String,
    test: String,
    /// This test binary.
    exe: PathBuf,
    /// `target/webpool-check/BINARY/TEST/`.
    dir: PathBuf,
    timeout: Duration,
    /// The checkpoint to replay, if the user asked for a replay.
    replay: Option<PathBuf>,
    /// The checks to run.
    checks: Vec<&'static Check>,
}

impl Parent {
    fn new(subject: &str, test: &str) -> Parent {
        let exe = std::env::current_exe().expect("the test binary knows its own path");
        let binary = binary_name(&exe);
        // target/PROFILE/deps/BINARY-HASH → target/
        let target = exe
            .ancestors()
            .nth(3)
            .map_or_else(|| PathBuf::from("target"), Path::to_path_buf);
        let dir = target
            .join("webpool-check")
            .join(&binary)
            .join(test.replace("::", "-"));
        let timeout = std::env::var(TIMEOUT_ENV)
            .ok()
            .and_then(|value| value.parse().ok())
            .map_or(DEFAULT_TIMEOUT, Duration::from_secs);
        let filter = std::env::var(FILTER_ENV).ok();
        let checks = CHECKS
            .iter()
            .filter(|check| {
                filter
                    .as_deref()
                    .is_none_or(|names| names.split(',').any(|name| name.trim() == check.name))
            })
            .collect();
        Parent {
            subject: subject.to_owned(),
            test: test.to_owned(),
            exe,
            dir,
            timeout,
            replay: std::env::var_os(REPLAY_ENV).map(PathBuf::from),
            checks,
        }
    }

    fn run(self) -> Card {
        let started = Instant::now();
        fs::create_dir_all(&self.dir).expect("the card's folder can be created");
        if let Some(unknown) = std::env::var(FILTER_ENV).ok().and_then(|names| {
            names
                .split(',')
                .map(str::trim)
                .find(|name| find_check(name).is_none())
                .map(str::to_owned)
        }) {
            let known: Vec<&str> = CHECKS.iter().map(|check| check.name).collect();
            panic!(
                "{FILTER_ENV} names no check {unknown:?}; the checks are: {}",
                known.join(", ")
            );
        }
        let mode = if self.replay.is_some() {
            "replay"
        } else {
            "search"
        };
        say(&format!(
            "webpool check: {} ({} checks under loom, {mode})",
            self.subject,
            self.checks.len()
        ));
        let mut outcomes: Vec<(&'static str, Outcome)> = Vec::new();
        for check in &self.checks {
            let begun = Instant::now();
            let mut outcome = self.run_check(check);
            let rendezvous_deadlocked = outcomes.iter().any(|(name, found)| {
                *name == "rendezvous"
                    && matches!(found, Outcome::Fails { message, .. } if message.starts_with("deadlock"))
            });
            if check.kind == Kind::Limit && rendezvous_deadlocked {
                outcome = Outcome::Limit {
                    finding: Limit::Holds(0),
                    message: "no job may wait for a job queued behind it: even one such job \
                              deadlocks (see rendezvous), where a fixed pool of 2 should hold 1"
                        .to_owned(),
                };
            }
            say(&card_lines(check, &outcome, begun.elapsed()).join("\n"));
            outcomes.push((check.name, outcome));
        }
        let card = Card {
            subject: self.subject.clone(),
            outcomes,
            elapsed: started.elapsed(),
        };
        let failures = card.failures().len();
        say(&format!(
            "webpool check: {}: {} of {} checks passed, {failures} failed, in {:.1?}",
            card.subject,
            card.outcomes
                .iter()
                .filter(|(_, outcome)| matches!(outcome, Outcome::Ok { .. }))
                .count(),
            card.outcomes.len(),
            card.elapsed
        ));
        card
    }

    /// Runs `check` in a child (twice if it fails, to record the replay), and reads what it
    /// found.
    fn run_check(&self, check: &Check) -> Outcome {
        let asked_wait = std::env::var(SPURIOUS_ENV)
            .ok()
            .and_then(|k| k.parse().ok());
        if let Some(replay) = &self.replay {
            return self.child_outcome(check, "replay", Some(replay), asked_wait);
        }
        let found = self.child_outcome(check, "search", None, None);
        let Outcome::Fails {
            message,
            interleaving,
            bound,
            trace,
            svg,
            replay: None,
            spurious_wait,
        } = found
        else {
            return found;
        };
        // A hang or a foreign thread is outside loom's control: nothing to replay.
        let replayable = !message.starts_with("no verdict after")
            && !message.starts_with("a thread loom does not");
        let mut replay = None;
        let mut message = message;
        if check.kind == Kind::Must && !trace.is_empty() && replayable {
            let checkpoint = self.dir.join(format!("{}.path", check.name));
            let _ = fs::remove_file(&checkpoint);
            let recorded = self.child_outcome(check, "record", Some(&checkpoint), spurious_wait);
            replay = match recorded {
                Outcome::Fails {
                    trace: ref again, ..
                } if *again == trace && checkpoint.exists() => {
                    Some(self.replay_command(check, &checkpoint, spurious_wait))
                }
                _ => None,
            };
            if replay.is_none() {
                message.push_str(
                    " (the same search did not fail the same way again: the pool does something \
                     loom does not control, so there is no replay)",
                );
            }
        }
        Outcome::Fails {
            message,
            interleaving,
            bound,
            trace,
            svg,
            replay,
            spurious_wait,
        }
    }

    /// The command that replays the interleaving saved in `checkpoint` (with wait number
    /// `spurious_wait` made spurious, for the spurious-wake-up check).
    fn replay_command(
        &self,
        check: &Check,
        checkpoint: &Path,
        spurious_wait: Option<usize>,
    ) -> String {
        let release = self
            .exe
            .components()
            .any(|part| part.as_os_str() == "release");
        let checkpoint = std::env::current_dir()
            .ok()
            .and_then(|here| checkpoint.strip_prefix(here).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| checkpoint.to_path_buf());
        let wait = spurious_wait.map_or_else(String::new, |k| format!("{SPURIOUS_ENV}={k} "));
        format!(
            "{FILTER_ENV}={} {REPLAY_ENV}={} {wait}RUSTFLAGS=\"--cfg loom\" cargo test{} --test {} -- --exact {} --nocapture",
            check.name,
            checkpoint.display(),
            if release { " --release" } else { "" },
            binary_name(&self.exe),
            self.test
        )
    }

    /// Runs one child for `check` in `mode` (with wait number `spurious_wait` made spurious,
    /// if given) and turns what it left into an outcome.
    fn child_outcome(
        &self,
        check: &Check,
        mode: &str,
        checkpoint: Option<&Path>,
        spurious_wait: Option<usize>,
    ) -> Outcome {
        let base = files(&self.dir, check.name, mode);
        let result_file = ext(&base, "result");
        let log_file = ext(&base, "log");
        let _ = fs::remove_file(&result_file);
        let log = fs::File::create(&log_file).expect("the check's log can be created");
        let mut command = Command::new(&self.exe);
        command
            .args([
                self.test.as_str(),
                "--exact",
                // The user's test may be #[ignore]d and run with --ignored.
                "--include-ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, format!("{}|{}|{mode}", self.test, check.name))
            .env(DIR_ENV, &self.dir)
            .env(TIMEOUT_ENV, self.timeout.as_secs().to_string())
            .env("RUST_BACKTRACE", "0")
            .env_remove(REPLAY_ENV)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log file handle can be cloned"))
            .stderr(log);
        if let Some(checkpoint) = checkpoint {
            command.env("WEBPOOL_CHECK_CHECKPOINT", checkpoint);
        }
        match spurious_wait {
            Some(k) => command.env(SPURIOUS_ENV, k.to_string()),
            None => command.env_remove(SPURIOUS_ENV),
        };
        let status = run_with_deadline(&mut command, self.timeout + Duration::from_secs(30));
        match Report::read(&result_file) {
            Some(report) => report.outcome(check, &base),
            None => {
                let log = fs::read_to_string(&log_file).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(12).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                let status = status.map_or_else(
                    || format!("was killed after {:?}", self.timeout),
                    |status| format!("ended ({status}) without a verdict"),
                );
                Outcome::Fails {
                    message: format!(
                        "the check's process {status}; its last output:\n{}",
                        tail.join("\n")
                    ),
                    interleaving: 0,
                    bound: check.bound,
                    trace: Vec::new(),
                    svg: None,
                    replay: None,
                    spurious_wait: None,
                }
            }
        }
    }
}

/// The stem of the files a child in `mode` writes for `check`: `DIR/CHECK.{result,trace,svg}`
/// for the search (the ones the card shows), `DIR/CHECK.MODE.*` for the others.
fn files(dir: &Path, check: &str, mode: &str) -> PathBuf {
    if mode == "search" {
        dir.join(check)
    } else {
        dir.join(format!("{check}.{mode}"))
    }
}

/// `base` with `.extension` appended (`with_extension` would replace a mode's suffix).
fn ext(base: &Path, extension: &str) -> PathBuf {
    let mut name = base.as_os_str().to_owned();
    name.push(".");
    name.push(extension);
    PathBuf::from(name)
}

/// Runs `command` to completion, killing it after `deadline`; `None` if it was killed.
fn run_with_deadline(command: &mut Command, deadline: Duration) -> Option<ExitStatus> {
    let mut child = command
        .spawn()
        .expect("the test binary runs again as a child");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            return Some(status);
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        // Polling a child process: there is no portable blocking wait with a timeout.
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A test binary's name without cargo's hash (`pool_check-0123abcd` → `pool_check`).
fn binary_name(exe: &Path) -> String {
    let stem = exe
        .file_stem()
        .map_or_else(String::new, |stem| stem.to_string_lossy().into_owned());
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name.to_owned(),
        _ => stem,
    }
}

/// Writes `text` and a newline to stderr at once, bypassing the test harness's capture (which
/// only takes `print!` and `eprint!`), so a long card shows each check as it ends.
fn say(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
    let _ = err.flush();
}

/// The card's lines for one check.
fn card_lines(check: &Check, outcome: &Outcome, elapsed: Duration) -> Vec<String> {
    let head = |verdict: &str, rest: &str| format!("  {verdict:<6} {:<21} {rest}", check.name);
    match outcome {
        Outcome::Ok {
            interleavings,
            bound,
        } => vec![head(
            "ok",
            &format!(
                "{} ({interleavings} interleavings, bound {bound}, {elapsed:.1?})",
                check.claim
            ),
        )],
        Outcome::Limit { message, .. } => {
            vec![head("limit", &format!("{message} ({elapsed:.1?})"))]
        }
        Outcome::Fails {
            message,
            interleaving,
            bound,
            trace,
            svg,
            replay,
            ..
        } => {
            let mut lines = vec![head("FAILS", check.claim)];
            let pad = " ".repeat(9);
            let found = if *interleaving > 0 {
                format!(" (interleaving {interleaving}, bound {bound}, {elapsed:.1?})")
            } else {
                String::new()
            };
            for (index, line) in message.lines().enumerate() {
                if index == 0 {
                    lines.push(format!("{pad}loom saw: {line}{found}"));
                } else {
                    lines.push(format!("{pad}  {line}"));
                }
            }
            lines.push(format!("{pad}the fix: {}", check.pages));
            if !trace.is_empty() {
                lines.push(format!("{pad}how it happened:"));
                lines.extend(trace.iter().map(|line| format!("{pad}  {line}")));
            }
            if let Some(svg) = svg {
                lines.push(format!("{pad}swimlane: {}", svg.display()));
            }
            if let Some(replay) = replay {
                lines.push(format!("{pad}replay: {replay}"));
            }
            lines
        }
    }
}

// ===== the child: one check under loom =====

/// What a child found, as it writes it to `CHECK.result`.
#[derive(Debug, Default)]
struct Report {
    verdict: String,
    interleavings: usize,
    bound: usize,
    /// The wait that was made spurious when the check failed, or 0.
    spurious_at: usize,
    message: String,
}

impl Report {
    fn write(&self, file: &Path) {
        let mut text = String::new();
        let _ = writeln!(text, "verdict: {}", self.verdict);
        let _ = writeln!(text, "interleavings: {}", self.interleavings);
        let _ = writeln!(text, "bound: {}", self.bound);
        let _ = writeln!(text, "spurious: {}", self.spurious_at);
        // The message last: it may span lines.
        let _ = write!(text, "message: {}", self.message);
        let _ = fs::write(file, text);
    }

    fn read(file: &Path) -> Option<Report> {
        let text = fs::read_to_string(file).ok()?;
        let mut report = Report::default();
        let (head, message) = text.split_once("message: ")?;
        report.message = message.to_owned();
        for line in head.lines() {
            let (key, value) = line.split_once(": ")?;
            match key {
                "verdict" => report.verdict = value.to_owned(),
                "interleavings" => report.interleavings = value.parse().ok()?,
                "bound" => report.bound = value.parse().ok()?,
                "spurious" => report.spurious_at = value.parse().ok()?,
                _ => {}
            }
        }
        Some(report)
    }

    /// The outcome, with the trace files next to `base`.
    fn outcome(self, check: &Check, base: &Path) -> Outcome {
        match self.verdict.as_str() {
            "ok" => Outcome::Ok {
                interleavings: self.interleavings,
                bound: self.bound,
            },
            "limit" => Outcome::Limit {
                finding: if self.message.starts_with("no limit") {
                    Limit::Unlimited
                } else if self.message.starts_with("2 workers") {
                    Limit::Holds(1)
                } else {
                    Limit::Undetermined
                },
                message: self.message,
            },
            _ => {
                let trace = fs::read_to_string(ext(base, "trace"))
                    .map(|text| text.lines().map(str::to_owned).collect())
                    .unwrap_or_default();
                let svg = ext(base, "svg");
                Outcome::Fails {
                    message: self.message,
                    interleaving: self.interleavings,
                    bound: self.bound.max(check.bound),
                    trace,
                    svg: svg.exists().then_some(svg),
                    replay: None,
                    spurious_wait: (self.spurious_at > 0).then_some(self.spurious_at),
                }
            }
        }
    }
}

/// What the child shares with its panic hook and watchdog.
struct ChildState {
    check: &'static Check,
    /// `search`, `record` or `replay`: names the files this child writes.
    mode: &'static str,
    subject: &'static str,
    dir: PathBuf,
    bound: usize,
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
            }
            .write(&ext(&base, "result"));
            return;
        }
        let _ = fs::write(ext(&base, "trace"), render::lines(trace).join("\n") + "\n");
        let title = format!("{}: {} fails", self.subject, self.check.name);
        let _ = fs::write(ext(&base, "svg"), svg::render(trace, &title, &message));
        Report {
            verdict: "fails".into(),
            interleavings: self.iterations.load(Ordering::SeqCst),
            bound: self.bound,
            spurious_at,
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
            }
        } else {
            Report {
                verdict: "ok".into(),
                interleavings: iterations,
                bound: self.bound,
                spurious_at: 0,
                message: String::new(),
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
fn child<P: BookPool>(subject: &str, check: &'static Check, mode: &str) -> ! {
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
            state.fail(&message, &trace::snapshot());
        } else if aborting {
            let trace = trace::snapshot();
            let cause = first_failure(&trace).unwrap_or_else(|| {
                format!("loom aborted while tearing down a failed model (loom #291): {message}")
            });
            state.fail(&cause, &trace);
        }
        if model {
            trace::save_panic(message.clone());
        }
        if !message.contains("expected panic") && !deadlock && !aborting {
            default_hook(info);
        }
    }));
}

/// loom's panic when its types are used outside a model's threads.
const OUTSIDE_LOOM: &str = "cannot access Loom execution state from outside a Loom model";

/// Panic messages that mean the process is about to abort.
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

/// Reports the check as hung after `timeout`, with the trace of the interleaving in progress.
fn start_watchdog(state: Arc<ChildState>, timeout: Duration) {
    std::thread::spawn(move || {
        std::thread::sleep(timeout);
        let trace = trace::snapshot();
        let within = open_call(&trace, 0)
            .map_or_else(String::new, |call| format!("; main is still in {call}"));
        state.fail(
            &format!(
                "no verdict after {}s (interleaving {}){within}: a thread is stuck outside \
                 loom's view (a std lock or channel, a busy loop?), or the check needs \
                 longer ({TIMEOUT_ENV})",
                timeout.as_secs(),
                state.iterations.load(Ordering::SeqCst)
            ),
            &trace,
        );
        std::process::exit(TIMED_OUT);
    });
}

/// The call of the checker's script (`calls execute(job A)` with no `returns` yet) that
/// `thread` was inside when the trace stopped.
fn open_call(trace: &Trace, thread: usize) -> Option<String> {
    let mut open: Option<String> = None;
    for event in trace.events.iter().filter(|event| event.thread == thread) {
        if let super::Action::Note(note) = &event.action {
            if let Some(call) = note.strip_prefix("calls ") {
                open = Some(call.to_owned());
            } else if note.contains(" returns") {
                open = None;
            }
        }
    }
    open
}

/// One line saying what went wrong, from loom's panic message and the trace.
fn describe(message: &str, trace: &Trace) -> String {
    let stuck_in = |thread: usize| open_call(trace, thread);
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
    if message.starts_with("no verdict after") || message.starts_with("a thread loom does not") {
        return message.to_owned();
    }
    if message.contains(" panicked: ") || message.starts_with("loom aborted") {
        if message.contains("self.threads.len() < self.max()") {
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
