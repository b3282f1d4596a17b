#!/usr/bin/env bash
# Tail latency under the same stall: webpool and nginx measured while a real-time process takes
# one vCPU for BURST ms out of every PERIOD ms, as a hypervisor does when it steals that vCPU.
#
#   bash scripts/bench-stall.sh                    # 10 ms of every 100 ms, 6 rounds of 10 s, -c50
#   bash scripts/bench-stall.sh 20 200 4 10 50     # BURST PERIOD ROUNDS SECONDS CONNECTIONS
#
# Why: on these VMs the hypervisor steals CPU time in bursts, and a run that a burst hits has a
# p99 that is the machine's, not the server's (bench-http.sh prints each run's steal). Here both
# servers meet the same stall, so their p99s compare: a server whose design amplifies a stalled
# CPU (one thread that everything waits for) shows it. Rounds alternate the servers' order
# (webpool first, then nginx first). Prints each run (`measure` in bench-common.sh), then in how
# many rounds webpool's p99 was at or below nginx's, and the medians.
#
# Needs root (or CAP_SYS_NICE) for the SCHED_FIFO staller. Installs wrk and nginx from Debian's
# packages if missing. Stops every process it started.
set -euo pipefail
cd "$(dirname "$0")/.."
root_dir=$(pwd)
burst=${1:-10}
period=${2:-100}
rounds=${3:-6}
seconds=${4:-10}
connections=${5:-50}
if (( burst <= 0 || period <= burst )); then
    echo "bench-stall.sh: need 0 < BURST < PERIOD (got $burst and $period)" >&2
    exit 2
fi

# shellcheck source=scripts/bench-common.sh
source scripts/bench-common.sh
install_if_missing wrk wrk
install_if_missing nginx nginx
cargo build --release --quiet

port_w=$(free_port)
target/release/webpool --addr "127.0.0.1:$port_w" --threads 4 --quiet >/dev/null 2>&1 &
pids+=($!)
port_n=$(free_port)
start_nginx "$port_n" "$root_dir/site"
expect_hello webpool "$port_w"
expect_hello nginx "$port_n"

# The staller: busy for `burst` ms, asleep for the rest of the period, at a real-time priority
# on vCPU 0, so nothing else runs there while it is busy.
if ! chrt -f 50 true 2>/dev/null; then
    echo "bench-stall.sh: cannot use SCHED_FIFO here (run as root)" >&2
    exit 1
fi
taskset -c 0 chrt -f 50 python3 -c '
import sys, time
burst, period = int(sys.argv[1]) / 1000, int(sys.argv[2]) / 1000
while True:
    start = time.perf_counter()
    while time.perf_counter() - start < burst:
        pass
    time.sleep(period - burst)
' "$burst" "$period" &
pids+=($!)

echo "stall: vCPU 0 taken for $burst ms of every $period ms; wrk -c$connections, ${seconds} s runs"
echo "each run: requests/s, p50 ms, p99 ms, errors, steal ms (the hypervisor's, on top of the stall)"
measure "$port_w" "$connections" "${seconds}s" >/dev/null # warm-up
measure "$port_n" "$connections" "${seconds}s" >/dev/null
: >"$work/w_rps"
: >"$work/w_p99"
: >"$work/n_rps"
: >"$work/n_p99"
at_or_below=0
for round in $(seq 1 "$rounds"); do
    if (( round % 2 )); then
        w=$(measure "$port_w" "$connections" "${seconds}s")
        n=$(measure "$port_n" "$connections" "${seconds}s")
    else
        n=$(measure "$port_n" "$connections" "${seconds}s")
        w=$(measure "$port_w" "$connections" "${seconds}s")
    fi
    read -r w_rps _ w_p99 _ <<<"$w"
    read -r n_rps _ n_p99 _ <<<"$n"
    echo "$w_rps" >>"$work/w_rps"
    echo "$w_p99" >>"$work/w_p99"
    echo "$n_rps" >>"$work/n_rps"
    echo "$n_p99" >>"$work/n_p99"
    if awk -v w="$w_p99" -v n="$n_p99" 'BEGIN { exit !(w <= n) }'; then
        at_or_below=$(( at_or_below + 1 ))
    fi
    echo "round $round: webpool $w | nginx $n"
done
echo "webpool's p99 at or below nginx's in $at_or_below of $rounds rounds"
echo "medians: webpool $(median <"$work/w_rps") requests/s, p99 $(median <"$work/w_p99") ms;" \
    "nginx $(median <"$work/n_rps") requests/s, p99 $(median <"$work/n_p99") ms"
