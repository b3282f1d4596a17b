//! The verdict matrix: every pool of the catalog, and the Rust Book's three stages of the pool,
//! against every check of `webpool::check`, compared with `verdicts.txt`.
//!
//! Each row of `verdicts.txt` is what that pool really has: a buggy pool fails exactly the
//! checks its catalog page names, with the kind of failure (a deadlock, a panic that escapes a
//! worker, an abort, or a property the scenario asserts), and `webpool::ThreadPool` passes
//! everything. No false alarm, no missed bug: any cell that changes fails its test.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --release -p webpool-verdicts --test verdicts`.
#![cfg(loom)]

use webpool::check::{run_card, Card, Limit, Outcome};

// The report pages (issue 31): the matrix's index page, and the trace-event file read back.
#[path = "verdicts/pages.rs"]
mod pages;

/// The committed matrix.
const MATRIX: &str = include_str!("../verdicts.txt");

/// A cell as the matrix spells it: `ok`; `limit:N`, N the jobs of 2 workers that may wait
/// for a later job (`none`: no limit; `undetermined`: another bug stopped the scenario first);
/// `design:unbounded`; or `FAILS:` and the kind of failure.
fn cell(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Ok { .. } => "ok".to_owned(),
        Outcome::Design { .. } => "design:unbounded".to_owned(),
        Outcome::NotApplicable { .. } => "n/a".to_owned(),
        Outcome::Undecided { .. } => "undecided".to_owned(),
        Outcome::Limit { finding, .. } => match finding {
            Limit::Holds(jobs) => format!("limit:{jobs}"),
            Limit::Unlimited => "limit:none".to_owned(),
            Limit::Undetermined => "limit:undetermined".to_owned(),
        },
        Outcome::Fails { message, .. } => {
            // The spurious-wake-up check says which wait it made spurious first.
            let message = message
                .split_once("then: ")
                .map_or(message.as_str(), |(_, m)| m);
            let kind = if message.starts_with("deadlock") {
                "deadlock"
            } else if message.contains("aborts the process") {
                "abort"
            } else if message.starts_with("main panicked") {
                // A call of the pool (`execute`, `Drop`) panicked in its caller's thread.
                "panic"
            } else {
                "property"
            };
            format!("FAILS:{kind}")
        }
    }
}

/// Asserts that `card` matches the matrix row named `subject`.
fn assert_row(card: &Card, subject: &str) {
    if std::env::var_os("WEBPOOL_UPDATE_VERDICTS").is_some() {
        // The row as verdicts.txt spells it, for review and pasting.
        let ran: Vec<&str> = card.outcomes.iter().map(|(name, _)| *name).collect();
        let found: Vec<String> = card
            .outcomes
            .iter()
            .map(|(_, outcome)| cell(outcome))
            .collect();
        eprintln!("verdicts header: {}", ran.join(" "));
        eprintln!("verdicts row: {subject} {}", found.join(" "));
        return;
    }
    let mut lines = MATRIX
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'));
    let header: Vec<&str> = lines
        .next()
        .expect("verdicts.txt has a header")
        .split_whitespace()
        .skip(1)
        .collect();
    let row: Vec<&str> = lines
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|cells| cells.first() == Some(&subject))
        .unwrap_or_else(|| panic!("verdicts.txt has no row for {subject}"))
        .into_iter()
        .skip(1)
        .collect();
    assert_eq!(
        header.len(),
        row.len(),
        "{subject}: the row has a cell per check"
    );
    let ran: Vec<&str> = card.outcomes.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        ran, header,
        "the card runs the matrix's checks, in its order"
    );
    let found: Vec<String> = card
        .outcomes
        .iter()
        .map(|(_, outcome)| cell(outcome))
        .collect();
    let expected: Vec<String> = row.iter().map(|cell| (*cell).to_owned()).collect();
    assert_eq!(
        found, expected,
        "{subject}: the verdicts changed (found, then expected; checks: {header:?})"
    );
}

/// The failure each pool's catalog page shows as its counterexample (docs/traces/), and the
/// catalog page whose fix the card must name for it (the trace matches that bug's signature).
const SHOWCASE: &[(&str, &str, Option<&str>)] = &[
    ("while-let", "rendezvous", Some("while_let")),
    ("named-guard", "rendezvous", Some("named_guard")),
    (
        "join-before-close",
        "one_job_then_drop",
        Some("join_before_close"),
    ),
    ("recv-unwrap", "one_job_then_drop", Some("recv_unwrap")),
    ("if-wait", "one_job_then_drop", Some("if_wait")),
    ("lost-wakeup", "one_job_then_drop", Some("lost_wakeup")),
    ("notify-one", "one_job_then_drop", Some("notify_one")),
    (
        "panic-kills-worker",
        "panicking_job",
        Some("panic_kills_worker"),
    ),
    ("unbounded", "backlog_is_bounded", Some("unbounded")),
    (
        "thread-per-connection",
        "backlog_is_bounded",
        Some("unbounded"),
    ),
    (
        "repanic-in-drop",
        "drop_while_unwinding",
        Some("repanic_in_drop"),
    ),
    ("book-stage1", "one_job_then_drop", None),
    ("book-stage2", "rendezvous", None),
    ("book-final", "panicking_job", Some("panic_kills_worker")),
    ("join-too-early", "join_waits_for_jobs", Some("join")),
    ("join-wakes-one", "joins_from_two_threads", Some("join")),
    ("scope-too-early", "scope_waits_for_jobs", Some("scoped")),
    ("scope-repanics", "drop_while_unwinding", Some("scoped")),
];

/// Checks `subject`'s showcased counterexample against the committed one in `docs/traces/`
/// (`SUBJECT.CHECK.txt`, the card's lines without the timing, and `SUBJECT.CHECK.svg`), or,
/// with `WEBPOOL_UPDATE_TRACES=1`, writes it there. loom's exploration is deterministic, so a
/// difference means the pool, the checker or the catalog changed: refresh and review it.
fn assert_showcase(card: &Card, subject: &str) {
    let Some((_, check, page)) = SHOWCASE.iter().find(|(name, ..)| *name == subject) else {
        return;
    };
    let (mut text, trace, svg) = match card.outcome(check) {
        Some(Outcome::Fails {
            message,
            cause,
            hint,
            interleaving,
            bound,
            trace,
            svg,
            ..
        }) => {
            if let Some(page) = page {
                // The page's whole name: `join` is not `join_before_close`.
                let named = hint.as_deref().is_some_and(|hint| {
                    hint.match_indices(&format!("webpool::demos::{page}"))
                        .any(|(at, name)| {
                            let next = hint[at + name.len()..].chars().next();
                            !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
                        })
                });
                assert!(
                    named,
                    "{subject}: the card's fix for {check} names webpool::demos::{page} (found \
                     {hint:?})"
                );
            }
            let text = format!(
                "FAILS  {check}\nloom saw: {message} (interleaving {interleaving}, bound \
                 {bound})\nroot cause: {cause}\nthe fix: {}\n",
                hint.as_deref().unwrap_or("(none named)")
            );
            (text, trace, svg)
        }
        // A design property the pool lacks (an unbounded queue) shows its interleaving too.
        Some(Outcome::Design {
            message,
            trace,
            svg,
        }) => (format!("design {check}\n{message}\n"), trace, svg),
        _ => panic!("{subject}: the showcased check {check} did not fail"),
    };
    for line in trace {
        text.push_str(line);
        text.push('\n');
    }
    let picture = std::fs::read_to_string(svg.as_ref().expect("a failure has a swimlane"))
        .expect("the swimlane was written");
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/traces");
    let text_file = docs.join(format!("{subject}.{check}.txt"));
    let svg_file = docs.join(format!("{subject}.{check}.svg"));
    if std::env::var_os("WEBPOOL_UPDATE_TRACES").is_some() {
        std::fs::create_dir_all(&docs).expect("docs/traces can be created");
        std::fs::write(&text_file, &text).expect("the trace is written");
        std::fs::write(&svg_file, &picture).expect("the swimlane is written");
        return;
    }
    let committed = std::fs::read_to_string(&text_file).unwrap_or_default();
    assert_eq!(
        committed,
        text,
        "{}: the counterexample changed; review it, and refresh with WEBPOOL_UPDATE_TRACES=1",
        text_file.display()
    );
    if subject == "while-let" {
        let readme = include_str!("../../../README.md");
        assert!(
            readme.contains(&text),
            "README.md shows the while-let deadlock as the checker printed it: paste in {}",
            text_file.display()
        );
    }
    let committed = std::fs::read_to_string(&svg_file).unwrap_or_default();
    assert!(
        committed == picture,
        "{}: the swimlane changed; refresh with WEBPOOL_UPDATE_TRACES=1",
        svg_file.display()
    );
}

macro_rules! subject {
    ($test:ident, $name:literal, BookPool $pool:ty) => {
        #[test]
        fn $test() {
            let card = run_card::<$pool>($name, concat!(module_path!(), "::", stringify!($test)));
            pages::index_row(&card, $name);
            assert_row(&card, $name);
            assert_showcase(&card, $name);
        }
    };
    ($test:ident, $name:literal, $pool:ty) => {
        #[test]
        fn $test() {
            webpool::book_pool!(Subject, $pool);
            let card = run_card::<Subject>($name, concat!(module_path!(), "::", stringify!($test)));
            pages::index_row(&card, $name);
            pages::assert_trace_events(&card, $name);
            assert_row(&card, $name);
            assert_showcase(&card, $name);
        }
    };
}

// Through its `BookPool` impl, which builds the pool with a queue of 2 under loom (the
// inherent `new` gives it 256 per worker, which 3 jobs never fill).
subject!(thread_pool, "ThreadPool", BookPool webpool::ThreadPool);
subject!(
    while_let,
    "while-let",
    webpool::demos::while_let::WhileLetPool
);
subject!(
    while_let_fixed,
    "while-let-fixed",
    BookPool webpool::demos::while_let::WhileLetFixedPool
);
subject!(
    named_guard,
    "named-guard",
    webpool::demos::named_guard::NamedGuardPool
);
subject!(
    named_guard_fixed,
    "named-guard-fixed",
    BookPool webpool::demos::named_guard::NamedGuardFixedPool
);
subject!(
    join_before_close,
    "join-before-close",
    webpool::demos::join_before_close::JoinBeforeClosePool
);
subject!(
    join_before_close_fixed,
    "join-before-close-fixed",
    BookPool webpool::demos::join_before_close::JoinBeforeCloseFixedPool
);
subject!(
    recv_unwrap,
    "recv-unwrap",
    webpool::demos::recv_unwrap::RecvUnwrapPool
);
subject!(
    recv_unwrap_fixed,
    "recv-unwrap-fixed",
    BookPool webpool::demos::recv_unwrap::RecvUnwrapFixedPool
);
subject!(if_wait, "if-wait", webpool::demos::if_wait::IfWaitPool);
subject!(
    if_wait_fixed,
    "if-wait-fixed",
    BookPool webpool::demos::if_wait::IfWaitFixedPool
);
subject!(
    lost_wakeup,
    "lost-wakeup",
    webpool::demos::lost_wakeup::LostWakeupPool
);
subject!(
    lost_wakeup_fixed,
    "lost-wakeup-fixed",
    BookPool webpool::demos::lost_wakeup::LostWakeupFixedPool
);
subject!(
    notify_one,
    "notify-one",
    webpool::demos::notify_one::NotifyOnePool
);
subject!(
    notify_one_fixed,
    "notify-one-fixed",
    BookPool webpool::demos::notify_one::NotifyOneFixedPool
);
subject!(
    panic_kills_worker,
    "panic-kills-worker",
    webpool::demos::panic_kills_worker::PanicKillsWorkerPool
);
subject!(
    panic_kills_worker_fixed,
    "panic-kills-worker-fixed",
    BookPool webpool::demos::panic_kills_worker::PanicKillsWorkerFixedPool
);
subject!(
    unbounded,
    "unbounded",
    webpool::demos::unbounded::UnboundedPool
);
subject!(
    unbounded_fixed,
    "unbounded-fixed",
    BookPool webpool::demos::unbounded::UnboundedFixedPool
);
subject!(
    thread_per_connection,
    "thread-per-connection",
    webpool::demos::unbounded::ThreadPerConnection
);
subject!(
    repanic_in_drop,
    "repanic-in-drop",
    webpool::demos::repanic_in_drop::RepanicInDropPool
);
subject!(
    repanic_in_drop_fixed,
    "repanic-in-drop-fixed",
    BookPool webpool::demos::repanic_in_drop::RepanicInDropFixedPool
);
subject!(book_stage1, "book-stage1", book_stage1::ThreadPool);
subject!(book_stage2, "book-stage2", book_stage2::ThreadPool);
subject!(book_final, "book-final", book_final::ThreadPool);
subject!(book_fixed, "book-fixed", book_fixed::ThreadPool);
subject!(
    join_too_early,
    "join-too-early",
    BookPool webpool::demos::join::JoinTooEarlyPool
);
subject!(
    join_wakes_one,
    "join-wakes-one",
    BookPool webpool::demos::join::JoinWakesOnePool
);
subject!(
    join_fixed,
    "join-fixed",
    BookPool webpool::demos::join::JoinFixedPool
);
subject!(
    scope_too_early,
    "scope-too-early",
    BookPool webpool::demos::scoped::ScopeTooEarlyPool
);
subject!(
    scope_repanics,
    "scope-repanics",
    BookPool webpool::demos::scoped::ScopeRepanicsPool
);
subject!(
    scope_fixed,
    "scope-fixed",
    BookPool webpool::demos::scoped::ScopedFixedPool
);
