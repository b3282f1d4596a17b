//! A [`Trace`] as an SVG swimlane: one column per thread, one row per step down the page, each
//! lock a thread holds drawn as a bar beside its column, each step's `file:line` in a column
//! of its own at the right, and every thread's state at the end in a box at the bottom (red
//! when it is blocked).
//!
//! What the steps mean is drawn too ([`meaning`](super::meaning)): a green arrow from each
//! notify to the wait it woke, `woke nobody` on a notify no thread was waiting for (a lost
//! wake-up), `never received` on a send no thread took, and under the boxes an arrow from each
//! blocked thread to the thread it waits for, the wait-for cycle in red, each arrow's reason
//! written out below.
//!
//! The same steps as [`render::lines`](super::render::lines), numbered alike, so the picture
//! and the text can be read side by side. Plain SVG 1.1, no scripts, no external fonts; the
//! `data-*` attributes on steps and bars let the report page ([`page`](super::page)) find them.

use std::fmt::Write;

use super::meaning::{analyse, Meaning};
use super::render::{end_text, steps};
use super::{Action, End, Trace};
use crate::html::escape_html as escape;

/// Width of a thread's column.
const COLUMN: usize = 270;
/// Width of the `file:line` column at the right.
const WHERE: usize = 290;
/// The most characters of a `file:line` shown (cut at the left, which keeps the file name).
const WHERE_CHARS: usize = 42;
/// Height of a step's row.
const ROW: usize = 18;
/// Left margin, where the step numbers go.
const LEFT: usize = 34;
/// Height of the title and of the header with the thread names.
const TOP: usize = 74;
/// Height of a box at the bottom.
const END_BOX: usize = 34;
/// Height of a line of the reasons under the wait-for arrows.
const REASON: usize = 15;
/// The most characters a cell's text shows before it is cut with `…` (the full text stays
/// in the cell's tooltip).
const CELL_CHARS: usize = 40;
/// Bar colours for locks, by lock number.
const LOCK_COLOURS: [&str; 4] = ["#d9822b", "#2b7bd9", "#2bb673", "#9b59b6"];
/// Red: blocked threads, lost notifies, the wait-for cycle.
const RED: &str = "#c0392b";
/// Green: a notify's arrow to the wait it woke.
const GREEN: &str = "#1e8449";

/// The SVG document for `trace`, titled `title` (a heading, and under it a line that says
/// what went wrong).
pub fn render(trace: &Trace, title: &str, subtitle: &str) -> String {
    let steps = steps(trace);
    let meaning = analyse(trace, &steps);
    let threads = trace.threads.len().max(1);
    let lanes_right = LEFT + threads * COLUMN;
    let width = lanes_right + WHERE + 10;
    let body_bottom = TOP + steps.len() * ROW + 8;
    let ends_bottom = body_bottom + 20 + END_BOX;
    let arrows_bottom = ends_bottom + arrows_depth(&meaning) + 12;
    let reasons = meaning.waits_for.len() + usize::from(!meaning.cycle.is_empty());
    let height = arrows_bottom + reasons * REASON + 12;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="monospace" font-size="11">"#
    );
    let _ = writeln!(
        svg,
        r##"<defs><marker id="arrow-green" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="{GREEN}"/></marker><marker id="arrow-red" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="{RED}"/></marker><marker id="arrow-grey" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#7a8594"/></marker></defs>"##
    );
    let _ = writeln!(
        svg,
        r##"<rect width="{width}" height="{height}" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        svg,
        r#"<text x="10" y="20" font-size="13" font-weight="bold">{}</text>"#,
        escape(title)
    );
    let per_line = (width / 7).max(20);
    let _ = writeln!(
        svg,
        r##"<text x="10" y="38" fill="{RED}"><title>{}</title>{}</text>"##,
        escape(subtitle),
        escape(&shorten(subtitle, per_line))
    );

    // Every other row shaded, across the lanes and the `file:line` column, so a row can be
    // followed from its step to its line.
    for row in (1..steps.len()).step_by(2) {
        let _ = writeln!(
            svg,
            r##"<rect x="2" y="{}" width="{}" height="{ROW}" fill="#f6f8fa"/>"##,
            TOP + row * ROW,
            width - 4
        );
    }

    // Columns: a header and a lane line per thread.
    for (index, name) in trace.threads.iter().enumerate() {
        let x = LEFT + index * COLUMN;
        let _ = writeln!(
            svg,
            r##"<rect x="{x}" y="48" width="{}" height="20" fill="#eef1f5" stroke="#b8c0cc"/>"##,
            COLUMN - 6
        );
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="62" font-weight="bold">{}</text>"#,
            x + 8,
            escape(name)
        );
        let _ = writeln!(
            svg,
            r##"<line x1="{lane}" y1="{TOP}" x2="{lane}" y2="{body_bottom}" stroke="#d5dae1"/>"##,
            lane = x + 3
        );
    }
    let _ = writeln!(
        svg,
        r##"<text x="{}" y="62" font-weight="bold" fill="#7a8594">file:line</text>"##,
        lanes_right + 8
    );

    // Lock bars, from the step that takes a lock to the one that lets it go (or the end).
    for bar in &meaning.bars {
        let x = LEFT + bar.thread * COLUMN + 1 + bar.depth * 5;
        let top = TOP + bar.from * ROW + 3;
        let bottom = bar.to.map_or(body_bottom, |to| TOP + to * ROW + ROW - 3);
        let colour = LOCK_COLOURS[bar.lock % LOCK_COLOURS.len()];
        let name = trace
            .objects
            .get(bar.lock)
            .map_or("lock", |object| object.name.as_str());
        let to = bar
            .to
            .map_or_else(|| "end".to_owned(), |to| (to + 1).to_string());
        let _ = writeln!(
            svg,
            r#"<rect x="{x}" y="{top}" width="4" height="{}" fill="{colour}" data-thread="{}" data-lock="{}" data-from="{}" data-to="{to}"><title>{} holds {}</title></rect>"#,
            bottom.saturating_sub(top).max(4),
            bar.thread,
            escape(name),
            bar.from + 1,
            escape(&trace.threads[bar.thread]),
            escape(name)
        );
        // The lock's name at the bar's foot, in the bar's colour.
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" fill="{colour}" font-size="9" font-weight="bold">{}</text>"#,
            LEFT + (bar.thread + 1) * COLUMN - 26,
            top + 9,
            escape(name)
        );
    }

    // Each notify's arrow to the wait it woke, behind the steps' text.
    for wake in &meaning.wakes {
        let (from, to) = (&steps[wake.notify], &steps[wake.woken]);
        let x1 = LEFT + from.thread * COLUMN + 10;
        let x2 = LEFT + to.thread * COLUMN + 10;
        let y1 = TOP + wake.notify * ROW + ROW / 2;
        let y2 = TOP + wake.woken * ROW + ROW / 2;
        let bend = x1.min(x2).saturating_sub(6).max(LEFT);
        let _ = writeln!(
            svg,
            r#"<path d="M{x1},{y1} C{bend},{y1} {bend},{y2} {x2},{y2}" fill="none" stroke="{GREEN}" stroke-dasharray="3,2" marker-end="url(#arrow-green)"><title>step {} woke step {}</title></path>"#,
            wake.notify + 1,
            wake.woken + 1
        );
    }

    // The steps, with what they mean as a coloured note after the words.
    for (row, step) in steps.iter().enumerate() {
        let y = TOP + row * ROW + 13;
        let x = LEFT + step.thread * COLUMN + 12;
        let _ = writeln!(
            svg,
            r##"<text x="6" y="{y}" fill="#7a8594">{}</text>"##,
            row + 1
        );
        let full = match step.site {
            Some(site) => format!("{} ({site})", step.text),
            None => step.text.clone(),
        };
        let colour = match trace.events[step.event].action {
            Action::Panic(_) | Action::Exit { panicked: true } => RED,
            Action::Note(_) => "#1f2d3d",
            _ => "#34495e",
        };
        let (mark, mark_colour) = step_mark(&meaning, row);
        let room = CELL_CHARS.saturating_sub(mark.chars().count()).max(12);
        let mark = if mark.is_empty() {
            String::new()
        } else {
            format!(
                r#"<tspan fill="{mark_colour}" font-weight="bold">{}</tspan>"#,
                escape(&mark)
            )
        };
        let _ = writeln!(
            svg,
            r#"<text x="{x}" y="{y}" fill="{colour}" data-step="{}" data-thread="{}"><title>{}</title>{}{mark}</text>"#,
            row + 1,
            step.thread,
            escape(&full),
            escape(&shorten(&step.text, room))
        );
        if let Some(site) = step.site {
            let _ = writeln!(
                svg,
                r##"<text x="{}" y="{y}" fill="#5d6d7e" font-size="10">{}</text>"##,
                lanes_right + 8,
                escape(&shorten_left(&site.to_string(), WHERE_CHARS))
            );
        }
    }

    // The state at the end.
    let _ = writeln!(
        svg,
        r##"<text x="6" y="{}" fill="#7a8594">at the end</text>"##,
        body_bottom + 14
    );
    for (thread, end) in trace.ends.iter().enumerate() {
        let (text, site) = end_text(trace, thread, end);
        let x = LEFT + thread * COLUMN;
        let y = body_bottom + 20;
        let (fill, stroke) = match end {
            End::Blocked(..) => ("#fdecea", RED),
            End::Running => ("#fff8e1", "#d4a017"),
            End::Exited => ("#f4f6f8", "#b8c0cc"),
        };
        let full = match site {
            Some(site) => format!("{text} ({site})"),
            None => text.clone(),
        };
        let _ = writeln!(
            svg,
            r#"<rect x="{x}" y="{y}" width="{}" height="{END_BOX}" fill="{fill}" stroke="{stroke}"><title>{}</title></rect>"#,
            COLUMN - 6,
            escape(&full)
        );
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}">{}</text>"#,
            x + 6,
            y + 14,
            escape(&shorten(&text, CELL_CHARS))
        );
        if let Some(site) = site {
            let _ = writeln!(
                svg,
                r##"<text x="{}" y="{}" fill="#7a8594" font-size="10">{}</text>"##,
                x + 6,
                y + 27,
                escape(&shorten_left(&site.to_string(), CELL_CHARS + 4))
            );
        }
    }

    wait_for_arrows(&mut svg, trace, &meaning, ends_bottom, arrows_bottom, width);
    svg.push_str("</svg>\n");
    svg
}

/// What a step means, as a short note after its words, and the note's colour.
fn step_mark(meaning: &Meaning, row: usize) -> (String, &'static str) {
    if meaning.lost_notifies.contains(&row) {
        (" ✗ woke nobody".to_owned(), RED)
    } else if meaning.unreceived.contains(&row) {
        (" ✗ never received".to_owned(), RED)
    } else if let Some(notify) = meaning.woken_by(row) {
        (format!(" ← step {}", notify + 1), GREEN)
    } else {
        let woke = meaning.woke(row);
        if woke.is_empty() {
            (String::new(), GREEN)
        } else {
            let rows: Vec<String> = woke.iter().map(|row| (row + 1).to_string()).collect();
            (format!(" → step {}", rows.join(", ")), GREEN)
        }
    }
}

/// How far below the end boxes the wait-for arrows reach.
fn arrows_depth(meaning: &Meaning) -> usize {
    meaning
        .waits_for
        .iter()
        .map(|edge| match edge.on {
            Some(on) if on != edge.thread => 22 + 10 * edge.thread.abs_diff(on),
            _ => 28,
        })
        .max()
        .unwrap_or(0)
}

/// Under the end boxes: an arrow from each blocked thread to the thread it waits for (red
/// when it is part of the wait-for cycle, dashed when inferred rather than recorded), then
/// each arrow's reason as a line of text.
fn wait_for_arrows(
    svg: &mut String,
    trace: &Trace,
    meaning: &Meaning,
    top: usize,
    bottom: usize,
    width: usize,
) {
    let centre = |thread: usize| LEFT + thread * COLUMN + COLUMN / 2 - 3;
    let per_line = (width / 7).max(20);
    for (index, edge) in meaning.waits_for.iter().enumerate() {
        let in_cycle = meaning.cycle.contains(&index);
        let (colour, marker) = if in_cycle {
            (RED, "arrow-red")
        } else {
            ("#7a8594", "arrow-grey")
        };
        let dash = if edge.recorded {
            ""
        } else {
            r#" stroke-dasharray="5,3""#
        };
        // Arrows leave a box left of its centre and arrive right of it, so two arrows
        // between the same boxes in opposite directions do not overlap.
        let x1 = centre(edge.thread) - 30;
        let (path, label_x, label_y) = match edge.on {
            Some(on) if on != edge.thread => {
                let x2 = centre(on) + 30;
                let depth = 22 + 10 * edge.thread.abs_diff(on);
                let y = top + depth;
                (
                    format!("M{x1},{top} C{x1},{y} {x2},{y} {x2},{}", top + 2),
                    (x1 + x2) / 2,
                    top + depth * 3 / 4 + 4,
                )
            }
            Some(_) => (
                // A thread waiting for itself: a loop under its own box.
                format!(
                    "M{x1},{top} C{x1},{} {},{} {},{}",
                    top + 28,
                    x1 + 60,
                    top + 28,
                    x1 + 60,
                    top + 2
                ),
                x1 + 30,
                top + 25,
            ),
            None => (format!("M{x1},{top} L{x1},{}", top + 18), x1 + 4, top + 28),
        };
        let arrow = if edge.on.is_some() {
            format!(r#" marker-end="url(#{marker})""#)
        } else {
            String::new()
        };
        let _ = writeln!(
            svg,
            r#"<path d="{path}" fill="none" stroke="{colour}" stroke-width="{}"{dash}{arrow}><title>{}</title></path>"#,
            if in_cycle { 2 } else { 1 },
            escape(&edge.why)
        );
        let label = match edge.on {
            Some(_) => edge.label.clone(),
            None => format!("{}: nobody", edge.label),
        };
        let _ = writeln!(
            svg,
            r#"<text x="{label_x}" y="{label_y}" fill="{colour}" font-size="10" text-anchor="middle">{}</text>"#,
            escape(&label)
        );
    }
    let mut y = bottom;
    if !meaning.cycle.is_empty() {
        let names: Vec<&str> = meaning
            .cycle
            .iter()
            .map(|&index| trace.threads[meaning.waits_for[index].thread].as_str())
            .chain(
                meaning
                    .cycle
                    .first()
                    .map(|&index| trace.threads[meaning.waits_for[index].thread].as_str()),
            )
            .collect();
        let _ = writeln!(
            svg,
            r#"<text x="6" y="{y}" fill="{RED}" font-weight="bold">wait-for cycle: {}</text>"#,
            escape(&names.join(" → "))
        );
        y += REASON;
    }
    for (index, edge) in meaning.waits_for.iter().enumerate() {
        let colour = if meaning.cycle.contains(&index) {
            RED
        } else {
            "#34495e"
        };
        let _ = writeln!(
            svg,
            r#"<text x="6" y="{y}" fill="{colour}" font-size="10"><title>{}</title>{}</text>"#,
            escape(&edge.why),
            escape(&shorten(&edge.why, per_line))
        );
        y += REASON;
    }
}

/// `text`, cut to `limit` characters with an ellipsis.
fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(limit - 1).collect();
        short.push('…');
        short
    }
}

/// `text`, cut to `limit` characters from the left with an ellipsis (a path keeps its file
/// name and line).
fn shorten_left(text: &str, limit: usize) -> String {
    let count = text.chars().count();
    if count <= limit {
        text.to_owned()
    } else {
        let mut short = String::from("…");
        short.extend(text.chars().skip(count - limit + 1));
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::meaning::{lock_bars, Bar};
    use crate::check::{Blocked, Event, Object, ObjectKind, Site};

    fn trace() -> Trace {
        let site = Some(Site {
            file: "src/lib.rs",
            line: 64,
        });
        Trace {
            threads: vec!["main".into(), "worker 0".into()],
            objects: vec![Object {
                kind: ObjectKind::Lock,
                name: "L1".into(),
                created: None,
            }],
            events: vec![
                Event {
                    thread: 1,
                    action: Action::Lock { lock: 0 },
                    site,
                },
                Event {
                    thread: 1,
                    action: Action::Note("job <A> & \"B\"".into()),
                    site: None,
                },
            ],
            ends: vec![
                End::Blocked(Blocked::Lock { lock: 0 }, site),
                End::Blocked(Blocked::Note("waits for job B's signal".into()), None),
            ],
            holders: vec![Some(1)],
        }
    }

    #[test]
    fn a_lock_still_held_at_the_end_is_a_bar_to_the_bottom() {
        let trace = trace();
        let bars = lock_bars(&trace, &steps(&trace));
        assert_eq!(
            bars,
            vec![Bar {
                thread: 1,
                lock: 0,
                from: 0,
                to: None,
                depth: 0
            }]
        );
        let svg = render(&trace, "t", "deadlock");
        assert!(svg.contains("<title>worker 0 holds L1</title>"));
    }

    #[test]
    fn text_is_escaped_and_blocked_threads_are_red() {
        let svg = render(&trace(), "while <let>", "dead<lock>");
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("while &lt;let&gt;"));
        assert!(svg.contains("dead&lt;lock&gt;"));
        assert!(svg.contains("job &lt;A&gt; &amp; &quot;B&quot;"));
        assert!(!svg.contains("job <A>"));
        assert_eq!(
            svg.matches(r##"stroke="#c0392b""##).count(),
            2,
            "two blocked threads"
        );
        assert!(svg.contains("waits for L1, held by worker 0"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn long_cells_are_cut_and_keep_the_whole_text_in_a_tooltip() {
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abc", 4), "abc");
        assert_eq!(shorten_left("src/pool.rs:12", 10), "…ool.rs:12");
        assert_eq!(shorten_left("a.rs:1", 10), "a.rs:1");
    }

    /// The `y` of every `<text>` element whose content starts with `…` and ends with `content`.
    fn text_rows(svg: &str, content: &str) -> Vec<usize> {
        svg.lines()
            .filter(|line| {
                line.starts_with("<text ") && line.ends_with(&format!("{content}</text>"))
            })
            .filter(|line| line.contains(">…"))
            .map(|line| {
                let y = line.split(" y=\"").nth(1).expect("a text has a y");
                y[..y.find('"').expect("y is quoted")]
                    .parse()
                    .expect("y is a number")
            })
            .collect()
    }

    #[test]
    fn every_step_s_file_and_line_is_text_on_the_picture_at_30_steps_and_5_threads() {
        let threads: Vec<String> = std::iter::once("main".to_owned())
            .chain((0..4).map(|worker| format!("worker {worker}")))
            .collect();
        let events: Vec<Event> = (0..32)
            .map(|step| Event {
                thread: step % 5,
                action: Action::Note(format!("step number {step}")),
                site: Some(Site {
                    file: "checks/a-long-crate-name/src/deeply/nested/module.rs",
                    line: 100 + step as u32,
                }),
            })
            .collect();
        let trace = Trace {
            ends: vec![End::Exited; 5],
            threads,
            events,
            ..Trace::default()
        };
        let svg = render(&trace, "t", "s");
        let mut rows = Vec::new();
        for step in 0..32 {
            // Cut at the left: the line number and the file's name stay.
            let site = format!("/deeply/nested/module.rs:{}", 100 + step);
            let found = text_rows(&svg, &site);
            assert_eq!(found.len(), 1, "{site} is on the picture once, as text");
            rows.extend(found);
        }
        assert!(
            rows.windows(2).all(|pair| pair[1] >= pair[0] + ROW),
            "one row per step, none overlapping: {rows:?}"
        );
        let width: usize = svg
            .split("width=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|width| width.parse().ok())
            .expect("the picture has a width");
        assert!(width <= 1700, "5 lanes and the file:line column: {width}px");
    }

    #[test]
    fn a_notify_that_woke_nobody_is_marked_and_a_wake_has_an_arrow() {
        let mut trace = trace();
        trace.objects.push(Object {
            kind: ObjectKind::Condvar,
            name: "C1".into(),
            created: None,
        });
        let at = |thread, action| Event {
            thread,
            action,
            site: None,
        };
        trace.events = vec![
            at(
                0,
                Action::Notify {
                    condvar: 1,
                    all: true,
                },
            ),
            at(1, Action::Lock { lock: 0 }),
            at(
                1,
                Action::Wait {
                    condvar: 1,
                    lock: 0,
                },
            ),
            at(
                0,
                Action::Notify {
                    condvar: 1,
                    all: false,
                },
            ),
            at(
                1,
                Action::Woken {
                    condvar: 1,
                    lock: 0,
                },
            ),
        ];
        let svg = render(&trace, "t", "s");
        assert_eq!(svg.matches("✗ woke nobody").count(), 1, "{svg}");
        assert!(svg.contains(
            "notify_all on C1<tspan fill=\"#c0392b\" font-weight=\"bold\"> ✗ woke nobody"
        ));
        assert!(svg.contains("<title>step 4 woke step 5</title>"));
        assert!(svg.contains(
            "wakes from C1, holding L1<tspan fill=\"#1e8449\" font-weight=\"bold\"> ← step 4"
        ));
    }

    #[test]
    fn the_wait_for_cycle_is_drawn_and_explained() {
        let mut trace = trace();
        // worker 0 now waits to join main, which waits for L1, held by worker 0.
        trace.ends[1] = End::Blocked(Blocked::Join { child: 0 }, None);
        let svg = render(&trace, "t", "s");
        assert!(
            svg.contains("wait-for cycle: main → worker 0 → main"),
            "{svg}"
        );
        assert!(svg.contains(">main waits for L1, held by worker 0 since step 1</text>"));
        assert_eq!(svg.matches("marker-end=\"url(#arrow-red)\"").count(), 2);
    }
}
