//! webpool: the Rust Book's multithreaded web server done right, and proven right.
//!
//! - [`pool`]: a bounded, model-checked [`ThreadPool`] (the book's API, made safe), configured
//!   with a [`Builder`]; its types are re-exported here.
//! - `server` (feature `server`, on by default): the HTTP/1.1 server the `webpool` binary runs
//!   (`server::Server`, configured by a `server::Config`): one event-loop thread holds the
//!   listener and the idle connections, and a [`ThreadPool`] answers the connections that have
//!   bytes to read. Without it (`default-features = false`) webpool depends on std alone.
//! - `http` (feature `server`): the HTTP/1.1 types and rules the server is made of, pure (bytes in, bytes out,
//!   no sockets): the incremental request parser, response heads and error pages, dates,
//!   byte ranges, entity tags, MIME types, request paths that cannot leave the served root.
//! - [`check`]: the bug catalog as a loom checker for *your* thread pool
//!   ([`check_pool!`](crate::check_pool)), with a report card and replayable traces.
//! - [`sync`]: the synchronisation shim: std's types in a normal build, loom's under
//!   `--cfg loom`, shuttle's under `--cfg shuttle`; a pool that imports from it can be
//!   checked by [`check`].
//! - [`demos`]: the catalog itself, the classic thread-pool bugs, each a small buggy pool on a
//!   page that explains it. Public for the binary's `--pool NAME` (the book's server on one of
//!   those pools, to watch a bug live) and for the checker's verdict tests (`checks/verdicts`),
//!   which run every check against every pool of the catalog.
//!
//! Every lock, condition variable, atomic and thread comes from one shim (`src/sync.rs`), which
//! maps to [loom](https://docs.rs/loom) under `--cfg loom`, so the loom models in `loom_tests/`
//! check the very code that runs in production.

#![warn(missing_docs)]

pub mod check;
pub mod demos;
mod html;
#[cfg(feature = "server")]
pub mod http;
pub mod pool;
#[cfg(feature = "server")]
pub mod server;
pub mod sync;

pub use pool::{Builder, ExecuteError, PoolCreationError, Stats, ThreadPool, TryExecuteError};

/// `true` when this library was built for model checking (`RUSTFLAGS="--cfg loom"` or
/// `RUSTFLAGS="--cfg shuttle"`).
///
/// A loom-built library only works inside `loom::model`, a shuttle-built one only inside a
/// shuttle run. Doctests are compiled without the cfg but link the model-checking library, so
/// every runnable example starts with a hidden `if webpool::MODEL_CHECKING { return; }`.
pub const MODEL_CHECKING: bool = cfg!(any(loom, shuttle));
