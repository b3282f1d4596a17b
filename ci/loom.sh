#!/usr/bin/env bash
# The loom suite: clippy on the loom build, then every model in loom_tests/, built with
# `--cfg loom` in its own target dir (so it never invalidates the normal build), in release mode
# (loom is CPU-bound). Then the checker's verdict matrix (checks/verdicts). Prints each model's
# interleaving count, each pool's report card, the number of models and of cards, and the wall
# time.
# LOOM_MAX_PREEMPTIONS overrides every model's preemption bound.
set -euo pipefail
cd "$(dirname "$0")/.."

# Overflow checks on: release turns them off, and a counter that wraps would then be invisible
# to every model (found by the mutation run, scripts/mutants.sh). Only this build; benches keep
# the release profile.
export RUSTFLAGS="--cfg loom -C overflow-checks=on -D warnings"
export CARGO_TARGET_DIR="${LOOM_TARGET_DIR:-target-loom}"
# The facades of crossbeam-channel and parking_lot (src/sync/) and their models
# (loom_tests/facades.rs) are behind these features; every command below has them on, so all
# share one build of webpool.
features=(--features webpool/crossbeam-channel,webpool/parking_lot)

# Lints first: the code built only under `cfg(loom)` (the shim's loom half, the models) is
# invisible to the test gate's clippy.
echo "== cargo clippy --workspace --all-targets ${features[*]} -- -D warnings (RUSTFLAGS=\"$RUSTFLAGS\")"
cargo clippy --workspace --all-targets "${features[@]}" -- -D warnings
cargo test --release --no-run "${features[@]}"
cargo test --release --no-run -p webpool-verdicts "${features[@]}"
start=$(date +%s)
log=$(mktemp)
# Each model that passes appends its line here too (loom_tests/support.rs), whole: counted
# from the test output, a line split by another model's panic message would be missed.
export WEBPOOL_LOOM_REPORT
WEBPOOL_LOOM_REPORT=$(mktemp)
trap 'rm -f "$log" "$WEBPOOL_LOOM_REPORT"' EXIT
# --nocapture: each model prints "loom model NAME: N interleavings, preemption bound B".
if ! cargo test --release "${features[@]}" -- --nocapture 2>&1 | tee "$log"; then
    echo "loom suite FAILED after $(( $(date +%s) - start ))s" >&2
    exit 1
fi
# The checker's verdict matrix: every pool of the catalog, and the Rust Book's three stages of
# the pool (checks/book-*), against every check of webpool::check; each prints its card.
if ! cargo test --release -p webpool-verdicts "${features[@]}" -- --nocapture 2>&1 | tee -a "$log"; then
    echo "verdict matrix FAILED after $(( $(date +%s) - start ))s" >&2
    exit 1
fi
models=$(grep -c '^loom model .* interleavings' "$WEBPOOL_LOOM_REPORT" || true)
cards=$(grep -c '^webpool check: .* checks passed' "$log" || true)
echo "loom suite: ${models} models passed; ${cards} report cards match the verdict matrix; in $(( $(date +%s) - start ))s"
