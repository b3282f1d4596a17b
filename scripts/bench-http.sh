#!/usr/bin/env bash
# The server benchmark, in one run: webpool, nginx and the Rust Book's server, each serving
# site/hello.html at `/` on loopback, measured by wrk with keep-alive at -c1, -c50,
# -c500. Prints requests/s, p50/p99 latency, errors, and webpool's ratio to nginx. webpool and
# nginx run twice each per concurrency, alternated (A B B A), and their figures are the means.
#
#   bash scripts/bench-http.sh          # 10 s per run (the figures quoted in notes)
#   bash scripts/bench-http.sh --quick  # 2 s per run, -c1 and -c50 only (CI smoke test)
#
# Installs wrk and nginx from Debian's packages if missing. Exits non-zero only if a server
# fails to start or answers wrongly; the figures never fail it (a shared 2-core machine is
# noisy). Stops every process it started, by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
root_dir=$(pwd)

duration=10s
connections=(1 50 500)
if [[ "${1:-}" == "--quick" ]]; then
    duration=2s
    connections=(1 50)
fi

# shellcheck source=scripts/bench-common.sh
source scripts/bench-common.sh
install_if_missing wrk wrk
install_if_missing nginx nginx

cargo build --release --quiet
webpool="$root_dir/target/release/webpool"

# Starts `webpool ARGS` in the background and sets `port` once it is listening. Called
# directly, never in `$(...)`: a subshell's `pids+=` would not reach the cleanup, and the
# server would outlive the script.
start_webpool() { # name args...
    local name=$1
    shift
    "$webpool" --addr 127.0.0.1:0 "$@" >"$work/$name.out" 2>"$work/$name.err" &
    pids+=($!)
    for _ in $(seq 1 200); do
        if grep -q "listening on" "$work/$name.out" 2>/dev/null; then
            port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/$name.out" | head -1)
            return 0
        fi
        sleep 0.05
    done
    echo "$name did not start:" >&2
    cat "$work/$name.err" >&2
    return 1
}

# (a) webpool, 4 workers, no access log.
start_webpool webpool --threads 4 --quiet
webpool_port=$port

# (b) nginx, one worker per core, no access log, the same page at `/`.
nginx_port=$(free_port)
start_nginx "$nginx_port" "$root_dir/site"

# (c) the Rust Book's server: its accept loop and handle_connection on the book's final pool
# (listing 21-24/21-25, kept in src/demos/panic_kills_worker.rs: one request per connection).
start_webpool book --pool panic-kills-worker --threads 4
book_port=$port

# Every server must answer GET / with the page before it is measured.
expect_hello webpool "$webpool_port"
expect_hello nginx "$nginx_port"
expect_hello book "$book_port"

echo
echo "wrk -d$duration, keep-alive, GET / (hello.html, $(wc -c <site/hello.html) bytes); $(nproc) cores"
echo "webpool and nginx alternate (nginx, webpool, webpool, nginx); each figure is the mean of"
echo "its two runs, so a drift in the machine's speed during the run hits both alike."
echo "book: one request per connection, so wrk counts each close as an error; and each"
echo "connection wrk closes unanswered kills one of its workers, until the server panics and"
echo "aborts (the shell prints \"Aborted\"): the bug src/demos/panic_kills_worker.rs shows"
echo "steal: CPU time the hypervisor took from this VM during the server's runs, summed over"
echo "its vCPUs: a run with more than a few tens of ms of it was disturbed from outside, and its"
echo "p99 is the machine's (scripts/bench-stall.sh compares the servers under the same stall)."
printf "%-6s %-9s %12s %10s %10s %8s %9s %16s\n" conns server "requests/s" "p50 ms" "p99 ms" errors "steal ms" "webpool/nginx"
# The mean of two `measure` lines, field by field (errors and steal summed).
mean2() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        split(a, x, " "); split(b, y, " ");
        printf "%.2f %.3f %.3f %d %d\n", (x[1] + y[1]) / 2, (x[2] + y[2]) / 2, (x[3] + y[3]) / 2, x[4] + y[4], x[5] + y[5]
    }'
}
for c in "${connections[@]}"; do
    nginx_1=$(measure "$nginx_port" "$c" "$duration")
    webpool_1=$(measure "$webpool_port" "$c" "$duration")
    webpool_2=$(measure "$webpool_port" "$c" "$duration")
    nginx_2=$(measure "$nginx_port" "$c" "$duration")
    read -r nginx_rps nginx_p50 nginx_p99 nginx_err nginx_steal < <(mean2 "$nginx_1" "$nginx_2")
    read -r webpool_rps webpool_p50 webpool_p99 webpool_err webpool_steal < <(mean2 "$webpool_1" "$webpool_2")
    read -r book_rps book_p50 book_p99 book_err book_steal < <(measure "$book_port" "$c" "$duration")
    ratio=$(awk -v a="$webpool_rps" -v b="$nginx_rps" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')
    printf "%-6s %-9s %12s %10s %10s %8s %9s %16s\n" "$c" webpool "$webpool_rps" "$webpool_p50" "$webpool_p99" "$webpool_err" "$webpool_steal" "$ratio"
    printf "%-6s %-9s %12s %10s %10s %8s %9s\n" "$c" nginx "$nginx_rps" "$nginx_p50" "$nginx_p99" "$nginx_err" "$nginx_steal"
    printf "%-6s %-9s %12s %10s %10s %8s %9s\n" "$c" book "$book_rps" "$book_p50" "$book_p99" "$book_err" "$book_steal"
done
