//! Where things are: the crate to check (a folder, or `NAME@VERSION` unpacked by cargo from the
//! registry), and the target folder everything the tool writes goes under.
//!
//! cargo is only ever run on folders the tool made (the registry fetch's scratch manifest) or
//! on the workspace the command runs in with `metadata --no-deps` (which reads, and writes no
//! lock file): never on the user's crate, whose `Cargo.lock` a resolve would rewrite.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::scratch::write_if_changed;

/// The crate the user named.
#[derive(Debug, PartialEq, Eq)]
pub enum Spec {
    /// A folder holding a Cargo.toml.
    Path(PathBuf),
    /// A crate on crates.io, at an exact version.
    Registry { name: String, version: String },
}

impl Spec {
    /// Reads the command line's crate argument: an existing folder, else `NAME@VERSION`.
    ///
    /// # Errors
    ///
    /// If it is neither.
    pub fn parse(text: &str) -> Result<Spec, String> {
        let path = Path::new(text);
        if path.is_dir() {
            return Ok(Spec::Path(path.to_path_buf()));
        }
        match text.split_once('@') {
            Some((name, version)) if !name.is_empty() && !version.is_empty() => {
                Ok(Spec::Registry {
                    name: name.to_owned(),
                    version: version.trim_start_matches('=').to_owned(),
                })
            }
            _ => Err(format!(
                "{text}: no such folder, and not NAME@VERSION (e.g. threadpool@1.8.1)"
            )),
        }
    }
}

/// The cargo to run: the one that ran this subcommand (`$CARGO`), else `cargo` on the PATH.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// The target folder: `--target-dir`, else `CARGO_TARGET_DIR`, else that of the cargo
/// workspace the command runs in, as `cargo metadata` reports it.
///
/// # Errors
///
/// If none is given and the current folder is in no cargo workspace.
pub fn target_dir(flag: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(dir) = flag {
        return Ok(absolute(dir));
    }
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").filter(|dir| !dir.is_empty()) {
        return Ok(absolute(Path::new(&dir)));
    }
    let output = cargo()
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    if !output.status.success() {
        return Err(
            "the current folder is in no cargo workspace: pass --target-dir DIR (or set \
             CARGO_TARGET_DIR) to say where the scratch copy and its build go"
                .to_owned(),
        );
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|err| format!("cargo metadata: {err}"))?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata names no target_directory".to_owned())
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Downloads `name` at `version` (exactly) from the registry with cargo, through a scratch
/// manifest in `work` that depends on it, and returns the folder cargo unpacked it to (in
/// cargo's registry cache: read, never written, by the tool). `lock` seeds the scratch
/// manifest's lock file, so that a crate already locked there needs no index update.
///
/// # Errors
///
/// If cargo cannot resolve or download it.
pub fn fetch(
    name: &str,
    version: &str,
    work: &Path,
    lock: Option<&Path>,
) -> Result<PathBuf, String> {
    let manifest = format!(
        "# Written by cargo pool-check to download {name} {version}; nothing is built here.\n\
         [package]\nname = \"pool-check-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
         publish = false\n\n[lib]\npath = \"lib.rs\"\n\n[dependencies]\n\
         {name} = \"={version}\"\n\n[workspace]\n"
    );
    let write = |path: &Path, text: &[u8]| {
        write_if_changed(path, text).map_err(|err| format!("{}: {err}", path.display()))
    };
    write(&work.join("Cargo.toml"), manifest.as_bytes())?;
    write(&work.join("lib.rs"), b"")?;
    if let Some(lock) = lock.filter(|_| !work.join("Cargo.lock").exists()) {
        if let Ok(text) = fs::read(lock) {
            write(&work.join("Cargo.lock"), &text)?;
        }
    }
    let output = cargo()
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(work.join("Cargo.toml"))
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    if !output.status.success() {
        return Err(format!("cargo could not fetch {name}@{version}"));
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|err| format!("cargo metadata: {err}"))?;
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    let found = packages.iter().find(|package| {
        package["name"] == name
            && package["source"].as_str().is_some_and(|source| {
                source.starts_with("registry+") || source.starts_with("sparse+")
            })
    });
    let manifest_path = found
        .and_then(|package| package["manifest_path"].as_str())
        .ok_or_else(|| format!("cargo metadata does not list {name}"))?;
    Ok(Path::new(manifest_path)
        .parent()
        .unwrap_or(Path::new("/"))
        .to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_is_a_folder_or_name_at_version() {
        assert_eq!(
            Spec::parse("threadpool@1.8.1"),
            Ok(Spec::Registry {
                name: "threadpool".into(),
                version: "1.8.1".into()
            })
        );
        assert_eq!(Spec::parse("."), Ok(Spec::Path(".".into())));
        assert!(Spec::parse("no-such-folder").is_err());
        assert!(Spec::parse("@1.0").is_err());
    }
}
