//! Writing responses: status lines, headers, the `Date` header cache, and short error pages.
//!
//! Pure byte-building; the server decides what to send and when. A response head is written
//! into a caller-owned `Vec<u8>` (reused across requests, so answering allocates nothing), in
//! one piece with the body when the body is small, so most responses leave in one `write`.

use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use super::date::{write_http_date, HTTP_DATE_LEN};
use crate::html::escape_html;

/// The reason phrase for `status` (RFC 9110 §15), or `"Unknown"`.
pub fn status_text(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        304 => "Not Modified",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        414 => "URI Too Long",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// What a response head says, apart from the status line and `Date`.
#[derive(Debug, Clone, Copy)]
pub struct Head<'a> {
    /// Status code.
    pub status: u16,
    /// `Content-Type`, or `None` for responses without content (204, 304).
    pub content_type: Option<&'a str>,
    /// `Content-Length`: the length of the body a `GET` would get, also sent for `HEAD`.
    /// `None` for 204 and 304, which have none.
    pub content_length: Option<u64>,
    /// How the connection continues after this response.
    pub connection: Connection,
}

/// The `Connection` header a response carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// HTTP/1.1's default: nothing to say.
    KeepAliveDefault,
    /// An HTTP/1.0 client asked to keep the connection: `Connection: keep-alive`.
    KeepAliveExplicit,
    /// The server closes after this response: `Connection: close`.
    Close,
}

/// Appends the status line and the headers of `head`, with `date` as the `Date`. The caller
/// adds any further headers with [`write_header`] and ends the head with [`end_head`].
pub fn write_head(out: &mut Vec<u8>, head: &Head<'_>, date: &[u8; HTTP_DATE_LEN]) {
    out.extend_from_slice(b"HTTP/1.1 ");
    push_decimal(out, u64::from(head.status));
    out.push(b' ');
    out.extend_from_slice(status_text(head.status).as_bytes());
    out.extend_from_slice(b"\r\nServer: webpool\r\nDate: ");
    out.extend_from_slice(date);
    out.extend_from_slice(b"\r\n");
    if let Some(content_type) = head.content_type {
        out.extend_from_slice(b"Content-Type: ");
        out.extend_from_slice(content_type.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if let Some(length) = head.content_length {
        out.extend_from_slice(b"Content-Length: ");
        push_decimal(out, length);
        out.extend_from_slice(b"\r\n");
    }
    match head.connection {
        Connection::KeepAliveDefault => {}
        Connection::KeepAliveExplicit => out.extend_from_slice(b"Connection: keep-alive\r\n"),
        Connection::Close => out.extend_from_slice(b"Connection: close\r\n"),
    }
}

/// Appends one `name: value` header line.
pub fn write_header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends the empty line that ends a response head.
pub fn end_head(out: &mut Vec<u8>) {
    out.extend_from_slice(b"\r\n");
}

/// Appends `n` in decimal without going through `fmt` (this runs once or twice per request).
fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        // `n % 10` is below 10, so the cast cannot truncate.
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

/// A short HTML page for an error status, e.g. for 400 with the parser's reason.
pub fn error_page(status: u16, detail: &str) -> Vec<u8> {
    let mut page = Vec::with_capacity(160 + detail.len());
    let title = status_text(status);
    // Writing into a Vec cannot fail.
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{status} {title}</title></head>\n<body><h1>{status} {title}</h1><p>{}</p></body>\n</html>\n",
        escape_html(detail)
    );
    page
}

/// The current time as an HTTP-date, formatted at most once per second per cache.
///
/// Each worker keeps its own (no sharing, no lock); formatting a date costs far more than
/// reading the clock, and the header only has one-second resolution anyway.
#[derive(Debug, Default)]
pub struct DateCache {
    /// The second `formatted` was made for, or `None` before the first use.
    second: Option<u64>,
    /// `Date` for that second.
    formatted: [u8; HTTP_DATE_LEN],
}

impl DateCache {
    /// An empty cache.
    pub fn new() -> DateCache {
        DateCache::default()
    }

    /// `now` as an HTTP-date, reformatted only when the second changed.
    pub fn at(&mut self, now: SystemTime) -> &[u8; HTTP_DATE_LEN] {
        let second = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        if self.second != Some(second) {
            write_http_date(now, &mut self.formatted);
            self.second = Some(second);
        }
        &self.formatted
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use std::time::Duration;

    fn head(status: u16, connection: Connection) -> String {
        let date = *b"Sun, 06 Nov 1994 08:49:37 GMT";
        let mut out = Vec::new();
        write_head(
            &mut out,
            &Head {
                status,
                content_type: Some("text/html; charset=utf-8"),
                content_length: Some(1234),
                connection,
            },
            &date,
        );
        write_header(&mut out, "Retry-After", "1");
        end_head(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn head_has_status_line_headers_and_blank_line() {
        assert_eq!(
            head(503, Connection::Close),
            "HTTP/1.1 503 Service Unavailable\r\nServer: webpool\r\n\
             Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
             Content-Type: text/html; charset=utf-8\r\nContent-Length: 1234\r\n\
             Connection: close\r\nRetry-After: 1\r\n\r\n"
        );
        assert!(head(200, Connection::KeepAliveDefault).starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(!head(200, Connection::KeepAliveDefault).contains("Connection"));
        assert!(head(200, Connection::KeepAliveExplicit).contains("Connection: keep-alive\r\n"));
    }

    #[test]
    fn decimal_digits_match_fmt() {
        for n in [0, 7, 10, 99, 1234, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            push_decimal(&mut out, n);
            assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
        }
    }

    #[test]
    fn error_page_names_the_status_and_escapes_the_detail() {
        let page = String::from_utf8(error_page(400, "bad <target> & \"more\"")).unwrap();
        assert!(page.contains("<h1>400 Bad Request</h1>"));
        assert!(page.contains("bad &lt;target&gt; &amp; &quot;more&quot;"));
        assert!(!page.contains("<target>"));
    }

    #[test]
    fn date_cache_reformats_only_when_the_second_changes() {
        let mut cache = DateCache::new();
        let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(cache.at(t), b"Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(
            cache.at(t + Duration::from_millis(999)),
            b"Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(
            cache.at(t + Duration::from_secs(1)),
            b"Sun, 06 Nov 1994 08:49:38 GMT"
        );
    }

    #[test]
    fn every_status_the_server_sends_has_a_reason_phrase() {
        for status in [
            200, 204, 206, 301, 304, 400, 404, 405, 408, 413, 414, 416, 431, 500, 501, 503, 505,
        ] {
            assert_ne!(status_text(status), "Unknown", "{status}");
        }
    }
}
