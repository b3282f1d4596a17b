//! What a child writes for its parent: the verdict file and where the trace files lie.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use super::card::{Limit, Outcome};
use super::catalog::Check;
use super::diagnose::headline;

/// What a child found, as it writes it to `CHECK.result`.
#[derive(Debug, Default)]
pub(super) struct Report {
    pub(super) verdict: String,
    pub(super) interleavings: usize,
    pub(super) bound: usize,
    /// The wait that was made spurious when the check failed, or 0.
    pub(super) spurious_at: usize,
    /// A failure's root cause in one line (`diagnose`), or empty.
    pub(super) cause: String,
    /// A failure's fix, when the trace matches a catalog bug's signature, or empty.
    pub(super) hint: String,
    pub(super) message: String,
}

impl Report {
    pub(super) fn write(&self, file: &Path) {
        let mut text = String::new();
        let _ = writeln!(text, "verdict: {}", self.verdict);
        let _ = writeln!(text, "interleavings: {}", self.interleavings);
        let _ = writeln!(text, "bound: {}", self.bound);
        let _ = writeln!(text, "spurious: {}", self.spurious_at);
        let _ = writeln!(text, "cause: {}", self.cause);
        let _ = writeln!(text, "hint: {}", self.hint);
        // The message last: it may span lines.
        let _ = write!(text, "message: {}", self.message);
        let _ = fs::write(file, text);
    }

    pub(super) fn read(file: &Path) -> Option<Report> {
        let text = fs::read_to_string(file).ok()?;
        let mut report = Report::default();
        let (head, message) = text.split_once("message: ")?;
        report.message = message.to_owned();
        for line in head.lines() {
            let (key, value) = line.split_once(':')?;
            let value = value.strip_prefix(' ').unwrap_or(value);
            match key {
                "verdict" => report.verdict = value.to_owned(),
                "interleavings" => report.interleavings = value.parse().ok()?,
                "bound" => report.bound = value.parse().ok()?,
                "spurious" => report.spurious_at = value.parse().ok()?,
                "cause" => value.clone_into(&mut report.cause),
                "hint" => value.clone_into(&mut report.hint),
                _ => {}
            }
        }
        Some(report)
    }

    /// The outcome, with the trace files next to `base`.
    pub(super) fn outcome(self, check: &Check, base: &Path) -> Outcome {
        match self.verdict.as_str() {
            "ok" => Outcome::Ok {
                interleavings: self.interleavings,
                bound: self.bound,
            },
            "design" => {
                let svg = ext(base, "svg");
                Outcome::Design {
                    message: self.message,
                    trace: read_lines(&ext(base, "trace")),
                    svg: svg.exists().then_some(svg),
                }
            }
            "undecided" => Outcome::Undecided {
                message: self.message,
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
                let trace = read_lines(&ext(base, "trace"));
                let svg = ext(base, "svg");
                let cause = if self.cause.is_empty() {
                    headline(&self.message).to_owned()
                } else {
                    self.cause
                };
                Outcome::Fails {
                    cause,
                    hint: (!self.hint.is_empty()).then_some(self.hint),
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

/// The lines of `file`, or none if it cannot be read.
fn read_lines(file: &Path) -> Vec<String> {
    fs::read_to_string(file)
        .map(|text| text.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The stem of the files a child in `mode` writes for `check`: `DIR/CHECK.{result,trace,svg}`
/// for the search (the ones the card shows), `DIR/CHECK.MODE.*` for the others.
pub(super) fn files(dir: &Path, check: &str, mode: &str) -> PathBuf {
    if mode == "search" {
        dir.join(check)
    } else {
        dir.join(format!("{check}.{mode}"))
    }
}

/// `base` with `.extension` appended (`with_extension` would replace a mode's suffix).
pub(super) fn ext(base: &Path, extension: &str) -> PathBuf {
    let mut name = base.as_os_str().to_owned();
    name.push(".");
    name.push(extension);
    PathBuf::from(name)
}
