//! The report card: runs each check of the catalog in a child process and prints a line per
//! check as it finishes, with the counterexample of each failure.
//!
//! Why children: when loom finds a deadlock, its cleanup panics again and the process aborts
//! (loom #291), so a card run in one process would stop at the first deadlock. The parent
//! (`check/parent.rs`) re-runs its own test binary once per check (`--exact TEST`, with
//! `WEBPOOL_CHECK_CHILD` naming the check); the child (`check/child.rs`) runs loom and writes
//! its verdict (`check/report.rs`), the trace of the failing interleaving as text and SVG, and
//! loom's checkpoint of it into the check's folder under `target/webpool-check/`, where the
//! parent reads them.
//!
//! A failing check is run twice: first to find the failure, then again with loom writing a
//! checkpoint before each interleaving, which leaves the failing one in a file that the
//! printed replay command loads. The second run must record the same trace as the first, or
//! the card says so (the pool then does something loom does not control).

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use super::catalog::{Check, CHECKS};
use super::child::child;
use super::diagnose::headline;
use super::invocation::{CHILD_ENV, REQUIRE_ENV};
use super::parent::Parent;
use super::BookPool;

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
        /// The root cause, in one line: the same words for the same cause in every check, so
        /// the card names it once.
        cause: String,
        /// The fix, only when the trace matches the signature of a catalog bug.
        hint: Option<String>,
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
    /// A property of the pool's design that the check asks for and the pool does not have
    /// (an unbounded queue): reported, failed only when required (`WEBPOOL_CHECK_REQUIRE`).
    Design {
        /// What the scenario found, with its numbers.
        message: String,
        /// The numbered steps of an interleaving that shows it.
        trace: Vec<String>,
        /// The same, drawn as a swimlane.
        svg: Option<PathBuf>,
    },
    /// loom could not finish the scenario (an interleaving longer than its branch limit: a
    /// thread that loops without blocking): no verdict, and no failure.
    Undecided {
        /// Why, in one line.
        message: String,
    },
    /// The check needs what the pool does not offer (a `join`), so it did not run.
    NotApplicable {
        /// Why, in one line.
        reason: String,
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
    /// The verdict as the card and the verdict matrix spell it: `ok`, `FAILS`, `design` or
    /// `limit`.
    pub fn verdict(&self) -> &'static str {
        match self {
            Outcome::Ok { .. } => "ok",
            Outcome::Fails { .. } => "FAILS",
            Outcome::Design { .. } => "design",
            Outcome::NotApplicable { .. } => "n/a",
            Outcome::Undecided { .. } => "undecided",
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

    /// How many checks applied to the pool (ran, whatever they found).
    pub fn applicable(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|(_, outcome)| !matches!(outcome, Outcome::NotApplicable { .. }))
            .count()
    }

    /// The checks that failed (a correctness failure; design findings are not among them).
    pub fn failures(&self) -> Vec<&'static str> {
        self.outcomes
            .iter()
            .filter(|(_, outcome)| matches!(outcome, Outcome::Fails { .. }))
            .map(|(name, _)| *name)
            .collect()
    }

    /// The design checks whose property the pool lacks (`backlog_is_bounded`: an unbounded
    /// queue).
    pub fn design_findings(&self) -> Vec<&'static str> {
        self.outcomes
            .iter()
            .filter(|(_, outcome)| matches!(outcome, Outcome::Design { .. }))
            .map(|(name, _)| *name)
            .collect()
    }

    /// Fails the calling test unless every check passed. Limits and design findings are not
    /// failures, unless `WEBPOOL_CHECK_REQUIRE` names them (`bounded` requires
    /// `backlog_is_bounded`).
    ///
    /// # Panics
    ///
    /// If any check failed, naming them; the card above says why.
    pub fn assert_all_pass(&self) {
        let mut failures = self.failures();
        let required = std::env::var(REQUIRE_ENV).unwrap_or_default();
        if required.split(',').any(|name| name.trim() == "bounded") {
            failures.extend(self.design_findings());
        }
        assert!(
            failures.is_empty(),
            "{}: {} of {} checks failed ({}); the report card above shows how",
            self.subject,
            failures.len(),
            self.applicable(),
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
    Parent::new(subject, test, P::JOINS, P::SCOPED).run()
}

pub(super) fn find_check(name: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|check| check.name == name)
}

/// Writes `text` and a newline to stderr at once, bypassing the test harness's capture (which
/// only takes `print!` and `eprint!`), so a long card shows each check as it ends.
pub(super) fn say(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
    let _ = err.flush();
}

/// The card's lines for one check. `same_cause_as` names an earlier check that failed by the
/// same root cause: the failure is then one line that says so, with no fix of its own.
pub(super) fn card_lines(
    check: &Check,
    outcome: &Outcome,
    elapsed: Duration,
    same_cause_as: Option<&str>,
) -> Vec<String> {
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
        Outcome::NotApplicable { reason } => vec![head("n/a", reason)],
        Outcome::Undecided { message } => vec![
            head("??", check.claim),
            format!("{}{message} ({elapsed:.1?})", " ".repeat(9)),
        ],
        Outcome::Design { message, svg, .. } => {
            let pad = " ".repeat(9);
            let mut lines = vec![
                head("design", check.claim),
                format!(
                    "{pad}{message} (a design property, not a failure: \
                     WEBPOOL_CHECK_REQUIRE=bounded makes it one; {elapsed:.1?})"
                ),
            ];
            if let Some(svg) = svg {
                lines.push(format!("{pad}swimlane: {}", svg.display()));
                let page = super::page::path_for(svg);
                if page.exists() {
                    lines.push(format!("{pad}report: {}", page.display()));
                }
            }
            lines
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
            ..
        } => {
            let mut lines = vec![head("FAILS", check.claim)];
            let pad = " ".repeat(9);
            if let Some(first) = same_cause_as {
                lines.push(format!("{pad}same cause as {first}: {cause}"));
                if let Some(replay) = replay {
                    lines.push(format!("{pad}replay: {replay}"));
                }
                return lines;
            }
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
            if cause.as_str() != headline(message) {
                lines.push(format!("{pad}root cause: {cause}"));
            }
            match hint {
                Some(hint) => lines.push(format!("{pad}the fix: {hint}")),
                None => lines.push(format!(
                    "{pad}no fix named: the trace matches no bug of the catalog ({} explains \
                     the bugs this check catches)",
                    check.pages
                )),
            }
            if !trace.is_empty() {
                lines.push(format!("{pad}how it happened:"));
                lines.extend(trace.iter().map(|line| format!("{pad}  {line}")));
            }
            if let Some(svg) = svg {
                lines.push(format!("{pad}swimlane: {}", svg.display()));
                // The report page (issue 31), written by the child next to the swimlane.
                let page = super::page::path_for(svg);
                if page.exists() {
                    lines.push(format!("{pad}report: {}", page.display()));
                }
            }
            if let Some(replay) = replay {
                lines.push(format!("{pad}replay: {replay}"));
            }
            lines
        }
    }
}
