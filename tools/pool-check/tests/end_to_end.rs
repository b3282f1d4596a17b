//! The whole tool on the fixture crate (the Rust Book's final pool, on std, unedited): it
//! builds the scratch copy under loom, runs the card, streams it, and exits with the test's
//! code; the fixture is left as it was.
//!
//! Ignored by default: the first run builds webpool and loom in release under `--cfg loom`
//! (4 minutes on a shared 2-core machine); warm, the whole test takes 3 s (the card 2 s). Run
//! it with `cargo test -p cargo-pool-check --test end_to_end -- --ignored` (CI: in the loom
//! gate, after a build that warms `target/pool-check/target`).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every file under `dir` with its bytes and modification time.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, std::time::SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let modified = fs::metadata(&path).unwrap().modified().unwrap();
                out.insert(path.clone(), (fs::read(&path).unwrap(), modified));
            }
        }
    }
    out
}

#[test]
#[ignore = "builds webpool under loom in release: run with --ignored (see the module doc)"]
fn the_books_pool_gets_its_card_with_no_edit() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/book-pool");
    let before = snapshot(&fixture);
    // Run from this crate's folder: the target folder is the workspace's, as for a user.
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-pool-check"))
        .args(["pool-check", fixture.to_str().unwrap()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    // The checker prints its card on stderr, the test harness its summary on stdout.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let card = format!("{stdout}{stderr}");
    assert_eq!(snapshot(&fixture), before, "the fixture was written to");

    assert!(
        stderr.contains("book-pool 0.1.0: 6 sync paths rewritten in 2 library files"),
        "{stderr}"
    );
    // The card names every check of the catalog, each with its verdict.
    for check in [
        "rendezvous",
        "one_job_then_drop",
        "panicking_job",
        "backlog_is_bounded",
        "drop_while_unwinding",
        "waiting_jobs",
    ] {
        assert!(card.contains(check), "no {check} in the card:\n{card}");
    }
    // The traces point into the user's files, at the user's lines: the copy has the same ones.
    assert!(card.contains("src/worker.rs:14"), "{card}");
    // The exit code is the test's: it fails exactly when a check does.
    assert_eq!(out.status.success(), !card.contains("FAILS"), "{card}");
}
