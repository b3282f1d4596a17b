//! The catalog's bugs, live: the `webpool` binary runs the Rust Book's server on a buggy pool
//! (`--pool NAME`) and on the fixed one, and raw HTTP over TCP shows the difference.
//!
//! - Bugs 1 and 2: `/hold` waits for `/release`. The fixed pool completes the pair; on the
//!   book's `while let` (or named-guard) pool the running `/hold` keeps the receiver's lock,
//!   so `/release` is not even started until `/hold` gives up.
//! - Bug 7: four empty connections panic four jobs. The fixed pool catches the panics and
//!   still answers; the book's pool has lost all four workers and never answers again.
//! - Bug 4: `/shutdown` drops the pool. The fixed pool exits cleanly; the book's listing 21-23
//!   pool panics every worker with `RecvError` and dies panicking in `Drop`.
//!
//! No sleeps: every wait is for an event (a byte, a close, an exit) under a generous timeout,
//! and every server is killed when its test ends.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;

/// Generous bound for "this should happen"; only reached if something is broken.
const LIVENESS: Duration = Duration::from_secs(30);

/// How long `/release` must stay unanswered on a pool where a running job blocks the others.
/// No test can fail because this is short (the fixed pool answers the same request within
/// milliseconds, and a stuck pool stays stuck); a longer window would only make the
/// observation longer.
const STUCK_FOR: Duration = Duration::from_secs(3);

/// A `webpool` process serving the book's server on one pool; killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    /// Everything the server wrote to stderr so far.
    stderr: Arc<Mutex<String>>,
    /// Receives once the server's stderr is closed, i.e. once it has exited.
    stderr_closed: Receiver<()>,
}

impl Server {
    /// Starts `webpool --pool POOL --threads 4` on a free port.
    fn start(pool: &str) -> Server {
        let mut child = Command::cargo_bin("webpool")
            .expect("the webpool binary is built")
            .args(["--addr", "127.0.0.1:0", "--pool", pool, "--threads", "4"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("webpool starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = stdout
            .next()
            .expect("webpool prints its address")
            .expect("stdout is readable");
        // "listening on http://ADDR", possibly followed by a note.
        let addr = first
            .strip_prefix("listening on http://")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected first line: {first:?}"))
            .parse()
            .expect("a socket address");
        // The book's pools print a line per job: keep reading, so a full pipe never blocks one.
        thread::spawn(move || stdout.for_each(drop));

        let stderr = Arc::new(Mutex::new(String::new()));
        let (closed_tx, stderr_closed) = mpsc::channel();
        {
            let stderr = Arc::clone(&stderr);
            let mut pipe = child.stderr.take().unwrap();
            thread::spawn(move || {
                let mut chunk = [0; 4096];
                while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                    stderr
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&chunk[..n]));
                }
                let _ = closed_tx.send(());
            });
        }
        Server {
            child,
            addr,
            stderr,
            stderr_closed,
        }
    }

    /// Opens a connection whose reads give up after `LIVENESS`.
    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).expect("the server accepts connections");
        stream.set_read_timeout(Some(LIVENESS)).unwrap();
        stream
    }

    /// Opens a connection and sends `GET path`.
    fn send(&self, path: &str) -> TcpStream {
        let mut stream = self.connect();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
        stream
    }

    /// Everything the server sends for `GET path` before closing the connection, or nothing
    /// if it cannot be reached or resets the connection.
    ///
    /// # Panics
    ///
    /// If the connection is still open, and silent, after `LIVENESS`.
    fn answer(&self, path: &str) -> String {
        let Ok(mut stream) = TcpStream::connect(self.addr) else {
            return String::new(); // nothing listens any more
        };
        stream.set_read_timeout(Some(LIVENESS)).unwrap();
        if write!(stream, "GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").is_err() {
            return String::new();
        }
        read_until_closed(&mut stream)
    }

    /// Waits until the server exits on its own, and returns how.
    fn exit_status(&mut self) -> ExitStatus {
        self.stderr_closed
            .recv_timeout(LIVENESS)
            .expect("the server exits");
        self.child.wait().unwrap()
    }

    /// What the server has written to stderr.
    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads until the peer closes (or resets) the connection.
///
/// # Panics
///
/// If nothing ends the connection within its read timeout.
fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    match stream.read_to_end(&mut bytes) {
        Ok(_) => {}
        Err(err) if err.kind() == io::ErrorKind::ConnectionReset => {}
        Err(err) => panic!(
            "the connection was neither answered nor closed: {err}; got {:?}",
            String::from_utf8_lossy(&bytes)
        ),
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Reads until `expected` has arrived; returns everything read.
fn read_until(stream: &mut TcpStream, expected: &str) -> String {
    let mut text = String::new();
    let mut chunk = [0; 1024];
    while !text.contains(expected) {
        match stream.read(&mut chunk) {
            Ok(0) => panic!("closed before {expected:?}; got {text:?}"),
            Ok(n) => text.push_str(&String::from_utf8_lossy(&chunk[..n])),
            // server.rs's assert_cmd timeouts install a SIGCHLD handler in this process, and a
            // socket read with a timeout returns EINTR even under SA_RESTART.
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => panic!("no {expected:?} within {LIVENESS:?}: {err}; got {text:?}"),
        }
    }
    text
}

/// Asserts that nothing arrives on `stream` for `STUCK_FOR`.
fn assert_silent(stream: &mut TcpStream, what: &str) {
    stream.set_read_timeout(Some(STUCK_FOR)).unwrap();
    let mut byte = [0; 1];
    loop {
        match stream.read(&mut byte) {
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                break
            }
            // A signal (see `read_until`) cut the wait short: wait the whole window again.
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Ok(0) => panic!("{what}: the connection was closed"),
            Ok(_) => panic!("{what}: an answer arrived"),
            Err(err) => panic!("{what}: {err}"),
        }
    }
    stream.set_read_timeout(Some(LIVENESS)).unwrap();
}

// ===== bugs 1 and 2: a running job blocks every other worker =====

#[test]
fn the_fixed_pool_completes_the_hold_release_rendezvous() {
    let server = Server::start("fixed");
    let mut hold = server.send("/hold");
    read_until(&mut hold, "holding\n"); // the /hold job is running on a worker

    let released = server.answer("/release");
    assert!(released.starts_with("HTTP/1.1 200 OK"), "{released:?}");
    assert!(released.ends_with("released\n"), "{released:?}");

    let held = read_until_closed(&mut hold);
    assert!(
        held.ends_with("released\n"),
        "/hold ended without the release: {held:?}"
    );
}

/// `/hold` runs and holds the receiver's lock; `/release` cannot even start until `/hold`'s
/// client gives up, and then `/hold` ends unreleased.
fn a_running_job_blocks_every_other_worker(pool: &str) {
    let server = Server::start(pool);
    let mut hold = server.send("/hold");
    read_until(&mut hold, "holding\n");

    let mut release = server.send("/release");
    assert_silent(&mut release, "/release while /hold runs");

    // /hold's client gives up: the job ends, the lock is free, and only now does a worker
    // receive /release.
    hold.shutdown(Shutdown::Write).unwrap();
    let held = read_until_closed(&mut hold);
    assert!(held.ends_with("gave up\n"), "/hold was released: {held:?}");
    let released = read_until_closed(&mut release);
    assert!(released.starts_with("HTTP/1.1 200 OK"), "{released:?}");
    assert!(released.ends_with("released\n"), "{released:?}");
}

#[test]
fn on_the_while_let_pool_a_running_job_blocks_every_other_worker() {
    a_running_job_blocks_every_other_worker("while-let");
}

#[test]
fn on_the_named_guard_pool_a_running_job_blocks_every_other_worker() {
    a_running_job_blocks_every_other_worker("named-guard");
}

// ===== bug 7: a panicking job kills its worker =====

/// Opens `count` connections that send nothing; waits for the server to close each, which
/// it does as the job reading it panics (`lines().next().unwrap()` on `None`) and unwinds.
fn empty_connections(server: &Server, count: usize) {
    for _ in 0..count {
        let mut empty = server.connect();
        empty.shutdown(Shutdown::Write).unwrap();
        let answer = read_until_closed(&mut empty);
        assert_eq!(answer, "", "an empty request gets no answer");
    }
}

#[test]
fn four_empty_connections_leave_the_book_pool_unable_to_answer() {
    let server = Server::start("panic-kills-worker");
    empty_connections(&server, 4);
    // Each of the four workers has panicked; none will ever take a job again.
    let answer = server.answer("/");
    assert_eq!(answer, "", "a book pool with no workers answered");
}

#[test]
fn empty_connections_cost_the_fixed_pool_no_worker() {
    let server = Server::start("fixed");
    empty_connections(&server, 8);
    let answer = server.answer("/");
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer:?}");
    assert!(answer.contains("<h1>Hello!</h1>"), "{answer:?}");
}

// ===== bug 4: `recv().unwrap()` at shutdown =====

#[test]
fn shutdown_kills_the_recv_unwrap_pool_with_a_panic() {
    let mut server = Server::start("recv-unwrap");
    let answer = server.answer("/shutdown");
    assert!(answer.ends_with("shutting down\n"), "{answer:?}");
    let status = server.exit_status();
    assert_eq!(status.code(), Some(101), "a panic in main: {status}");
    let stderr = server.stderr();
    assert!(
        stderr.contains("called `Result::unwrap()` on an `Err` value: RecvError"),
        "{stderr}"
    );
}

#[test]
fn shutdown_stops_the_fixed_pool_cleanly() {
    let mut server = Server::start("fixed");
    assert!(server.answer("/").starts_with("HTTP/1.1 200 OK"));
    let answer = server.answer("/shutdown");
    assert!(answer.ends_with("shutting down\n"), "{answer:?}");
    let status = server.exit_status();
    assert!(status.success(), "{status}: {}", server.stderr());
    assert!(!server.stderr().contains("panicked"), "{}", server.stderr());
}
