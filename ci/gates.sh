#!/usr/bin/env bash
# Every gate CI holds a change to, in order: test (fmt, clippy, doc, `cargo test`, the
# rust-version build), loom, browser (the loom gate's report pages in headless Chromium), zoo
# (cargo pool-check on real crates from the registry), miri, sanitize, shuttle. Each is
# ci/NAME.sh and runs alone too.
# Stops at the first gate that fails; prints each gate's name before it and its time after.
#
#   bash ci/gates.sh                # all seven: what .ci/run runs
#   bash ci/gates.sh test shuttle   # some of them, in the order given
#
# Tools that never fail CI (benchmarks, the full-size stress runs) are in scripts/.
set -euo pipefail
cd "$(dirname "$0")/.."

all=(test loom browser zoo miri sanitize shuttle)
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    sed -n '2,11s/^# \{0,1\}//p' "$0"
    exit 0
fi
gates=("$@")
if ((${#gates[@]} == 0)); then
    gates=("${all[@]}")
fi
for gate in "${gates[@]}"; do
    if [[ " ${all[*]} " != *" $gate "* ]]; then
        echo "unknown gate '$gate'; the gates are: ${all[*]}" >&2
        exit 2
    fi
done

start=$(date +%s)
passed=()
for gate in "${gates[@]}"; do
    echo "===== gate $gate (ci/$gate.sh)"
    gate_start=$(date +%s)
    status=0
    bash "ci/$gate.sh" || status=$?
    seconds=$(($(date +%s) - gate_start))
    if ((status != 0)); then
        echo "===== gate $gate FAILED (exit status $status) after ${seconds}s" >&2
        exit 1
    fi
    echo "===== gate $gate passed in ${seconds}s"
    passed+=("$gate ${seconds}s")
done
summary=$(printf '%s, ' "${passed[@]}")
echo "gates passed (${summary%, }); ${#passed[@]} of ${#gates[@]} in $(($(date +%s) - start))s"
