//! The server core's seam to the operating system: readiness polling, the listener, sockets.
//!
//! The event loop and the connection code are written against the [`Sys`] and [`Stream`]
//! traits, not against epoll and `TcpStream`, so that `loom_tests/server.rs` can run the very
//! same core over an in-memory fake and check its shutdown under every interleaving.
//! [`OsSys`] is the real implementation: the `polling` crate (epoll on Linux) in oneshot mode,
//! a non-blocking `TcpListener`, and non-blocking `TcpStream`s.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use polling::{Event, Events, Poller};

use crate::sync::{self, Mutex};

/// The key readiness events of the listener carry. (`polling` reserves `usize::MAX`.)
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
pub struct OsSys {
    /// The readiness poller (epoll on Linux).
    poller: Poller,
    /// The event buffer `wait` fills, kept between calls (only the event loop waits).
    events: Mutex<Events>,
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
    pub fn new(listener: TcpListener, write_timeout: Duration) -> io::Result<OsSys> {
        listener.set_nonblocking(true)?;
        // std listens with a backlog of 128; a burst of thousands of connects would overflow
        // it and cost each dropped client a one-second SYN retry. The kernel caps this at
        // `net.core.somaxconn`.
        rustix::net::listen(&listener, LISTEN_BACKLOG)?;
        let poller = Poller::new()?;
        // SAFETY: the listener is deleted from the poller before it is dropped
        // (`close_listener`, and `Drop` below).
        unsafe { poller.add(&listener, Event::readable(LISTENER))? };
        Ok(OsSys {
            poller,
            events: Mutex::new(Events::new()),
            listener: Mutex::new(Some(listener)),
            write_timeout,
        })
    }

    /// The address the listener is bound to, while it is open.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        sync::lock(&self.listener)
            .as_ref()
            .and_then(|listener| listener.local_addr().ok())
    }
}

impl Sys for OsSys {
    type Stream = TcpStream;

    fn wait(&self, ready: &mut Vec<usize>, timeout: Option<Duration>) -> io::Result<()> {
        let mut events = sync::lock(&self.events);
        events.clear();
        self.poller.wait(&mut events, timeout)?;
        ready.extend(events.iter().map(|event| event.key));
        Ok(())
    }

    fn notify(&self) {
        // Fails only if the eventfd is gone, i.e. the poller is being dropped.
        let _ = self.poller.notify();
    }

    fn accept(&self) -> io::Result<Option<TcpStream>> {
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
                Ok(Some(stream))
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(err) => Err(err),
        }
    }

    fn arm_listener(&self) -> io::Result<()> {
        match sync::lock(&self.listener).as_ref() {
            Some(listener) => self.poller.modify(listener, Event::readable(LISTENER)),
            None => Ok(()),
        }
    }

    fn close_listener(&self) {
        if let Some(listener) = sync::lock(&self.listener).take() {
            let _ = self.poller.delete(&listener);
        }
    }

    fn watch(&self, stream: &TcpStream, key: usize) -> io::Result<()> {
        // SAFETY: every connection is `unwatch`ed before it is dropped: the event loop and the
        // connection code close connections only through `Conn::close`.
        unsafe { self.poller.add(stream, Event::readable(key)) }
    }

    fn rearm(&self, stream: &TcpStream, key: usize) -> io::Result<()> {
        self.poller.modify(stream, Event::readable(key))
    }

    fn unwatch(&self, stream: &TcpStream) {
        let _ = self.poller.delete(stream);
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

impl Stream for TcpStream {
    fn write_all_waiting(&mut self, mut data: &[u8]) -> io::Result<()> {
        // Fast path: the socket buffer takes it all without blocking.
        while !data.is_empty() {
            match self.write(data) {
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
        self.set_nonblocking(false)?;
        let written = self.write_all(data);
        self.set_nonblocking(true)?;
        written
    }

    fn peer(&self) -> Option<SocketAddr> {
        self.peer_addr().ok()
    }

    fn finish(&mut self) {
        let _ = self.shutdown(Shutdown::Write);
    }
}
