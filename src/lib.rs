//! webpool: the Rust Book's multithreaded web server done right, and proven right.
//!
//! - [`pool`]: a bounded, model-checked [`ThreadPool`] (the book's API, made safe).
//!
//! Every lock, condition variable, atomic and thread comes from one shim (`src/sync.rs`), which
//! maps to [loom](https://docs.rs/loom) under `--cfg loom`, so the loom models in `loom_tests/`
//! check the very code that runs in production.

#![warn(missing_docs)]

pub mod check;
pub mod demos;
pub mod http;
pub mod pool;
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
