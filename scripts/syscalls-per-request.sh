#!/usr/bin/env bash
# What one request costs a server, in system calls and context switches: perf stat on the
# server's threads while wrk drives it (keep-alive, GET / = site/hello.html).
#
#   bash scripts/syscalls-per-request.sh BINARY [CONNECTIONS] [SECONDS]
#   bash scripts/syscalls-per-request.sh target/release/webpool 1 3
#
# Prints requests/s, then per request: CPU time of the server (task-clock, µs), context
# switches, every system call, and the calls by kind (only those made). Then the same for
# nginx (one worker per core), measured the same way, for comparison. Counts are stable from
# run to run where throughput is not, so they tell a change's effect on these noisy VMs.
# Needs perf (Debian's linux-perf) and the permission to trace (root, or
# kernel.perf_event_paranoid <= 1); installs wrk and nginx if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root_dir=$(pwd)

if [[ $# -lt 1 ]]; then
    sed -n '2,6p' "$0" >&2
    exit 2
fi
binary=$(realpath "$1")
connections=${2:-1}
seconds=${3:-3}

# shellcheck source=scripts/bench-common.sh
source scripts/bench-common.sh
install_if_missing wrk wrk
install_if_missing nginx nginx
install_if_missing perf linux-perf
install_if_missing bc bc

webpool_port=$(free_port)
"$binary" --addr "127.0.0.1:$webpool_port" --threads 4 --quiet >/dev/null 2>&1 &
webpool_pid=$!
pids+=($webpool_pid)
nginx_port=$(free_port)
start_nginx "$nginx_port" "$root_dir/site"
nginx_pid=${pids[-1]}
expect_hello webpool "$webpool_port"
expect_hello nginx "$nginx_port"

calls="futex sched_yield recvfrom sendto read write writev epoll_pwait epoll_wait epoll_ctl"
events="task-clock,context-switches,raw_syscalls:sys_enter"
for call in $calls; do events="$events,syscalls:sys_enter_$call"; done

measure() { # name port pids
    local threads
    threads=$(wrk_threads "$connections")
    wrk -t"$threads" -c"$connections" -d1s "http://127.0.0.1:$2/" >/dev/null # warm-up
    perf stat -e "$events" -x, -p "$3" -o "$work/stat" -- sleep "$seconds" &
    local perf_pid=$!
    local rps
    rps=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" "http://127.0.0.1:$2/" |
        awk '/Requests\/sec/ { print $2 }')
    wait "$perf_pid"
    echo "$1: $rps requests/s at -c$connections; per request:"
    awk -F, -v requests="$(echo "$rps * $seconds" | bc)" '
        $1 + 0 > 0 {
            name = $3; sub(/^syscalls:sys_enter_/, "  ", name)
            sub(/^raw_syscalls:sys_enter$/, "system calls", name)
            if ($3 == "task-clock") { name = "CPU µs (task-clock)"; $1 = $1 * 1000 }
            printf "  %-22s %7.2f\n", name, $1 / requests
        }' "$work/stat"
}
measure webpool "$webpool_port" "$webpool_pid"
measure nginx "$nginx_port" "$(pgrep -d, -P "$nginx_pid")"
