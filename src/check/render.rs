//! A [`Trace`] as text: numbered steps, one per line, then each thread's state at the end.
//!
//! ```text
//!  1  main      calls new(2)
//!  2  main      spawns worker 0                   src/lib.rs:61
//!  ...
//!     at the end:
//!     worker 1  waits for L1, held by worker 0    src/lib.rs:64
//! ```
//!
//! Two adjacent steps of one thread that say "calls X" and "X returns" become one line `X`:
//! nothing happened in between, so the pair says no more than the call.

use super::{Action, Blocked, End, Event, Trace};

/// The trace's lines: the objects, the numbered steps, and the state at the end.
pub fn lines(trace: &Trace) -> Vec<String> {
    let width = trace.threads.iter().map(String::len).max().unwrap_or(4);
    let steps = steps(trace);
    let mut out = Vec::new();
    if !trace.objects.is_empty() {
        let objects: Vec<String> = trace
            .objects
            .iter()
            .map(|object| match object.created {
                Some(site) => format!("{} {} ({site})", object.name, kind_name(object.kind)),
                None => format!("{} {}", object.name, kind_name(object.kind)),
            })
            .collect();
        out.push(format!("objects: {}", objects.join(", ")));
    }
    let number_width = steps.len().to_string().len();
    for (index, step) in steps.iter().enumerate() {
        out.push(with_site(
            format!(
                "{:>number_width$}  {:<width$}  {}",
                index + 1,
                trace.threads[step.thread],
                step.text
            ),
            step.site,
        ));
    }
    out.push("at the end:".to_owned());
    for (thread, end) in trace.ends.iter().enumerate() {
        let (text, site) = end_text(trace, thread, end);
        out.push(with_site(
            format!(
                "{:>number_width$}  {:<width$}  {text}",
                "", trace.threads[thread]
            ),
            site,
        ));
    }
    out
}

/// One rendered step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Index into [`Trace::threads`].
    pub thread: usize,
    /// What it did, in words.
    pub text: String,
    /// Where.
    pub site: Option<super::Site>,
    /// The event it came from (the first, for merged pairs).
    pub event: usize,
}

/// The trace's events in words, with each call of the checker's script folded into one line
/// when nothing else happened meanwhile: `calls X`, `X returns` become `X`, and `calls X`, one
/// step of the same thread, `X returns` become `X: that step` (with the step's site).
pub fn steps(trace: &Trace) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    for (index, event) in trace.events.iter().enumerate() {
        if let Action::Note(note) = &event.action {
            if fold_return(&mut steps, event.thread, note) {
                continue;
            }
        }
        steps.push(Step {
            thread: event.thread,
            text: action_text(trace, event),
            site: event.site,
            event: index,
        });
    }
    steps
}

/// Folds the return note `note` of `thread` into the call it ends, if the call is one of the
/// last two steps and only `thread` acted since. Returns whether it did.
fn fold_return(steps: &mut Vec<Step>, thread: usize, note: &str) -> bool {
    let Some((call, rest)) = note.split_once(" returns") else {
        return false;
    };
    let opens = |step: &Step| step.thread == thread && step.text == format!("calls {call}");
    let folded = format!("{call}{rest}");
    match steps.as_slice() {
        [.., last] if opens(last) => {
            let last = steps.last_mut().expect("matched a last step");
            last.text = folded;
            true
        }
        [.., before, last] if opens(before) && last.thread == thread => {
            let inner = steps.pop().expect("matched a last step");
            let call = steps.last_mut().expect("matched a step before it");
            call.text = format!("{folded}: {}", inner.text);
            call.site = inner.site;
            call.event = inner.event;
            true
        }
        _ => false,
    }
}

/// A step's words.
pub fn action_text(trace: &Trace, event: &Event) -> String {
    let object = |index: usize| {
        trace
            .objects
            .get(index)
            .map_or_else(|| "an unnamed object".to_owned(), |o| o.name.clone())
    };
    let thread = |index: usize| {
        trace
            .threads
            .get(index)
            .cloned()
            .unwrap_or_else(|| "a thread".to_owned())
    };
    match &event.action {
        Action::Spawn { child } => format!("spawns {}", thread(*child)),
        Action::Exit { panicked: false } => "exits".to_owned(),
        Action::Exit { panicked: true } => "dies (the panic ends the thread)".to_owned(),
        Action::Join { child, panicked } => {
            let joins = format!("joins {}", thread(*child));
            if *panicked {
                format!("{joins}: Err (it had panicked)")
            } else {
                joins
            }
        }
        Action::Lock { lock } => format!("locks {}", object(*lock)),
        Action::Unlock { lock } => format!("unlocks {}", object(*lock)),
        Action::ReadLock { lock } => format!("read-locks {}", object(*lock)),
        Action::ReadUnlock { lock } => format!("read-unlocks {}", object(*lock)),
        Action::Wait { condvar, lock } => {
            format!("waits on {}, releasing {}", object(*condvar), object(*lock))
        }
        Action::Woken { condvar, lock } => {
            format!("wakes from {}, holding {}", object(*condvar), object(*lock))
        }
        Action::Spurious { condvar, lock } => format!(
            "wakes from {} with no notification (spurious), holding {}",
            object(*condvar),
            object(*lock)
        ),
        Action::Notify { condvar, all } => {
            let which = if *all { "notify_all" } else { "notify_one" };
            format!("{which} on {}", object(*condvar))
        }
        Action::Send {
            channel,
            delivered: true,
        } => format!("sends a job on {}", object(*channel)),
        Action::Send {
            channel,
            delivered: false,
        } => format!("send on {} fails: the receiver is gone", object(*channel)),
        Action::Recv { channel, got: true } => format!("receives a job from {}", object(*channel)),
        Action::Recv {
            channel,
            got: false,
        } => format!("recv on {}: Err (closed and empty)", object(*channel)),
        Action::Close { channel } => {
            format!("drops the last sender: {} is closed", object(*channel))
        }
        Action::Note(text) => text.clone(),
        Action::Panic(message) => format!("panics: {message}"),
    }
}

/// A thread's state at the end, in words, and where it was called.
pub fn end_text(trace: &Trace, thread: usize, end: &End) -> (String, Option<super::Site>) {
    let object = |index: usize| {
        trace
            .objects
            .get(index)
            .map_or_else(|| "an unnamed object".to_owned(), |o| o.name.clone())
    };
    match end {
        End::Exited => ("has exited".to_owned(), None),
        End::Running => ("runnable (between operations)".to_owned(), None),
        End::Blocked(blocked, site) => {
            let text = match blocked {
                Blocked::Lock { lock } => match trace.holders.get(*lock).copied().flatten() {
                    Some(holder) if holder == thread => {
                        format!("waits for {}, which it holds itself", object(*lock))
                    }
                    Some(holder) => format!(
                        "waits for {}, held by {}",
                        object(*lock),
                        trace.threads[holder]
                    ),
                    None => format!("waits for {}", object(*lock)),
                },
                Blocked::Wait { condvar } => format!("sleeps on {}", object(*condvar)),
                Blocked::Send { channel } => {
                    format!("waits in send on {} (full)", object(*channel))
                }
                Blocked::Recv { channel } => {
                    format!("waits in recv on {} (empty, not closed)", object(*channel))
                }
                Blocked::Join { child } => format!("waits to join {}", trace.threads[*child]),
                Blocked::Note(text) => text.clone(),
            };
            (text, *site)
        }
    }
}

fn kind_name(kind: super::ObjectKind) -> &'static str {
    match kind {
        super::ObjectKind::Lock => "Mutex",
        super::ObjectKind::Condvar => "Condvar",
        super::ObjectKind::Channel => "channel",
        super::ObjectKind::RwLock => "RwLock",
    }
}

/// `line`, padded, then `site` if there is one.
fn with_site(line: String, site: Option<super::Site>) -> String {
    match site {
        Some(site) => format!("{line:<58} {site}"),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Object, ObjectKind, Site};

    const LIB: &str = "src/lib.rs";

    fn event(thread: usize, action: Action, line: Option<u32>) -> Event {
        Event {
            thread,
            action,
            site: line.map(|line| Site { file: LIB, line }),
        }
    }

    /// The `while let` deadlock, as the recorder would see it (abridged).
    fn while_let() -> Trace {
        Trace {
            threads: vec!["main".into(), "worker 0".into(), "worker 1".into()],
            objects: vec![Object {
                kind: ObjectKind::Lock,
                name: "L1".into(),
                created: Some(Site {
                    file: LIB,
                    line: 30,
                }),
            }],
            events: vec![
                event(0, Action::Note("calls execute(job A)".into()), None),
                event(0, Action::Note("execute(job A) returns".into()), None),
                event(1, Action::Lock { lock: 0 }, Some(64)),
                event(1, Action::Note("job A starts".into()), None),
            ],
            ends: vec![
                End::Blocked(
                    Blocked::Join { child: 1 },
                    Some(Site {
                        file: LIB,
                        line: 50,
                    }),
                ),
                End::Blocked(Blocked::Note("waits for job B's signal".into()), None),
                End::Blocked(
                    Blocked::Lock { lock: 0 },
                    Some(Site {
                        file: LIB,
                        line: 64,
                    }),
                ),
            ],
            holders: vec![Some(1)],
        }
    }

    #[test]
    fn steps_are_numbered_with_their_thread_and_site() {
        let lines = lines(&while_let());
        assert_eq!(lines[0], "objects: L1 Mutex (src/lib.rs:30)");
        assert_eq!(lines[1], "1  main      execute(job A)");
        assert!(
            lines[2].starts_with("2  worker 0  locks L1 "),
            "{}",
            lines[2]
        );
        assert!(lines[2].ends_with(" src/lib.rs:64"), "{}", lines[2]);
        assert_eq!(lines[3], "3  worker 0  job A starts");
    }

    #[test]
    fn the_end_says_who_waits_for_what_and_who_holds_it() {
        let lines = lines(&while_let());
        let end = lines.iter().position(|line| line == "at the end:").unwrap();
        assert!(lines[end + 1].contains("main      waits to join worker 0"));
        assert!(lines[end + 2].contains("worker 0  waits for job B's signal"));
        assert!(
            lines[end + 3].contains("worker 1  waits for L1, held by worker 0"),
            "{}",
            lines[end + 3]
        );
    }

    #[test]
    fn a_call_folds_in_one_step_of_its_own_thread_and_no_more() {
        let mut trace = while_let();
        trace.events.insert(
            1,
            event(
                0,
                Action::Send {
                    channel: 0,
                    delivered: true,
                },
                Some(40),
            ),
        );
        let folded = steps(&trace);
        assert_eq!(folded[0].text, "execute(job A): sends a job on L1");
        assert_eq!(
            folded[0].site,
            Some(Site {
                file: LIB,
                line: 40
            })
        );

        trace
            .events
            .insert(1, event(0, Action::Lock { lock: 0 }, None));
        let unfolded = steps(&trace);
        assert_eq!(unfolded[0].text, "calls execute(job A)");
        assert_eq!(unfolded[3].text, "execute(job A) returns");
    }

    #[test]
    fn a_call_never_folds_across_another_threads_step() {
        let mut trace = while_let();
        trace
            .events
            .insert(1, event(1, Action::Lock { lock: 0 }, None));
        let steps = steps(&trace);
        assert_eq!(steps[0].text, "calls execute(job A)");
        assert_eq!(steps[2].text, "execute(job A) returns");
    }
}
