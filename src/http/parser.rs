//! The request-head parser (RFC 9112 §2–§7): incremental, and it never panics or allocates.
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
//!
//! The grammar lives beside this file, one concern each: the request line in `request_line.rs`,
//! the request-target and authority in `target.rs`, header lines in `fields.rs`, body framing in
//! `framing.rs`. This file holds what makes the parser resumable: the state kept between calls
//! and the limits.
//!
//! The hot path is whole, well-formed lines: `RequestLine::scan_valid` and
//! `scan_valid_field_line` read one in a single pass and `FieldFacts::record` looks only at the
//! name's length and first letter; anything else falls to the exact reads (`RequestLine::parse`,
//! `scan_field_line`), which name the defect. The hot functions are `#[inline]` or
//! `#[inline(always)]`: each is called from one place here, and without the hint the split into
//! files left them out of line (callgrind: 14% more instructions per head).
//! `scripts/callgrind-parse.sh` counts the instructions per head against httparse.

use std::ops::Range;

use super::error::{ParseError, ParseErrorKind};
use super::fields::{scan_valid_field_line, FieldFacts, LineScan};
use super::request::{Request, Version};
use super::request_line::RequestLine;
use super::target::is_valid_authority;

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

    fn advance<'b>(&mut self, buf: &'b [u8]) -> Result<Parsed<'b>, ParseErrorKind> {
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
    fn read_request_line(&mut self, buf: &[u8]) -> Result<bool, ParseErrorKind> {
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
                    ParseErrorKind::RequestLineTooLong
                } else {
                    ParseErrorKind::HeadTooLarge
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
    fn read_fields(&mut self, buf: &[u8]) -> Result<Option<usize>, ParseErrorKind> {
        let limits = self.limits;
        let p = &mut self.state;
        let window = buf.len().min(limits.max_head);
        if p.scanned <= p.line_start {
            // The hot path: whole, well-formed lines, with the loop's state in locals, then the
            // CRLF that ends the head. Any other line (partial, defective, with an HTAB, one too
            // many) is left to the exact loop below, which reads it again from its start: at
            // most one line per call is looked at twice, so the cost stays O(n).
            let lines = buf.get(..window).unwrap_or_default();
            let (mut start, mut count) = (p.line_start, p.field_count);
            let end_of_head = loop {
                let field = match scan_valid_field_line(lines, start) {
                    Some(field) if count < limits.max_headers => field,
                    _ => break lines.get(start..start + 2) == Some(b"\r\n"),
                };
                scan_cost::count(field.next - start);
                p.facts.record(buf, field.name, field.value);
                count += 1;
                start = field.next;
            };
            p.line_start = start;
            p.scanned = start;
            p.field_count = count;
            if end_of_head {
                scan_cost::count(2);
                return Ok(Some(start + 2));
            }
            // Counted as if the failed scan had looked at every byte up to the window's end.
            scan_cost::count(window.saturating_sub(start));
        }
        loop {
            let start = p.line_start;
            if let Some(&first) = buf.get(start).filter(|_| start < window) {
                // The first byte of a header line proves one more header line.
                let starts_field = !matches!(first, b'\r' | b'\n' | b' ' | b'\t');
                if starts_field && p.field_count >= limits.max_headers {
                    return Err(ParseErrorKind::TooManyHeaders);
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
                    p.facts
                        .record(buf, buf.get(name).unwrap_or_default(), value);
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
    fn finish<'b>(&self, buf: &'b [u8], head_len: usize) -> Result<Request<'b>, ParseErrorKind> {
        let p = &self.state;
        let Some(line) = p.request_line.as_ref() else {
            return Err(ParseErrorKind::MalformedRequestLine);
        };
        let head = buf.get(..head_len).unwrap_or_default();
        let bytes = |range: &Range<usize>| head.get(range.clone()).unwrap_or_default();
        let target = bytes(&line.target);
        let target_part = |range: &Range<usize>| target.get(range.clone()).unwrap_or_default();
        let facts = &p.facts;
        let body = facts
            .framing
            .body_kind(head, line.version, self.limits.max_body)?;

        let host = match (&line.parts.authority, facts.host_count, &facts.host_value) {
            (_, 2.., _) => return Err(ParseErrorKind::DuplicateHost),
            // RFC 9112 §3.2, RFC 9110 §4.2.1: an empty Host is allowed only when the target
            // names the host itself (absolute-form); otherwise the target URI would have none.
            (authority, 1, Some(value))
                if !is_valid_authority(bytes(value), authority.is_some()) =>
            {
                return Err(ParseErrorKind::InvalidHost)
            }
            (_, 0, _) if line.version == Version::Http11 => {
                return Err(ParseErrorKind::MissingHost)
            }
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
            form: line.parts.form,
            path: match &line.parts.path {
                Some(path) => target_part(path),
                None => b"/",
            },
            query: line.parts.query.as_ref().map(target_part),
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
fn incomplete_head(buf: &[u8], limits: Limits) -> Result<Option<usize>, ParseErrorKind> {
    if buf.len() >= limits.max_head {
        Err(ParseErrorKind::HeadTooLarge)
    } else {
        Ok(None)
    }
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

/// The parser's scans, each counted (in tests) by the bytes it looks at: the proof that a head
/// arriving in pieces costs O(n) in total lives in the server's tests, which count the work of
/// the very parser the connection code keeps between reads.
mod scan_cost {
    use super::super::fields::{scan_field_line, LineScan};
    use super::super::syntax;

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

    /// [`syntax::find_lf`], counted up to the LF found (or `end`).
    #[inline(always)]
    pub(super) fn find_lf(buf: &[u8], from: usize, end: usize) -> Option<usize> {
        let lf = syntax::find_lf(buf, from, end);
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

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::http::test_support::{complete, parse};

    #[test]
    fn line_endings() {
        complete(b"GET / HTTP/1.1\nHost: h\n\n");
        complete(b"\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(complete(b"\nGET / HTTP/1.1\nHost: h\n\n").head_len(), 25);
        assert_eq!(
            parse(b"\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"),
            Err(ParseErrorKind::MalformedRequestLine)
        );
        assert_eq!(
            parse(b"GET / HTTP/1.1\rHost: h\r\n\r\n"),
            Err(ParseErrorKind::BareCr)
        );
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\nHost: h\rX\r\n\r\n"),
            Err(ParseErrorKind::BareCr)
        );
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\nHost: h\r\n\rX\r\n"),
            Err(ParseErrorKind::BareCr)
        );
    }

    #[test]
    fn host_rules() {
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\n\r\n"),
            Err(ParseErrorKind::MissingHost)
        );
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"),
            Err(ParseErrorKind::DuplicateHost)
        );
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
            Err(ParseErrorKind::InvalidHost)
        );
        assert_eq!(parse(b"GET / HTTP/1.0\r\n\r\n").map(|_| ()), Ok(()));
        assert_eq!(complete(b"GET / HTTP/1.0\r\n\r\n").host(), None);
        assert_eq!(
            complete(b"GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n").host(),
            Some("[::1]:80")
        );
    }

    #[test]
    fn limits_are_reported_before_the_head_ends() {
        let limits = Limits::default();
        let long_line = vec![b'a'; limits.max_request_line];
        let err = parse_request(&long_line, &limits).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::RequestLineTooLong);
        // One byte less may still be a request line whose LF is about to arrive.
        let parsed = parse_request(&long_line[1..], &limits);
        assert_eq!(parsed, Ok(Parsed::Partial));

        let mut head = b"GET / HTTP/1.1\r\nX: ".to_vec();
        head.resize(limits.max_head - 1, b'v');
        assert_eq!(parse_request(&head, &limits), Ok(Parsed::Partial));
        head.push(b'v');
        let err = parse_request(&head, &limits).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::HeadTooLarge);

        let mut head = b"GET / HTTP/1.1\r\n".to_vec();
        for _ in 0..limits.max_headers {
            head.extend_from_slice(b"X: y\r\n");
        }
        assert_eq!(parse_request(&head, &limits), Ok(Parsed::Partial));
        head.push(b'Z');
        let err = parse_request(&head, &limits).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::TooManyHeaders);
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
        assert_eq!(err.kind(), ParseErrorKind::HeadTooLarge);
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
        assert_eq!(err.kind(), ParseErrorKind::InvalidHeaderValue);
    }
}
