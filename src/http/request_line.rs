//! The request line (RFC 9112 §3): `method SP request-target SP HTTP-version`.
//!
//! Read two ways that must agree: [`RequestLine::scan_valid`] accepts a well-formed line in one
//! pass (the common case, and the hot path), and [`RequestLine::parse`] reads any other line
//! exactly, to name what is wrong with it.

use std::ops::Range;

use super::error::ParseErrorKind;
use super::request::{Method, Version};
use super::syntax::{find_non_visible, find_non_visible_or, is_token_byte, token_prefix_len};
use super::target::TargetParts;

/// The accepted request line, as offsets into the buffer.
#[derive(Clone, Debug)]
pub(super) struct RequestLine {
    pub(super) method: Method,
    pub(super) version: Version,
    /// The target, as a range of the buffer.
    pub(super) target: Range<usize>,
    /// The target's form and parts, as ranges relative to the target.
    pub(super) parts: TargetParts,
}

impl RequestLine {
    /// Reads a well-formed request line starting at `start` (`method SP target SP HTTP/d.d`,
    /// then CRLF or LF, before `end`) in one pass; returns it and where the next line starts.
    ///
    /// `None` for anything else (incomplete, empty, malformed, unsupported): the exact parse
    /// then finds the line end and names the error. Both agree on every line this accepts.
    #[inline]
    pub(super) fn scan_valid(buf: &[u8], start: usize, end: usize) -> Option<(RequestLine, usize)> {
        let line = buf.get(start..end)?;
        // Most requests are GETs and POSTs: recognise them without a token scan.
        let (method_len, known) = match line {
            [b'G', b'E', b'T', b' ', ..] => (3, Some(Method::Get)),
            [b'P', b'O', b'S', b'T', b' ', ..] => (4, Some(Method::Post)),
            _ => (token_prefix_len(line), None),
        };
        if method_len == 0 || line.get(method_len) != Some(&b' ') {
            return None;
        }
        let target_start = method_len + 1;
        // The target's end, and its first `?` (where an origin-form's query starts) on the way.
        let mut target_end = find_non_visible_or(line, target_start, line.len(), b'?')?;
        let query_at = if line.get(target_end) == Some(&b'?') {
            let query_at = target_end - target_start;
            target_end = find_non_visible(line, target_end + 1, line.len())?;
            Some(query_at)
        } else {
            None
        };
        if target_end == target_start || line.get(target_end) != Some(&b' ') {
            return None;
        }
        let (version, line_end) = line.get(target_end + 1..)?.split_at_checked(8)?;
        let line_len = match line_end {
            [b'\r', b'\n', ..] => target_end + 11,
            [b'\n', ..] => target_end + 10,
            _ => return None,
        };
        let version = match version {
            b"HTTP/1.1" => Version::Http11,
            _ => parse_version(version).ok()?,
        };
        let method = match known {
            Some(method) => method,
            None => Method::from_token(line.get(..method_len)?)?,
        };
        let target = line.get(target_start..target_end)?;
        let parts = match target {
            [b'/', ..] if method != Method::Connect => TargetParts::origin(target.len(), query_at),
            _ => TargetParts::parse(method, target).ok()?,
        };
        let target = start + target_start..start + target_end;
        let request_line = RequestLine {
            method,
            version,
            target,
            parts,
        };
        Some((request_line, start + line_len))
    }

    /// Parses `method SP request-target SP HTTP-version` (`line` without its line ending,
    /// starting at `offset` in the buffer).
    pub(super) fn parse(line: &[u8], offset: usize) -> Result<RequestLine, ParseErrorKind> {
        Self::parse_inner(line, offset).map_err(|kind| {
            // A CR can only sit in a line that failed the syntax checks; name the real culprit.
            if kind.status() == 400 && line.contains(&b'\r') {
                ParseErrorKind::BareCr
            } else {
                kind
            }
        })
    }

    fn parse_inner(line: &[u8], offset: usize) -> Result<RequestLine, ParseErrorKind> {
        let has_space_from = |from: usize| line.get(from..).is_some_and(|l| l.contains(&b' '));
        let method_len = line.iter().take_while(|&&b| is_token_byte(b)).count();
        if method_len == 0 || line.get(method_len) != Some(&b' ') {
            return Err(if has_space_from(0) {
                ParseErrorKind::InvalidMethod
            } else {
                ParseErrorKind::MalformedRequestLine
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
                    Some(b' ' | b'\t') => ParseErrorKind::WhitespaceInTarget,
                    _ => ParseErrorKind::InvalidTarget,
                })
            }
            // No space after the method's: an HTTP/0.9-style line.
            _ => return Err(ParseErrorKind::MissingVersion),
        };
        let target = line
            .get(target_start..version_start - 1)
            .unwrap_or_default();
        if target.is_empty() {
            return Err(ParseErrorKind::InvalidTarget);
        }
        let version = parse_version(line.get(version_start..).unwrap_or_default())?;
        let Some(method) = Method::from_token(method) else {
            return Err(ParseErrorKind::UnknownMethod);
        };

        let parts = TargetParts::parse(method, target)?;
        let target_start = offset + target_start;
        Ok(RequestLine {
            method,
            version,
            target: target_start..target_start + target.len(),
            parts,
        })
    }
}

/// `HTTP/<digit>.<digit>` (RFC 9112 §2.3), case-sensitive.
fn parse_version(version: &[u8]) -> Result<Version, ParseErrorKind> {
    let &[b'H', b'T', b'T', b'P', b'/', major, b'.', minor] = version else {
        return Err(ParseErrorKind::InvalidVersion);
    };
    if !major.is_ascii_digit() || !minor.is_ascii_digit() {
        return Err(ParseErrorKind::InvalidVersion);
    }
    match (major, minor) {
        (b'1', b'0') => Ok(Version::Http10),
        (b'1', _) => Ok(Version::Http11),
        _ => Err(ParseErrorKind::UnsupportedVersion),
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::http::test_support::{parse, parse_whole};

    #[test]
    fn versions() {
        let version = |v: &str| {
            let head = format!("GET / {v}\r\nHost: h\r\n\r\n");
            parse_whole(head.as_bytes()).map(|req| req.version())
        };
        assert_eq!(version("HTTP/1.0"), Ok(Version::Http10));
        assert_eq!(version("HTTP/1.1"), Ok(Version::Http11));
        assert_eq!(version("HTTP/1.9"), Ok(Version::Http11));
        assert_eq!(version("HTTP/2.0"), Err(ParseErrorKind::UnsupportedVersion));
        assert_eq!(version("HTTP/0.9"), Err(ParseErrorKind::UnsupportedVersion));
        for bad in ["http/1.1", "HTTP/1", "HTTP/1.10", "HTTP/a.1", "HTTP/11", ""] {
            assert_eq!(version(bad), Err(ParseErrorKind::InvalidVersion), "{bad}");
        }
        // The version is what follows the last space: here the target holds a space.
        assert_eq!(
            version("HTTP/1.1 "),
            Err(ParseErrorKind::WhitespaceInTarget)
        );
        assert_eq!(parse(b"GET /\r\n\r\n"), Err(ParseErrorKind::MissingVersion));
    }

    #[test]
    fn methods_are_case_sensitive_tokens() {
        assert_eq!(
            parse(b"get / HTTP/1.1\r\nHost: h\r\n\r\n"),
            Err(ParseErrorKind::UnknownMethod)
        );
        assert_eq!(
            parse(b"BREW / HTTP/1.1\r\nHost: h\r\n\r\n"),
            Err(ParseErrorKind::UnknownMethod)
        );
        assert_eq!(
            parse(b"G@T / HTTP/1.1\r\nHost: h\r\n\r\n"),
            Err(ParseErrorKind::InvalidMethod)
        );
        assert_eq!(
            parse(b" / HTTP/1.1\r\nHost: h\r\n\r\n"),
            Err(ParseErrorKind::InvalidMethod)
        );
        for method in Method::ALL {
            assert_eq!(Method::from_token(method.as_str().as_bytes()), Some(method));
        }
    }

    #[test]
    fn whitespace_in_target() {
        let kind = parse(b"GET /a b HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(kind, Err(ParseErrorKind::WhitespaceInTarget));
        let kind = parse(b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(kind, Err(ParseErrorKind::WhitespaceInTarget));
        let kind = parse(b"GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(kind, Err(ParseErrorKind::InvalidTarget));
    }
}
