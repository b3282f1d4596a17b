//! Each crate of `zoo.txt` checked by `cargo pool-check`, as a user runs it, and its card's
//! verdicts compared with `expected/NAME-VERSION.txt` (one `CHECK VERDICT` line per check).
//! With `WEBPOOL_UPDATE_ZOO=1` the files are written instead, for review.
//!
//! The first run builds webpool under loom in the tool's own target folder
//! (`target/pool-check/target`, under a minute on 2 quiet cores); each card then takes seconds.

use std::path::Path;
use std::process::Command;

/// The workspace's root (this package is `checks/zoo`).
fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The card's verdict lines in `card`: `CHECK VERDICT`, in the card's order.
fn verdicts(card: &str) -> Vec<String> {
    card.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let verdict = words.next()?;
            let check = words.next()?;
            let is_verdict = ["ok", "FAILS", "design", "limit", "n/a", "??"].contains(&verdict);
            let is_check = line.starts_with("  ") && !line.starts_with("   ");
            (is_verdict && is_check).then(|| format!("{check} {verdict}"))
        })
        .collect()
}

#[test]
fn the_zoo_gets_its_verdicts_with_no_edit() {
    let zoo = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("zoo.txt"))
        .expect("zoo.txt is there");
    let update = std::env::var_os("WEBPOOL_UPDATE_ZOO").is_some();
    let mut differences = Vec::new();
    for entry in zoo
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
    {
        let mut words = entry.split_whitespace();
        let spec = words.next().expect("a line names its crate");
        let flags: Vec<&str> = words.collect();
        let started = std::time::Instant::now();
        let output = Command::new(env!("CARGO"))
            .current_dir(root())
            .args(["run", "--quiet", "-p", "cargo-pool-check", "--"])
            .args(["pool-check", spec])
            .args(&flags)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_TARGET_DIR")
            .output()
            .expect("cargo runs the tool");
        let card = String::from_utf8_lossy(&output.stderr);
        eprintln!("{card}");
        let found = verdicts(&card);
        assert!(
            found.len() == 10,
            "{spec}: the card has a verdict per check (found {found:?}); the tool said:\n{card}"
        );
        eprintln!("zoo: {spec}: card in {:.1?}", started.elapsed());
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("expected")
            .join(format!("{}.txt", spec.replace('@', "-")));
        let text = found.join("\n") + "\n";
        if update {
            std::fs::write(&file, &text).expect("the expected card is written");
            continue;
        }
        let expected = std::fs::read_to_string(&file).unwrap_or_default();
        if expected != text {
            differences.push(format!("{spec}: expected\n{expected}found\n{text}"));
        }
        // The tool's exit code is the card's: non-zero exactly when a check FAILS.
        let fails = found.iter().any(|line| line.ends_with(" FAILS"));
        assert_eq!(
            !output.status.success(),
            fails,
            "{spec}: exit status {:?}",
            output.status
        );
    }
    assert!(
        differences.is_empty(),
        "the zoo's verdicts changed (refresh with WEBPOOL_UPDATE_ZOO=1 after review):\n{}",
        differences.join("\n")
    );
}

/// Every FAILS of the zoo's expected cards names its evidence on real threads: a test in
/// `tests/evidence.rs` whose doc comment starts `NAME VERSION, `CHECK` FAILS`. A FAILS with no
/// such test is a checker bug until shown otherwise.
#[test]
fn every_fails_in_the_zoo_has_evidence_on_real_threads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let evidence =
        std::fs::read_to_string(dir.join("tests/evidence.rs")).expect("tests/evidence.rs is there");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(dir.join("expected")).expect("expected/ is there") {
        let path = entry.expect("expected/ can be listed").path();
        let card = std::fs::read_to_string(&path).expect("an expected card can be read");
        let stem = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or_default();
        let (name, version) = stem.rsplit_once('-').expect("expected/NAME-VERSION.txt");
        for check in card.lines().filter_map(|line| line.strip_suffix(" FAILS")) {
            let claim = format!("/// {name} {version}, `{check}` FAILS");
            if !evidence.contains(&claim) {
                missing.push(claim);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "FAILS in the zoo with no evidence on real threads in tests/evidence.rs:\n{}",
        missing.join("\n")
    );
}
