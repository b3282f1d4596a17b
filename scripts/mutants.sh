#!/usr/bin/env bash
# A mutation score for the loom suite (issue 12, item 4): how many injected bugs the loom
# models catch. Not a CI gate (hours on a 2-core machine); a tool to run after changing the
# pool or its models. Two kinds of mutant:
#
# - cargo-mutants' generic ones (function bodies, operators) over src/pool/ (tested by the
#   models that drive the pool: loom_pool, loom_server, and the wait list's own model in the
#   library's tests), src/sync/mpsc.rs (loom_channel), the facades of crossbeam-channel and
#   parking_lot, src/sync/{crossbeam_channel,parking_lot}/ (loom_facades), and the shim's std
#   types that it builds itself under loom, `sync_files` (loom_sync_types); and, once more,
#   src/pool/backoff.rs in the normal build (stage `backoff`): its clock and its spin's
#   arithmetic sit behind `cfg!(any(loom, shuttle))`'s other branch, which no model runs, so
#   the normal build's tests of them judge those mutants (the library's unit tests and the
#   `pools` test binary: tests/pools/idle_cpu.rs, the pool on real threads);
# - the protocol mutants of scripts/mutants/protocol/*.patch: the bugs a reviewer fears in this code
#   (a fence removed, an ordering weakened, a wake-up dropped, a check moved across a
#   registration), each a patch whose header says which fear it encodes. A patch that no longer
#   applies stops the run: regenerate it against the new code. The `sync-*` patches break the
#   shim's std types (RwLock, Barrier, Once, scope, park) and are run against loom_sync_types
#   alone, the `backoff-*` patches against the normal build's tests (as the `backoff` stage),
#   the others against the pool's models.
#
# Every mutant runs in two stages. Stage 1 runs the models at a preemption bound of
# $MUTANTS_QUICK_BOUND (default 1): most mutants die there in seconds. Stage 2 re-runs the
# survivors with the models' own bounds, the full loom suite; only a mutant that passes that
# counts as missed. Killing at a lower bound is sound: loom's bounded search at bound 1 explores
# a subset of the executions explored at 2 or 3, so a failure there is a failure of the full
# suite too. In both stages WEBPOOL_LOOM_FAIL_FAST=1 makes the first failing model end its test
# binary (loom_tests/support.rs), and cargo test stops at the first failing binary.
#
# Usage: bash scripts/mutants.sh [cargo|protocol|all] [extra cargo-mutants args...]
#   cargo     cargo-mutants over src/pool/, src/sync/mpsc.rs, the facades and `sync_files`
#             (loom), and src/pool/backoff.rs (the normal build)
#   protocol  the patches of scripts/mutants/protocol/
#   all       both (the default)
# Extra arguments go to cargo-mutants (e.g. `--re wait_list` to run a few, `--list` to list).
# Environment: MUTANTS_QUICK_BOUND (stage 1 bound), MUTANTS_TIMEOUT (seconds per stage-2 test
# run, default 900; the full suite takes about 300 s here), MUTANTS_STAGE2=0 (stage 1 only),
# MUTANTS_OUT (results, default target-mutants/out), MUTANTS_PROTOCOL_RE (only the patches whose
# names match this regex), MUTANTS_RESUME=1 (resume an interrupted run: cargo-mutants with
# --iterate; the protocol stage skips the patches already in its outcomes file),
# MUTANTS_CARGO_STAGES (which cargo-mutants stages to run, space-separated, default
# "pool mpsc facades sync backoff": e.g. the stages a change does not touch, run apart),
# MUTANTS_RECHECK_LISTED=1 (stage 2 for the mutants scripts/mutants/equivalent.txt lists too:
# by default they meet stage 1 only, since an earlier run already took each through the full
# suite, and stage 2 costs minutes per mutant).
# Results: $MUTANTS_OUT/{pool,mpsc,facades,sync,backoff}/mutants.out/ (cargo-mutants' caught.txt, missed.txt,
# timeout.txt, unviable.txt) and $MUTANTS_OUT/protocol.txt (one line per patch). Mutants known
# to be equivalent are listed, with reasons, in scripts/mutants/equivalent.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

mode=${1:-all}
shift || true
case "$mode" in
    cargo | protocol | all) ;;
    *)
        echo "usage: bash scripts/mutants.sh [cargo|protocol|all] [cargo-mutants args...]" >&2
        exit 2
        ;;
esac

# The model-checking build: loom, overflow checks on (release turns them off, and a counter
# that wraps would be invisible to every model), no -D warnings (a mutant that leaves a
# variable unused is still a mutant to test). Target dirs of their own, each shared by every
# mutant of its kind, so that only the webpool crate is rebuilt for each; one per kind, so that
# `cargo` and `protocol` can run at once: cargo names a path package's binaries without its
# path, so the two scratch trees would overwrite each other's test binaries in one dir.
loom_rustflags="--cfg loom -C overflow-checks=on"
export RUSTFLAGS="$loom_rustflags"
# The normal build's, for backoff.rs: overflow checks on there too (a step that underflows is
# one of its mutants).
normal_rustflags="-C overflow-checks=on"
# Incremental release builds: a mutant changes one function, and rebuilding only its codegen
# units takes the build from 15-40 s to about 2 s here, which is most of a killed mutant's
# cost. Line tables off: nothing reads a backtrace. Same code, same optimisations otherwise;
# loom's interleaving counts do not depend on either.
export CARGO_PROFILE_RELEASE_INCREMENTAL=true CARGO_PROFILE_RELEASE_DEBUG=false
target_base=${MUTANTS_TARGET_DIR:-$root/target-mutants}
# The protocol stage's normal build (the `backoff-*` patches): its flags, its own target dir.
protocol_normal_env=(RUSTFLAGS="$normal_rustflags" CARGO_TARGET_DIR="$target_base/protocol-normal")
export WEBPOOL_LOOM_FAIL_FAST=1
quick_bound=${MUTANTS_QUICK_BOUND:-1}
full_timeout=${MUTANTS_TIMEOUT:-900}
out=${MUTANTS_OUT:-$root/target-mutants/out}
mkdir -p "$out"

# CI machines start with nothing: install the pinned version when missing.
# The version the figures in the README were measured with.
mutants_version=27.0.0
if ! cargo mutants --version >/dev/null 2>&1; then
    cargo install cargo-mutants --locked --version "$mutants_version"
fi

start=$(date +%s)

# The mutants scripts/mutants/equivalent.txt lists (one per line, as its entries name them).
listed_mutants() {
    sed -n -E 's/^(EQUIVALENT|PERFORMANCE|BEYOND LOOM|NOT IN THE LOOM BUILD|TIMEOUT) //p' \
        scripts/mutants/equivalent.txt
}
recheck_listed=${MUTANTS_RECHECK_LISTED:-0}
elapsed() { echo "$(($(date +%s) - start))s"; }

# The test binaries whose loom models drive the pool: the pool's and the server's, and the
# library's own (the wait list's model). They test both the pool's generic mutants and the
# protocol mutants.
pool_models=(lib loom_pool loom_server)
# The facades' models (scripts/mutants/protocol/facade-*.patch are tested by these alone).
facade_models=(loom_facades)
# The models of the shim's std types (RwLock, Barrier, Once/OnceLock, thread::scope, park): they
# test the `sync_files` mutants and the `sync-*` protocol patches.
sync_models=(loom_sync_types)
# The normal build's tests that judge backoff.rs (its unit test, and the pool on real threads:
# tests/pools/idle_cpu.rs bounds an idle pool's CPU), for the `backoff` stage and the
# `backoff-*` patches.
normal_models=(lib pools)

# Every build of this script has the facades' features on (loom_facades requires them), so
# that all stages share one build of the dependencies.
features=(--features crossbeam-channel,parking_lot)

# The files cargo-mutants mutates, per stage: the pool's against `pool_models`, the channel's
# against its own model and the library's trace tests.
pool_files='src/pool/*.rs'
mpsc_files=src/sync/mpsc.rs
facade_files=('src/sync/crossbeam_channel/*.rs' 'src/sync/parking_lot/*.rs')
# The std types the shim builds itself under loom (its RwLock wraps loom's, with tracing).
sync_files=(src/sync/rwlock.rs src/sync/barrier.rs src/sync/once.rs src/sync/scope.rs)
backoff_files=src/pool/backoff.rs

# test_target_args TARGETS... : cargo's arguments selecting these test binaries, one per line;
# `lib` is the library's own tests (under loom: the wait list's model, src/pool/wait_list.rs,
# and the trace tests of src/sync/mpsc.rs).
test_target_args() {
    local target
    for target in "$@"; do
        if [ "$target" = lib ]; then
            echo --lib
        else
            echo "--test=$target"
        fi
    done
}

# cargo_mutants NAME TEST_TARGETS FILES... : the generic mutants of FILES, tested by the test
# binaries TEST_TARGETS (space-separated), in two stages.
cargo_mutants() {
    local name=$1 targets=$2
    shift 2
    # Not mutated: the unit tests inside src/ (`mod tests`, compiled out under loom), and
    # error.rs's messages and conversions (Display, Debug, source, From) and mpsc.rs's Debug
    # and Display: text, not behaviour under concurrency, pinned by `cargo test` (tests/), not
    # by the models.
    # Nor the wait list's loom model (`loom_model::`, in src/pool/wait_list.rs): the test, not
    # the code under it.
    # --gitignore true: cargo-mutants copies the tree for each run, and without it the copy
    # takes this script's own target folders (target-mutants/, gigabytes) along.
    local args=(--gitignore true --no-shuffle --profile release --output "$out/$name"
        --exclude-re 'tests::' --exclude-re 'loom_model::'
        --exclude-re 'src/pool/error\.rs.*(fmt|source|from)'
        --exclude-re 'src/sync/mpsc\.rs.*fmt -> fmt::Result'
        --exclude-re 'src/sync/(crossbeam_channel|parking_lot)/.*fmt -> fmt::Result' "${features[@]}")
    local file
    for file in "$@"; do args+=(--file "$file"); done
    # --cargo-arg, not --cargo-test-arg: the build step (`cargo test --no-run`) too builds only
    # these test binaries, not every test and binary of the crate.
    local target_arg
    # shellcheck disable=SC2086 # $targets is a space-separated list
    while IFS= read -r target_arg; do
        args+=(--cargo-arg "$target_arg")
    done < <(test_target_args $targets)
    export CARGO_TARGET_DIR="$target_base/cargo"
    export RUSTFLAGS="$loom_rustflags"
    if [ "$name" = backoff ]; then
        # The normal build, in a target dir of its own (other flags).
        export CARGO_TARGET_DIR="$target_base/normal" RUSTFLAGS="$normal_rustflags"
    fi
    local resume=()
    [ "${MUTANTS_RESUME:-0}" = 1 ] && [ -d "$out/$name/mutants.out" ] && resume=(--iterate)
    echo "== cargo-mutants $name: stage 1 (preemption bound $quick_bound) =="
    # The baseline (the unmutated tree) is checked here; --timeout: a killed mutant's models
    # take seconds at bound 1, the whole set about 10 s on this machine.
    LOOM_MAX_PREEMPTIONS=$quick_bound cargo mutants "${args[@]}" "${resume[@]}" --timeout 120 \
        "${extra[@]}" || true
    local dir="$out/$name/mutants.out"
    rm -f "$dir/listed.txt"
    rm -rf "$out/$name/stage1"
    cp -r "$dir" "$out/$name/stage1"
    # The normal build's tests have no bound to raise: stage 1 is the whole judgement there.
    if [ "${MUTANTS_STAGE2:-1}" = 1 ] && [ "$name" != backoff ] &&
        { [ -s "$dir/missed.txt" ] || [ -s "$dir/timeout.txt" ]; }; then
        echo "== cargo-mutants $name: stage 2 (the models' own bounds) for what stage 1 missed =="
        # Already listed as surviving the full suite: not run again unless asked (they stay
        # in missed.txt, as stage 1 left them).
        local skip=() listed
        if [ "$recheck_listed" != 1 ]; then
            while IFS= read -r listed; do
                [[ "$listed" == src/* ]] || continue
                skip+=(--exclude-re "^$(printf '%s' "$listed" | sed 's/[][\\.^$*+?(){}|]/\\&/g')\$")
            done < <(listed_mutants)
        fi
        # --iterate skips what stage 1 caught or found unviable, and keeps those results.
        env -u LOOM_MAX_PREEMPTIONS cargo mutants "${args[@]}" "${skip[@]}" --iterate \
            --baseline skip --timeout "$full_timeout" "${extra[@]}" || true
        # What stage 2 skipped: stage 1's misses that equivalent.txt lists.
        cat "$out/$name/stage1/missed.txt" "$out/$name/stage1/timeout.txt" |
            grep -Fxf <(listed_mutants) >"$dir/listed.txt" || true
    fi
    echo "cargo-mutants $name: caught $(cat "$dir"/caught.txt "$dir"/previously_caught.txt 2>/dev/null | wc -l)," \
        "missed $(wc -l <"$dir/missed.txt") (+ $(cat "$dir/listed.txt" 2>/dev/null | wc -l) listed, not re-run at full bounds)," \
        "timeout $(wc -l <"$dir/timeout.txt"), unviable $(wc -l <"$dir/unviable.txt"), after $(elapsed)"
}

# run_models BOUND TIMEOUT TARGETS... : the loom models in TARGETS in the scratch tree; 0 if
# every model passed, 124 on a timeout, else the failure's exit code.
run_models() {
    local bound=$1 limit=$2
    shift 2
    local test_args run_env=()
    mapfile -t test_args < <(test_target_args "$@")
    # The normal build's tests run with its flags, in its own target dir (the bound is loom's
    # alone).
    [ "$*" = "${normal_models[*]}" ] && run_env=("${protocol_normal_env[@]}")
    local status=0
    if [ -n "$bound" ]; then
        env "${run_env[@]}" LOOM_MAX_PREEMPTIONS="$bound" timeout -k 10 "$limit" \
            cargo test --release --manifest-path "$scratch/Cargo.toml" "${features[@]}" "${test_args[@]}" || status=$?
    else
        env -u LOOM_MAX_PREEMPTIONS "${run_env[@]}" timeout -k 10 "$limit" \
            cargo test --release --manifest-path "$scratch/Cargo.toml" "${features[@]}" "${test_args[@]}" || status=$?
    fi
    return "$status"
}

protocol_mutants() {
    export CARGO_TARGET_DIR="$target_base/protocol"
    scratch="$target_base/protocol-src"
    local results="$out/protocol.txt" logs="$out/protocol-logs"
    mkdir -p "$logs"
    # A scratch copy of the tracked files, so the checkout is never touched.
    rm -rf "$scratch"
    mkdir -p "$scratch"
    git ls-files -z | xargs -0 cp --parents -t "$scratch"
    # A repository of its own: inside the checkout, `git apply` would resolve the patches'
    # paths against the checkout's root instead.
    git -C "$scratch" init -q
    local patches=(scripts/mutants/protocol/*.patch)
    # Fail loudly, before testing anything, if any patch no longer applies.
    local patch bad=0
    for patch in "${patches[@]}"; do
        if ! (cd "$scratch" && git apply --check "$root/$patch"); then
            echo "PROTOCOL MUTANT NO LONGER APPLIES: $patch" >&2
            bad=1
        fi
    done
    [ "$bad" = 0 ] || exit 1
    echo "== protocol mutants: baseline (unmutated) =="
    if ! run_models "$quick_bound" 600 "${pool_models[@]}" "${facade_models[@]}" "${sync_models[@]}" >"$logs/baseline.log" 2>&1; then
        echo "the unmutated models fail at bound $quick_bound: see $logs/baseline.log" >&2
        exit 1
    fi
    [ "${MUTANTS_RESUME:-0}" = 1 ] || : >"$results"
    for patch in "${patches[@]}"; do
        local name
        name=$(basename "$patch" .patch)
        if [[ ! "$name" =~ ${MUTANTS_PROTOCOL_RE:-.} ]]; then
            continue
        fi
        if [ "${MUTANTS_RESUME:-0}" = 1 ] && grep -q "^$name " "$results"; then
            continue
        fi
        (cd "$scratch" && git apply "$root/$patch")
        # The models that test this patch: the facades' for `facade-*`, the shim's std types'
        # for `sync-*`, the normal build's tests for `backoff-*`, else the pool's.
        local models=("${pool_models[@]}") build_args build_env=()
        [[ "$name" == facade-* ]] && models=("${facade_models[@]}")
        [[ "$name" == sync-* ]] && models=("${sync_models[@]}")
        if [[ "$name" == backoff-* ]]; then
            models=("${normal_models[@]}")
            build_env=("${protocol_normal_env[@]}")
        fi
        mapfile -t build_args < <(test_target_args "${models[@]}")
        local t0 outcome status=0 log="$logs/$name.log"
        t0=$(date +%s)
        if ! env "${build_env[@]}" cargo test --release --no-run --manifest-path "$scratch/Cargo.toml" \
            "${features[@]}" "${build_args[@]}" >"$log" 2>&1; then
            outcome=unviable
        else
            run_models "$quick_bound" 600 "${models[@]}" >>"$log" 2>&1 || status=$?
            if [ "$status" = 0 ] && [ "$recheck_listed" != 1 ] && listed_mutants | grep -qx "$name"; then
                outcome=survived-listed
            elif [ "$status" = 0 ]; then
                echo "-- stage 2 (full bounds)" >>"$log"
                run_models "" "$full_timeout" "${models[@]}" >>"$log" 2>&1 || status=$?
                case "$status" in
                    0) outcome=survived ;;
                    124 | 137) outcome=timeout ;;
                    *) outcome=killed-full ;;
                esac
            elif [ "$status" = 124 ] || [ "$status" = 137 ]; then
                outcome=timeout
            else
                outcome=killed-quick
            fi
        fi
        (cd "$scratch" && git apply -R "$root/$patch")
        # The model that failed first: the fail-fast report, or else the test thread of the
        # first panic (a deadlock aborts before the report is written).
        local model
        model=$(grep -o "^loom model [a-z_0-9]*: FAILED" "$log" | head -1 | cut -d' ' -f3 | tr -d : || true)
        [ -n "$model" ] ||
            model=$(grep -o "^thread '[a-z_0-9]*' ([0-9]*) panicked" "$log" | head -1 | cut -d"'" -f2 || true)
        printf '%s %s %ss %s\n' "$name" "$outcome" "$(($(date +%s) - t0))" "${model:--}" | tee -a "$results"
    done
    echo "protocol mutants: killed $(grep -c ' killed' "$results" || true)," \
        "survived $(grep -c ' survived' "$results" || true)" \
        "($(grep -c ' survived-listed ' "$results" || true) listed, not re-run at full bounds)," \
        "timeout $(grep -c ' timeout ' "$results" || true)," \
        "unviable $(grep -c ' unviable ' "$results" || true), after $(elapsed)"
}

# Stops the run if equivalent.txt names a cargo-mutants mutant that no longer exists (its
# line moved): stage 2 would otherwise re-run the mutant under its new name, for minutes, as
# if nobody had looked at it, as a patch that no longer applies stops the protocol stage.
check_listed_names() {
    local current listed stale=0
    local sync_args=() file
    for file in "${sync_files[@]}"; do sync_args+=(--file "$file"); done
    current=$(cargo mutants --list --gitignore true "${features[@]}" --file "$pool_files" \
        --file "$mpsc_files" --file "${facade_files[0]}" --file "${facade_files[1]}" \
        "${sync_args[@]}")
    while IFS= read -r listed; do
        [[ "$listed" == src/* ]] || continue
        if ! grep -qxF "$listed" <<<"$current"; then
            echo "LISTED MUTANT NO LONGER EXISTS (update scripts/mutants/equivalent.txt): $listed" >&2
            stale=1
        fi
    done < <(listed_mutants)
    [ "$stale" = 0 ] || exit 1
}

extra=("$@")
if [ "$mode" = cargo ] || [ "$mode" = all ]; then
    check_listed_names
    for stage in ${MUTANTS_CARGO_STAGES:-pool mpsc facades sync backoff}; do
        case "$stage" in
            backoff) cargo_mutants backoff "${normal_models[*]}" "$backoff_files" ;;
            pool) cargo_mutants pool "${pool_models[*]}" "$pool_files" ;;
            mpsc) cargo_mutants mpsc "loom_channel lib" "$mpsc_files" ;;
            facades) cargo_mutants facades "${facade_models[*]}" "${facade_files[@]}" ;;
            sync) cargo_mutants sync "${sync_models[*]}" "${sync_files[@]}" ;;
            *)
                echo "MUTANTS_CARGO_STAGES: no stage '$stage' (pool, mpsc, facades, sync, backoff)" >&2
                exit 2
                ;;
        esac
    done
fi
if [ "$mode" = protocol ] || [ "$mode" = all ]; then
    protocol_mutants
fi
echo "mutation run done in $(elapsed)"
