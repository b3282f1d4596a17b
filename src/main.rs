//! The `webpool` binary: parses the command line, binds, serves, and shuts down on signals.
//!
//! Exit codes: 0 after a graceful shutdown, 1 when the server cannot start or fails, 2 for bad
//! flags (clap), 130 when a second signal cuts the shutdown short.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use webpool::demos::PoolKind;
use webpool::http::Limits;
use webpool::server::{log, Config, Server, Shutdown};

/// The Rust Book's multithreaded web server, done right.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Address to listen on; port 0 picks a free port (the real one is printed).
    #[arg(long, default_value = "127.0.0.1:7878")]
    addr: SocketAddr,

    /// Worker threads, 1 to 1024.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=MAX_THREADS))]
    threads: u16,

    /// Connections that may wait for a worker, 1 to 65536 (the queue is allocated at start-up,
    /// 64 bytes a slot); past that, new requests get 503.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=MAX_QUEUE))]
    queue: u32,

    /// Serve static files from this directory (besides the built-in pages). `/` serves the
    /// directory's index.html if it has one, else the built-in hello.html.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,

    /// Milliseconds `GET /sleep` waits before answering.
    #[arg(long, default_value_t = 5000)]
    sleep_ms: u64,

    /// Seconds a keep-alive connection may stay idle between requests.
    #[arg(long, default_value = "5", value_parser = parse_seconds)]
    idle_timeout: Duration,

    /// Seconds a client may take to send a request (its head, and any body with it).
    #[arg(long, default_value = "10", value_parser = parse_seconds)]
    header_timeout: Duration,

    /// Seconds a write may wait for a client that does not read (more than 0).
    #[arg(long, default_value = "10", value_parser = parse_positive_seconds)]
    write_timeout: Duration,

    /// Seconds shutdown waits for requests in flight.
    #[arg(long, default_value = "30", value_parser = parse_seconds)]
    shutdown_timeout: Duration,

    /// Open connections beyond which new ones get 503 and are closed [default: the open-file
    /// limit, less 64 descriptors kept for files and logs].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: Option<u32>,

    /// Don't write the access log: one line per request on stderr, in nginx's "combined"
    /// format followed by the request's duration in seconds.
    #[arg(long)]
    quiet: bool,

    /// Run the Rust Book's server on one of the demo pools instead (see the README's bug
    /// catalog), e.g. `--pool while-let`.
    #[arg(long, value_parser = parse_pool)]
    pool: Option<PoolKind>,

    /// Enable `/__panic`, a route whose handler panics (for testing).
    #[arg(long, hide = true)]
    test_routes: bool,
}

/// The most worker threads `--threads` accepts: plenty for blocking handlers, and far from the
/// point where the system runs out of threads (see `Builder::MAX_THREADS`).
const MAX_THREADS: i64 = 1024;

/// The most queue slots `--queue` accepts: the queue is allocated whole at start-up (64 bytes a
/// slot, 4 MiB at most), and 65 536 connections waiting for a few workers is already far
/// past any useful backlog.
const MAX_QUEUE: i64 = 65_536;

/// Ends the process for a command line clap did not accept: `--help` and `--version` print
/// their text and succeed; anything else prints the first line of clap's message (it names the
/// flag and what was wrong; the lines after it are a usage hint) and exits with 2, clap's code
/// for a usage error.
fn refuse_arguments(err: &clap::Error) -> ExitCode {
    if !err.use_stderr() {
        // Nothing useful is left to do if stdout is gone.
        let _ = err.print();
        return ExitCode::SUCCESS;
    }
    let message = err.render().to_string();
    let first = message.lines().next().unwrap_or("error: invalid arguments");
    eprintln!("{first} (see --help)");
    ExitCode::from(2)
}

/// Parses a `--pool` name, listing the valid ones on error.
fn parse_pool(name: &str) -> Result<PoolKind, String> {
    name.parse().map_err(|err| {
        let names: Vec<&str> = PoolKind::ALL.iter().map(|kind| kind.name()).collect();
        format!("{err}; expected one of: {}", names.join(", "))
    })
}

/// Parses seconds, fractions allowed (`0.5`).
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{text:?} is not a duration"))
}

/// Parses seconds, more than zero (a socket's write timeout cannot be zero).
fn parse_positive_seconds(text: &str) -> Result<Duration, String> {
    match parse_seconds(text)? {
        Duration::ZERO => Err(format!("{text:?} is not more than 0 seconds")),
        duration => Ok(duration),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return refuse_arguments(&err),
    };
    let result = match cli.pool {
        Some(kind) => run_book(&cli, kind),
        None => run_server(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            log::line(format_args!("{message}"));
            ExitCode::FAILURE
        }
    }
}

/// Descriptors kept free for files being served, logs and the poller when the connection cap
/// is derived from the open-file limit.
const RESERVED_FDS: u64 = 64;

/// Raises the soft open-file limit to the hard one: every connection is a file descriptor, and
/// the usual soft limit of 1024 would cap the server far below what it can hold. Logged, so an
/// operator knows the ceiling. Returns the limit in force.
fn raise_open_file_limit() -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    // Linux refuses more than fs.nr_open (2^20 by default) even when the hard limit is infinite.
    const CEILING: u64 = 1 << 20;
    let limit = getrlimit(Resource::Nofile);
    let soft = limit.current.unwrap_or(CEILING);
    let target = limit.maximum.unwrap_or(CEILING).min(CEILING);
    if soft >= target {
        log::line(format_args!("open-file limit {soft}"));
        return soft;
    }
    let raised = Rlimit {
        current: Some(target),
        maximum: limit.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => {
            log::line(format_args!(
                "open-file limit raised from {soft} to {target}"
            ));
            target
        }
        Err(err) => {
            log::line(format_args!(
                "open-file limit {soft} (could not raise it: {err})"
            ));
            soft
        }
    }
}

/// Runs the real server until a signal stops it.
fn run_server(cli: &Cli) -> Result<(), String> {
    let fd_limit = raise_open_file_limit();
    let max_connections = match cli.max_connections {
        Some(cap) => cap as usize,
        None => usize::try_from(fd_limit.saturating_sub(RESERVED_FDS).max(1)).unwrap_or(usize::MAX),
    };
    let config = Config {
        addr: cli.addr,
        threads: usize::from(cli.threads),
        queue: cli.queue as usize,
        root: cli.root.clone(),
        sleep: Duration::from_millis(cli.sleep_ms),
        idle_timeout: cli.idle_timeout,
        header_timeout: cli.header_timeout,
        write_timeout: cli.write_timeout,
        shutdown_timeout: cli.shutdown_timeout,
        max_connections,
        access_log: !cli.quiet,
        test_routes: cli.test_routes,
        limits: Limits::default(),
        ..Config::default()
    };
    let server = Server::bind(config).map_err(|err| err.to_string())?;
    let handle = server.shutdown_handle();
    // Install the handlers before announcing the address, so a signal sent as soon as the
    // address is known is never missed.
    let mut signals =
        Signals::new([SIGINT, SIGTERM]).map_err(|err| format!("cannot handle signals: {err}"))?;
    std::thread::Builder::new()
        .name("webpool-signals".into())
        .spawn(move || {
            let mut received = signals.forever();
            if received.next().is_some() {
                log::line(format_args!(
                    "shutting down gracefully (signal again to exit now)"
                ));
                handle.shutdown();
            }
            if received.next().is_some() {
                log::line(format_args!("second signal, exiting now"));
                std::process::exit(130);
            }
        })
        .map_err(|err| format!("cannot start the signal thread: {err}"))?;
    println!("listening on http://{}", server.local_addr());
    match server
        .run()
        .map_err(|err| format!("server failed: {err}"))?
    {
        Shutdown::Complete => log::line(format_args!(
            "shut down; every request in flight was answered"
        )),
        // The server has said which requests it gave up on.
        Shutdown::TimedOut => log::line(format_args!("exiting with those requests unanswered")),
    }
    Ok(())
}

/// Runs the Rust Book's server on a demo pool (no graceful shutdown: it is the book's).
fn run_book(cli: &Cli, kind: PoolKind) -> Result<(), String> {
    let listener = TcpListener::bind(cli.addr)
        .map_err(|err| format!("cannot listen on {}: {err}", cli.addr))?;
    let local = listener
        .local_addr()
        .map_err(|err| format!("cannot read the bound address: {err}"))?;
    println!("listening on http://{local} (the book's server on the {kind} pool)");
    let sleep = Duration::from_millis(cli.sleep_ms);
    webpool::demos::serve_book(listener, kind, usize::from(cli.threads), sleep)
        .map_err(|err| format!("server failed: {err}"))
}
