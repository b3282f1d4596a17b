//! Turning a request path into a file path that cannot leave the served directory.
//!
//! [`resolve`] percent-decodes each segment exactly once, refuses the bytes that could change
//! which file is meant (NUL, an encoded `/`, a backslash), and removes `.` and `..` segments
//! lexically (RFC 3986 §5.2.4), refusing a `..` that would climb above the root. What remains is
//! a list of plain file names, so `root.join(path.to_relative_path())` is always inside `root`.
//!
//! Dot-segments are recognised after decoding: `%2e%2e` is `..` (RFC 3986 §6.2.2.2 makes them
//! equivalent), and treating it as a literal name is exactly how traversal bugs happen.

use std::fmt;
use std::path::{Component, Path, PathBuf};

use super::error::{ParseError, ParseErrorKind};
use super::syntax::{hex_value, is_pchar_byte};

/// A resolved request path: decoded segments, none of them empty, `.` or `..`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SafePath {
    /// The segments joined by `/`, without a leading `/` (empty for the root). Segments can't
    /// contain `/`, so splitting gives them back.
    joined: String,
    dir_request: bool,
}

impl SafePath {
    /// The decoded segments, in order; empty for the root.
    pub fn segments(&self) -> impl Iterator<Item = &str> + '_ {
        self.joined.split('/').filter(|segment| !segment.is_empty())
    }

    /// `true` if the path names a directory: it ended with `/` or a dot-segment, or is the root.
    pub fn is_dir_request(&self) -> bool {
        self.dir_request
    }

    /// The path relative to the served root: never absolute, never containing `..`; empty for
    /// the root. Use it as `root.join(path.to_relative_path())`.
    pub fn to_relative_path(&self) -> PathBuf {
        self.segments().collect()
    }
}

/// The canonical percent-encoded form, e.g. `/a%20b/c/`; [`resolve`] gives the same path back.
impl fmt::Display for SafePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("/")?;
        for (i, segment) in self.segments().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            for &byte in segment.as_bytes() {
                if is_pchar_byte(byte) {
                    write!(f, "{}", char::from(byte))?;
                } else {
                    write!(f, "%{byte:02X}")?;
                }
            }
        }
        if self.dir_request && !self.joined.is_empty() {
            f.write_str("/")?;
        }
        Ok(())
    }
}

/// Resolves a raw (percent-encoded, query already split off) request path.
///
/// ```
/// use webpool::http::path::resolve;
/// use std::path::Path;
///
/// let path = resolve("/docs/./a%20b/../index.html").unwrap();
/// assert_eq!(path.segments().collect::<Vec<_>>(), ["docs", "index.html"]);
/// assert_eq!(path.to_relative_path(), Path::new("docs/index.html"));
/// assert!(!path.is_dir_request());
///
/// assert_eq!(resolve("/docs/../../etc/passwd").unwrap_err().status(), 400);
/// assert_eq!(resolve("/%2e%2e/etc/passwd").unwrap_err().status(), 400);
/// ```
///
/// # Errors
///
/// Status 400 with [`ParseErrorKind::InvalidPercentEncoding`], [`ParseErrorKind::NulInPath`],
/// [`ParseErrorKind::EncodedSlash`], [`ParseErrorKind::BackslashInPath`],
/// [`ParseErrorKind::PathAboveRoot`], or [`ParseErrorKind::InvalidPath`] (not starting with `/`,
/// not UTF-8 once decoded, or a segment the platform would read as more than a file name, such
/// as `C:` on Windows).
pub fn resolve(raw_path: &str) -> Result<SafePath, ParseError> {
    let Some(rest) = raw_path.strip_prefix('/') else {
        return Err(ParseErrorKind::InvalidPath.into());
    };
    let mut joined = String::with_capacity(rest.len());
    let mut decoded = Vec::new();
    let mut dir_request = true;
    for raw_segment in rest.split('/') {
        percent_decode(raw_segment, &mut decoded)?;
        let segment = std::str::from_utf8(&decoded).map_err(|_| ParseErrorKind::InvalidPath)?;
        // Like RFC 3986's remove_dot_segments: a path ending in `.` or `..` names a directory.
        dir_request = matches!(segment, "" | "." | "..");
        match segment {
            "" | "." => {}
            ".." => {
                if joined.is_empty() {
                    return Err(ParseErrorKind::PathAboveRoot.into());
                }
                let parent_len = joined.rfind('/').unwrap_or(0);
                joined.truncate(parent_len);
            }
            _ => {
                if !is_plain_file_name(segment) {
                    return Err(ParseErrorKind::InvalidPath.into());
                }
                if !joined.is_empty() {
                    joined.push('/');
                }
                joined.push_str(segment);
            }
        }
    }
    dir_request |= joined.is_empty();
    Ok(SafePath {
        joined,
        dir_request,
    })
}

/// Decodes one raw segment into `out` (cleared first), refusing bytes that change its meaning.
fn percent_decode(raw_segment: &str, out: &mut Vec<u8>) -> Result<(), ParseErrorKind> {
    out.clear();
    let mut bytes = raw_segment.as_bytes();
    while let [first, rest @ ..] = bytes {
        let (byte, encoded, rest) = match (first, rest) {
            (b'%', [hi, lo, rest @ ..]) => match (hex_value(*hi), hex_value(*lo)) {
                (Some(hi), Some(lo)) => (hi << 4 | lo, true, rest),
                _ => return Err(ParseErrorKind::InvalidPercentEncoding),
            },
            (b'%', _) => return Err(ParseErrorKind::InvalidPercentEncoding),
            (byte, rest) => (*byte, false, rest),
        };
        match byte {
            0 => return Err(ParseErrorKind::NulInPath),
            b'\\' => return Err(ParseErrorKind::BackslashInPath),
            b'/' if encoded => return Err(ParseErrorKind::EncodedSlash),
            _ => out.push(byte),
        }
        bytes = rest;
    }
    Ok(())
}

/// `true` if the platform reads `segment` as exactly one ordinary file name (on Windows, `C:`
/// would be a drive prefix; on Unix every segment without `/` is a file name).
fn is_plain_file_name(segment: &str) -> bool {
    let mut components = Path::new(segment).components();
    matches!(
        (components.next(), components.next()),
        (Some(Component::Normal(name)), None) if name == segment
    )
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;

    fn segments(raw: &str) -> Result<Vec<String>, ParseErrorKind> {
        resolve(raw)
            .map(|p| p.segments().map(str::to_owned).collect())
            .map_err(|e| e.kind())
    }

    #[test]
    fn dot_segments_are_removed_lexically() {
        assert_eq!(
            segments("/a/b/../c/./d"),
            Ok(vec!["a".into(), "c".into(), "d".into()])
        );
        assert_eq!(segments("/a//b/"), Ok(vec!["a".into(), "b".into()]));
        assert_eq!(segments("/a/%2E%2e/b"), Ok(vec!["b".into()]));
        assert_eq!(segments("/a/.%2e"), Ok(vec![]));
        assert_eq!(segments("/"), Ok(vec![]));
        assert_eq!(segments("/..."), Ok(vec!["...".into()]));
    }

    #[test]
    fn decoding_happens_once() {
        assert_eq!(segments("/%252e%252e"), Ok(vec!["%2e%2e".into()]));
        assert_eq!(segments("/caf%C3%A9"), Ok(vec!["café".into()]));
        assert_eq!(segments("/a%3Fb%23c"), Ok(vec!["a?b#c".into()]));
    }

    #[test]
    fn hostile_paths_are_refused() {
        let cases = [
            ("/..", ParseErrorKind::PathAboveRoot),
            ("/a/../..", ParseErrorKind::PathAboveRoot),
            ("/%2e%2e/x", ParseErrorKind::PathAboveRoot),
            ("/a/../../b", ParseErrorKind::PathAboveRoot),
            ("/a%2f..%2f..", ParseErrorKind::EncodedSlash),
            ("/a%2Fb", ParseErrorKind::EncodedSlash),
            ("/a\\..\\b", ParseErrorKind::BackslashInPath),
            ("/a%5cb", ParseErrorKind::BackslashInPath),
            ("/a%00.html", ParseErrorKind::NulInPath),
            ("/a\0", ParseErrorKind::NulInPath),
            ("/a%", ParseErrorKind::InvalidPercentEncoding),
            ("/a%2", ParseErrorKind::InvalidPercentEncoding),
            ("/a%zz", ParseErrorKind::InvalidPercentEncoding),
            ("/%ff", ParseErrorKind::InvalidPath),
            ("a/b", ParseErrorKind::InvalidPath),
            ("*", ParseErrorKind::InvalidPath),
            ("", ParseErrorKind::InvalidPath),
        ];
        for (raw, kind) in cases {
            assert_eq!(segments(raw), Err(kind), "{raw}");
        }
    }

    #[test]
    fn dir_requests() {
        let dir = |raw: &str| resolve(raw).map(|p| p.is_dir_request());
        assert_eq!(dir("/"), Ok(true));
        assert_eq!(dir("/a/"), Ok(true));
        assert_eq!(dir("/a/."), Ok(true));
        assert_eq!(dir("/a/b/.."), Ok(true));
        assert_eq!(dir("/a"), Ok(false));
        assert_eq!(dir("/a/./b"), Ok(false));
    }

    #[test]
    fn relative_path_and_encoding() {
        let path = resolve("/a%20b/c%3F/").unwrap();
        assert_eq!(path.to_relative_path(), Path::new("a b").join("c?"));
        assert_eq!(path.to_string(), "/a%20b/c%3F/");
        assert_eq!(resolve(&path.to_string()), Ok(path));
        assert_eq!(resolve("/x/..").unwrap().to_string(), "/");
        assert_eq!(resolve("/").unwrap().to_relative_path(), PathBuf::new());
    }
}
