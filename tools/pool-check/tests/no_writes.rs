//! The tool only reads the user's crate and writes only under the target folder: every file of
//! the fixture crate and of the working folder keeps its bytes and modification time, no file
//! appears or goes, and a read-only copy of the crate works as well as the original. Also:
//! what the rewrite cannot handle stops the run before anything is built, and a bad flag is one
//! line and exit code 2.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

/// Every file under `dir` (relative path) with its bytes and modification time, and every
/// folder (with no bytes), so a file or folder added, removed or rewritten shows.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Option<Vec<u8>>, SystemTime)> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, (Option<Vec<u8>>, SystemTime)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            if meta.is_dir() {
                out.insert(relative, (None, meta.modified().unwrap()));
                walk(root, &path, out);
            } else {
                out.insert(
                    relative,
                    (Some(fs::read(&path).unwrap()), meta.modified().unwrap()),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/book-pool")
}

/// A fresh folder of this test's own under cargo's temporary folder for tests.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("no-writes-{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn tool(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-pool-check"))
        .arg("pool-check")
        .args(args)
        .current_dir(cwd)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

fn set_read_only(dir: &Path, read_only: bool) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            set_read_only(&path, read_only);
        }
        let mut permissions = fs::metadata(&path).unwrap().permissions();
        permissions.set_readonly(read_only);
        fs::set_permissions(&path, permissions).unwrap();
    }
    let mut permissions = fs::metadata(dir).unwrap().permissions();
    permissions.set_readonly(read_only);
    fs::set_permissions(dir, permissions).unwrap();
}

#[test]
fn the_crate_and_the_working_folder_are_left_as_they_were() {
    let root = scratch("fixture");
    let cwd = root.join("cwd");
    let target = root.join("target");
    fs::create_dir_all(&cwd).unwrap();
    fs::write(cwd.join("notes.txt"), "the user's own file\n").unwrap();
    let crate_before = snapshot(&fixture());
    let cwd_before = snapshot(&cwd);

    let out = tool(
        &cwd,
        &[
            fixture().to_str().unwrap(),
            "--target-dir",
            target.to_str().unwrap(),
            "--prepare-only",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("book-pool 0.1.0: 6 sync paths rewritten in 2 library files"),
        "{stderr}"
    );

    assert_eq!(
        snapshot(&fixture()),
        crate_before,
        "the crate was written to"
    );
    assert_eq!(
        snapshot(&cwd),
        cwd_before,
        "the working folder was written to"
    );
    // Under the test's own folder, only the target folder appeared.
    let top: Vec<_> = fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(top.len(), 2, "{top:?}");

    // The copy: the same lines, sync paths rewritten in place.
    let copy = target.join("pool-check/book-pool-0.1.0");
    let worker = fs::read_to_string(copy.join("src/worker.rs")).unwrap();
    let original = fs::read_to_string(fixture().join("src/worker.rs")).unwrap();
    assert_eq!(worker.lines().count(), original.lines().count());
    assert_eq!(
        worker.lines().nth(13),
        Some("        let thread = webpool::sync::thread::spawn(move || loop {")
    );
    assert_eq!(
        original.lines().nth(13),
        Some("        let thread = std::thread::spawn(move || loop {")
    );
    let harness = fs::read_to_string(copy.join("tests/pool_check.rs")).unwrap();
    assert!(harness.contains("webpool::check_pool!(\n    book_pool::ThreadPool,\n);"));
    let manifest = fs::read_to_string(copy.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("\n[workspace]\n"), "{manifest}");

    // A rerun rewrites nothing: the copy's files keep their times, so cargo rebuilds nothing.
    let copy_before = snapshot(&copy);
    let again = tool(
        &cwd,
        &[
            fixture().to_str().unwrap(),
            "--target-dir",
            target.to_str().unwrap(),
            "--prepare-only",
        ],
    );
    assert!(again.status.success());
    assert_eq!(snapshot(&copy), copy_before);
}

#[test]
fn a_read_only_crate_is_checked_as_well() {
    let root = scratch("read-only");
    let krate = root.join("crate");
    copy_dir(&fixture(), &krate);
    set_read_only(&krate, true);
    let before = snapshot(&krate);
    let out = tool(
        &root,
        &[
            krate.to_str().unwrap(),
            "--target-dir",
            root.join("target").to_str().unwrap(),
            "--prepare-only",
        ],
    );
    let after = snapshot(&krate);
    set_read_only(&krate, false);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(after, before);
}

#[test]
fn what_cannot_be_rewritten_is_named_and_nothing_runs() {
    let root = scratch("refused");
    let krate = root.join("weak-pool");
    fs::create_dir_all(krate.join("src")).unwrap();
    fs::write(
        krate.join("Cargo.toml"),
        "[package]\nname = \"weak-pool\"\nversion = \"0.2.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    fs::write(
        krate.join("src/lib.rs"),
        "use std::sync::{Arc, Weak};\nuse std::thread;\n\npub struct ThreadPool(Arc<()>);\n\nfn f() {\n    thread::sleep_ms(1);\n}\n",
    )
    .unwrap();
    let target = root.join("target");
    let out = tool(
        &root,
        &[
            krate.to_str().unwrap(),
            "--target-dir",
            target.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let shown = krate.display();
    assert_eq!(
        stderr,
        format!(
            "{shown}/src/lib.rs:1:22: std::sync::Weak: not in webpool's shim (loom models no Weak)\n\
             {shown}/src/lib.rs:7:13: std::thread::sleep_ms: not in webpool's shim (deprecated; `sleep` is in the shim)\n\
             cargo pool-check: the code above cannot be checked under loom as it is; nothing was run (--force runs anyway)\n"
        )
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !target.join("pool-check/target").exists(),
        "cargo ran: the build folder exists"
    );
}

#[test]
fn a_bad_flag_is_one_line_and_exit_code_2() {
    let root = scratch("flags");
    for (args, first_words) in [
        (
            &["--shutdwon", "join"][..],
            "error: unexpected argument '--shutdwon' found",
        ),
        (
            &[".", "--require", "fast"][..],
            "error: invalid value 'fast' for '--require <PROPERTY>'",
        ),
        (
            &[".", "--scoped", "scoped", "--execute", "spawn"][..],
            "error: the argument '--scoped <EXPR|PRESET>' cannot be used with '--execute <EXPR|PRESET>'",
        ),

        (
            &["no-such-folder"][..],
            "cargo pool-check: no-such-folder: no such folder, and not NAME@VERSION",
        ),
    ] {
        let out = tool(&root, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with(first_words), "{args:?}: {stderr}");
    }
}

/// The run itself, with a stand-in for cargo (`$CARGO`, which cargo sets for a subcommand):
/// the command line and environment the card runs with, and its exit code passed through.
#[cfg(unix)]
#[test]
fn the_card_runs_under_loom_in_release_and_its_exit_code_is_the_tools() {
    use std::os::unix::fs::PermissionsExt;

    let root = scratch("fake-cargo");
    let record = root.join("record.txt");
    let fake = root.join("cargo");
    fs::write(
        &fake,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$PWD\" \"$*\" \"RUSTFLAGS=$RUSTFLAGS\" \
             \"WEBPOOL_CHECK_REQUIRE=$WEBPOOL_CHECK_REQUIRE\" > {}\nexit 7\n",
            record.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).unwrap();
    let target = root.join("target");
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-pool-check"))
        .args(["pool-check", fixture().to_str().unwrap(), "--target-dir"])
        .arg(&target)
        .args(["--require", "bounded", "--shutdown", "|pool| drop(pool)"])
        .current_dir(&root)
        .env("CARGO", &fake)
        .env("RUSTFLAGS", "-Cdebug-assertions")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copy = target.join("pool-check/book-pool-0.1.0");
    let recorded = fs::read_to_string(&record).unwrap();
    assert_eq!(
        recorded,
        format!(
            "{copy}\ntest --release --test pool_check --manifest-path {copy}/Cargo.toml \
             --target-dir {shared} -- --nocapture\nRUSTFLAGS=-Cdebug-assertions --cfg loom\n\
             WEBPOOL_CHECK_REQUIRE=bounded\n",
            copy = copy.display(),
            shared = target.join("pool-check/target").display()
        )
    );
    let harness = fs::read_to_string(copy.join("tests/pool_check.rs")).unwrap();
    assert!(
        harness.ends_with("webpool::check_pool!(\n    book_pool::ThreadPool,\n    shutdown = |pool| drop(pool),\n);\n"),
        "{harness}"
    );
}

#[test]
fn force_goes_on_past_what_cannot_be_rewritten() {
    let root = scratch("force");
    let krate = root.join("weak-pool");
    fs::create_dir_all(krate.join("src")).unwrap();
    fs::write(
        krate.join("Cargo.toml"),
        "[package]\nname = \"weak-pool\"\nversion = \"0.2.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    fs::write(krate.join("src/lib.rs"), "use std::sync::Weak;\n").unwrap();
    let out = tool(
        &root,
        &[
            krate.to_str().unwrap(),
            "--target-dir",
            root.join("target").to_str().unwrap(),
            "--prepare-only",
            "--force",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("src/lib.rs:1:16: std::sync::Weak"),
        "{stderr}"
    );
    assert_eq!(
        fs::read_to_string(root.join("target/pool-check/weak-pool-0.2.0/src/lib.rs")).unwrap(),
        "use webpool::sync::Weak;\n"
    );
}
