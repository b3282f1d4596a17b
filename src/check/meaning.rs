//! What a [`Trace`] means, beyond its steps: which thread holds which lock over which steps,
//! which notify woke which wait, the notifies that woke nobody (a lost wake-up), the messages
//! sent and never received, the joins on threads that never end, and at the end who waits for
//! whom (with the wait-for cycle, where there is one).
//!
//! Everything here is derived from the recorded events alone, on the numbered steps of
//! [`render::steps`](super::render::steps), so the swimlane, the page and the text card point
//! at the same step numbers. Two kinds of facts come out: *recorded* ones (a lock's holder, the
//! thread a join waits for) and *inferred* ones, which say what they rest on (a condition
//! variable is waited on "for main", because main is the only thread that ever notified it).

use std::collections::{BTreeSet, HashMap};

use super::render::Step;
use super::{Action, Blocked, End, Trace};

/// A lock held by a thread over a range of step rows (0-based row indices into the steps).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    /// The holder.
    pub thread: usize,
    /// The lock (index into [`Trace::objects`]).
    pub lock: usize,
    /// The row that takes the lock.
    pub from: usize,
    /// The row that lets it go; `None` if still held at the end.
    pub to: Option<usize>,
    /// How many of the thread's bars are already open (so nested locks sit side by side).
    pub depth: usize,
}

impl Bar {
    /// Whether the lock is held just after row `row` ran.
    pub fn held_after(&self, row: usize) -> bool {
        self.from <= row && self.to.is_none_or(|to| row < to)
    }
}

/// A notify that woke a wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wake {
    /// The row of the `notify_one`/`notify_all`.
    pub notify: usize,
    /// The row where the woken thread returned from its wait.
    pub woken: usize,
}

/// Why a blocked thread waits for another, at the end of the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitsFor {
    /// The blocked thread.
    pub thread: usize,
    /// The thread it waits for; `None` when no thread can end the wait.
    pub on: Option<usize>,
    /// What it waits for, short (`L1`, `join`, `C1`, `job B`): the arrow's label.
    pub label: String,
    /// Why, in a sentence that names the steps it rests on.
    pub why: String,
    /// Whether the edge is recorded (a lock's holder, a join) or inferred from the steps.
    pub recorded: bool,
}

/// Everything [`analyse`] finds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meaning {
    /// Lock holdings, in the order they were taken.
    pub bars: Vec<Bar>,
    /// Notify → the wait it woke.
    pub wakes: Vec<Wake>,
    /// Rows of notifies that woke nobody: no thread was waiting (or every waiter was already
    /// notified).
    pub lost_notifies: Vec<usize>,
    /// Rows of sends whose message no thread ever received.
    pub unreceived: Vec<usize>,
    /// `(thread, child)`: `thread` is blocked joining `child`, which never ended.
    pub endless_joins: Vec<(usize, usize)>,
    /// Who waits for whom at the end, one entry per blocked thread (and per candidate).
    pub waits_for: Vec<WaitsFor>,
    /// A wait-for cycle at the end, as indices into `waits_for` in order, if there is one.
    pub cycle: Vec<usize>,
}

impl Meaning {
    /// The locks each thread holds just after row `row`: `(thread, lock)` pairs.
    pub fn held_after(&self, row: usize) -> Vec<(usize, usize)> {
        self.bars
            .iter()
            .filter(|bar| bar.held_after(row))
            .map(|bar| (bar.thread, bar.lock))
            .collect()
    }

    /// The notify that woke the wait ending at row `row`, if one did.
    pub fn woken_by(&self, row: usize) -> Option<usize> {
        self.wakes
            .iter()
            .find(|wake| wake.woken == row)
            .map(|wake| wake.notify)
    }

    /// The rows woken by the notify at row `row`.
    pub fn woke(&self, row: usize) -> Vec<usize> {
        self.wakes
            .iter()
            .filter(|wake| wake.notify == row)
            .map(|wake| wake.woken)
            .collect()
    }
}

/// The meaning of `trace`, on its rendered `steps`.
pub fn analyse(trace: &Trace, steps: &[Step]) -> Meaning {
    let mut meaning = Meaning {
        bars: lock_bars(trace, steps),
        ..Meaning::default()
    };
    let rows = rows_of_events(trace, steps);
    wakes(trace, &rows, &mut meaning);
    meaning.unreceived = unreceived(trace, &rows);
    for (thread, end) in trace.ends.iter().enumerate() {
        if let End::Blocked(Blocked::Join { child }, _) = end {
            if trace.ends.get(*child) != Some(&End::Exited) {
                meaning.endless_joins.push((thread, *child));
            }
        }
    }
    meaning.waits_for = waits_for(trace, &rows, &meaning);
    meaning.cycle = cycle(&meaning.waits_for);
    meaning
}

/// The lock bars of `steps`.
pub fn lock_bars(trace: &Trace, steps: &[Step]) -> Vec<Bar> {
    let mut bars: Vec<Bar> = Vec::new();
    for (row, step) in steps.iter().enumerate() {
        match trace.events[step.event].action {
            Action::Lock { lock }
            | Action::ReadLock { lock }
            | Action::Woken { lock, .. }
            | Action::Spurious { lock, .. } => {
                let depth = bars
                    .iter()
                    .filter(|bar| bar.thread == step.thread && bar.to.is_none())
                    .count();
                bars.push(Bar {
                    thread: step.thread,
                    lock,
                    from: row,
                    to: None,
                    depth,
                });
            }
            Action::Unlock { lock } | Action::ReadUnlock { lock } | Action::Wait { lock, .. } => {
                if let Some(bar) = bars
                    .iter_mut()
                    .rev()
                    .find(|bar| bar.thread == step.thread && bar.lock == lock && bar.to.is_none())
                {
                    bar.to = Some(row);
                }
            }
            _ => {}
        }
    }
    bars
}

/// For each event, the row that shows it (`None` for a script note folded into its call).
fn rows_of_events(trace: &Trace, steps: &[Step]) -> Vec<Option<usize>> {
    let mut rows = vec![None; trace.events.len()];
    for (row, step) in steps.iter().enumerate() {
        if let Some(slot) = rows.get_mut(step.event) {
            *slot = Some(row);
        }
    }
    rows
}

/// Pairs each wake-up with the notify that caused it, and finds the notifies that woke nobody.
///
/// A `notify_all` wakes every thread waiting at that moment. A `notify_one` wakes one of them,
/// which one only the next wake-up tells: it is kept as a pending token, and the next thread to
/// wake on that condition variable (not already woken by a `notify_all`) takes the oldest token.
/// A notify with nobody left to wake (no waiter, or a token for each already) woke nobody.
fn wakes(trace: &Trace, rows: &[Option<usize>], meaning: &mut Meaning) {
    #[derive(Default)]
    struct Condvar {
        /// Threads asleep on it and not yet notified.
        waiting: Vec<usize>,
        /// Rows of `notify_one`s that will wake one of `waiting`.
        tokens: Vec<usize>,
        /// Thread → the `notify_all` row that woke it.
        notified: HashMap<usize, usize>,
    }
    let mut condvars: HashMap<usize, Condvar> = HashMap::new();
    for (index, event) in trace.events.iter().enumerate() {
        let Some(row) = rows[index] else { continue };
        match event.action {
            Action::Wait { condvar, .. } => {
                condvars
                    .entry(condvar)
                    .or_default()
                    .waiting
                    .push(event.thread);
            }
            Action::Notify { condvar, all } => {
                let state = condvars.entry(condvar).or_default();
                let asleep = state.waiting.len();
                if asleep <= state.tokens.len() {
                    meaning.lost_notifies.push(row);
                } else if all {
                    for thread in state.waiting.drain(..) {
                        state.notified.insert(thread, row);
                    }
                    state.tokens.clear();
                } else {
                    state.tokens.push(row);
                }
            }
            Action::Woken { condvar, .. } => {
                let state = condvars.entry(condvar).or_default();
                let notify = match state.notified.remove(&event.thread) {
                    Some(notify) => Some(notify),
                    None => {
                        state.waiting.retain(|&thread| thread != event.thread);
                        (!state.tokens.is_empty()).then(|| state.tokens.remove(0))
                    }
                };
                if let Some(notify) = notify {
                    meaning.wakes.push(Wake { notify, woken: row });
                }
            }
            Action::Spurious { condvar, .. } => {
                let state = condvars.entry(condvar).or_default();
                state.waiting.retain(|&thread| thread != event.thread);
                state.notified.remove(&event.thread);
            }
            _ => {}
        }
    }
}

/// The rows of sends never received: a channel is first in, first out, so the `k`-th message
/// sent is the `k`-th received, and the sends past the number of receives were never taken.
fn unreceived(trace: &Trace, rows: &[Option<usize>]) -> Vec<usize> {
    let mut sent: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut received: HashMap<usize, usize> = HashMap::new();
    for (index, event) in trace.events.iter().enumerate() {
        match event.action {
            Action::Send {
                channel,
                delivered: true,
            } => sent.entry(channel).or_default().push(index),
            Action::Recv { channel, got: true } => *received.entry(channel).or_default() += 1,
            _ => {}
        }
    }
    let mut lost: Vec<usize> = sent
        .iter()
        .flat_map(|(channel, sends)| {
            let taken = received.get(channel).copied().unwrap_or(0);
            sends.iter().skip(taken).filter_map(|&index| rows[index])
        })
        .collect();
    lost.sort_unstable();
    lost
}

/// Who each blocked thread waits for at the end.
fn waits_for(trace: &Trace, rows: &[Option<usize>], meaning: &Meaning) -> Vec<WaitsFor> {
    let name = |thread: usize| trace.threads.get(thread).map_or("?", String::as_str);
    let object = |index: usize| trace.objects.get(index).map_or("?", |o| o.name.as_str());
    let step =
        |index: usize| rows[index].map_or_else(|| "?".to_owned(), |row| (row + 1).to_string());
    let mut out = Vec::new();
    for (thread, end) in trace.ends.iter().enumerate() {
        let End::Blocked(blocked, _) = end else {
            continue;
        };
        match blocked {
            Blocked::Lock { lock } => {
                let holder = trace.holders.get(*lock).copied().flatten();
                let since = meaning
                    .bars
                    .iter()
                    .rev()
                    .find(|bar| bar.lock == *lock && bar.to.is_none())
                    .map_or_else(String::new, |bar| format!(" since step {}", bar.from + 1));
                out.push(WaitsFor {
                    thread,
                    on: holder,
                    label: object(*lock).to_owned(),
                    why: match holder {
                        Some(holder) => format!(
                            "{} waits for {}, held by {}{since}",
                            name(thread),
                            object(*lock),
                            name(holder)
                        ),
                        None => format!("{} waits for {}", name(thread), object(*lock)),
                    },
                    recorded: true,
                });
            }
            Blocked::Join { child } => {
                let endless = meaning.endless_joins.contains(&(thread, *child));
                out.push(WaitsFor {
                    thread,
                    // A thread that has exited holds nothing up: that join can return.
                    on: endless.then_some(*child),
                    label: "join".to_owned(),
                    why: if endless {
                        format!(
                            "{} waits to join {}, which never ends",
                            name(thread),
                            name(*child)
                        )
                    } else {
                        format!(
                            "{} waits to join {}, which has exited (that join can return)",
                            name(thread),
                            name(*child)
                        )
                    },
                    recorded: true,
                });
            }
            Blocked::Wait { condvar } => {
                let notifies: Vec<usize> = trace
                    .events
                    .iter()
                    .enumerate()
                    .filter(|(_, event)| {
                        matches!(event.action, Action::Notify { condvar: c, .. } if c == *condvar)
                    })
                    .map(|(index, _)| index)
                    .collect();
                // Only a thread still alive can notify again; one that exited cannot.
                let alive =
                    |other: usize| other != thread && trace.ends.get(other) != Some(&End::Exited);
                let notifiers: BTreeSet<usize> = notifies
                    .iter()
                    .map(|&index| trace.events[index].thread)
                    .filter(|&notifier| alive(notifier))
                    .collect();
                let slept = trace.events.iter().rposition(|event| {
                    event.thread == thread
                        && matches!(event.action, Action::Wait { condvar: c, .. } if c == *condvar)
                });
                let by = |notifier: usize| -> String {
                    let mine: Vec<usize> = notifies
                        .iter()
                        .copied()
                        .filter(|&index| trace.events[index].thread == notifier)
                        .collect();
                    let at: Vec<String> = mine.iter().map(|&index| step(index)).collect();
                    let when = if mine
                        .iter()
                        .all(|&index| slept.is_some_and(|slept| index < slept))
                    {
                        "all before it slept"
                    } else {
                        "none of them for it"
                    };
                    format!("steps {}, {when}", at.join(", "))
                };
                let others = notifies.len()
                    - notifies
                        .iter()
                        .filter(|&&index| alive(trace.events[index].thread))
                        .count();
                let gone = if others > 0 {
                    format!(" ({others} notifies by threads that have exited or by itself)")
                } else {
                    String::new()
                };
                push_candidates(
                    &mut out,
                    thread,
                    &notifiers,
                    object(*condvar),
                    &|on| match on {
                        Some(notifier) => format!(
                            "{} sleeps on {}, which {} notifies ({}){gone}",
                            name(thread),
                            object(*condvar),
                            name(notifier),
                            by(notifier)
                        ),
                        None => format!(
                            "{} sleeps on {}, which no live thread can notify{gone}",
                            name(thread),
                            object(*condvar)
                        ),
                    },
                );
            }
            Blocked::Recv { channel } | Blocked::Send { channel } => {
                let recv = matches!(blocked, Blocked::Recv { .. });
                let peers: BTreeSet<usize> = trace
                    .events
                    .iter()
                    .filter(|event| {
                        event.thread != thread && trace.ends.get(event.thread) != Some(&End::Exited)
                    })
                    .filter(|event| match event.action {
                        Action::Send { channel: c, .. } => recv && c == *channel,
                        Action::Recv { channel: c, .. } => !recv && c == *channel,
                        _ => false,
                    })
                    .map(|event| event.thread)
                    .collect();
                let (verb, peer) = if recv {
                    ("receive from", "sends on")
                } else {
                    ("send on", "receives from")
                };
                push_candidates(&mut out, thread, &peers, object(*channel), &|on| match on {
                    Some(other) => format!(
                        "{} waits to {verb} {}; {} {peer} it",
                        name(thread),
                        object(*channel),
                        name(other)
                    ),
                    None => format!(
                        "{} waits to {verb} {}; no live thread {peer} it",
                        name(thread),
                        object(*channel)
                    ),
                });
            }
            Blocked::Note(text) => out.push(waits_for_job(trace, rows, meaning, thread, text)),
        }
    }
    out
}

/// One edge per candidate thread, or one to nobody when there is none.
fn push_candidates(
    out: &mut Vec<WaitsFor>,
    thread: usize,
    candidates: &BTreeSet<usize>,
    label: &str,
    why: &dyn Fn(Option<usize>) -> String,
) {
    if candidates.is_empty() {
        out.push(WaitsFor {
            thread,
            on: None,
            label: label.to_owned(),
            why: why(None),
            recorded: false,
        });
    }
    for &candidate in candidates {
        out.push(WaitsFor {
            thread,
            on: Some(candidate),
            label: label.to_owned(),
            why: why(Some(candidate)),
            recorded: false,
        });
    }
}

/// A thread of the checker's script waiting for another job (`waits for job B's signal`):
/// it waits for whoever runs that job. If no thread has started it, the job's message is
/// still in its channel, and the channel is read under a lock (the book's
/// `Mutex<Receiver>`), the wait is for that lock's holder.
fn waits_for_job(
    trace: &Trace,
    rows: &[Option<usize>],
    meaning: &Meaning,
    thread: usize,
    text: &str,
) -> WaitsFor {
    let name = |thread: usize| trace.threads.get(thread).map_or("?", String::as_str);
    let object = |index: usize| trace.objects.get(index).map_or("?", |o| o.name.as_str());
    let step =
        |index: usize| rows[index].map_or_else(|| "?".to_owned(), |row| (row + 1).to_string());
    let nobody = |why: String, label: &str| WaitsFor {
        thread,
        on: None,
        label: label.to_owned(),
        why,
        recorded: false,
    };
    let Some(job) = text
        .split("job ")
        .nth(1)
        .and_then(|rest| rest.split(['\'', ' ']).next())
        .filter(|job| !job.is_empty())
    else {
        return nobody(format!("{} {text}", name(thread)), "?");
    };
    let label = format!("job {job}");
    let waiting = format!("{} {text}", name(thread));
    let started = format!("job {job} starts");
    if let Some(runner) = trace
        .events
        .iter()
        .find(|event| matches!(&event.action, Action::Note(note) if *note == started))
        .map(|event| event.thread)
    {
        return WaitsFor {
            thread,
            on: (runner != thread).then_some(runner),
            label,
            why: format!("{waiting}; job {job} runs on {}", name(runner)),
            recorded: false,
        };
    }
    // The job's submission: the sends between `calls execute(job X)` and its return.
    let call = format!("calls execute(job {job})");
    let Some(start) = trace
        .events
        .iter()
        .position(|event| matches!(&event.action, Action::Note(note) if *note == call))
    else {
        return nobody(format!("{waiting}; job {job} was never submitted"), &label);
    };
    let submitter = trace.events[start].thread;
    let send = trace.events[start..]
        .iter()
        .enumerate()
        .filter(|(_, event)| event.thread == submitter)
        .take_while(
            |(_, event)| !matches!(&event.action, Action::Note(note) if note.contains(" returns")),
        )
        .find_map(|(offset, event)| match event.action {
            Action::Send {
                channel,
                delivered: true,
            } => Some((start + offset, channel)),
            _ => None,
        });
    let Some((send, channel)) = send else {
        return nobody(
            format!("{waiting}; job {job} was queued and no thread has started it"),
            &label,
        );
    };
    if rows[send].is_some_and(|row| !meaning.unreceived.contains(&row)) {
        return nobody(
            format!("{waiting}; job {job} was received but never started"),
            &label,
        );
    }
    // The locks some thread held while it received from this channel.
    let guarding = trace.events.iter().enumerate().find_map(|(index, event)| {
        let Action::Recv {
            channel: c,
            got: true,
        } = event.action
        else {
            return None;
        };
        let row = rows[index]?;
        (c == channel).then(|| {
            meaning
                .bars
                .iter()
                .find(|bar| bar.thread == event.thread && bar.held_after(row))
                .map(|bar| (bar.lock, row))
        })?
    });
    let in_channel = format!(
        "{waiting}; job {job} is still in {} (sent at step {}, never received)",
        object(channel),
        step(send)
    );
    match guarding {
        Some((lock, row)) => {
            let holder = trace.holders.get(lock).copied().flatten();
            match holder {
                Some(holder) => WaitsFor {
                    thread,
                    on: Some(holder),
                    label,
                    why: format!(
                        "{in_channel}; {} is read under {} (as at step {}), which {} holds",
                        object(channel),
                        object(lock),
                        row + 1,
                        if holder == thread {
                            format!("{} itself", name(holder))
                        } else {
                            name(holder).to_owned()
                        }
                    ),
                    recorded: false,
                },
                None => nobody(in_channel, &label),
            }
        }
        None => nobody(in_channel, &label),
    }
}

/// A cycle of `edges` (indices, in order), found by following edges from each thread.
fn cycle(edges: &[WaitsFor]) -> Vec<usize> {
    // Depth-first search over threads, with the path of edges taken.
    fn visit(
        edges: &[WaitsFor],
        thread: usize,
        path: &mut Vec<usize>,
        on_path: &mut Vec<usize>,
        done: &mut BTreeSet<usize>,
    ) -> Option<Vec<usize>> {
        if let Some(at) = on_path.iter().position(|&t| t == thread) {
            return Some(path[at..].to_vec());
        }
        if !done.insert(thread) {
            return None;
        }
        on_path.push(thread);
        for (index, edge) in edges.iter().enumerate() {
            if edge.thread != thread {
                continue;
            }
            let Some(next) = edge.on else { continue };
            path.push(index);
            if let Some(found) = visit(edges, next, path, on_path, done) {
                return Some(found);
            }
            path.pop();
        }
        on_path.pop();
        None
    }
    let mut done = BTreeSet::new();
    let starts: BTreeSet<usize> = edges.iter().map(|edge| edge.thread).collect();
    for start in starts {
        if let Some(found) = visit(edges, start, &mut Vec::new(), &mut Vec::new(), &mut done) {
            return found;
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::render::steps;
    use crate::check::{Event, Object, ObjectKind, Site};

    fn at(line: u32) -> Option<Site> {
        Some(Site {
            file: "src/pool.rs",
            line,
        })
    }

    fn event(thread: usize, action: Action) -> Event {
        Event {
            thread,
            action,
            site: at(1),
        }
    }

    fn note(thread: usize, text: &str) -> Event {
        Event {
            thread,
            action: Action::Note(text.to_owned()),
            site: None,
        }
    }

    fn object(kind: ObjectKind, name: &str) -> Object {
        Object {
            kind,
            name: name.to_owned(),
            created: None,
        }
    }

    /// The while-let deadlock, as the checker records it.
    fn while_let() -> Trace {
        Trace {
            threads: vec!["main".into(), "worker 0".into(), "worker 1".into()],
            objects: vec![
                object(ObjectKind::Channel, "ch1"),
                object(ObjectKind::Lock, "L1"),
            ],
            events: vec![
                note(0, "calls execute(job A)"),
                event(
                    0,
                    Action::Send {
                        channel: 0,
                        delivered: true,
                    },
                ),
                note(0, "execute(job A) returns"),
                note(0, "calls execute(job B)"),
                event(
                    0,
                    Action::Send {
                        channel: 0,
                        delivered: true,
                    },
                ),
                note(0, "execute(job B) returns"),
                note(0, "calls drop(pool)"),
                event(0, Action::Close { channel: 0 }),
                event(1, Action::Lock { lock: 1 }),
                event(
                    1,
                    Action::Recv {
                        channel: 0,
                        got: true,
                    },
                ),
                note(1, "job A starts"),
                note(1, "waits for job B's signal"),
            ],
            ends: vec![
                End::Blocked(Blocked::Join { child: 1 }, at(121)),
                End::Blocked(Blocked::Note("waits for job B's signal".into()), None),
                End::Blocked(Blocked::Lock { lock: 1 }, at(132)),
            ],
            holders: vec![None, Some(1)],
        }
    }

    /// The lost wake-up: main notifies before the workers wait.
    fn lost_wakeup() -> Trace {
        Trace {
            threads: vec!["main".into(), "worker 0".into(), "worker 1".into()],
            objects: vec![
                object(ObjectKind::Lock, "L1"),
                object(ObjectKind::Condvar, "C1"),
            ],
            events: vec![
                event(
                    0,
                    Action::Notify {
                        condvar: 1,
                        all: false,
                    },
                ),
                event(
                    0,
                    Action::Notify {
                        condvar: 1,
                        all: true,
                    },
                ),
                event(1, Action::Lock { lock: 0 }),
                event(
                    1,
                    Action::Wait {
                        condvar: 1,
                        lock: 0,
                    },
                ),
                event(2, Action::Lock { lock: 0 }),
                event(
                    2,
                    Action::Wait {
                        condvar: 1,
                        lock: 0,
                    },
                ),
            ],
            ends: vec![
                End::Blocked(Blocked::Join { child: 1 }, at(143)),
                End::Blocked(Blocked::Wait { condvar: 1 }, at(158)),
                End::Blocked(Blocked::Wait { condvar: 1 }, at(158)),
            ],
            holders: vec![None, None],
        }
    }

    fn analysed(trace: &Trace) -> Meaning {
        analyse(trace, &steps(trace))
    }

    #[test]
    fn the_while_let_lock_is_held_to_the_end_and_job_b_never_received() {
        let trace = while_let();
        let steps = steps(&trace);
        let meaning = analyse(&trace, &steps);
        // Steps: 1 execute(job A): sends, 2 execute(job B): sends, 3 calls drop, 4 close,
        // 5 locks L1, 6 receives, 7 job A starts, 8 waits.
        assert_eq!(steps[4].text, "locks L1");
        assert_eq!(
            meaning.bars,
            vec![Bar {
                thread: 1,
                lock: 1,
                from: 4,
                to: None,
                depth: 0
            }]
        );
        assert_eq!(meaning.held_after(3), vec![]);
        assert_eq!(meaning.held_after(7), vec![(1, 1)]);
        assert_eq!(meaning.unreceived, vec![1], "job B's send (step 2)");
        assert_eq!(meaning.endless_joins, vec![(0, 1)]);
    }

    #[test]
    fn the_while_let_cycle_runs_through_the_lock_worker_0_holds() {
        let meaning = analysed(&while_let());
        let worker0 = meaning
            .waits_for
            .iter()
            .find(|edge| edge.thread == 1)
            .expect("worker 0 waits");
        assert_eq!(worker0.on, Some(1), "{worker0:?}");
        assert_eq!(worker0.label, "job B");
        assert!(
            worker0
                .why
                .contains("job B is still in ch1 (sent at step 2, never received)")
                && worker0
                    .why
                    .contains("read under L1 (as at step 6), which worker 0 itself holds"),
            "{}",
            worker0.why
        );
        let cycle: Vec<usize> = meaning
            .cycle
            .iter()
            .map(|&index| meaning.waits_for[index].thread)
            .collect();
        assert_eq!(cycle, vec![1], "worker 0 waits for itself");
    }

    #[test]
    fn notifies_before_anyone_waits_woke_nobody_and_close_a_cycle_with_main() {
        let meaning = analysed(&lost_wakeup());
        assert_eq!(meaning.lost_notifies, vec![0, 1]);
        assert!(meaning.wakes.is_empty());
        let cycle: Vec<(usize, Option<usize>)> = meaning
            .cycle
            .iter()
            .map(|&index| (meaning.waits_for[index].thread, meaning.waits_for[index].on))
            .collect();
        assert_eq!(cycle, vec![(0, Some(1)), (1, Some(0))]);
        assert!(meaning.waits_for[1].why.contains(
            "worker 0 sleeps on C1, which main notifies (steps 1, 2, all before it slept)"
        ));
    }

    #[test]
    fn a_thread_that_exited_notifies_no_more() {
        let mut trace = lost_wakeup();
        trace.ends[0] = End::Exited;
        let meaning = analysed(&trace);
        assert!(meaning.cycle.is_empty());
        assert_eq!(meaning.waits_for[0].on, None);
        assert_eq!(
            meaning.waits_for[0].why,
            "worker 0 sleeps on C1, which no live thread can notify (2 notifies by threads that \
             have exited or by itself)"
        );
    }

    #[test]
    fn a_notify_wakes_the_waiters_present_and_no_more() {
        let mut trace = lost_wakeup();
        // Both workers wait first; then notify_one, notify_one, notify_one: the third finds
        // nobody left to wake; the workers wake in the other order.
        trace.events = vec![
            event(1, Action::Lock { lock: 0 }),
            event(
                1,
                Action::Wait {
                    condvar: 1,
                    lock: 0,
                },
            ),
            event(2, Action::Lock { lock: 0 }),
            event(
                2,
                Action::Wait {
                    condvar: 1,
                    lock: 0,
                },
            ),
            event(
                0,
                Action::Notify {
                    condvar: 1,
                    all: false,
                },
            ),
            event(
                0,
                Action::Notify {
                    condvar: 1,
                    all: false,
                },
            ),
            event(
                0,
                Action::Notify {
                    condvar: 1,
                    all: false,
                },
            ),
            event(
                2,
                Action::Woken {
                    condvar: 1,
                    lock: 0,
                },
            ),
            event(2, Action::Unlock { lock: 0 }),
            event(
                1,
                Action::Woken {
                    condvar: 1,
                    lock: 0,
                },
            ),
        ];
        let meaning = analysed(&trace);
        assert_eq!(meaning.lost_notifies, vec![6]);
        assert_eq!(
            meaning.wakes,
            vec![
                Wake {
                    notify: 4,
                    woken: 7
                },
                Wake {
                    notify: 5,
                    woken: 9
                }
            ]
        );
        assert_eq!(meaning.woken_by(7), Some(4));
        assert_eq!(meaning.woke(5), vec![9]);
        assert_eq!(meaning.held_after(9), vec![(1, 0)]);

        // A notify_all wakes both; a later one finds nobody.
        trace.events = vec![
            event(1, Action::Lock { lock: 0 }),
            event(
                1,
                Action::Wait {
                    condvar: 1,
                    lock: 0,
                },
            ),
            event(2, Action::Lock { lock: 0 }),
            event(
                2,
                Action::Wait {
                    condvar: 1,
                    lock: 0,
                },
            ),
            event(
                0,
                Action::Notify {
                    condvar: 1,
                    all: true,
                },
            ),
            event(
                0,
                Action::Notify {
                    condvar: 1,
                    all: true,
                },
            ),
            event(
                1,
                Action::Woken {
                    condvar: 1,
                    lock: 0,
                },
            ),
            event(1, Action::Unlock { lock: 0 }),
            event(
                2,
                Action::Woken {
                    condvar: 1,
                    lock: 0,
                },
            ),
        ];
        let meaning = analysed(&trace);
        assert_eq!(meaning.lost_notifies, vec![5]);
        assert_eq!(
            meaning.wakes,
            vec![
                Wake {
                    notify: 4,
                    woken: 6
                },
                Wake {
                    notify: 4,
                    woken: 8
                }
            ]
        );
    }

    #[test]
    fn a_lock_wait_with_no_cycle_is_a_chain() {
        let mut trace = while_let();
        // worker 0 exits instead of waiting for job B: nobody waits for anything in a loop.
        trace.events.pop();
        trace.ends[1] = End::Exited;
        let meaning = analysed(&trace);
        assert!(meaning.cycle.is_empty());
        assert_eq!(meaning.endless_joins, vec![]);
        assert_eq!(meaning.waits_for.len(), 2);
        assert_eq!(meaning.waits_for[0].on, None);
        assert_eq!(
            meaning.waits_for[0].why,
            "main waits to join worker 0, which has exited (that join can return)"
        );
        assert_eq!(meaning.waits_for[1].on, Some(1), "worker 1 waits for L1");
    }
}
