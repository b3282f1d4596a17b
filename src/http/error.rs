//! Why a request was refused, and the status code that says so.
//!
//! Every failure of the parser, the chunked decoder and the path resolver is one
//! [`ParseErrorKind`], carried by a [`ParseError`]; each kind maps to exactly one status code and
//! one short reason. The server writes that status, then closes the connection: after a framing
//! error nothing that follows can be trusted to start a new request (RFC 9112 §9.6, §11.2).
//!
//! The kind is named for the parse error it belongs to, so that it reads apart from
//! `std::io::ErrorKind`, which the server code uses alongside it.

use std::fmt;

/// What was wrong with a request; each kind has one [`status`](ParseErrorKind::status).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParseErrorKind {
    // ----- 400: the request line -----
    /// The request line is empty or has no space at all.
    MalformedRequestLine,
    /// The method is not a token (RFC 9110 §9.1).
    InvalidMethod,
    /// The request-target has a byte outside visible ASCII, or fits none of the four forms.
    InvalidTarget,
    /// The request-target contains whitespace.
    WhitespaceInTarget,
    /// The target's form is not allowed with this method (`*` is for OPTIONS only, the
    /// authority-form for CONNECT only, and CONNECT takes nothing else).
    TargetFormMismatch,
    /// An HTTP/0.9-style request line (`GET /`) with no HTTP version.
    MissingVersion,
    /// The version is not exactly `HTTP/<digit>.<digit>`.
    InvalidVersion,
    /// A CR that is not immediately followed by LF (RFC 9112 §2.2).
    BareCr,

    // ----- 400: header fields -----
    /// A header name is empty or not a token.
    InvalidHeaderName,
    /// Whitespace between a header name and its colon (RFC 9112 §5.1).
    WhitespaceBeforeColon,
    /// A header line without a colon.
    MissingColon,
    /// A header value contains a control character (NUL, DEL, ...).
    InvalidHeaderValue,
    /// A header line starting with whitespace: obsolete line folding (RFC 9112 §5.2).
    ObsFold,
    /// An HTTP/1.1 request without a Host header (RFC 9112 §3.2).
    MissingHost,
    /// More than one Host header line (RFC 9112 §3.2).
    DuplicateHost,
    /// A Host header (or absolute-form authority) that is not `uri-host [ ":" port ]`, or a Host
    /// header with an empty host when the target does not name one (RFC 9112 §3.2).
    InvalidHost,

    // ----- 400: message framing -----
    /// A Content-Length that is not a list of identical decimal numbers (RFC 9112 §6.3).
    InvalidContentLength,
    /// Content-Length header lines with different values.
    ConflictingContentLength,
    /// Both Content-Length and Transfer-Encoding: a smuggling vector (RFC 9112 §6.1).
    ContentLengthWithTransferEncoding,
    /// A Transfer-Encoding whose final coding is not `chunked`, that applies `chunked` twice, or
    /// in an HTTP/1.0 request (RFC 9112 §6.1, §6.3).
    InvalidTransferEncoding,
    /// A chunk-size line that is not hex digits with optional extensions.
    InvalidChunkSize,
    /// Chunk data not followed by CRLF.
    InvalidChunkData,
    /// A malformed trailer line after the last chunk.
    InvalidTrailer,

    // ----- 400: path (static files) -----
    /// A `%` not followed by two hex digits.
    InvalidPercentEncoding,
    /// A NUL byte (`%00`) in the path.
    NulInPath,
    /// `%2F` inside a path segment: it would change which directory is meant.
    EncodedSlash,
    /// A backslash (raw or `%5C`): a path separator on some platforms.
    BackslashInPath,
    /// More `..` segments than the path has directories.
    PathAboveRoot,
    /// Not an absolute, UTF-8 path of plain file names.
    InvalidPath,

    // ----- 413, 414, 431: limits -----
    /// The body (Content-Length or decoded chunks) exceeds the configured limit.
    BodyTooLarge,
    /// The request line exceeds the configured limit.
    RequestLineTooLong,
    /// The request head exceeds the configured limit.
    HeadTooLarge,
    /// More header lines than the configured limit.
    TooManyHeaders,
    /// The trailer section of a chunked body exceeds its limit.
    TrailersTooLarge,

    // ----- 501, 505: valid but not supported here -----
    /// A well-formed method this server does not implement (methods are case-sensitive).
    UnknownMethod,
    /// CONNECT with an authority-form target: webpool is not a tunnel.
    ConnectNotSupported,
    /// A transfer coding other than `chunked`.
    UnsupportedTransferCoding,
    /// An HTTP major version other than 1.
    UnsupportedVersion,
}

impl ParseErrorKind {
    /// The response status code for this kind: 400, 413, 414, 431, 501 or 505.
    pub const fn status(self) -> u16 {
        use ParseErrorKind::*;
        match self {
            MalformedRequestLine
            | InvalidMethod
            | InvalidTarget
            | WhitespaceInTarget
            | TargetFormMismatch
            | MissingVersion
            | InvalidVersion
            | BareCr
            | InvalidHeaderName
            | WhitespaceBeforeColon
            | MissingColon
            | InvalidHeaderValue
            | ObsFold
            | MissingHost
            | DuplicateHost
            | InvalidHost
            | InvalidContentLength
            | ConflictingContentLength
            | ContentLengthWithTransferEncoding
            | InvalidTransferEncoding
            | InvalidChunkSize
            | InvalidChunkData
            | InvalidTrailer
            | InvalidPercentEncoding
            | NulInPath
            | EncodedSlash
            | BackslashInPath
            | PathAboveRoot
            | InvalidPath => 400,
            BodyTooLarge => 413,
            RequestLineTooLong => 414,
            HeadTooLarge | TooManyHeaders | TrailersTooLarge => 431,
            UnknownMethod | ConnectNotSupported | UnsupportedTransferCoding => 501,
            UnsupportedVersion => 505,
        }
    }

    /// A short, human-readable reason, e.g. `"whitespace between header name and colon"`.
    pub const fn reason(self) -> &'static str {
        use ParseErrorKind::*;
        match self {
            MalformedRequestLine => "malformed request line",
            InvalidMethod => "method is not a token",
            InvalidTarget => "invalid request target",
            WhitespaceInTarget => "whitespace in request target",
            TargetFormMismatch => "request target form not allowed for this method",
            MissingVersion => "missing HTTP version",
            InvalidVersion => "malformed HTTP version",
            BareCr => "CR not followed by LF",
            InvalidHeaderName => "invalid header name",
            WhitespaceBeforeColon => "whitespace between header name and colon",
            MissingColon => "header line without colon",
            InvalidHeaderValue => "control character in header value",
            ObsFold => "obsolete line folding",
            MissingHost => "missing Host header",
            DuplicateHost => "more than one Host header",
            InvalidHost => "invalid Host",
            InvalidContentLength => "invalid Content-Length",
            ConflictingContentLength => "conflicting Content-Length values",
            ContentLengthWithTransferEncoding => "both Content-Length and Transfer-Encoding",
            InvalidTransferEncoding => "invalid Transfer-Encoding",
            InvalidChunkSize => "invalid chunk size line",
            InvalidChunkData => "chunk data not followed by CRLF",
            InvalidTrailer => "invalid trailer line",
            InvalidPercentEncoding => "invalid percent-encoding in path",
            NulInPath => "NUL byte in path",
            EncodedSlash => "encoded slash in path segment",
            BackslashInPath => "backslash in path",
            PathAboveRoot => "path climbs above the root",
            InvalidPath => "not an absolute UTF-8 file path",
            BodyTooLarge => "request body too large",
            RequestLineTooLong => "request line too long",
            HeadTooLarge => "request head too large",
            TooManyHeaders => "too many header lines",
            TrailersTooLarge => "trailer section too large",
            UnknownMethod => "method not implemented",
            ConnectNotSupported => "CONNECT not supported",
            UnsupportedTransferCoding => "transfer coding not implemented",
            UnsupportedVersion => "HTTP version not supported",
        }
    }
}

/// A refused request: the [`ParseErrorKind`], and through it the status code and reason to send.
///
/// ```
/// use webpool::http::error::{ParseErrorKind, ParseError};
///
/// let err = ParseError::from(ParseErrorKind::WhitespaceBeforeColon);
/// assert_eq!(err.status(), 400);
/// assert_eq!(err.to_string(), "400 Bad Request: whitespace between header name and colon");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParseError {
    kind: ParseErrorKind,
}

impl ParseError {
    /// The status code to respond with (400, 413, 414, 431, 501 or 505).
    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    /// A short, human-readable reason, e.g. `"whitespace between header name and colon"`.
    pub fn reason(&self) -> &'static str {
        self.kind.reason()
    }

    /// Which rule the request broke.
    pub fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// The standard reason phrase of [`status`](Self::status), e.g. `"Bad Request"`.
    pub fn status_text(&self) -> &'static str {
        match self.status() {
            413 => "Content Too Large",
            414 => "URI Too Long",
            431 => "Request Header Fields Too Large",
            501 => "Not Implemented",
            505 => "HTTP Version Not Supported",
            _ => "Bad Request",
        }
    }
}

impl From<ParseErrorKind> for ParseError {
    fn from(kind: ParseErrorKind) -> Self {
        ParseError { kind }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status(),
            self.status_text(),
            self.reason()
        )
    }
}

impl std::error::Error for ParseError {}
