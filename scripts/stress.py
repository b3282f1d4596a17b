#!/usr/bin/env python3
"""Scale and hostile-client runs against the real webpool binary, on loopback.

Standard library only (asyncio for thousands of sockets). Each scenario starts its own server,
drives it, prints its figures and a PASS/FAIL line, and stops every process it started.

    python3 scripts/stress.py all                  # the six targets at full size (~13 minutes)
    python3 scripts/stress.py idle --clients 2000  # one scenario, resized
    python3 scripts/stress.py soak --seconds 60

Run through scripts/stress.sh, which builds the release binary and installs wrk first.
"""

import argparse
import asyncio
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / "target" / "release" / "webpool"
HELLO = (ROOT / "site" / "hello.html").read_bytes()
FAILURES = []


# ===== the server process =====

class Server:
    """A webpool process on a free loopback port; stopped by `stop()`."""

    def __init__(self, *args):
        # stderr goes to a file, not a pipe: nobody reads a pipe while the scenario runs, and
        # once its 64 KiB buffer is full every log write (a panic report, say) blocks the
        # thread making it. A soak once stalled all four workers that way.
        self.log = tempfile.TemporaryFile(mode="w+")
        # RUST_BACKTRACE pinned off: with it on, the first panic (the soak's /__panic) makes
        # std parse the binary's debug info for the backtrace and keep it, a one-time ~50 MiB
        # that would otherwise show in every RSS figure below depending on the caller's shell.
        self.proc = subprocess.Popen(
            [str(BINARY), "--addr", "127.0.0.1:0", *args],
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env={**os.environ, "RUST_BACKTRACE": "0"},
        )
        line = self.proc.stdout.readline()
        match = re.search(r"listening on http://([\d.]+):(\d+)", line)
        if not match:
            self.stop()
            raise RuntimeError(f"webpool did not start: {line!r} {self.read_log()}")
        self.host, self.port = match.group(1), int(match.group(2))
        self.stderr_lines = []

    def read_log(self):
        self.log.seek(0)
        return self.log.read()

    @property
    def pid(self):
        return self.proc.pid

    def rss_mib(self):
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def fds(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout):
        return self.proc.wait(timeout=timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        err = self.read_log()
        self.stderr_lines = err.splitlines()
        return err


# ===== a small HTTP client =====

async def read_response(reader, head_only=False):
    """Reads one response; returns (status, headers, body). Raises on a truncated one."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if head_only or status in (204, 304):
        length = 0
    body = await reader.readexactly(length)
    return status, headers, body


async def get(host, port, path="/", timeout=10.0):
    """One GET on a fresh connection; returns (status, headers, body, seconds)."""
    start = time.monotonic()
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: stress\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        status, headers, body = await asyncio.wait_for(read_response(reader), timeout)
        return status, headers, body, time.monotonic() - start
    finally:
        writer.close()


def check(condition, message):
    print(("  ok    " if condition else "  FAIL  ") + message)
    if not condition:
        FAILURES.append(message)


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# ===== 1. idle keep-alive at scale =====

async def scenario_idle(args):
    clients = args.clients
    print(f"\n[1] idle keep-alive: {clients} clients, one request each, then idle; --threads 4")
    limit = raise_fd_limit()
    if limit < clients + 100:
        check(False, f"client fd limit {limit} is below {clients}")
        return
    server = Server("--threads", "4", "--quiet", "--idle-timeout", "600", "--header-timeout", "600")
    held = []
    try:
        answered = 0

        async def one():
            nonlocal answered
            reader, writer = await asyncio.open_connection(server.host, server.port)
            writer.write(b"GET / HTTP/1.1\r\nHost: stress\r\n\r\n")
            await writer.drain()
            status, _, body = await asyncio.wait_for(read_response(reader), 60)
            if status == 200 and body == HELLO:
                answered += 1
            held.append(writer)

        start = time.monotonic()
        for batch in range(0, clients, 500):
            await asyncio.gather(*(one() for _ in range(min(500, clients - batch))))
        took = time.monotonic() - start
        status, _, _, latency = await get(server.host, server.port)
        rss = server.rss_mib()
        fds = server.fds()
        print(f"  {answered}/{clients} answered in {took:.1f}s; with all {len(held)} idle and open:"
              f" a new client answered in {latency * 1000:.1f} ms;"
              f" server RSS {rss:.1f} MiB; server fds {fds}")
        check(answered == clients, f"every one of {clients} clients got its answer")
        check(status == 200 and latency < 1.0, "a new client is answered in under 1 s")
        check(rss <= 64, f"server RSS {rss:.1f} MiB <= 64 MiB")
    finally:
        for writer in held:
            writer.close()
        err = server.stop()
        limit_line = next((l for l in err.splitlines() if "open-file limit" in l), "(no limit line)")
        print(f"  server log: {limit_line.strip()}")


# ===== 2. slowloris =====

async def scenario_slowloris(args):
    stalled_count = args.stalled
    timeout = args.header_timeout
    print(f"\n[2] slowloris: {stalled_count} connections send half a request line and stall;"
          f" --header-timeout {timeout}")
    raise_fd_limit()
    server = Server("--threads", "4", "--quiet", "--header-timeout", str(timeout))
    try:
        closed_after = []

        async def stall():
            reader, writer = await asyncio.open_connection(server.host, server.port)
            writer.write(b"GET /index.html HT")
            await writer.drain()
            sent = time.monotonic()
            data = await asyncio.wait_for(reader.read(), timeout + 30)
            closed_after.append((time.monotonic() - sent, data))
            writer.close()

        stallers = [asyncio.create_task(stall()) for _ in range(stalled_count)]
        await asyncio.sleep(0.5)  # let them connect and stall (setup, not synchronisation)
        latencies = []
        for _ in range(100):
            status, _, _, latency = await get(server.host, server.port)
            latencies.append(latency)
            check_status = status == 200
            if not check_status:
                break
        await asyncio.gather(*stallers)
        times = [t for t, _ in closed_after]
        print(f"  normal clients while stalled: median {statistics.median(latencies) * 1000:.1f} ms,"
              f" max {max(latencies) * 1000:.1f} ms")
        print(f"  stalled connections closed after {min(times):.2f}..{max(times):.2f} s")
        check(len(latencies) == 100 and max(latencies) < 1.0, "normal clients served promptly (< 1 s)")
        check(len(times) == stalled_count, "every stalled connection was closed")
        check(min(times) >= timeout * 0.9 and max(times) <= timeout + 2,
              f"closed at the header timeout ({timeout} s)")
    finally:
        server.stop()


# ===== 3. overload =====

async def scenario_overload(args):
    sleep_ms, threads, queue = 100, 2, 8
    capacity = threads * 1000 / sleep_ms
    rate = capacity * args.factor
    seconds = args.seconds
    print(f"\n[3] overload: /sleep of {sleep_ms} ms, --threads {threads} --queue {queue}"
          f" (capacity {capacity:.0f}/s); offered {rate:.0f}/s for {seconds} s")
    server = Server("--threads", str(threads), "--queue", str(queue), "--sleep-ms", str(sleep_ms), "--quiet")
    try:
        results = []
        rss_samples = []

        async def request():
            try:
                status, headers, body, latency = await get(server.host, server.port, "/sleep", 30)
                results.append((status, headers.get("retry-after"), body == HELLO, latency))
            except Exception as err:  # noqa: BLE001 - every failure is a finding here
                results.append(("error", str(err), False, 0))

        tasks = []
        start = time.monotonic()
        next_sample = start
        sent = 0
        while time.monotonic() - start < seconds:
            tasks.append(asyncio.create_task(request()))
            sent += 1
            if time.monotonic() >= next_sample:
                rss_samples.append(server.rss_mib())
                next_sample += 1
            await asyncio.sleep(max(0.0, start + sent / rate - time.monotonic()))
        await asyncio.gather(*tasks)
        ok = [r for r in results if r[0] == 200]
        refused = [r for r in results if r[0] == 503]
        other = [r for r in results if r[0] not in (200, 503)]
        refused_latency = sorted(r[3] for r in refused)
        p99 = refused_latency[int(len(refused_latency) * 0.99) - 1] if refused_latency else 0
        status, _, _, after = await get(server.host, server.port, "/sleep")
        print(f"  {len(results)} requests: {len(ok)} answered 200, {len(refused)} refused 503,"
              f" {len(other)} other; 503 latency p99 {p99 * 1000:.1f} ms;"
              f" RSS {min(rss_samples):.1f}..{max(rss_samples):.1f} MiB;"
              f" after the load: /sleep in {after * 1000:.0f} ms")
        check(not other, "every request was answered 200 or 503 (none lost, none failed)")
        check(all(r[2] for r in ok), "every admitted request got the whole page")
        check(refused and all(r[1] == "1" for r in refused), "the excess got 503 with Retry-After: 1")
        check(p99 < 0.1, "503s came back quickly (p99 < 100 ms)")
        check(max(rss_samples) - min(rss_samples) < 8, "memory stayed flat (< 8 MiB spread)")
        check(status == 200 and after < sleep_ms / 1000 + 0.5, "back to normal at once when the load stops")
    finally:
        server.stop()


# ===== 4. soak =====

HOSTILE = [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: s\r\n" + b"X-Big: " + b"a" * 70000 + b"\r\n\r\n",
    b"GET /../../etc/passwd HTTP/1.1\r\nHost: s\r\n\r\n",
    b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: s\r\n\r\n",
    b"",  # connect and close
    b"GET / HTTP/1.1\r\nHost: s\r\n\r\n" * 20,  # pipelined burst
    b"GET /__panic HTTP/1.1\r\nHost: s\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: s\r\n\r\n",
]


async def hostile_client(host, port, stop_at, counts):
    index = 0
    while time.monotonic() < stop_at:
        payload = HOSTILE[index % len(HOSTILE)]
        index += 1
        try:
            reader, writer = await asyncio.open_connection(host, port)
            if payload:
                writer.write(payload)
                await writer.drain()
                await asyncio.wait_for(reader.read(), 10)
            writer.close()
            counts["hostile"] += 1
        except Exception:  # noqa: BLE001 - the server may reset a hostile client; that is fine
            counts["hostile_reset"] += 1
        await asyncio.sleep(0.01)


async def verifying_client(host, port, stop_at, counts):
    """Keep-alive GET / in a loop, checking every response byte for byte. A connection the
    server closes between answers (it said `Connection: close`, or timed out) is reopened; a
    response cut short is a wrong answer."""
    reader = writer = None
    while time.monotonic() < stop_at:
        if writer is None:
            reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: s\r\n\r\n")
            await writer.drain()
            status, headers, body = await asyncio.wait_for(read_response(reader), 10)
        except asyncio.IncompleteReadError as err:
            if err.partial:
                counts["wrong"] += 1  # a truncated response
            writer.close()
            writer = None
            continue
        except (ConnectionError, OSError):
            writer.close()
            writer = None
            continue
        except asyncio.TimeoutError:
            counts["wrong"] += 1  # no answer within 10 s is a wrong answer too
            counts["timeouts"] = counts.get("timeouts", 0) + 1
            writer.close()
            writer = None
            continue
        if status == 200 and body == HELLO:
            counts["verified"] += 1
        else:
            counts["wrong"] += 1
        if headers.get("connection") == "close":
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def scenario_soak(args):
    seconds = args.seconds
    print(f"\n[4] soak: {seconds} s of wrk load on / mixed with hostile clients and /__panic")
    server = Server("--threads", "4", "--quiet", "--test-routes", "--sleep-ms", "200",
                    "--idle-timeout", "2")
    try:
        warm = await get(server.host, server.port)
        fds_start = server.fds()
        stop_at = time.monotonic() + seconds
        wrk = subprocess.Popen(
            ["wrk", "-t1", "-c32", f"-d{seconds}s", f"http://{server.host}:{server.port}/"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        counts = {"hostile": 0, "hostile_reset": 0, "verified": 0, "wrong": 0}
        rss = []

        async def sample():
            while time.monotonic() < stop_at:
                rss.append((time.monotonic(), server.rss_mib()))
                await asyncio.sleep(5)

        await asyncio.gather(
            sample(),
            *(hostile_client(server.host, server.port, stop_at, counts) for _ in range(4)),
            *(verifying_client(server.host, server.port, stop_at, counts) for _ in range(4)),
        )
        wrk_out = wrk.communicate(timeout=60)[0]
        requests = re.search(r"(\d+) requests in", wrk_out)
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk_out)
        errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", wrk_out)
        # Workers lost? With 4 workers, 4 concurrent /sleep requests take one sleep, not two.
        start = time.monotonic()
        results = await asyncio.gather(*(get(server.host, server.port, "/sleep") for _ in range(4)),
                                       return_exceptions=True)
        parallel = time.monotonic() - start
        await asyncio.sleep(3)  # let idle keep-alive connections time out (--idle-timeout 2)
        fds_end = server.fds()
        minute = min(60, seconds / 4)
        first = [m for t, m in rss if t - rss[0][0] <= minute]
        last = [m for t, m in rss if rss[-1][0] - t <= minute]
        print(f"  wrk: {requests.group(1) if requests else '?'} requests,"
              f" non-2xx {non2xx.group(1) if non2xx else 0},"
              f" socket errors {errors.groups() if errors else (0, 0, 0, 0)}")
        print(f"  verified responses {counts['verified']}, wrong {counts['wrong']}"
              f" (of which {counts.get('timeouts', 0)} unanswered in 10 s);"
              f" hostile connections {counts['hostile']} (+{counts['hostile_reset']} reset)")
        print(f"  RSS first {minute:.0f} s: {max(first):.1f} MiB, last {minute:.0f} s: {max(last):.1f} MiB;"
              f" fds at start {fds_start}, at end {fds_end}; 4 parallel /sleep took {parallel:.2f} s")
        check(warm[0] == 200, "warm-up request answered")
        check(counts["wrong"] == 0 and counts["verified"] > 0, "zero wrong answers to well-formed requests")
        check(not non2xx and (not errors or sum(map(int, errors.groups())) == 0),
              "wrk saw no errors and no non-2xx")
        check(all(not isinstance(r, Exception) and r[0] == 200 for r in results) and parallel < 0.4,
              "no worker lost (4 sleeps ran in parallel)")
        check(max(last) - max(first) < 8, "RSS flat (last minute within 8 MiB of the first)")
        check(fds_end <= fds_start, f"no fd leak ({fds_start} -> {fds_end})")
    finally:
        server.stop()


# ===== 5. shutdown under load =====

async def scenario_shutdown(args):
    print("\n[5] shutdown under load: SIGTERM with wrk running and /sleep requests in flight")
    server = Server("--threads", "4", "--quiet", "--sleep-ms", "2000", "--shutdown-timeout", "10")
    try:
        wrk = subprocess.Popen(
            ["wrk", "-t1", "-c16", "-d20s", f"http://{server.host}:{server.port}/"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        counts = {"verified": 0, "wrong": 0}
        stop_at = time.monotonic() + 20
        verifiers = [asyncio.create_task(verifying_client(server.host, server.port, stop_at, counts))
                     for _ in range(4)]
        sleepers = [asyncio.create_task(get(server.host, server.port, "/sleep", 30)) for _ in range(3)]
        await asyncio.sleep(0.3)
        await get(server.host, server.port)  # the event loop has dispatched the sleepers by now
        sent = time.monotonic()
        server.signal(signal.SIGTERM)
        refused = False
        for _ in range(50):
            try:
                await get(server.host, server.port, timeout=1)
            except (ConnectionRefusedError, OSError, asyncio.IncompleteReadError):
                refused = True
                break
            await asyncio.sleep(0.02)
        results = await asyncio.gather(*sleepers, return_exceptions=True)
        code = server.wait(timeout=15)
        exited = time.monotonic() - sent
        for task in verifiers:
            task.cancel()
        await asyncio.gather(*verifiers, return_exceptions=True)
        wrk.kill()
        wrk.wait()
        whole = [r for r in results if not isinstance(r, Exception) and r[0] == 200 and r[2] == HELLO]
        print(f"  /sleep in flight: {len(whole)}/3 answered whole; new connections refused: {refused};"
              f" exit code {code} after {exited:.2f} s; verified keep-alive responses"
              f" {counts['verified']}, truncated {counts['wrong']}")
        check(len(whole) == 3, "every request in flight got its full response")
        check(refused, "new connections are refused once shutdown begins")
        check(code == 0 and exited < 10, "exit 0 within --shutdown-timeout")
        check(counts["wrong"] == 0, "no truncated responses")
    finally:
        server.stop()


# ===== 6. hostile inputs =====

def fixtures():
    manifest = (ROOT / "fixtures" / "requests" / "MANIFEST").read_text()
    for line in manifest.splitlines():
        line = line.split("#", 1)[0].split()
        if line:
            yield line[0], line[1:]


async def raw_exchange(host, port, payload, half_close=False, timeout=10):
    """Sends `payload`, reads until the server closes; returns the statuses it answered."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(payload)
    await writer.drain()
    if half_close:
        writer.write_eof()
    statuses = []
    # Which requests were HEADs, in order, so their bodiless responses are read right.
    heads = [line.startswith(b"HEAD ") for line in payload.split(b"\n") if re.match(rb"^[A-Za-z]+ \S+ HTTP/", line)]
    try:
        while True:
            head_only = len(statuses) < len(heads) and heads[len(statuses)]
            status, _, _ = await asyncio.wait_for(read_response(reader, head_only), timeout)
            statuses.append(status)
    except (asyncio.IncompleteReadError, ConnectionResetError):
        pass
    except asyncio.TimeoutError:
        statuses.append("open")  # still open, waiting for more: fine for keep-alive
    writer.close()
    return statuses


async def scenario_hostile(args):
    print("\n[6] hostile inputs: the parser fixtures and more; GET / must work after each")
    tmp = tempfile.TemporaryDirectory()
    big = Path(tmp.name) / "big.bin"
    big.write_bytes(os.urandom(8 * 1024 * 1024))
    server = Server("--threads", "1", "--quiet", "--root", tmp.name, "--write-timeout", "2",
                    "--idle-timeout", "1")
    host, port = server.host, server.port
    errors_statuses = {"400", "413", "414", "431", "501", "505"}
    try:
        for name, answers in fixtures():
            payload = (ROOT / "fixtures" / "requests" / name).read_bytes()
            statuses = await raw_exchange(host, port, payload)
            got = [s for s in statuses if s != "open"]
            good = bool(got) or statuses == ["open"]
            for expected, status in zip(answers, got):
                if expected == "ok":
                    good &= str(status) not in errors_statuses and status < 500
                else:
                    # Every body is read by its framing, so a body's own error gets its status.
                    good &= str(status) == expected
            after = await get(host, port)
            check(good and after[0] == 200, f"{name}: expected {' '.join(answers)}, got {statuses}; then GET / ok")

        async def connect_and_close():
            _, writer = await asyncio.open_connection(host, port)
            writer.close()

        await asyncio.gather(*(connect_and_close() for _ in range(64)))
        check((await get(host, port))[0] == 200, "64 connect-and-close clients, then GET / ok")

        statuses = await raw_exchange(host, port, b"GET / HTTP/1.1\r\nHost: s\r\n\r\n", half_close=True)
        check(statuses == [200], f"a half-closed client still gets its answer ({statuses})")

        # A client that never reads an 8 MiB response: the only worker is stuck in a write
        # until the write timeout (2 s), then serves again.
        sock = socket.create_connection((host, port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(b"GET /big.bin HTTP/1.1\r\nHost: s\r\n\r\n")
        start = time.monotonic()
        status, _, _, _ = await get(host, port, timeout=20)
        waited = time.monotonic() - start
        sock.close()
        check(status == 200 and waited < 6, f"a client that never reads is cut off by the write timeout ({waited:.1f} s)")

        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"POST / HTTP/1.1\r\nHost: s\r\nContent-Length: 1073741824\r\n\r\n")
        try:
            for _ in range(5):
                writer.write(b"x" * 1000)
                await writer.drain()
                await asyncio.sleep(0.05)
        except ConnectionError:
            pass  # the server answered 413 and closed: fine
        try:
            status, _, _ = await asyncio.wait_for(read_response(reader), 10)
        except Exception:  # noqa: BLE001 - a reset instead of the answer counts as a close
            status = "closed"
        writer.close()
        check(status in (413, "closed") and (await get(host, port))[0] == 200,
              f"1 GiB Content-Length with a slow body: {status}, then GET / ok")

        headers = b"".join(b"X-%d: v\r\n" % n for n in range(10000))
        statuses = await raw_exchange(host, port, b"GET / HTTP/1.1\r\nHost: s\r\n" + headers + b"\r\n")
        check(statuses in ([431], []) and (await get(host, port))[0] == 200,
              f"10 000 headers: {statuses or 'closed'}, then GET / ok")
    finally:
        server.stop()
        tmp.cleanup()


# ===== main =====

SCENARIOS = {
    "idle": scenario_idle,
    "slowloris": scenario_slowloris,
    "overload": scenario_overload,
    "soak": scenario_soak,
    "shutdown": scenario_shutdown,
    "hostile": scenario_hostile,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=["all", *SCENARIOS])
    parser.add_argument("--clients", type=int, default=10000, help="idle: connections")
    parser.add_argument("--stalled", type=int, default=1000, help="slowloris: stalled connections")
    parser.add_argument("--header-timeout", type=float, default=3, help="slowloris: --header-timeout")
    parser.add_argument("--factor", type=float, default=3, help="overload: offered load / capacity")
    parser.add_argument("--seconds", type=int, default=None, help="overload (10) and soak (600) length")
    args = parser.parse_args()
    if not BINARY.exists():
        sys.exit(f"{BINARY} is missing: run `cargo build --release` (scripts/stress.sh does)")
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    for name in names:
        scenario_args = argparse.Namespace(**vars(args))
        if scenario_args.seconds is None:
            scenario_args.seconds = 600 if name == "soak" else 10
        asyncio.run(SCENARIOS[name](scenario_args))
    print()
    if FAILURES:
        print(f"FAIL: {len(FAILURES)} check(s) failed:")
        for failure in FAILURES:
            print(f"  - {failure}")
        sys.exit(1)
    print("PASS: every check held")


if __name__ == "__main__":
    main()
