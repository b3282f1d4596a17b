#!/usr/bin/env bash
# ThreadSanitizer, then AddressSanitizer, on the std build: std itself is rebuilt with the
# sanitizer (-Zbuild-std), so its locks, condition variables and atomics are instrumented too.
#
# ThreadSanitizer watches every memory access of the real program at full size and reports a
# data race (two threads, one access a write, no happens-before between them: e.g. a ring slot
# read before its stamp's Release is seen) or a lock-order inversion. It proves nothing about
# interleavings that did not happen, and it does not model standalone fences, so the sleep
# protocol's SeqCst fences are loom's to check (and miri's). AddressSanitizer reports a use
# after free, a double free, an out-of-bounds access, and (LeakSanitizer, at exit) a leak.
#
# What runs, under each: the library's unit tests (the job and the ring among them, and the
# connection state machine), the `pools` test binary (tests/pools/: the pool and the demo pools
# on real threads), and the `e2e` binary (tests/e2e/: the server end to end, stress.rs at
# reduced scale — 500 idle connections, slowloris, overload, hostile input — and
# demos_live.rs). The e2e tests start the instrumented webpool binary, so the server's event
# loop, workers and signal handling are checked in their own processes. Not run: the `http`
# binary (single-threaded parsing with no unsafe code), the `repo` binary (it reads files), and
# the loom and shuttle models (their own builds).
#
# Zero reports or it fails. Reports go to files (log_path), one per process, so a report from a
# server process the test killed still counts; a log may hold only the lines listed in
# `expected` below. One suppression, ci/tsan.supp (a thread leak of a buggy demo pool that
# tests/pools/demos.rs forgets on purpose; the file says why). One option, in both:
# allocator_may_return_null=1. Two tests ask for a queue larger than memory and check that the
# pool returns an error (as with the system allocator, which returns null); by default a
# sanitizer's allocator aborts the process instead. With the option it returns null and
# prints a "failed to allocate" warning.
#
# Installs what it needs (nightly with rust-src). SANITIZE_TOOLCHAIN picks another toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

toolchain="${SANITIZE_TOOLCHAIN:-nightly}"
target=x86_64-unknown-linux-gnu
start=$(date +%s)

if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
    rustup toolchain install "$toolchain" --profile minimal
fi
rustup component add rust-src --toolchain "$toolchain"

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# The only lines a sanitizer log may contain: the allocation warning above, and TSan's count of
# the suppression it applied.
expected='^(==[0-9]+==WARNING: AddressSanitizer failed to allocate 0x[0-9a-f]+ bytes'
expected+='|ThreadSanitizer: Matched [0-9]+ suppressions \(pid=[0-9]+\):'
expected+='|[0-9]+ thread:webpool::demos::if_wait::Worker)?$'

# run NAME FLAG OPTIONS_VAR TARGET_DIR OPTIONS: builds and runs the tests under
# -Zsanitizer=FLAG in TARGET_DIR (its own: the flags would otherwise invalidate the normal
# build), with OPTIONS added to the sanitizer's options; then fails on any test failure or on
# any log line not in `expected`.
run() {
    local name=$1 flag=$2 options_var=$3 target_dir=$4 options=$5
    local dir="$logs/$flag"
    mkdir -p "$dir"
    local section_start
    section_start=$(date +%s)
    echo "== $name: RUSTFLAGS=-Zsanitizer=$flag cargo +$toolchain test -Zbuild-std --target $target"
    local status=0
    env RUSTFLAGS="-Zsanitizer=$flag" \
        CARGO_TARGET_DIR="$target_dir" \
        "$options_var=log_path=$dir/$flag allocator_may_return_null=1 $options" \
        cargo +"$toolchain" test -Zbuild-std --target "$target" \
        --lib --test pools --test e2e ||
        status=$?
    local reports=0 suppressed=0
    for log in "$dir"/*; do
        [[ -e "$log" ]] || continue
        grep -q 'Matched [0-9]* suppressions' "$log" && suppressed=$((suppressed + 1))
        if grep -qvE "$expected" "$log"; then
            echo "--- $name report: $log" >&2
            cat "$log" >&2
            reports=$((reports + 1))
        fi
    done
    if ((status != 0 || reports != 0)); then
        echo "$name FAILED: cargo test exit status $status, $reports process(es) with reports" >&2
        exit 1
    fi
    echo "$name: zero reports ($suppressed process(es) matched the suppression)," \
        "in $(($(date +%s) - section_start))s"
}

run ThreadSanitizer thread TSAN_OPTIONS target-tsan "suppressions=$PWD/ci/tsan.supp"
run AddressSanitizer address ASAN_OPTIONS target-asan ""

echo "sanitizers: zero reports, in $(($(date +%s) - start))s"
