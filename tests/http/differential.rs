//! Property 4 (issue #4): on generated request heads, valid and mutated, webpool's parser
//! agrees with `httparse` on accept/reject and on method, target, version and headers.
//!
//! httparse is a syntax-only parser: it checks the grammar of the request line and of header
//! lines, and interprets nothing. webpool also applies the semantic rules of RFC 9110/9112, so
//! it deliberately refuses some heads that httparse accepts, and accepts one kind that httparse
//! refuses. Every disagreement must be one of these, checked against httparse's own parse
//! (never against webpool's), or the test fails:
//!
//! | #  | webpool                                   | httparse  | RFC reason |
//! |----|-------------------------------------------|-----------|------------|
//! | D1 | 400 without exactly one valid Host in HTTP/1.1, or with two Hosts, or an invalid Host, in any version | accepts | RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request message that lacks a Host header field and to any request message that contains more than one Host header field line or a Host header field with an invalid field value." |
//! | D2 | 400/501/413 for bad framing: Content-Length not a list of one number, both Content-Length and Transfer-Encoding, chunked not last or twice, Transfer-Encoding in HTTP/1.0, unknown codings (501), a length over the body limit (413) | accepts | RFC 9112 §6.1 (CL+TE "ought to be handled as an error"; unknown coding → 501; HTTP/1.0 + TE is faulty framing), §6.3 (invalid Content-Length and chunked-not-final are unrecoverable errors → 400), RFC 9110 §15.5.14 (413) |
//! | D3 | 501 for a method token it does not implement, including CONNECT | accepts any token | RFC 9110 §9.1: "An origin server that receives a request method that is unrecognized or not implemented SHOULD respond with the 501 (Not Implemented) status code." |
//! | D4 | 400 for a target in none of the four forms, `*` without OPTIONS, authority-form without CONNECT, non-http(s) absolute URIs, absolute URIs without host or with userinfo, and non-ASCII bytes | accepts any visible bytes and UTF-8 | RFC 9112 §3.2 (request-target forms), RFC 9110 §4.2.1 and §4.2.4 (http URIs need a host; userinfo is an error), RFC 3986 §2 (URIs are ASCII) |
//! | D5 | accepts HTTP/1.2–HTTP/1.9 as HTTP/1.1 | rejects | RFC 9110 §6.2: a recipient may send a message with a higher minor version to a server that implements a lower one, which answers with the highest minor version it supports. The rest of the parse is then compared with httparse's parse of the same head written as HTTP/1.1. |
//! | D6 | ignores exactly one empty line before the request line, refuses a second one | skips any number | RFC 9112 §2.2: a server "SHOULD ignore at least one empty line (CRLF) received prior to the request-line"; more is not required, and endless empty lines are a cheap way to hold a connection. |
//! | D7 | 414/431 past its limits (request line 8 KiB, head 64 KiB, 100 header lines) | no limits (header count bounded by the caller's array, here 256) | RFC 9112 §3 ("SHOULD respond with a 414"), RFC 6585 §5 (431); the limits are configuration, not grammar. |
//!
//! Everything else must agree exactly: accepted heads have the same length, method, target,
//! version and header lines (names and trimmed values, in order); and whatever httparse refuses
//! (bare CR, obs-fold, whitespace before a colon, invalid bytes, bad versions, ...), webpool
//! refuses too. Inputs end with an empty line, so both parsers see complete lines.

use crate::generators::{config, edit, interesting_byte, valid_request};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use webpool::http::request::{parse_request, Limits, Method, Parsed, Request, Version};
use webpool::http::{ParseError, ParseErrorKind};

const HTTPARSE_MAX_HEADERS: usize = 256;

/// What httparse made of a head.
#[derive(Debug)]
enum Theirs {
    Complete {
        len: usize,
        method: String,
        target: String,
        minor: u8,
        headers: Vec<(String, Vec<u8>)>,
    },
    Partial,
    Error(httparse::Error),
}

fn httparse_parse(buf: &[u8]) -> Theirs {
    let mut headers = vec![httparse::EMPTY_HEADER; HTTPARSE_MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) => Theirs::Complete {
            len,
            method: request.method.unwrap_or_default().to_owned(),
            target: request.path.unwrap_or_default().to_owned(),
            minor: request.version.unwrap_or_default(),
            headers: request
                .headers
                .iter()
                .map(|h| (h.name.to_owned(), h.value.to_vec()))
                .collect(),
        },
        Ok(httparse::Status::Partial) => Theirs::Partial,
        Err(err) => Theirs::Error(err),
    }
}

/// Asserts that an accepted head reads the same to both parsers.
fn assert_same_head(ours: &Request<'_>, theirs: &Theirs) {
    let Theirs::Complete {
        len,
        method,
        target,
        minor,
        headers,
    } = theirs
    else {
        panic!("httparse did not accept: {theirs:?}");
    };
    assert_eq!(ours.head_len(), *len);
    assert_eq!(ours.method().as_str(), method);
    assert_eq!(ours.target(), target);
    let our_minor = match ours.version() {
        Version::Http10 => 0,
        Version::Http11 => 1,
    };
    assert_eq!(our_minor, *minor);
    let our_headers: Vec<(String, Vec<u8>)> = ours
        .headers()
        .map(|(n, v)| (n.to_owned(), v.to_vec()))
        .collect();
    assert_eq!(&our_headers, headers);
}

/// Values of the headers named `name` in httparse's parse.
fn values<'a>(headers: &'a [(String, Vec<u8>)], name: &str) -> Vec<&'a [u8]> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
        .collect()
}

/// Comma-separated list elements, trimmed, empty ones dropped (RFC 9110 §5.6.1).
fn elements(value: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(value)
        .split(',')
        .map(|e| e.trim_matches(|c| c == ' ' || c == '\t').to_owned())
        .filter(|e| !e.is_empty())
        .collect()
}

/// An independent reading of RFC 3986's `host [":" port]`, written differently from the
/// parser's on purpose: IP literals are checked with `std::net`, names character by character.
fn is_valid_host_header(value: &[u8], allow_empty: bool) -> bool {
    let Ok(value) = std::str::from_utf8(value) else {
        return false;
    };
    let (host, port) = if let Some(literal) = value.strip_prefix('[') {
        let Some((inside, after)) = literal.split_once(']') else {
            return false;
        };
        let ok_literal = inside.parse::<std::net::Ipv6Addr>().is_ok()
            || (inside.starts_with(['v', 'V']) && !inside.is_empty());
        if !ok_literal {
            // IPvFuture and unusual spellings: only the alphabet is checked by webpool too.
            let alphabet = |c: char| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:".contains(c);
            if inside.is_empty() || !inside.chars().all(alphabet) {
                return false;
            }
        }
        match after {
            "" => return true,
            _ => match after.strip_prefix(':') {
                Some(port) => ("[literal]", port),
                None => return false,
            },
        }
    } else {
        match value.split_once(':') {
            Some((host, port)) => (host, port),
            None => (value, ""),
        }
    };
    let name_ok = host == "[literal]"
        || (host.is_empty() && allow_empty)
        || (!host.is_empty()
            && pct_ok(host)
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=%".contains(c)));
    name_ok && port.chars().all(|c| c.is_ascii_digit())
}

/// Every `%` starts a two-hex-digit escape.
fn pct_ok(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    })
}

/// Is webpool's refusal of a head that httparse accepted one of the deliberate differences?
/// Judged from httparse's parse and the raw bytes only.
fn explains_refusal(err: &ParseError, theirs: &Theirs, buf: &[u8], limits: &Limits) -> bool {
    let Theirs::Complete {
        len,
        method,
        target,
        minor,
        headers,
    } = theirs
    else {
        return false;
    };
    let hosts = values(headers, "host");
    let lengths = values(headers, "content-length");
    let codings: Vec<String> = values(headers, "transfer-encoding")
        .into_iter()
        .flat_map(elements)
        .collect();
    let has_te = !values(headers, "transfer-encoding").is_empty();
    let is_absolute = |t: &str| {
        let lower = t.to_ascii_lowercase();
        lower.starts_with("http://") || lower.starts_with("https://")
    };
    match err.kind() {
        // D1
        ParseErrorKind::MissingHost => *minor == 1 && hosts.is_empty(),
        ParseErrorKind::DuplicateHost => hosts.len() > 1,
        // An empty Host only with an absolute-form target, which names the host itself.
        ParseErrorKind::InvalidHost => {
            hosts.len() == 1 && !is_valid_host_header(hosts[0], is_absolute(target))
        }
        // D2
        ParseErrorKind::ContentLengthWithTransferEncoding => !lengths.is_empty() && has_te,
        ParseErrorKind::InvalidContentLength => lengths.iter().any(|v| {
            let list = elements(v);
            list.is_empty() || !list.iter().all(|e| e.bytes().all(|b| b.is_ascii_digit()))
        }),
        ParseErrorKind::ConflictingContentLength => {
            let numbers: Vec<String> = lengths
                .iter()
                .flat_map(|v| elements(v))
                .map(|e| e.trim_start_matches('0').to_owned())
                .collect();
            numbers.windows(2).any(|w| w[0] != w[1])
        }
        ParseErrorKind::InvalidTransferEncoding => {
            has_te
                && (*minor == 0
                    || codings
                        .iter()
                        .filter(|c| c.eq_ignore_ascii_case("chunked"))
                        .count()
                        != 1
                    || !codings
                        .last()
                        .is_some_and(|c| c.eq_ignore_ascii_case("chunked")))
        }
        ParseErrorKind::UnsupportedTransferCoding => {
            codings.iter().any(|c| !c.eq_ignore_ascii_case("chunked"))
        }
        ParseErrorKind::BodyTooLarge => lengths.iter().flat_map(|v| elements(v)).any(|e| {
            e.trim_start_matches('0').len() > 7 || e.parse::<u64>().unwrap_or(0) > limits.max_body
        }),
        // D3
        ParseErrorKind::UnknownMethod => Method::from_token(method.as_bytes()).is_none(),
        ParseErrorKind::ConnectNotSupported => method == "CONNECT",
        // D4
        ParseErrorKind::InvalidTarget => {
            !target.is_ascii() || !(target.starts_with('/') || target == "*" || method == "CONNECT")
        }
        ParseErrorKind::TargetFormMismatch => {
            (target == "*" && method != "OPTIONS")
                || method == "CONNECT"
                || !(target.starts_with('/') || target == "*" || is_absolute(target))
        }
        // D6
        ParseErrorKind::MalformedRequestLine => starts_with_two_empty_lines(buf),
        // D7
        ParseErrorKind::TooManyHeaders => headers.len() > limits.max_headers,
        ParseErrorKind::HeadTooLarge => *len > limits.max_head,
        ParseErrorKind::RequestLineTooLong => {
            let line = buf
                .split(|&b| b == b'\n')
                .find(|l| !l.is_empty() && *l != b"\r");
            line.is_some_and(|l| l.len() + 1 > limits.max_request_line)
        }
        _ => false,
    }
}

fn starts_with_two_empty_lines(buf: &[u8]) -> bool {
    let rest = buf
        .strip_prefix(b"\r\n")
        .or_else(|| buf.strip_prefix(b"\n"));
    rest.is_some_and(|r| r.starts_with(b"\r\n") || r.starts_with(b"\n"))
}

/// D5: the request line's version, if it is `HTTP/1.<2-9>`; and the head rewritten as HTTP/1.1.
fn as_http11(buf: &[u8]) -> Option<Vec<u8>> {
    let start = buf.iter().position(|&b| b != b'\r' && b != b'\n')?;
    let end = start + buf[start..].iter().position(|&b| b == b'\n')?;
    let line = buf[start..end]
        .strip_suffix(b"\r")
        .unwrap_or(&buf[start..end]);
    let version_at = start + line.len().checked_sub(8)?;
    match &buf[version_at..version_at + 8] {
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', b'2'..=b'9'] => {
            let mut rewritten = buf.to_vec();
            rewritten[version_at + 7] = b'1';
            Some(rewritten)
        }
        _ => None,
    }
}

/// The comparison itself.
fn check_agreement(buf: &[u8]) {
    let limits = Limits::default();
    let ours = parse_request(buf, &limits);
    let theirs = httparse_parse(buf);
    let shown = String::from_utf8_lossy(buf);
    match (&ours, &theirs) {
        (Ok(Parsed::Complete(request)), Theirs::Complete { .. }) => {
            assert_same_head(request, &theirs)
        }
        (Ok(Parsed::Partial), Theirs::Partial) | (Err(_), Theirs::Error(_)) => {}
        (Err(err), Theirs::Complete { .. }) => assert!(
            explains_refusal(err, &theirs, buf, &limits),
            "webpool refused ({err}) what httparse accepted, for no listed reason: {shown:?}"
        ),
        (Ok(Parsed::Complete(request)), Theirs::Error(httparse::Error::Version)) => {
            // D5: compare with httparse's reading of the same head as HTTP/1.1.
            let rewritten = as_http11(buf)
                .unwrap_or_else(|| panic!("webpool accepted what httparse refused: {shown:?}"));
            assert_same_head(request, &httparse_parse(&rewritten));
        }
        (Err(err), Theirs::Partial) => assert!(
            err.kind() == ParseErrorKind::MalformedRequestLine && starts_with_two_empty_lines(buf),
            "webpool refused ({err}) where httparse wants more: {shown:?}"
        ),
        _ => panic!(
            "disagreement: webpool {}, httparse {theirs:?}: {shown:?}",
            describe(&ours)
        ),
    }
}

/// webpool's answer, shortly.
fn describe(ours: &Result<Parsed<'_>, ParseError>) -> String {
    match ours {
        Ok(Parsed::Complete(r)) => format!(
            "accepted {} {} {} with {} headers",
            r.method(),
            r.target(),
            r.version(),
            r.header_count()
        ),
        Ok(Parsed::Partial) => "wants more".into(),
        Err(err) => format!("refused: {err}"),
    }
}

/// Heads to compare on: valid ones, and valid ones with a few small edits, always followed by
/// an empty line so that both parsers see complete lines.
fn heads() -> impl Strategy<Value = Vec<u8>> {
    let valid = valid_request().prop_map(|r| r.head().to_vec());
    let edited = (valid_request(), vec(edit(), 1..4)).prop_map(|(r, edits)| {
        let mut head = r.head().to_vec();
        for e in &edits {
            let len = head.len();
            e.apply(&mut head, len);
        }
        head
    });
    // A line spliced in after the request line: arbitrary interesting bytes, or a header that
    // changes the meaning of the others (a second Host, clashing framing, ...).
    let meaningful = select(vec![
        &b"Host: other.example"[..],
        b"Host: a b",
        b"Host: [::1",
        b"Content-Length: 5",
        b"Content-Length: 6",
        b"Content-Length: 5, 05",
        b"Content-Length: abc",
        b"Content-Length: 99999999999",
        b"Transfer-Encoding: chunked",
        b"Transfer-Encoding: gzip",
        b"Transfer-Encoding: chunked, gzip",
        b"Transfer-Encoding: gzip, chunked",
        b"Connection: close",
    ])
    .prop_map(<[u8]>::to_vec);
    let line = prop_oneof![vec(interesting_byte(), 0..12), meaningful];
    let odd_line = (valid_request(), line, any::<Index>()).prop_map(|(r, line, at)| {
        let line_starts: Vec<usize> = r.lines.iter().skip(1).map(|l| l.start).collect();
        let at = line_starts[at.index(line_starts.len())];
        let mut head = r.head().to_vec();
        let mut inserted = line;
        inserted.extend_from_slice(b"\r\n");
        head.splice(at..at, inserted);
        head
    });
    prop_oneof![2 => valid, 4 => edited, 3 => odd_line].prop_map(|mut head| {
        head.extend_from_slice(b"\r\n\r\n");
        head
    })
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn prop4_differential_against_httparse(head in heads()) {
        check_agreement(&head);
    }
}

/// Each deliberate difference, shown once, so that a change in either parser is noticed here.
#[test]
fn prop4_each_deliberate_difference_is_exercised() {
    let cases: [(&[u8], Option<ParseErrorKind>); 9] = [
        (b"GET / HTTP/1.1\r\n\r\n", Some(ParseErrorKind::MissingHost)), // D1
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            Some(ParseErrorKind::ContentLengthWithTransferEncoding),
        ), // D2
        (
            b"BREW / HTTP/1.1\r\nHost: a\r\n\r\n",
            Some(ParseErrorKind::UnknownMethod),
        ), // D3
        (
            b"GET * HTTP/1.1\r\nHost: a\r\n\r\n",
            Some(ParseErrorKind::TargetFormMismatch),
        ), // D4
        (
            b"GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n",
            Some(ParseErrorKind::InvalidTarget),
        ), // D4
        (b"GET / HTTP/1.7\r\nHost: a\r\n\r\n", None),                   // D5
        (
            b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
            Some(ParseErrorKind::MalformedRequestLine),
        ), // D6
        (b"GET / HTTP/1.1\r\nHost: a\r\nX: ", None),                    // both want more
        (
            b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            Some(ParseErrorKind::WhitespaceBeforeColon),
        ), // both refuse
    ];
    for (buf, expected) in cases {
        let ours = parse_request(buf, &Limits::default());
        assert_eq!(ours.as_ref().err().map(ParseError::kind), expected);
        check_agreement(buf);
    }
    // D7: 101 header lines.
    let mut buf = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
    for i in 0..100 {
        buf.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
    }
    buf.extend_from_slice(b"\r\n");
    let err = parse_request(&buf, &Limits::default()).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::TooManyHeaders);
    check_agreement(&buf);
}
