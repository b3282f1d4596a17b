//! A request head (RFC 9112 §2–§7) as the parser hands it over: [`Request`] and the types it is
//! made of.
//!
//! A [`Request`] borrows the buffer it was parsed from and allocates nothing. The parser that
//! builds it lives in its own file (`parser.rs`) and is re-exported here, so that this module is
//! the one place callers import the request API from: [`parse_request`], [`RequestParser`],
//! [`Limits`] and [`Parsed`].
//!
//! The parser answers [`Parsed::Partial`] ("need more"), [`Parsed::Complete`], or a
//! [`ParseError`](super::error::ParseError) carrying the status to send before closing. It never
//! panics, never allocates, costs O(n) however the head is split across reads, and enforces each
//! of the [`Limits`] at the first byte that proves it exceeded, so that once all bytes have
//! arrived its answer depends only on the bytes, never on how they were split.

use std::fmt;

#[cfg(all(test, not(any(loom, shuttle))))]
pub(crate) use super::parser::take_bytes_scanned;
pub use super::parser::{parse_request, Limits, Parsed, RequestParser};
use super::syntax::{find_lf, trim_ows};

/// The methods webpool implements (RFC 9110 §9.3, RFC 5789). Methods are case-sensitive:
/// `get` is a valid token but not `GET`, so it is refused with 501 like any unknown method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `OPTIONS`
    Options,
    /// `PATCH`
    Patch,
    /// `TRACE`
    Trace,
    /// `CONNECT` (recognised so that it can be refused with 501: webpool is not a tunnel).
    Connect,
}

impl Method {
    /// Every method, in declaration order.
    pub const ALL: [Method; 9] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Delete,
        Method::Options,
        Method::Patch,
        Method::Trace,
        Method::Connect,
    ];

    /// The method's token, e.g. `"GET"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Patch => "PATCH",
            Method::Trace => "TRACE",
            Method::Connect => "CONNECT",
        }
    }

    /// The method whose token is exactly `token` (case-sensitive), if webpool knows it.
    pub fn from_token(token: &[u8]) -> Option<Method> {
        Some(match token {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"POST" => Method::Post,
            b"PUT" => Method::Put,
            b"DELETE" => Method::Delete,
            b"OPTIONS" => Method::Options,
            b"PATCH" => Method::Patch,
            b"TRACE" => Method::Trace,
            b"CONNECT" => Method::Connect,
            _ => return None,
        })
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The protocol version a request is served with.
///
/// HTTP/1.2 to HTTP/1.9 parse as [`Version::Http11`]: a recipient answers a higher minor version
/// with the highest it supports (RFC 9110 §6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// HTTP/1.0
    Http10,
    /// HTTP/1.1 (and 1.2–1.9)
    Http11,
}

impl Version {
    /// `"HTTP/1.0"` or `"HTTP/1.1"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The form of an accepted request-target (RFC 9112 §3.2).
///
/// The fourth form, authority-form, is only valid with CONNECT, which is refused with 501.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TargetForm {
    /// `/path?query`, the usual form.
    Origin,
    /// `http://host/path?query`; the host comes from the target, not the Host header.
    Absolute,
    /// `*`, with OPTIONS only.
    Asterisk,
}

/// How the body that follows the head is framed (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BodyKind {
    /// No body: neither Content-Length nor Transfer-Encoding.
    None,
    /// Exactly this many bytes (at most [`Limits::max_body`]).
    Length(u64),
    /// Chunked; decode with [`ChunkedDecoder`](super::chunked::ChunkedDecoder).
    Chunked,
}

/// A parsed request head, borrowing the buffer it was parsed from.
///
/// Holds no allocation: header lines are read back from the buffer on demand. The target,
/// path, query and host are stored as the bytes validated as ASCII by the parser, and become
/// `str`s when asked for, so that a request pays only for the conversions it uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request<'b> {
    // Filled in by the parser (`parser.rs`), which has checked every rule the accessors rely on.
    pub(super) head: &'b [u8],
    pub(super) method: Method,
    pub(super) target: &'b [u8],
    pub(super) form: TargetForm,
    pub(super) path: &'b [u8],
    pub(super) query: Option<&'b [u8]>,
    pub(super) host: Option<&'b [u8]>,
    pub(super) version: Version,
    pub(super) fields_start: usize,
    pub(super) field_count: usize,
    pub(super) body: BodyKind,
    pub(super) keep_alive: bool,
    pub(super) expect_continue: bool,
}

impl<'b> Request<'b> {
    /// The request method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The request-target exactly as received, e.g. `"/a%20b?x=1"`.
    pub fn target(&self) -> &'b str {
        ascii_str(self.target)
    }

    /// Which of the request-target forms was used.
    pub fn target_form(&self) -> TargetForm {
        self.form
    }

    /// The path, still percent-encoded, without the query: `"/a%20b"` for `/a%20b?x=1`.
    ///
    /// For an absolute-form target it is the path after the authority (`"/"` if empty), and for
    /// the asterisk-form it is `"*"`. Resolve it with [`resolve`](super::path::resolve).
    pub fn path(&self) -> &'b str {
        ascii_str(self.path)
    }

    /// The query after the first `?`, without the `?`; `None` if the target has no `?`.
    pub fn query(&self) -> Option<&'b str> {
        self.query.map(ascii_str)
    }

    /// The host (with port, if sent) the request is for: the authority of an absolute-form
    /// target, otherwise the Host header. `None` only for HTTP/1.0 without a Host header.
    pub fn host(&self) -> Option<&'b str> {
        self.host.map(ascii_str)
    }

    /// The version to answer with.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The header lines in the order received, as `(name, value)` with the value stripped of
    /// surrounding whitespace. Names keep the case they were sent in.
    pub fn headers(&self) -> Headers<'b> {
        Headers {
            rest: self.head.get(self.fields_start..).unwrap_or_default(),
            remaining: self.field_count,
        }
    }

    /// The number of header lines.
    pub fn header_count(&self) -> usize {
        self.field_count
    }

    /// The value of the first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'b [u8]> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }

    /// The length of the head in bytes, including the final empty line and the one ignored
    /// empty line before the request line, if any. The body (if any) starts here.
    pub fn head_len(&self) -> usize {
        self.head.len()
    }

    /// How the body is framed.
    pub fn body(&self) -> BodyKind {
        self.body
    }

    /// `true` if the connection may serve another request after this one: HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive` (RFC 9112 §9.3).
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// `true` for `Expect: 100-continue` in HTTP/1.1; an HTTP/1.0 request's expectation is
    /// ignored, as RFC 9110 §10.1.1 requires.
    pub fn expect_continue(&self) -> bool {
        self.expect_continue
    }
}

/// Iterator over a request's header lines; see [`Request::headers`].
#[derive(Clone, Debug)]
pub struct Headers<'b> {
    rest: &'b [u8],
    remaining: usize,
}

impl<'b> Iterator for Headers<'b> {
    type Item = (&'b str, &'b [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        // The head was validated when it was parsed: every line here is `name: value` ending
        // in LF or CRLF, with a token name and no bare CR.
        let lf = find_lf(self.rest, 0, self.rest.len())?;
        let line = self.rest.get(..lf)?;
        self.rest = self.rest.get(lf + 1..).unwrap_or_default();
        self.remaining -= 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = line.iter().position(|&b| b == b':')?;
        let name = ascii_str(line.get(..colon)?);
        let value = trim_ows(line.get(colon + 1..).unwrap_or_default());
        Some((name, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Headers<'_> {}
impl std::iter::FusedIterator for Headers<'_> {}

/// Bytes validated as ASCII, as a `str`. Only called on validated bytes, so the fallback
/// (an empty string) is unreachable; it exists so that no input can make this panic.
fn ascii_str(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::http::test_support::complete;

    #[test]
    fn origin_form_request_parses_every_part() {
        let buf = b"POST /a/b%20c?x=1&y HTTP/1.1\r\nHost: example.com:8080\r\nContent-Length: 5\r\nX-Empty:\r\nX-Tab: a\tb \t\r\n\r\nhello";
        let req = complete(buf);
        assert_eq!(req.method(), Method::Post);
        assert_eq!(req.target(), "/a/b%20c?x=1&y");
        assert_eq!(req.target_form(), TargetForm::Origin);
        assert_eq!(req.path(), "/a/b%20c");
        assert_eq!(req.query(), Some("x=1&y"));
        assert_eq!(req.host(), Some("example.com:8080"));
        assert_eq!(req.version(), Version::Http11);
        assert_eq!(req.body(), BodyKind::Length(5));
        assert_eq!(req.head_len(), buf.len() - 5);
        let headers: Vec<_> = req.headers().collect();
        assert_eq!(
            headers,
            [
                ("Host", &b"example.com:8080"[..]),
                ("Content-Length", b"5"),
                ("X-Empty", b""),
                ("X-Tab", b"a\tb"),
            ]
        );
        assert_eq!(req.headers().len(), 4);
        assert_eq!(req.header("content-length"), Some(&b"5"[..]));
        assert_eq!(req.header("missing"), None);
        assert!(req.keep_alive());
        assert!(!req.expect_continue());
    }
}
