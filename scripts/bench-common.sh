# Sourced by the benchmark scripts (bench-http.sh, bench-stall.sh, bench-ab.sh, bench-pool.sh,
# syscalls-per-request.sh): what each needs to set up, measure and tear down (its servers, its
# temporary files). Sets `work` (a temporary folder) and `pids` (the processes to stop), and
# traps EXIT to stop them by PID and remove `work`.

# Installs Debian package PACKAGE if COMMAND is missing.
install_if_missing() { # command package
    if ! command -v "$1" >/dev/null 2>&1 && [[ ! -x "/usr/sbin/$1" ]]; then
        echo "installing $2 ..." >&2
        local sudo_cmd=""
        [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
        $sudo_cmd apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$2" >/dev/null
    fi
}

# A free TCP port on loopback.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits (up to 5 s) for the server on PORT to answer, then exits the script unless it answers
# GET / with site/hello.html, byte for byte: a benchmark of a wrong answer measures nothing.
expect_hello() { # name port
    local _
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$2/" && break
        sleep 0.05
    done
    if [[ "$(curl -s --max-time 5 "http://127.0.0.1:$2/" || true)" != "$(cat site/hello.html)" ]]; then
        echo "$1 on port $2 did not answer GET / with hello.html" >&2
        exit 1
    fi
}

# wrk's thread count for CONNECTIONS: two (one per core), but no more threads than connections.
wrk_threads() { # connections
    if [[ $1 -lt 2 ]]; then echo 1; else echo 2; fi
}

# CPU time the hypervisor took from this VM since boot ("steal"), in milliseconds summed over
# every vCPU (/proc/stat counts it in USER_HZ ticks of 10 ms). A run during which it grows by
# more than a few tens of ms was disturbed from outside: its tail latency is the machine's.
steal_ms() {
    awk '/^cpu / { print $9 * 10 }' /proc/stat
}

# Runs wrk (keep-alive, GET /) for DURATION (wrk's form: 10s); prints
# "requests/s p50_ms p99_ms errors steal_ms" (errors: socket errors and non-2xx answers).
measure() { # port connections duration
    local steal_before
    steal_before=$(steal_ms)
    wrk -t"$(wrk_threads "$2")" -c"$2" -d"$3" --latency "http://127.0.0.1:$1/" >"$work/wrk.txt" 2>&1 || true
    awk '
        function ms(v) {
            if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
            if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
            if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
            return v
        }
        /Requests\/sec/ { rps = $2 }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        /Socket errors/ { gsub(/,/, ""); errors += $4 + $6 + $8 + $10 }
        /Non-2xx/ { errors += $NF }
        END { printf "%s %.3f %.3f %d %d\n", rps, p50, p99, errors, steal }
    ' steal="$(( $(steal_ms) - steal_before ))" "$work/wrk.txt"
}

# The median of the numbers on standard input, one per line (the lower middle one for an even
# count).
median() {
    sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# Starts nginx serving ROOT/hello.html at `/` on PORT (one worker per core, no access log,
# keep-alive for 1000 requests), in the background; its PID goes to `pids`.
start_nginx() { # port root
    mkdir -p "$work/nginx"
    cat >"$work/nginx/nginx.conf" <<CONF
worker_processes auto;
worker_rlimit_nofile 8192;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000;
    client_body_temp_path $work/nginx;
    proxy_temp_path $work/nginx;
    fastcgi_temp_path $work/nginx;
    uwsgi_temp_path $work/nginx;
    scgi_temp_path $work/nginx;
    types { text/html html; }
    server {
        listen 127.0.0.1:$1;
        root $2;
        location = / { try_files /hello.html =404; }
    }
}
CONF
    "$(command -v nginx || echo /usr/sbin/nginx)" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
    pids+=($!)
}

work=$(mktemp -d)
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
