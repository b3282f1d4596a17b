//! The HTTP/1.1 server: an event loop that owns the listener and the idle connections, and a
//! [`ThreadPool`] whose workers answer the connections that have bytes to read.
//!
//! ```text
//!   listener ──accept──▶ event loop ──ready conn──▶ pool worker: read, parse, answer
//!                          ▲    │                          │
//!                          │    └─ idle conns, timeouts    │
//!                          └────────── hand back ──────────┘
//! ```
//!
//! Idle connections cost a slot in the loop and nothing on a worker, so 4 workers can hold
//! thousands of keep-alive connections; a handler that blocks (`/sleep`) blocks only its
//! worker. The loop talks to the OS through a small `Sys` trait, which the loom and shuttle
//! models (`loom_tests/server.rs`, `shuttle_tests/server.rs`) replace by an in-memory fake to
//! check shutdown and overload.
//!
//! # Examples
//!
//! ```no_run
//! # if webpool::MODEL_CHECKING { return Ok(()); }
//! use webpool::server::{Config, Server};
//!
//! let server = Server::bind(Config {
//!     addr: "127.0.0.1:0".parse().unwrap(),
//!     ..Config::default()
//! })?;
//! println!("listening on http://{}", server.local_addr());
//! let handle = server.shutdown_handle();
//! std::thread::spawn(move || {
//!     std::thread::sleep(std::time::Duration::from_secs(1));
//!     handle.shutdown(); // what SIGTERM does in the binary
//! });
//! server.run()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod conn;
mod event_loop;
mod handler;
#[doc(hidden)]
pub mod log;
mod sys;
mod write;

use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::http::Limits;
use crate::pool::{Builder, PoolCreationError, ThreadPool};
use crate::sync::{self, Arc, AtomicBool, Mutex, Ordering};
use conn::Conn;
use handler::Site;
use sys::OsSys;
// The seam the model checkers drive the server through: public only because the loom and
// shuttle models (`loom_tests/server.rs`, `shuttle_tests/server.rs`) are crates of their own
// that run the server over a fake `Sys` (see `Server::with_sys`); not part of the API.
#[doc(hidden)]
pub use sys::{Stream, Sys, LISTENER};

/// Everything the server can be told at start-up.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Worker threads.
    pub threads: usize,
    /// Connections that may wait for a worker before new ones get 503.
    pub queue: usize,
    /// Directory to serve static files from; `None` serves only the built-in pages. Its
    /// `index.html`, if it has one, is served at `/` instead of the built-in `hello.html`.
    pub root: Option<PathBuf>,
    /// How long `GET /sleep` waits.
    pub sleep: Duration,
    /// How long a keep-alive connection may sit idle between requests.
    pub idle_timeout: Duration,
    /// How long a client may take to send a whole request head, and any body with it, from
    /// its first byte (and from connecting, for the first request).
    pub header_timeout: Duration,
    /// How long a write may wait for a client that does not read.
    pub write_timeout: Duration,
    /// How long shutdown waits for requests in flight.
    pub shutdown_timeout: Duration,
    /// Open connections beyond which new ones get 503 and are closed.
    pub max_connections: usize,
    /// Requests answered on one connection before the server closes it.
    pub max_requests_per_connection: u32,
    /// Whether to log one line per request to stderr, in nginx's "combined" format followed by
    /// the duration (see [`combined_line`](crate::http::log::combined_line)).
    pub access_log: bool,
    /// Whether the test-only route `/__panic` exists (a handler that panics).
    pub test_routes: bool,
    /// Request parsing limits.
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 7878)),
            threads: 4,
            queue: 1024,
            root: None,
            sleep: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(5),
            header_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(30),
            max_connections: 10_000,
            max_requests_per_connection: 1000,
            access_log: true,
            test_routes: false,
            limits: Limits::default(),
        }
    }
}

/// Why a server could not start.
#[derive(Debug)]
pub enum StartError {
    /// The address could not be bound (in use, not allowed, ...).
    Bind(SocketAddr, io::Error),
    /// The static-file root is missing or not a directory.
    Root(io::Error),
    /// The worker threads could not be started.
    Pool(PoolCreationError),
    /// The poller could not be set up.
    Io(io::Error),
}

/// A server, bound and ready to [`run`](Server::run).
///
/// `S` is the operating system as the server sees it: the real one, the default, which
/// [`bind`](Server::bind) gives; only the loom and shuttle models run a server over a fake.
pub struct Server<S: Sys = OsSys> {
    /// State shared with the workers.
    ctx: Arc<Ctx<S>>,
    /// The worker pool; it lives for exactly one `run`.
    pool: ThreadPool,
}

/// What happened to the requests in flight at shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// Every request in flight was answered; every worker has exited.
    Complete,
    /// The shutdown timeout passed first: a line on stderr named the requests still running,
    /// and the workers were detached to finish them alone (the process is expected to exit).
    TimedOut,
}

/// Stops a running server from another thread (a signal handler's thread, say). (`S` as for
/// [`Server`].)
pub struct ShutdownHandle<S: Sys = OsSys> {
    ctx: Arc<Ctx<S>>,
}

/// State shared by the event loop and the workers.
pub(crate) struct Ctx<S: Sys> {
    /// The operating system (or, under loom, its fake).
    pub(crate) sys: S,
    /// The routes.
    pub(crate) site: Site,
    /// The configuration.
    pub(crate) settings: Config,
    /// Set once when shutdown begins.
    shutting_down: AtomicBool,
    /// Connections workers have finished with, waiting for the event loop.
    handbacks: Mutex<Vec<HandBack<S::Stream>>>,
    /// Set while the event loop waits for an idle hand-back in particular: a connection it
    /// was told is ready again while still on a worker (see `Ctx::hand_back`).
    awaiting: AtomicBool,
    /// The requests that may take a while (see `conn::serve`) being answered now, so that a
    /// shutdown that times out can say which requests it gives up on.
    running: Mutex<Vec<Running>>,
}

/// A request being answered, as a shutdown that gives up on it names it.
pub(crate) struct Running {
    /// The connection's key (one request at a time per connection).
    pub(crate) key: usize,
    /// `GET /sleep HTTP/1.1`.
    pub(crate) request_line: String,
    /// The client, if its address is known.
    pub(crate) client: Option<SocketAddr>,
    /// When the server began to answer it.
    pub(crate) since: Instant,
}

/// A connection a worker returns to the event loop.
pub(crate) enum HandBack<T> {
    /// Still open, and already re-armed by the worker: wait for more bytes. `since` is when
    /// the worker finished with it, which the idle timeout counts from.
    Idle { conn: Conn<T>, since: Instant },
    /// Answered for the last time, its sending side shut: read and discard what the client
    /// still sends, then close (a lingering close).
    Closing(Conn<T>),
    /// Closed (and unwatched) by the worker; the key is free.
    Closed(usize),
}

// ===== impl Server =====

impl Server<OsSys> {
    /// Binds `config.addr`, checks the root, and starts the workers.
    ///
    /// # Errors
    ///
    /// See [`StartError`].
    pub fn bind(config: Config) -> Result<Server<OsSys>, StartError> {
        let listener =
            TcpListener::bind(config.addr).map_err(|err| StartError::Bind(config.addr, err))?;
        let sys = OsSys::new(listener, config.write_timeout).map_err(StartError::Io)?;
        Server::with_sys(sys, config)
    }

    /// The address the server listens on (with the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.ctx.sys.local_addr().unwrap_or(self.ctx.settings.addr)
    }
}

impl<S: Sys> Server<S> {
    /// A server over any `Sys`: the real one, or a model checker's fake.
    ///
    /// # Errors
    ///
    /// See [`StartError`].
    // Hidden with `Sys`: the loom and shuttle models start their servers here.
    #[doc(hidden)]
    pub fn with_sys(sys: S, config: Config) -> Result<Server<S>, StartError> {
        let site = Site::new(config.root.as_deref(), config.sleep, config.test_routes)
            .map_err(StartError::Root)?;
        let pool = Builder::new()
            .threads(config.threads)
            .queue_capacity(config.queue)
            .thread_name("webpool-worker")
            .build()
            .map_err(StartError::Pool)?;
        let ctx = Arc::new(Ctx {
            sys,
            site,
            settings: config,
            shutting_down: AtomicBool::new(false),
            handbacks: Mutex::new(Vec::new()),
            awaiting: AtomicBool::new(false),
            running: Mutex::new(Vec::new()),
        });
        Ok(Server { ctx, pool })
    }

    /// A handle that makes [`run`](Server::run) shut down gracefully.
    pub fn shutdown_handle(&self) -> ShutdownHandle<S> {
        ShutdownHandle {
            ctx: Arc::clone(&self.ctx),
        }
    }

    /// Serves until a [`ShutdownHandle`] stops the server, then drains: the listener closes
    /// at once, idle connections close, requests in flight are answered, and the workers
    /// are joined, or left running if `shutdown_timeout` passes first.
    ///
    /// # Errors
    ///
    /// The poller failed; the server stops serving (workers finish what they hold).
    pub fn run(self) -> io::Result<Shutdown> {
        let ended = event_loop::run(&self.ctx, &self.pool)?;
        match ended {
            event_loop::Ended::Drained => {
                self.pool.shutdown();
                Ok(Shutdown::Complete)
            }
            event_loop::Ended::TimedOut { busy } => {
                log::line(format_args!("{}", self.ctx.give_up_line(busy)));
                // Joining would wait for the very requests the timeout gave up on.
                self.pool.detach();
                Ok(Shutdown::TimedOut)
            }
        }
    }
}

impl<S: Sys> fmt::Debug for Server<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("settings", &self.ctx.settings)
            .field("pool", &self.pool)
            .finish()
    }
}

// ===== impl ShutdownHandle =====

impl<S: Sys> ShutdownHandle<S> {
    /// Begins graceful shutdown; returns at once. Idempotent.
    pub fn shutdown(&self) {
        self.ctx.shutting_down.store(true, Ordering::Release);
        self.ctx.sys.notify();
    }
}

impl<S: Sys> Clone for ShutdownHandle<S> {
    fn clone(&self) -> Self {
        ShutdownHandle {
            ctx: Arc::clone(&self.ctx),
        }
    }
}

impl<S: Sys> fmt::Debug for ShutdownHandle<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ShutdownHandle")
    }
}

// ===== impl Ctx =====

impl<S: Sys> Ctx<S> {
    /// Whether shutdown has begun.
    pub(crate) fn shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    /// Returns a connection to the event loop, and wakes the loop if it must look now.
    ///
    /// An idle connection, the common case, wakes nobody: the worker has re-armed it already,
    /// so the loop hears of it with its next request, or at its next tick for the timeouts
    /// (`HANDBACK_TICK`), and the request pays one thread hand-off, not two. The loop must be
    /// woken only when it waits for this very hand-back: when shutdown waits for every
    /// connection, and when the client's next request was reported before the hand-back
    /// arrived (the loop has then set `awaiting`). Both flags are read after the push, and
    /// the loop sets `awaiting`, or sees that shutdown has begun, before it takes the
    /// hand-backs, under the same lock: either the loop's take comes after this push and finds
    /// it, or it comes before, and then this push comes after the take, and its flag reads see
    /// what the loop set or saw before it.
    pub(crate) fn hand_back(&self, handback: HandBack<S::Stream>) {
        let quiet = matches!(handback, HandBack::Idle { .. });
        sync::lock(&self.handbacks).push(handback);
        if !quiet || self.awaiting.load(Ordering::SeqCst) || self.shutting_down() {
            self.sys.notify();
        }
    }

    /// The event loop says whether it waits for an idle hand-back (see `hand_back`).
    pub(crate) fn set_awaiting(&self, awaiting: bool) {
        self.awaiting.store(awaiting, Ordering::SeqCst);
    }

    /// Records that a worker is answering `running` (until [`finished`](Ctx::finished)).
    pub(crate) fn started(&self, running: Running) {
        sync::lock(&self.running).push(running);
    }

    /// Records that the request on connection `key` has been answered.
    pub(crate) fn finished(&self, key: usize) {
        let mut running = sync::lock(&self.running);
        if let Some(at) = running.iter().position(|r| r.key == key) {
            running.swap_remove(at);
        }
    }

    /// The line a shutdown that timed out logs, with `busy` connections still on workers: which
    /// requests it gives up on, oldest first.
    fn give_up_line(&self, busy: usize) -> String {
        let mut running = std::mem::take(&mut *sync::lock(&self.running));
        running.sort_by_key(|r| r.since);
        let now = Instant::now();
        let named: Vec<String> = running
            .iter()
            .map(|r| {
                let client = r.client.map_or_else(|| "-".to_owned(), |c| c.to_string());
                let secs = now.saturating_duration_since(r.since).as_secs_f64();
                format!("{} from {client} (running {secs:.1} s)", r.request_line)
            })
            .collect();
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let mut line = format!(
            "shutdown timed out after {:?}; detaching the workers with {} request{} still \
             running",
            self.settings.shutdown_timeout,
            named.len(),
            plural(named.len())
        );
        if !named.is_empty() {
            line.push_str(": ");
            line.push_str(&named.join(", "));
        }
        // Connections on workers for something other than a long request: a write to a
        // client that reads slowly, or a request just being read.
        let other = busy.saturating_sub(named.len());
        if other > 0 {
            line.push_str(&format!(
                "; {other} more connection{} still on workers",
                plural(other)
            ));
        }
        line
    }

    /// Moves everything handed back since the last call into `into` (empty on entry), leaving
    /// `into`'s old allocation behind for the workers to fill next: no allocation per handback.
    pub(crate) fn take_handbacks(&self, into: &mut Vec<HandBack<S::Stream>>) {
        std::mem::swap(&mut *sync::lock(&self.handbacks), into);
    }
}

// ===== impl StartError =====

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Bind(addr, err) => write!(f, "cannot listen on {addr}: {err}"),
            StartError::Root(err) => write!(f, "cannot serve files: {err}"),
            StartError::Pool(err) => write!(f, "cannot start the workers: {err}"),
            StartError::Io(err) => write!(f, "cannot set up the event loop: {err}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Bind(_, err) | StartError::Root(err) | StartError::Io(err) => Some(err),
            StartError::Pool(err) => Some(err),
        }
    }
}
