//! The scratch copy: the user's crate copied under the target folder, its library's sync paths
//! rewritten, its manifest given webpool, and the harness added. The user's folder is only
//! read.
//!
//! A file is written only when its content changed, so a rerun leaves the copy's files (and
//! their modification times) as they were, and cargo rebuilds nothing.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::manifest::{self, Additions, Package};
use crate::modules;
use crate::rewrite::{self, Finding, Severity};

/// The harness's test target name and file, in the copy.
pub const TEST_NAME: &str = "pool_check";
/// See [`TEST_NAME`].
pub const TEST_PATH: &str = "tests/pool_check.rs";

/// What preparing the copy found and did.
pub struct Prepared {
    /// Findings, with the file (relative to the crate) they are in, in file order.
    pub findings: Vec<(PathBuf, Finding)>,
    /// How many places were rewritten.
    pub edits: usize,
    /// How many library files were read.
    pub library_files: usize,
}

impl Prepared {
    /// Whether anything found stops the run.
    pub fn has_errors(&self) -> bool {
        self.findings
            .iter()
            .any(|(_, finding)| finding.severity == Severity::Error)
    }
}

/// What [`prepare`] needs.
pub struct Plan<'a> {
    /// The user's crate (absolute; only read).
    pub original: &'a Path,
    /// The copy's folder (created if missing).
    pub scratch: &'a Path,
    /// The crate's package facts.
    pub package: &'a Package,
    /// This webpool checkout (absolute).
    pub webpool_dir: &'a Path,
    /// The harness's text.
    pub harness: &'a str,
    /// Folders of the original never copied (the target folder, if it is inside the crate).
    pub skip: &'a [PathBuf],
}

/// Writes the scratch copy.
///
/// # Errors
///
/// If a file cannot be read or written, or the manifest is not TOML.
pub fn prepare(plan: &Plan<'_>) -> Result<Prepared, String> {
    let fail = |path: &Path, err: io::Error| format!("{}: {err}", path.display());
    let mut files = Vec::new();
    list_files(plan.original, Path::new(""), plan.skip, &mut files)
        .map_err(|err| fail(plan.original, err))?;
    let library: BTreeSet<PathBuf> =
        modules::library_files(plan.original, Path::new(&plan.package.lib_path))
            .into_iter()
            .collect();

    let mut prepared = Prepared {
        findings: Vec::new(),
        edits: 0,
        library_files: library.len(),
    };
    let mut features = BTreeSet::new();
    let mut written = BTreeSet::new();
    for file in &files {
        // The manifest and lock file are the copy's own; the harness replaces any file of
        // the same name.
        if ["Cargo.toml", "Cargo.lock", TEST_PATH]
            .iter()
            .any(|name| file == Path::new(name))
        {
            continue;
        }
        let from = plan.original.join(file);
        let bytes = fs::read(&from).map_err(|err| fail(&from, err))?;
        let bytes = if library.contains(file) {
            let text =
                String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8", file.display()))?;
            let rewritten = rewrite::rewrite(&text).map_err(|err| {
                let at = err.span().start();
                format!("{}:{}:{}: {err}", file.display(), at.line, at.column + 1)
            })?;
            prepared.edits += rewritten.edits;
            features.extend(rewritten.features);
            prepared
                .findings
                .extend(rewritten.findings.into_iter().map(|f| (file.clone(), f)));
            let mut text = rewritten.text;
            if file == Path::new(&plan.package.lib_path) && plan.package.edition == "2015" {
                // Rust 2015 imports a crate by `extern crate`: one more item at the end of
                // the root, after its last line, so no line moves.
                if !text.ends_with('\n') {
                    text.push('\n');
                }
                text.push_str("extern crate webpool;\n");
            }
            text.into_bytes()
        } else {
            bytes
        };
        let to = plan.scratch.join(file);
        write_if_changed(&to, &bytes).map_err(|err| fail(&to, err))?;
        written.insert(file.clone());
    }

    let manifest_path = plan.original.join("Cargo.toml");
    let manifest_text =
        fs::read_to_string(&manifest_path).map_err(|err| fail(&manifest_path, err))?;
    let features: Vec<&str> = features.into_iter().collect();
    let manifest = manifest::for_scratch(
        &manifest_text,
        &Additions {
            original_dir: plan.original,
            webpool_dir: plan.webpool_dir,
            features: &features,
            test_name: TEST_NAME,
            test_path: TEST_PATH,
        },
    )?;
    for (file, bytes) in [
        ("Cargo.toml", manifest.as_bytes()),
        (TEST_PATH, plan.harness.as_bytes()),
    ] {
        let to = plan.scratch.join(file);
        write_if_changed(&to, bytes).map_err(|err| fail(&to, err))?;
        written.insert(PathBuf::from(file));
    }

    // The lock file: the copy's own from an earlier run, else webpool's with the crate's
    // own pins added (see `lock`).
    let lock = plan.scratch.join("Cargo.lock");
    written.insert(PathBuf::from("Cargo.lock"));
    if !lock.exists() {
        let webpool_lock = plan.webpool_dir.join("Cargo.lock");
        let ours = fs::read_to_string(&webpool_lock).map_err(|err| fail(&webpool_lock, err))?;
        let theirs = fs::read_to_string(plan.original.join("Cargo.lock")).ok();
        let seeded = crate::lock::seed(&ours, theirs.as_deref());
        write_if_changed(&lock, seeded.as_bytes()).map_err(|err| fail(&lock, err))?;
    }

    remove_stale(plan.scratch, Path::new(""), &written).map_err(|err| fail(plan.scratch, err))?;
    Ok(prepared)
}

/// Every file under `root/dir`, relative to `root`, but `.git`, a top-level `target` and the
/// `skip` folders.
fn list_files(root: &Path, dir: &Path, skip: &[PathBuf], out: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(root.join(dir))?.collect::<io::Result<_>>()?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let relative = dir.join(entry.file_name());
        let absolute = root.join(&relative);
        if entry.file_name() == ".git"
            || (dir.as_os_str().is_empty() && entry.file_name() == "target")
            || skip.iter().any(|skip| same_file(skip, &absolute))
        {
            continue;
        }
        // Through symbolic links: the copy holds what the original's build would read.
        let meta = fs::metadata(&absolute)?;
        if meta.is_dir() {
            list_files(root, &relative, skip, out)?;
        } else if meta.is_file() {
            out.push(relative);
        }
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Removes the files under `root/dir` that this run did not write (left from an earlier
/// version of the crate), keeping `written`.
fn remove_stale(root: &Path, dir: &Path, written: &BTreeSet<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(root.join(dir))? {
        let entry = entry?;
        let relative = dir.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            remove_stale(root, &relative, written)?;
            if fs::read_dir(root.join(&relative))?.next().is_none() {
                fs::remove_dir(root.join(&relative))?;
            }
        } else if !written.contains(&relative) {
            fs::remove_file(root.join(&relative))?;
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` (creating its folder) unless it already holds exactly them.
///
/// # Errors
///
/// As [`fs::write`] and [`fs::create_dir_all`].
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(path, bytes)
}
