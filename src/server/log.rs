//! Everything the server writes to stderr, written here: its operational lines (`webpool: ...`:
//! an accept that failed, a shutdown that gave up) and, when the access log is on, one line per
//! response, formatted by [`combined_line`].
//!
//! Public, and hidden from the docs, only so that the binary writes its own `webpool:` lines
//! through [`line`] too; it is not part of the library's API.

use std::fmt;
use std::io::{self, Write};
use std::time::{Instant, SystemTime};

use super::sys::Stream;
use crate::http::log::combined_line;
use crate::http::Request;

/// Writes `webpool: {message}` as a line on stderr.
pub fn line(message: fmt::Arguments<'_>) {
    eprintln!("webpool: {message}");
}

/// Writes the access-log line for a response of `status` with `body_bytes` of body, sent on
/// `stream` to answer `request` (`None` for one refused before it was read or parsed), which the
/// server began to answer at `started`.
pub(crate) fn access<T: Stream>(
    stream: &T,
    request: Option<&Request<'_>>,
    status: u16,
    body_bytes: u64,
    started: Instant,
) {
    let client = stream.peer().map(|peer| peer.ip());
    let mut line = combined_line(
        client,
        SystemTime::now(),
        request,
        status,
        body_bytes,
        started.elapsed(),
    );
    line.push('\n');
    // One write per line, so lines from different workers never interleave.
    let _ = io::stderr().lock().write_all(line.as_bytes());
}
