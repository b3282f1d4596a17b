//! The Rust Book's web server, on any [`BookPool`], with three demo routes for watching the
//! catalog's bugs live.
//!
//! This is the book's code (the accept loop of listing 21-25, `handle_connection` of listing
//! 21-10), kept faithful on purpose: it reads only the request line, with
//! `buf_reader.lines().next().unwrap().unwrap()`, so a connection that sends nothing panics
//! its job (which is how [bug 7](super::panic_kills_worker) is triggered), and it answers
//! with one response and closes the connection. It is demo code, not the real server.
//!
//! | Request line | Answer |
//! |--------------|--------|
//! | `GET / HTTP/1.1` | `200 OK` with `hello.html` |
//! | `GET /sleep HTTP/1.1` | the same, after sleeping `--sleep-ms` (the book's slow request) |
//! | `GET /hold HTTP/1.1` | demo: a `200 OK` head and `holding` at once; then waits for the next `/release` and ends with `released`, or, if the client closes its side first, with `gave up` |
//! | `GET /release HTTP/1.1` | demo: releases every `/hold` waiting, then `200 OK`, `released` |
//! | `GET /shutdown HTTP/1.1` | demo: `200 OK`, `shutting down`; the accept loop stops and the pool is dropped, where the shutdown bugs show (the book's listing 21-25 stops after two requests instead) |
//! | anything else | `404 NOT FOUND` with `404.html` |
//!
//! `/hold` and `/release` are a rendezvous: a `/hold` can only finish once a `/release` has
//! run on another worker, so on a pool where one running job blocks the others
//! ([bug 1](super::while_let), [bug 2](super::named_guard)) the pair never completes.

use std::io::{self, prelude::*, BufReader};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use super::if_wait::IfWaitPool;
use super::join_before_close::JoinBeforeClosePool;
use super::lost_wakeup::LostWakeupPool;
use super::named_guard::NamedGuardPool;
use super::notify_one::NotifyOnePool;
use super::panic_kills_worker::PanicKillsWorkerPool;
use super::recv_unwrap::RecvUnwrapPool;
use super::repanic_in_drop::RepanicInDropPool;
use super::unbounded::{ThreadPerConnection, UnboundedPool};
use super::while_let::WhileLetPool;
use super::{BookPool, PoolKind};
use crate::sync::{self, Arc, AtomicBool, AtomicU64, Ordering};
use crate::ThreadPool;

/// The book's `hello.html`.
const HELLO: &str = include_str!("../../site/hello.html");

/// The book's `404.html`.
const NOT_FOUND: &str = include_str!("../../site/404.html");

/// How often a waiting `/hold` looks for a `/release` or for its client leaving.
const HOLD_POLL: Duration = Duration::from_millis(20);

/// Runs the Rust Book's server on `listener`, with a pool of the given kind and size, until a
/// `GET /shutdown` arrives; then drops the pool, which is where the shutdown bugs show.
///
/// `sleep` is how long `GET /sleep` sleeps.
///
/// # Errors
///
/// The first error from accepting a connection (the book unwraps it instead), e.g. running
/// out of file descriptors because an unbounded backlog holds them all.
///
/// # Panics
///
/// Wherever the chosen pool panics: on purpose, the demo pools keep the book's unwraps.
/// With [`PoolKind::JoinBeforeClose`] (and, now and then, [`PoolKind::LostWakeup`] or
/// [`PoolKind::NotifyOne`]) the shutdown never finishes and this never returns.
pub fn serve_book(
    listener: TcpListener,
    kind: PoolKind,
    threads: usize,
    sleep: Duration,
) -> io::Result<()> {
    match kind {
        PoolKind::Fixed => serve_book_on(listener, <ThreadPool as BookPool>::new(threads), sleep),
        PoolKind::WhileLet => serve_book_on(listener, WhileLetPool::new(threads), sleep),
        PoolKind::NamedGuard => serve_book_on(listener, NamedGuardPool::new(threads), sleep),
        PoolKind::JoinBeforeClose => {
            serve_book_on(listener, JoinBeforeClosePool::new(threads), sleep)
        }
        PoolKind::RecvUnwrap => serve_book_on(listener, RecvUnwrapPool::new(threads), sleep),
        PoolKind::IfWait => serve_book_on(listener, IfWaitPool::new(threads), sleep),
        PoolKind::LostWakeup => serve_book_on(listener, LostWakeupPool::new(threads), sleep),
        PoolKind::NotifyOne => serve_book_on(listener, NotifyOnePool::new(threads), sleep),
        PoolKind::PanicKillsWorker => {
            serve_book_on(listener, PanicKillsWorkerPool::new(threads), sleep)
        }
        PoolKind::Unbounded => serve_book_on(listener, UnboundedPool::new(threads), sleep),
        PoolKind::RepanicInDrop => serve_book_on(listener, RepanicInDropPool::new(threads), sleep),
        PoolKind::ThreadPerConnection => {
            serve_book_on(listener, ThreadPerConnection::new(threads), sleep)
        }
    }
}

/// The book's accept loop on `pool`: one job per connection, until `GET /shutdown`.
///
/// # Errors
///
/// As [`serve_book`]: the first error from accepting a connection.
///
/// # Panics
///
/// As [`serve_book`]: wherever `pool` panics.
pub fn serve_book_on<P: BookPool>(
    listener: TcpListener,
    pool: P,
    sleep: Duration,
) -> io::Result<()> {
    let site = Arc::new(Site {
        sleep,
        releases: AtomicU64::new(0),
        shutting_down: AtomicBool::new(false),
        address: reachable(listener.local_addr()?),
    });

    for stream in listener.incoming() {
        let stream = stream?;
        if site.shutting_down.load(Ordering::SeqCst) {
            break;
        }
        let site = Arc::clone(&site);

        pool.execute(move || {
            handle_connection(stream, &site);
        });
    }

    narrate!("Shutting down.");
    drop(pool);
    Ok(())
}

/// What every connection's job shares.
struct Site {
    /// How long `/sleep` sleeps.
    sleep: Duration,
    /// How many `/release`s have run; a `/hold` waits for this to change.
    releases: AtomicU64,
    /// Set by `/shutdown`; the accept loop stops at its next connection.
    shutting_down: AtomicBool,
    /// Where `/shutdown` connects to wake the accept loop.
    address: SocketAddr,
}

/// The book's `handle_connection`, with the demo routes.
fn handle_connection(mut stream: TcpStream, site: &Site) {
    let buf_reader = BufReader::new(&stream);
    let request_line = buf_reader.lines().next().unwrap().unwrap();

    let (status_line, contents) = match &request_line[..] {
        "GET / HTTP/1.1" => ("HTTP/1.1 200 OK", HELLO),
        "GET /sleep HTTP/1.1" => {
            sync::sleep(site.sleep);
            ("HTTP/1.1 200 OK", HELLO)
        }
        "GET /hold HTTP/1.1" => return hold(stream, site),
        "GET /release HTTP/1.1" => {
            site.releases.fetch_add(1, Ordering::SeqCst);
            ("HTTP/1.1 200 OK", "released\n")
        }
        "GET /shutdown HTTP/1.1" => {
            site.shutting_down.store(true, Ordering::SeqCst);
            ("HTTP/1.1 200 OK", "shutting down\n")
        }
        _ => ("HTTP/1.1 404 NOT FOUND", NOT_FOUND),
    };

    let length = contents.len();
    let response = format!("{status_line}\r\nContent-Length: {length}\r\n\r\n{contents}");

    stream.write_all(response.as_bytes()).unwrap();

    if site.shutting_down.load(Ordering::SeqCst) {
        // The accept loop is blocked in `accept`: give it a connection to notice the flag.
        drop(stream);
        let _ = TcpStream::connect(site.address);
    }
}

/// `/hold`: announces itself, waits for the next `/release` (or for the client to close its
/// side of the connection), and says which came first.
fn hold(mut stream: TcpStream, site: &Site) {
    let ticket = site.releases.load(Ordering::SeqCst);
    // The head and a first line at once, so that the client knows this job is running. The
    // body ends when the connection closes.
    stream
        .write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nholding\n")
        .unwrap();

    let outcome = if wait_for_release(site, ticket, &stream) {
        "released\n"
    } else {
        "gave up\n"
    };
    // The client may be gone entirely; that is no reason to panic the worker.
    let _ = stream.write_all(outcome.as_bytes());
}

/// Waits until a `/release` has run since `ticket` was taken (`true`), or the client has
/// closed its side of `stream` (`false`).
///
/// It polls: the release comes from another worker, the close from the socket, and only a
/// loop can wait for both without another thread.
fn wait_for_release(site: &Site, ticket: u64, stream: &TcpStream) -> bool {
    if stream.set_read_timeout(Some(HOLD_POLL)).is_err() {
        return false;
    }
    let mut reader = stream;
    let mut scratch = [0; 512];
    loop {
        if site.releases.load(Ordering::SeqCst) != ticket {
            return true;
        }
        match reader.read(&mut scratch) {
            // The client closed its side: nobody is waiting for this any more.
            Ok(0) => return false,
            // The rest of the request head: not needed.
            Ok(_) => {}
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(_) => return false,
        }
    }
}

/// An address at which this machine reaches a listener bound to `local`: the loopback address
/// if it is bound to every interface.
fn reachable(local: SocketAddr) -> SocketAddr {
    let mut address = local;
    if address.ip().is_unspecified() {
        match address {
            SocketAddr::V4(_) => address.set_ip(Ipv4Addr::LOCALHOST.into()),
            SocketAddr::V6(_) => address.set_ip(Ipv6Addr::LOCALHOST.into()),
        }
    }
    address
}
