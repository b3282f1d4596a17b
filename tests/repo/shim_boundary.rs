//! The library names `std::sync`, `std::thread`, `loom` and `shuttle` in one place only, the
//! shim (`src/sync.rs` and `src/sync/`), so that under `--cfg loom` (or `--cfg shuttle`) every
//! lock, atomic and thread the library uses is the checker's and the models check the very code
//! that runs. This test reads the library's source and fails on any other mention in code.
//!
//! Why a test and not clippy's `disallowed-methods`/`disallowed-types`: those lints judge the
//! path an item resolves to, and the shim re-exports std's items under the same names, so a lint
//! that forbade `std::thread::spawn` would also forbid every use of the shim's `thread::spawn`.
//! What the rule forbids is *naming* std's module outside the shim, which only the source shows.
//!
//! Exempt, with their reasons:
//! - `#[cfg(test)]` unit-test modules (by the house rule, and clippy's `items_after_test_module`,
//!   the last item of their file): they are built only without loom or shuttle and drive the
//!   code under test from plain std threads; they are not part of any model.
//! - Comments, including doc examples: doctests are separate crates.
//! - `src/main.rs`: the binary, outside the library; its signal thread is never model-checked.
//! - `src/check/`: the checker, not code it checks. It runs loom's models itself
//!   (`loom::model`), builds the catalog's models from loom's types, and watches child
//!   processes from std threads; its messages quote `std::thread` to users.

use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            into.push(path);
        }
    }
}

/// The code of one line: without a trailing `// comment`, empty for a comment line.
fn code_of(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with("//") {
        return "";
    }
    match line.find(" //") {
        Some(at) => &line[..at],
        None => line,
    }
}

/// Whether `code` names std's `sync` or `thread` modules, loom, or shuttle.
fn names_a_shimmed_module(code: &str) -> bool {
    let grouped_std_import = code.contains("std::{")
        && code
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .any(|word| word == "sync" || word == "thread" || word == "thread_local");
    code.contains("std::sync")
        || code.contains("std::thread")
        || code.contains("loom::")
        || code.contains("shuttle::")
        || grouped_std_import
}

#[test]
fn only_the_shim_names_std_sync_std_thread_loom_or_shuttle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let exempt = [src.join("sync.rs"), src.join("main.rs")];
    let exempt_dirs = [src.join("sync"), src.join("check")];
    let mut found = Vec::new();
    let mut checked = 0;
    for file in &files {
        if exempt.contains(file) || exempt_dirs.iter().any(|dir| file.starts_with(dir)) {
            continue;
        }
        checked += 1;
        let text = fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            let code = code_of(line);
            let next = lines.get(index + 1).map_or("", |l| l.trim_start());
            if code.trim_start().starts_with("#[cfg(")
                && code.contains("test")
                && next.starts_with("mod tests")
            {
                break; // the unit tests, last in the file
            }
            if names_a_shimmed_module(code) {
                let shown = file.strip_prefix(&src).unwrap().display();
                found.push(format!("src/{shown}:{}: {}", index + 1, line.trim()));
            }
        }
    }
    assert!(
        checked >= 20,
        "only {checked} files checked: is the walk broken?"
    );
    assert!(
        found.is_empty(),
        "name these through the shim (crate::sync) instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scan_sees_what_it_must() {
    assert!(names_a_shimmed_module(
        "    None => std::thread::available_parallelism()"
    ));
    assert!(names_a_shimmed_module("use std::sync::Arc;"));
    assert!(names_a_shimmed_module("use std::{io, sync::Mutex};"));
    assert!(names_a_shimmed_module("    std::thread_local! {"));
    assert!(names_a_shimmed_module("use loom::sync::Arc;"));
    assert!(names_a_shimmed_module("    shuttle::thread::yield_now();"));
    assert!(!names_a_shimmed_module(
        "use crate::sync::{self, thread, Arc};"
    ));
    assert!(!names_a_shimmed_module("use std::{io, net::TcpStream};"));
    assert_eq!(code_of("    /// std::thread::spawn(|| {})"), "");
    assert_eq!(
        code_of("let a = 1; // std::sync is fine here"),
        "let a = 1;"
    );
}
