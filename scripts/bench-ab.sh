#!/usr/bin/env bash
# Two webpool builds and nginx, in rounds: the A/B comparison a server change is judged by.
#
#   bash scripts/bench-ab.sh OLD_BINARY NEW_BINARY [SECONDS] [ROUNDS] [CONNECTIONS...]
#   bash scripts/bench-ab.sh /tmp/webpool-main target/release/webpool 3 5 1 50 500
#
# One wrk run (keep-alive, GET / = site/hello.html) per server per round, the three servers'
# order rotated each round (A B N, B N A, N A B), so a drift in the machine's speed hits all
# three alike; then, per concurrency, each server's median requests/s over the rounds (the
# lower middle one for an even count) and the ratios B/A, A/nginx, B/nginx. On these 2-core
# VMs one run of the same binary moves by up to 20%: quote medians of several rounds, never
# one run. (`scripts/bench-http.sh` is the fixed
# benchmark against nginx and the book; this one compares builds.)
#
# Prints every run ("A=requests/s p99", "ERR" if wrk saw errors or non-2xx answers). Defaults:
# 3 s runs, 5 rounds, -c1, -c50 and -c500; 4 workers (ATHREADS/BTHREADS change that); nginx
# with one worker per core. Installs wrk and nginx from Debian's packages if missing. Stops
# every process it started.
set -euo pipefail
cd "$(dirname "$0")/.."
root_dir=$(pwd)

if [[ $# -lt 2 ]]; then
    sed -n '2,6p' "$0" >&2
    exit 2
fi
old=$(realpath "$1")
new=$(realpath "$2")
seconds=${3:-3}
rounds=${4:-5}
shift $(( $# < 4 ? $# : 4 ))
connections=("$@")
[[ ${#connections[@]} -eq 0 ]] && connections=(1 50 500)

# shellcheck source=scripts/bench-common.sh
source scripts/bench-common.sh
install_if_missing wrk wrk
install_if_missing nginx nginx
install_if_missing bc bc

port_a=$(free_port)
"$old" --addr "127.0.0.1:$port_a" --threads "${ATHREADS:-4}" --quiet >/dev/null 2>&1 &
pids+=($!)
port_b=$(free_port)
"$new" --addr "127.0.0.1:$port_b" --threads "${BTHREADS:-4}" --quiet >/dev/null 2>&1 &
pids+=($!)
port_n=$(free_port)
start_nginx "$port_n" "$root_dir/site"

expect_hello A "$port_a"
expect_hello B "$port_b"
expect_hello nginx "$port_n"

# "requests/s p99" of one wrk run, with " ERR" if any request failed.
run() { # port connections
    wrk -t"$(wrk_threads "$2")" -c"$2" -d"${seconds}s" --latency "http://127.0.0.1:$1/" 2>&1 |
        awk '/Requests\/sec/ { r = $2 } $1 == "99%" { p = $2 } /Socket errors|Non-2xx/ { e = " ERR" }
             END { printf "%d %s%s", r, p, e }'
}
ratio() { echo "scale=3; $1 / $2" | bc; }

for c in "${connections[@]}"; do
    for port in "$port_a" "$port_b" "$port_n"; do run "$port" "$c" >/dev/null; done # warm-up
    : >"$work/A"
    : >"$work/B"
    : >"$work/N"
    for round in $(seq 1 "$rounds"); do
        case $(( round % 3 )) in
            1) order="A B N" ;;
            2) order="B N A" ;;
            0) order="N A B" ;;
        esac
        line="c$c round $round:"
        for server in $order; do
            case $server in A) port=$port_a ;; B) port=$port_b ;; N) port=$port_n ;; esac
            out=$(run "$port" "$c")
            echo "${out%% *}" >>"$work/$server"
            line="$line $server=$out"
        done
        echo "$line"
    done
    a=$(median <"$work/A")
    b=$(median <"$work/B")
    n=$(median <"$work/N")
    echo "c$c medians: A $a, B $b, nginx $n requests/s; B/A $(ratio "$b" "$a"), A/nginx $(ratio "$a" "$n"), B/nginx $(ratio "$b" "$n")"
done
