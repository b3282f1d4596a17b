#!/usr/bin/env bash
# The loom suite: every model in loom_tests/, built with `--cfg loom` in its own target dir
# (so it never invalidates the normal build), in release mode (loom is CPU-bound).
# Prints each model's interleaving count, the number of models and of demo bugs caught, and
# the wall time.
# LOOM_MAX_PREEMPTIONS overrides every model's preemption bound.
set -euo pipefail
cd "$(dirname "$0")/.."

export RUSTFLAGS="--cfg loom -D warnings"
export CARGO_TARGET_DIR="${LOOM_TARGET_DIR:-target-loom}"

cargo test --release --no-run
start=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# --nocapture: each model prints "loom model NAME: N interleavings, preemption bound B".
if ! cargo test --release -- --nocapture 2>&1 | tee "$log"; then
    echo "loom suite FAILED after $(( $(date +%s) - start ))s" >&2
    exit 1
fi
models=$(grep -c '^loom model ' "$log" || true)
caught=$(grep -c '^loom found the bug: ' "$log" || true)
echo "loom suite: ${models} models passed, ${caught} demo bugs caught, in $(( $(date +%s) - start ))s"
