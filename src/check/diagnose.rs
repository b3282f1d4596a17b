//! What a counterexample means: its root cause in one line, and a fix only where the trace
//! matches a catalog bug's signature.
//!
//! One cause often breaks several checks (a `Drop` that deadlocks ends every scenario), so the
//! card groups its failures by [`Diagnosis::cause`], worded the same for the same cause in every
//! check, and prints the cause once. A fix is a claim about the pool's code, so it is printed
//! only when the trace shows that bug's mechanism (the lock a blocked job holds, the
//! notification that woke nobody, the worker a panic ended and nothing replaced); a check's
//! failure alone names no fix.

use std::fs;

use super::render::end_text;
use super::{Action, Blocked, End, Site, Trace};

/// What a failing check's counterexample shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnosis {
    /// The root cause, in one line; the same words for the same cause in every check.
    pub cause: String,
    /// The fix, when the trace matches the signature of a bug of the catalog.
    pub hint: Option<String>,
}

/// Diagnoses the counterexample `trace` of check `check`, which failed with `message`.
pub fn diagnose(check: &str, message: &str, trace: &Trace) -> Diagnosis {
    Diagnosis {
        cause: cause(message, trace),
        hint: hint(check, message, trace),
    }
}

/// The root cause: a pool thread's own panic first (what follows from it is a symptom), then
/// a lock a stopped job holds, then a `Drop` or `join` that never returns, then a `Drop` that
/// returned without waiting for any worker, else the check's own message.
fn cause(message: &str, trace: &Trace) -> String {
    if let Some((_, panic)) = pool_panic(trace) {
        return format!("a pool thread panicked: {panic}");
    }
    // A job that holds a lock another thread needs is why everything after it waits.
    if let Some((thread, lock, taken)) = lock_held_by_a_job(trace) {
        let at = taken.map_or_else(String::new, |site| format!(", taken at {site}"));
        return format!(
            "a lock held while a job runs: {} holds {}{at} while its job waits",
            trace.threads[thread], trace.objects[lock].name
        );
    }
    if message.starts_with("deadlock") || stuck(message) {
        if let Some(call) = open_call(trace, 0) {
            if call == "drop(pool)" || call.starts_with("shutdown") || call.starts_with("join") {
                let at = match trace.ends.first() {
                    Some(End::Blocked(_, Some(site))) => format!(" (main blocked at {site})"),
                    _ => String::new(),
                };
                return format!("{call} never returns{at}");
            }
        }
    }
    // A `Drop` that waits for nothing loses whatever is queued or running, in every check.
    if message.starts_with("Drop returned") && !joined_any(trace) {
        return "Drop returned before the jobs ran, and it joined no worker: jobs still queued \
                or running when the pool is dropped are lost"
            .to_owned();
    }
    headline(message).to_owned()
}

/// A failure message's first line: the cause when no deeper one is known, and what the card
/// compares a cause with, so that it prints a cause only when it says more than the message.
pub(super) fn headline(message: &str) -> &str {
    message.lines().next().unwrap_or_default()
}

/// The fix, if the trace shows a catalog bug's mechanism.
fn hint(check: &str, message: &str, trace: &Trace) -> Option<String> {
    if let Some((thread, panic)) = pool_panic(trace) {
        return panic_hint(trace, thread, &panic);
    }
    if message.contains("Drop panicked while main was unwinding") {
        return Some(
            "Drop panics while its owner unwinds (re-raising a job's panic, or unwrapping a \
             dead worker's join): check thread::panicking() first, or hand the failure back \
             (webpool::demos::repanic_in_drop)"
                .to_owned(),
        );
    }
    if message.contains("the scope's end panicked while main was unwinding") {
        return Some(
            "the scope's end re-raises a job's panic while the scope's owner unwinds: check \
             thread::panicking() first (webpool::demos::scoped)"
                .to_owned(),
        );
    }
    if message.contains("scope returned with") && job_running_at_scope_end(trace) {
        return Some(
            "the scope returned while its jobs still ran: a job leaves the queue when it \
             starts, so wait for the running jobs as well as the queued ones \
             (webpool::demos::scoped)"
                .to_owned(),
        );
    }
    if check == "panicking_job" && message.contains("job B never ran") {
        return panic_kills_worker(trace);
    }
    if message.contains("more threads than loom can model") {
        return Some(
            "a thread per job: nothing bounds the threads a burst of jobs starts; a fixed set \
             of workers and a bounded queue do (webpool::demos::unbounded)"
                .to_owned(),
        );
    }
    if message.starts_with("all 3 jobs were accepted") {
        return Some(
            "a bounded queue: execute waits when it is full (webpool::demos::unbounded)".to_owned(),
        );
    }
    if message.starts_with("Drop returned") && !joined_any(trace) {
        return Some(
            "Drop returns without waiting for the workers, so jobs still queued or running are \
             lost: close the channel, then join every worker, in that order (the book's \
             graceful shutdown; webpool::demos::join_before_close shows the order)"
                .to_owned(),
        );
    }
    if message.starts_with("join returned with") {
        return Some(
            "join returned while jobs still ran: a job leaves the queue when it starts, so \
             wait for the running jobs as well as the queued ones (webpool::demos::join)"
                .to_owned(),
        );
    }
    if check == "joins_from_two_threads" {
        if let Some(hint) = notify_one(trace, "the pool going idle", "webpool::demos::join") {
            return Some(hint);
        }
    }
    held_lock(trace)
        .or_else(|| notify_one(trace, "shutdown", "webpool::demos::notify_one"))
        .or_else(|| lost_wakeup(trace))
        .or_else(|| join_before_close(trace))
        .or_else(|| {
            message
                .starts_with("wait #")
                .then(|| WHILE_AROUND_WAIT.to_owned())
        })
}

/// Whether a job had started and not ended when main's last scope returned (the scope waited
/// for the queue, not for the jobs).
fn job_running_at_scope_end(trace: &Trace) -> bool {
    let note = |index: usize| match &trace.events[index].action {
        Action::Note(text) => Some(text.as_str()),
        _ => None,
    };
    let Some(end) = (0..trace.events.len()).rev().find(|&index| {
        trace.events[index].thread == 0 && note(index) == Some("scoped(..) returns")
    }) else {
        return false;
    };
    (0..end).filter_map(note).any(|text| {
        text.strip_prefix("job ")
            .and_then(|rest| rest.strip_suffix(" starts"))
            .is_some_and(|job| {
                let ended = format!("job {job} ends");
                !(0..end).filter_map(note).any(|other| other == ended)
            })
    })
}

/// The fix of a pool that takes a wake-up for a promise.
const WHILE_AROUND_WAIT: &str = "a wake-up is a hint, not a promise: wait in a `while` loop \
                                 that re-checks the condition (webpool::demos::if_wait)";

/// The first pool thread (not main, not a thread of the checker's) that ended by a panic the
/// checker did not cause, with its message.
fn pool_panic(trace: &Trace) -> Option<(usize, String)> {
    trace.events.iter().find_map(|event| match &event.action {
        Action::Panic(text)
            if event.thread != 0
                && trace.threads[event.thread].starts_with("worker ")
                && !text.contains("expected panic") =>
        {
            Some((event.thread, text.clone()))
        }
        _ => None,
    })
}

/// Whether main joined any thread.
fn joined_any(trace: &Trace) -> bool {
    trace
        .events
        .iter()
        .any(|event| event.thread == 0 && matches!(event.action, Action::Join { .. }))
}

/// The fix for a pool thread's own panic, by what it unwrapped.
fn panic_hint(trace: &Trace, thread: usize, panic: &str) -> Option<String> {
    if panic.contains("RecvError") {
        return Some(
            "a worker unwraps recv()'s error: once every sender is gone recv returns Err, \
             the shutdown signal (webpool::demos::recv_unwrap)"
                .to_owned(),
        );
    }
    let last_wake = trace
        .events
        .iter()
        .filter(|event| event.thread == thread)
        .rev()
        .find(|event| !matches!(event.action, Action::Panic(_) | Action::Exit { .. }))
        .is_some_and(|event| {
            matches!(
                event.action,
                Action::Woken { .. } | Action::Spurious { .. } | Action::Unlock { .. }
            )
        });
    let woke = trace.events.iter().any(|event| {
        event.thread == thread
            && matches!(event.action, Action::Woken { .. } | Action::Spurious { .. })
    });
    (woke && last_wake && panic.contains("unwrap()` on a `None`"))
        .then(|| WHILE_AROUND_WAIT.to_owned())
}

/// panicking_job's bug: job A's panic ended its worker, and no thread was started after it.
fn panic_kills_worker(trace: &Trace) -> Option<String> {
    let died = trace.events.iter().position(|event| {
        matches!(&event.action, Action::Panic(text) if text.contains("expected panic"))
            && event.thread != 0
    })?;
    let worker = trace.events[died].thread;
    let exited = trace.events[died..].iter().any(|event| {
        event.thread == worker && matches!(event.action, Action::Exit { panicked: true })
    });
    let replaced = trace.events[died..]
        .iter()
        .any(|event| matches!(event.action, Action::Spawn { .. }));
    (exited && !replaced).then(|| {
        format!(
            "job A's panic ended {} and nothing replaced it: catch_unwind around each job, or \
             start a new worker when one dies (webpool::demos::panic_kills_worker)",
            trace.threads[worker]
        )
    })
}

/// A lock held while a job runs: a thread stopped inside a job (waiting for the checker's
/// signal) holds a lock another thread waits for. The thread, the lock, and where it took it.
fn lock_held_by_a_job(trace: &Trace) -> Option<(usize, usize, Option<Site>)> {
    trace.ends.iter().enumerate().find_map(|(thread, end)| {
        let End::Blocked(Blocked::Note(_), _) = end else {
            return None;
        };
        let lock = trace
            .holders
            .iter()
            .position(|holder| *holder == Some(thread))?;
        let wanted = trace.ends.iter().any(|other| {
            matches!(other, End::Blocked(Blocked::Lock { lock: wanted }, _) if *wanted == lock)
        });
        if !wanted {
            return None;
        }
        let taken = trace.events.iter().rev().find_map(|event| {
            let took = matches!(event.action,
                Action::Lock { lock: l } | Action::Woken { lock: l, .. } | Action::Spurious { lock: l, .. }
                    if l == lock);
            (event.thread == thread && took).then_some(event.site).flatten()
        });
        Some((thread, lock, taken))
    })
}

/// The fix for a lock held while a job runs, naming the statement that holds the guard.
fn held_lock(trace: &Trace) -> Option<String> {
    let (thread, lock, taken) = lock_held_by_a_job(trace)?;
    let name = &trace.objects[lock].name;
    let statement = taken.map_or_else(String::new, |site| match source_line(site) {
        Some(code) => format!(", taken at {site} (`{code}`),"),
        None => format!(", taken at {site},"),
    });
    Some(format!(
        "a lock held while a job runs: {} holds {name}{statement} while its job waits, and \
         the guard lives as long as {}: take the job out and let the guard drop before \
         running it (webpool::demos::while_let, webpool::demos::named_guard)",
        trace.threads[thread],
        guard_owner(taken)
    ))
}

/// What keeps a guard alive, from the statement that took it.
fn guard_owner(taken: Option<Site>) -> &'static str {
    let code = taken.and_then(source_line).unwrap_or_default();
    if code.starts_with("while let") {
        "the `while let` loop's body (a scrutinee's temporaries live until the body ends)"
    } else if code.starts_with("match") || code.starts_with("if let") {
        "the whole `match`/`if let` (a scrutinee's temporaries live until it ends)"
    } else if code.starts_with("let ") {
        "its named variable (until the end of its block)"
    } else {
        "the statement that holds it"
    }
}

/// A lost wake-up: a thread sleeps for good on a condvar that was notified while nobody slept
/// on it, before it went to sleep, and never after.
fn lost_wakeup(trace: &Trace) -> Option<String> {
    let sleepers: Vec<(usize, usize)> = trace
        .ends
        .iter()
        .enumerate()
        .filter_map(|(thread, end)| match end {
            End::Blocked(Blocked::Wait { condvar }, _) => Some((thread, *condvar)),
            _ => None,
        })
        .collect();
    let mut waiting = vec![0usize; trace.objects.len()];
    let mut empty_notifies = Vec::new();
    for (index, event) in trace.events.iter().enumerate() {
        match event.action {
            Action::Wait { condvar, .. } if condvar < waiting.len() => waiting[condvar] += 1,
            Action::Woken { condvar, .. } | Action::Spurious { condvar, .. }
                if condvar < waiting.len() =>
            {
                waiting[condvar] = waiting[condvar].saturating_sub(1);
            }
            Action::Notify { condvar, .. } if condvar < waiting.len() && waiting[condvar] == 0 => {
                empty_notifies.push((index, condvar));
            }
            _ => {}
        }
    }
    sleepers.iter().find_map(|&(sleeper, condvar)| {
        let slept = trace.events.iter().rposition(|event| {
            event.thread == sleeper
                && matches!(event.action, Action::Wait { condvar: c, .. } if c == condvar)
        })?;
        let notified_after = trace.events[slept..]
            .iter()
            .any(|event| matches!(event.action, Action::Notify { condvar: c, .. } if c == condvar));
        if notified_after {
            return None;
        }
        let &(notify, _) = empty_notifies
            .iter()
            .rev()
            .find(|&&(index, c)| c == condvar && index < slept)?;
        let event = &trace.events[notify];
        let at = event
            .site
            .map_or_else(String::new, |site| format!(" at {site}"));
        Some(format!(
            "a lost wake-up: {} notified {}{at} while nobody slept on it, and {} went to sleep \
             after it, for good: decide to wait and change the condition under the same lock, \
             and wait in a `while` loop (webpool::demos::lost_wakeup)",
            trace.threads[event.thread], trace.objects[condvar].name, trace.threads[sleeper]
        ))
    })
}

/// `notify_one` where every sleeper had to wake: at the end, threads sleep on a condvar whose
/// last notification was a `notify_one` sent while two or more slept on it.
fn notify_one(trace: &Trace, change: &str, page: &str) -> Option<String> {
    let mut waiting = vec![0usize; trace.objects.len()];
    let mut last_one: Option<(usize, Option<Site>, usize)> = None;
    for event in &trace.events {
        match event.action {
            Action::Wait { condvar, .. } if condvar < waiting.len() => waiting[condvar] += 1,
            Action::Woken { condvar, .. } | Action::Spurious { condvar, .. }
                if condvar < waiting.len() =>
            {
                waiting[condvar] = waiting[condvar].saturating_sub(1);
            }
            Action::Notify { condvar, all } if condvar < waiting.len() => {
                last_one =
                    (!all && waiting[condvar] >= 2).then_some((condvar, event.site, event.thread));
            }
            _ => {}
        }
    }
    let (condvar, site, thread) = last_one?;
    let still_asleep = trace
        .ends
        .iter()
        .any(|end| matches!(end, End::Blocked(Blocked::Wait { condvar: c }, _) if *c == condvar));
    still_asleep.then(|| {
        let at = site.map_or_else(String::new, |site| format!(" at {site}"));
        format!(
            "{} woke one sleeper of {} with notify_one{at}, and the others sleep on: a \
             change every sleeper must see ({change}) needs notify_all ({page})",
            trace.threads[thread], trace.objects[condvar].name
        )
    })
}

/// `Drop` joins a worker that waits in `recv` on a channel nobody closed.
fn join_before_close(trace: &Trace) -> Option<String> {
    let End::Blocked(Blocked::Join { child }, _) = trace.ends.first()? else {
        return None;
    };
    let Some(End::Blocked(Blocked::Recv { channel }, _)) = trace.ends.get(*child) else {
        return None;
    };
    let closed = trace
        .events
        .iter()
        .any(|event| matches!(event.action, Action::Close { channel: c } if c == *channel));
    (!closed).then(|| {
        let (main_end, _) = end_text(trace, 0, &trace.ends[0]);
        format!(
            "main {main_end} while {} waits in recv on {}, which nobody closed: drop the \
             sender before joining the workers (webpool::demos::join_before_close)",
            trace.threads[*child], trace.objects[*channel].name
        )
    })
}

/// Whether the failure `message` describes happened inside loom's control, so that its
/// interleaving can be recorded and replayed: not a stuck check, not a thread loom does not run.
#[cfg(loom)]
pub(super) fn replayable(message: &str) -> bool {
    !stuck(message) && !message.starts_with("a thread loom does not")
}

/// Whether `message` is the watchdog's: a check that stopped making progress (a thread stuck
/// outside loom's view), which loom cannot replay.
pub(super) fn stuck(message: &str) -> bool {
    message.starts_with("no verdict after")
        || (message.starts_with("interleaving ") && message.contains(" ran for "))
}

/// The call of the checker's script (`calls drop(pool)` with no `returns` yet) that `thread`
/// was inside when the trace stopped.
pub(super) fn open_call(trace: &Trace, thread: usize) -> Option<String> {
    let mut open: Option<String> = None;
    for event in trace.events.iter().filter(|event| event.thread == thread) {
        if let Action::Note(note) = &event.action {
            if let Some(call) = note.strip_prefix("calls ") {
                open = Some(call.to_owned());
            } else if note.contains(" returns") {
                open = None;
            }
        }
    }
    open
}

/// The source line at `site`, trimmed, if the file can be read from here or from a folder
/// above (the compiler names files from the workspace root, and a test runs in its crate's
/// folder).
fn source_line(site: Site) -> Option<String> {
    let here = std::env::current_dir().ok()?;
    let text = here
        .ancestors()
        .find_map(|folder| fs::read_to_string(folder.join(site.file)).ok())?;
    let line = text
        .lines()
        .nth(usize::try_from(site.line).ok()?.checked_sub(1)?)?;
    Some(line.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Event, Object, ObjectKind};

    /// A trace of `threads`, with one lock `L1` and one condvar `C1`, and these events.
    fn trace(
        threads: &[&str],
        events: Vec<(usize, Action, Option<Site>)>,
        ends: Vec<End>,
    ) -> Trace {
        let object = |kind, name: &str| Object {
            kind,
            name: name.to_owned(),
            created: None,
        };
        Trace {
            threads: threads.iter().map(|name| (*name).to_owned()).collect(),
            objects: vec![
                object(ObjectKind::Lock, "L1"),
                object(ObjectKind::Condvar, "C1"),
            ],
            events: events
                .into_iter()
                .map(|(thread, action, site)| Event {
                    thread,
                    action,
                    site,
                })
                .collect(),
            ends,
            holders: vec![None, None],
        }
    }

    fn note(text: &str) -> Action {
        Action::Note(text.to_owned())
    }

    fn site(line: u32) -> Option<Site> {
        Some(Site {
            file: "src/lib.rs",
            line,
        })
    }

    #[test]
    fn a_drop_that_never_returns_is_one_cause_whatever_the_check() {
        let stuck = |job: &str| {
            trace(
                &["main", "worker 0"],
                vec![
                    (0, note(&format!("calls execute(job {job})")), None),
                    (0, note(&format!("execute(job {job}) returns")), None),
                    (0, note("calls drop(pool)"), None),
                ],
                vec![
                    End::Blocked(Blocked::Join { child: 1 }, site(77)),
                    End::Running,
                ],
            )
        };
        let first = diagnose(
            "one_job_then_drop",
            "deadlock: all 2 threads are blocked",
            &stuck("A"),
        );
        let second = diagnose(
            "rendezvous",
            "deadlock: all 2 threads are blocked",
            &stuck("B"),
        );
        assert_eq!(
            first.cause,
            "drop(pool) never returns (main blocked at src/lib.rs:77)"
        );
        assert_eq!(first.cause, second.cause);
        // A stuck drop alone matches no bug's signature: no fix is named for it.
        assert_eq!(first.hint, None);
    }

    #[test]
    fn a_pool_threads_own_panic_is_the_cause_and_names_its_fix() {
        let trace = trace(
            &["main", "worker 0"],
            vec![
                (
                    1,
                    Action::Panic("called `Result::unwrap()` on an `Err` value: RecvError".into()),
                    None,
                ),
                (1, Action::Exit { panicked: true }, None),
                (0, note("calls drop(pool)"), None),
            ],
            vec![End::Running, End::Exited],
        );
        let found = diagnose(
            "one_job_then_drop",
            "main panicked in drop(pool): Any { .. }",
            &trace,
        );
        assert!(found
            .cause
            .starts_with("a pool thread panicked: called `Result::unwrap()`"));
        assert!(found
            .hint
            .is_some_and(|hint| hint.contains("webpool::demos::recv_unwrap")));
    }

    #[test]
    fn a_worker_ended_by_job_a_and_never_replaced_is_panic_kills_worker() {
        let died = vec![
            (
                1,
                Action::Panic("expected panic: job A panics".into()),
                None,
            ),
            (1, Action::Exit { panicked: true }, None),
        ];
        let lost = trace(
            &["main", "worker 0"],
            died.clone(),
            vec![End::Running, End::Exited],
        );
        let message =
            "Drop returned and job B never ran: job A's panic cost the pool its only worker";
        let hint = diagnose("panicking_job", message, &lost).hint;
        assert!(hint.is_some_and(|hint| hint.contains("panic_kills_worker")));

        // A pool that starts a new worker is not that bug, whatever else it has.
        let mut replaced = died;
        replaced.push((1, Action::Spawn { child: 2 }, site(128)));
        let replaced = trace(
            &["main", "worker 0", "worker 1"],
            replaced,
            vec![End::Running, End::Exited, End::Running],
        );
        assert_eq!(diagnose("panicking_job", message, &replaced).hint, None);
    }

    #[test]
    fn a_notify_that_woke_nobody_before_a_wait_for_good_is_a_lost_wake_up() {
        let events = vec![
            (
                0,
                Action::Notify {
                    condvar: 1,
                    all: true,
                },
                site(40),
            ),
            (
                1,
                Action::Wait {
                    condvar: 1,
                    lock: 0,
                },
                site(60),
            ),
        ];
        let ends = vec![
            End::Running,
            End::Blocked(Blocked::Wait { condvar: 1 }, site(60)),
        ];
        let lost = trace(&["main", "worker 0"], events.clone(), ends);
        let hint = diagnose(
            "one_job_then_drop",
            "deadlock: all 2 threads are blocked",
            &lost,
        )
        .hint;
        assert!(
            hint.is_some_and(|hint| hint.contains("src/lib.rs:40") && hint.contains("lost_wakeup"))
        );

        // The same notify after the wait woke someone: no lost wake-up.
        let woken = trace(
            &["main", "worker 0"],
            vec![events[1].clone(), events[0].clone()],
            vec![
                End::Running,
                End::Blocked(Blocked::Wait { condvar: 1 }, site(60)),
            ],
        );
        assert_eq!(lost_wakeup(&woken), None);
    }

    #[test]
    fn a_lock_held_through_a_job_names_the_statement_that_took_it() {
        let file = "src/demos/while_let.rs";
        let text = fs::read_to_string(file).expect("the demo's source is here");
        let line = text
            .lines()
            .position(|line| line.trim_start().starts_with("while let"))
            .expect("the demo has its while let");
        let taken = Some(Site {
            file,
            line: u32::try_from(line + 1).expect("a short file"),
        });
        let mut held = trace(
            &["main", "worker 0", "worker 1"],
            vec![
                (1, Action::Lock { lock: 0 }, taken),
                (1, note("job A starts"), None),
            ],
            vec![
                End::Blocked(Blocked::Join { child: 1 }, site(90)),
                End::Blocked(Blocked::Note("waits for job B's signal".into()), None),
                End::Blocked(Blocked::Lock { lock: 0 }, site(50)),
            ],
        );
        held.holders[0] = Some(1);
        let found = diagnose("rendezvous", "deadlock: all 3 threads are blocked", &held);
        // The held lock is the root cause: main's join that never returns is its symptom.
        assert_eq!(
            found.cause,
            format!("a lock held while a job runs: worker 0 holds L1, taken at {file}:{} while its job waits", line + 1)
        );
        let hint = found.hint.expect("a lock held through a job is named");
        assert!(hint.contains("worker 0 holds L1"), "{hint}");
        assert!(hint.contains("`while let"), "{hint}");
        assert!(hint.contains("the `while let` loop's body"), "{hint}");
    }
}
