//! One connection, on a worker: read what has arrived, answer every complete request in order,
//! and hand the connection back to the event loop (or close it).
//!
//! A worker never waits for a client to send: it reads only what is already there, so an
//! idle or slow client never holds a worker. It may wait for a client to *read* a large
//! response, bounded by the write timeout. Between requests the connection holds no buffer
//! unless part of a request has arrived, so idle connections cost almost nothing.
//!
//! A request is answered once it has arrived whole, body included: no route needs a body, but
//! reading it by its framing (and throwing it away as it arrives) is what tells where the next
//! request starts, and what finds a malformed or oversized body before anything is answered.

use std::cell::RefCell;
use std::io::{self, Read};
use std::panic::{self, AssertUnwindSafe};
use std::time::Instant;

use super::handler;
use super::sys::{Stream, Sys};
use super::write::{flush, respond, OUTPUT_BATCH};
use super::{Ctx, HandBack, Running};
use crate::http::chunked::ChunkedDecoder;
use crate::http::response::DateCache;
use crate::http::{
    parse_request, BodyKind, Limits, ParseError, ParseErrorKind, Parsed, Request, RequestParser,
};
use crate::sync::thread_local;

/// Bytes read from a socket in one call.
const READ_CHUNK: usize = 16 * 1024;

/// Unread request bytes a connection closed at once reads and discards (see [`Conn::close`]).
const DRAIN_ON_CLOSE: usize = 64 * 1024;

/// Unread request bytes one readiness report of a lingering connection reads and discards
/// before the event loop moves on to other connections.
pub(crate) const DISCARD_PER_EVENT: usize = 256 * 1024;

/// A client connection and what the server remembers about it between readiness events.
pub(crate) struct Conn<T> {
    /// The socket.
    pub(crate) stream: T,
    /// The event loop's key for this connection.
    pub(crate) key: usize,
    /// The start of a request that has not fully arrived yet; empty (and unallocated)
    /// between requests.
    pub(crate) pending: Vec<u8>,
    /// How far the request in `pending` has been read; `None` (and unallocated) between
    /// requests.
    partial: Option<Box<Partial>>,
    /// When the first byte of the pending request arrived, for the header timeout.
    pub(crate) request_started: Option<Instant>,
    /// Requests answered on this connection so far.
    served: u32,
}

impl<T: Stream> Conn<T> {
    /// A freshly accepted connection.
    pub(crate) fn new(stream: T, key: usize) -> Conn<T> {
        Conn {
            stream,
            key,
            pending: Vec::new(),
            partial: None,
            request_started: None,
            served: 0,
        }
    }

    /// Closes the connection now: stops watching it, sends FIN after whatever was written, and
    /// reads away what unread input has already arrived (up to a bound), because closing a
    /// socket with unread input makes the kernel send a reset that can destroy the responses
    /// still on their way to the client. Used when nothing more is expected from the client
    /// (it ended its side, or failed), and at shutdown; otherwise a connection closes in
    /// stages, by [lingering](Conn::discard_input).
    pub(crate) fn close<S: Sys<Stream = T>>(mut self, sys: &S) {
        sys.unwatch(&self.stream);
        self.stream.finish();
        let mut sink = [0u8; 4096];
        let _ = self.discard_input(&mut sink, DRAIN_ON_CLOSE);
    }

    /// For a connection the server is about to refuse (no room in the queue): reads, without
    /// waiting, the first bytes that arrived, and throws them away (the refusal discards the
    /// rest). Returns `true` if the client had sent nothing before ending its side, or the
    /// connection failed: there is then no request to refuse, and nobody to read a refusal.
    pub(crate) fn ended_without_a_request(&mut self, sink: &mut [u8]) -> bool {
        if !self.pending.is_empty() {
            return false; // the start of a request arrived earlier
        }
        loop {
            match self.stream.read(sink) {
                Ok(0) => return true,
                Ok(_) => return false,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return false,
                Err(_) => return true,
            }
        }
    }

    /// Reads and throws away what the client has sent, up to `limit` bytes, without waiting:
    /// what a lingering close does each time the connection is readable (RFC 9112 §9.6). The
    /// server has shut its sending side, so the client sees the end of the responses; reading
    /// on until the client stops sending keeps its unread requests from making the kernel
    /// reset the connection, which would destroy responses not yet delivered.
    ///
    /// Returns the bytes discarded, or `None` once the client has ended its side (or the
    /// connection failed): nothing more can come, and it can close without a reset.
    pub(crate) fn discard_input(&mut self, sink: &mut [u8], limit: usize) -> Option<usize> {
        let mut discarded = 0;
        while discarded < limit {
            let want = sink.len().min(limit - discarded);
            match self.stream.read(&mut sink[..want]) {
                Ok(0) => return None,
                Ok(n) => discarded += n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => return None,
            }
        }
        Some(discarded)
    }
}

/// How far a request that has not fully arrived has been read.
enum Partial {
    /// Its head is still arriving. The parser remembers how far it has read, so that each
    /// readiness event scans only the bytes that are new: a head arriving in many small pieces
    /// costs O(n) in total.
    Head(RequestParser),
    /// Its head, the first `head_len` bytes of `pending`, is complete, and its body is being
    /// read and thrown away: whatever `pending` holds after the head is new since the last read.
    Body {
        /// The head's length.
        head_len: usize,
        /// What remains of the body.
        left: BodyLeft,
    },
}

/// What remains of a body being read and thrown away.
enum BodyLeft {
    /// This many bytes (the rest of a `Content-Length` body).
    Length(u64),
    /// Chunks up to the final empty line; the decoder knows where it is in them.
    Chunked(ChunkedDecoder),
}

/// The request at the front of the received bytes, as far as it has arrived.
enum Step<'b> {
    /// A whole request, and the bytes it takes (head and body); `None` when the client waits
    /// for an answer before it sends its body (`Expect: 100-continue`): the answer goes now,
    /// and the connection closes after it.
    Request(Request<'b>, Option<usize>),
    /// The request has not fully arrived: keep its first `keep` bytes (the body read so far is
    /// thrown away) and read more.
    Incomplete {
        /// Bytes of the request to keep in `pending`.
        keep: usize,
    },
    /// The request is refused with this error; the connection closes after the answer.
    Refused(ParseError),
}

/// Buffers each worker reuses for every connection it serves, so answering a request
/// allocates nothing.
struct Scratch {
    /// Received bytes not yet answered: the pending request plus what was just read.
    input: Vec<u8>,
    /// Responses collected for one write.
    output: Vec<u8>,
    /// Target of each `read`.
    read_chunk: Box<[u8]>,
    /// The `Date` header, formatted once per second.
    date: DateCache,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch {
        input: Vec::with_capacity(READ_CHUNK),
        output: Vec::with_capacity(OUTPUT_BATCH),
        read_chunk: vec![0; READ_CHUNK].into_boxed_slice(),
        date: DateCache::new(),
    });
}

/// What becomes of a connection after a worker served it.
enum Next {
    /// Keep it: hand it back to the event loop to wait for more bytes.
    Idle,
    /// Close it in stages: stop sending, and let the event loop read away what the client
    /// still sends before closing (a lingering close), so that no reset destroys the answers.
    Linger,
    /// Close it now: the client ended its side or the connection failed, so nothing is left
    /// to read, or no answer can reach it anyway.
    Close,
}

/// Serves `conn` on the calling worker, then hands it back to the event loop or closes it.
pub(crate) fn serve<S: Sys>(ctx: &Ctx<S>, mut conn: Conn<S::Stream>) {
    let next = SCRATCH.with(|scratch| serve_buffered(ctx, &mut conn, &mut scratch.borrow_mut()));
    match next {
        // Re-armed here rather than by the event loop, before the hand-back, while this
        // worker still owns the socket: see `Ctx::hand_back` for why the loop is not woken.
        Next::Idle => match ctx.sys.rearm(&conn.stream, conn.key) {
            Ok(()) => {
                let since = ctx.sys.now();
                ctx.hand_back(HandBack::Idle { conn, since });
            }
            Err(_) => {
                let key = conn.key;
                conn.close(&ctx.sys);
                ctx.hand_back(HandBack::Closed(key));
            }
        },
        Next::Linger => {
            conn.stream.finish();
            ctx.hand_back(HandBack::Closing(conn));
        }
        Next::Close => {
            let key = conn.key;
            conn.close(&ctx.sys);
            ctx.hand_back(HandBack::Closed(key));
        }
    }
}

/// Reads, answers, and decides what happens to the connection next.
fn serve_buffered<S: Sys>(ctx: &Ctx<S>, conn: &mut Conn<S::Stream>, scratch: &mut Scratch) -> Next {
    let Scratch {
        input,
        output,
        read_chunk,
        date,
    } = scratch;
    input.clear();
    output.clear();
    input.append(&mut conn.pending);
    conn.pending = Vec::new(); // `append` leaves the capacity behind; idle conns keep none
    let had_pending = !input.is_empty();

    let limit = ctx.settings.limits.max_head;
    let read = read_available(&mut conn.stream, input, read_chunk, limit);
    let end_of_stream = match read {
        Ok(ended) => ended,
        Err(_) => return Next::Close,
    };
    if !had_pending && !input.is_empty() {
        conn.request_started = Some(ctx.sys.now());
    }

    let mut consumed = 0;
    // Where the bytes worth keeping end: a body being skipped is not kept.
    let mut keep_end = input.len();
    let mut next = Next::Idle;
    while consumed < input.len() {
        if consumed > 0 && ctx.shutting_down() {
            // The request that brought the connection here is answered even during shutdown;
            // pipelined ones behind it are not: the client sees the connection close after
            // the last answer (marked `Connection: close`) and may retry elsewhere.
            next = Next::Linger;
            break;
        }
        let limits = &ctx.settings.limits;
        let (request, request_len) =
            match next_request(&mut conn.partial, &input[consumed..], limits) {
                Step::Request(request, len) => (request, len),
                Step::Incomplete { keep } => {
                    keep_end = consumed + keep;
                    break;
                }
                Step::Refused(err) => {
                    let response = handler::error(err.status(), err.reason());
                    let logged = ctx.settings.access_log.then(Instant::now);
                    let _ = respond(
                        &mut conn.stream,
                        output,
                        date,
                        (None, logged),
                        response,
                        false,
                    );
                    next = Next::Linger;
                    break;
                }
            };
        conn.served += 1;
        let keep_alive = request.keep_alive()
            && request_len.is_some()
            && conn.served < ctx.settings.max_requests_per_connection;
        // A request that may take a while (a sleep, a file: the site says which): send the
        // answers collected so far first, so that they do not wait behind it, and record it
        // as running, so that a shutdown that gives up on it can say so.
        let _running = if ctx.site.may_take_a_while(&request) {
            if flush(&mut conn.stream, output).is_err() {
                return Next::Close;
            }
            Some(RunningGuard::new(ctx, conn, &request))
        } else {
            None
        };
        let started = ctx.settings.access_log.then(Instant::now);
        let response = match panic::catch_unwind(AssertUnwindSafe(|| ctx.site.respond(&request))) {
            Ok(response) => response,
            Err(_) => {
                let mut response = handler::error(500, "the handler failed");
                response.close = true;
                response
            }
        };
        // Checked after the handler ran: a shutdown that began meanwhile closes this
        // connection, and the client is told so.
        let close = response.close || !keep_alive || ctx.shutting_down();
        if respond(
            &mut conn.stream,
            output,
            date,
            (Some(&request), started),
            response,
            !close,
        )
        .is_err()
        {
            return Next::Close;
        }
        consumed += request_len.unwrap_or(0);
        conn.request_started = None;
        if close {
            next = Next::Linger;
            break;
        }
    }
    if flush(&mut conn.stream, output).is_err() {
        return Next::Close;
    }
    if end_of_stream {
        // The client has ended its side: nothing is left to read, so no reset can follow.
        return Next::Close;
    }
    if !matches!(next, Next::Idle) {
        return next;
    }
    if consumed < keep_end {
        conn.pending = input[consumed..keep_end].to_vec();
        if consumed > 0 || conn.request_started.is_none() {
            conn.request_started = Some(ctx.sys.now());
        }
    }
    Next::Idle
}

/// Keeps a request in `Ctx::running` while it is being answered.
struct RunningGuard<'c, S: Sys> {
    ctx: &'c Ctx<S>,
    key: usize,
}

impl<'c, S: Sys> RunningGuard<'c, S> {
    fn new(ctx: &'c Ctx<S>, conn: &Conn<S::Stream>, request: &Request<'_>) -> Self {
        ctx.started(Running {
            key: conn.key,
            request_line: format!(
                "{} {} {}",
                request.method(),
                request.target(),
                request.version()
            ),
            client: conn.stream.peer(),
            since: Instant::now(),
        });
        RunningGuard { ctx, key: conn.key }
    }
}

impl<S: Sys> Drop for RunningGuard<'_, S> {
    fn drop(&mut self) {
        self.ctx.finished(self.key);
    }
}

/// Finds the request at the front of `buf`, resuming from `partial` (where an earlier read left
/// it), and leaves in `partial` how far it got if the request has not fully arrived.
///
/// Every body is read (and thrown away: no route here needs one) by its framing, like the head:
/// a malformed body is refused like a malformed head, one past the body limit gets 413, and a
/// request whose body was read whole leaves the connection usable for the next one.
fn next_request<'b>(
    partial: &mut Option<Box<Partial>>,
    buf: &'b [u8],
    limits: &Limits,
) -> Step<'b> {
    let state = partial.take().map(|state| *state);
    if let Some(Partial::Body { head_len, mut left }) = state {
        let body = buf.get(head_len..).unwrap_or_default();
        return match skip_body(&mut left, body) {
            Err(err) => Step::Refused(err),
            Ok(None) => {
                *partial = Some(Box::new(Partial::Body { head_len, left }));
                Step::Incomplete { keep: head_len }
            }
            Ok(Some(body_len)) => {
                // The head parsed whole at an earlier read; its bytes are unchanged, and the
                // parser's answer depends only on the bytes, so it parses whole again.
                match parse_request(buf.get(..head_len).unwrap_or_default(), limits) {
                    Ok(Parsed::Complete(request)) => {
                        Step::Request(request, Some(head_len + body_len))
                    }
                    Ok(Parsed::Partial) => {
                        Step::Refused(ParseErrorKind::MalformedRequestLine.into())
                    }
                    Err(err) => Step::Refused(err),
                }
            }
        };
    }
    let mut parser = match state {
        Some(Partial::Head(parser)) => parser,
        _ => RequestParser::new(*limits),
    };
    let request = match parser.parse(buf) {
        Ok(Parsed::Complete(request)) => request,
        Ok(Parsed::Partial) => {
            // Kept with the bytes it has read: `pending` starts where this request does.
            *partial = Some(Box::new(Partial::Head(parser)));
            return Step::Incomplete { keep: buf.len() };
        }
        Err(err) => return Step::Refused(err),
    };
    let head_len = request.head_len();
    let mut left = match request.body() {
        BodyKind::None | BodyKind::Length(0) => return Step::Request(request, Some(head_len)),
        BodyKind::Length(length) => BodyLeft::Length(length),
        BodyKind::Chunked => BodyLeft::Chunked(ChunkedDecoder::new(limits.max_body)),
    };
    match skip_body(&mut left, buf.get(head_len..).unwrap_or_default()) {
        Err(err) => Step::Refused(err),
        Ok(Some(body_len)) => Step::Request(request, Some(head_len + body_len)),
        // RFC 9110 §10.1.1: the client waits for the answer before it sends the body.
        Ok(None) if request.expect_continue() => Step::Request(request, None),
        Ok(None) => {
            *partial = Some(Box::new(Partial::Body { head_len, left }));
            Step::Incomplete { keep: head_len }
        }
    }
}

/// Reads and throws away what `body` holds of the body that `left` describes. `Some(len)` once
/// the body is complete, `len` being the bytes of `body` it took; `None` if all of `body` was
/// body and more is to come.
fn skip_body(left: &mut BodyLeft, body: &[u8]) -> Result<Option<usize>, ParseError> {
    match left {
        BodyLeft::Length(remaining) => match usize::try_from(*remaining) {
            Ok(rest) if rest <= body.len() => Ok(Some(rest)),
            _ => {
                *remaining -= body.len() as u64;
                Ok(None)
            }
        },
        BodyLeft::Chunked(decoder) => {
            let progress = decoder.skip(body)?;
            Ok(progress.done.then_some(progress.consumed))
        }
    }
}

/// Reads what has already arrived, without waiting. Returns whether the client has finished
/// sending (end of stream). Stops early once `input` exceeds `limit` (the parser then refuses
/// the request); a short read means the socket is drained for now.
fn read_available<T: Read>(
    stream: &mut T,
    input: &mut Vec<u8>,
    chunk: &mut [u8],
    limit: usize,
) -> io::Result<bool> {
    loop {
        match stream.read(chunk) {
            Ok(0) => return Ok(true),
            Ok(n) => {
                input.extend_from_slice(&chunk[..n]);
                if n < chunk.len() || input.len() > limit {
                    return Ok(false);
                }
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(err) => return Err(err),
        }
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use std::io::{self, Read, Write};
    use std::net::SocketAddr;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::http::request::take_bytes_scanned;
    use crate::server::handler::Site;
    use crate::server::Config;
    use crate::sync::{AtomicBool, Mutex};

    /// A client connection whose bytes the test releases a few at a time: each read returns
    /// what has been released and not yet read, then `WouldBlock`.
    struct Trickle {
        /// Everything the client will send.
        input: Vec<u8>,
        /// How much of `input` the client has sent so far.
        released: usize,
        /// How much of `input` the server has read.
        read: usize,
        /// What the server wrote.
        output: Vec<u8>,
        /// Whether the server shut down its sending side.
        finished: bool,
    }

    impl Trickle {
        fn new(input: &[u8]) -> Trickle {
            Trickle {
                input: input.to_vec(),
                released: 0,
                read: 0,
                output: Vec::new(),
                finished: false,
            }
        }
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let sent = &self.input[self.read..self.released];
            if sent.is_empty() {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = sent.len().min(buf.len());
            buf[..n].copy_from_slice(&sent[..n]);
            self.read += n;
            Ok(n)
        }
    }

    impl Write for Trickle {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            self.output.extend_from_slice(data);
            Ok(data.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Stream for Trickle {
        fn write_all_waiting(&mut self, data: &[u8]) -> io::Result<()> {
            self.write_all(data)
        }

        fn peer(&self) -> Option<SocketAddr> {
            None
        }

        fn finish(&mut self) {
            self.finished = true;
        }
    }

    /// A [`Sys`] for connection code run by hand: nothing to poll, nothing to accept.
    struct NoSys;

    impl Sys for NoSys {
        type Stream = Trickle;

        fn wait(&self, _: &mut Vec<usize>, _: Option<Duration>) -> io::Result<()> {
            Ok(())
        }
        fn notify(&self) {}
        fn accept(&self) -> io::Result<Option<Trickle>> {
            Ok(None)
        }
        fn arm_listener(&self) -> io::Result<()> {
            Ok(())
        }
        fn close_listener(&self) {}
        fn watch(&self, _: &Trickle, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn rearm(&self, _: &Trickle, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn unwatch(&self, _: &Trickle) {}
        fn now(&self) -> Instant {
            Instant::now()
        }
    }

    fn ctx(settings: Config) -> Ctx<NoSys> {
        Ctx {
            sys: NoSys,
            site: Site::new(settings.root.as_deref(), Duration::ZERO, false).unwrap(),
            settings,
            shutting_down: AtomicBool::new(false),
            handbacks: Mutex::new(Vec::new()),
            awaiting: AtomicBool::new(false),
            running: Mutex::new(Vec::new()),
        }
    }

    /// Serves `conn` once, as a worker would after a readiness report, and returns what the
    /// worker handed back.
    fn serve_once(ctx: &Ctx<NoSys>, conn: Conn<Trickle>) -> HandBack<Trickle> {
        serve(ctx, conn);
        let mut handbacks = Vec::new();
        ctx.take_handbacks(&mut handbacks);
        assert_eq!(handbacks.len(), 1, "one connection served, one handed back");
        handbacks.pop().unwrap()
    }

    /// A request head of about 6 KiB: the request line and 90 header lines.
    fn long_head() -> Vec<u8> {
        let mut head = b"GET / HTTP/1.1\r\nHost: test\r\n".to_vec();
        for n in 0..90 {
            head.extend_from_slice(format!("X-Header-{n:02}: {}\r\n", "v".repeat(48)).as_bytes());
        }
        head.extend_from_slice(b"\r\n");
        head
    }

    /// Item 4 of issue 13: the connection keeps its parser between readiness events, so a head
    /// that arrives one byte per event is scanned in O(n) in total, not O(n²) (a new parser per
    /// event would re-scan the head from its start each time: about n²/2 bytes).
    #[test]
    fn a_head_arriving_byte_by_byte_is_scanned_in_linear_work() {
        let ctx = ctx(Config {
            access_log: false,
            ..Config::default()
        });
        let head = long_head();
        let mut conn = Conn::new(Trickle::new(&head), 0);
        take_bytes_scanned();
        for sent in 1..=head.len() {
            conn.stream.released = sent;
            conn = match serve_once(&ctx, conn) {
                HandBack::Idle { conn, .. } => conn,
                _ => panic!("closed after {sent} of {} bytes", head.len()),
            };
        }
        let scanned = take_bytes_scanned();
        assert!(
            conn.stream.output.starts_with(b"HTTP/1.1 200 OK\r\n"),
            "{:?}",
            String::from_utf8_lossy(&conn.stream.output)
        );
        // Each byte is looked at a small, fixed number of times: once while its line is
        // incomplete, once more when the line is read whole.
        assert!(
            scanned <= 3 * head.len(),
            "{scanned} bytes scanned for a {}-byte head sent one byte at a time",
            head.len()
        );
    }

    /// Item 2 of issue 13: a body the route does not need is read and discarded however it is
    /// split across reads (here one byte per readiness event), only the head is kept while the
    /// body streams past, and the pipelined request behind it is answered on the same
    /// connection.
    #[test]
    fn a_body_arriving_in_pieces_is_skipped_and_the_next_request_answered() {
        let ctx = ctx(Config {
            access_log: false,
            ..Config::default()
        });
        let next = b"GET /next HTTP/1.1\r\nHost: t\r\n\r\n";
        let cases: [(&[u8], &[u8]); 2] = [
            (
                b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 300\r\n\r\n",
                &[b'x'; 300],
            ),
            (
                b"GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
                b"5;a=b\r\nhello\r\n100\r\n0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n0\r\nT: v\r\n\r\n",
            ),
        ];
        for (head, body) in cases {
            let input = [head, body, next].concat();
            let mut conn = Conn::new(Trickle::new(&input), 0);
            for sent in 1..=input.len() {
                conn.stream.released = sent;
                conn = match serve_once(&ctx, conn) {
                    HandBack::Idle { conn, .. } => conn,
                    _ => panic!("closed after {sent} bytes"),
                };
                assert!(
                    conn.pending.len() <= head.len().max(next.len()),
                    "{} bytes kept: the body is discarded as it arrives",
                    conn.pending.len()
                );
            }
            let output = String::from_utf8_lossy(&conn.stream.output).into_owned();
            let statuses: Vec<&str> = output
                .match_indices("HTTP/1.1 ")
                .map(|(at, _)| &output[at + 9..at + 12])
                .collect();
            let first = if head.starts_with(b"POST") {
                "405"
            } else {
                "200"
            };
            assert_eq!(statuses, [first, "404"], "{output}");
            assert!(!output.contains("Connection: close"), "{output}");
        }
    }
}
