//! Entity tags (RFC 9110 §8.8.3) and the If-None-Match precondition (RFC 9110 §13.1.2).

use std::time::{SystemTime, UNIX_EPOCH};

use super::syntax::trim_ows as trim;

/// `true` if the If-None-Match `header_value` matches `etag`, so a GET or HEAD should be
/// answered 304 Not Modified.
///
/// Uses the weak comparison RFC 9110 §13.1.2 prescribes (`W/"x"` matches `"x"`); `*` matches
/// any current representation. Spaces around list commas are tolerated; a malformed value
/// matches nothing, so the full response is sent. `etag` is the current tag, quotes included.
///
/// ```
/// use webpool::http::etag::if_none_match;
///
/// assert!(if_none_match(br#"W/"a", "b""#, "\"b\""));
/// assert!(if_none_match(b"*", "\"anything\""));
/// assert!(!if_none_match(br#""a""#, "\"b\""));
/// ```
pub fn if_none_match(header_value: &[u8], etag: &str) -> bool {
    let Some((current, b"")) = split_entity_tag(etag.as_bytes()) else {
        return false;
    };
    let mut rest = trim(header_value);
    if rest == b"*" {
        return true;
    }
    let mut matched = false;
    let mut tags = 0;
    loop {
        // `1#entity-tag`: empty list elements are allowed and skipped.
        rest = trim(rest.strip_prefix(b",").unwrap_or(rest));
        if rest.is_empty() {
            return matched && tags > 0;
        }
        if rest.first() == Some(&b',') {
            continue;
        }
        let Some((opaque, after)) = split_entity_tag(rest) else {
            return false;
        };
        tags += 1;
        matched |= opaque == current;
        rest = trim(after);
        if !rest.is_empty() && rest.first() != Some(&b',') {
            return false;
        }
    }
}

/// A strong entity tag for a file, from its length and modification time.
///
/// Two versions of a file get different tags unless they have the same length and were written
/// within the file system's timestamp resolution of each other.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use webpool::http::etag::file_etag;
///
/// let modified = UNIX_EPOCH + Duration::new(1_700_000_000, 5);
/// assert_eq!(file_etag(1234, modified), "\"6553f100.5-4d2\"");
/// ```
pub fn file_etag(len: u64, modified: SystemTime) -> String {
    // A time before the epoch is not worth a signed format; it still yields a stable tag.
    let since_epoch = modified.duration_since(UNIX_EPOCH).unwrap_or_default();
    format!(
        "\"{:x}.{:x}-{:x}\"",
        since_epoch.as_secs(),
        since_epoch.subsec_nanos(),
        len
    )
}

/// Splits `[W/]"opaque"` off the front of `s`: the opaque tag (quotes included) and the rest.
fn split_entity_tag(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let tag = s.strip_prefix(b"W/").unwrap_or(s);
    let [b'"', inner @ ..] = tag else {
        return None;
    };
    let close = inner.iter().position(|&b| b == b'"')?;
    // etagc = %x21 / %x23-7E / obs-text
    let is_etagc = |&b: &u8| b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80;
    if !inner.get(..close)?.iter().all(is_etagc) {
        return None;
    }
    Some((tag.get(..close + 2)?, inner.get(close + 1..)?))
}

/// A strong entity tag derived from `content` alone, so the same bytes get the same tag in every
/// run and every build: for content that has no file to take a length and a time from (the
/// server's built-in pages).
pub(crate) fn content_etag(content: &[u8]) -> String {
    format!("\"{:016x}\"", fnv1a(content))
}

/// 64-bit FNV-1a: a stable, dependency-free content hash.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::http::test_support::assert_all;

    #[test]
    fn weak_comparison_over_a_list() {
        let etag = "\"v1\"";
        assert!(if_none_match(b"\"v1\"", etag));
        assert!(if_none_match(b"W/\"v1\"", etag));
        assert!(if_none_match(b"W/\"v1\"", "W/\"v1\""));
        assert!(if_none_match(b" \"v0\" ,\t\"v1\" ", etag));
        assert!(if_none_match(b"\"v0\",,\"v1\",", etag));
        assert!(if_none_match(b"\"a,b\", \"v1\"", etag));
        assert!(!if_none_match(b"\"v0\", \"v2\"", etag));
        assert!(!if_none_match(b"\"V1\"", etag));
    }

    #[test]
    fn star_matches_anything_but_only_alone() {
        assert!(if_none_match(b" * ", "\"x\""));
        assert!(!if_none_match(b"*, \"x\"", "\"x\""));
    }

    #[test]
    fn malformed_values_match_nothing() {
        let etag = "\"v1\"";
        let malformed = [
            &b""[..],
            b",",
            b"v1",
            b"\"v1",
            b"w/\"v1\"",
            b"\"v1\" \"v1\"",
            b"\"v1\"x",
            b"\"v 1\"",
            b"\"v1\", bad",
        ];
        assert_all(malformed, false, |value| if_none_match(value, etag));
        assert!(!if_none_match(b"*", "not-a-tag"));
    }

    #[test]
    fn file_etags_are_valid_strong_tags_that_change_with_the_file() {
        use std::time::Duration;
        let t = UNIX_EPOCH + Duration::from_secs(1_000);
        let tag = file_etag(10, t);
        assert!(!tag.starts_with("W/"));
        assert!(if_none_match(tag.as_bytes(), &tag));
        assert_ne!(tag, file_etag(11, t));
        assert_ne!(tag, file_etag(10, t + Duration::from_nanos(1)));
    }

    #[test]
    fn content_etags_are_fnv1a_of_the_content() {
        // FNV-1a's published test vectors: the empty input is the offset basis.
        assert_eq!(content_etag(b""), "\"cbf29ce484222325\"");
        assert_eq!(content_etag(b"a"), "\"af63dc4c8601ec8c\"");
        let tag = content_etag(b"<h1>Hello!</h1>");
        assert!(if_none_match(tag.as_bytes(), &tag));
    }
}
