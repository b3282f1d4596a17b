//! `cargo pool-check`: webpool's check card on an unmodified crate.
//!
//! ```text
//! cargo pool-check path/to/my-pool
//! cargo pool-check threadpool@1.8.1 --shutdown join
//! ```
//!
//! The crate is copied into `<target>/pool-check/<name>-<version>/`; in the copy, its library's
//! `std::sync`/`std::thread` paths (and `crossbeam_channel`/`parking_lot`) become webpool's
//! loom-backed shim, webpool becomes a dependency, and `tests/pool_check.rs` holds one
//! `webpool::check_pool!` call. Then `cargo test --release --test pool_check` runs there under
//! `RUSTFLAGS="--cfg loom"`, with a target folder every scratch copy shares
//! (`<target>/pool-check/target`), and its card streams to the terminal. The exit code is the
//! test's. The user's files are only read; the tool writes under the target folder only.
//!
//! What the rewrite cannot handle (an item the shim lacks, a crate loom cannot see, FFI) is
//! listed as `file:line:column: ...` before anything runs, and stops the run unless `--force`.

mod harness;
mod lock;
mod manifest;
mod modules;
mod names;
mod rewrite;
mod scratch;
mod source;

use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::Instant;

use clap::Parser;

use crate::rewrite::Severity;
use crate::source::Spec;

/// cargo runs `cargo-pool-check pool-check ARGS...` for `cargo pool-check ARGS...`.
#[derive(Parser)]
#[command(name = "cargo", bin_name = "cargo")]
enum Cargo {
    PoolCheck(Args),
}

/// Runs webpool's thread-pool bug catalog under loom on a crate you have not edited: a local
/// folder, or NAME@VERSION from crates.io.
#[derive(clap::Args)]
#[command(name = "pool-check", version)]
struct Args {
    /// The crate: a folder with a Cargo.toml, or NAME@VERSION from crates.io.
    #[arg(value_name = "PATH|NAME@VERSION")]
    krate: String,

    /// The pool's type. Default: `<crate>::ThreadPool`.
    #[arg(long = "type", value_name = "PATH")]
    pool_type: Option<String>,

    /// How to build a pool of `size` workers: a closure `|size| ...` or a preset.
    #[arg(long, value_name = "EXPR|PRESET", long_help = format!(
        "How to build a pool of `size` workers: a Rust closure `|size| ...`, or a preset \
         ({}). `<Pool>` in a closure stands for the pool's type.",
        harness::help(harness::NEW)
    ))]
    new: Option<String>,

    /// How to submit a job (a `Box<dyn FnOnce() + Send>`): a closure `|pool, job| ...` or a
    /// preset.
    #[arg(long, value_name = "EXPR|PRESET", long_help = format!(
        "How to submit a job (a `Box<dyn FnOnce() + Send>`): a Rust closure \
         `|pool, job| ...`, or a preset ({}).",
        harness::help(harness::EXECUTE)
    ))]
    execute: Option<String>,

    /// How to shut the pool down: a closure `|pool| ...` or a preset.
    #[arg(long, value_name = "EXPR|PRESET", long_help = format!(
        "How to shut the pool down at the end of each check: a Rust closure `|pool| ...` (it \
         owns the pool), or a preset ({}).",
        harness::help(harness::SHUTDOWN)
    ))]
    shutdown: Option<String>,

    #[arg(long, value_name = "EXPR|PRESET", long_help = format!(
        "How to join the pool (wait for every job submitted so far), if it can: a Rust \
         closure `|pool| ...`, or a preset ({}). With it the card also checks join's own \
         contract.",
        harness::help(harness::JOIN)
    ))]
    join: Option<String>,

    /// For a scoped pool: how to open a scope and submit jobs into it, instead of --execute.
    #[arg(long, value_name = "EXPR|PRESET", conflicts_with = "execute", long_help = format!(
        "For a scoped pool, whose jobs go into a scope that waits for them: how to open one \
         scope on `&mut pool` and submit into it, instead of --execute: a Rust closure \
         `|pool, body| ...` that calls `body(&|job| ...)` inside the scope, or a preset ({}). \
         The card then runs every scenario inside scopes and checks the scope's contract.",
        harness::help(harness::SCOPED)
    ))]
    scoped: Option<String>,

    /// Fail on a design property too, not only on correctness failures (passed to the check
    /// as WEBPOOL_CHECK_REQUIRE).
    #[arg(long, value_name = "PROPERTY", value_parser = ["bounded"])]
    require: Vec<String>,

    /// Where the scratch copy and its build go (under `pool-check/`). Default:
    /// CARGO_TARGET_DIR, else the target folder of the cargo workspace you are in.
    #[arg(long, value_name = "DIR")]
    target_dir: Option<PathBuf>,

    /// Run even if some code cannot be rewritten (its build or its verdict may fail).
    #[arg(long)]
    force: bool,

    /// Write the scratch copy, list what was found, and stop: nothing is built or run.
    #[arg(long)]
    prepare_only: bool,
}

/// A failure, and the exit code it ends the tool with.
struct Failure {
    message: String,
    code: u8,
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure { message, code: 1 }
    }
}

/// A usage error: exit code 2, as clap's.
fn usage(message: String) -> Failure {
    Failure { message, code: 2 }
}

fn main() -> ExitCode {
    let Cargo::PoolCheck(args) = match Cargo::try_parse() {
        Ok(cargo) => cargo,
        Err(err) => return refuse_arguments(&err),
    };
    match run(&args) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("cargo pool-check: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// `--help` and `--version` print and succeed; a bad flag prints clap's first line (it names
/// the flag and what was wrong) and exits with 2, as webpool's own binary does.
fn refuse_arguments(err: &clap::Error) -> ExitCode {
    if !err.use_stderr() {
        let _ = err.print();
        return ExitCode::SUCCESS;
    }
    let message = err.render().to_string();
    let first = message.lines().next().unwrap_or("error: invalid arguments");
    eprintln!("{first} (see cargo pool-check --help)");
    ExitCode::from(2)
}

/// This webpool checkout: the shim and checker the copy depends on.
fn webpool_dir() -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    dir.canonicalize()
        .map_err(|err| format!("webpool's checkout {}: {err}", dir.display()))
}

fn run(args: &Args) -> Result<ExitCode, Failure> {
    let spec = Spec::parse(&args.krate).map_err(usage)?;
    let target = source::target_dir(args.target_dir.as_deref())?;
    let pool_dir = target.join("pool-check");
    let webpool = webpool_dir()?;

    let original = match &spec {
        Spec::Path(path) => std::path::absolute(path).map_err(|err| err.to_string())?,
        Spec::Registry { name, version } => {
            let work = pool_dir.join("fetch").join(format!("{name}-{version}"));
            source::fetch(name, version, &work, Some(&webpool.join("Cargo.lock")))?
        }
    };
    let manifest_path = original.join("Cargo.toml");
    let manifest_text = std::fs::read_to_string(&manifest_path)
        .map_err(|err| format!("{}: {err}", manifest_path.display()))?;
    let package = manifest::read(&manifest_text)?;

    let pool_type = args
        .pool_type
        .clone()
        .unwrap_or_else(|| format!("{}::ThreadPool", package.lib_name));
    syn::parse_str::<syn::Type>(&pool_type)
        .map_err(|err| usage(format!("--type {pool_type:?}: not a Rust type: {err}")))?;
    let mut keys = Vec::new();
    for (key, value, presets) in [
        ("new", &args.new, harness::NEW),
        ("execute", &args.execute, harness::EXECUTE),
        ("shutdown", &args.shutdown, harness::SHUTDOWN),
        ("join", &args.join, harness::JOIN),
        ("scoped", &args.scoped, harness::SCOPED),
    ] {
        if let Some(value) = value {
            if let Some(closure) =
                harness::resolve(key, value, presets, &package.lib_name).map_err(usage)?
            {
                keys.push((key, closure));
            }
        }
    }
    let harness = harness::text(&pool_type, &package.lib_name, &package.edition, &keys);

    let scratch_dir = pool_dir.join(format!("{}-{}", package.name, package.version));
    let prepared = scratch::prepare(&scratch::Plan {
        original: &original,
        scratch: &scratch_dir,
        package: &package,
        webpool_dir: &webpool,
        harness: &harness,
        skip: std::slice::from_ref(&target),
    })?;

    // Paths as the user knows them: relative to the crate they named.
    let shown = match &spec {
        Spec::Path(path) => path.clone(),
        Spec::Registry { name, version } => PathBuf::from(format!("{name}-{version}")),
    };
    for (file, finding) in &prepared.findings {
        let level = match finding.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        eprintln!(
            "{}:{}:{}: {level}{}",
            shown.join(file).display(),
            finding.line,
            finding.column,
            finding.message
        );
    }
    if prepared.has_errors() && !args.force {
        return Err(Failure {
            message: "the code above cannot be checked under loom as it is; nothing was run \
                      (--force runs anyway)"
                .to_owned(),
            code: 1,
        });
    }
    eprintln!(
        "cargo pool-check: {} {}: {} sync paths rewritten in {} library files; the copy is in {}",
        package.name,
        package.version,
        prepared.edits,
        prepared.library_files,
        scratch_dir.display()
    );
    if args.prepare_only {
        return Ok(ExitCode::SUCCESS);
    }
    run_card(&scratch_dir, &pool_dir.join("target"), &args.require)
}

/// Runs the harness in the copy, streaming its output; returns its exit code.
fn run_card(scratch_dir: &Path, target: &Path, require: &[String]) -> Result<ExitCode, Failure> {
    let mut command = source::cargo();
    command
        .current_dir(scratch_dir)
        .args(["test", "--release", "--test", scratch::TEST_NAME])
        .arg("--manifest-path")
        .arg(scratch_dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target)
        .args(["--", "--nocapture"])
        .env_remove("CARGO_TARGET_DIR")
        .stdin(Stdio::null());
    // `--cfg loom` on top of whatever flags the user builds with.
    if let Some(encoded) = std::env::var_os("CARGO_ENCODED_RUSTFLAGS") {
        let mut flags = encoded;
        if !flags.is_empty() {
            flags.push("\x1f");
        }
        flags.push("--cfg\x1floom");
        command.env("CARGO_ENCODED_RUSTFLAGS", flags);
    } else {
        let mut flags = std::env::var_os("RUSTFLAGS").unwrap_or_default();
        if !flags.is_empty() {
            flags.push(" ");
        }
        flags.push("--cfg loom");
        command.env("RUSTFLAGS", flags);
    }
    if !require.is_empty() {
        command.env("WEBPOOL_CHECK_REQUIRE", require.join(","));
    }
    eprintln!(
        "cargo pool-check: RUSTFLAGS=\"--cfg loom\" cargo test --release --test {} (in {}, \
         target folder {})",
        scratch::TEST_NAME,
        scratch_dir.display(),
        target.display()
    );
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    eprintln!(
        "cargo pool-check: done in {:.1} s ({status})",
        started.elapsed().as_secs_f64()
    );
    if !status.success() {
        // The card's replay commands are for the copy, built in the shared target folder.
        eprintln!(
            "cargo pool-check: to run a replay command above: cd {} && CARGO_TARGET_DIR={} <command>",
            scratch_dir.display(),
            target.display()
        );
    }
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1).max(1)),
        None => ExitCode::FAILURE,
    })
}
