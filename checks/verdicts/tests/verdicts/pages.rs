//! The verdict matrix's report pages: an index page linking every card's pages, and the
//! while-let deadlock's trace-event file read back as the format defines it.
//!
//! Cards run in parallel (one test each), so each writes its own row of the index
//! (`rows/SUBJECT.html`) and then rebuilds `index.html` from every row written so far, in the
//! matrix's order: the last card to finish leaves the whole matrix.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use webpool::check::{Card, Outcome};

/// `target-loom/webpool-check/webpool-verdicts/verdicts/`: where the cards of this binary write
/// their files.
fn folder() -> PathBuf {
    let exe = std::env::current_exe().expect("the path of this test binary");
    // target/PROFILE/deps/BINARY-HASH → target/
    let target = exe
        .ancestors()
        .nth(3)
        .expect("the binary is under target/PROFILE/deps/");
    target
        .join("webpool-check")
        .join(env!("CARGO_PKG_NAME"))
        .join("verdicts")
}

/// `text` with HTML's five special characters escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Writes `card`'s row of the index and rebuilds the index page.
pub fn index_row(card: &Card, subject: &str) {
    let dir = folder();
    let rows = dir.join("rows");
    fs::create_dir_all(&rows).expect("the index's folder can be created");
    let mut row = format!(
        "<tr><th>{}</th><td class=\"time\">{:.1?}</td>",
        escape(subject),
        card.elapsed
    );
    for (check, outcome) in &card.outcomes {
        let cell = match outcome {
            Outcome::Ok { interleavings, .. } => format!(
                "<td class=\"ok\" title=\"{} interleavings\">ok<small>{interleavings}</small></td>",
                interleavings
            ),
            Outcome::Undecided { message } => {
                format!(
                    "<td class=\"limit\" title=\"{}\">undecided</td>",
                    escape(message)
                )
            }
            Outcome::NotApplicable { reason } => {
                format!("<td class=\"limit\" title=\"{}\">n/a</td>", escape(reason))
            }
            Outcome::Limit { message, .. } | Outcome::Design { message, .. } => {
                format!(
                    "<td class=\"limit\" title=\"{}\">{}</td>",
                    escape(message),
                    super::cell(outcome)
                )
            }
            Outcome::Fails {
                message,
                interleaving,
                svg,
                replay,
                ..
            } => {
                let page = svg
                    .as_deref()
                    .map(webpool::check::page::path_for)
                    .filter(|page| page.exists());
                let link = page.and_then(|page| {
                    page.strip_prefix(&dir)
                        .ok()
                        .map(|relative| relative.to_string_lossy().into_owned())
                });
                let verdict = match link {
                    Some(link) => format!("<a href=\"{}\">FAILS</a>", escape(&link)),
                    None => "FAILS".to_owned(),
                };
                let replay = replay.as_deref().map_or_else(String::new, |replay| {
                    format!("&#10;replay: {}", escape(replay))
                });
                format!(
                    "<td class=\"fails\" title=\"{} (interleaving {interleaving}){replay}\">{verdict}</td>",
                    escape(message)
                )
            }
        };
        let _ = write!(row, "<!-- {check} -->{cell}");
    }
    row.push_str("</tr>\n");
    fs::write(rows.join(format!("{subject}.html")), row).expect("the index row is written");
    write_index(&dir, card);
}

/// Rebuilds `index.html` from the rows written so far, in the matrix's order.
fn write_index(dir: &Path, card: &Card) {
    let order: Vec<&str> = super::MATRIX
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .skip(1)
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    let mut body = String::new();
    for subject in &order {
        if let Ok(row) = fs::read_to_string(dir.join("rows").join(format!("{subject}.html"))) {
            body.push_str(&row);
        }
    }
    let header: String = card
        .outcomes
        .iter()
        .map(|(check, _)| format!("<th>{}</th>", escape(check)))
        .collect();
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>webpool: the verdict matrix</title>\n<style>\n\
         body{{font:14px/1.4 system-ui,sans-serif;margin:16px;color:#1f2d3d}}\n\
         table{{border-collapse:collapse}}td,th{{padding:4px 10px;border:1px solid #d5dae1;text-align:left}}\n\
         td.ok{{color:#1e8449}}td.ok small{{color:#7a8594;margin-left:6px}}\
         td.fails,td.fails a{{color:#c0392b;font-weight:600}}td.limit{{color:#b7950b}}\
         td.time{{color:#7a8594;font-size:12px}}\n</style>\n</head>\n<body>\n\
         <h1>The verdict matrix</h1>\n<p>Every pool of the catalog against every check, under loom. \
         Each FAILS links to its report page (the steps beside the code, the swimlane); hover \
         a cell for what loom saw and the replay command.</p>\n\
         <table>\n<thead><tr><th>pool</th><th>card time</th>{header}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>\n\
         </body>\n</html>\n"
    );
    // Write then rename: another card may be rebuilding the page at the same moment, in this
    // process (the matrix's tests run on several threads) or another, so the temporary file
    // is this write's own: the process id and a number no other write of it takes.
    static WRITES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let write = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temporary = dir.join(format!("index.html.{}.{write}", std::process::id()));
    fs::write(&temporary, page).expect("the index page is written");
    fs::rename(&temporary, dir.join("index.html")).expect("the index page is moved into place");
}

/// For the while-let pool: reads its rendezvous deadlock's `trace.json` as the Chrome
/// trace-event format defines it, and finds one track per thread of the trace.
pub fn assert_trace_events(card: &Card, subject: &str) {
    if subject != "while-let" {
        return;
    }
    let Some(Outcome::Fails { svg: Some(svg), .. }) = card.outcome("rendezvous") else {
        panic!("while-let: rendezvous fails with a swimlane");
    };
    let file = webpool::check::page::trace_json_path_for(svg);
    let text = fs::read_to_string(&file)
        .unwrap_or_else(|err| panic!("{} is written: {err}", file.display()));
    let document: serde_json::Value = serde_json::from_str(&text).expect("trace.json is JSON");
    let events = document
        .get("traceEvents")
        .and_then(serde_json::Value::as_array)
        .expect("a JSON object with a traceEvents array");
    let mut names: Vec<(u64, String)> = Vec::new();
    let mut open: std::collections::BTreeMap<u64, Vec<String>> = Default::default();
    let mut instants = 0;
    for event in events {
        for key in ["ph", "ts", "pid", "tid"] {
            assert!(event.get(key).is_some(), "every event has {key}: {event}");
        }
        let tid = event["tid"].as_u64().expect("tid is a number");
        match event["ph"].as_str().expect("ph is a string") {
            "M" if event["name"] == "thread_name" => {
                let name = event["args"]["name"].as_str().expect("a thread's name");
                names.push((tid, name.to_owned()));
            }
            "B" => open
                .entry(tid)
                .or_default()
                .push(event["name"].as_str().expect("a slice's name").to_owned()),
            "E" => {
                assert!(
                    open.entry(tid).or_default().pop().is_some(),
                    "an E on track {tid} closes a B of that track: {event}"
                );
            }
            "i" => {
                instants += 1;
                assert!(event["args"].get("site").is_some(), "{event}");
            }
            _ => {}
        }
    }
    assert!(
        open.values().all(Vec::is_empty),
        "every B is closed on its own track: {open:?}"
    );
    let tracks: Vec<&str> = names.iter().map(|(_, name)| name.as_str()).collect();
    assert_eq!(
        tracks,
        ["main", "worker 0", "worker 1"],
        "one thread_name per thread of the trace"
    );
    let mut tids: Vec<u64> = names.iter().map(|(tid, _)| *tid).collect();
    tids.dedup();
    assert_eq!(tids.len(), 3, "one track per thread");
    assert!(instants >= 12, "an instant per step: {instants}");
    // Worker 0's lock, held to the end, is a slice on its track.
    assert!(
        text.contains(r#""ph":"B","pid":1,"tid":2,"ts":8000,"name":"holds L1""#),
        "worker 0 holds L1 from step 9:\n{text}"
    );
    // Worker 1 never took a step: blocked from the step that spawned it (step 3).
    assert!(
        text.contains(
            r#""ph":"B","pid":1,"tid":3,"ts":2000,"name":"blocked: waits for L1, held by worker 0"#
        ),
        "worker 1 waits for L1 from its spawn:\n{text}"
    );
}
