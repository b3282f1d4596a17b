//! Request heads (RFC 9112 §2–§7): an incremental parser that never panics and never allocates.
//!
//! [`RequestParser::parse`] is handed everything received so far for one request and answers
//! [`Parsed::Partial`] ("need more"), [`Parsed::Complete`] with a [`Request`] borrowing the
//! buffer, or a [`ParseError`] carrying the status to send before closing.
//!
//! # How the head is read
//!
//! The head is read line by line, and each line is judged only once its LF has arrived, so the
//! verdict on a line never depends on where reads happened to split it. A line is read in one
//! pass that validates it and finds its end; a line split across calls is scanned for its LF
//! from where the previous call stopped, then validated once, so a head arriving one byte per
//! call costs O(n), not O(n²).
//!
//! Limits are checked at the first byte count that proves them, before the line is complete: a
//! request line reaching [`Limits::max_request_line`] bytes without its LF is a 414, a head
//! reaching [`Limits::max_head`] bytes without its final empty line is a 431, and so is the first
//! byte of a header line beyond [`Limits::max_headers`]. After all bytes have arrived, the result
//! therefore depends only on the bytes, never on how they were split.
//!
//! Header semantics (Host, Content-Length, Transfer-Encoding, Connection, Expect) are recorded
//! line by line and judged when the head is complete, in a fixed order: framing, then Host.

use std::fmt;
use std::ops::Range;

use super::error::{ErrorKind, ParseError};
use super::syntax::{
    cmp_decimal, find_byte, find_field_value_end, find_lf, find_non_visible, hex_value,
    host_prefix_len, is_host_byte, is_ows, is_token_byte, list_elements, parse_decimal_saturating,
    token_prefix_len, trim_ows,
};

/// Size limits for one request; exceeding them is refused with 414, 431 or 413.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest request line, including its line ending (default 8 KiB); longer → 414.
    pub max_request_line: usize,
    /// Longest head: the optional leading empty line, the request line, the header lines and the
    /// final empty line (default 64 KiB); longer → 431.
    pub max_head: usize,
    /// Most header lines (default 100); more → 431.
    pub max_headers: usize,
    /// Largest body, by Content-Length or decoded chunks (default 1 MiB); larger → 413.
    pub max_body: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_request_line: 8 * 1024,
            max_head: 64 * 1024,
            max_headers: 100,
            max_body: 1024 * 1024,
        }
    }
}

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
    head: &'b [u8],
    method: Method,
    target: &'b [u8],
    form: TargetForm,
    path: &'b [u8],
    query: Option<&'b [u8]>,
    host: Option<&'b [u8]>,
    version: Version,
    fields_start: usize,
    field_count: usize,
    body: BodyKind,
    keep_alive: bool,
    expect_continue: bool,
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

/// The answer for the bytes received so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed<'b> {
    /// The head is not complete yet: read more and call again with all bytes received.
    Partial,
    /// The head is complete; the body (if any) and any pipelined request follow
    /// [`Request::head_len`].
    Complete(Request<'b>),
}

/// Parses one request head from `buf`, all at once.
///
/// Same answers as [`RequestParser::parse`] on a fresh parser; use the parser when bytes
/// arrive piecemeal, so that each call only looks at what is new.
///
/// # Errors
///
/// A [`ParseError`] whose [`status`](ParseError::status) the server sends before closing.
///
/// ```
/// use webpool::http::request::{parse_request, BodyKind, Limits, Method, Parsed};
///
/// let buf = b"GET /docs/index.html?lang=en HTTP/1.1\r\nHost: example.com\r\n\r\n";
/// let Ok(Parsed::Complete(req)) = parse_request(buf, &Limits::default()) else {
///     panic!("a valid request");
/// };
/// assert_eq!(req.method(), Method::Get);
/// assert_eq!(req.path(), "/docs/index.html");
/// assert_eq!(req.query(), Some("lang=en"));
/// assert_eq!(req.host(), Some("example.com"));
/// assert_eq!(req.body(), BodyKind::None);
/// assert_eq!(req.head_len(), buf.len());
///
/// let err = parse_request(b"GET / HTTP/2.0\r\n\r\n", &Limits::default()).unwrap_err();
/// assert_eq!(err.status(), 505);
/// ```
pub fn parse_request<'b>(buf: &'b [u8], limits: &Limits) -> Result<Parsed<'b>, ParseError> {
    // A throwaway parser: no need to reset it afterwards.
    RequestParser::new(*limits)
        .advance(buf)
        .map_err(ParseError::from)
}

/// An incremental request-head parser: remembers how far it has read, so that a slow client's
/// head costs O(n) in total however it is split.
///
/// Call [`parse`](Self::parse) with everything received for the current request each time more
/// arrives (the caller only appends between calls). After it returns `Complete` or an error it
/// is ready for the next request, whose bytes start after this one's head and body.
///
/// ```
/// use webpool::http::request::{Parsed, RequestParser};
///
/// let mut parser = RequestParser::default();
/// let mut received = Vec::new();
/// for chunk in [&b"GET / HT"[..], b"TP/1.1\r\nHost: a\r", b"\n\r\n"] {
///     received.extend_from_slice(chunk);
///     match parser.parse(&received) {
///         Ok(Parsed::Partial) => continue,
///         Ok(Parsed::Complete(req)) => assert_eq!(req.host(), Some("a")),
///         Err(err) => panic!("{err}"),
///     }
/// }
/// ```
#[derive(Clone, Debug, Default)]
pub struct RequestParser {
    limits: Limits,
    state: HeadState,
}

impl RequestParser {
    /// A parser enforcing `limits`.
    pub fn new(limits: Limits) -> Self {
        RequestParser {
            limits,
            state: HeadState::default(),
        }
    }

    /// The limits this parser enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Forgets the current request, so the next [`parse`](Self::parse) starts afresh.
    pub fn reset(&mut self) {
        self.state = HeadState::default();
    }

    /// Parses the head of the request whose bytes received so far are `buf`.
    ///
    /// Only bytes that belong to the head are looked at: whatever follows the final empty line
    /// (a body, a pipelined request) is left alone. After `Complete` or an error the parser
    /// resets itself. If `buf` is shorter than what an earlier call saw, the caller broke the
    /// append-only contract and the parser starts over rather than trust its memory.
    ///
    /// # Errors
    ///
    /// A [`ParseError`] whose [`status`](ParseError::status) the server sends before closing:
    /// 400 for malformed requests, 413/414/431 for exceeded [`Limits`], 501 for unknown methods
    /// and transfer codings, 505 for HTTP versions other than 1.x.
    pub fn parse<'b>(&mut self, buf: &'b [u8]) -> Result<Parsed<'b>, ParseError> {
        if buf.len() < self.state.scanned {
            self.reset();
        }
        let result = self.advance(buf);
        if !matches!(result, Ok(Parsed::Partial)) {
            self.reset();
        }
        result.map_err(ParseError::from)
    }

    fn advance<'b>(&mut self, buf: &'b [u8]) -> Result<Parsed<'b>, ErrorKind> {
        if self.state.request_line.is_none() && !self.read_request_line(buf)? {
            return Ok(Parsed::Partial);
        }
        match self.read_fields(buf)? {
            Some(head_len) => self.finish(buf, head_len).map(Parsed::Complete),
            None => Ok(Parsed::Partial),
        }
    }

    /// Reads the request line, and the one empty line allowed before it; `false` while the
    /// line has not fully arrived.
    fn read_request_line(&mut self, buf: &[u8]) -> Result<bool, ErrorKind> {
        let limits = self.limits;
        let p = &mut self.state;
        loop {
            let start = p.line_start;
            // The line's LF must come within both the request-line and the head limits.
            let line_limit = start.saturating_add(limits.max_request_line);
            let limit = line_limit.min(limits.max_head);
            let window = buf.len().min(limit);
            if p.scanned <= start {
                let valid = RequestLine::scan_valid(buf, start, window);
                scan_cost::count(valid.as_ref().map_or(window, |(_, next)| *next) - start);
                if let Some((line, next)) = valid {
                    p.accept_request_line(line, next);
                    return Ok(true);
                }
            }
            let Some(lf) = scan_cost::find_lf(buf, p.scanned.max(start), window) else {
                p.scanned = window;
                if buf.len() < limit {
                    return Ok(false);
                }
                // Whichever limit the bytes reached first; the request line wins a tie.
                return Err(if line_limit <= limits.max_head {
                    ErrorKind::RequestLineTooLong
                } else {
                    ErrorKind::HeadTooLarge
                });
            };
            let line = buf.get(start..lf).unwrap_or_default();
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            scan_cost::count(line.len());
            if line.is_empty() && !p.skipped_empty_line {
                // RFC 9112 §2.2: ignore at least one empty line before the request line.
                p.skipped_empty_line = true;
                p.line_start = lf + 1;
                p.scanned = lf + 1;
                continue;
            }
            p.accept_request_line(RequestLine::parse(line, start)?, lf + 1);
            return Ok(true);
        }
    }

    /// Reads header lines up to the empty line that ends the head; the head's length once it
    /// has arrived.
    fn read_fields(&mut self, buf: &[u8]) -> Result<Option<usize>, ErrorKind> {
        let limits = self.limits;
        let p = &mut self.state;
        let window = buf.len().min(limits.max_head);
        loop {
            let start = p.line_start;
            if let Some(&first) = buf.get(start).filter(|_| start < window) {
                // The first byte of a header line proves one more header line.
                let starts_field = !matches!(first, b'\r' | b'\n' | b' ' | b'\t');
                if starts_field && p.field_count >= limits.max_headers {
                    return Err(ErrorKind::TooManyHeaders);
                }
            }
            let scan = if p.scanned > start {
                // Resuming a line that was incomplete last time: find its LF among the new bytes
                // only, then read it once.
                match scan_cost::find_lf(buf, p.scanned, window) {
                    Some(lf) => scan_cost::field_line(buf, start, lf + 1),
                    None => LineScan::Incomplete,
                }
            } else {
                scan_cost::field_line(buf, start, window)
            };
            match scan {
                LineScan::Field { name, value, next } => {
                    p.facts.record(buf, name, value);
                    p.field_count += 1;
                    p.line_start = next;
                    p.scanned = next;
                }
                LineScan::EndOfHead { next } => return Ok(Some(next)),
                LineScan::Defect { kind, at } => {
                    // A defect counts once its line is complete; until then, more bytes might
                    // still prove a limit was exceeded first.
                    if scan_cost::find_lf(buf, at, window).is_some() {
                        return Err(kind);
                    }
                    p.scanned = window;
                    return incomplete_head(buf, limits);
                }
                LineScan::Incomplete => {
                    p.scanned = window;
                    return incomplete_head(buf, limits);
                }
            }
        }
    }

    /// Judges the header semantics once the head is complete, and builds the request.
    ///
    /// The order is fixed: framing first (RFC 9112 §6: Transfer-Encoding, then Content-Length,
    /// then the body limit), then the Host rule (RFC 9112 §3.2).
    fn finish<'b>(&self, buf: &'b [u8], head_len: usize) -> Result<Request<'b>, ErrorKind> {
        let p = &self.state;
        let Some(line) = p.request_line.as_ref() else {
            return Err(ErrorKind::MalformedRequestLine);
        };
        let head = buf.get(..head_len).unwrap_or_default();
        let bytes = |range: &Range<usize>| head.get(range.clone()).unwrap_or_default();
        let target = bytes(&line.target);
        let target_part = |range: &Range<usize>| target.get(range.clone()).unwrap_or_default();
        let facts = &p.facts;
        let body = facts.body_kind(head, line.version, self.limits.max_body)?;

        let host = match (&line.authority, facts.host_count, &facts.host_value) {
            (_, 2.., _) => return Err(ErrorKind::DuplicateHost),
            // RFC 9112 §3.2, RFC 9110 §4.2.1: an empty Host is allowed only when the target
            // names the host itself (absolute-form); otherwise the target URI would have none.
            (authority, 1, Some(value))
                if !is_valid_authority(bytes(value), authority.is_some()) =>
            {
                return Err(ErrorKind::InvalidHost)
            }
            (_, 0, _) if line.version == Version::Http11 => return Err(ErrorKind::MissingHost),
            // RFC 9112 §3.2.2: the absolute-form's authority overrides the Host header.
            (Some(authority), _, _) => Some(target_part(authority)),
            (None, _, Some(value)) => Some(bytes(value)),
            (None, _, None) => None,
        };

        let keep_alive = match line.version {
            Version::Http11 => !facts.connection_close,
            Version::Http10 => facts.connection_keep_alive && !facts.connection_close,
        };
        Ok(Request {
            head,
            method: line.method,
            target,
            form: line.form,
            path: match &line.path {
                Some(path) => target_part(path),
                None => b"/",
            },
            query: line.query.as_ref().map(target_part),
            host,
            version: line.version,
            fields_start: p.fields_start,
            field_count: p.field_count,
            body,
            keep_alive,
            expect_continue: facts.expect_continue && line.version == Version::Http11,
        })
    }
}

/// The answer while the head is incomplete: 431 once `max_head` bytes have arrived.
fn incomplete_head(buf: &[u8], limits: Limits) -> Result<Option<usize>, ErrorKind> {
    if buf.len() >= limits.max_head {
        Err(ErrorKind::HeadTooLarge)
    } else {
        Ok(None)
    }
}

/// Bytes validated as ASCII, as a `str`. Only called on validated bytes, so the fallback
/// (an empty string) is unreachable; it exists so that no input can make this panic.
fn ascii_str(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// What the parser remembers between calls for the request being read.
#[derive(Clone, Debug, Default)]
struct HeadState {
    /// Start of the first line not yet accepted.
    line_start: usize,
    /// Bytes before this offset hold no LF of the current line (at least `line_start` once the
    /// line has been looked at).
    scanned: usize,
    skipped_empty_line: bool,
    request_line: Option<RequestLine>,
    fields_start: usize,
    field_count: usize,
    facts: FieldFacts,
}

impl HeadState {
    /// Moves on to the header lines, which start at `next`.
    fn accept_request_line(&mut self, line: RequestLine, next: usize) {
        self.request_line = Some(line);
        self.fields_start = next;
        self.line_start = next;
        self.scanned = next;
    }
}

/// The accepted request line, as offsets into the buffer.
#[derive(Clone, Debug)]
struct RequestLine {
    method: Method,
    version: Version,
    form: TargetForm,
    /// The target, as a range of the buffer; the other ranges are relative to the target.
    target: Range<usize>,
    /// `None` for an absolute-form target with an empty path, which means `/`.
    path: Option<Range<usize>>,
    query: Option<Range<usize>>,
    /// The authority of an absolute-form target.
    authority: Option<Range<usize>>,
}

impl RequestLine {
    /// Reads a well-formed request line starting at `start` (`method SP target SP HTTP/d.d`,
    /// then CRLF or LF, before `end`) in one pass; returns it and where the next line starts.
    ///
    /// `None` for anything else (incomplete, empty, malformed, unsupported): the exact parse
    /// then finds the line end and names the error. Both agree on every line this accepts.
    fn scan_valid(buf: &[u8], start: usize, end: usize) -> Option<(RequestLine, usize)> {
        let line = buf.get(start..end)?;
        // Most requests are GETs and POSTs: recognise them without a token scan.
        let method_len = match line {
            [b'G', b'E', b'T', b' ', ..] => 3,
            [b'P', b'O', b'S', b'T', b' ', ..] => 4,
            _ => token_prefix_len(line),
        };
        if method_len == 0 || line.get(method_len) != Some(&b' ') {
            return None;
        }
        let target_start = method_len + 1;
        let target_end = find_non_visible(line, target_start, line.len())?;
        if target_end == target_start || line.get(target_end) != Some(&b' ') {
            return None;
        }
        let (version, line_end) = line.get(target_end + 1..)?.split_at_checked(8)?;
        let line_len = match line_end {
            [b'\r', b'\n', ..] => target_end + 11,
            [b'\n', ..] => target_end + 10,
            _ => return None,
        };
        let version = parse_version(version).ok()?;
        let method = Method::from_token(line.get(..method_len)?)?;
        let target = line.get(target_start..target_end)?;
        let parts = TargetParts::parse(method, target).ok()?;
        let target_offset = start + target_start;
        let request_line = RequestLine {
            method,
            version,
            form: parts.form,
            target: target_offset..target_offset + target.len(),
            path: parts.path,
            query: parts.query,
            authority: parts.authority,
        };
        Some((request_line, start + line_len))
    }

    /// Parses `method SP request-target SP HTTP-version` (`line` without its line ending,
    /// starting at `offset` in the buffer).
    fn parse(line: &[u8], offset: usize) -> Result<RequestLine, ErrorKind> {
        Self::parse_inner(line, offset).map_err(|kind| {
            // A CR can only sit in a line that failed the syntax checks; name the real culprit.
            if kind.status() == 400 && line.contains(&b'\r') {
                ErrorKind::BareCr
            } else {
                kind
            }
        })
    }

    fn parse_inner(line: &[u8], offset: usize) -> Result<RequestLine, ErrorKind> {
        let has_space_from = |from: usize| line.get(from..).is_some_and(|l| l.contains(&b' '));
        let method_len = line.iter().take_while(|&&b| is_token_byte(b)).count();
        if method_len == 0 || line.get(method_len) != Some(&b' ') {
            return Err(if has_space_from(0) {
                ErrorKind::InvalidMethod
            } else {
                ErrorKind::MalformedRequestLine
            });
        }
        let method = line.get(..method_len).unwrap_or_default();
        let target_start = method_len + 1;
        // The version is what follows the last space, and the target what precedes it. In a
        // valid line, that space is the first byte after the method's that isn't visible ASCII.
        let target_end = find_non_visible(line, target_start, line.len());
        let version_start = match target_end.map(|end| (end, line.get(end))) {
            Some((end, Some(b' '))) if !has_space_from(end + 1) => end + 1,
            // Another space follows, so the byte at `end` is inside the target.
            Some((end, bad)) if has_space_from(end + 1) => {
                return Err(match bad {
                    Some(b' ' | b'\t') => ErrorKind::WhitespaceInTarget,
                    _ => ErrorKind::InvalidTarget,
                })
            }
            // No space after the method's: an HTTP/0.9-style line.
            _ => return Err(ErrorKind::MissingVersion),
        };
        let target = line
            .get(target_start..version_start - 1)
            .unwrap_or_default();
        if target.is_empty() {
            return Err(ErrorKind::InvalidTarget);
        }
        let version = parse_version(line.get(version_start..).unwrap_or_default())?;
        let Some(method) = Method::from_token(method) else {
            return Err(ErrorKind::UnknownMethod);
        };

        let parts = TargetParts::parse(method, target)?;
        let target_offset = offset + target_start;
        Ok(RequestLine {
            method,
            version,
            form: parts.form,
            target: target_offset..target_offset + target.len(),
            path: parts.path,
            query: parts.query,
            authority: parts.authority,
        })
    }
}

/// `HTTP/<digit>.<digit>` (RFC 9112 §2.3), case-sensitive.
fn parse_version(version: &[u8]) -> Result<Version, ErrorKind> {
    let &[b'H', b'T', b'T', b'P', b'/', major, b'.', minor] = version else {
        return Err(ErrorKind::InvalidVersion);
    };
    if !major.is_ascii_digit() || !minor.is_ascii_digit() {
        return Err(ErrorKind::InvalidVersion);
    }
    match (major, minor) {
        (b'1', b'0') => Ok(Version::Http10),
        (b'1', _) => Ok(Version::Http11),
        _ => Err(ErrorKind::UnsupportedVersion),
    }
}

/// A request-target split into its form and parts (offsets relative to the target).
struct TargetParts {
    form: TargetForm,
    path: Option<Range<usize>>,
    query: Option<Range<usize>>,
    authority: Option<Range<usize>>,
}

impl TargetParts {
    /// Classifies `target` (visible ASCII, non-empty) per RFC 9112 §3.2 and checks that the form
    /// suits `method`.
    fn parse(method: Method, target: &[u8]) -> Result<TargetParts, ErrorKind> {
        if method == Method::Connect {
            // CONNECT takes only the authority-form (host:port), and webpool tunnels nothing.
            return Err(if is_authority_form(target) {
                ErrorKind::ConnectNotSupported
            } else {
                ErrorKind::TargetFormMismatch
            });
        }
        match target {
            [b'/', ..] => {
                let (path, query) = split_query(target, 0);
                Ok(TargetParts {
                    form: TargetForm::Origin,
                    path: Some(path),
                    query,
                    authority: None,
                })
            }
            b"*" if method == Method::Options => Ok(TargetParts {
                form: TargetForm::Asterisk,
                path: Some(0..1),
                query: None,
                authority: None,
            }),
            b"*" => Err(ErrorKind::TargetFormMismatch),
            _ => Self::parse_absolute(target),
        }
    }

    /// `http://authority[/path][?query]` (or https); any other target is invalid here, except
    /// an authority-form target, which only CONNECT may use.
    fn parse_absolute(target: &[u8]) -> Result<TargetParts, ErrorKind> {
        let scheme_len = match target.iter().position(|&b| b == b':') {
            Some(len) if target.get(len..len + 3) == Some(b"://") => len,
            _ if is_authority_form(target) => return Err(ErrorKind::TargetFormMismatch),
            _ => return Err(ErrorKind::InvalidTarget),
        };
        let scheme = target.get(..scheme_len).unwrap_or_default();
        if !scheme.eq_ignore_ascii_case(b"http") && !scheme.eq_ignore_ascii_case(b"https") {
            return Err(ErrorKind::InvalidTarget);
        }
        let authority_start = scheme_len + 3;
        let after_scheme = target.get(authority_start..).unwrap_or_default();
        let authority_len = after_scheme
            .iter()
            .position(|&b| b == b'/' || b == b'?')
            .unwrap_or(after_scheme.len());
        let authority = after_scheme.get(..authority_len).unwrap_or_default();
        // RFC 9110 §4.2.1 and §4.2.4: an http URI needs a host, and userinfo is refused.
        if !is_valid_authority(authority, false) {
            return Err(ErrorKind::InvalidTarget);
        }
        let rest_start = authority_start + authority_len;
        let (path, query) = split_query(target, rest_start);
        Ok(TargetParts {
            form: TargetForm::Absolute,
            // An empty path means "/" (RFC 9112 §3.2.2).
            path: Some(path).filter(|p| !p.is_empty()),
            query,
            authority: Some(authority_start..rest_start),
        })
    }
}

/// Splits `target[from..]` at its first `?` into path and query ranges.
fn split_query(target: &[u8], from: usize) -> (Range<usize>, Option<Range<usize>>) {
    match find_byte(target, from, target.len(), b'?') {
        Some(q) => (from..q, Some(q + 1..target.len())),
        None => (from..target.len(), None),
    }
}

/// `uri-host ":" port` with a non-empty host and port (RFC 9112 §3.2.3).
fn is_authority_form(target: &[u8]) -> bool {
    is_valid_authority(target, false)
        && split_authority(target).is_some_and(|(_, port)| port.is_some_and(|p| !p.is_empty()))
}

/// Splits `uri-host [ ":" port ]` into the host (brackets kept for an IP-literal) and the port.
fn split_authority(authority: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let host_len = match authority {
        [b'[', ..] => authority.iter().position(|&b| b == b']')? + 1,
        _ => authority
            .iter()
            .position(|&b| b == b':')
            .unwrap_or(authority.len()),
    };
    let host = authority.get(..host_len)?;
    match authority.get(host_len..)? {
        [] => Some((host, None)),
        [b':', port @ ..] => Some((host, Some(port))),
        _ => None,
    }
}

/// `uri-host [ ":" port ]` (RFC 3986 §3.2.2, §3.2.3): an IP-literal in brackets, or a reg-name
/// of unreserved characters, percent-escapes and sub-delims; the port is digits. An empty host
/// is allowed only where `allow_empty_host`: in a Host header sent with an absolute-form target,
/// which names the host itself (RFC 9112 §3.2). With any other target the host comes from the
/// Host header, and an http URI with an empty host is invalid (RFC 9110 §4.2.1).
fn is_valid_authority(authority: &[u8], allow_empty_host: bool) -> bool {
    let all_digits = |port: &[u8]| port.iter().all(u8::is_ascii_digit);
    if is_plain_host_and_port(authority) {
        return true;
    }
    let Some((host, port)) = split_authority(authority) else {
        return false;
    };
    // IPv6address and IPvFuture (RFC 3986 §3.2.2), checked for their alphabet only.
    let is_literal_byte = |&b: &u8| is_host_byte(b) || b == b':';
    let host_ok = match host {
        [] => allow_empty_host,
        [b'[', inside @ .., b']'] => !inside.is_empty() && inside.iter().all(is_literal_byte),
        _ => is_reg_name(host),
    };
    let port_ok = match port {
        Some(port) => all_digits(port),
        None => true,
    };
    host_ok && port_ok
}

/// The common case of an authority, in one pass: a non-empty name of plain host bytes, and
/// maybe `:` and a port. `false` doesn't mean invalid: it means "not this simple".
fn is_plain_host_and_port(authority: &[u8]) -> bool {
    let mut bytes = authority.iter();
    let mut has_name = false;
    for &b in bytes.by_ref() {
        if !is_host_byte(b) {
            return has_name && b == b':' && bytes.all(u8::is_ascii_digit);
        }
        has_name = true;
    }
    has_name
}

/// `*( unreserved / pct-encoded / sub-delims )`.
fn is_reg_name(host: &[u8]) -> bool {
    let mut rest = host;
    loop {
        let plain = host_prefix_len(rest);
        rest = match rest.get(plain..).unwrap_or_default() {
            [] => return true,
            [b'%', hi, lo, tail @ ..] if hex_value(*hi).is_some() && hex_value(*lo).is_some() => {
                tail
            }
            _ => return false,
        };
    }
}

/// The parser's scans, each counted (in tests) by the bytes it looks at: the proof that a head
/// arriving in pieces costs O(n) in total lives in the server's tests, which count the work of
/// the very parser the connection code keeps between reads.
mod scan_cost {
    use super::{scan_field_line, LineScan};

    #[cfg(all(test, not(any(loom, shuttle))))]
    crate::sync::thread_local! {
        /// Bytes the parser has looked at on this thread since the test last reset it.
        static BYTES_SCANNED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// Records that a scan looked at `bytes` bytes (tests only; nothing at all otherwise).
    #[inline(always)]
    pub(super) fn count(bytes: usize) {
        #[cfg(all(test, not(any(loom, shuttle))))]
        BYTES_SCANNED.with(|scanned| scanned.set(scanned.get() + bytes));
        #[cfg(not(all(test, not(any(loom, shuttle)))))]
        let _ = bytes;
    }

    /// Bytes the parser has looked at on this thread since the last call; resets the count.
    #[cfg(all(test, not(any(loom, shuttle))))]
    pub(crate) fn take() -> usize {
        BYTES_SCANNED.with(|scanned| scanned.replace(0))
    }

    /// [`super::find_lf`], counted up to the LF found (or `end`).
    #[inline(always)]
    pub(super) fn find_lf(buf: &[u8], from: usize, end: usize) -> Option<usize> {
        let lf = super::find_lf(buf, from, end);
        count(lf.map_or(end, |lf| lf + 1).saturating_sub(from));
        lf
    }

    /// [`scan_field_line`], counted up to where it stopped looking.
    #[inline(always)]
    pub(super) fn field_line(buf: &[u8], start: usize, end: usize) -> LineScan {
        let scan = scan_field_line(buf, start, end);
        let stop = match scan {
            LineScan::Field { next, .. } | LineScan::EndOfHead { next } => next,
            LineScan::Defect { at, .. } => at + 1,
            LineScan::Incomplete => end,
        };
        count(stop.saturating_sub(start));
        scan
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
pub(crate) use scan_cost::take as take_bytes_scanned;

/// One header line read in a single pass, or why it can't be (yet).
#[derive(Debug, PartialEq, Eq)]
enum LineScan {
    /// A valid `name: value` line; the next line starts at `next`.
    Field {
        name: Range<usize>,
        value: Range<usize>,
        next: usize,
    },
    /// The empty line ending the head, which ends at `next`.
    EndOfHead { next: usize },
    /// The line is invalid because of the byte at `at`, provided the line is complete.
    Defect { kind: ErrorKind, at: usize },
    /// The window ended before the line's LF.
    Incomplete,
}

/// Reads the header line starting at `start`, looking no further than `end`.
fn scan_field_line(buf: &[u8], start: usize, end: usize) -> LineScan {
    let window = buf.get(..end).unwrap_or(buf);
    let defect = |kind, at| LineScan::Defect { kind, at };
    let Some(&first) = window.get(start) else {
        return LineScan::Incomplete;
    };
    match (first, window.get(start + 1)) {
        (b'\n', _) => return LineScan::EndOfHead { next: start + 1 },
        (b'\r', None) => return LineScan::Incomplete,
        (b'\r', Some(b'\n')) => return LineScan::EndOfHead { next: start + 2 },
        (b'\r', Some(_)) => return defect(ErrorKind::BareCr, start),
        // RFC 9112 §5.2: obs-fold in a request is refused (400).
        (b' ' | b'\t', _) => return defect(ErrorKind::ObsFold, start),
        _ => {}
    }

    let colon = start + token_prefix_len(window.get(start..).unwrap_or_default());
    match window.get(colon) {
        None => return LineScan::Incomplete,
        Some(b':') if colon > start => {}
        Some(b' ' | b'\t') if colon > start => {
            // RFC 9112 §5.1: whitespace between name and colon is refused (400); whitespace
            // followed by anything else is simply a bad name.
            let after = window.get(colon..).unwrap_or_default();
            return match after.iter().find(|&&b| !is_ows(b)) {
                None => LineScan::Incomplete,
                Some(b':') => defect(ErrorKind::WhitespaceBeforeColon, colon),
                Some(_) => defect(ErrorKind::InvalidHeaderName, colon),
            };
        }
        Some(b'\n') => return defect(ErrorKind::MissingColon, colon),
        Some(b'\r') => {
            return match window.get(colon + 1) {
                None => LineScan::Incomplete,
                Some(b'\n') => defect(ErrorKind::MissingColon, colon),
                Some(_) => defect(ErrorKind::BareCr, colon),
            }
        }
        _ => return defect(ErrorKind::InvalidHeaderName, colon),
    }

    let value_start = colon
        + 1
        + window
            .get(colon + 1..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&b| is_ows(b))
            .count();
    let mut from = value_start;
    let (content_end, next) = loop {
        let Some(stop) = find_field_value_end(window, from, window.len()) else {
            return LineScan::Incomplete;
        };
        match (window.get(stop), window.get(stop + 1)) {
            (Some(b'\t'), _) => from = stop + 1,
            (Some(b'\n'), _) => break (stop, stop + 1),
            (Some(b'\r'), None) => return LineScan::Incomplete,
            (Some(b'\r'), Some(b'\n')) => break (stop, stop + 2),
            (Some(b'\r'), Some(_)) => return defect(ErrorKind::BareCr, stop),
            _ => return defect(ErrorKind::InvalidHeaderValue, stop),
        }
    };
    let value = window.get(value_start..content_end).unwrap_or_default();
    let trailing_ows = value.iter().rev().take_while(|&&b| is_ows(b)).count();
    let value_end = content_end - trailing_ows;
    LineScan::Field {
        name: start..colon,
        value: value_start..value_end,
        next,
    }
}

/// What the header lines said about framing, host and connection, gathered line by line.
#[derive(Clone, Debug, Default)]
struct FieldFacts {
    host_count: usize,
    host_value: Option<Range<usize>>,
    /// The first Content-Length value's digits, to compare the others against.
    content_length: Option<Range<usize>>,
    content_length_invalid: bool,
    content_length_conflict: bool,
    transfer_encoding: bool,
    chunked_count: usize,
    last_coding_is_chunked: bool,
    unknown_coding: bool,
    connection_close: bool,
    connection_keep_alive: bool,
    expect_continue: bool,
}

impl FieldFacts {
    /// Records what one header line (name and value given as ranges of `buf`) means for the
    /// request as a whole.
    fn record(&mut self, buf: &[u8], name: Range<usize>, value_range: Range<usize>) {
        let name = buf.get(name).unwrap_or_default();
        let value = buf.get(value_range.clone()).unwrap_or_default();
        // Dispatch on length and first letter before comparing whole names: most headers are
        // none of these.
        match (name.len(), name.first().map(u8::to_ascii_lowercase)) {
            (4, Some(b'h')) if name.eq_ignore_ascii_case(b"host") => {
                self.host_count += 1;
                self.host_value.get_or_insert(value_range);
            }
            (6, Some(b'e')) if name.eq_ignore_ascii_case(b"expect") => {
                self.expect_continue |= list_elements(value)
                    .any(|expectation| expectation.eq_ignore_ascii_case(b"100-continue"));
            }
            (10, Some(b'c')) if name.eq_ignore_ascii_case(b"connection") => {
                for option in list_elements(value) {
                    self.connection_close |= option.eq_ignore_ascii_case(b"close");
                    self.connection_keep_alive |= option.eq_ignore_ascii_case(b"keep-alive");
                }
            }
            (14, Some(b'c')) if name.eq_ignore_ascii_case(b"content-length") => {
                self.record_content_length(buf, value_range)
            }
            (17, Some(b't')) if name.eq_ignore_ascii_case(b"transfer-encoding") => {
                self.transfer_encoding = true;
                for coding in list_elements(value) {
                    let chunked = coding.eq_ignore_ascii_case(b"chunked");
                    self.chunked_count += usize::from(chunked);
                    self.unknown_coding |= !chunked;
                    self.last_coding_is_chunked = chunked;
                }
            }
            _ => {}
        }
    }

    /// RFC 9112 §6.3: a list of identical values is that value; anything else is invalid.
    fn record_content_length(&mut self, buf: &[u8], value: Range<usize>) {
        let mut elements = 0;
        let mut element_start = value.start;
        for element in buf.get(value).unwrap_or_default().split(|&b| b == b',') {
            let leading_ows = element.iter().take_while(|&&b| is_ows(b)).count();
            let digits = trim_ows(element);
            let digits_start = element_start + leading_ows;
            element_start += element.len() + 1;
            if digits.is_empty() {
                continue;
            }
            elements += 1;
            if !digits.iter().all(u8::is_ascii_digit) {
                self.content_length_invalid = true;
            } else if let Some(first) = &self.content_length {
                let first = buf.get(first.clone()).unwrap_or_default();
                self.content_length_conflict |= cmp_decimal(digits, first).is_ne();
            } else {
                self.content_length = Some(digits_start..digits_start + digits.len());
            }
        }
        self.content_length_invalid |= elements == 0;
    }

    /// The body framing these headers declare (RFC 9112 §6.1, §6.3), or why it is refused.
    fn body_kind(
        &self,
        buf: &[u8],
        version: Version,
        max_body: u64,
    ) -> Result<BodyKind, ErrorKind> {
        let has_length = self.content_length.is_some() || self.content_length_invalid;
        if self.transfer_encoding {
            // Both framings at once is how requests are smuggled past a proxy: refuse it.
            if has_length {
                return Err(ErrorKind::ContentLengthWithTransferEncoding);
            }
            // An HTTP/1.0 recipient can't know chunked; a coding after chunked (or chunked
            // twice) leaves the body length undeterminable.
            if version == Version::Http10 || self.chunked_count != 1 || !self.last_coding_is_chunked
            {
                return Err(ErrorKind::InvalidTransferEncoding);
            }
            if self.unknown_coding {
                return Err(ErrorKind::UnsupportedTransferCoding);
            }
            return Ok(BodyKind::Chunked);
        }
        if self.content_length_invalid {
            return Err(ErrorKind::InvalidContentLength);
        }
        if self.content_length_conflict {
            return Err(ErrorKind::ConflictingContentLength);
        }
        let Some(digits) = &self.content_length else {
            return Ok(BodyKind::None);
        };
        match parse_decimal_saturating(buf.get(digits.clone()).unwrap_or_default()) {
            Some(length) if length <= max_body => Ok(BodyKind::Length(length)),
            _ => Err(ErrorKind::BodyTooLarge),
        }
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;

    fn parse(buf: &[u8]) -> Result<Parsed<'_>, ErrorKind> {
        parse_request(buf, &Limits::default()).map_err(|e| e.kind())
    }

    fn complete(buf: &[u8]) -> Request<'_> {
        match parse(buf) {
            Ok(Parsed::Complete(req)) => req,
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(buf)),
        }
    }

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

    #[test]
    fn absolute_form_takes_host_from_target() {
        let req = complete(b"GET http://Example.org:81 HTTP/1.1\r\nHost: other\r\n\r\n");
        assert_eq!(req.target_form(), TargetForm::Absolute);
        assert_eq!(req.host(), Some("Example.org:81"));
        assert_eq!(req.path(), "/");
        let req = complete(b"GET https://h/p/q?r HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!((req.path(), req.query()), ("/p/q", Some("r")));
        let req = complete(b"GET http://h?only HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!((req.path(), req.query()), ("/", Some("only")));
        for bad in [
            &b"GET http:// HTTP/1.1\r\nHost: h\r\n\r\n"[..],
            b"GET http://user@h/ HTTP/1.1\r\nHost: h\r\n\r\n",
            b"GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n",
            b"GET http:/h HTTP/1.1\r\nHost: h\r\n\r\n",
            b"GET index.html HTTP/1.1\r\nHost: h\r\n\r\n",
        ] {
            assert_eq!(parse(bad), Err(ErrorKind::InvalidTarget), "{bad:?}");
        }
    }

    #[test]
    fn target_forms_must_suit_the_method() {
        let req = complete(b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!((req.target_form(), req.path()), (TargetForm::Asterisk, "*"));
        let cases: [(&[u8], ErrorKind); 4] = [
            (
                b"GET * HTTP/1.1\r\nHost: h\r\n\r\n",
                ErrorKind::TargetFormMismatch,
            ),
            (
                b"CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n",
                ErrorKind::ConnectNotSupported,
            ),
            (
                b"CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n",
                ErrorKind::TargetFormMismatch,
            ),
            (
                b"GET h:443 HTTP/1.1\r\nHost: h\r\n\r\n",
                ErrorKind::TargetFormMismatch,
            ),
        ];
        for (buf, kind) in cases {
            assert_eq!(parse(buf), Err(kind), "{:?}", String::from_utf8_lossy(buf));
        }
    }

    #[test]
    fn versions() {
        let version = |v: &str| {
            let buf = format!("GET / {v}\r\nHost: h\r\n\r\n");
            parse(buf.as_bytes()).map(|p| match p {
                Parsed::Complete(r) => r.version(),
                Parsed::Partial => panic!("partial"),
            })
        };
        assert_eq!(version("HTTP/1.0"), Ok(Version::Http10));
        assert_eq!(version("HTTP/1.1"), Ok(Version::Http11));
        assert_eq!(version("HTTP/1.9"), Ok(Version::Http11));
        assert_eq!(version("HTTP/2.0"), Err(ErrorKind::UnsupportedVersion));
        assert_eq!(version("HTTP/0.9"), Err(ErrorKind::UnsupportedVersion));
        for bad in ["http/1.1", "HTTP/1", "HTTP/1.10", "HTTP/a.1", "HTTP/11", ""] {
            assert_eq!(version(bad), Err(ErrorKind::InvalidVersion), "{bad}");
        }
        // The version is what follows the last space: here the target holds a space.
        assert_eq!(version("HTTP/1.1 "), Err(ErrorKind::WhitespaceInTarget));
        assert_eq!(parse(b"GET /\r\n\r\n"), Err(ErrorKind::MissingVersion));
    }

    #[test]
    fn line_endings() {
        complete(b"GET / HTTP/1.1\nHost: h\n\n");
        complete(b"\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(complete(b"\nGET / HTTP/1.1\nHost: h\n\n").head_len(), 25);
        assert_eq!(
            parse(b"\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"),
            Err(ErrorKind::MalformedRequestLine)
        );
        assert_eq!(
            parse(b"GET / HTTP/1.1\rHost: h\r\n\r\n"),
            Err(ErrorKind::BareCr)
        );
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\nHost: h\rX\r\n\r\n"),
            Err(ErrorKind::BareCr)
        );
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\nHost: h\r\n\rX\r\n"),
            Err(ErrorKind::BareCr)
        );
    }

    #[test]
    fn header_line_defects() {
        let cases: [(&[u8], ErrorKind); 7] = [
            (b"Host : h\r\n", ErrorKind::WhitespaceBeforeColon),
            (b"Ho st: h\r\n", ErrorKind::InvalidHeaderName),
            (b": h\r\n", ErrorKind::InvalidHeaderName),
            (b"Host\r\n", ErrorKind::MissingColon),
            (b" folded\r\n", ErrorKind::ObsFold),
            (b"X: a\x00b\r\n", ErrorKind::InvalidHeaderValue),
            (b"X: a\x7f\r\n", ErrorKind::InvalidHeaderValue),
        ];
        for (line, kind) in cases {
            let mut buf = b"GET / HTTP/1.1\r\nHost: h\r\n".to_vec();
            buf.extend_from_slice(line);
            buf.extend_from_slice(b"\r\n");
            assert_eq!(
                parse(&buf),
                Err(kind),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn host_rules() {
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\n\r\n"),
            Err(ErrorKind::MissingHost)
        );
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"),
            Err(ErrorKind::DuplicateHost)
        );
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
            Err(ErrorKind::InvalidHost)
        );
        assert_eq!(parse(b"GET / HTTP/1.0\r\n\r\n").map(|_| ()), Ok(()));
        assert_eq!(complete(b"GET / HTTP/1.0\r\n\r\n").host(), None);
        assert_eq!(
            complete(b"GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n").host(),
            Some("[::1]:80")
        );
    }

    #[test]
    fn an_empty_host_is_refused_unless_the_target_names_one() {
        // RFC 9112 §3.2.2 / RFC 9110 §4.2.1: an origin-form (or asterisk-form) target takes its
        // host from the Host header, and an http URI with an empty host is invalid.
        for bad in [
            &b"GET / HTTP/1.1\r\nHost:\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nHost: \t \r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: :80\r\n\r\n",
            b"GET / HTTP/1.0\r\nHost:\r\n\r\n",
            b"OPTIONS * HTTP/1.1\r\nHost:\r\n\r\n",
        ] {
            assert_eq!(
                parse(bad),
                Err(ErrorKind::InvalidHost),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        // The absolute-form names its host, so the Host header may be empty (RFC 9112 §3.2).
        let req = complete(b"GET http://h/x HTTP/1.1\r\nHost:\r\n\r\n");
        assert_eq!(req.host(), Some("h"));
        let req = complete(b"GET http://h/x HTTP/1.1\r\nHost: :80\r\n\r\n");
        assert_eq!(req.host(), Some("h"));
    }

    #[test]
    fn body_framing() {
        let body = |headers: &str| {
            let buf = format!("POST / HTTP/1.1\r\nHost: h\r\n{headers}\r\n");
            parse(buf.as_bytes()).map(|p| match p {
                Parsed::Complete(r) => r.body(),
                Parsed::Partial => panic!("partial"),
            })
        };
        assert_eq!(body(""), Ok(BodyKind::None));
        assert_eq!(body("Content-Length: 0\r\n"), Ok(BodyKind::Length(0)));
        assert_eq!(
            body("Content-Length: 7, 07\r\nContent-Length: 7\r\n"),
            Ok(BodyKind::Length(7))
        );
        assert_eq!(
            body("Transfer-Encoding: Chunked\r\n"),
            Ok(BodyKind::Chunked)
        );
        let errors = [
            (
                "Content-Length: 1, 2\r\n",
                ErrorKind::ConflictingContentLength,
            ),
            (
                "Content-Length: 1\r\nContent-Length: 2\r\n",
                ErrorKind::ConflictingContentLength,
            ),
            ("Content-Length: +1\r\n", ErrorKind::InvalidContentLength),
            ("Content-Length:\r\n", ErrorKind::InvalidContentLength),
            ("Content-Length: 1 2\r\n", ErrorKind::InvalidContentLength),
            ("Content-Length: 1048577\r\n", ErrorKind::BodyTooLarge),
            (
                "Content-Length: 99999999999999999999999\r\n",
                ErrorKind::BodyTooLarge,
            ),
            (
                "Transfer-Encoding: chunked\r\nContent-Length: 1\r\n",
                ErrorKind::ContentLengthWithTransferEncoding,
            ),
            (
                "Transfer-Encoding: chunked, gzip\r\n",
                ErrorKind::InvalidTransferEncoding,
            ),
            (
                "Transfer-Encoding: chunked, chunked\r\n",
                ErrorKind::InvalidTransferEncoding,
            ),
            ("Transfer-Encoding:\r\n", ErrorKind::InvalidTransferEncoding),
            (
                "Transfer-Encoding: gzip, chunked\r\n",
                ErrorKind::UnsupportedTransferCoding,
            ),
        ];
        for (headers, kind) in errors {
            assert_eq!(body(headers), Err(kind), "{headers:?}");
        }
        assert_eq!(
            parse(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Err(ErrorKind::InvalidTransferEncoding)
        );
    }

    #[test]
    fn connection_and_expect() {
        let req = complete(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Keep-Alive, CLOSE\r\n\r\n");
        assert!(!req.keep_alive());
        let req = complete(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assert!(req.keep_alive());
        assert!(!complete(b"GET / HTTP/1.0\r\n\r\n").keep_alive());
        let req = complete(b"PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n\r\n");
        assert!(req.expect_continue());
        let req = complete(b"PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n");
        assert!(!req.expect_continue());
    }

    #[test]
    fn methods_are_case_sensitive_tokens() {
        assert_eq!(
            parse(b"get / HTTP/1.1\r\nHost: h\r\n\r\n"),
            Err(ErrorKind::UnknownMethod)
        );
        assert_eq!(
            parse(b"BREW / HTTP/1.1\r\nHost: h\r\n\r\n"),
            Err(ErrorKind::UnknownMethod)
        );
        assert_eq!(
            parse(b"G@T / HTTP/1.1\r\nHost: h\r\n\r\n"),
            Err(ErrorKind::InvalidMethod)
        );
        assert_eq!(
            parse(b" / HTTP/1.1\r\nHost: h\r\n\r\n"),
            Err(ErrorKind::InvalidMethod)
        );
        for method in Method::ALL {
            assert_eq!(Method::from_token(method.as_str().as_bytes()), Some(method));
        }
    }

    #[test]
    fn whitespace_in_target() {
        let kind = parse(b"GET /a b HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(kind, Err(ErrorKind::WhitespaceInTarget));
        let kind = parse(b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(kind, Err(ErrorKind::WhitespaceInTarget));
        let kind = parse(b"GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(kind, Err(ErrorKind::InvalidTarget));
    }

    #[test]
    fn limits_are_reported_before_the_head_ends() {
        let limits = Limits::default();
        let long_line = vec![b'a'; limits.max_request_line];
        let err = parse_request(&long_line, &limits).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RequestLineTooLong);
        // One byte less may still be a request line whose LF is about to arrive.
        let parsed = parse_request(&long_line[1..], &limits);
        assert_eq!(parsed, Ok(Parsed::Partial));

        let mut head = b"GET / HTTP/1.1\r\nX: ".to_vec();
        head.resize(limits.max_head - 1, b'v');
        assert_eq!(parse_request(&head, &limits), Ok(Parsed::Partial));
        head.push(b'v');
        let err = parse_request(&head, &limits).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::HeadTooLarge);

        let mut head = b"GET / HTTP/1.1\r\n".to_vec();
        for _ in 0..limits.max_headers {
            head.extend_from_slice(b"X: y\r\n");
        }
        assert_eq!(parse_request(&head, &limits), Ok(Parsed::Partial));
        head.push(b'Z');
        let err = parse_request(&head, &limits).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TooManyHeaders);
    }

    #[test]
    fn head_exactly_at_the_limit_is_accepted() {
        let mut head = b"GET / HTTP/1.1\r\nHost: h\r\nX: ".to_vec();
        let limits = Limits {
            max_head: 200,
            ..Limits::default()
        };
        head.resize(limits.max_head - 4, b'v');
        head.extend_from_slice(b"\r\n\r\n");
        let parsed = parse_request(&head, &limits);
        assert!(matches!(parsed, Ok(Parsed::Complete(_))), "{parsed:?}");
        head.insert(30, b'v');
        let err = parse_request(&head, &limits).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::HeadTooLarge);
    }

    #[test]
    fn bytes_after_the_head_are_not_read() {
        let buf = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n\x00garbage\r\n\r\n";
        assert_eq!(complete(buf).head_len(), 27);
    }

    #[test]
    fn incremental_parse_matches_one_shot_and_resets() {
        let buf = b"GET /x HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n";
        let mut parser = RequestParser::default();
        for end in 0..buf.len() {
            assert_eq!(parser.parse(&buf[..end]), Ok(Parsed::Partial), "at {end}");
        }
        let whole = parser.parse(buf);
        assert_eq!(whole, parse_request(buf, &Limits::default()));
        // Reset after Complete: the same bytes parse again from scratch.
        assert_eq!(parser.parse(buf), whole);
        // A shorter buffer than before breaks the contract; the parser starts over.
        assert_eq!(parser.parse(&buf[..5]), Ok(Parsed::Partial));
        assert_eq!(parser.parse(&buf[..2]), Ok(Parsed::Partial));
        assert_eq!(parser.parse(buf), whole);
    }

    #[test]
    fn defect_waits_for_its_line_end() {
        // A NUL in an unfinished line is judged when the line ends, so splitting can't matter.
        let mut parser = RequestParser::default();
        let buf = b"GET / HTTP/1.1\r\nX: a\x00b";
        assert_eq!(parser.parse(buf), Ok(Parsed::Partial));
        let mut more = buf.to_vec();
        more.extend_from_slice(b"\r\n");
        let err = parser.parse(&more).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidHeaderValue);
    }
}
