//! Properties 1–3 of the request parser (issue #4):
//!
//! 1. Arbitrary bytes never panic and always end in a complete request, "need more", or an
//!    error with a 4xx/5xx status.
//! 2. Generated valid requests parse back to exactly what was generated.
//! 3. Split invariance: feeding the same bytes in arbitrary chunks gives the same result as
//!    one buffer.

use crate::generators::{config, hostile_bytes, valid_request, ValidRequest};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use webpool::http::chunked::ChunkedDecoder;
use webpool::http::request::{
    parse_request, BodyKind, Limits, Parsed, Request, RequestParser, TargetForm,
};
use webpool::http::ParseError;

const STATUSES: [u16; 6] = [400, 413, 414, 431, 501, 505];

/// Checks what every answer must satisfy, whatever the input.
fn check_answer(buf: &[u8], limits: &Limits, answer: &Result<Parsed<'_>, ParseError>) {
    match answer {
        Ok(Parsed::Partial) => {}
        Ok(Parsed::Complete(request)) => {
            let head_len = request.head_len();
            assert!(head_len <= buf.len() && head_len <= limits.max_head);
            assert!(request.header_count() <= limits.max_headers);
            assert!(
                buf[..head_len].ends_with(b"\n\n") || buf[..head_len].ends_with(b"\n\r\n"),
                "a head ends with an empty line"
            );
            // The accessors never panic, and the header iterator agrees with its count.
            let _ = (
                request.target(),
                request.path(),
                request.query(),
                request.host(),
            );
            assert_eq!(request.headers().count(), request.header_count());
            // Bytes after the head are not part of the answer.
            let again = parse_request(&buf[..head_len], limits);
            assert_eq!(again.as_ref(), answer.as_ref());
        }
        Err(err) => {
            assert!(STATUSES.contains(&err.status()), "{err}");
            assert!(!err.reason().is_empty());
        }
    }
}

/// Feeds `buf` to a fresh incremental parser in pieces ending at `ends` (sorted, deduplicated,
/// then the whole buffer), stopping at the first answer that isn't "need more".
fn parse_in_pieces<'b>(
    buf: &'b [u8],
    ends: &[usize],
    limits: &Limits,
) -> Result<Parsed<'b>, ParseError> {
    let mut parser = RequestParser::new(*limits);
    let mut ends: Vec<usize> = ends.iter().map(|&e| e.min(buf.len())).collect();
    ends.push(buf.len());
    ends.sort_unstable();
    ends.dedup();
    let mut answer = Ok(Parsed::Partial);
    for end in ends {
        answer = parser.parse(&buf[..end]);
        if !matches!(answer, Ok(Parsed::Partial)) {
            break;
        }
    }
    answer
}

/// Small limits, so that generated inputs reach them too.
fn small_limits() -> impl Strategy<Value = Limits> {
    (16usize..300, 16usize..600, 0usize..12, 0u64..100).prop_map(
        |(max_request_line, max_head, max_headers, max_body)| Limits {
            max_request_line,
            max_head,
            max_headers,
            max_body,
        },
    )
}

fn limits() -> impl Strategy<Value = Limits> {
    prop_oneof![3 => Just(Limits::default()), 1 => small_limits()]
}

proptest! {
    #![proptest_config(config(1000))]

    /// Property 1: any bytes, with default or tiny limits, end in a well-formed answer.
    #[test]
    fn prop1_arbitrary_bytes_end_in_request_partial_or_error_status(
        buf in hostile_bytes(),
        limits in limits(),
    ) {
        let answer = parse_request(&buf, &limits);
        check_answer(&buf, &limits, &answer);
    }
}

proptest! {
    #![proptest_config(config(500))]

    /// Property 2: a generated valid request parses to exactly what the generator put in it.
    #[test]
    fn prop2_valid_requests_parse_back_to_what_was_generated(request in valid_request()) {
        let answer = parse_request(&request.bytes, &Limits::default());
        let Ok(Parsed::Complete(parsed)) = answer else {
            return Err(TestCaseError::fail(format!(
                "{:?} for {:?}", answer, String::from_utf8_lossy(&request.bytes)
            )));
        };
        check_parsed_request(&request, &parsed);
    }

    /// Property 3: pieces of any size, ending anywhere, give the one-buffer answer.
    #[test]
    fn prop3_split_invariance(
        buf in prop_oneof![
            1 => valid_request().prop_map(|r| r.bytes),
            2 => hostile_bytes(),
        ],
        limits in limits(),
        cuts in vec(any::<Index>(), 0..12),
    ) {
        let whole = parse_request(&buf, &limits);
        let ends: Vec<usize> = cuts.iter().map(|i| i.index(buf.len() + 1)).collect();
        let pieces = parse_in_pieces(&buf, &ends, &limits);
        prop_assert_eq!(pieces, whole);
    }

    /// Property 3, extreme case: one byte at a time.
    #[test]
    fn prop3_split_invariance_one_byte_at_a_time(
        buf in prop_oneof![
            1 => valid_request().prop_map(|r| r.bytes),
            1 => hostile_bytes().prop_map(|mut b| { b.truncate(2000); b }),
        ],
        limits in limits(),
    ) {
        let whole = parse_request(&buf, &limits);
        let ends: Vec<usize> = (0..buf.len()).collect();
        prop_assert_eq!(parse_in_pieces(&buf, &ends, &limits), whole);
    }
}

/// Compares a parse with the generator's account of the request (property 2).
fn check_parsed_request(request: &ValidRequest, parsed: &Request<'_>) {
    let shown = String::from_utf8_lossy(&request.bytes);
    assert_eq!(parsed.method(), request.method, "{shown}");
    assert_eq!(parsed.target(), request.target.raw, "{shown}");
    assert_eq!(parsed.target_form(), request.target.form, "{shown}");
    assert_eq!(parsed.path(), request.target.path, "{shown}");
    assert_eq!(parsed.query(), request.target.query.as_deref(), "{shown}");
    assert_eq!(parsed.host(), request.host.as_deref(), "{shown}");
    assert_eq!(parsed.version(), request.version, "{shown}");
    let headers: Vec<(String, Vec<u8>)> = parsed
        .headers()
        .map(|(name, value)| (name.to_owned(), value.to_vec()))
        .collect();
    assert_eq!(headers, request.headers, "{shown}");
    for (name, _) in &request.headers {
        // `header` finds the first line of that name, whatever its case.
        let first = request
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice());
        assert_eq!(parsed.header(&name.to_ascii_uppercase()), first);
    }
    assert_eq!(parsed.head_len(), request.head_len, "{shown}");
    assert_eq!(parsed.body(), request.body, "{shown}");
    assert_eq!(parsed.keep_alive(), request.keep_alive, "{shown}");
    assert_eq!(parsed.expect_continue(), request.expect_continue, "{shown}");
    if request.target.form == TargetForm::Asterisk {
        assert_eq!(parsed.path(), "*");
    }

    // The body that follows the head is exactly the generated one.
    let body = &request.bytes[request.head_len..];
    match parsed.body() {
        BodyKind::None => assert!(body.is_empty()),
        BodyKind::Length(n) => assert_eq!(body, &request.body_bytes[..n as usize]),
        BodyKind::Chunked => {
            let mut decoder = ChunkedDecoder::new(Limits::default().max_body);
            let mut decoded = Vec::new();
            let progress = decoder
                .decode(body, &mut decoded)
                .expect("a valid chunked body");
            assert!(progress.done);
            assert_eq!(progress.consumed, request.wire_body_len);
            assert_eq!(decoded, request.body_bytes);
        }
    }
}

/// Pipelining: two requests back to back parse one after the other, each seeing only its own
/// bytes.
#[test]
fn pipelined_requests_parse_in_turn() {
    let first = b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
    let second = b"GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
    let mut buf = first.to_vec();
    buf.extend_from_slice(second);
    let Ok(Parsed::Complete(request)) = parse_request(&buf, &Limits::default()) else {
        panic!("first request");
    };
    assert_eq!(request.path(), "/a");
    let next = request.head_len() + 5;
    let Ok(Parsed::Complete(request)) = parse_request(&buf[next..], &Limits::default()) else {
        panic!("second request");
    };
    assert_eq!(request.path(), "/b");
    assert_eq!(next + request.head_len(), buf.len());
}

/// A 64 KiB head arriving a byte at a time: each call looks only at the new byte, so the
/// total work is linear. (Quadratic rescanning would take minutes here in a debug build.)
#[test]
fn slow_client_costs_linear_time() {
    let limits = Limits::default();
    let mut head = b"GET / HTTP/1.1\r\nHost: h\r\nX-Long: ".to_vec();
    head.resize(limits.max_head - 4, b'a');
    head.extend_from_slice(b"\r\n\r\n");
    let mut parser = RequestParser::new(limits);
    let started = std::time::Instant::now();
    for end in 1..head.len() {
        assert_eq!(parser.parse(&head[..end]), Ok(Parsed::Partial));
    }
    let Ok(Parsed::Complete(request)) = parser.parse(&head) else {
        panic!("complete head");
    };
    assert_eq!(request.head_len(), limits.max_head);
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}
