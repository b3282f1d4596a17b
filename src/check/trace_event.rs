//! A [`Trace`] in the Chrome trace-event format (`trace.json`), so a counterexample opens in
//! Perfetto (ui.perfetto.dev) or `chrome://tracing`.
//!
//! One process; a track per thread, named by a `thread_name` metadata event; time is the step
//! number (step `n` at `n` ms, so a step is a millisecond wide on the ruler). On each track: a
//! slice (`B`/`E`) for each lock the thread holds, from the step that takes it to the one that
//! lets it go; a slice for each wait on a condition variable, from the wait to the wake-up; a
//! slice from the thread's last step to the end for what it is blocked in at the end; and an
//! instant (`i`) per step, named by the step's words, with its number and `file:line` in
//! `args`. The format wants `B`/`E` properly nested on each track, which locks released out of
//! order are not: a slice that ends under another one closes the inner one and reopens it.
//!
//! Written by hand (the format is small and the library has no JSON dependency).

use std::fmt::Write as _;

use super::meaning::analyse;
use super::render::{end_text, steps};
use super::{Action, End, Trace};

/// Microseconds per step: the trace-event format's `ts` is in microseconds.
const STEP_US: usize = 1000;

/// One `B` or `E` slice on a thread's track.
#[derive(Clone, Debug)]
struct Slice {
    thread: usize,
    name: String,
    /// Step rows (0-based); `end` is exclusive of nothing: the slice closes at that row's time.
    begin: usize,
    end: usize,
    category: &'static str,
}

/// The trace-event JSON document for `trace`, titled `title` (in its metadata).
pub fn render(trace: &Trace, title: &str) -> String {
    let steps = steps(trace);
    let meaning = analyse(trace, &steps);
    let last = steps.len() + 1;
    let object = |index: usize| trace.objects.get(index).map_or("?", |o| o.name.as_str());

    let mut slices: Vec<Slice> = meaning
        .bars
        .iter()
        .map(|bar| Slice {
            thread: bar.thread,
            name: format!("holds {}", object(bar.lock)),
            begin: bar.from,
            end: bar.to.unwrap_or(last),
            category: "lock",
        })
        .collect();
    // Waits on a condition variable: from the wait to the wake-up (or the end).
    for (row, step) in steps.iter().enumerate() {
        if let Action::Wait { condvar, .. } = trace.events[step.event].action {
            let woke = steps[row + 1..]
                .iter()
                .position(|later| {
                    later.thread == step.thread
                        && matches!(
                            trace.events[later.event].action,
                            Action::Woken { condvar: c, .. } | Action::Spurious { condvar: c, .. } if c == condvar
                        )
                })
                .map(|offset| row + 1 + offset);
            if woke.is_none() && matches!(trace.ends.get(step.thread), Some(End::Blocked(..))) {
                // The end-state slice below says the same, with where.
                continue;
            }
            slices.push(Slice {
                thread: step.thread,
                name: format!("waits on {}", object(condvar)),
                begin: row,
                end: woke.unwrap_or(last),
                category: "wait",
            });
        }
    }
    // What each thread is blocked in at the end, from its last step.
    for (thread, end) in trace.ends.iter().enumerate() {
        if let End::Blocked(..) = end {
            // From its last step; a thread that took none, from the step that spawned it.
            let from = steps
                .iter()
                .rposition(|step| step.thread == thread)
                .or_else(|| {
                    steps.iter().position(|step| {
                        matches!(trace.events[step.event].action, Action::Spawn { child } if child == thread)
                    })
                })
                .unwrap_or(0);
            let (text, site) = end_text(trace, thread, end);
            let name = match site {
                Some(site) => format!("blocked: {text} ({site})"),
                None => format!("blocked: {text}"),
            };
            slices.push(Slice {
                thread,
                name,
                begin: from,
                end: last,
                category: "blocked",
            });
        }
    }

    let mut events: Vec<String> = Vec::new();
    events.push(format!(
        r#"{{"ph":"M","name":"process_name","pid":1,"tid":0,"ts":0,"args":{{"name":{}}}}}"#,
        json(title)
    ));
    for (thread, name) in trace.threads.iter().enumerate() {
        events.push(format!(
            r#"{{"ph":"M","name":"thread_name","pid":1,"tid":{},"ts":0,"args":{{"name":{}}}}}"#,
            thread + 1,
            json(name)
        ));
        events.push(format!(
            r#"{{"ph":"M","name":"thread_sort_index","pid":1,"tid":{},"ts":0,"args":{{"sort_index":{thread}}}}}"#,
            thread + 1
        ));
    }
    for thread in 0..trace.threads.len() {
        let mine: Vec<&Slice> = slices.iter().filter(|s| s.thread == thread).collect();
        nested(thread, &mine, &steps, &mut events);
    }
    events.sort_by_key(|event| timestamp(event));
    let mut out = String::from("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
    out.push_str(&events.join(",\n"));
    out.push_str("\n]}\n");
    out
}

/// The `ts` of an event as [`render`] writes it (for a stable sort: `B`, `E` and `i` at one
/// time stay in the order they were made).
fn timestamp(event: &str) -> usize {
    event
        .split("\"ts\":")
        .nth(1)
        .and_then(|rest| rest.split([',', '}']).next())
        .and_then(|ts| ts.parse().ok())
        .unwrap_or(0)
}

/// One thread's slices and instants, in time order, with `B`/`E` nested: at each step the
/// slices that end there close (innermost first; one that ends under a longer-lived one closes
/// it too and reopens it), then the step's instant, then the slices that begin there.
fn nested(
    thread: usize,
    slices: &[&Slice],
    steps: &[super::render::Step],
    events: &mut Vec<String>,
) {
    let mut open: Vec<&Slice> = Vec::new();
    let last = steps.len() + 1;
    for time in 0..=last {
        // Close what ends now: pop down to the deepest slice that ends, reopening the others.
        if let Some(deepest) = open.iter().position(|slice| slice.end == time) {
            let above: Vec<&Slice> = open.drain(deepest..).collect();
            for slice in above.iter().rev() {
                events.push(edge("E", slice, time));
            }
            for slice in above.into_iter().filter(|slice| slice.end != time) {
                events.push(edge("B", slice, time));
                open.push(slice);
            }
        }
        if let Some(step) = steps.get(time) {
            if step.thread == thread {
                let site = step.site.map_or_else(String::new, |site| site.to_string());
                events.push(format!(
                    r#"{{"ph":"i","s":"t","name":{},"cat":"step","pid":1,"tid":{},"ts":{},"args":{{"step":{},"site":{}}}}}"#,
                    json(&step.text),
                    thread + 1,
                    time * STEP_US,
                    time + 1,
                    json(&site)
                ));
            }
        }
        // Longer slices first, so a slice that ends later encloses one that ends sooner.
        let mut starting: Vec<&Slice> =
            slices.iter().copied().filter(|s| s.begin == time).collect();
        starting.sort_by_key(|slice| std::cmp::Reverse(slice.end));
        for slice in starting {
            events.push(edge("B", slice, time));
            open.push(slice);
        }
    }
}

/// A `B` or `E` event of `slice` at step time `time`.
fn edge(phase: &str, slice: &Slice, time: usize) -> String {
    let mut event = format!(
        r#"{{"ph":"{phase}","pid":1,"tid":{},"ts":{}"#,
        slice.thread + 1,
        time * STEP_US
    );
    if phase == "B" {
        let _ = write!(
            event,
            r#","name":{},"cat":"{}""#,
            json(&slice.name),
            slice.category
        );
    }
    event.push('}');
    event
}

/// `text` as a JSON string literal.
pub(crate) fn json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // `<` too, so the text can sit inside an HTML `<script>` (`</script>`).
            c if (c as u32) < 0x20 || c == '<' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Blocked, Event, Object, ObjectKind, Site};

    fn lock(thread: usize, action: Action) -> Event {
        Event {
            thread,
            action,
            site: Some(Site {
                file: "src/pool.rs",
                line: 7,
            }),
        }
    }

    /// Worker 0 takes L1 then L2, lets L1 go first (not nested), then waits on C1 for good.
    fn crossing() -> Trace {
        let object = |kind, name: &str| Object {
            kind,
            name: name.into(),
            created: None,
        };
        Trace {
            threads: vec!["main".into(), "worker \"0\"".into()],
            objects: vec![
                object(ObjectKind::Lock, "L1"),
                object(ObjectKind::Lock, "L2"),
                object(ObjectKind::Condvar, "C1"),
            ],
            events: vec![
                lock(1, Action::Lock { lock: 0 }),
                lock(1, Action::Lock { lock: 1 }),
                lock(1, Action::Unlock { lock: 0 }),
                lock(
                    1,
                    Action::Wait {
                        condvar: 2,
                        lock: 1,
                    },
                ),
                lock(0, Action::Note("main's <step>".into())),
            ],
            ends: vec![
                End::Running,
                End::Blocked(Blocked::Wait { condvar: 2 }, None),
            ],
            holders: vec![None, None, None],
        }
    }

    /// The `(ph, tid, name)` of each event, in order, read back with plain string splitting.
    fn phases(json: &str) -> Vec<(String, usize, String)> {
        json.lines()
            .filter(|line| line.starts_with('{') && line.contains("\"ph\""))
            .map(|line| {
                let field = |key: &str| {
                    line.split(&format!("\"{key}\":"))
                        .nth(1)
                        .map(|rest| {
                            rest.trim_start_matches('"')
                                .split(['"', ',', '}'])
                                .next()
                                .unwrap_or("")
                                .to_owned()
                        })
                        .unwrap_or_default()
                };
                (field("ph"), field("tid").parse().unwrap(), field("name"))
            })
            .collect()
    }

    #[test]
    fn slices_nest_per_thread_even_when_locks_are_released_out_of_order() {
        let json = render(&crossing(), "t");
        let mut stacks: std::collections::HashMap<usize, Vec<String>> = Default::default();
        for (ph, tid, name) in phases(&json) {
            match ph.as_str() {
                "B" => stacks.entry(tid).or_default().push(name),
                "E" => {
                    assert!(
                        stacks.entry(tid).or_default().pop().is_some(),
                        "an E closes an open B on track {tid}"
                    );
                }
                _ => {}
            }
        }
        assert!(
            stacks.values().all(Vec::is_empty),
            "every B is closed: {stacks:?}"
        );
        let begins: Vec<String> = phases(&json)
            .into_iter()
            .filter(|(ph, tid, _)| ph == "B" && *tid == 2)
            .map(|(_, _, name)| name)
            .collect();
        // L1 is let go under L2: L2 closes with it and reopens.
        assert_eq!(
            begins,
            vec!["holds L1", "holds L2", "holds L2", "blocked: sleeps on C1"]
        );
    }

    #[test]
    fn a_track_per_thread_and_an_instant_per_step_with_its_site() {
        let json = render(&crossing(), "the <title>");
        let events = phases(&json);
        let names: Vec<&(String, usize, String)> = events
            .iter()
            .filter(|(_, _, name)| name == "thread_name")
            .collect();
        assert_eq!(names.len(), 2);
        assert!(json.contains(r#""args":{"name":"worker \"0\""}"#), "{json}");
        assert_eq!(events.iter().filter(|(ph, _, _)| ph == "i").count(), 5);
        assert!(json.contains(r#""args":{"step":1,"site":"src/pool.rs:7"}"#));
        assert!(json.contains("main's \\u003cstep>"), "no raw < in the JSON");
        assert!(json.starts_with("{\"displayTimeUnit\":\"ms\",\"traceEvents\":["));
    }
}
