//! The request heads both parse benchmarks read (`parse.rs`, criterion's wall time, and
//! `parse_instructions.rs`, callgrind's instruction counts), and the two calls they compare, so
//! that both measure the same work on the same bytes.
//!
//! A folder module, not `benches/heads.rs`: cargo would take a top-level file for a benchmark.

use std::hint::black_box;
use std::mem::MaybeUninit;

use webpool::http::request::{parse_request, Limits, Parsed, RequestParser};

pub const CURL_GET: &[u8] = b"GET /index.html HTTP/1.1\r\n\
Host: localhost:7878\r\n\
User-Agent: curl/8.5.0\r\n\
Accept: */*\r\n\
\r\n";

pub const CURL_POST: &[u8] = b"POST /api/items?dry_run=1 HTTP/1.1\r\n\
Host: localhost:7878\r\n\
User-Agent: curl/8.5.0\r\n\
Accept: */*\r\n\
Content-Type: application/json\r\n\
Content-Length: 27\r\n\
\r\n";

pub const FIREFOX_CSS: &[u8] = b"GET /static/css/site.css?v=3 HTTP/1.1\r\n\
Host: localhost:7878\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n\
Accept: text/css,*/*;q=0.1\r\n\
Accept-Language: en-US,en;q=0.5\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\n\
Connection: keep-alive\r\n\
Referer: http://localhost:7878/\r\n\
Sec-Fetch-Dest: style\r\n\
Sec-Fetch-Mode: no-cors\r\n\
Sec-Fetch-Site: same-origin\r\n\
If-Modified-Since: Tue, 14 May 2024 10:00:00 GMT\r\n\
If-None-Match: \"6643372e.0-1f2a\"\r\n\
Priority: u=2\r\n\
\r\n";

pub const CHROME_NAVIGATION: &[u8] = b"GET /docs/guide/getting-started.html HTTP/1.1\r\n\
Host: localhost:7878\r\n\
Connection: keep-alive\r\n\
Cache-Control: max-age=0\r\n\
sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n\
sec-ch-ua-mobile: ?0\r\n\
sec-ch-ua-platform: \"Linux\"\r\n\
Upgrade-Insecure-Requests: 1\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7\r\n\
Sec-Fetch-Site: same-origin\r\n\
Sec-Fetch-Mode: navigate\r\n\
Sec-Fetch-User: ?1\r\n\
Sec-Fetch-Dest: document\r\n\
Referer: http://localhost:7878/docs/\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\n\
Accept-Language: en-GB,en-US;q=0.9,en;q=0.8\r\n\
Cookie: session=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c; theme=dark; _ga=GA1.1.123456789.1700000000\r\n\
\r\n";

/// Every head, by the name the benchmarks report it under.
pub const INPUTS: [(&str, &[u8]); 4] = [
    ("curl_get", CURL_GET),
    ("curl_post", CURL_POST),
    ("firefox_css", FIREFOX_CSS),
    ("chrome_navigation", CHROME_NAVIGATION),
];

/// webpool's parse of a complete head, into its `Request`; the head's length.
///
/// Both calls hand their whole result to `black_box`, so that neither compiler may skip
/// storing a part of it that the caller happens not to read (httparse's functions are
/// `#[inline]` and end up in this crate; webpool's are not).
pub fn webpool_head_len(buf: &[u8], limits: &Limits) -> usize {
    match parse_request(buf, limits) {
        Ok(Parsed::Complete(request)) => black_box(&request).head_len(),
        other => panic!("benchmark input must parse: {other:?}"),
    }
}

/// httparse's parse of a complete head, into a 64-slot header array; the head's length.
pub fn httparse_head_len(buf: &[u8]) -> usize {
    // The fastest way to call httparse: uninitialised header storage, as hyper does.
    let mut headers = [MaybeUninit::<httparse::Header<'_>>::uninit(); 64];
    let mut request = httparse::Request::new(&mut []);
    match request.parse_with_uninit_headers(buf, &mut headers) {
        Ok(httparse::Status::Complete(len)) => {
            black_box(&request);
            len
        }
        other => panic!("benchmark input must parse: {other:?}"),
    }
}

/// webpool's parse of a head arriving one byte per read: one parser, called with each longer
/// prefix until the head is complete; the head's length.
pub fn webpool_byte_at_a_time_head_len(buf: &[u8]) -> usize {
    let mut parser = RequestParser::default();
    for end in 1..=buf.len() {
        if let Ok(Parsed::Complete(request)) = parser.parse(black_box(&buf[..end])) {
            return request.head_len();
        }
    }
    unreachable!("the input is a complete head")
}
