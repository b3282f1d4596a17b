#!/usr/bin/env bash
# The shuttle suite: clippy on the shuttle build, then every model in shuttle_tests/ (the pool at
# 8 workers and 3 producers, the pool with 1, 2, 3 and unlimited snoozers per wait list, the
# server core with 16 connections, the channel's disconnection semantics, and the bug catalog at
# scale), built with `--cfg shuttle` in its own target dir (so
# it never invalidates the normal or the loom build), in release mode (shuttle is CPU-bound).
# Prints each model's iteration counts, distinct outcomes and times, the catalog's verdict matrix,
# a summary line, and the wall time.
# WEBPOOL_SHUTTLE_SCALE multiplies the models' iteration counts (not the catalog's, whose
# recorded verdicts hold for its own counts); SHUTTLE_RANDOM_SEED explores other schedules.
set -euo pipefail
cd "$(dirname "$0")/.."

export RUSTFLAGS="--cfg shuttle -D warnings"
export CARGO_TARGET_DIR="${SHUTTLE_TARGET_DIR:-target-shuttle}"

# Lints first: the code built only under `cfg(shuttle)` (the shim's shuttle half, the models) is
# invisible to the test gate's clippy.
echo "== cargo clippy --workspace --all-targets -- -D warnings (RUSTFLAGS=\"$RUSTFLAGS\")"
cargo clippy --workspace --all-targets -- -D warnings
build_start=$(date +%s)
cargo test --release --no-run
echo "shuttle suite: built in $(( $(date +%s) - build_start ))s"
start=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The models print their figures past the test harness's capture ("shuttle model NAME: ...",
# "shuttle demos: ..."); a failing model prints its schedule and the command that replays it.
if ! cargo test --release 2>&1 | tee "$log"; then
    echo "shuttle suite FAILED after $(( $(date +%s) - start ))s" >&2
    exit 1
fi
models=$(grep -c '^shuttle model ' "$log" || true)
demos=$(grep -o '^shuttle demos: [0-9]* searches.*, [0-9]* caught' "$log" | sed 's/^shuttle demos: //' || true)
if [[ "$models" -eq 0 || -z "$demos" ]]; then
    echo "shuttle suite: no model ran (is the cfg reaching the tests?)" >&2
    exit 1
fi
echo "shuttle suite: ${models} models passed; catalog: ${demos} and replayed; in $(( $(date +%s) - start ))s"
