#!/usr/bin/env bash
# The everyday gate: formatting, lints, docs, and `cargo test` (the README's test command).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --all --check"
cargo fmt --all --check

echo "== cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

# What a pool that checks itself depends on (`default-features = false`: the shim, the pool and
# the checker, without the server) must build clean on its own.
echo "== cargo clippy --no-default-features --lib -- -D warnings"
cargo clippy --no-default-features --lib -- -D warnings

echo "== cargo doc --no-deps (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps

echo "== cargo test"
cargo test

# The declared minimum Rust (rust-version in Cargo.toml) must build the library and the binary.
# Only those: the tests' dev-dependencies need a newer Rust than the crate itself does.
msrv=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)
if [[ -z "$msrv" ]]; then
    echo "Cargo.toml declares no rust-version" >&2
    exit 1
fi
# "1.85" means 1.85.0, the oldest release it names.
toolchain="$msrv"
[[ "$msrv" =~ ^[0-9]+\.[0-9]+$ ]] && toolchain="$msrv.0"
echo "== cargo +$toolchain check --locked --lib --bins (rust-version = $msrv)"
if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
    rustup toolchain install "$toolchain" --profile minimal
fi
CARGO_TARGET_DIR=target/msrv cargo +"$toolchain" check --locked --lib --bins

# Off Linux the server polls through the `polling` crate (server/sys/portable.rs), code no test
# here runs: it must at least build, for macOS (kqueue).
echo "== cargo clippy --lib --bins --target x86_64-apple-darwin -- -D warnings"
rustup target add x86_64-apple-darwin >/dev/null
CARGO_TARGET_DIR=target/darwin cargo clippy --locked --lib --bins --target x86_64-apple-darwin -- -D warnings
