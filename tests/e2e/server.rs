//! End to end: the real `webpool` binary, started on a free port, driven over TCP.
//! Routes, static files, validators, ranges, keep-alive, bad input, overload, signals, CLI.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

use crate::support::{Client, ServerProcess, LIVENESS};
use assert_cmd::Command;
use predicates::prelude::*;

const HELLO: &str = include_str!("../../site/hello.html");
const NOT_FOUND: &str = include_str!("../../site/404.html");

/// A scratch directory of files to serve, removed at the end of the test.
struct Site {
    root: PathBuf,
}

impl Site {
    fn new(name: &str) -> Site {
        let root = std::env::temp_dir().join(format!("webpool-e2e-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("docs")).unwrap();
        fs::write(root.join("style.css"), "body { color: teal }\n").unwrap();
        fs::write(root.join("data.json"), "{\"n\": 1}\n").unwrap();
        fs::write(root.join("docs/index.html"), "<p>docs index</p>\n").unwrap();
        let digits: String = (0..1000)
            .map(|n| char::from(b'0' + (n % 10) as u8))
            .collect();
        fs::write(root.join("digits.txt"), digits).unwrap();
        let big: Vec<u8> = (0..3_000_000u32).map(|n| (n % 251) as u8).collect();
        fs::write(root.join("big.bin"), big).unwrap();
        Site { root }
    }

    fn path(&self) -> &str {
        self.root.to_str().unwrap()
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

#[test]
fn root_serves_hello_with_the_standard_headers() {
    let server = ServerProcess::start(&["--quiet"]);
    let response = server.get("/");
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), HELLO);
    assert_eq!(
        response.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        response.header("content-length"),
        Some(HELLO.len().to_string().as_str())
    );
    assert!(response.header("date").is_some_and(|d| d.ends_with(" GMT")));
    assert!(response.header("etag").is_some());
    assert!(response.header("last-modified").is_some());
}

#[test]
fn unknown_path_is_404_with_the_books_page() {
    let server = ServerProcess::start(&["--quiet"]);
    let response = server.get("/no/such/page");
    assert_eq!(response.status, 404);
    assert_eq!(response.text(), NOT_FOUND);
}

#[test]
fn sleep_route_waits_then_serves_hello() {
    let server = ServerProcess::start(&["--quiet", "--sleep-ms", "200"]);
    let response = server.get("/sleep");
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), HELLO);
}

#[test]
fn root_is_answered_while_sleep_runs() {
    let server = ServerProcess::start(&["--quiet", "--threads", "2", "--sleep-ms", "60000"]);
    let mut sleeper = server.connect();
    sleeper.send("GET /sleep HTTP/1.1\r\nHost: t\r\n\r\n");
    let response = server.get("/");
    assert_eq!(response.status, 200);
    // The sleeper is still waiting: one blocked handler blocked only its own worker.
    assert!(sleeper.nothing_within(Duration::from_millis(50)));
}

#[test]
fn head_has_the_headers_of_get_and_no_body() {
    let server = ServerProcess::start(&["--quiet"]);
    let mut client = server.connect();
    client.send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = client.head_response();
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-length"),
        Some(HELLO.len().to_string().as_str())
    );
    assert!(head.body.is_empty());
    // The next response starts right after the head: no body bytes were sent for HEAD.
    let get = client.response();
    assert_eq!(get.text(), HELLO);
}

#[test]
fn other_methods_get_405_with_allow_and_options_gets_204() {
    let server = ServerProcess::start(&["--quiet"]);
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let mut client = server.connect();
        client.send(&format!(
            "{method} / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"
        ));
        let response = client.response();
        assert_eq!(response.status, 405, "{method}");
        assert_eq!(response.header("allow"), Some("GET, HEAD, OPTIONS"));
    }
    let mut client = server.connect();
    client.send("OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
    let response = client.response();
    assert_eq!(response.status, 204);
    assert_eq!(response.header("allow"), Some("GET, HEAD, OPTIONS"));
}

#[test]
fn static_files_have_types_indexes_and_redirects() {
    let site = Site::new("static");
    let server = ServerProcess::start(&["--quiet", "--root", site.path()]);
    let css = server.get("/style.css");
    assert_eq!(css.status, 200);
    assert_eq!(css.text(), "body { color: teal }\n");
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(
        server.get("/data.json").header("content-type"),
        Some("application/json")
    );
    let index = server.get("/docs/");
    assert_eq!(
        (index.status, index.text().as_str()),
        (200, "<p>docs index</p>\n")
    );
    let redirect = server.get("/docs");
    assert_eq!(redirect.status, 301);
    assert_eq!(redirect.header("location"), Some("/docs/"));
    assert_eq!(server.get("/missing.txt").status, 404);
    // The built-in routes still win over the root.
    assert_eq!(server.get("/").text(), HELLO);
}

/// Item 8 of issue 13: `--root DIR` with an `index.html` serves it at `/`, as a new user
/// expects of a file server; a root without one keeps the book's `hello.html` there.
#[test]
fn the_roots_index_html_is_served_at_slash_when_it_exists() {
    let site = Site::new("root-index");
    fs::write(site.root.join("index.html"), "<h1>my site</h1>\n").unwrap();
    let server = ServerProcess::start(&["--quiet", "--root", site.path()]);
    let index = server.get("/");
    assert_eq!(index.status, 200);
    assert_eq!(index.text(), "<h1>my site</h1>\n");
    assert_eq!(
        index.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let mut client = server.connect();
    client.send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = client.head_response();
    assert_eq!(head.header("content-length"), Some("17"));

    // Without an index.html (taken away while the server runs), `/` is the book's page again.
    fs::remove_file(site.root.join("index.html")).unwrap();
    assert_eq!(server.get("/").text(), HELLO);
    // And `--help` says so.
    Command::cargo_bin("webpool")
        .unwrap()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("index.html").and(predicate::str::contains("hello.html")));
}

#[test]
fn large_files_arrive_whole() {
    let site = Site::new("large");
    let server = ServerProcess::start(&["--quiet", "--root", site.path()]);
    let response = server.get("/big.bin");
    assert_eq!(response.status, 200);
    assert_eq!(response.body, fs::read(site.root.join("big.bin")).unwrap());
}

#[test]
fn validators_give_304_for_etag_and_for_date() {
    let site = Site::new("validators");
    let server = ServerProcess::start(&["--quiet", "--root", site.path()]);
    for path in ["/style.css", "/"] {
        let first = server.get(path);
        let etag = first.header("etag").unwrap().to_owned();
        let modified = first.header("last-modified").unwrap().to_owned();
        let mut client = server.connect();
        client.send(&format!(
            "GET {path} HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag}\r\n\r\n\
             GET {path} HTTP/1.1\r\nHost: t\r\nIf-Modified-Since: {modified}\r\n\r\n\
             GET {path} HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"other\"\r\n\r\n"
        ));
        let by_tag = client.response();
        assert_eq!(by_tag.status, 304, "{path}");
        assert!(by_tag.body.is_empty());
        assert_eq!(by_tag.header("etag"), Some(etag.as_str()));
        assert_eq!(client.response().status, 304, "{path} by date");
        // If-None-Match decides when present, even with a stale tag.
        assert_eq!(client.response().status, 200, "{path} with another tag");
    }
}

#[test]
fn single_ranges_give_206_and_unsatisfiable_ones_416() {
    let site = Site::new("ranges");
    let server = ServerProcess::start(&["--quiet", "--root", site.path()]);
    let digits = fs::read_to_string(site.root.join("digits.txt")).unwrap();
    let mut client = server.connect();
    client.send(
        "GET /digits.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=10-19\r\n\r\n\
         GET /digits.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=-5\r\n\r\n\
         GET /digits.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=5000-\r\n\r\n\
         GET /digits.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-1,5-6\r\n\r\n",
    );
    let middle = client.response();
    assert_eq!(middle.status, 206);
    assert_eq!(middle.text(), digits[10..20]);
    assert_eq!(middle.header("content-range"), Some("bytes 10-19/1000"));
    let suffix = client.response();
    assert_eq!(
        (suffix.status, suffix.text()),
        (206, digits[995..].to_owned())
    );
    let beyond = client.response();
    assert_eq!(beyond.status, 416);
    assert_eq!(beyond.header("content-range"), Some("bytes */1000"));
    let multiple = client.response();
    assert_eq!(
        multiple.status, 200,
        "multiple ranges are ignored: the whole file"
    );
    assert_eq!(multiple.header("accept-ranges"), Some("bytes"));
    assert_eq!(multiple.body.len(), 1000);
}

#[test]
fn traversal_attempts_never_leave_the_root() {
    let outer = Site::new("traversal-outer");
    let site_root = outer.root.join("served");
    fs::create_dir_all(&site_root).unwrap();
    fs::write(site_root.join("inside.txt"), "inside").unwrap();
    fs::write(outer.root.join("secret.txt"), "secret").unwrap();
    std::os::unix::fs::symlink(outer.root.join("secret.txt"), site_root.join("link.txt")).unwrap();
    let server = ServerProcess::start(&["--quiet", "--root", site_root.to_str().unwrap()]);
    assert_eq!(server.get("/inside.txt").text(), "inside");
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/a/../../secret.txt",
        "/..%5csecret.txt",
        "/link.txt",
        "/inside.txt%00.html",
    ] {
        let response = server.get(path);
        assert!(
            response.status == 400 || response.status == 404,
            "{path}: {}",
            response.status
        );
        assert!(
            !response.text().contains("secret"),
            "{path} leaked the file"
        );
    }
}

#[test]
fn keep_alive_reuses_one_connection_and_pipelined_requests_answer_in_order() {
    let server = ServerProcess::start(&["--quiet"]);
    let mut client = server.connect();
    for _ in 0..3 {
        client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        let response = client.response();
        assert_eq!(response.status, 200);
        assert_eq!(
            response.header("connection"),
            None,
            "HTTP/1.1 keeps alive by default"
        );
    }
    client.send(
        "GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n\
         GET /b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    let statuses: Vec<u16> = (0..3).map(|_| client.response().status).collect();
    assert_eq!(statuses, [404, 200, 404]);
    assert!(
        client.is_closed_by_server(),
        "Connection: close is honoured"
    );
}

#[test]
fn http_1_0_closes_unless_keep_alive_is_asked() {
    let server = ServerProcess::start(&["--quiet"]);
    let mut plain = server.connect();
    plain.send("GET / HTTP/1.0\r\n\r\n");
    let response = plain.response();
    assert_eq!(response.status, 200);
    assert_eq!(response.header("connection"), Some("close"));
    assert!(plain.is_closed_by_server());

    let mut kept = server.connect();
    kept.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_eq!(kept.response().header("connection"), Some("keep-alive"));
    kept.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_eq!(kept.response().status, 200);
}

#[test]
fn malformed_requests_get_their_status_and_the_server_keeps_serving() {
    let server = ServerProcess::start(&["--quiet"]);
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(9000));
    let many_headers = format!(
        "GET / HTTP/1.1\r\nHost: t\r\n{}\r\n",
        (0..200)
            .map(|n| format!("X-{n}: v\r\n"))
            .collect::<String>()
    );
    let cases: Vec<(String, u16)> = vec![
        ("GARBAGE\r\n\r\n".into(), 400),
        ("GET / HTTP/2.0\r\nHost: t\r\n\r\n".into(), 505),
        ("BREW / HTTP/1.1\r\nHost: t\r\n\r\n".into(), 501),
        ("get / HTTP/1.1\r\nHost: t\r\n\r\n".into(), 501),
        ("GET / HTTP/1.1\r\n\r\n".into(), 400),
        ("GET / HTTP/1.1\r\nHost:\r\n\r\n".into(), 400),
        ("GET / HTTP/1.1\r\nHost : t\r\n\r\n".into(), 400),
        ("GET /\r\n\r\n".into(), 400),
        (long_target, 414),
        (many_headers, 431),
        (
            "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
                .into(),
            400,
        ),
    ];
    for (request, status) in cases {
        let mut client = server.connect();
        client.send(&request);
        let response = client.response();
        assert_eq!(
            response.status,
            status,
            "{:?}",
            &request[..request.len().min(60)]
        );
        assert_eq!(response.header("connection"), Some("close"));
        assert!(client.is_closed_by_server());
        assert_eq!(server.get("/").status, 200, "still serving after {status}");
    }
}

#[test]
fn a_body_the_route_does_not_need_is_read_and_the_next_request_answered() {
    let server = ServerProcess::start(&["--quiet"]);
    let mut client = server.connect();
    client.send(
        "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello\
         GET /after-length HTTP/1.1\r\nHost: t\r\n\r\n\
         GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
         5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n\
         GET /after-chunked HTTP/1.1\r\nHost: t\r\n\r\n\
         POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc\
         GET /after-post HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let response = client.response();
        assert_eq!(response.header("connection"), None, "kept alive");
        statuses.push(response.status);
    }
    assert_eq!(statuses, [200, 404, 200, 404, 405, 404]);
    // The connection is still usable afterwards.
    client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.response().status, 200);
}

#[test]
fn malformed_chunk_sizes_are_400_and_bodies_past_the_limit_413() {
    let server = ServerProcess::start(&["--quiet"]);
    let chunked = "GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
    let cases = [
        (format!("{chunked}zz\r\n\r\n"), 400),
        // 2^64 does not fit the 64-bit size: malformed, as nginx answers.
        (format!("{chunked}10000000000000000\r\nx\r\n0\r\n\r\n"), 400),
        (format!("{chunked}5\r\nhelloX\r\n0\r\n\r\n"), 400),
        // 2 MiB: a well-formed size past the 1 MiB body limit.
        (format!("{chunked}200000\r\n"), 413),
        (
            "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1048577\r\n\r\n".to_owned(),
            413,
        ),
    ];
    for (request, status) in cases {
        let mut client = server.connect();
        client.send(&request);
        client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        let response = client.response();
        assert_eq!(response.status, status, "{request:?}");
        assert_eq!(response.header("connection"), Some("close"), "{request:?}");
        assert!(client.is_closed_by_server(), "{request:?}");
    }
}

/// Item 3 of issue 13: a client pipelines far more requests than the per-connection cap
/// (1 000). The server answers up to the cap and closes with the rest unread; it must close in
/// stages (stop sending, read and discard, then close), or the kernel resets the connection and
/// the responses still on their way are lost. The client must receive all 1 000 responses and a
/// clean end of stream, never a reset.
#[test]
fn a_client_pipelining_past_the_request_cap_receives_every_response() {
    const SENT: usize = 20_000;
    const CAP: usize = 1000;
    let server = ServerProcess::start(&["--quiet"]);
    let mut reader = TcpStream::connect(server.addr).unwrap();
    reader.set_read_timeout(Some(LIVENESS)).unwrap();
    let mut writer = reader.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let request = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n";
        let all: Vec<u8> = request.repeat(SENT);
        // The server stops reading requests at the cap; whatever it does with the rest, the
        // sending side may see its writes refused once the server has closed.
        let sent = writer.write_all(&all);
        let _ = writer.shutdown(std::net::Shutdown::Write);
        sent
    });
    let mut received = Vec::new();
    let mut chunk = vec![0; 64 * 1024];
    let end = loop {
        match reader.read(&mut chunk) {
            Ok(0) => break Ok(()),
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => break Err(err),
        }
    };
    let responses = received
        .windows(17)
        .filter(|w| w == b"HTTP/1.1 200 OK\r\n")
        .count();
    assert!(
        end.is_ok(),
        "the connection ended with {end:?} after {responses} responses"
    );
    assert_eq!(responses, CAP, "every response the server wrote arrived");
    let closing = received
        .windows(19)
        .filter(|w| w == b"Connection: close\r\n")
        .count();
    assert_eq!(
        closing, 1,
        "the last response, and only it, says the connection closes"
    );
    assert!(
        received.ends_with(HELLO.as_bytes()),
        "the last response arrived whole"
    );
    let _ = sender.join().unwrap();
}

/// Item 3 of issue 13, for the errors that close: 500 pipelined requests, then one the server
/// refuses, then 2 MiB it never reads as requests. Every answer arrives, the error last, then a
/// clean end of stream, never a reset that would destroy the answers still on their way.
#[test]
fn answers_before_an_error_that_closes_all_reach_the_client() {
    const ANSWERED: usize = 500;
    let server = ServerProcess::start(&["--quiet"]);
    let cases = [
        ("GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400),
        (
            "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1073741824\r\n\r\n",
            413,
        ),
        ("GET / HTTP/1.1\r\nHost: t\r\nX: ", 431),
    ];
    for (refused, status) in cases {
        let mut reader = TcpStream::connect(server.addr).unwrap();
        reader.set_read_timeout(Some(LIVENESS)).unwrap();
        let mut writer = reader.try_clone().unwrap();
        let sender = std::thread::spawn(move || {
            let mut bytes = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n".repeat(ANSWERED);
            bytes.extend_from_slice(refused.as_bytes());
            bytes.resize(bytes.len() + (2 << 20), b'x');
            let _ = writer.write_all(&bytes);
            let _ = writer.shutdown(std::net::Shutdown::Write);
        });
        let mut received = Vec::new();
        let end = reader.read_to_end(&mut received);
        let answered = received
            .windows(17)
            .filter(|w| w == b"HTTP/1.1 200 OK\r\n")
            .count();
        assert!(end.is_ok(), "{status}: {end:?} after {answered} answers");
        assert_eq!(answered, ANSWERED, "{status}");
        let last = format!("HTTP/1.1 {status} ");
        let at = received
            .windows(last.len())
            .position(|w| w == last.as_bytes());
        assert!(at.is_some(), "{status}: the error's answer arrived");
        sender.join().unwrap();
    }
}

/// The lingering close is bounded: a client that goes on sending after its request was
/// refused has a few MiB read and thrown away, then the connection is closed on it.
#[test]
fn a_lingering_close_stops_reading_after_its_byte_budget() {
    const BOUND: usize = 256 << 20;
    let server = ServerProcess::start(&["--quiet"]);
    let mut client = server.connect();
    client.send("GET / HTTP/1.1\r\nHost : t\r\n\r\n");
    assert_eq!(client.response().status, 400);
    let junk = vec![b'x'; 64 * 1024];
    let mut sent = 0;
    let refused = loop {
        match client.stream().write(&junk) {
            Ok(n) => sent += n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => break err,
        }
        assert!(sent < BOUND, "the server read {sent} bytes and still reads");
    };
    assert!(
        matches!(
            refused.kind(),
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
        ),
        "{refused:?} after {sent} bytes"
    );
    assert_eq!(server.get("/").status, 200);
}

#[test]
fn many_connect_and_close_clients_do_not_hurt_the_server() {
    let server = ServerProcess::start(&["--quiet", "--threads", "4"]);
    for _ in 0..100 {
        drop(TcpStream::connect(server.addr).unwrap());
    }
    // The book's server loses a worker per empty connection; this one answers as usual.
    for _ in 0..8 {
        assert_eq!(server.get("/").status, 200);
    }
}

#[test]
fn a_full_queue_gets_503_with_retry_after() {
    let server = ServerProcess::start(&[
        "--quiet",
        "--threads",
        "1",
        "--queue",
        "1",
        "--sleep-ms",
        "1500",
    ]);
    // Four slow requests at once, for one worker and one queue slot: at most two are admitted
    // (one running, one queued; the worker may not have taken the first yet), the rest are
    // refused at once.
    let mut clients: Vec<Client> = (0..4).map(|_| server.connect()).collect();
    for client in &mut clients {
        client.send("GET /sleep HTTP/1.1\r\nHost: t\r\n\r\n");
    }
    let responses: Vec<_> = clients.iter_mut().map(Client::response).collect();
    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    let admitted = statuses.iter().filter(|&&s| s == 200).count();
    assert!((1..=2).contains(&admitted), "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|&&s| s == 503).count(),
        4 - admitted,
        "{statuses:?}"
    );
    for refused in responses.iter().filter(|r| r.status == 503) {
        assert_eq!(refused.header("retry-after"), Some("1"));
        assert_eq!(refused.header("connection"), Some("close"));
    }
    assert_eq!(
        server.get("/").status,
        200,
        "back to normal once the load is gone"
    );
}

#[test]
fn a_503_for_a_full_queue_has_its_access_log_line() {
    let server = ServerProcess::start(&["--threads", "1", "--queue", "1", "--sleep-ms", "1500"]);
    let mut clients: Vec<Client> = (0..4).map(|_| server.connect()).collect();
    for client in &mut clients {
        client.send("GET /sleep HTTP/1.1\r\nHost: t\r\n\r\n");
    }
    let refused = clients
        .iter_mut()
        .map(Client::response)
        .find(|response| response.status == 503)
        .expect("one worker and one queue slot refuse some of four requests");
    // Refused before its request was read: the request line is "-", as nginx logs it.
    let line = server.wait_for_stderr("\"-\" 503 ");
    assert!(line.starts_with("127.0.0.1 - - ["), "{line}");
    assert!(
        line.contains(&format!("\"-\" 503 {} \"-\" \"-\" ", refused.body.len())),
        "{line}"
    );
}

#[test]
fn connections_past_the_cap_get_503() {
    let server = ServerProcess::start(&["--quiet", "--max-connections", "2"]);
    let mut held: Vec<Client> = (0..2).map(|_| server.connect()).collect();
    for client in &mut held {
        client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        assert_eq!(client.response().status, 200); // both are registered now
    }
    let mut third = server.connect();
    let response = third.response();
    assert_eq!(response.status, 503);
    assert_eq!(response.header("retry-after"), Some("1"));
    drop(held);
}

#[test]
fn a_503_past_the_connection_cap_has_its_access_log_line() {
    let server = ServerProcess::start(&["--max-connections", "1"]);
    let mut held = server.connect();
    held.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(held.response().status, 200);
    let refused = server.connect().response();
    assert_eq!(refused.status, 503);
    let line = server.wait_for_stderr("\"-\" 503 ");
    assert!(
        line.contains(&format!("\"-\" 503 {} \"-\" \"-\" ", refused.body.len())),
        "{line}"
    );
}

#[test]
fn a_panicking_handler_is_a_500_and_the_worker_lives_on() {
    let server = ServerProcess::start(&["--quiet", "--threads", "1", "--test-routes"]);
    for _ in 0..3 {
        let response = server.get("/__panic");
        assert_eq!(response.status, 500);
    }
    assert_eq!(
        server.get("/").status,
        200,
        "the only worker survived three panics"
    );
}

#[test]
fn the_header_timeout_closes_a_stalled_request() {
    let server = ServerProcess::start(&["--quiet", "--header-timeout", "0.3"]);
    let mut stalled = server.connect();
    stalled.send("GET / HTTP/1.1\r\nHo");
    assert!(stalled.is_closed_by_server());
    assert_eq!(server.get("/").status, 200);
}

/// The header timeout is long, so that no other timer wakes the event loop: the worker hands
/// the answered connection back without waking the loop, and the idle timeout must still fire
/// (the loop looks for hand-backs at `HANDBACK_TICK` while connections are on workers). Without
/// that tick the connection stays open past `LIVENESS` and the read fails.
#[test]
fn the_idle_timeout_closes_an_idle_keep_alive_connection() {
    let server = ServerProcess::start(&[
        "--quiet",
        "--idle-timeout",
        "0.3",
        "--header-timeout",
        "600",
    ]);
    let mut client = server.connect();
    client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.response().status, 200);
    assert!(client.is_closed_by_server());
}

/// Item 9 of issue 13: one line per request in nginx's "combined" format, which log tools
/// read as it is, followed by the request's duration in seconds (nginx's `$request_time`):
/// `client - - [time] "request line" status bytes "referrer" "user agent" duration`.
#[test]
fn access_log_lines_are_in_the_combined_format_plus_the_duration() {
    let server = ServerProcess::start(&[]);
    let mut client = server.connect();
    client.send(
        "GET /nope?q=1 HTTP/1.1\r\nHost: t\r\nReferer: http://t/from\r\n\
         User-Agent: probe/1.0 \"quoted\"\r\n\r\n\
         HEAD / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    let not_found = client.response();
    assert_eq!(not_found.status, 404);
    client.head_response();

    let line = server.wait_for_stderr("\"GET /nope?q=1 HTTP/1.1\"");
    let (before_time, rest) = line.split_once(" [").expect("a [time] field");
    assert_eq!(before_time, "127.0.0.1 - -", "{line}");
    let (time, rest) = rest.split_once("] ").expect("a [time] field");
    // 01/Dec/2026:15:49:00 +0000
    let bytes = time.as_bytes();
    assert_eq!(time.len(), 26, "{time}");
    assert_eq!(
        (
            bytes[2],
            bytes[6],
            bytes[11],
            bytes[14],
            bytes[17],
            &time[20..]
        ),
        (b'/', b'/', b':', b':', b':', " +0000"),
        "{time}"
    );
    let expected = format!(
        "\"GET /nope?q=1 HTTP/1.1\" 404 {} \"http://t/from\" \"probe/1.0 \\x22quoted\\x22\" ",
        not_found.body.len()
    );
    let duration = rest
        .strip_prefix(&expected)
        .unwrap_or_else(|| panic!("{rest:?} does not start with {expected:?}"));
    let (whole, millis) = duration.split_once('.').expect("seconds with a fraction");
    assert!(
        whole.bytes().all(|b| b.is_ascii_digit()) && !whole.is_empty(),
        "{line}"
    );
    assert!(
        millis.len() == 3 && millis.bytes().all(|b| b.is_ascii_digit()),
        "{line}"
    );

    // No body went out for HEAD, and absent headers are "-".
    let head = server.wait_for_stderr("\"HEAD / HTTP/1.1\"");
    assert!(
        head.contains("\"HEAD / HTTP/1.1\" 200 0 \"-\" \"-\" "),
        "{head}"
    );

    // A request refused before it could be parsed is logged too, its request line "-".
    let mut refused = server.connect();
    refused.send("GARBAGE\r\n\r\n");
    assert_eq!(refused.response().status, 400);
    let line = server.wait_for_stderr("\"-\" 400 ");
    assert!(line.starts_with("127.0.0.1 - - ["), "{line}");
}

#[test]
fn sigterm_answers_requests_in_flight_closes_the_port_and_exits_0() {
    let mut server = ServerProcess::start(&["--quiet", "--threads", "2", "--sleep-ms", "1500"]);
    let mut in_flight = server.connect();
    in_flight.send("GET /sleep HTTP/1.1\r\nHost: t\r\n\r\n");
    // A later request answered means the event loop has seen (and dispatched) the earlier one.
    assert_eq!(server.get("/").status, 200);
    server.signal("TERM");
    let response = in_flight.response();
    assert_eq!(response.status, 200);
    assert_eq!(
        response.text(),
        HELLO,
        "the whole body, as Content-Length promised"
    );
    assert_eq!(response.header("connection"), Some("close"));
    assert!(
        TcpStream::connect(server.addr).is_err(),
        "the port is closed"
    );
    let status = server.wait_exit();
    assert_eq!(status.code(), Some(0));
}

/// Item 6 of issue 13: when the shutdown timeout passes with requests still running, the
/// server gives up on them explicitly: one line names each (request line, client, how long it
/// has run), the workers are detached, and the process exits 0 without waiting for them.
#[test]
fn a_shutdown_that_times_out_names_the_requests_it_leaves_running() {
    let mut server = ServerProcess::start(&[
        "--threads",
        "2",
        "--sleep-ms",
        "120000",
        "--shutdown-timeout",
        "0.3",
    ]);
    let mut in_flight = server.connect();
    let client = in_flight.stream().local_addr().unwrap();
    in_flight.send("GET /sleep?long HTTP/1.1\r\nHost: t\r\n\r\n");
    // Answered by the other worker: the event loop has dispatched the sleeper by now.
    assert_eq!(server.get("/").status, 200);
    server.signal("TERM");
    let line = server.wait_for_stderr("shutdown timed out");
    assert!(
        line.contains(&format!("GET /sleep?long HTTP/1.1 from {client}")),
        "{line}"
    );
    assert!(line.contains("1 request"), "{line}");
    // The sleeper holds its worker for two minutes; the process does not wait for it.
    let status = server.wait_exit();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_second_signal_exits_at_once_with_130() {
    let mut server = ServerProcess::start(&["--quiet", "--sleep-ms", "120000"]);
    let mut in_flight = server.connect();
    in_flight.send("GET /sleep HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(server.get("/").status, 200);
    server.signal("INT");
    server.wait_for_stderr("shutting down gracefully");
    server.signal("INT");
    // Graceful shutdown would wait two minutes for /sleep; the second signal cuts it short.
    let status = server.wait_exit();
    assert_eq!(status.code(), Some(130));
    let mut rest = Vec::new();
    let _ = in_flight.stream().read_to_end(&mut rest);
    assert!(rest.is_empty(), "no response was sent");
}

#[test]
fn address_in_use_is_exit_1_with_the_address_and_the_reason() {
    let server = ServerProcess::start(&["--quiet"]);
    let addr = server.addr.to_string();
    Command::cargo_bin("webpool")
        .unwrap()
        .args(["--addr", &addr])
        .timeout(LIVENESS)
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty())
        .stderr(
            predicate::str::contains(addr.as_str())
                .and(predicate::str::contains("in use"))
                .and(predicate::str::ends_with("\n"))
                .and(predicate::str::contains("panicked").not()),
        );
}

#[test]
fn a_missing_root_is_exit_1_and_bad_flags_exit_2() {
    Command::cargo_bin("webpool")
        .unwrap()
        .args(["--addr", "127.0.0.1:0", "--root", "/definitely/not/here"])
        .timeout(LIVENESS)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("/definitely/not/here"));
    // A refused command line is one line on stderr, naming what was wrong.
    for (args, named) in [
        (&["--threads", "0"][..], "--threads"),
        (&["--no-such-flag"][..], "--no-such-flag"),
        (&["--threads", "abc"][..], "abc"),
        (&["--pool", "no-such-pool"][..], "no-such-pool"),
    ] {
        assert_refused(args, &[named]);
    }
}

/// Runs webpool with `args` and asserts that it refuses them as a bad command line: exit 2,
/// nothing on stdout, and one line on stderr, an error naming each of `named` (no panic, no
/// failed allocation).
fn assert_refused(args: &[&str], named: &[&str]) {
    let mut expected = predicate::str::starts_with("error: ").boxed();
    for word in named {
        expected = expected.and(predicate::str::contains(*word)).boxed();
    }
    Command::cargo_bin("webpool")
        .unwrap()
        .args(args)
        .timeout(LIVENESS)
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(
            expected
                .and(predicate::str::contains("memory allocation").not())
                .and(predicate::str::contains("panicked").not())
                .and(predicate::function(|err: &str| err.lines().count() == 1)),
        );
}

/// Item 5 of issue 13: a size or a time from a flag never aborts the process nor reserves
/// memory it may never use. Absurd sizes are refused with one line naming the flag and its
/// limit (exit 2), and --help states the limits; a huge timeout is just a long one.
#[test]
fn absurd_flag_values_are_refused_with_their_limits() {
    for (flag, value, limit) in [
        ("--queue", "4294967295", "65536"),
        ("--queue", "100000000", "65536"),
        ("--threads", "65535", "1024"),
        ("--write-timeout", "0", "--write-timeout"),
    ] {
        assert_refused(&["--addr", "127.0.0.1:0", flag, value], &[flag, limit]);
    }
    Command::cargo_bin("webpool")
        .unwrap()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("1024").and(predicate::str::contains("65536")));

    // A timeout of 10^19 seconds is only a very long one.
    let server = ServerProcess::start(&[
        "--quiet",
        "--idle-timeout",
        "1e19",
        "--header-timeout",
        "1e19",
    ]);
    let mut client = server.connect();
    client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.response().status, 200);
    assert_eq!(server.get("/").status, 200, "still serving");
}

#[test]
fn help_and_version() {
    Command::cargo_bin("webpool")
        .unwrap()
        .arg("--help")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("--addr")
                .and(predicate::str::contains("--threads"))
                .and(predicate::str::contains("--root"))
                .and(predicate::str::contains("--shutdown-timeout")),
        );
    Command::cargo_bin("webpool")
        .unwrap()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(format!(
            "webpool {}",
            env!("CARGO_PKG_VERSION")
        )));
}
