#!/usr/bin/env bash
# The pool benchmark: webpool::ThreadPool against the Rust Book's final pool, the threadpool
# crate, rayon and a crossbeam-channel pool, every pool in every run (benches/pool.rs,
# criterion). Prints criterion's lines and the wake-up latency table for each run, then a
# summary: each pool's throughput per workload and thread count, and webpool's ratio to each
# peer.
#
#   bash scripts/bench-pool.sh            # 3 runs, about 15 minutes on 2 cores
#   bash scripts/bench-pool.sh --runs 1   # one run
#
# Why several runs: a cell's figure moves from run to run with the machine, by up to 1.7x on
# 1 us jobs at 4 workers, and criterion's confidence interval only covers the seconds of one
# run. Those cells spend a large share of their CPU handing each job from one vCPU to the
# other (about 130 of 410 ns a job at 4 workers: the bench's cpu table shows it, and the same
# table on one CPU, printed last, shows the cost without the hand-over), so they follow how
# fast the hypervisor lets the vCPUs run and pass cache lines. Each run ends with its steal.
# The summary takes, per cell, the median over runs of criterion's mean. Never fails on the
# figures; fails only if the bench fails.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=3
if [[ "${1:-}" == "--runs" ]]; then
    runs=${2:?--runs takes a number}
fi

# shellcheck source=scripts/bench-common.sh
source scripts/bench-common.sh # steal_ms, and `work` (removed on exit) for the runs' logs
cargo bench --bench pool --no-run
for run in $(seq 1 "$runs"); do
    echo "== run $run of $runs"
    steal_before=$(steal_ms)
    cargo bench --bench pool | tee "$work/run-$run.txt"
    echo "== run $run: $(( $(steal_ms) - steal_before )) ms of steal"
done
echo "== the cpu table again, the whole process on CPU 0 (taskset -c 0)"
taskset -c 0 cargo bench --bench pool cpu

python3 - "$work" <<'PY'
import re
import statistics
import sys
from pathlib import Path

PEERS = ["book", "threadpool", "rayon", "crossbeam"]
UNIT = {"Kelem/s": 1e-3, "Melem/s": 1.0, "Gelem/s": 1e3}
# criterion prints "empty/webpool/2   time: [...]" (a longer name on a line of its own, the
# time on the next) then "thrpt: [low mid high]"
bench = re.compile(r"^(\S+/\S+/\d+)(\s+time:|$)")
thrpt = re.compile(r"^\s+thrpt:\s+\[\S+ \S+ (\S+) (\S+) ")

samples = {}
for log in sorted(Path(sys.argv[1]).glob("run-*.txt")):
    name = None
    for line in log.read_text().splitlines():
        if m := bench.match(line):
            name = m.group(1)
        elif name and (m := thrpt.match(line)):
            samples.setdefault(name, []).append(float(m.group(1)) * UNIT[m.group(2)])
            name = None

def rate(workload, pool, threads):
    return statistics.median(samples[f"{workload}/{pool}/{threads}"])

runs = len(next(iter(samples.values())))
print()
print(f"M jobs/s, 100 000 jobs from one producer; median over {runs} run(s) of criterion's "
      f"mean; ratio = webpool / peer")
print(f"{'workload':<15}{'threads':>8}{'webpool':>10}" + "".join(f"{p:>12}" for p in PEERS)
      + "".join(f"{'/' + p:>12}" for p in PEERS))
for workload in ["empty", "empty-unshared", "1us"]:
    for threads in [1, 2, 4]:
        ours = rate(workload, "webpool", threads)
        theirs = [rate(workload, peer, threads) for peer in PEERS]
        print(f"{workload:<15}{threads:>8}{ours:>10.2f}" + "".join(f"{t:>12.2f}" for t in theirs)
              + "".join(f"{ours / t:>11.2f}x" for t in theirs))
PY
