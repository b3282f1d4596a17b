//! The request-target (RFC 9112 §3.2) and the authority grammar (RFC 3986 §3.2.2, §3.2.3).
//!
//! A target is classified into its form (origin, absolute, asterisk; the authority-form only to
//! refuse CONNECT) and split into path, query and authority. The authority rules serve twice:
//! for an absolute-form target and for the Host header, which the parser checks with
//! [`is_valid_authority`].

use std::ops::Range;

use super::error::ParseErrorKind;
use super::request::{Method, TargetForm};
use super::syntax::{find_byte, hex_value, host_prefix_len, is_host_byte};

/// A request-target split into its form and parts (offsets relative to the target).
#[derive(Clone, Debug)]
pub(super) struct TargetParts {
    pub(super) form: TargetForm,
    /// `None` for an absolute-form target with an empty path, which means `/`.
    pub(super) path: Option<Range<usize>>,
    pub(super) query: Option<Range<usize>>,
    /// The authority of an absolute-form target.
    pub(super) authority: Option<Range<usize>>,
}

impl TargetParts {
    /// Classifies `target` (visible ASCII, non-empty) per RFC 9112 §3.2 and checks that the form
    /// suits `method`.
    pub(super) fn parse(method: Method, target: &[u8]) -> Result<TargetParts, ParseErrorKind> {
        if method == Method::Connect {
            // CONNECT takes only the authority-form (host:port), and webpool tunnels nothing.
            return Err(if is_authority_form(target) {
                ParseErrorKind::ConnectNotSupported
            } else {
                ParseErrorKind::TargetFormMismatch
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
            b"*" => Err(ParseErrorKind::TargetFormMismatch),
            _ => Self::parse_absolute(target),
        }
    }

    /// An origin-form target (`/` then visible ASCII) of `len` bytes whose first `?`, if any,
    /// is at `query_at`: what [`parse`](Self::parse) answers for it with any method but
    /// CONNECT, for a caller that found the `?` while scanning the target.
    #[inline]
    pub(super) fn origin(len: usize, query_at: Option<usize>) -> TargetParts {
        let (path, query) = match query_at {
            Some(q) => (0..q, Some(q + 1..len)),
            None => (0..len, None),
        };
        TargetParts {
            form: TargetForm::Origin,
            path: Some(path),
            query,
            authority: None,
        }
    }

    /// `http://authority[/path][?query]` (or https); any other target is invalid here, except
    /// an authority-form target, which only CONNECT may use.
    fn parse_absolute(target: &[u8]) -> Result<TargetParts, ParseErrorKind> {
        let scheme_len = match target.iter().position(|&b| b == b':') {
            Some(len) if target.get(len..len + 3) == Some(b"://") => len,
            _ if is_authority_form(target) => return Err(ParseErrorKind::TargetFormMismatch),
            _ => return Err(ParseErrorKind::InvalidTarget),
        };
        let scheme = target.get(..scheme_len).unwrap_or_default();
        if !scheme.eq_ignore_ascii_case(b"http") && !scheme.eq_ignore_ascii_case(b"https") {
            return Err(ParseErrorKind::InvalidTarget);
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
            return Err(ParseErrorKind::InvalidTarget);
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
pub(super) fn is_valid_authority(authority: &[u8], allow_empty_host: bool) -> bool {
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
    // The name by the table eight bytes at a time (`host_prefix_len`), not a byte loop of its
    // own: this runs on every request's Host.
    match authority.split_at(host_prefix_len(authority)) {
        ([], _) => false,
        (_, []) => true,
        (_, [b':', port @ ..]) => port.iter().all(u8::is_ascii_digit),
        _ => false,
    }
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

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::http::test_support::{assert_all, assert_refusals, complete, parse};

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
        let bad = [
            "http://",
            "http://user@h/",
            "ftp://h/",
            "http:/h",
            "index.html",
        ];
        assert_all(bad, Err(ParseErrorKind::InvalidTarget), |target| {
            parse(format!("GET {target} HTTP/1.1\r\nHost: h\r\n\r\n").as_bytes()).map(|_| ())
        });
    }

    #[test]
    fn target_forms_must_suit_the_method() {
        let req = complete(b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!((req.target_form(), req.path()), (TargetForm::Asterisk, "*"));
        let cases: [(&[u8], ParseErrorKind); 4] = [
            (
                b"GET * HTTP/1.1\r\nHost: h\r\n\r\n",
                ParseErrorKind::TargetFormMismatch,
            ),
            (
                b"CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n",
                ParseErrorKind::ConnectNotSupported,
            ),
            (
                b"CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n",
                ParseErrorKind::TargetFormMismatch,
            ),
            (
                b"GET h:443 HTTP/1.1\r\nHost: h\r\n\r\n",
                ParseErrorKind::TargetFormMismatch,
            ),
        ];
        assert_refusals(cases, parse);
    }

    #[test]
    fn an_empty_host_is_refused_unless_the_target_names_one() {
        // RFC 9112 §3.2.2 / RFC 9110 §4.2.1: an origin-form (or asterisk-form) target takes its
        // host from the Host header, and an http URI with an empty host is invalid.
        let bad = [
            &b"GET / HTTP/1.1\r\nHost:\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nHost: \t \r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: :80\r\n\r\n",
            b"GET / HTTP/1.0\r\nHost:\r\n\r\n",
            b"OPTIONS * HTTP/1.1\r\nHost:\r\n\r\n",
        ];
        assert_all(bad, Err(ParseErrorKind::InvalidHost), parse);
        // The absolute-form names its host, so the Host header may be empty (RFC 9112 §3.2).
        let req = complete(b"GET http://h/x HTTP/1.1\r\nHost:\r\n\r\n");
        assert_eq!(req.host(), Some("h"));
        let req = complete(b"GET http://h/x HTTP/1.1\r\nHost: :80\r\n\r\n");
        assert_eq!(req.host(), Some("h"));
    }
}
