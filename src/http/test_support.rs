//! Helpers shared by the unit tests of the request parser's files.

use super::error::ErrorKind;
use super::request::{parse_request, Limits, Parsed, Request};

/// Parses `buf` in one call with the default limits; an error as its kind.
pub(super) fn parse(buf: &[u8]) -> Result<Parsed<'_>, ErrorKind> {
    parse_request(buf, &Limits::default()).map_err(|e| e.kind())
}

/// The request in `buf`, which must be a complete, valid head.
pub(super) fn complete(buf: &[u8]) -> Request<'_> {
    match parse(buf) {
        Ok(Parsed::Complete(req)) => req,
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(buf)),
    }
}
