//! Property 5 (issue #4): for generated percent-encoded paths with `..`, `.`, `%2e`, `%2f`,
//! `%00`, backslashes and unicode, the resolved path never leaves the root, and resolution is
//! idempotent. Resolution is also compared with a direct transcription of its specification.

use std::path::{Component, Path};

use crate::generators::config;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use webpool::http::path::resolve;
use webpool::http::ParseErrorKind;

/// Raw path segments chosen to attack a resolver: dot-segments plain and encoded, encoded
/// separators, NUL, backslashes, broken escapes, double encoding, and unicode.
fn hostile_segment() -> impl Strategy<Value = String> {
    // Names and dot-segments that resolve, so that accepted paths are common and deep...
    let resolvable = select(vec![
        "",
        ".",
        "..",
        "...",
        "%2e",
        "%2E",
        "%2e%2e",
        ".%2e",
        "%2E.",
        "%252e%252e",
        "%20",
        "%25",
        "%C3%A9",
        "é",
        "日本",
        "%E6%97%A5",
        "a",
        "b.html",
        "~user",
        "a:b",
        "?",
        "#",
    ]);
    // ...and the pieces that must be refused wherever they appear.
    let refused = select(vec![
        "%2f", "%2F", "..%2f..", "%5c", "%5C", "\\", "..\\..", "%00", "\0", "%", "%2", "%g0",
        "%FF", "%C3",
    ]);
    vec(prop_oneof![12 => resolvable, 1 => refused], 1..3).prop_map(|parts| parts.concat())
}

fn raw_path() -> impl Strategy<Value = String> {
    let path = vec(hostile_segment(), 0..8).prop_map(|segments| format!("/{}", segments.join("/")));
    prop_oneof![
        20 => path,
        1 => hostile_segment(), // not starting with `/`
    ]
}

/// The specification of `resolve`, transcribed as directly as possible: decode each segment
/// once (refusing NUL, `/` and `\`), then apply `.` and `..` to a stack.
fn model(raw: &str) -> Result<(Vec<String>, bool), ParseErrorKind> {
    let rest = raw.strip_prefix('/').ok_or(ParseErrorKind::InvalidPath)?;
    let mut stack: Vec<String> = Vec::new();
    let mut ends_as_dir = true;
    for raw_segment in rest.split('/') {
        let decoded = model_decode(raw_segment)?;
        let segment = String::from_utf8(decoded).map_err(|_| ParseErrorKind::InvalidPath)?;
        ends_as_dir = matches!(segment.as_str(), "" | "." | "..");
        match segment.as_str() {
            "" | "." => {}
            ".." => {
                stack.pop().ok_or(ParseErrorKind::PathAboveRoot)?;
            }
            _ => stack.push(segment),
        }
    }
    let is_dir = ends_as_dir || stack.is_empty();
    Ok((stack, is_dir))
}

fn model_decode(segment: &str) -> Result<Vec<u8>, ParseErrorKind> {
    let mut out = Vec::new();
    let mut rest = segment;
    while let Some(c) = rest.chars().next() {
        let byte = if c == '%' {
            let hex = rest
                .get(1..3)
                .ok_or(ParseErrorKind::InvalidPercentEncoding)?;
            if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(ParseErrorKind::InvalidPercentEncoding);
            }
            rest = &rest[3..];
            let byte =
                u8::from_str_radix(hex, 16).map_err(|_| ParseErrorKind::InvalidPercentEncoding)?;
            if byte == b'/' {
                return Err(ParseErrorKind::EncodedSlash);
            }
            vec![byte]
        } else {
            rest = &rest[c.len_utf8()..];
            c.to_string().into_bytes()
        };
        for b in byte {
            match b {
                0 => return Err(ParseErrorKind::NulInPath),
                b'\\' => return Err(ParseErrorKind::BackslashInPath),
                _ => out.push(b),
            }
        }
    }
    Ok(out)
}

proptest! {
    #![proptest_config(config(1000))]

    /// Property 5: whatever the input, an accepted path is a list of plain names under the root.
    #[test]
    fn prop5_resolved_paths_never_leave_the_root(raw in raw_path()) {
        let Ok(path) = resolve(&raw) else { return Ok(()) };
        let relative = path.to_relative_path();
        prop_assert!(relative.is_relative());
        prop_assert!(relative.components().all(|c| matches!(c, Component::Normal(_))));
        let root = Path::new("/srv/www");
        let joined = root.join(&relative);
        prop_assert!(joined.starts_with(root));
        prop_assert_eq!(joined.components().count(), root.components().count() + path.segments().count());
        for segment in path.segments() {
            prop_assert!(!segment.is_empty() && segment != "." && segment != "..");
            prop_assert!(!segment.contains(['/', '\\', '\0']));
        }
    }

    /// Property 5: re-encoding a resolved path and resolving it again changes nothing.
    #[test]
    fn prop5_resolution_is_idempotent(raw in raw_path()) {
        let Ok(path) = resolve(&raw) else { return Ok(()) };
        let encoded = path.to_string();
        prop_assert!(encoded.starts_with('/'));
        prop_assert!(encoded.is_ascii());
        prop_assert_eq!(resolve(&encoded), Ok(path));
    }

    /// Property 5: resolution is exactly its specification, errors included.
    #[test]
    fn prop5_resolution_matches_its_specification(raw in raw_path()) {
        let expected = model(&raw);
        let actual = resolve(&raw)
            .map(|p| (p.segments().map(str::to_owned).collect::<Vec<_>>(), p.is_dir_request()))
            .map_err(|e| e.kind());
        prop_assert_eq!(actual, expected, "{:?}", raw);
    }

    /// Any string at all: no panic, and errors are 400.
    #[test]
    fn prop5_arbitrary_strings_resolve_or_fail_with_400(raw in any::<String>()) {
        if let Err(err) = resolve(&raw) {
            prop_assert_eq!(err.status(), 400);
        }
    }
}

/// The attacks the issue names, one by one.
#[test]
fn prop5_traversal_attempts_are_refused() {
    for raw in [
        "/..",
        "/../etc/passwd",
        "/a/../../etc/passwd",
        "/%2e%2e/etc/passwd",
        "/%2E%2E/%2e%2e/etc/passwd",
        "/.%2e/etc/passwd",
        "/a/..%2f..%2fetc/passwd",
        "/..\\..\\windows",
        "/%5c..%5c..%5cwindows",
        "/index.html%00.png",
    ] {
        assert_eq!(resolve(raw).map_err(|e| e.status()), Err(400), "{raw}");
    }
    // Double encoding decodes once: a literal file named `%2e%2e`, not a parent directory.
    let literal = resolve("/%252e%252e/x").unwrap();
    assert_eq!(literal.segments().collect::<Vec<_>>(), ["%2e%2e", "x"]);
}
