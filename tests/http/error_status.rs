//! Property 6 (issue #4): each error kind maps to its status (400/413/414/431/501/505), shown by
//! a table with one real input per kind; and mutated valid requests never yield a 2xx parse
//! result with changed meaning:
//!
//! - a mutation that breaks a rule (lowercase method, HTTP/2.0, space before a colon, a second
//!   Host, clashing framing, ...) is refused with exactly that rule's error;
//! - a single byte changed anywhere else in a valid head either makes it refused, or changes
//!   the meaning of that line only: no other header, and not the framing, moves.

use crate::generators::{config, valid_request, LineKind, LineSpan, ValidRequest};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use webpool::http::chunked::{ChunkedDecoder, MAX_TRAILER_BYTES};
use webpool::http::path::resolve;
use webpool::http::request::{parse_request, BodyKind, Limits, Parsed, Request, Version};
use webpool::http::{ParseError, ParseErrorKind};

/// Where an example input goes.
enum Input {
    Request(Vec<u8>),
    ChunkedBody(Vec<u8>),
    Path(&'static str),
}

impl Input {
    fn run(&self) -> Result<(), ParseError> {
        match self {
            Input::Request(bytes) => match parse_request(bytes, &Limits::default())? {
                Parsed::Complete(_) => Ok(()),
                Parsed::Partial => panic!("example is incomplete"),
            },
            Input::ChunkedBody(bytes) => {
                let mut decoder = ChunkedDecoder::new(Limits::default().max_body);
                decoder.decode(bytes, &mut Vec::new()).map(|_| ())
            }
            Input::Path(raw) => resolve(raw).map(|_| ()),
        }
    }
}

fn request(head: &str) -> Input {
    Input::Request(head.as_bytes().to_vec())
}

/// A GET with these header lines (each ending in CRLF), and a Host unless one is given.
fn with_headers(lines: &str) -> Input {
    let host = if lines.to_ascii_lowercase().contains("host") {
        ""
    } else {
        "Host: example.com\r\n"
    };
    request(&format!("GET / HTTP/1.1\r\n{host}{lines}\r\n"))
}

/// Declares the table once: `example` (an exhaustive match, so a new kind doesn't compile
/// until it has a row) and `ALL_KINDS`, from the same rows.
macro_rules! error_table {
    ($($kind:ident => $status:literal, $input:expr;)*) => {
        fn example(kind: ParseErrorKind) -> (u16, Input) {
            match kind {
                $(ParseErrorKind::$kind => ($status, $input),)*
            }
        }
        const ALL_KINDS: &[ParseErrorKind] = &[$(ParseErrorKind::$kind),*];
    };
}

error_table! {
    MalformedRequestLine => 400, request("GET\r\n\r\n");
    InvalidMethod => 400, request("G(T / HTTP/1.1\r\nHost: a\r\n\r\n");
    InvalidTarget => 400, request("GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n");
    WhitespaceInTarget => 400, request("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n");
    TargetFormMismatch => 400, request("GET * HTTP/1.1\r\nHost: a\r\n\r\n");
    MissingVersion => 400, request("GET /index.html\r\n\r\n");
    InvalidVersion => 400, request("GET / HTTP/1.x\r\nHost: a\r\n\r\n");
    BareCr => 400, with_headers("X: a\rb\r\n");
    InvalidHeaderName => 400, with_headers("Bad[Name]: x\r\n");
    WhitespaceBeforeColon => 400, with_headers("Transfer-Encoding : chunked\r\n");
    MissingColon => 400, with_headers("NoColon\r\n");
    InvalidHeaderValue => 400, with_headers("X: a\0b\r\n");
    ObsFold => 400, with_headers("X: a\r\n b\r\n");
    MissingHost => 400, request("GET / HTTP/1.1\r\n\r\n");
    DuplicateHost => 400, with_headers("Host: a\r\nHost: b\r\n");
    InvalidHost => 400, with_headers("Host: a/b\r\n");
    InvalidContentLength => 400, with_headers("Content-Length: -1\r\n");
    ConflictingContentLength => 400, with_headers("Content-Length: 1\r\nContent-Length: 2\r\n");
    ContentLengthWithTransferEncoding => 400,
        with_headers("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n");
    InvalidTransferEncoding => 400, with_headers("Transfer-Encoding: chunked, gzip\r\n");
    InvalidChunkSize => 400, Input::ChunkedBody(b"zz\r\n".to_vec());
    InvalidChunkData => 400, Input::ChunkedBody(b"1\r\nab\r\n".to_vec());
    InvalidTrailer => 400, Input::ChunkedBody(b"0\r\n: no name\r\n\r\n".to_vec());
    InvalidPercentEncoding => 400, Input::Path("/%zz");
    NulInPath => 400, Input::Path("/index.html%00.png");
    EncodedSlash => 400, Input::Path("/a%2fb");
    BackslashInPath => 400, Input::Path("/a\\b");
    PathAboveRoot => 400, Input::Path("/a/../..");
    InvalidPath => 400, Input::Path("relative/path");
    BodyTooLarge => 413, with_headers("Content-Length: 1048577\r\n");
    RequestLineTooLong => 414, request(&format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(9000)));
    HeadTooLarge => 431, with_headers(&format!("X: {}\r\n", "a".repeat(70_000)));
    TooManyHeaders => 431, with_headers(&"X: y\r\n".repeat(101));
    TrailersTooLarge => 431,
        Input::ChunkedBody(format!("0\r\nX: {}\r\n\r\n", "a".repeat(MAX_TRAILER_BYTES)).into_bytes());
    UnknownMethod => 501, request("get / HTTP/1.1\r\nHost: a\r\n\r\n");
    ConnectNotSupported => 501, request("CONNECT example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n");
    UnsupportedTransferCoding => 501, with_headers("Transfer-Encoding: gzip, chunked\r\n");
    UnsupportedVersion => 505, request("GET / HTTP/2.0\r\nHost: a\r\n\r\n");
}

/// Property 6, table-driven: one real input per error kind gives that kind and its status.
#[test]
fn prop6_each_error_kind_maps_to_its_status() {
    for &kind in ALL_KINDS {
        let (status, input) = example(kind);
        let err = input.run().expect_err("the example must be refused");
        assert_eq!(err.kind(), kind);
        assert_eq!(err.status(), status, "{kind:?}");
        assert_eq!(kind.status(), status, "{kind:?}");
        assert!(!err.reason().is_empty() && err.reason().len() < 60);
        assert!(err.to_string().starts_with(&status.to_string()));
    }
    let statuses: std::collections::BTreeSet<u16> =
        ALL_KINDS.iter().map(|kind| kind.status()).collect();
    assert_eq!(
        statuses.into_iter().collect::<Vec<_>>(),
        [400, 413, 414, 431, 501, 505]
    );
}

/// A way to break one rule in a valid request, and the error that rule's breach must give.
#[derive(Clone, Copy, Debug)]
enum Breakage {
    LowercaseMethod,
    MajorVersion(u8),
    MalformedVersion(&'static str),
    DropVersion,
    SpaceInTarget,
    NonAsciiTarget,
    SpaceBeforeColon,
    BadByteInName(u8),
    FoldLine,
    BareCrInValue,
    CtlInValue(u8),
    SecondHost,
    RemoveHost,
    ClashingLength,
    MalformedLength(&'static str),
    LengthOverLimit,
    CodingAfterChunked,
    TransferEncodingInHttp10,
    LongTarget,
    TooManyHeaders,
    HugeHeader,
    TwoLeadingEmptyLines,
}

fn breakage() -> impl Strategy<Value = Breakage> {
    use Breakage::*;
    select(vec![
        LowercaseMethod,
        MajorVersion(2),
        MajorVersion(3),
        MajorVersion(0),
        MalformedVersion("HTTP/1"),
        MalformedVersion("http/1.1"),
        MalformedVersion("HTTP/1.1.1"),
        MalformedVersion("HTTP/x.1"),
        MalformedVersion("HTTP/11"),
        DropVersion,
        SpaceInTarget,
        NonAsciiTarget,
        SpaceBeforeColon,
        BadByteInName(b'('),
        BadByteInName(b'@'),
        BadByteInName(b'"'),
        BadByteInName(0x80),
        FoldLine,
        BareCrInValue,
        CtlInValue(0),
        CtlInValue(0x7f),
        CtlInValue(0x0b),
        SecondHost,
        RemoveHost,
        ClashingLength,
        MalformedLength("+5"),
        MalformedLength("5a"),
        MalformedLength("-1"),
        MalformedLength("0x10"),
        MalformedLength("1 2"),
        MalformedLength(""),
        LengthOverLimit,
        CodingAfterChunked,
        TransferEncodingInHttp10,
        LongTarget,
        TooManyHeaders,
        HugeHeader,
        TwoLeadingEmptyLines,
    ])
}

fn request_line(r: &ValidRequest) -> &LineSpan {
    r.lines
        .iter()
        .find(|l| l.kind == LineKind::RequestLine)
        .unwrap()
}

fn header_lines(r: &ValidRequest) -> Vec<&LineSpan> {
    r.lines
        .iter()
        .filter(|l| matches!(l.kind, LineKind::Header(..)))
        .collect()
}

fn header_line_named<'r>(r: &'r ValidRequest, name: &str) -> Option<&'r LineSpan> {
    r.lines
        .iter()
        .find(|l| matches!(&l.kind, LineKind::Header(_, n) if n.eq_ignore_ascii_case(name)))
}

/// Offset of the header-line block's end: where an extra header line can go.
fn fields_end(r: &ValidRequest) -> usize {
    r.lines
        .iter()
        .find(|l| l.kind == LineKind::End)
        .unwrap()
        .start
}

fn insert(bytes: &mut Vec<u8>, at: usize, inserted: &[u8]) {
    bytes.splice(at..at, inserted.iter().copied());
}

impl Breakage {
    /// Breaks `r` (at positions chosen by `at`) and names the error; `None` where this breakage
    /// doesn't apply to this request (e.g. removing a Host from HTTP/1.0).
    fn apply(self, r: &ValidRequest, at: Index) -> Option<(Vec<u8>, ParseErrorKind)> {
        use Breakage::*;
        let mut bytes = r.head().to_vec();
        let line = request_line(r);
        let method_end = line.start + r.method.as_str().len();
        let target_start = method_end + 1;
        let target_end = target_start + r.target.raw.len();
        let version_start = target_end + 1;
        let headers = header_lines(r);
        let framing_is =
            |kind: BodyKind| std::mem::discriminant(&r.body) == std::mem::discriminant(&kind);
        let kind = match self {
            LowercaseMethod => {
                bytes[line.start..method_end].make_ascii_lowercase();
                ParseErrorKind::UnknownMethod
            }
            MajorVersion(major) => {
                bytes[version_start + 5] = b'0' + major;
                ParseErrorKind::UnsupportedVersion
            }
            MalformedVersion(version) => {
                bytes.splice(version_start..line.content_end, version.bytes());
                ParseErrorKind::InvalidVersion
            }
            DropVersion => {
                bytes.drain(target_end..line.content_end);
                ParseErrorKind::MissingVersion
            }
            SpaceInTarget => {
                insert(
                    &mut bytes,
                    target_start + at.index(r.target.raw.len() + 1),
                    b" ",
                );
                ParseErrorKind::WhitespaceInTarget
            }
            NonAsciiTarget => {
                insert(
                    &mut bytes,
                    target_start + at.index(r.target.raw.len() + 1),
                    "é".as_bytes(),
                );
                ParseErrorKind::InvalidTarget
            }
            SpaceBeforeColon => {
                let header = headers.get(at.index(headers.len().max(1)))?;
                let colon = header.start + bytes[header.start..].iter().position(|&b| b == b':')?;
                insert(&mut bytes, colon, b" ");
                ParseErrorKind::WhitespaceBeforeColon
            }
            BadByteInName(byte) => {
                let header = headers.get(at.index(headers.len().max(1)))?;
                let LineKind::Header(_, name) = &header.kind else {
                    return None;
                };
                insert(&mut bytes, header.start + at.index(name.len() + 1), &[byte]);
                ParseErrorKind::InvalidHeaderName
            }
            FoldLine => {
                let header = headers.get(at.index(headers.len().max(1)))?;
                insert(&mut bytes, header.end, b" folded\r\n");
                ParseErrorKind::ObsFold
            }
            BareCrInValue | CtlInValue(_) => {
                let header = headers.get(at.index(headers.len().max(1)))?;
                let colon = header.start + bytes[header.start..].iter().position(|&b| b == b':')?;
                let pos = colon + 1 + at.index(header.content_end - colon);
                let (inserted, kind): (&[u8], _) = match self {
                    CtlInValue(ctl) => (&[ctl][..], ParseErrorKind::InvalidHeaderValue),
                    _ => (b"\rx", ParseErrorKind::BareCr),
                };
                insert(&mut bytes, pos, inserted);
                kind
            }
            SecondHost => {
                let position = headers
                    .get(at.index(headers.len().max(1)))
                    .map_or(fields_end(r), |h| h.start);
                insert(&mut bytes, position, b"Host: second.example\r\n");
                if r.headers
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("host"))
                {
                    ParseErrorKind::DuplicateHost
                } else {
                    // An HTTP/1.0 request without Host: now it has one, which is fine.
                    return None;
                }
            }
            RemoveHost => {
                let host = header_line_named(r, "host")?;
                if r.version != Version::Http11 {
                    return None;
                }
                bytes.drain(host.start..host.end);
                ParseErrorKind::MissingHost
            }
            ClashingLength => {
                let (lines, kind) = match r.body {
                    BodyKind::Length(n) => (
                        format!("Content-Length: {}\r\n", n + 1),
                        ParseErrorKind::ConflictingContentLength,
                    ),
                    BodyKind::Chunked => (
                        "Content-Length: 0\r\n".to_owned(),
                        ParseErrorKind::ContentLengthWithTransferEncoding,
                    ),
                    BodyKind::None => (
                        "Content-Length: 1\r\nContent-Length: 2\r\n".to_owned(),
                        ParseErrorKind::ConflictingContentLength,
                    ),
                };
                insert(&mut bytes, fields_end(r), lines.as_bytes());
                kind
            }
            MalformedLength(value) => {
                if framing_is(BodyKind::Chunked) {
                    return None;
                }
                insert(
                    &mut bytes,
                    fields_end(r),
                    format!("Content-Length: {value}\r\n").as_bytes(),
                );
                ParseErrorKind::InvalidContentLength
            }
            LengthOverLimit => {
                if !framing_is(BodyKind::None) {
                    return None;
                }
                insert(&mut bytes, fields_end(r), b"Content-Length: 1048577\r\n");
                ParseErrorKind::BodyTooLarge
            }
            CodingAfterChunked => {
                if framing_is(BodyKind::Length(0)) || r.version == Version::Http10 {
                    return None;
                }
                insert(&mut bytes, fields_end(r), b"Transfer-Encoding: gzip\r\n");
                ParseErrorKind::InvalidTransferEncoding
            }
            TransferEncodingInHttp10 => {
                if r.version != Version::Http10 || !framing_is(BodyKind::None) {
                    return None;
                }
                insert(&mut bytes, fields_end(r), b"Transfer-Encoding: chunked\r\n");
                ParseErrorKind::InvalidTransferEncoding
            }
            LongTarget => {
                insert(&mut bytes, target_end, "a".repeat(9000).as_bytes());
                ParseErrorKind::RequestLineTooLong
            }
            TooManyHeaders => {
                let missing = 101 - headers.len().min(100);
                insert(
                    &mut bytes,
                    fields_end(r),
                    "X-Filler: 1\r\n".repeat(missing).as_bytes(),
                );
                ParseErrorKind::TooManyHeaders
            }
            HugeHeader => {
                insert(
                    &mut bytes,
                    fields_end(r),
                    format!("X-Huge: {}\r\n", "h".repeat(70_000)).as_bytes(),
                );
                ParseErrorKind::HeadTooLarge
            }
            TwoLeadingEmptyLines => {
                insert(&mut bytes, 0, b"\r\n\r\n");
                ParseErrorKind::MalformedRequestLine
            }
        };
        Some((bytes, kind))
    }
}

proptest! {
    #![proptest_config(config(1000))]

    /// Property 6: breaking one rule of a valid request gives exactly that rule's error.
    #[test]
    fn prop6_mutations_that_break_a_rule_are_refused_with_its_status(
        request in valid_request(),
        breakage in breakage(),
        at in any::<Index>(),
    ) {
        let Some((bytes, expected)) = breakage.apply(&request, at) else {
            return Ok(());
        };
        let answer = parse_request(&bytes, &Limits::default());
        let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
        prop_assert_eq!(answer.map_err(|e| (e.kind(), e.status())), Err((expected, expected.status())), "{:?} on {}", breakage, shown);
    }

    /// Property 6: one byte replaced inside a line of a valid head (line breaks excepted) is
    /// either refused, or changes only that line's meaning. In particular, the framing and
    /// the Host can only change if their own line was hit: no mutation elsewhere can make the
    /// parser read a different body length.
    #[test]
    fn prop6_single_byte_change_is_refused_or_stays_in_its_line(
        request in valid_request(),
        at in any::<Index>(),
        byte in any::<u8>(),
    ) {
        let positions: Vec<usize> = request
            .lines
            .iter()
            .filter(|l| l.kind == LineKind::RequestLine || matches!(l.kind, LineKind::Header(..)))
            .flat_map(|l| l.start..l.content_end)
            .filter(|&p| request.bytes[p] != byte)
            .collect();
        prop_assume!(!positions.is_empty() && byte != b'\n');
        let pos = positions[at.index(positions.len())];
        let mut bytes = request.bytes.clone();
        bytes[pos] = byte;

        let limits = Limits::default();
        let Ok(Parsed::Complete(original)) = parse_request(&request.bytes, &limits) else {
            return Err(TestCaseError::fail("the generated request must parse"));
        };
        match parse_request(&bytes, &limits) {
            Err(err) => prop_assert!(err.status() >= 400),
            Ok(Parsed::Partial) => {
                // Only a CR before the final line's LF could do this, and CR makes a bare CR.
                return Err(TestCaseError::fail("a complete head became incomplete"));
            }
            Ok(Parsed::Complete(mutated)) => {
                let line = request.line_at(pos).unwrap();
                check_locality(&original, &mutated, &line.kind);
            }
        }
    }
}

/// What an accepted single-byte change may alter: only what the line at `hit` says.
fn check_locality(original: &Request<'_>, mutated: &Request<'_>, hit: &LineKind) {
    assert_eq!(mutated.head_len(), original.head_len());
    assert_eq!(mutated.header_count(), original.header_count());
    let is_header =
        |name: &str| matches!(hit, LineKind::Header(_, n) if n.eq_ignore_ascii_case(name));
    for (index, (before, after)) in original.headers().zip(mutated.headers()).enumerate() {
        if !matches!(hit, LineKind::Header(i, _) if *i == index) {
            assert_eq!(
                before, after,
                "header {index} changed though line {hit:?} was hit"
            );
        }
    }
    if *hit != LineKind::RequestLine {
        assert_eq!(mutated.method(), original.method());
        assert_eq!(mutated.target(), original.target());
        assert_eq!(mutated.version(), original.version());
    }
    if !is_header("content-length") && !is_header("transfer-encoding") {
        assert_eq!(
            mutated.body(),
            original.body(),
            "framing changed, hit {hit:?}"
        );
    }
    if !is_header("host") && *hit != LineKind::RequestLine {
        assert_eq!(mutated.host(), original.host());
    }
    if !is_header("connection") && *hit != LineKind::RequestLine {
        assert_eq!(mutated.keep_alive(), original.keep_alive());
    }
}
