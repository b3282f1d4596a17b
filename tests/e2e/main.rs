//! The `webpool` binary end to end: each test starts the real binary on a free port and drives
//! it over TCP. [`server`]: routes, static files, keep-alive, bad input, overload, signals and
//! the CLI; [`stress`]: reduced scale and hostile-client runs; [`demos_live`]: the catalog's
//! buggy pools behind the book's server (`--pool NAME`). [`support`] starts the binary and
//! talks raw HTTP to it.
#![cfg(not(any(loom, shuttle)))]

mod support;

mod demos_live;
mod server;
mod stress;
