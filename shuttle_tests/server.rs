//! Shuttle models of the server core at a scale loom cannot hold: the real event loop, the real
//! pool with 4 workers, and the real connection code, serving 16 connections from 4 client
//! threads over an in-memory network (`FakeNet`, the equivalent of `loom_tests/server.rs`'s
//! fake, which is built from loom's types and lives in that test; this one is built from the
//! shim's, so it runs under shuttle), and shutting down while they are served.
//!
//! Run with `RUSTFLAGS="--cfg shuttle" cargo test --release --test shuttle_server`. Each model
//! runs under shuttle's random scheduler, then its PCT scheduler (`support::check`); a failure
//! prints the failing schedule and the command that replays it (`WEBPOOL_SHUTTLE_REPLAY=
//! '<schedule>' RUSTFLAGS="--cfg shuttle" cargo test --release --test shuttle_server --
//! --exact <model> --nocapture`).
//!
//! Time does not pass in a model (the fake's clock stands still), so no timeout ever fires:
//! these models are about the hand-offs between the event loop, the workers and shutdown, not
//! about timeouts. And as everywhere under shuttle, every atomic is `SeqCst`: the orderings of
//! the shutdown flag and the pool are `loom_tests/`'s to check.
#![cfg(shuttle)]

mod support;

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use shuttle::rand::{thread_rng, Rng};
use webpool::server::{Config, Server, Shutdown, Stream, Sys, LISTENER};
use webpool::sync::{thread, Arc, Condvar, Mutex, MutexGuard};

use support::{check, expect_reached, Log, Plan, Reached};

/// This test binary's name, for the replay command.
const BINARY: &str = "shuttle_server";

/// A complete keep-alive request for the built-in page.
const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: model\r\n\r\n";

/// The built-in page, as the response body must carry it.
const HELLO: &[u8] = include_bytes!("../site/hello.html");

/// Client threads, each with `CONNS_PER_CLIENT` connections.
const CLIENTS: usize = 4;

/// Connections each client thread opens.
const CONNS_PER_CLIENT: usize = 4;

/// Connections in all.
const CONNS: usize = CLIENTS * CONNS_PER_CLIENT;

/// Requests each connection sends (keep-alive): one at a time, or, on every fourth
/// connection, both at once (pipelined).
const REQUESTS: usize = 2;

// ===== the fake network =====

/// Everything the clients and the server share: the listener's backlog, the connections, and
/// the poller's state, under one lock, with one condition variable that every change notifies
/// (the event loop waits on it for readiness, the clients for responses).
struct FakeNet {
    state: Mutex<NetState>,
    changed: Condvar,
    /// The fake clock: it never moves.
    epoch: Instant,
    /// The order responses were written in, by connection (the model's fingerprint).
    writes: Log,
}

struct NetState {
    /// Every connection the clients opened, by number.
    conns: Vec<ConnState>,
    /// Connections waiting to be accepted.
    backlog: VecDeque<usize>,
    listener_open: bool,
    listener_armed: bool,
    /// Watched connections: (key, connection, armed).
    watched: Vec<(usize, usize, bool)>,
    /// `notify` was called since the last `wait` returned.
    notified: bool,
    /// Client threads that have finished with all their connections.
    clients_done: usize,
}

/// One connection, as both ends see it.
#[derive(Default)]
struct ConnState {
    /// What the client sent.
    input: Vec<u8>,
    /// How much of `input` the server has read.
    read: usize,
    /// The client has ended its sending side: reads return 0 once `input` is read.
    client_closed: bool,
    /// What the server wrote.
    output: Vec<u8>,
    /// The server accepted it.
    accepted: bool,
    /// The server shut its sending side (`Stream::finish`).
    finished: bool,
    /// The server dropped its end: the connection is closed.
    closed: bool,
    /// The listener closed before accepting it: the client was refused.
    refused: bool,
}

impl ConnState {
    /// Whether a read would return something now (bytes, or the end of the stream).
    fn readable(&self) -> bool {
        self.read < self.input.len() || self.client_closed
    }
}

impl FakeNet {
    fn new() -> Arc<FakeNet> {
        Arc::new(FakeNet {
            state: Mutex::new(NetState {
                conns: Vec::new(),
                backlog: VecDeque::new(),
                listener_open: true,
                listener_armed: true,
                watched: Vec::new(),
                notified: false,
                clients_done: 0,
            }),
            changed: Condvar::new(),
            epoch: Instant::now(),
            writes: Log::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, NetState> {
        self.state.lock().unwrap()
    }

    /// Changes the state, then wakes everyone who waits for a change.
    fn change<R>(&self, f: impl FnOnce(&mut NetState) -> R) -> R {
        let result = f(&mut self.lock());
        self.changed.notify_all();
        result
    }

    /// A client connects: the connection joins the listener's backlog, or is refused at once
    /// if the listener is closed. Returns its number.
    fn connect(&self) -> usize {
        self.change(|state| {
            let conn = state.conns.len();
            let refused = !state.listener_open;
            state.conns.push(ConnState {
                refused,
                ..ConnState::default()
            });
            if !refused {
                state.backlog.push_back(conn);
            }
            conn
        })
    }

    /// The client of `conn` sends `bytes` (nothing once the server has closed it).
    fn send(&self, conn: usize, bytes: &[u8]) {
        self.change(|state| {
            let conn = &mut state.conns[conn];
            if !conn.finished && !conn.refused {
                conn.input.extend_from_slice(bytes);
            }
        });
    }

    /// The client of `conn` ends its sending side.
    fn close_client_side(&self, conn: usize) {
        self.change(|state| state.conns[conn].client_closed = true);
    }

    /// Blocks until `conn` has received `count` whole responses, or the server shut its side
    /// (or refused it). Returns the whole responses received.
    fn wait_for_responses(&self, conn: usize, count: usize) -> usize {
        let mut state = self.lock();
        loop {
            let c = &state.conns[conn];
            let (received, _) =
                responses(&c.output).unwrap_or_else(|err| panic!("conn {conn}: {err}"));
            if received.len() >= count || c.finished || c.refused {
                return received.len();
            }
            state = self.changed.wait(state).unwrap();
        }
    }
}

/// The server's end of a connection. Dropping it closes the connection.
struct FakeStream {
    net: Arc<FakeNet>,
    conn: usize,
}

impl Read for FakeStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut state = self.net.lock();
        let conn = &mut state.conns[self.conn];
        let left = &conn.input[conn.read..];
        if left.is_empty() {
            return if conn.client_closed {
                Ok(0)
            } else {
                // The client keeps the connection open and has sent nothing more yet.
                Err(io::ErrorKind::WouldBlock.into())
            };
        }
        let n = left.len().min(buf.len());
        buf[..n].copy_from_slice(&left[..n]);
        conn.read += n;
        Ok(n)
    }
}

impl Write for FakeStream {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.net.change(|state| {
            let conn = &mut state.conns[self.conn];
            assert!(!conn.finished, "conn {}: a write after finish", self.conn);
            conn.output.extend_from_slice(data);
        });
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Stream for FakeStream {
    fn write_all_waiting(&mut self, data: &[u8]) -> io::Result<()> {
        self.write_all(data)?;
        self.net.writes.push(self.conn);
        Ok(())
    }

    fn peer(&self) -> Option<SocketAddr> {
        None
    }

    fn finish(&mut self) {
        self.net
            .change(|state| state.conns[self.conn].finished = true);
    }
}

impl Drop for FakeStream {
    fn drop(&mut self) {
        self.net
            .change(|state| state.conns[self.conn].closed = true);
    }
}

/// The fake poller and listener.
struct FakeSys(Arc<FakeNet>);

impl Sys for FakeSys {
    type Stream = FakeStream;

    fn wait(&self, ready: &mut Vec<usize>, timeout: Option<Duration>) -> io::Result<()> {
        // Timeouts never fire in a model: time does not pass. Except a zero one: a look that
        // does not block (the event loop's `LOOK_AGAIN`) returns at once, ready or not.
        let look_only = timeout == Some(Duration::ZERO);
        let mut state = self.0.lock();
        loop {
            let state_ref = &mut *state;
            if state_ref.listener_open && state_ref.listener_armed && !state_ref.backlog.is_empty()
            {
                state_ref.listener_armed = false;
                ready.push(LISTENER);
            }
            for (key, conn, armed) in &mut state_ref.watched {
                if *armed && state_ref.conns[*conn].readable() {
                    *armed = false;
                    ready.push(*key);
                }
            }
            let notified = std::mem::take(&mut state_ref.notified);
            if notified || !ready.is_empty() || look_only {
                return Ok(());
            }
            state = self.0.changed.wait(state).unwrap();
        }
    }

    fn notify(&self) {
        self.0.change(|state| state.notified = true);
    }

    fn accept(&self) -> io::Result<Option<FakeStream>> {
        let conn = self.0.change(|state| {
            if !state.listener_open {
                return None;
            }
            let conn = state.backlog.pop_front()?;
            state.conns[conn].accepted = true;
            Some(conn)
        });
        Ok(conn.map(|conn| FakeStream {
            net: Arc::clone(&self.0),
            conn,
        }))
    }

    fn arm_listener(&self) -> io::Result<()> {
        self.0.change(|state| state.listener_armed = true);
        Ok(())
    }

    fn close_listener(&self) {
        // As a kernel does: connections not yet accepted are reset.
        self.0.change(|state| {
            state.listener_open = false;
            for conn in std::mem::take(&mut state.backlog) {
                state.conns[conn].refused = true;
            }
        });
    }

    fn watch(&self, stream: &FakeStream, key: usize) -> io::Result<()> {
        self.0.change(|state| {
            assert!(
                state
                    .watched
                    .iter()
                    .all(|&(k, c, _)| k != key && c != stream.conn),
                "conn {} watched twice, or key {key} reused while watched",
                stream.conn
            );
            state.watched.push((key, stream.conn, true));
        });
        Ok(())
    }

    fn rearm(&self, stream: &FakeStream, _key: usize) -> io::Result<()> {
        self.0.change(|state| {
            let entry = state.watched.iter_mut().find(|(_, c, _)| *c == stream.conn);
            let (_, _, armed) = entry.expect("rearm of a connection that is not watched");
            *armed = true;
        });
        Ok(())
    }

    fn unwatch(&self, stream: &FakeStream) {
        self.0
            .change(|state| state.watched.retain(|&(_, c, _)| c != stream.conn));
    }

    fn now(&self) -> Instant {
        self.0.epoch
    }
}

// ===== responses =====

/// One response as the client parsed it.
struct Response {
    status: u16,
    close: bool,
}

/// Every whole response at the start of `output`, checked: a 200 carrying the built-in page
/// (or a 503 before a close), and the bytes they take. A response still arriving at the end is
/// not counted; anything malformed is an error.
fn responses(output: &[u8]) -> Result<(Vec<Response>, usize), String> {
    let mut found = Vec::new();
    let mut rest = output;
    while !rest.is_empty() {
        let Some(head_end) = rest.windows(4).position(|w| w == b"\r\n\r\n") else {
            break;
        };
        let head = std::str::from_utf8(&rest[..head_end]).map_err(|e| e.to_string())?;
        let status: u16 = head
            .strip_prefix("HTTP/1.1 ")
            .and_then(|line| line.get(..3))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("not a status line: {head:?}"))?;
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("Content-Length: "))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("no Content-Length: {head:?}"))?;
        let close = head.lines().any(|line| line == "Connection: close");
        let body_start = head_end + 4;
        if rest.len() < body_start + length {
            break;
        }
        let body = &rest[body_start..body_start + length];
        match status {
            200 if body == HELLO => {}
            503 if close => {}
            _ => return Err(format!("unexpected response {status} (close: {close})")),
        }
        found.push(Response { status, close });
        rest = &rest[body_start + length..];
    }
    Ok((found, output.len() - rest.len()))
}

// ===== the model =====

/// 4 workers, a queue of `queue`, no access log.
fn config(queue: usize) -> Config {
    Config {
        threads: 4,
        queue,
        access_log: false,
        ..Config::default()
    }
}

/// Starts the client threads: each opens its 4 connections, then sends request after request
/// on all of them (every fourth connection sends both at once), waiting for each answer, and
/// finally ends its side of every other connection (the rest stay open, idle, until the
/// server closes them). A client stops using a connection the server has shut or refused.
/// Returns the handles; each yields, per connection, (number, requests sent).
fn start_clients(net: &Arc<FakeNet>) -> Vec<thread::JoinHandle<Vec<(usize, usize)>>> {
    (0..CLIENTS)
        .map(|_| {
            let net = Arc::clone(net);
            thread::spawn(move || {
                let conns: Vec<usize> = (0..CONNS_PER_CLIENT).map(|_| net.connect()).collect();
                let mut sent = vec![0; conns.len()];
                let mut open = vec![true; conns.len()];
                for round in 0..REQUESTS {
                    for (i, &conn) in conns.iter().enumerate() {
                        let pipelined = conn % 4 == 3;
                        if !open[i] || (pipelined && round > 0) {
                            continue;
                        }
                        let requests = if pipelined { REQUESTS } else { 1 };
                        net.send(conn, &REQUEST.repeat(requests));
                        sent[i] += requests;
                    }
                    for (i, &conn) in conns.iter().enumerate() {
                        if open[i] && net.wait_for_responses(conn, sent[i]) < sent[i] {
                            open[i] = false; // the server shut it (or refused it)
                        }
                    }
                }
                for (i, &conn) in conns.iter().enumerate() {
                    if conn % 2 == 0 && open[i] {
                        net.close_client_side(conn);
                    }
                }
                net.change(|state| state.clients_done += 1);
                conns.into_iter().zip(sent).collect()
            })
        })
        .collect()
}

/// What every run must end with, however shutdown fell: `run` returned `Complete`; every
/// accepted connection was shut and closed by the server and is no longer watched; a refused
/// one was never accepted; every response whole and as expected, at most one per request
/// sent, and a `Connection: close` response only ever the last. Returns the statuses each
/// connection got.
fn check_the_end(net: &FakeNet, ended: Shutdown, sent: &[(usize, usize)]) -> Vec<Vec<u16>> {
    assert_eq!(ended, Shutdown::Complete);
    let state = net.lock();
    assert!(!state.listener_open, "the listener was left open");
    assert!(
        state.watched.is_empty(),
        "connections still watched: {:?}",
        state.watched
    );
    let mut answered = vec![Vec::new(); state.conns.len()];
    for &(conn, requests) in sent {
        let c = &state.conns[conn];
        if c.accepted {
            assert!(c.finished && c.closed, "conn {conn} accepted, not closed");
        } else {
            assert!(c.refused, "conn {conn} neither accepted nor refused");
            assert!(c.output.is_empty(), "conn {conn} answered, never accepted");
        }
        let (found, whole) =
            responses(&c.output).unwrap_or_else(|err| panic!("conn {conn}: {err}"));
        assert_eq!(
            whole,
            c.output.len(),
            "conn {conn}: a response was cut off: {:?}",
            String::from_utf8_lossy(&c.output[whole..])
        );
        assert!(
            found.len() <= requests,
            "conn {conn}: {} responses to {requests} requests: {:?} (the client sent {:?})",
            found.len(),
            String::from_utf8_lossy(&c.output),
            String::from_utf8_lossy(&c.input)
        );
        if let Some(at) = found.iter().position(|r| r.close) {
            assert_eq!(at + 1, found.len(), "conn {conn}: a response after a close");
        }
        answered[conn] = found.iter().map(|r| r.status).collect();
    }
    answered
}

/// 16 connections from 4 clients, 2 requests each (4 of them pipelined), served by 4 workers
/// through a queue of 16, while half the clients end their side when done; then the server
/// shuts down. Every request is answered with the whole page, every connection is closed
/// (the ones the clients ended as soon as the server read the end, the idle rest at
/// shutdown), and `run` returns.
#[test]
fn serves_16_connections_then_shuts_down() {
    check(
        BINARY,
        "serves_16_connections_then_shuts_down",
        Plan::new(3000, 3000),
        || {
            let net = FakeNet::new();
            let server = Server::with_sys(FakeSys(Arc::clone(&net)), config(16)).unwrap();
            let handle = server.shutdown_handle();
            let clients = start_clients(&net);
            let stopper = thread::spawn(move || {
                let sent: Vec<(usize, usize)> = clients
                    .into_iter()
                    .flat_map(|client| client.join().unwrap())
                    .collect();
                handle.shutdown();
                sent
            });
            let ended = server.run().unwrap();
            let sent = stopper.join().unwrap();
            assert_eq!(sent.len(), CONNS);
            let answered = check_the_end(&net, ended, &sent);
            for &(conn, requests) in &sent {
                assert_eq!(requests, REQUESTS, "conn {conn} sent every request");
                assert_eq!(
                    answered[conn], [200; REQUESTS],
                    "conn {conn} got every answer"
                );
            }
            net.writes.fingerprint()
        },
    );
}

/// The same 16 connections, but the server shuts down after a number of answers shuttle picks
/// (0 to 32), through a queue of 4 (so some connections may get a 503 and a lingering close),
/// while connections are arriving, being answered, handed back and idle: `run` returns, every
/// accepted connection is closed, every answer is whole, and no client waits forever.
#[test]
fn shutdown_racing_16_connections() {
    static REFUSED: Reached = Reached::new();
    static OVERLOADED: Reached = Reached::new();
    static CUT_SHORT: Reached = Reached::new();
    check(
        BINARY,
        "shutdown_racing_16_connections",
        Plan::new(3000, 3000),
        || {
            let net = FakeNet::new();
            let server = Server::with_sys(FakeSys(Arc::clone(&net)), config(4)).unwrap();
            let handle = server.shutdown_handle();
            let stop_after = thread_rng().gen_range(0..=CONNS * REQUESTS);
            let clients = start_clients(&net);
            let stopper = {
                let net = Arc::clone(&net);
                thread::spawn(move || {
                    // Wait until `stop_after` answers are out, or every client is done.
                    {
                        let mut state = net.lock();
                        loop {
                            let answers: usize = state
                                .conns
                                .iter()
                                .map(|c| responses(&c.output).map_or(0, |(r, _)| r.len()))
                                .sum();
                            if answers >= stop_after || state.clients_done == CLIENTS {
                                break;
                            }
                            state = net.changed.wait(state).unwrap();
                        }
                    }
                    handle.shutdown();
                    let sent: Vec<(usize, usize)> = clients
                        .into_iter()
                        .flat_map(|client| client.join().unwrap())
                        .collect();
                    sent
                })
            };
            let ended = server.run().unwrap();
            let sent = stopper.join().unwrap();
            let answered = check_the_end(&net, ended, &sent);
            let state = net.lock();
            if state.conns.iter().any(|c| c.refused) {
                REFUSED.hit();
            }
            drop(state);
            if answered.iter().flatten().any(|&status| status == 503) {
                OVERLOADED.hit();
            }
            if sent
                .iter()
                .any(|&(conn, requests)| (1..requests).contains(&answered[conn].len()))
            {
                CUT_SHORT.hit();
            }
            let mut outcome = net.writes.entries();
            outcome.push(stop_after);
            outcome.extend(answered.iter().map(Vec::len));
            support::fingerprint(outcome)
        },
    );
    expect_reached(
        "shutdown_racing_16_connections",
        &[
            (&REFUSED, "a connection refused by the closed listener"),
            (&OVERLOADED, "a request refused with 503 (a full queue)"),
            (
                &CUT_SHORT,
                "a connection closed between its requests by the shutdown",
            ),
        ],
    );
}
