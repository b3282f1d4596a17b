//! Access-log lines in nginx's "combined" format, which log tools already read, followed by the
//! request's duration in seconds (what nginx logs as `$request_time`):
//!
//! ```text
//! 127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] "GET /index.html HTTP/1.1" 200 512 "-" "curl/8.5.0" 0.001
//! ```
//!
//! Client address, remote user (always `-`), time (UTC), request line, status, body bytes
//! sent, referrer, user agent, duration. A field with nothing to show is `-`. What a client sent
//! is escaped as nginx does it: `"`, `\` and every byte outside printable ASCII become `\xHH`, so
//! that a request cannot forge a field or a line of its own.

use std::fmt::Write;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use super::date::format_log_date;
use super::request::Request;

/// One access-log line (without its line end) for a response to `request`, sent at `time` to
/// `client`, with `body_bytes` bytes of body, `duration` after the request was read. `request`
/// is `None` for a request refused before it could be parsed, whose request line shows `-`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use webpool::http::log::combined_line;
/// use webpool::http::{parse_request, Limits, Parsed};
///
/// let raw = b"GET /a?b HTTP/1.1\r\nHost: h\r\nUser-Agent: x \"y\"\r\n\r\n";
/// let Ok(Parsed::Complete(request)) = parse_request(raw, &Limits::default()) else {
///     panic!("a valid request");
/// };
/// let time = UNIX_EPOCH + Duration::from_secs(784_111_777);
/// let line = combined_line(
///     Some("127.0.0.1".parse().unwrap()),
///     time,
///     Some(&request),
///     200,
///     512,
///     Duration::from_micros(1500),
/// );
/// assert_eq!(
///     line,
///     r#"127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] "GET /a?b HTTP/1.1" 200 512 "-" "x \x22y\x22" 0.002"#
/// );
/// ```
pub fn combined_line(
    client: Option<IpAddr>,
    time: SystemTime,
    request: Option<&Request<'_>>,
    status: u16,
    body_bytes: u64,
    duration: Duration,
) -> String {
    let mut line = String::with_capacity(160);
    match client {
        Some(client) => {
            let _ = write!(line, "{client}");
        }
        None => line.push('-'),
    }
    let _ = write!(line, " - - [{}] \"", format_log_date(time));
    match request {
        Some(request) => {
            line.push_str(request.method().as_str());
            line.push(' ');
            push_escaped(&mut line, request.target().as_bytes());
            line.push(' ');
            line.push_str(request.version().as_str());
        }
        None => line.push('-'),
    }
    let _ = write!(line, "\" {status} {body_bytes} ");
    for name in ["referer", "user-agent"] {
        line.push('"');
        match request.and_then(|request| request.header(name)) {
            Some(value) => push_escaped(&mut line, value),
            None => line.push('-'),
        }
        line.push_str("\" ");
    }
    // Milliseconds, rounded, as nginx shows `$request_time`.
    let millis = (duration.as_micros() + 500) / 1000;
    let _ = write!(line, "{}.{:03}", millis / 1000, millis % 1000);
    line
}

/// Appends `bytes`, with `"`, `\` and every byte outside printable ASCII written as `\xHH`.
fn push_escaped(line: &mut String, bytes: &[u8]) {
    for &byte in bytes {
        if (0x20..0x7f).contains(&byte) && byte != b'"' && byte != b'\\' {
            line.push(char::from(byte));
        } else {
            let _ = write!(line, "\\x{byte:02X}");
        }
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::http::{parse_request, Limits, Parsed};
    use std::time::UNIX_EPOCH;

    #[test]
    fn client_bytes_are_escaped_so_no_field_or_line_can_be_forged() {
        let raw =
            b"GET /%22 HTTP/1.1\r\nHost: h\r\nReferer: a\"b\\c\r\nUser-Agent: \xc3\xa9\tz\r\n\r\n";
        let Ok(Parsed::Complete(request)) = parse_request(raw, &Limits::default()) else {
            panic!("a valid request");
        };
        let line = combined_line(None, UNIX_EPOCH, Some(&request), 404, 0, Duration::ZERO);
        assert_eq!(
            line,
            r#"- - - [01/Jan/1970:00:00:00 +0000] "GET /%22 HTTP/1.1" 404 0 "a\x22b\x5Cc" "\xC3\xA9\x09z" 0.000"#
        );
    }

    #[test]
    fn a_request_refused_unparsed_shows_dashes() {
        let line = combined_line(
            Some("::1".parse().unwrap()),
            UNIX_EPOCH,
            None,
            400,
            123,
            Duration::from_millis(2345),
        );
        assert_eq!(
            line,
            r#"::1 - - [01/Jan/1970:00:00:00 +0000] "-" 400 123 "-" "-" 2.345"#
        );
    }
}
