//! What `Cargo.toml` promises about the toolchain, and that CI holds it to the promise.

use std::fs;
use std::path::Path;

/// `rust-version` is declared, covers what the code itself uses (`Option::is_none_or`, stable
/// since 1.82), and `ci/test.sh` builds the crate with exactly that toolchain.
#[test]
fn the_minimum_rust_version_is_declared_and_checked_in_ci() {
    let declared = env!("CARGO_PKG_RUST_VERSION");
    assert!(!declared.is_empty(), "Cargo.toml declares no rust-version");
    let mut parts = declared.split('.').map(|n| n.parse::<u32>().unwrap());
    let (major, minor) = (parts.next().unwrap(), parts.next().unwrap());
    assert!(
        (major, minor) >= (1, 82),
        "rust-version {declared} is older than the code needs"
    );

    let script = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ci/test.sh"))
        .expect("ci/test.sh");
    assert!(
        script.contains("^rust-version = ") && script.contains("cargo +\"$toolchain\" check"),
        "ci/test.sh does not build with the declared rust-version"
    );
}
