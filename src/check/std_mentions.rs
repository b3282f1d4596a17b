//! A pool that swapped most of its imports for the shim's but kept one of std's runs that one
//! outside loom's view: loom then reports a "causality violation", a stuck check, or nothing at
//! all. Before the checks run, the card names every std synchronisation path left in the
//! crate's own sources, with its `file:line`, so the user knows which import to swap.
//!
//! A textual scan of `src/` under the crate being tested (cargo sets `CARGO_MANIFEST_DIR` for
//! the test binaries it runs): comments and `#[cfg(test)]` modules are skipped, and
//! `std::sync::atomic::Ordering` is exempt (the shim's atomics take std's `Ordering`). It can
//! name a path that another `cfg` keeps out of the loom build: it warns, it never fails a check.

use std::path::{Path, PathBuf};

/// The paths that name std's synchronisation or threads.
const STD_PATHS: [&str; 4] = ["std::sync", "std::thread", "core::sync", "std::{"];

/// Every line of the `.rs` files under `dir/src` that names a std synchronisation path, as
/// `src/FILE:LINE: TEXT` (the text trimmed), in file order.
pub(super) fn find(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    collect(&dir.join("src"), &mut files);
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let shown = file
            .strip_prefix(dir)
            .unwrap_or(&file)
            .display()
            .to_string();
        // A `#[cfg(test)]` module is not in the build the checks run: its lines are skipped,
        // from its `mod` line to the brace that closes it.
        let (mut test_attribute, mut test_depth) = (false, 0usize);
        for (index, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            let braces = |c| code.matches(c).count();
            if test_depth > 0 {
                test_depth = (test_depth + braces('{')).saturating_sub(braces('}'));
                continue;
            }
            if code.contains("#[cfg(test)]") {
                test_attribute = true;
                continue;
            }
            if test_attribute && code.trim_start().starts_with("mod ") && code.contains('{') {
                test_attribute = false;
                test_depth = braces('{').saturating_sub(braces('}'));
                continue;
            }
            if !code.trim().is_empty() && !code.trim_start().starts_with("#[") {
                test_attribute = false;
            }
            if names_std_sync(code) {
                found.push(format!("{shown}:{}: {}", index + 1, line.trim()));
            }
        }
    }
    found
}

/// Whether `code` (one line, comments cut) names a std synchronisation path.
fn names_std_sync(code: &str) -> bool {
    let code = code.replace("std::sync::atomic::Ordering", "");
    STD_PATHS.iter().any(|path| match *path {
        // A grouped import names its members after the brace: `use std::{sync::Mutex, ...}`.
        "std::{" => code.contains("std::{") && (code.contains("sync") || code.contains("thread")),
        path => code.contains(path),
    })
}

/// The `.rs` files under `dir`, recursively.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn std_sync_paths_are_named_and_comments_and_ordering_are_not() {
        for (line, named) in [
            ("use std::sync::{Arc, Mutex};", true),
            ("use std::thread;", true),
            ("let t = std::thread::spawn(f);", true),
            ("use std::{sync::mpsc, thread};", true),
            ("use core::sync::atomic::AtomicUsize;", true),
            ("use std::sync::atomic::Ordering;", false),
            ("use webpool::sync::{mpsc, thread, Arc, Mutex};", false),
            ("use std::{collections::HashMap, fmt};", false),
            ("let x = 1; // was std::sync::Mutex", false),
        ] {
            let code = line.split("//").next().unwrap_or_default();
            assert_eq!(names_std_sync(code), named, "{line}");
        }
    }

    #[test]
    fn a_crate_is_scanned_with_file_and_line() {
        let dir = std::env::temp_dir().join(format!("webpool-std-mentions-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src/pool")).unwrap();
        std::fs::write(
            dir.join("src/lib.rs"),
            "mod pool;\nuse webpool::sync::Mutex;\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("src/pool/worker.rs"),
            "// std::thread in a comment\nuse std::sync::mpsc;\n#[cfg(test)]\nmod tests {\n    use std::thread;\n    fn f() {\n        std::sync::Barrier::new(2);\n    }\n}\nfn g() -> std::thread::ThreadId {}\n",
        )
        .unwrap();
        assert_eq!(
            find(&dir),
            vec![
                "src/pool/worker.rs:2: use std::sync::mpsc;".to_owned(),
                "src/pool/worker.rs:10: fn g() -> std::thread::ThreadId {}".to_owned(),
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
