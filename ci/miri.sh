#!/usr/bin/env bash
# miri over every unsafe path of the pool: the job's inline closure storage (src/pool/job.rs),
# the ring's slots (src/pool/ring.rs), and the pool on real threads (tests/pools/thread_pool.rs
# drives the rest of src/pool/). miri interprets the code and stops at undefined behaviour: a use
# after free, a double drop, a misaligned or out-of-bounds access, an aliasing violation
# (Stacked Borrows), a pointer conjured from an integer (strict provenance), a data race on a
# slot, a leak. Layouts are randomised, so no code may rely on a field order the compiler does
# not promise.
#
# Tests chosen: the library's unit tests filtered to `pool::`, and the `pools` test binary
# filtered to `thread_pool::` (tests/pools/thread_pool.rs; the demo pools that share the binary
# are not webpool's unsafe code). The other unsafe code, `Poller::add` in src/server/sys.rs,
# needs real sockets, which miri does not emulate; the server, its end-to-end tests and the
# demos run under the sanitizers instead (ci/sanitize.sh). Skipped inside those tests, with
# `cfg_attr(miri, ignore = why)`: the two that ask for more memory than exists to see the
# allocator refuse it (miri cannot refuse an allocation: it stops, or tries to make it). Shrunk
# under `cfg(miri)`: the ring's concurrent test (2 x 300 values, not 2 x 20 000) and the pool's
# many-producers test (4 x 100 jobs through a queue of 8, not 4 x 25 000 through 64).
#
# Installs what it needs (nightly with miri and rust-src, miri's sysroot). MIRI_TOOLCHAIN
# picks another toolchain (e.g. a dated nightly); MIRI_SEEDS the extra seeds (default 1..5).
# About 5 minutes on this 2-core machine (under load, nightly already installed).
set -euo pipefail
cd "$(dirname "$0")/.."

toolchain="${MIRI_TOOLCHAIN:-nightly}"
start=$(date +%s)

if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
    rustup toolchain install "$toolchain" --profile minimal
fi
rustup component add miri rust-src --toolchain "$toolchain"
cargo +"$toolchain" miri setup

export MIRIFLAGS="-Zmiri-strict-provenance -Zmiri-symbolic-alignment-check"
export RUSTFLAGS="-Zrandomize-layout"
# Its own target dir: these flags would otherwise invalidate the normal build.
export CARGO_TARGET_DIR="${MIRI_TARGET_DIR:-target-miri}"
# miri cannot refuse an allocation; one too large for the machine makes it take all the
# memory there is. The tests that ask for such allocations are skipped under miri; this limit
# makes any new one fail here instead of starving the machine.
ulimit -v $((16 * 1024 * 1024))

echo "== cargo +$toolchain miri test --lib pool::   (MIRIFLAGS=\"$MIRIFLAGS\" RUSTFLAGS=\"$RUSTFLAGS\")"
cargo +"$toolchain" miri test --lib pool::
echo "== cargo +$toolchain miri test --test pools thread_pool::"
cargo +"$toolchain" miri test --test pools thread_pool::

# The threaded tests again under other seeds: each seed is another schedule of miri's
# preemptive scheduler and other choices of which stored value a weak load reads, so the
# data-race detector sees the slots and the sleep protocol interleaved differently.
seeds="${MIRI_SEEDS:-1..5}"
echo "== the threaded tests under seeds $seeds"
MIRIFLAGS="$MIRIFLAGS -Zmiri-many-seeds=$seeds" \
    cargo +"$toolchain" miri test --lib pool::ring::tests::concurrent
MIRIFLAGS="$MIRIFLAGS -Zmiri-many-seeds=$seeds" \
    cargo +"$toolchain" miri test --test pools thread_pool::

echo "miri: no undefined behaviour found, in $(( $(date +%s) - start ))s"
