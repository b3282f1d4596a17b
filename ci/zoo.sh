#!/usr/bin/env bash
# The checker on real crates: `cargo pool-check` (tools/pool-check) and its tests, then the zoo
# (checks/zoo): each real pool crate of checks/zoo/zoo.txt, fetched from the registry at its
# pinned version, checked unedited, its card compared with checks/zoo/expected/. The first card
# builds webpool under loom in target/pool-check/target (under a minute on 2 quiet cores); then each
# card takes seconds. Prints each crate's card and the wall time.
set -euo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
echo "== cargo test -p cargo-pool-check (the rewriter, the no-writes test, the flags)"
cargo test -p cargo-pool-check
echo "== cargo test -p webpool-zoo -- --nocapture (every crate of the zoo, unedited)"
cargo test -p webpool-zoo -- --nocapture
echo "== cargo test -p cargo-pool-check --test end_to_end -- --ignored (the fixture, warm)"
cargo test -p cargo-pool-check --test end_to_end -- --ignored
echo "zoo: the tool's tests, the zoo's cards and the end-to-end run passed in $(( $(date +%s) - start ))s"
