//! How a check's test binary is driven: the environment variables the parent, its children and
//! the user set, and the command line that replays a recorded interleaving. One place, so the
//! command the card prints (parent) and the one the report page shows (child) are the same.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Names the check a child process runs: `TEST|CHECK|MODE`.
pub(super) const CHILD_ENV: &str = "WEBPOOL_CHECK_CHILD";
/// Where a child writes its results.
pub(super) const DIR_ENV: &str = "WEBPOOL_CHECK_DIR";
/// Which checks to run (comma-separated names); all if unset.
pub(super) const FILTER_ENV: &str = "WEBPOOL_CHECK";
/// A checkpoint file to replay (with `WEBPOOL_CHECK` naming its check).
pub(super) const REPLAY_ENV: &str = "WEBPOOL_CHECK_REPLAY";
/// Which wait the spurious-wake-up check makes spurious (a replay names it).
pub(super) const SPURIOUS_ENV: &str = "WEBPOOL_CHECK_SPURIOUS_AT";
/// Seconds a check may run before it is reported as hung.
pub(super) const TIMEOUT_ENV: &str = "WEBPOOL_CHECK_TIMEOUT";
/// Design properties the card must fail on when the pool lacks them (`bounded`).
pub(super) const REQUIRE_ENV: &str = "WEBPOOL_CHECK_REQUIRE";
/// The default of [`TIMEOUT_ENV`].
pub(super) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// A test binary's name without cargo's hash (`pool_check-0123abcd` → `pool_check`).
pub(super) fn binary_name(exe: &Path) -> String {
    let stem = exe
        .file_stem()
        .map_or_else(String::new, |stem| stem.to_string_lossy().into_owned());
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name.to_owned(),
        _ => stem,
    }
}

/// The command that replays the interleaving recorded in `checkpoint` for `check` of test
/// `test` in the test binary `exe` (with wait number `spurious_wait` made spurious, if any):
/// the checkpoint relative to the working folder when it is inside it, `--release` when the
/// binary is a release build.
pub(super) fn replay_command(
    check: &str,
    checkpoint: &Path,
    spurious_wait: Option<usize>,
    exe: &Path,
    test: &str,
) -> String {
    let release = exe.components().any(|part| part.as_os_str() == "release");
    let checkpoint = std::env::current_dir()
        .ok()
        .and_then(|here| checkpoint.strip_prefix(here).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| checkpoint.to_path_buf());
    let wait = spurious_wait.map_or_else(String::new, |k| format!("{SPURIOUS_ENV}={k} "));
    format!(
        "{FILTER_ENV}={check} {REPLAY_ENV}={} {wait}RUSTFLAGS=\"--cfg loom\" cargo test{} --test {} -- --exact {test} --nocapture",
        checkpoint.display(),
        if release { " --release" } else { "" },
        binary_name(exe),
    )
}

/// [`replay_command`] as a child process sees it: the test from what the parent told it
/// ([`CHILD_ENV`]), this binary, and the checkpoint the card records for `check` in `dir`.
pub(super) fn replay_command_in_child(
    check: &str,
    dir: &Path,
    spurious_wait: Option<usize>,
) -> Option<String> {
    let spec = std::env::var(CHILD_ENV).ok()?;
    let test = spec.split('|').next()?;
    let exe: PathBuf = std::env::current_exe().ok()?;
    let checkpoint = dir.join(format!("{check}.path"));
    Some(replay_command(
        check,
        &checkpoint,
        spurious_wait,
        &exe,
        test,
    ))
}
