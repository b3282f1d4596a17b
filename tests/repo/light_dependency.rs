//! A pool that keeps `check_pool!` in its tests depends on webpool with `default-features =
//! false`, and gets the shim, the pool and the checker on std alone: none of the HTTP server's
//! crates compiles into it. `checks/book-final` is such a crate (a reader's pool, checked).

use std::path::Path;
use std::process::Command;

/// The crates only the HTTP server and the `webpool` binary use (feature `server`).
const SERVER_CRATES: [&str; 4] = ["clap", "rustix", "signal-hook", "polling"];

/// The names of the crates `package` depends on in a normal build, for every target.
fn normal_dependencies(package: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args(["tree", "--quiet", "--locked", "-p", package, "-e", "normal"])
        .args(["--target", "all", "--prefix", "none", "--format", "{p}"])
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_pool_crate_that_checks_itself_compiles_none_of_the_servers_crates() {
    // The server's crates are webpool's by default: what the feature leaves out is real.
    let full = normal_dependencies("webpool");
    for name in SERVER_CRATES {
        assert!(
            full.iter().any(|dependency| dependency == name),
            "webpool's default build depends on {name}"
        );
    }
    let pool = normal_dependencies("book-final");
    assert!(
        pool.iter().any(|dependency| dependency == "webpool"),
        "book-final depends on webpool: {pool:?}"
    );
    let server: Vec<&String> = pool
        .iter()
        .filter(|dependency| SERVER_CRATES.contains(&dependency.as_str()))
        .collect();
    assert!(
        server.is_empty(),
        "book-final, a pool checked with check_pool!, compiles the server's {server:?}"
    );
}
