//! Putting responses on the wire: every response head the server sends is written by [`head`],
//! whether a worker answers a request ([`respond`], which batches small answers and streams
//! files) or the event loop refuses a connection it cannot take ([`send_now`]).

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::time::{Instant, SystemTime};

use super::handler::{Body, Response};
use super::log;
use super::sys::Stream;
use crate::http::response::{end_head, write_head, write_header, Connection, DateCache, Head};
use crate::http::{Method, Request, Version};

/// Responses are collected up to this size before being written, so pipelined requests are
/// answered with few writes; bodies larger than this are written on their own.
pub(crate) const OUTPUT_BATCH: usize = 64 * 1024;

/// Bytes read from a file per write when streaming it.
const FILE_CHUNK: usize = 64 * 1024;

/// Appends the head of `response` to `out`: the status line, the headers every response gets
/// (`Server`, `Date`, the content's type and length, `connection`), then the response's own.
pub(crate) fn head(
    out: &mut Vec<u8>,
    date: &mut DateCache,
    response: &Response<'_>,
    connection: Connection,
) {
    write_head(
        out,
        &Head {
            status: response.status,
            content_type: response.content_type,
            content_length: response.body.len(),
            connection,
        },
        date.at(SystemTime::now()),
    );
    for (name, value) in &response.headers {
        write_header(out, name, value);
    }
    end_head(out);
}

/// Writes `response` to the output batch (or straight to the stream for large bodies), and
/// logs it if the access log is on. `answering` is the request (`None` for errors found before
/// a request could be parsed) and, when logging, when the server began to answer it.
pub(crate) fn respond<T: Stream>(
    stream: &mut T,
    output: &mut Vec<u8>,
    date: &mut DateCache,
    answering: (Option<&Request<'_>>, Option<Instant>),
    response: Response<'_>,
    keep_alive: bool,
) -> io::Result<()> {
    let (request, started) = answering;
    let version = request.map_or(Version::Http11, |request| request.version());
    let head_only = request.is_some_and(|request| request.method() == Method::Head);
    let connection = match (keep_alive, version) {
        (false, _) => Connection::Close,
        (true, Version::Http10) => Connection::KeepAliveExplicit,
        (true, Version::Http11) => Connection::KeepAliveDefault,
    };
    head(output, date, &response, connection);

    let mut sent = 0;
    if !head_only {
        match response.body {
            Body::None => {}
            Body::Bytes(bytes) => {
                sent = bytes.len() as u64;
                write_bytes(stream, output, bytes)?;
            }
            Body::File { file, start, len } => {
                flush(stream, output)?;
                sent = stream_file(stream, file, start, len)?;
            }
        }
    }
    if output.len() >= OUTPUT_BATCH {
        flush(stream, output)?;
    }
    if let Some(started) = started {
        log::access(stream, request, response.status, sent, started);
    }
    Ok(())
}

/// Writes `response` (its body in memory) through `scratch` in one non-blocking write, best
/// effort, announcing that the connection closes: for the event loop, which never waits for a
/// client. Returns the size of the body, for the access log.
pub(crate) fn send_now<T: Stream>(
    stream: &mut T,
    scratch: &mut Vec<u8>,
    date: &mut DateCache,
    response: &Response<'_>,
) -> u64 {
    scratch.clear();
    head(scratch, date, response, Connection::Close);
    let body: &[u8] = match &response.body {
        Body::Bytes(bytes) => bytes,
        Body::None | Body::File { .. } => &[],
    };
    scratch.extend_from_slice(body);
    let _ = stream.write(scratch);
    body.len() as u64
}

/// Adds `bytes` to the batch, or writes batch and bytes now when the bytes are large.
fn write_bytes<T: Stream>(
    stream: &mut T,
    output: &mut Vec<u8>,
    bytes: Cow<'_, [u8]>,
) -> io::Result<()> {
    if output.len() + bytes.len() <= OUTPUT_BATCH {
        output.extend_from_slice(&bytes);
        Ok(())
    } else {
        flush(stream, output)?;
        stream.write_all_waiting(&bytes)
    }
}

/// Streams `len` bytes of `file` from `start`, in chunks. Returns the bytes sent.
fn stream_file<T: Stream>(stream: &mut T, mut file: File, start: u64, len: u64) -> io::Result<u64> {
    file.seek(SeekFrom::Start(start))?;
    let chunk_len = usize::try_from(len).map_or(FILE_CHUNK, |len| len.min(FILE_CHUNK));
    let mut chunk = vec![0; chunk_len];
    let mut left = len;
    while left > 0 {
        let want = usize::try_from(left).map_or(chunk.len(), |left| left.min(chunk.len()));
        match file.read(&mut chunk[..want]) {
            // The file shrank under us: the promised Content-Length cannot be kept.
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                stream.write_all_waiting(&chunk[..n])?;
                left -= n as u64;
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(len)
}

/// Writes the collected output, if any.
pub(crate) fn flush<T: Stream>(stream: &mut T, output: &mut Vec<u8>) -> io::Result<()> {
    if output.is_empty() {
        return Ok(());
    }
    let written = stream.write_all_waiting(output);
    output.clear();
    written
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::http::date::HTTP_DATE_LEN;
    use crate::http::response::error_page;
    use crate::server::handler;

    /// The event loop's 503 goes through the same writer as every other response, with the
    /// bytes it always had: the usual head, `Connection: close`, `Retry-After: 1`, an error page.
    #[test]
    fn the_busy_response_is_a_503_that_closes_and_says_when_to_retry() {
        let busy = handler::busy();
        let page = error_page(503, "the server is busy; try again shortly");
        assert!(matches!(&busy.body, Body::Bytes(body) if **body == *page));
        let mut out = Vec::new();
        head(&mut out, &mut DateCache::new(), &busy, Connection::Close);
        let text = String::from_utf8(out).unwrap();
        let (before, after) = text.split_once("Date: ").unwrap();
        assert_eq!(
            before,
            "HTTP/1.1 503 Service Unavailable\r\nServer: webpool\r\n"
        );
        assert_eq!(
            &after[HTTP_DATE_LEN..],
            format!(
                "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
                 Connection: close\r\nRetry-After: 1\r\n\r\n",
                page.len()
            )
        );
    }
}
