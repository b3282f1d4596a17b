//! Generators shared by the HTTP property tests.
//!
//! [`valid_request`] builds a request from independent choices (method, target form, version,
//! header lines, framing, line endings...) and records everything a correct parser must report
//! for it, so tests compare the parse against the generator's own account, not against the
//! parser itself. [`Edit`]s then break generated requests in small ways.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::FileFailurePersistence;
use webpool::http::request::{BodyKind, Method, TargetForm, Version};

/// Proptest settings: `default_cases` cases unless `PROPTEST_CASES` says otherwise, and
/// failures saved next to the test's file (`tests/http/<module>.proptest-regressions`) to be
/// committed.
pub fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

pub const TCHARS: &[u8] =
    b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Header names the parser interprets; random names must not collide with them.
const SPECIAL_NAMES: [&str; 5] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "expect",
];

/// A line ending: mostly CRLF, sometimes a bare LF (which RFC 9112 §2.2 lets servers accept).
pub fn eol() -> impl Strategy<Value = &'static [u8]> {
    prop_oneof![4 => Just(&b"\r\n"[..]), 1 => Just(&b"\n"[..])]
}

/// Optional whitespace around a header value.
pub fn ows() -> impl Strategy<Value = &'static [u8]> {
    select(vec![&b""[..], b" ", b"  ", b"\t", b" \t "])
}

pub fn token(max_len: usize) -> impl Strategy<Value = String> {
    vec(select(TCHARS), 1..=max_len).prop_map(|bytes| String::from_utf8(bytes).unwrap())
}

/// A header name that the parser treats as an ordinary, uninterpreted header.
pub fn header_name() -> impl Strategy<Value = String> {
    token(20).prop_filter("not a name the parser interprets", |name| {
        !SPECIAL_NAMES
            .iter()
            .any(|special| special.eq_ignore_ascii_case(name))
    })
}

/// A header value as a parser reports it: field-vchars (visible ASCII and obs-text) with
/// single spaces and tabs inside, none at either end.
pub fn header_value() -> BoxedStrategy<Vec<u8>> {
    let byte = prop_oneof![
        8 => 0x21u8..=0x7e,
        1 => 0x80u8..=0xff,
        2 => select(vec![b' ', b'\t']),
    ];
    vec(byte, 0..40)
        .prop_map(|mut value| {
            while value.last().is_some_and(|b| *b == b' ' || *b == b'\t') {
                value.pop();
            }
            while value.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
                value.remove(0);
            }
            value
        })
        .boxed()
}

/// `pchar` pieces (RFC 3986 §3.3), some percent-encoded.
fn pchar() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(&b"abcxyzABC0129-._~!$&'()*+,;=:@"[..]).prop_map(|b| char::from(b).to_string()),
        1 => any::<u8>().prop_map(|b| format!("%{b:02X}")),
    ]
}

fn path_segment() -> impl Strategy<Value = String> {
    vec(pchar(), 0..8).prop_map(|pieces| pieces.concat())
}

fn query() -> impl Strategy<Value = String> {
    vec(
        prop_oneof![4 => pchar(), 1 => select(vec!["/", "?"]).prop_map(str::to_owned)],
        0..12,
    )
    .prop_map(|pieces| pieces.concat())
}

/// `/segment/segment...`, possibly just `/`.
fn absolute_path() -> impl Strategy<Value = String> {
    vec(path_segment(), 0..5).prop_map(|segments| format!("/{}", segments.join("/")))
}

/// A `uri-host [":" port]` that RFC 3986 and the Host rule accept.
pub fn authority() -> BoxedStrategy<String> {
    let name = "[a-z0-9]([a-z0-9.-]{0,14}[a-z0-9])?";
    let host = prop_oneof![
        6 => name.prop_map(|s| s),
        1 => select(vec!["[::1]", "[2001:db8::7]", "127.0.0.1", "localhost", "EXAMPLE.com"])
            .prop_map(str::to_owned),
    ];
    (host, prop::option::of(0u32..70_000))
        .prop_map(|(host, port)| match port {
            Some(port) => format!("{host}:{port}"),
            None => host,
        })
        .boxed()
}

/// The target of a generated request, and what the parser must make of it.
#[derive(Clone, Debug)]
pub struct TargetSpec {
    pub raw: String,
    pub form: TargetForm,
    pub path: String,
    pub query: Option<String>,
    /// For the absolute-form: the authority, which becomes the request's host.
    pub authority: Option<String>,
}

pub fn target() -> BoxedStrategy<TargetSpec> {
    let origin = (absolute_path(), prop::option::of(query())).prop_map(|(path, query)| {
        let raw = match &query {
            Some(q) => format!("{path}?{q}"),
            None => path.clone(),
        };
        TargetSpec {
            raw,
            form: TargetForm::Origin,
            path,
            query,
            authority: None,
        }
    });
    let absolute = (
        select(vec!["http", "https", "HTTP", "hTTps"]),
        authority(),
        prop_oneof![Just(String::new()), absolute_path()],
        prop::option::of(query()),
    )
        .prop_map(|(scheme, authority, path, query)| {
            let mut raw = format!("{scheme}://{authority}{path}");
            if let Some(q) = &query {
                raw.push('?');
                raw.push_str(q);
            }
            TargetSpec {
                raw,
                form: TargetForm::Absolute,
                path: if path.is_empty() { "/".into() } else { path },
                query,
                authority: Some(authority),
            }
        });
    let asterisk = Just(TargetSpec {
        raw: "*".into(),
        form: TargetForm::Asterisk,
        path: "*".into(),
        query: None,
        authority: None,
    });
    prop_oneof![8 => origin, 2 => absolute, 1 => asterisk].boxed()
}

/// How a generated request frames its body.
#[derive(Clone, Debug)]
pub enum FramingSpec {
    None,
    /// `Content-Length`, written in one of several equivalent ways.
    Length {
        body: Vec<u8>,
        style: LengthStyle,
    },
    Chunked {
        body: Vec<u8>,
        encoding: ChunkedSpec,
    },
}

/// Equivalent ways of writing one Content-Length (RFC 9112 §6.3 accepts a list of one value).
#[derive(Clone, Copy, Debug)]
pub enum LengthStyle {
    Plain,
    LeadingZeros,
    RepeatedInList,
    RepeatedLine,
}

/// Choices for chunk-encoding a body.
#[derive(Clone, Debug)]
pub struct ChunkedSpec {
    pub sizes: Vec<usize>,
    pub extensions: bool,
    pub uppercase_hex: bool,
    pub trailers: Vec<(String, Vec<u8>)>,
    pub eol: &'static [u8],
    pub coding_name: &'static str,
}

pub fn chunked_spec() -> BoxedStrategy<ChunkedSpec> {
    (
        vec(1usize..40, 0..6),
        any::<bool>(),
        any::<bool>(),
        vec((token(12), header_value()), 0..3),
        eol(),
        select(vec!["chunked", "Chunked", "CHUNKED"]),
    )
        .prop_map(
            |(sizes, extensions, uppercase_hex, trailers, eol, coding_name)| ChunkedSpec {
                sizes,
                extensions,
                uppercase_hex,
                trailers,
                eol,
                coding_name,
            },
        )
        .boxed()
}

/// Chunk-encodes `body`: chunk sizes cycle through `spec.sizes` (one chunk if empty).
pub fn encode_chunked(body: &[u8], spec: &ChunkedSpec) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body;
    let mut sizes = spec.sizes.iter().copied().cycle();
    while !rest.is_empty() {
        let size = sizes.next().unwrap_or(rest.len()).min(rest.len());
        let (chunk, tail) = rest.split_at(size);
        let hex = if spec.uppercase_hex {
            format!("{size:X}")
        } else {
            format!("{size:x}")
        };
        out.extend_from_slice(hex.as_bytes());
        if spec.extensions {
            out.extend_from_slice(b" ; name=\"va;lue\";flag");
        }
        out.extend_from_slice(spec.eol);
        out.extend_from_slice(chunk);
        out.extend_from_slice(spec.eol);
        rest = tail;
    }
    out.push(b'0');
    out.extend_from_slice(spec.eol);
    for (name, value) in &spec.trailers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(spec.eol);
    }
    out.extend_from_slice(spec.eol);
    out
}

pub fn framing() -> BoxedStrategy<FramingSpec> {
    let body = || vec(any::<u8>(), 0..80);
    let style = select(vec![
        LengthStyle::Plain,
        LengthStyle::LeadingZeros,
        LengthStyle::RepeatedInList,
        LengthStyle::RepeatedLine,
    ]);
    prop_oneof![
        2 => Just(FramingSpec::None),
        2 => (body(), style).prop_map(|(body, style)| FramingSpec::Length { body, style }),
        1 => (body(), chunked_spec())
            .prop_map(|(body, encoding)| FramingSpec::Chunked { body, encoding }),
    ]
    .boxed()
}

/// What a line of a generated head is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineKind {
    LeadingEmpty,
    RequestLine,
    /// A header line: its index in the parsed header list and its name.
    Header(usize, String),
    End,
}

/// Where a line of a generated head is: `start..content_end` is its text, `..end` its ending.
#[derive(Clone, Debug)]
pub struct LineSpan {
    pub start: usize,
    pub content_end: usize,
    pub end: usize,
    pub kind: LineKind,
}

/// A valid request (head and body bytes), with everything a correct parser reports for it.
#[derive(Clone, Debug)]
pub struct ValidRequest {
    pub bytes: Vec<u8>,
    pub head_len: usize,
    pub method: Method,
    pub target: TargetSpec,
    pub version: Version,
    pub host: Option<String>,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: BodyKind,
    /// The decoded body.
    pub body_bytes: Vec<u8>,
    /// The body's length on the wire (after `head_len`).
    pub wire_body_len: usize,
    pub keep_alive: bool,
    pub expect_continue: bool,
    pub lines: Vec<LineSpan>,
}

impl ValidRequest {
    pub fn head(&self) -> &[u8] {
        &self.bytes[..self.head_len]
    }

    /// The span of the line holding byte `pos`, if it is in the head.
    pub fn line_at(&self, pos: usize) -> Option<&LineSpan> {
        self.lines.iter().find(|l| l.start <= pos && pos < l.end)
    }
}

/// A header line as written: name, whitespace, value, whitespace.
#[derive(Clone, Debug)]
struct FieldLine {
    name: String,
    before: &'static [u8],
    value: Vec<u8>,
    after: &'static [u8],
}

/// The raw choices behind a [`ValidRequest`].
#[derive(Clone, Debug)]
struct Choices {
    leading_empty: Option<&'static [u8]>,
    method: Method,
    target: TargetSpec,
    minor: u8,
    host: String,
    http10_sends_host: bool,
    extra: Vec<FieldLine>,
    framing: FramingSpec,
    connection: Option<Vec<&'static str>>,
    expect: Option<&'static str>,
    eols: Vec<&'static [u8]>,
    positions: Vec<Index>,
    /// Whitespace around the values of the interpreted headers.
    special_ows: Vec<(&'static [u8], &'static [u8])>,
}

pub fn valid_request() -> BoxedStrategy<ValidRequest> {
    let head_choices = (
        prop::option::weighted(0.1, eol()),
        // Every method but CONNECT, which takes an authority, not these paths (and is refused).
        select(
            Method::ALL
                .into_iter()
                .filter(|&method| method != Method::Connect)
                .collect::<Vec<_>>(),
        ),
        target(),
        prop_oneof![6 => Just(1u8), 3 => Just(0u8), 1 => 2u8..=9],
        authority(),
        any::<bool>(),
    );
    let field_choices = (
        vec(
            (header_name(), ows(), header_value(), ows()).prop_map(
                |(name, before, value, after)| FieldLine {
                    name,
                    before,
                    value,
                    after,
                },
            ),
            0..12,
        ),
        framing(),
        prop::option::of(vec(
            select(vec![
                "close",
                "keep-alive",
                "Upgrade",
                "Close",
                "KEEP-ALIVE",
                "te",
            ]),
            1..3,
        )),
        prop::option::of(select(vec!["100-continue", "100-Continue"])),
        vec(eol(), 24),
        vec(any::<Index>(), 6),
        vec((ows(), ows()), 6),
    );
    (head_choices, field_choices)
        .prop_map(
            |(
                (leading_empty, method, target, minor, host, http10_sends_host),
                (extra, framing, connection, expect, eols, positions, special_ows),
            )| {
                build(Choices {
                    leading_empty,
                    method,
                    target,
                    minor,
                    host,
                    http10_sends_host,
                    extra,
                    framing,
                    connection,
                    expect,
                    eols,
                    positions,
                    special_ows,
                })
            },
        )
        .boxed()
}

fn build(c: Choices) -> ValidRequest {
    let version = if c.minor == 0 {
        Version::Http10
    } else {
        Version::Http11
    };
    // The asterisk-form is for OPTIONS only.
    let method = if c.target.form == TargetForm::Asterisk {
        Method::Options
    } else {
        c.method
    };
    // HTTP/1.0 has no chunked coding: frame its body by length instead.
    let framing = match c.framing {
        FramingSpec::Chunked { body, .. } if version == Version::Http10 => FramingSpec::Length {
            body,
            style: LengthStyle::Plain,
        },
        other => other,
    };

    // Header lines as (name, leading OWS, value, trailing OWS), then the interpreted ones
    // inserted at chosen positions.
    let mut fields: Vec<FieldLine> = c.extra;
    let insert = |fields: &mut Vec<_>, i: usize, (name, value): (String, Vec<u8>)| {
        let at = c.positions[i].index(fields.len() + 1);
        let (before, after) = c.special_ows[i];
        let line = FieldLine {
            name,
            before,
            value,
            after,
        };
        fields.insert(at, line);
    };
    let sends_host = version == Version::Http11 || c.http10_sends_host;
    if sends_host {
        insert(&mut fields, 0, ("Host".into(), c.host.clone().into_bytes()));
    }
    let (body, body_bytes, wire_body) = match &framing {
        FramingSpec::None => (BodyKind::None, Vec::new(), Vec::new()),
        FramingSpec::Length { body, style } => {
            let n = body.len();
            let value = match style {
                LengthStyle::Plain | LengthStyle::RepeatedLine => n.to_string(),
                LengthStyle::LeadingZeros => format!("00{n}"),
                LengthStyle::RepeatedInList => format!("{n} ,{n}"),
            };
            insert(
                &mut fields,
                1,
                ("Content-Length".into(), value.into_bytes()),
            );
            if let LengthStyle::RepeatedLine = style {
                let again = ("content-length".into(), n.to_string().into_bytes());
                insert(&mut fields, 2, again);
            }
            (BodyKind::Length(n as u64), body.clone(), body.clone())
        }
        FramingSpec::Chunked { body, encoding } => {
            let value = encoding.coding_name.as_bytes().to_vec();
            insert(&mut fields, 1, ("Transfer-Encoding".into(), value));
            (
                BodyKind::Chunked,
                body.clone(),
                encode_chunked(body, encoding),
            )
        }
    };
    if let Some(options) = &c.connection {
        let value = options.join(", ").into_bytes();
        insert(&mut fields, 3, ("Connection".into(), value));
    }
    if let Some(expectation) = c.expect {
        let value = expectation.as_bytes().to_vec();
        insert(&mut fields, 4, ("Expect".into(), value));
    }

    let mut bytes = Vec::new();
    let mut lines = Vec::new();
    if let Some(eol) = c.leading_empty {
        bytes.extend_from_slice(eol);
        lines.push(LineSpan {
            start: 0,
            content_end: 0,
            end: eol.len(),
            kind: LineKind::LeadingEmpty,
        });
    }
    let mut eols = c.eols.iter().copied().cycle();
    let mut push_line = |bytes: &mut Vec<u8>, content: &[u8], kind: LineKind| {
        let start = bytes.len();
        bytes.extend_from_slice(content);
        let content_end = bytes.len();
        bytes.extend_from_slice(eols.next().unwrap());
        lines.push(LineSpan {
            start,
            content_end,
            end: bytes.len(),
            kind,
        });
    };
    let request_line = format!("{} {} HTTP/1.{}", method.as_str(), c.target.raw, c.minor);
    push_line(&mut bytes, request_line.as_bytes(), LineKind::RequestLine);
    for (index, field) in fields.iter().enumerate() {
        let FieldLine {
            name,
            before,
            value,
            after,
        } = field;
        let mut line = name.as_bytes().to_vec();
        line.push(b':');
        line.extend_from_slice(before);
        line.extend_from_slice(value);
        line.extend_from_slice(after);
        push_line(&mut bytes, &line, LineKind::Header(index, name.clone()));
    }
    push_line(&mut bytes, b"", LineKind::End);
    let head_len = bytes.len();
    bytes.extend_from_slice(&wire_body);

    let options = c.connection.unwrap_or_default();
    let has = |option: &str| options.iter().any(|o| o.eq_ignore_ascii_case(option));
    let keep_alive = match version {
        Version::Http11 => !has("close"),
        Version::Http10 => has("keep-alive") && !has("close"),
    };
    let host = match &c.target.authority {
        Some(authority) => Some(authority.clone()),
        None if sends_host => Some(c.host),
        None => None,
    };
    ValidRequest {
        bytes,
        head_len,
        method,
        target: c.target,
        version,
        host,
        headers: fields
            .into_iter()
            .map(|field| (field.name, field.value))
            .collect(),
        body,
        body_bytes,
        wire_body_len: wire_body.len(),
        keep_alive,
        expect_continue: c.expect.is_some() && version == Version::Http11,
        lines,
    }
}

/// A small edit to a byte string.
#[derive(Clone, Debug)]
pub enum Edit {
    Insert(Index, u8),
    Delete(Index),
    Replace(Index, u8),
    /// Flip the case of an ASCII letter (no-op elsewhere).
    ToggleCase(Index),
}

/// Bytes that matter to HTTP syntax, plus a few ordinary ones.
pub fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => select(&b" \t\r\n\0:,;\"/?%=-\x7f\x80\xff\x0b\x0c"[..]),
        1 => select(&b"aZ09H."[..]),
        1 => any::<u8>(),
    ]
}

pub fn edit() -> BoxedStrategy<Edit> {
    prop_oneof![
        (any::<Index>(), interesting_byte()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<Index>().prop_map(Edit::Delete),
        (any::<Index>(), interesting_byte()).prop_map(|(i, b)| Edit::Replace(i, b)),
        any::<Index>().prop_map(Edit::ToggleCase),
    ]
    .boxed()
}

impl Edit {
    /// Applies the edit to `bytes[..limit]` (positions are taken modulo that prefix).
    pub fn apply(&self, bytes: &mut Vec<u8>, limit: usize) {
        let limit = limit.min(bytes.len());
        match *self {
            Edit::Insert(ref i, b) => bytes.insert(i.index(limit + 1), b),
            Edit::Delete(ref i) if limit > 0 => {
                bytes.remove(i.index(limit));
            }
            Edit::Replace(ref i, b) if limit > 0 => bytes[i.index(limit)] = b,
            Edit::ToggleCase(ref i) if limit > 0 => {
                let byte = &mut bytes[i.index(limit)];
                if byte.is_ascii_alphabetic() {
                    *byte ^= 0x20;
                }
            }
            _ => {}
        }
    }
}

/// Byte strings that stress a parser: random bytes, line-ending soup, broken requests, and
/// now and then something big enough to hit every limit.
pub fn hostile_bytes() -> BoxedStrategy<Vec<u8>> {
    let soup_byte = select(&b"\r\n\r\n \t:\0GET/ HTTP/1.1Host\x80\xff"[..]);
    prop_oneof![
        4 => vec(any::<u8>(), 0..600),
        4 => vec(soup_byte, 0..600),
        4 => (valid_request(), vec(edit(), 1..6)).prop_map(|(request, edits)| {
            let mut bytes = request.bytes;
            for e in &edits {
                let len = bytes.len();
                e.apply(&mut bytes, len);
            }
            bytes
        }),
        2 => (valid_request(), vec(any::<u8>(), 0..200)).prop_map(|(request, tail)| {
            let mut bytes = request.head().to_vec();
            bytes.extend(tail);
            bytes
        }),
        1 => (vec(any::<u8>(), 0..64), 60_000usize..70_000, any::<u8>()).prop_map(
            |(prefix, len, fill)| {
                let mut bytes = prefix;
                bytes.resize(len, fill);
                bytes
            }
        ),
        1 => (valid_request(), 60_000usize..70_000, header_value()).prop_map(
            |(request, len, value)| {
                // A valid request line, then header lines until the head limit is passed.
                let line_end = request.lines.iter().find(|l| l.kind == LineKind::RequestLine).unwrap().end;
                let mut bytes = request.bytes[..line_end].to_vec();
                while bytes.len() < len {
                    bytes.extend_from_slice(b"X-Filler: ");
                    bytes.extend_from_slice(&value);
                    bytes.extend_from_slice(b"\r\n");
                }
                bytes
            }
        ),
    ]
    .boxed()
}
