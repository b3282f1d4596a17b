//! The server core's seam to the operating system: readiness polling, the listener, sockets.
//!
//! The event loop and the connection code are written against the [`Sys`] and [`Stream`]
//! traits, not against epoll and `TcpStream`, so that the model checkers can run the very same
//! core over an in-memory fake: `loom_tests/server.rs` checks its shutdown under every
//! interleaving, `shuttle_tests/server.rs` many connections under overload. (Those models are
//! why `Sys`, `Stream` and `LISTENER` are public, hidden from the docs; see `server/mod.rs`.)
//! [`OsSys`] is the real implementation: a readiness poller in oneshot mode (epoll itself on
//! Linux, `epoll.rs`; the `polling` crate elsewhere, `portable.rs`), a non-blocking
//! `TcpListener`, and non-blocking `TcpStream`s wrapped in [`OsStream`].
//!
//! `polling` requires a source registered with a poller to be deleted from it before the source
//! is dropped (its `Poller::add` is `unsafe` for that reason), and both pollers keep that
//! contract. Rather than trust every path that drops a connection (a close, an error return, a
//! panic unwinding through a worker), an [`OsStream`] holds its poller and deletes itself in
//! its own `Drop`.

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use crate::sync::{self, Arc, Mutex};

#[cfg(any(target_os = "linux", target_os = "android"))]
mod epoll;
#[cfg(any(target_os = "linux", target_os = "android"))]
use epoll::Poller;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod portable;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use portable::Poller;

/// The key readiness events of the listener carry. (The pollers reserve `usize::MAX`.)
pub const LISTENER: usize = usize::MAX - 1;

/// Connections the kernel may queue before the event loop accepts them.
const LISTEN_BACKLOG: i32 = 4096;

/// What the event loop needs from the operating system.
///
/// Interest is oneshot: after a key is reported ready it stays quiet until re-armed, so a
/// connection handed to a worker can never be reported twice.
pub trait Sys: Send + Sync + 'static {
    /// A client connection.
    type Stream: Stream;

    /// Blocks until at least one armed source is ready, [`notify`](Sys::notify) is called,
    /// or `timeout` passes; appends the keys of the ready sources to `ready` and disarms them.
    ///
    /// # Errors
    ///
    /// The poller failed; the event loop gives up.
    fn wait(&self, ready: &mut Vec<usize>, timeout: Option<Duration>) -> io::Result<()>;

    /// Wakes a thread blocked in [`wait`](Sys::wait) (or makes the next call return at once).
    fn notify(&self);

    /// Accepts one pending connection without blocking; `Ok(None)` when none is pending.
    ///
    /// # Errors
    ///
    /// What `accept(2)` reported (e.g. too many open files); the event loop logs it and goes on.
    fn accept(&self) -> io::Result<Option<Self::Stream>>;

    /// Arms the listener for one readiness report.
    ///
    /// # Errors
    ///
    /// The poller refused.
    fn arm_listener(&self) -> io::Result<()>;

    /// Stops listening: the port closes and no more connections are accepted.
    fn close_listener(&self);

    /// Starts watching `stream`, armed for one readiness report under `key`.
    ///
    /// # Errors
    ///
    /// The poller refused; the caller closes the connection.
    fn watch(&self, stream: &Self::Stream, key: usize) -> io::Result<()>;

    /// Re-arms a watched `stream` for one more readiness report.
    ///
    /// # Errors
    ///
    /// The poller refused; the caller closes the connection.
    fn rearm(&self, stream: &Self::Stream, key: usize) -> io::Result<()>;

    /// Stops watching `stream` (before it is closed).
    fn unwatch(&self, stream: &Self::Stream);

    /// The current time, for deadlines.
    fn now(&self) -> Instant;
}

/// A client connection: non-blocking reads and writes, plus a blocking write for responses
/// that do not fit in the socket's buffer at once.
pub trait Stream: Read + Write + Send + 'static {
    /// Writes all of `data`, waiting for the client to read when the socket buffer is full,
    /// but never longer than the server's write timeout per write.
    ///
    /// # Errors
    ///
    /// The client went away, or stopped reading for longer than the write timeout.
    fn write_all_waiting(&mut self, data: &[u8]) -> io::Result<()>;

    /// The client's address, for the access log.
    fn peer(&self) -> Option<SocketAddr>;

    /// Closes the sending direction, so the client reads end-of-stream after the last
    /// response even if unread request bytes make the kernel reset the connection later.
    fn finish(&mut self);
}

/// The real [`Sys`]: `polling` over a bound `TcpListener`.
// `pub` only because it is `Server`'s default `Sys`, part of a public type; not exported.
pub struct OsSys {
    /// The readiness poller, shared with every [`OsStream`] so that each can delete itself
    /// from it.
    poller: Arc<Poller>,
    /// The listener, until shutdown closes it.
    listener: Mutex<Option<TcpListener>>,
    /// How long a write may wait for a client that does not read.
    write_timeout: Duration,
}

impl OsSys {
    /// Wraps a bound listener (made non-blocking here).
    ///
    /// # Errors
    ///
    /// The poller could not be created or the listener could not be set up.
    pub(crate) fn new(listener: TcpListener, write_timeout: Duration) -> io::Result<OsSys> {
        listener.set_nonblocking(true)?;
        // std listens with a backlog of 128; a burst of thousands of connects would overflow
        // it and cost each dropped client a one-second SYN retry. The kernel caps this at
        // `net.core.somaxconn`.
        rustix::net::listen(&listener, LISTEN_BACKLOG)?;
        let poller = Poller::new()?;
        // SAFETY: from here on the listener lives in `OsSys::listener` (nothing in between can
        // return early), and leaves it only in `close_listener`, which deletes it from this
        // poller before dropping it; `OsSys`'s `Drop` calls `close_listener`. If `add` fails,
        // nothing was registered.
        unsafe { poller.add(&listener, LISTENER)? };
        Ok(OsSys {
            poller: Arc::new(poller),
            listener: Mutex::new(Some(listener)),
            write_timeout,
        })
    }

    /// The address the listener is bound to, while it is open.
    pub(crate) fn local_addr(&self) -> Option<SocketAddr> {
        sync::lock(&self.listener)
            .as_ref()
            .and_then(|listener| listener.local_addr().ok())
    }
}

impl Sys for OsSys {
    type Stream = OsStream;

    fn wait(&self, ready: &mut Vec<usize>, timeout: Option<Duration>) -> io::Result<()> {
        self.poller.wait(ready, timeout)
    }

    fn notify(&self) {
        self.poller.notify();
    }

    fn accept(&self) -> io::Result<Option<OsStream>> {
        let guard = sync::lock(&self.listener);
        let Some(listener) = guard.as_ref() else {
            return Ok(None);
        };
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(true)?;
                // Responses leave in one write; don't let Nagle hold them back.
                stream.set_nodelay(true)?;
                // Only applies while a write waits in blocking mode (`write_all_waiting`).
                stream.set_write_timeout(Some(self.write_timeout))?;
                Ok(Some(OsStream {
                    stream,
                    poller: Arc::clone(&self.poller),
                    watched: Cell::new(false),
                }))
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(err) => Err(err),
        }
    }

    fn arm_listener(&self) -> io::Result<()> {
        match sync::lock(&self.listener).as_ref() {
            Some(listener) => self.poller.modify(listener, LISTENER),
            None => Ok(()),
        }
    }

    fn close_listener(&self) {
        if let Some(listener) = sync::lock(&self.listener).take() {
            let _ = self.poller.delete(&listener);
        }
    }

    fn watch(&self, stream: &OsStream, key: usize) -> io::Result<()> {
        // SAFETY: `stream` is an `OsStream` holding this very poller, and `OsStream`'s `Drop`
        // deletes the socket from it before the socket closes whenever `watched` is set, which
        // it is from a successful `add` until `unwatch` deletes it. So on every path that drops
        // the stream (a close, an early return, a panic), it is deleted first; a stream that is
        // never dropped never closes.
        unsafe { self.poller.add(&stream.stream, key)? };
        stream.watched.set(true);
        Ok(())
    }

    fn rearm(&self, stream: &OsStream, key: usize) -> io::Result<()> {
        self.poller.modify(&stream.stream, key)
    }

    fn unwatch(&self, stream: &OsStream) {
        stream.unwatch();
    }

    fn now(&self) -> Instant {
        Instant::now()
    }
}

impl Drop for OsSys {
    fn drop(&mut self) {
        self.close_listener();
    }
}

/// A client connection of [`OsSys`]: a non-blocking `TcpStream` that deletes itself from the
/// poller before it closes, however it is dropped.
// `pub` only because it is `OsSys`'s `Stream`; not exported.
#[derive(Debug)]
pub struct OsStream {
    /// The socket.
    stream: TcpStream,
    /// The poller it may be registered with.
    poller: Arc<Poller>,
    /// Whether it is registered with `poller` now. (Only its owner touches it: `Sys::watch`
    /// and `Sys::unwatch` are called by whoever holds the connection.)
    watched: Cell<bool>,
}

impl OsStream {
    /// Deletes the socket from the poller, if it is registered.
    fn unwatch(&self) {
        if self.watched.replace(false) {
            let _ = self.poller.delete(&self.stream);
        }
    }
}

impl Drop for OsStream {
    fn drop(&mut self) {
        self.unwatch();
    }
}

impl Read for OsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.read(buf)
    }
}

impl Write for OsStream {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.stream.write(data)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

impl Stream for OsStream {
    fn write_all_waiting(&mut self, mut data: &[u8]) -> io::Result<()> {
        let stream = &mut self.stream;
        // Fast path: the socket buffer takes it all without blocking.
        while !data.is_empty() {
            match stream.write(data) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => data = &data[n..],
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                Err(err) => return Err(err),
            }
        }
        if data.is_empty() {
            return Ok(());
        }
        // Slow path: the client reads slower than we write. Block, bounded by the write
        // timeout set at accept, then go back to non-blocking for the event loop.
        stream.set_nonblocking(false)?;
        let written = stream.write_all(data);
        stream.set_nonblocking(true)?;
        written
    }

    fn peer(&self) -> Option<SocketAddr> {
        self.stream.peer_addr().ok()
    }

    fn finish(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }
}
