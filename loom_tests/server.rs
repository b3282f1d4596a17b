//! Loom models of the server core: the real event loop, the real pool and the real connection
//! code, over an in-memory fake of the operating system (`FakeSys`), with shutdown racing
//! each stage of a connection's life. Every model checks that `Server::run` returns (loom
//! reports a deadlock otherwise), that a request a worker began answering is answered whole,
//! and that every accepted connection is closed by the end.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --release --test loom_server`.
#![cfg(loom)]

mod support;

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use loom::sync::{Arc, Condvar, Mutex};
use support::{check, Gate, LARGE_MODEL, SMALL_MODEL};
use webpool::server::{Config, Server, Shutdown, Stream, Sys, LISTENER};

/// A complete keep-alive request for the built-in page.
const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: model\r\n\r\n";

/// The built-in page, as the response body must carry it.
const HELLO: &[u8] = include_bytes!("../site/hello.html");

// ===== the fake operating system =====

/// An in-memory client connection. Clones share it: the test keeps one to inspect.
#[derive(Clone)]
struct FakeStream(Arc<Mutex<StreamState>>, Arc<Hooks>);

struct StreamState {
    /// What the client sent.
    input: Vec<u8>,
    /// How much of `input` the server has read.
    read: usize,
    /// What the server wrote.
    output: Vec<u8>,
    /// Whether the server accepted the connection.
    accepted: bool,
    /// Whether the server closed its side (`finish`).
    finished: bool,
}

/// Gates a model can wait on, opened by the fake as the server reaches each stage.
struct Hooks {
    /// Opened when the server has read the request.
    request_read: Gate,
    /// Opened when the server has written the response.
    response_written: Gate,
    /// Notified (with the stream's lock) whenever the server writes.
    wrote: Condvar,
}

impl FakeStream {
    fn new(input: &[u8]) -> FakeStream {
        FakeStream(
            Arc::new(Mutex::new(StreamState {
                input: input.to_vec(),
                read: 0,
                output: Vec::new(),
                accepted: false,
                finished: false,
            })),
            Arc::new(Hooks {
                request_read: Gate::new(),
                response_written: Gate::new(),
                wrote: Condvar::new(),
            }),
        )
    }

    fn readable(&self) -> bool {
        let state = self.0.lock().unwrap();
        state.read < state.input.len()
    }

    fn same(&self, other: &FakeStream) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    fn output(&self) -> Vec<u8> {
        self.0.lock().unwrap().output.clone()
    }

    fn finished(&self) -> bool {
        self.0.lock().unwrap().finished
    }

    fn accepted(&self) -> bool {
        self.0.lock().unwrap().accepted
    }

    /// Blocks until the server has written `count` whole responses.
    fn wait_for_responses(&self, count: usize) {
        let mut state = self.0.lock().unwrap();
        while whole_hello_responses(&state.output) < count {
            state = self.1.wrote.wait(state).unwrap();
        }
    }
}

impl Read for FakeStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut state = self.0.lock().unwrap();
        let left = &state.input[state.read..];
        if left.is_empty() {
            // The client keeps the connection open and sends nothing more.
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = left.len().min(buf.len());
        buf[..n].copy_from_slice(&left[..n]);
        state.read += n;
        let all_read = state.read == state.input.len();
        drop(state);
        if all_read {
            self.1.request_read.open();
        }
        Ok(n)
    }
}

impl Write for FakeStream {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().output.extend_from_slice(data);
        self.1.wrote.notify_all();
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Stream for FakeStream {
    fn write_all_waiting(&mut self, data: &[u8]) -> io::Result<()> {
        self.write_all(data)?;
        self.1.response_written.open();
        Ok(())
    }

    fn peer(&self) -> Option<SocketAddr> {
        None
    }

    fn finish(&mut self) {
        self.0.lock().unwrap().finished = true;
    }
}

/// The fake poller and listener. Clones share it: a model keeps one to play the clients.
#[derive(Clone)]
struct FakeSys {
    state: Arc<Mutex<SysState>>,
    changed: Arc<Condvar>,
    epoch: Instant,
}

struct SysState {
    /// Connections waiting to be accepted.
    backlog: VecDeque<FakeStream>,
    listener_open: bool,
    listener_armed: bool,
    /// Watched connections and whether each is armed.
    watched: Vec<(usize, FakeStream, bool)>,
    notified: bool,
}

impl FakeSys {
    fn new(backlog: Vec<FakeStream>) -> FakeSys {
        FakeSys {
            state: Arc::new(Mutex::new(SysState {
                backlog: backlog.into(),
                listener_open: true,
                listener_armed: true,
                watched: Vec::new(),
                notified: false,
            })),
            changed: Arc::new(Condvar::new()),
            epoch: Instant::now(),
        }
    }

    /// The client of `stream` sends `bytes`. Under the poller's lock, so that a `wait` that
    /// has just found the connection unreadable cannot go to sleep without hearing of them.
    fn client_sends(&self, stream: &FakeStream, bytes: &[u8]) {
        let state = self.state.lock().unwrap();
        stream.0.lock().unwrap().input.extend_from_slice(bytes);
        drop(state);
        self.changed.notify_all();
    }
}

impl Sys for FakeSys {
    type Stream = FakeStream;

    fn wait(&self, ready: &mut Vec<usize>, timeout: Option<Duration>) -> io::Result<()> {
        // Timeouts never fire in a model: time does not pass. Except a zero one: a look that
        // does not block (the event loop's `LOOK_AGAIN`) returns at once, ready or not.
        let look_only = timeout == Some(Duration::ZERO);
        let mut state = self.state.lock().unwrap();
        loop {
            if state.listener_open && state.listener_armed && !state.backlog.is_empty() {
                state.listener_armed = false;
                ready.push(LISTENER);
            }
            for (key, stream, armed) in &mut state.watched {
                if *armed && stream.readable() {
                    *armed = false;
                    ready.push(*key);
                }
            }
            let notified = std::mem::take(&mut state.notified);
            if notified || !ready.is_empty() || look_only {
                return Ok(());
            }
            state = self.changed.wait(state).unwrap();
        }
    }

    fn notify(&self) {
        self.state.lock().unwrap().notified = true;
        self.changed.notify_all();
    }

    fn accept(&self) -> io::Result<Option<FakeStream>> {
        let mut state = self.state.lock().unwrap();
        if !state.listener_open {
            return Ok(None);
        }
        let stream = state.backlog.pop_front();
        if let Some(stream) = &stream {
            stream.0.lock().unwrap().accepted = true;
        }
        Ok(stream)
    }

    fn arm_listener(&self) -> io::Result<()> {
        self.state.lock().unwrap().listener_armed = true;
        self.changed.notify_all();
        Ok(())
    }

    fn close_listener(&self) {
        self.state.lock().unwrap().listener_open = false;
    }

    fn watch(&self, stream: &FakeStream, key: usize) -> io::Result<()> {
        self.state
            .lock()
            .unwrap()
            .watched
            .push((key, stream.clone(), true));
        self.changed.notify_all();
        Ok(())
    }

    fn rearm(&self, stream: &FakeStream, _key: usize) -> io::Result<()> {
        let mut state = self.state.lock().unwrap();
        for (_, watched, armed) in &mut state.watched {
            if watched.same(stream) {
                *armed = true;
            }
        }
        drop(state);
        self.changed.notify_all();
        Ok(())
    }

    fn unwatch(&self, stream: &FakeStream) {
        self.state
            .lock()
            .unwrap()
            .watched
            .retain(|(_, watched, _)| !watched.same(stream));
    }

    fn now(&self) -> Instant {
        self.epoch
    }
}

// ===== the models =====

/// One worker, no access log, no timeouts that matter.
fn config() -> Config {
    Config {
        threads: 1,
        queue: 1,
        access_log: false,
        ..Config::default()
    }
}

/// How many complete 200 responses carrying the built-in page `output` begins with.
fn whole_hello_responses(mut output: &[u8]) -> usize {
    let mut count = 0;
    while let Some(head_end) = output.windows(4).position(|w| w == b"\r\n\r\n") {
        let end = head_end + 4 + HELLO.len();
        if output.len() < end || !is_whole_hello_response(&output[..end]) {
            break;
        }
        count += 1;
        output = &output[end..];
    }
    count
}

/// Whether `output` is exactly one complete 200 response carrying the built-in page.
fn is_whole_hello_response(output: &[u8]) -> bool {
    let Some(head_end) = output.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&output[..head_end]);
    let length = format!("Content-Length: {}", HELLO.len());
    head.starts_with("HTTP/1.1 200 OK\r\n")
        && head.lines().any(|line| line == length)
        && &output[head_end + 4..] == HELLO
}

/// Shutdown races a connection from before it is accepted to after it is answered: the
/// server stops, and the client gets either nothing (shutdown won before the request was
/// dispatched) or one whole response — never a truncated one — and an accepted connection
/// is always closed.
#[test]
fn shutdown_racing_an_accepted_connection() {
    check(
        "shutdown_racing_an_accepted_connection",
        SMALL_MODEL,
        || {
            let client = FakeStream::new(REQUEST);
            let server = Server::with_sys(FakeSys::new(vec![client.clone()]), config()).unwrap();
            let handle = server.shutdown_handle();
            let stopper = loom::thread::spawn(move || handle.shutdown());
            assert_eq!(server.run().unwrap(), Shutdown::Complete);
            stopper.join().unwrap();
            let output = client.output();
            assert!(
                output.is_empty() || is_whole_hello_response(&output),
                "truncated response: {:?}",
                String::from_utf8_lossy(&output)
            );
            assert!(
                !client.accepted() || client.finished(),
                "an accepted connection was left open"
            );
        },
    );
}

/// Shutdown arrives while a worker is answering a request: the answer is sent whole, and
/// the connection is closed after it.
#[test]
fn shutdown_racing_a_request_in_flight() {
    check("shutdown_racing_a_request_in_flight", SMALL_MODEL, || {
        let client = FakeStream::new(REQUEST);
        let server = Server::with_sys(FakeSys::new(vec![client.clone()]), config()).unwrap();
        let handle = server.shutdown_handle();
        let request_read = client.1.request_read.clone();
        let stopper = loom::thread::spawn(move || {
            request_read.wait(); // a worker is answering now
            handle.shutdown();
        });
        assert_eq!(server.run().unwrap(), Shutdown::Complete);
        stopper.join().unwrap();
        assert!(is_whole_hello_response(&client.output()));
        assert!(
            client.finished(),
            "the connection was closed after the answer"
        );
    });
}

/// Shutdown races the worker handing the answered connection back to the event loop (and the
/// loop re-arming it): the loop neither waits forever for it nor leaves it open.
#[test]
fn shutdown_racing_a_connection_handed_back() {
    check(
        "shutdown_racing_a_connection_handed_back",
        SMALL_MODEL,
        || {
            let client = FakeStream::new(REQUEST);
            let server = Server::with_sys(FakeSys::new(vec![client.clone()]), config()).unwrap();
            let handle = server.shutdown_handle();
            let response_written = client.1.response_written.clone();
            let stopper = loom::thread::spawn(move || {
                response_written.wait(); // the worker is about to hand the connection back
                handle.shutdown();
            });
            assert_eq!(server.run().unwrap(), Shutdown::Complete);
            stopper.join().unwrap();
            assert!(is_whole_hello_response(&client.output()));
            assert!(client.finished(), "the handed-back connection was closed");
        },
    );
}

/// A keep-alive client sends its next request just as the worker hands the connection back.
/// The worker re-arms the connection itself and hands it back without waking the event loop
/// (`Ctx::hand_back`), so the loop may hear of the new request before the hand-back arrives;
/// it must then wait for that hand-back, and the worker must wake it. Both requests are
/// answered, and the server then shuts down. Fails, as a deadlock, on the protocol mutants
/// `server-idle-handback-never-wakes` (the worker never wakes the loop for an idle hand-back)
/// and `server-no-second-look` (the loop sleeps without looking at the hand-backs again after
/// saying it waits for one), both in `scripts/mutants/protocol/`.
#[test]
fn a_request_racing_its_connections_hand_back_is_answered() {
    check(
        "a_request_racing_its_connections_hand_back_is_answered",
        // Bound 2: 33 748 interleavings, seconds. Bound 3 (1 013 630 interleavings, 130 s in
        // release) passes too, and bound 1 already catches all three mutants named above.
        LARGE_MODEL,
        || {
            let client = FakeStream::new(REQUEST);
            let sys = FakeSys::new(vec![client.clone()]);
            let network = sys.clone();
            let server = Server::with_sys(sys, config()).unwrap();
            let handle = server.shutdown_handle();
            let peer = client.clone();
            let user = loom::thread::spawn(move || {
                peer.wait_for_responses(1);
                network.client_sends(&peer, REQUEST);
                peer.wait_for_responses(2);
                handle.shutdown();
            });
            assert_eq!(server.run().unwrap(), Shutdown::Complete);
            user.join().unwrap();
            let output = client.output();
            assert_eq!(
                whole_hello_responses(&output),
                2,
                "{:?}",
                String::from_utf8_lossy(&output)
            );
            assert!(client.finished(), "the connection was closed at shutdown");
        },
    );
}
