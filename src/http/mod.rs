//! HTTP/1.1: pure parsing and response building; no sockets here.
//!
//! Everything in this module is a pure function (or a state machine fed by the caller) over
//! bytes: no I/O, no threads, no clock except where a function says so. The server reads from
//! a socket, hands the bytes here, and writes what comes back.
//!
//! - [`request`]: the request head and its incremental parser (RFC 9112), with configurable
//!   [`Limits`]. The parser's grammar is split by concern into private files: the request line
//!   (`request_line.rs`), the request-target and authority (`target.rs`), header lines
//!   (`fields.rs`), body framing (`framing.rs`), and the resumable parser itself (`parser.rs`).
//! - [`chunked`]: the incremental decoder for chunked request bodies.
//! - [`error`]: why a request was refused, as a [`ParseError`] carrying the status to send.
//! - [`path`]: request path → a relative file path that can't leave the served root.
//! - [`date`], [`range`], [`etag`], [`mime`]: the helpers a static-file server needs.
//! - [`response`]: writing response heads and error pages.
//! - [`log`]: access-log lines in nginx's "combined" format.
//!
//! Nothing here panics on anything a client sends: every input ends in a result, "need more",
//! or an error with a 4xx/5xx status.
//!
//! [`Limits`]: request::Limits
//! [`ParseError`]: error::ParseError

pub mod chunked;
pub mod date;
pub mod error;
pub mod etag;
mod fields;
mod framing;
pub mod log;
pub mod mime;
mod parser;
pub mod path;
pub mod range;
pub mod request;
mod request_line;
pub mod response;
mod syntax;
mod target;
#[cfg(all(test, not(any(loom, shuttle))))]
mod test_support;

pub use error::{ParseError, ParseErrorKind};
pub use request::{
    parse_request, BodyKind, Limits, Method, Parsed, Request, RequestParser, Version,
};
