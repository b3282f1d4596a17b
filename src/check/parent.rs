//! The card's parent process: runs one child per check, prints a line per check as it ends,
//! and offers the replay command of each failure.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::card::{card_lines, find_check, say, Card, Limit, Outcome};
use super::catalog::{Check, Kind, CHECKS};
use super::diagnose::headline;
use super::invocation::{
    binary_name, replay_command, CHILD_ENV, DEFAULT_TIMEOUT, DIR_ENV, FILTER_ENV, REPLAY_ENV,
    SPURIOUS_ENV, TIMEOUT_ENV,
};
use super::report::{ext, files, Report};
use super::std_mentions;

/// The parent's settings.
pub(super) struct Parent {
    subject: String,
    test: String,
    /// This test binary.
    exe: PathBuf,
    /// `target/webpool-check/PACKAGE/BINARY/TEST/`: keyed by crate, test binary and test, so
    /// crates that share a target folder never overwrite each other's traces.
    dir: PathBuf,
    timeout: Duration,
    /// The checkpoint to replay, if the user asked for a replay.
    replay: Option<PathBuf>,
    /// The checks to run.
    checks: Vec<&'static Check>,
    /// Whether the pool has a `join` (the join checks run only then).
    joins: bool,
    /// Whether the pool takes jobs in scopes ([`BookPool::SCOPED`](super::BookPool::SCOPED)).
    scoped: bool,
}

impl Parent {
    pub(super) fn new(subject: &str, test: &str, joins: bool, scoped: bool) -> Parent {
        let exe = std::env::current_exe().expect("the test binary knows its own path");
        let binary = binary_name(&exe);
        // target/PROFILE/deps/BINARY-HASH → target/
        let target = exe
            .ancestors()
            .nth(3)
            .map_or_else(|| PathBuf::from("target"), Path::to_path_buf);
        // cargo names the package of the test it runs; run by hand, the binary stands alone.
        let package = std::env::var("CARGO_PKG_NAME").unwrap_or_else(|_| "-".to_owned());
        let dir = target
            .join("webpool-check")
            .join(package)
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
            joins,
            scoped,
        }
    }

    /// Names each std synchronisation path left in the tested crate's sources (a pool that
    /// still imports one of std's types runs it outside loom's view).
    fn warn_of_std_paths(&self) {
        let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") else {
            return;
        };
        let found = std_mentions::find(Path::new(&dir));
        if found.is_empty() {
            return;
        }
        let mut lines = vec![format!(
            "webpool check: warning: {} names std's synchronisation or threads, which run \
             outside loom's view (swap each for webpool::sync's):",
            self.subject
        )];
        lines.extend(found.iter().map(|line| format!("  {line}")));
        say(&lines.join("\n"));
    }

    pub(super) fn run(self) -> Card {
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
        self.warn_of_std_paths();
        say(&format!(
            "webpool check: {} ({} checks under loom, {mode})",
            self.subject,
            self.checks
                .iter()
                .filter(|check| check.needs.missing(self.joins, self.scoped).is_none())
                .count()
        ));
        let mut outcomes: Vec<(&'static str, Outcome)> = Vec::new();
        for check in &self.checks {
            let begun = Instant::now();
            let mut outcome = if let Some(reason) = check.needs.missing(self.joins, self.scoped) {
                Outcome::NotApplicable {
                    reason: reason.to_owned(),
                }
            } else {
                self.run_check(check)
            };
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
            let same_cause_as = match &outcome {
                Outcome::Fails { cause, .. } => outcomes.iter().find_map(|(name, earlier)| {
                    matches!(earlier, Outcome::Fails { cause: first, .. } if first == cause)
                        .then_some(*name)
                }),
                _ => None,
            };
            say(&card_lines(check, &outcome, begun.elapsed(), same_cause_as).join("\n"));
            outcomes.push((check.name, outcome));
        }
        let card = Card {
            subject: self.subject.clone(),
            outcomes,
            elapsed: started.elapsed(),
        };
        let failures = card.failures().len();
        let undecided = card
            .outcomes
            .iter()
            .filter(|(_, outcome)| matches!(outcome, Outcome::Undecided { .. }))
            .count();
        let designs = match card.design_findings().len() {
            0 => String::new(),
            1 => ", 1 design finding".to_owned(),
            n => format!(", {n} design findings"),
        } + &match undecided {
            0 => String::new(),
            n => format!(", {n} undecided"),
        };
        say(&format!(
            "webpool check: {}: {} of {} checks passed, {failures} failed{designs}, in {:.1?}",
            card.subject,
            card.outcomes
                .iter()
                .filter(|(_, outcome)| matches!(outcome, Outcome::Ok { .. }))
                .count(),
            card.applicable(),
            card.elapsed
        ));
        let mut causes: Vec<(&str, Vec<&str>)> = Vec::new();
        for (name, outcome) in &card.outcomes {
            if let Outcome::Fails { cause, .. } = outcome {
                match causes
                    .iter_mut()
                    .find(|(known, _)| *known == cause.as_str())
                {
                    Some((_, checks)) => checks.push(name),
                    None => causes.push((cause, vec![name])),
                }
            }
        }
        for (cause, checks) in causes.iter().filter(|(_, checks)| checks.len() > 1) {
            say(&format!(
                "webpool check: one cause, {} failures ({}): {cause}",
                checks.len(),
                checks.join(", ")
            ));
        }
        card
    }

    /// Runs `check` in a child (twice if it fails, to record the replay), and reads what it
    /// found.
    fn run_check(&self, check: &Check) -> Outcome {
        let asked_wait = std::env::var(SPURIOUS_ENV)
            .ok()
            .and_then(|k| k.parse().ok());
        if let Some(replay) = &self.replay {
            let recorded_by = fs::read_to_string(ext(replay, "binary")).unwrap_or_default();
            let this = self
                .exe
                .file_name()
                .map(|name| name.to_string_lossy().into_owned());
            if !recorded_by.is_empty() && Some(recorded_by.trim()) != this.as_deref() {
                panic!(
                    "{REPLAY_ENV}={} was recorded by the test binary {}, not by this one ({}): \
                     run the replay command that binary's card printed",
                    replay.display(),
                    recorded_by.trim(),
                    this.unwrap_or_default()
                );
            }
            return self.child_outcome(check, "replay", Some(replay), asked_wait);
        }
        let found = self.child_outcome(check, "search", None, None);
        let Outcome::Fails {
            message,
            cause,
            hint,
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
        let mut replay = None;
        let mut message = message;
        if check.kind != Kind::Limit && !trace.is_empty() && super::diagnose::replayable(&message) {
            let checkpoint = self.dir.join(format!("{}.path", check.name));
            let _ = fs::remove_file(&checkpoint);
            let recorded = self.child_outcome(check, "record", Some(&checkpoint), spurious_wait);
            // The replay file names the binary that recorded it, so a replay by another one
            // (another crate's test of the same name) is refused rather than run astray.
            if let Some(name) = self.exe.file_name() {
                let _ = fs::write(
                    ext(&checkpoint, "binary"),
                    name.to_string_lossy().as_bytes(),
                );
            }
            replay = match recorded {
                Outcome::Fails {
                    trace: ref again, ..
                } if *again == trace && checkpoint.exists() => Some(replay_command(
                    check.name,
                    &checkpoint,
                    spurious_wait,
                    &self.exe,
                    &self.test,
                )),
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
            cause,
            hint,
            interleaving,
            bound,
            trace,
            svg,
            replay,
            spurious_wait,
        }
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
                let message = format!(
                    "the check's process {status}; its last output:\n{}",
                    tail.join("\n")
                );
                Outcome::Fails {
                    cause: headline(&message).to_owned(),
                    hint: None,
                    message,
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
