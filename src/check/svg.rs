//! A [`Trace`] as an SVG swimlane: one column per thread, one row per step down the page, each
//! lock a thread holds drawn as a bar beside its column, and every thread's state at the end
//! in a box at the bottom (red when it is blocked).
//!
//! The same steps as [`render::lines`](super::render::lines), numbered alike, so the picture
//! and the text can be read side by side. Plain SVG 1.1, no scripts, no external fonts.

use std::fmt::Write;

use super::render::{end_text, steps};
use super::{Action, End, Trace};
use crate::http::response::escape_html as escape;

/// Width of a thread's column.
const COLUMN: usize = 270;
/// Height of a step's row.
const ROW: usize = 18;
/// Left margin, where the step numbers go.
const LEFT: usize = 34;
/// Height of the title and of the header with the thread names.
const TOP: usize = 74;
/// Height of a box at the bottom.
const END_BOX: usize = 34;
/// The most characters a cell's text shows before it is cut with `…` (the full text stays
/// in the cell's tooltip).
const CELL_CHARS: usize = 40;
/// Bar colours for locks, by lock number.
const LOCK_COLOURS: [&str; 4] = ["#d9822b", "#2b7bd9", "#2bb673", "#9b59b6"];

/// The SVG document for `trace`, titled `title` (a heading, and under it a line that says
/// what went wrong).
pub fn render(trace: &Trace, title: &str, subtitle: &str) -> String {
    let steps = steps(trace);
    let threads = trace.threads.len().max(1);
    let width = LEFT + threads * COLUMN + 10;
    let body_bottom = TOP + steps.len() * ROW + 8;
    let height = body_bottom + END_BOX + 40;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="monospace" font-size="11">"#
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
        r##"<text x="10" y="38" fill="#c0392b"><title>{}</title>{}</text>"##,
        escape(subtitle),
        escape(&shorten(subtitle, per_line))
    );

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

    // Lock bars, from the step that takes a lock to the one that lets it go (or the end).
    for bar in lock_bars(trace, &steps) {
        let x = LEFT + bar.thread * COLUMN + 1 + bar.depth * 5;
        let top = TOP + bar.from * ROW + 3;
        let bottom = bar.to.map_or(body_bottom, |to| TOP + to * ROW + ROW - 3);
        let colour = LOCK_COLOURS[bar.lock % LOCK_COLOURS.len()];
        let name = trace
            .objects
            .get(bar.lock)
            .map_or("lock", |object| object.name.as_str());
        let _ = writeln!(
            svg,
            r#"<rect x="{x}" y="{top}" width="4" height="{}" fill="{colour}"><title>{} holds {}</title></rect>"#,
            bottom.saturating_sub(top).max(4),
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

    // The steps.
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
            Action::Panic(_) | Action::Exit { panicked: true } => "#c0392b",
            Action::Note(_) => "#1f2d3d",
            _ => "#34495e",
        };
        let _ = writeln!(
            svg,
            r#"<text x="{x}" y="{y}" fill="{colour}"><title>{}</title>{}</text>"#,
            escape(&full),
            escape(&shorten(&step.text, CELL_CHARS))
        );
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
            End::Blocked(..) => ("#fdecea", "#c0392b"),
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
                escape(&shorten(&site.to_string(), CELL_CHARS + 4))
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// A lock held by a thread over a range of step rows.
#[derive(Debug, PartialEq, Eq)]
struct Bar {
    thread: usize,
    lock: usize,
    /// The row that takes the lock.
    from: usize,
    /// The row that lets it go; `None` if still held at the end.
    to: Option<usize>,
    /// How many of the thread's bars are already open (so nested locks sit side by side).
    depth: usize,
}

/// The lock bars of `steps`.
fn lock_bars(trace: &Trace, steps: &[super::render::Step]) -> Vec<Bar> {
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

#[cfg(test)]
mod tests {
    use super::*;
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
    }
}
