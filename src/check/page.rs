//! A failing check's report page (`CHECK.html`, next to its `.trace` and `.svg`): the steps as
//! a table beside the line of code each one ran, the swimlane under them, what the trace means
//! in words, and the replay command with a copy button. One self-contained file: the CSS, the
//! script, the SVG and the source lines are inside it (read from the files when the page is
//! written), and nothing is fetched, so it opens from disk, from a CI artifact, offline.
//!
//! Moving through the steps (the buttons, the arrow keys, or a click on a row or on a step in
//! the swimlane) highlights the step in the table and in the swimlane, shows its source line
//! with two lines of context either side, and lists the locks each thread holds just after it.
//! The steps are [`render::steps`](super::render::steps), numbered as the text card and the
//! swimlane number them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::meaning::{analyse, Meaning};
use super::render::{end_text, steps, Step};
use super::trace_event::json;
use super::{svg, Action, End, Site, Trace};
use crate::html::escape_html as escape;

/// Lines of source shown either side of a step's line.
const CONTEXT: u32 = 2;

/// What the page says about the check, besides its trace.
#[derive(Clone, Debug, Default)]
pub struct PageInfo {
    /// The pool under check, as the card names it.
    pub subject: String,
    /// The check's name (`rendezvous`).
    pub check: String,
    /// What the check's scenario asserts, in one sentence.
    pub claim: String,
    /// `FAILS` (or `limit`).
    pub verdict: String,
    /// What went wrong, in one line.
    pub message: String,
    /// The failing interleaving's number in loom's exploration (how many it explored).
    pub interleavings: usize,
    /// The preemption bound.
    pub bound: usize,
    /// How long the check ran until it found this interleaving.
    pub elapsed: std::time::Duration,
    /// The command that replays exactly this interleaving, if there is one.
    pub replay: Option<String>,
    /// The root cause, in one line, when it says more than `message`.
    pub cause: Option<String>,
    /// The fix, when the trace matches the signature of a catalog bug.
    pub hint: Option<String>,
}

/// The page's path for a swimlane at `svg` (same stem: `CHECK.svg` → `CHECK.html`).
pub fn path_for(svg: &Path) -> PathBuf {
    svg.with_extension("html")
}

/// The trace-event file's path for a swimlane at `svg` (`CHECK.svg` → `CHECK.trace.json`).
pub fn trace_json_path_for(svg: &Path) -> PathBuf {
    svg.with_extension("trace.json")
}

/// Writes the page for `trace` to `path`, reading each step's source from disk now.
///
/// # Errors
///
/// If the file cannot be written.
pub fn write(path: &Path, trace: &Trace, info: &PageInfo) -> std::io::Result<()> {
    std::fs::write(path, render(trace, info, &read_source))
}

/// A source file as the compiler names it: an absolute path, or one relative to the
/// workspace root, which is the working directory or one of its ancestors (`cargo test` runs
/// a test in its package's folder).
pub fn read_source(file: &str) -> Option<String> {
    let path = Path::new(file);
    if path.is_absolute() {
        return std::fs::read_to_string(path).ok();
    }
    let here = std::env::current_dir().ok()?;
    here.ancestors()
        .map(|dir| dir.join(path))
        .find(|candidate| candidate.is_file())
        .and_then(|found| std::fs::read_to_string(found).ok())
}

/// The page for `trace`, with the source files read by `source` (`None`: not found).
pub fn render(trace: &Trace, info: &PageInfo, source: &dyn Fn(&str) -> Option<String>) -> String {
    let steps = steps(trace);
    let meaning = analyse(trace, &steps);
    let title = format!(
        "{}: {} {}",
        info.subject,
        info.check,
        info.verdict.to_lowercase()
    );
    let swimlane = svg::render(trace, &title, &info.message);
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&title)
    );
    header(&mut page, info);
    meaning_section(&mut page, trace, &meaning);
    let _ = write!(
        page,
        "<main>\n<section id=\"steps-pane\">\n<div class=\"controls\">\
         <button id=\"prev\" type=\"button\">◀ previous</button> \
         <span id=\"position\">step 1 of {}</span> \
         <button id=\"next\" type=\"button\">next ▶</button> \
         <span class=\"hint\">or ← → ↑ ↓, Home, End</span></div>\n",
        steps.len()
    );
    steps_table(&mut page, trace, &steps, &meaning);
    page.push_str(
        "</section>\n<section id=\"side\">\n<h2>The code</h2>\n\
         <div id=\"code\"><div id=\"code-where\"></div><pre id=\"code-lines\"></pre></div>\n\
         <h2>Just after this step</h2>\n<table id=\"state\"></table>\n</section>\n</main>\n",
    );
    let _ = write!(
        page,
        "<section id=\"swimlane\">\n<h2>The swimlane</h2>\n<div id=\"lane\">{swimlane}</div>\n</section>\n"
    );
    let _ = write!(
        page,
        "<script type=\"application/json\" id=\"data\">{}</script>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        data(trace, &steps, &meaning, source)
    );
    page
}

/// The verdict, the scenario, what loom saw, and the replay command.
fn header(page: &mut String, info: &PageInfo) {
    let _ = write!(
        page,
        "<header>\n<h1>{} <span class=\"check\">{}</span> <span class=\"verdict {}\">{}</span></h1>\n\
         <p class=\"claim\">The scenario: {}</p>\n<p class=\"message\">loom saw: {}</p>\n\
         <p class=\"meta\">interleaving {} explored (preemption bound {}), found in {:.1?}</p>\n",
        escape(&info.subject),
        escape(&info.check),
        escape(&info.verdict.to_lowercase()),
        escape(&info.verdict),
        escape(&info.claim),
        escape(&info.message),
        info.interleavings,
        info.bound,
        info.elapsed
    );
    if let Some(cause) = &info.cause {
        let _ = writeln!(page, "<p class=\"cause\">root cause: {}</p>", escape(cause));
    }
    if let Some(hint) = &info.hint {
        let _ = writeln!(page, "<p class=\"hint\">the fix: {}</p>", escape(hint));
    }
    if let Some(replay) = &info.replay {
        let _ = writeln!(
            page,
            "<p class=\"replay\">replay: <code id=\"replay\">{}</code> \
             <button id=\"copy\" type=\"button\">copy</button> <span id=\"copied\"></span></p>",
            escape(replay)
        );
    }
    page.push_str("</header>\n");
}

/// What the trace means, in words: the wait-for cycle, who waits for what, the lost
/// notifies, the messages never received, the joins that never return.
fn meaning_section(page: &mut String, trace: &Trace, meaning: &Meaning) {
    let mut items: Vec<String> = Vec::new();
    if !meaning.cycle.is_empty() {
        let mut names: Vec<&str> = meaning
            .cycle
            .iter()
            .map(|&index| trace.threads[meaning.waits_for[index].thread].as_str())
            .collect();
        names.push(names[0]);
        items.push(format!(
            "<li class=\"bad\"><b>wait-for cycle: {}</b>: no thread in it can move</li>",
            escape(&names.join(" → "))
        ));
    }
    for (index, edge) in meaning.waits_for.iter().enumerate() {
        let class = if meaning.cycle.contains(&index) {
            "bad"
        } else {
            "why"
        };
        let kind = if edge.recorded { "" } else { " (inferred)" };
        items.push(format!(
            "<li class=\"{class}\">{}{kind}</li>",
            escape(&edge.why)
        ));
    }
    let step_text = |row: usize| {
        format!(
            "<a href=\"#\" data-goto=\"{}\">step {}</a>",
            row + 1,
            row + 1
        )
    };
    for &row in &meaning.lost_notifies {
        items.push(format!(
            "<li class=\"bad\">{}: the notify woke nobody (no thread was waiting): a lost wake-up</li>",
            step_text(row)
        ));
    }
    for &row in &meaning.unreceived {
        items.push(format!(
            "<li class=\"bad\">{}: the message sent was never received</li>",
            step_text(row)
        ));
    }
    for wake in &meaning.wakes {
        items.push(format!(
            "<li>{} woke the wait that returns at {}</li>",
            step_text(wake.notify),
            step_text(wake.woken)
        ));
    }
    for bar in meaning.bars.iter().filter(|bar| bar.to.is_none()) {
        items.push(format!(
            "<li class=\"bad\">{} takes {} at {} and still holds it at the end</li>",
            escape(&trace.threads[bar.thread]),
            escape(trace.objects.get(bar.lock).map_or("?", |o| o.name.as_str())),
            step_text(bar.from)
        ));
    }
    if items.is_empty() {
        return;
    }
    let _ = write!(
        page,
        "<section id=\"meaning\">\n<h2>What it means</h2>\n<ul>\n{}\n</ul>\n</section>\n",
        items.join("\n")
    );
}

/// The steps as a table: number, thread, words (with what they mean), `file:line`; then each
/// thread's state at the end.
fn steps_table(page: &mut String, trace: &Trace, steps: &[Step], meaning: &Meaning) {
    page.push_str(
        "<table id=\"steps\">\n<thead><tr><th>#</th><th>thread</th><th>step</th><th>file:line</th></tr></thead>\n<tbody>\n",
    );
    for (row, step) in steps.iter().enumerate() {
        let mark = if meaning.lost_notifies.contains(&row) {
            " <span class=\"mark bad\">✗ woke nobody</span>".to_owned()
        } else if meaning.unreceived.contains(&row) {
            " <span class=\"mark bad\">✗ never received</span>".to_owned()
        } else if let Some(notify) = meaning.woken_by(row) {
            format!(
                " <span class=\"mark good\">← woken by step {}</span>",
                notify + 1
            )
        } else {
            String::new()
        };
        let class = match trace.events[step.event].action {
            Action::Panic(_) | Action::Exit { panicked: true } => " class=\"panic\"",
            _ => "",
        };
        let _ = writeln!(
            page,
            "<tr data-step=\"{}\"{class}><td class=\"n\">{}</td><td class=\"t{}\">{}</td><td>{}{mark}</td><td class=\"site\">{}</td></tr>",
            row + 1,
            row + 1,
            step.thread % 5,
            escape(&trace.threads[step.thread]),
            escape(&step.text),
            step.site.map_or_else(String::new, |site| escape(&site.to_string()))
        );
    }
    page.push_str("</tbody>\n<tbody class=\"end\"><tr><th colspan=\"4\">at the end</th></tr>\n");
    for (thread, end) in trace.ends.iter().enumerate() {
        let (text, site) = end_text(trace, thread, end);
        let class = if matches!(end, End::Blocked(..)) {
            " class=\"blocked\""
        } else {
            ""
        };
        let _ = writeln!(
            page,
            "<tr{class}><td></td><td>{}</td><td>{}</td><td class=\"site\">{}</td></tr>",
            escape(&trace.threads[thread]),
            escape(&text),
            site.map_or_else(String::new, |site| escape(&site.to_string()))
        );
    }
    page.push_str("</tbody>\n</table>\n");
}

/// The data the script reads: per step its thread, `file:line` and the locks held after it;
/// and the source lines around each site.
fn data(
    trace: &Trace,
    steps: &[Step],
    meaning: &Meaning,
    source: &dyn Fn(&str) -> Option<String>,
) -> String {
    let object = |index: usize| trace.objects.get(index).map_or("?", |o| o.name.as_str());
    let mut out = String::from("{\"threads\":[");
    let threads: Vec<String> = trace.threads.iter().map(|name| json(name)).collect();
    out.push_str(&threads.join(","));
    out.push_str("],\"steps\":[");
    let rows: Vec<String> = steps
        .iter()
        .enumerate()
        .map(|(row, step)| {
            let (file, line) = step.site.map_or_else(
                || ("null".to_owned(), 0),
                |site| (json(site.file), site.line),
            );
            // Per thread, what it holds (and whether it sleeps on a condition variable).
            let state: Vec<String> = (0..trace.threads.len())
                .map(|thread| {
                    let mut held: Vec<String> = meaning
                        .bars
                        .iter()
                        .filter(|bar| bar.thread == thread && bar.held_after(row))
                        .map(|bar| {
                            format!("holds {} (since step {})", object(bar.lock), bar.from + 1)
                        })
                        .collect();
                    if let Some(condvar) = asleep_after(trace, steps, thread, row) {
                        held.push(format!("asleep on {}", object(condvar)));
                    }
                    json(&held.join(", "))
                })
                .collect();
            format!(
                "{{\"thread\":{},\"file\":{file},\"line\":{line},\"state\":[{}]}}",
                step.thread,
                state.join(",")
            )
        })
        .collect();
    out.push_str(&rows.join(","));
    out.push_str("],\"sources\":{");
    let mut sites: Vec<Site> = steps.iter().filter_map(|step| step.site).collect();
    sites.sort_by_key(|site| (site.file, site.line));
    sites.dedup();
    let mut files: Vec<(&str, Option<Vec<String>>)> = Vec::new();
    let snippets: Vec<String> = sites
        .iter()
        .map(|site| {
            if !files.iter().any(|(file, _)| *file == site.file) {
                let lines = source(site.file).map(|text| text.lines().map(str::to_owned).collect());
                files.push((site.file, lines));
            }
            let lines = files
                .iter()
                .find(|(file, _)| *file == site.file)
                .and_then(|(_, lines)| lines.as_ref());
            let snippet = match lines {
                Some(lines) if (site.line as usize) <= lines.len() && site.line > 0 => {
                    let first = site.line.saturating_sub(CONTEXT).max(1);
                    let last = (site.line + CONTEXT).min(lines.len() as u32);
                    let text: Vec<String> = (first..=last)
                        .map(|line| json(&lines[line as usize - 1]))
                        .collect();
                    format!("{{\"first\":{first},\"lines\":[{}]}}", text.join(","))
                }
                _ => "null".to_owned(),
            };
            format!("{}:{snippet}", json(&site.to_string()))
        })
        .collect();
    out.push_str(&snippets.join(","));
    out.push_str("}}");
    out
}

/// The condition variable `thread` sleeps on just after `row`, if it does.
fn asleep_after(trace: &Trace, steps: &[Step], thread: usize, row: usize) -> Option<usize> {
    steps[..=row]
        .iter()
        .rev()
        .filter(|step| step.thread == thread)
        .find_map(|step| match trace.events[step.event].action {
            Action::Wait { condvar, .. } => Some(Some(condvar)),
            Action::Woken { .. } | Action::Spurious { .. } | Action::Lock { .. } => Some(None),
            _ => None,
        })
        .flatten()
}

/// The page's style: system fonts, no web fonts.
const STYLE: &str = r#"
body{font:14px/1.4 system-ui,sans-serif;margin:0;padding:0 16px 24px;color:#1f2d3d;background:#fff}
h1{font-size:20px;margin:14px 0 4px}h1 .check{font-family:monospace}
h2{font-size:15px;margin:14px 0 6px}
.verdict{font-size:13px;padding:2px 8px;border-radius:4px;color:#fff;background:#7a8594;vertical-align:middle}
.verdict.fails{background:#c0392b}.verdict.limit{background:#d4a017}
.claim,.meta{margin:2px 0;color:#34495e}.message{margin:2px 0;color:#c0392b;font-weight:600}
.replay code{background:#f4f6f8;padding:2px 6px;border-radius:3px;font-size:12px;word-break:break-all}
#copied{color:#1e8449}
#meaning ul{margin:4px 0;padding-left:20px}#meaning li.bad{color:#c0392b}
main{display:flex;gap:16px;align-items:flex-start}
#steps-pane{flex:1 1 55%;min-width:0}#side{flex:1 1 45%;min-width:0;position:sticky;top:0}
.controls{margin:8px 0}.hint{color:#7a8594;font-size:12px}
button{font:inherit;padding:2px 10px;cursor:pointer}
table{border-collapse:collapse;width:100%}
#steps td,#steps th{padding:2px 6px;text-align:left;vertical-align:top}
#steps thead th{border-bottom:1px solid #b8c0cc}
#steps tbody tr[data-step]{cursor:pointer}
#steps tbody tr[data-step]:nth-child(even){background:#f6f8fa}
#steps tr.current{background:#fff3c4 !important;outline:2px solid #d4a017}
#steps td.n{color:#7a8594;text-align:right}#steps td:nth-child(2){white-space:nowrap}
#steps td.site{font-family:monospace;font-size:12px;color:#5d6d7e}
#steps tr.panic td{color:#c0392b}
#steps tbody.end th{text-align:left;padding-top:8px;color:#7a8594;font-weight:normal}
#steps tr.blocked td{color:#c0392b}
.t0{color:#1f2d3d}.t1{color:#b35900}.t2{color:#1d5fa8}.t3{color:#1e8449}.t4{color:#7d3c98}
.mark{font-size:12px;font-weight:600}.mark.bad{color:#c0392b}.mark.good{color:#1e8449}
#code{border:1px solid #d5dae1;border-radius:4px;background:#fbfcfd}
#code-where{font-family:monospace;font-size:12px;padding:4px 8px;border-bottom:1px solid #d5dae1;background:#eef1f5}
#code-lines{margin:0;padding:6px 0;font-size:12.5px;overflow-x:auto;min-height:5.5em}
#code-lines .line{display:block;padding:0 8px;white-space:pre}
#code-lines .line.hit{background:#fff3c4;box-shadow:inset 3px 0 #d4a017;font-weight:600}
#code-lines .ln{color:#7a8594;display:inline-block;width:4em}
#code-lines .none{color:#7a8594;padding:0 8px;white-space:normal}
#state td{padding:2px 6px;border-bottom:1px solid #eef1f5}#state td:first-child{font-weight:600;width:7em}
#lane{overflow:auto;border:1px solid #d5dae1}
#lane svg text[data-step]{cursor:pointer}
"#;

/// The page's script: moving through the steps. No framework, no network.
const SCRIPT: &str = r##"
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("data").textContent);
  var rows = Array.prototype.slice.call(document.querySelectorAll("#steps tr[data-step]"));
  var svg = document.querySelector("#lane svg");
  var NS = "http://www.w3.org/2000/svg";
  var cursor = null;
  if (svg) {
    cursor = document.createElementNS(NS, "rect");
    cursor.setAttribute("id", "lane-cursor");
    cursor.setAttribute("x", "2");
    cursor.setAttribute("height", "18");
    cursor.setAttribute("width", String(svg.viewBox.baseVal.width - 4));
    cursor.setAttribute("fill", "#fff3c4");
    cursor.setAttribute("stroke", "#d4a017");
    var firstText = svg.querySelector("text[data-step]");
    svg.insertBefore(cursor, svg.querySelector("rect").nextSibling);
  }
  var current = 0;
  function show(index) {
    if (rows.length === 0) { return; }
    current = Math.max(0, Math.min(rows.length - 1, index));
    var n = current + 1;
    rows.forEach(function (row, i) { row.classList.toggle("current", i === current); });
    rows[current].scrollIntoView({block: "nearest"});
    document.getElementById("position").textContent = "step " + n + " of " + rows.length;
    var step = data.steps[current];
    var where = document.getElementById("code-where");
    var code = document.getElementById("code-lines");
    code.textContent = "";
    if (step.file === null) {
      where.textContent = data.threads[step.thread] + ": a step of the checker's script";
      var none = document.createElement("div");
      none.className = "none";
      none.textContent = "No line of the pool's code: the checker's scenario narrates this step.";
      code.appendChild(none);
    } else {
      var site = step.file + ":" + step.line;
      where.textContent = site;
      where.setAttribute("data-file", step.file);
      where.setAttribute("data-line", String(step.line));
      var snippet = data.sources[site];
      if (!snippet) {
        var missing = document.createElement("div");
        missing.className = "none";
        missing.textContent = "(the source of " + step.file + " was not found when the page was written)";
        code.appendChild(missing);
      } else {
        snippet.lines.forEach(function (text, i) {
          var number = snippet.first + i;
          var line = document.createElement("span");
          line.className = number === step.line ? "line hit" : "line";
          line.setAttribute("data-line", String(number));
          var ln = document.createElement("span");
          ln.className = "ln";
          ln.textContent = String(number);
          line.appendChild(ln);
          line.appendChild(document.createTextNode(text));
          code.appendChild(line);
        });
      }
    }
    var state = document.getElementById("state");
    state.textContent = "";
    data.threads.forEach(function (name, t) {
      var tr = document.createElement("tr");
      var a = document.createElement("td");
      a.textContent = name;
      var b = document.createElement("td");
      b.textContent = step.state[t] || "holds nothing";
      tr.appendChild(a);
      tr.appendChild(b);
      state.appendChild(tr);
    });
    if (svg) {
      var text = svg.querySelector('text[data-step="' + n + '"]');
      if (text) {
        var y = Number(text.getAttribute("y")) - 13;
        cursor.setAttribute("y", String(y));
        var lane = document.getElementById("lane");
        var top = y * (svg.getBoundingClientRect().height / svg.viewBox.baseVal.height);
        if (top < lane.scrollTop || top > lane.scrollTop + lane.clientHeight - 20) {
          lane.scrollTop = Math.max(0, top - lane.clientHeight / 2);
        }
      }
      Array.prototype.forEach.call(svg.querySelectorAll("rect[data-lock]"), function (bar) {
        var from = Number(bar.getAttribute("data-from"));
        var to = bar.getAttribute("data-to");
        var held = from <= n && (to === "end" || n < Number(to));
        bar.setAttribute("width", held ? "7" : "4");
        bar.setAttribute("stroke", held ? "#1f2d3d" : "none");
      });
    }
  }
  document.getElementById("prev").addEventListener("click", function () { show(current - 1); });
  document.getElementById("next").addEventListener("click", function () { show(current + 1); });
  rows.forEach(function (row, i) { row.addEventListener("click", function () { show(i); }); });
  if (svg) {
    Array.prototype.forEach.call(svg.querySelectorAll("text[data-step]"), function (text) {
      text.addEventListener("click", function () { show(Number(text.getAttribute("data-step")) - 1); });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("a[data-goto]"), function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      show(Number(link.getAttribute("data-goto")) - 1);
    });
  });
  document.addEventListener("keydown", function (event) {
    var moves = {ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1};
    if (event.key in moves) { show(current + moves[event.key]); event.preventDefault(); }
    else if (event.key === "Home") { show(0); event.preventDefault(); }
    else if (event.key === "End") { show(rows.length - 1); event.preventDefault(); }
  });
  var copy = document.getElementById("copy");
  if (copy) {
    copy.addEventListener("click", function () {
      var text = document.getElementById("replay").textContent;
      var said = document.getElementById("copied");
      function fallback() {
        var area = document.createElement("textarea");
        area.value = text;
        document.body.appendChild(area);
        area.select();
        var ok = document.execCommand("copy");
        document.body.removeChild(area);
        said.textContent = ok ? "copied" : "select the command and copy it";
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { said.textContent = "copied"; }, fallback);
      } else { fallback(); }
    });
  }
  var start = Number((location.hash.match(/^#step-(\d+)$/) || [])[1] || 1);
  show(start - 1);
})();
"##;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Blocked, Event, Object, ObjectKind};

    const FILE: &str = "src/demos/pool.rs";

    fn trace() -> Trace {
        let at = |line| Some(Site { file: FILE, line });
        Trace {
            threads: vec!["main".into(), "worker 0".into()],
            objects: vec![
                Object {
                    kind: ObjectKind::Lock,
                    name: "L1".into(),
                    created: at(2),
                },
                Object {
                    kind: ObjectKind::Condvar,
                    name: "C1".into(),
                    created: at(3),
                },
            ],
            events: vec![
                Event {
                    thread: 0,
                    action: Action::Notify {
                        condvar: 1,
                        all: true,
                    },
                    site: at(1),
                },
                Event {
                    thread: 1,
                    action: Action::Lock { lock: 0 },
                    site: at(5),
                },
                Event {
                    thread: 1,
                    action: Action::Note("job <A> starts".into()),
                    site: None,
                },
            ],
            ends: vec![
                End::Blocked(Blocked::Lock { lock: 0 }, at(5)),
                End::Blocked(Blocked::Note("waits for job B's signal".into()), None),
            ],
            holders: vec![Some(1), None],
        }
    }

    fn source(file: &str) -> Option<String> {
        (file == FILE).then(|| (1..=9).map(|n| format!("line {n} </script>\n")).collect())
    }

    fn info() -> PageInfo {
        PageInfo {
            subject: "my<pool>".into(),
            check: "rendezvous".into(),
            claim: "both complete".into(),
            verdict: "FAILS".into(),
            message: "deadlock".into(),
            interleavings: 3,
            bound: 2,
            elapsed: std::time::Duration::from_millis(1500),
            replay: Some("WEBPOOL_CHECK=rendezvous cargo test".into()),
            cause: Some("drop(pool) never returns".into()),
            hint: Some("a <lock> held while a job runs".into()),
        }
    }

    #[test]
    fn the_page_names_the_root_cause_and_the_fix() {
        let page = render(&trace(), &info(), &source);
        assert!(page.contains("root cause: drop(pool) never returns"));
        assert!(page.contains("interleaving 3 explored (preemption bound 2), found in 1.5s"));
        assert!(page.contains("the fix: a &lt;lock&gt; held while a job runs"));
    }

    #[test]
    fn the_page_is_one_file_with_nothing_fetched() {
        let page = render(&trace(), &info(), &source);
        assert!(page.starts_with("<!DOCTYPE html>"));
        for remote in [
            "http://", "https://", "src=", "<link", "@import", "url(http",
        ] {
            let found = page
                .match_indices(remote)
                .map(|(at, _)| &page[at..(at + 60).min(page.len())])
                .filter(|hit| !hit.starts_with("http://www.w3.org/2000/svg"))
                .collect::<Vec<_>>();
            assert!(found.is_empty(), "{remote}: {found:?}");
        }
        assert!(page.contains("<svg xmlns="), "the swimlane is inline");
        assert!(page.contains("my&lt;pool&gt;"), "text is escaped");
        assert!(!page.contains("job <A>"));
    }

    #[test]
    fn each_step_carries_its_site_and_the_source_around_it() {
        let page = render(&trace(), &info(), &source);
        let data_start = page.find("id=\"data\">").expect("the data block") + 10;
        let data = &page[data_start..page[data_start..].find("</script>").unwrap() + data_start];
        assert!(!data.contains("</script>"), "no script end inside the data");
        assert!(data.contains(r#"{"thread":1,"file":"src/demos/pool.rs","line":5,"state":["","holds L1 (since step 2)"]}"#), "{data}");
        assert!(
            data.contains(r#"{"thread":1,"file":null,"line":0,"#),
            "a note has no site"
        );
        // Lines 3..=7 around line 5; lines 1..=3 around line 1.
        assert!(
            data.contains(r#""src/demos/pool.rs:5":{"first":3,"lines":["line 3 \u003c/script>","#),
            "{data}"
        );
        assert!(data.contains(r#""src/demos/pool.rs:1":{"first":1,"lines":["#));
        assert_eq!(page.matches("<tr data-step=").count(), 3);
    }

    #[test]
    fn the_meaning_is_spelled_out_and_marked_on_the_steps() {
        let page = render(&trace(), &info(), &source);
        assert!(
            page.contains("✗ woke nobody"),
            "the notify before anyone waits"
        );
        assert!(page.contains("the notify woke nobody (no thread was waiting): a lost wake-up"));
        assert!(page.contains("worker 0 takes L1 at <a href=\"#\" data-goto=\"2\">step 2</a> and still holds it at the end"));
        assert!(page.contains("main waits for L1, held by worker 0 since step 2"));
        assert!(page.contains("<code id=\"replay\">WEBPOOL_CHECK=rendezvous cargo test</code>"));
    }

    #[test]
    fn a_missing_source_leaves_the_site_without_lines() {
        let page = render(&trace(), &info(), &|_| None);
        assert!(page.contains(r#""src/demos/pool.rs:5":null"#));
    }

    #[test]
    fn the_paths_share_the_swimlane_s_stem() {
        let svg = Path::new("target/webpool-check/t/rendezvous.svg");
        assert_eq!(
            path_for(svg),
            Path::new("target/webpool-check/t/rendezvous.html")
        );
        assert_eq!(
            trace_json_path_for(svg),
            Path::new("target/webpool-check/t/rendezvous.trace.json")
        );
    }

    #[test]
    fn sources_are_found_from_the_working_directory_or_above() {
        assert!(read_source("src/check/page.rs").is_some());
        assert!(read_source("no/such/file.rs").is_none());
    }
}
