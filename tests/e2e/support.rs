//! Shared helpers for the end-to-end tests: start the real `webpool` binary on a free port,
//! talk raw HTTP to it, and read responses with a small parser of our own (independent of
//! the server's).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;

/// Generous bound for anything that should happen "soon"; reached only when something is
/// broken, so it never makes a passing test slow.
pub const LIVENESS: Duration = Duration::from_secs(20);

/// A running `webpool` process, killed when dropped.
pub struct ServerProcess {
    child: Option<Child>,
    /// The address it printed.
    pub addr: SocketAddr,
    /// Lines the server wrote to stderr, as they come.
    stderr_lines: mpsc::Receiver<String>,
}

impl ServerProcess {
    /// Starts `webpool --addr 127.0.0.1:0 ARGS...` and waits for its `listening on` line.
    pub fn start(args: &[&str]) -> ServerProcess {
        let mut child = Command::cargo_bin("webpool")
            .expect("the webpool binary is built")
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("webpool starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut first_line = String::new();
        BufReader::new(stdout)
            .read_line(&mut first_line)
            .expect("webpool prints its address");
        let addr = first_line
            .trim()
            .strip_prefix("listening on http://")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected first line: {first_line:?}"))
            .parse()
            .expect("a socket address");
        let stderr_lines = forward_lines(child.stderr.take().expect("stderr is piped"));
        ServerProcess {
            child: Some(child),
            addr,
            stderr_lines,
        }
    }

    /// Opens a connection to the server.
    pub fn connect(&self) -> Client {
        Client::connect(self.addr)
    }

    /// One request on a fresh connection; returns the response.
    pub fn get(&self, path: &str) -> Response {
        let mut client = self.connect();
        client.send(&format!(
            "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
        ));
        client.response()
    }

    /// Sends `signal` (e.g. `libc`'s SIGTERM number via `kill`).
    pub fn signal(&self, name: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let status = Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} {pid} failed");
    }

    /// Waits until the server writes a stderr line containing `needle`; returns the line.
    pub fn wait_for_stderr(&self, needle: &str) -> String {
        let deadline = Instant::now() + LIVENESS;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr_lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => panic!("the server never wrote {needle:?} to stderr"),
            }
        }
    }

    /// Waits for the process to exit, failing the test if it takes longer than [`LIVENESS`].
    pub fn wait_exit(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + LIVENESS;
        loop {
            if let Some(status) = child.try_wait().expect("try_wait works") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("the server did not exit within {LIVENESS:?}");
            }
            thread::sleep(Duration::from_millis(20)); // polling a process, not synchronising
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Forwards each line of `stderr` to a channel from a thread of its own.
fn forward_lines(stderr: ChildStderr) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A raw HTTP client on one connection.
pub struct Client {
    stream: TcpStream,
    /// Bytes received and not yet consumed by a parsed response.
    buffered: Vec<u8>,
}

/// A parsed response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body (empty for HEAD, 204, 304).
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Client {
    /// Connects to `addr`.
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("the server accepts connections");
        stream
            .set_read_timeout(Some(LIVENESS))
            .expect("set a read timeout");
        Client {
            stream,
            buffered: Vec::new(),
        }
    }

    /// Sends raw bytes.
    pub fn send(&mut self, raw: &str) {
        self.send_bytes(raw.as_bytes());
    }

    /// Sends raw bytes.
    pub fn send_bytes(&mut self, raw: &[u8]) {
        self.stream
            .write_all(raw)
            .expect("the server reads requests");
    }

    /// The underlying stream.
    pub fn stream(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    /// Reads one response to a GET (or to a request whose response has a body).
    pub fn response(&mut self) -> Response {
        self.read_response(false)
    }

    /// Reads one response to a HEAD (Content-Length present, but no body follows).
    pub fn head_response(&mut self) -> Response {
        self.read_response(true)
    }

    fn read_response(&mut self, head_request: bool) -> Response {
        let head_end = loop {
            if let Some(end) = find(&self.buffered, b"\r\n\r\n") {
                break end + 4;
            }
            assert!(
                self.fill() > 0,
                "connection closed before a response head: {:?}",
                String::from_utf8_lossy(&self.buffered)
            );
        };
        let head = String::from_utf8(self.buffered[..head_end].to_vec()).expect("ASCII head");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().expect("a status line");
        let mut parts = status_line.splitn(3, ' ');
        assert_eq!(
            parts.next(),
            Some("HTTP/1.1"),
            "status line {status_line:?}"
        );
        let status: u16 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("status line {status_line:?}"));
        let headers: Vec<(String, String)> = lines
            .filter(|line| !line.is_empty())
            .map(|line| {
                let (name, value) = line.split_once(':').expect("name: value");
                (name.to_ascii_lowercase(), value.trim().to_owned())
            })
            .collect();
        self.buffered.drain(..head_end);
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .map_or(0, |(_, v)| v.parse().expect("numeric Content-Length"));
        let body_len = if head_request || status == 204 || status == 304 {
            0
        } else {
            length
        };
        while self.buffered.len() < body_len {
            assert!(
                self.fill() > 0,
                "connection closed inside a body ({} of {body_len})",
                self.buffered.len()
            );
        }
        let body = self.buffered.drain(..body_len).collect();
        Response {
            status,
            headers,
            body,
        }
    }

    /// Reads more bytes; returns how many (0 at end of stream).
    fn fill(&mut self) -> usize {
        let mut chunk = [0u8; 8192];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(n) => {
                    self.buffered.extend_from_slice(&chunk[..n]);
                    return n;
                }
                // assert_cmd's timeouts install a SIGCHLD handler, which interrupts reads.
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) if err.kind() == io::ErrorKind::ConnectionReset => return 0,
                Err(err) => panic!("reading from the server failed: {err}"),
            }
        }
    }

    /// Reads until the server closes the connection (a reset counts as closed); returns how
    /// many bytes arrived first, without keeping them.
    pub fn bytes_until_closed(&mut self) -> usize {
        let mut total = self.buffered.len();
        self.buffered.clear();
        loop {
            let n = self.fill();
            if n == 0 {
                return total;
            }
            total += n;
            self.buffered.clear();
        }
    }

    /// Whether the server has closed the connection (after any buffered responses).
    pub fn is_closed_by_server(&mut self) -> bool {
        self.fill() == 0 && self.buffered.is_empty()
    }

    /// Whether nothing has arrived within `wait` (the server is still working on it).
    pub fn nothing_within(&mut self, wait: Duration) -> bool {
        self.stream
            .set_read_timeout(Some(wait))
            .expect("set timeout");
        let mut byte = [0u8; 1];
        let quiet = loop {
            match self.stream.peek(&mut byte) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    break matches!(
                        err.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    )
                }
                Ok(_) => break false,
            }
        };
        self.stream
            .set_read_timeout(Some(LIVENESS))
            .expect("set timeout");
        quiet
    }
}

/// Position of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
