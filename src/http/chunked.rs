//! The chunked transfer coding (RFC 9112 §7.1), decoded incrementally.
//!
//! [`ChunkedDecoder`] is a byte-level state machine: feed it whatever arrived, in any pieces,
//! and it appends the chunk data to an output buffer. It stops right after the final empty line,
//! so the bytes of a pipelined request that follows are never consumed. Chunk extensions are
//! skipped, trailer fields are checked for syntax and discarded, and the decoded size is held
//! to a limit as soon as each chunk size's digits are in, so a huge chunk size is refused before
//! any of its data. A size that does not fit in 64 bits is malformed (400), not merely too
//! large (413). A body nobody needs can be [skipped](ChunkedDecoder::skip) without copying it.

use super::error::{ParseError, ParseErrorKind};
use super::syntax::{hex_value, is_field_value_byte, is_ows, is_token_byte};

/// Longest chunk-size line (size and extensions) accepted; longer → 400.
pub const MAX_CHUNK_LINE: usize = 4 * 1024;

/// Largest trailer section (after the last chunk) accepted; larger → 431.
pub const MAX_TRAILER_BYTES: usize = 16 * 1024;

/// How far one [`ChunkedDecoder::decode`] call got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of the input that were consumed; the caller drops them before the next call.
    pub consumed: usize,
    /// `true` once the final empty line has been consumed: the body is complete.
    pub done: bool,
}

/// Where the decoder is in the chunked grammar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Reading the hex digits of a chunk size (`digits` so far).
    Size { size: u64, digits: usize },
    /// Whitespace after the size, which must lead to an extension (`BWS ";"`).
    SizeSpace { size: u64 },
    /// Inside chunk extensions, skipped up to the line end.
    Extension { size: u64 },
    /// After the CR ending a chunk-size line.
    SizeLf { size: u64 },
    /// Copying chunk data.
    Data { remaining: u64 },
    /// After chunk data: CRLF (or LF) must follow.
    DataEnd,
    /// After chunk data and a CR.
    DataLf,
    /// At the start of a trailer line, or of the final empty line.
    TrailerStart,
    /// In a trailer field name.
    TrailerName,
    /// In a trailer field value.
    TrailerValue,
    /// After a CR ending a trailer line.
    TrailerLf,
    /// After the CR of the final empty line.
    FinalLf,
    /// The body is complete.
    Done,
    /// A previous call failed; every later call fails the same way.
    Failed(ParseErrorKind),
}

/// An incremental decoder for one chunked body.
///
/// ```
/// use webpool::http::chunked::ChunkedDecoder;
///
/// let mut decoder = ChunkedDecoder::new(1024);
/// let mut body = Vec::new();
/// let first = decoder.decode(b"5;ext=1\r\nhel", &mut body).unwrap();
/// assert_eq!((first.consumed, first.done), (12, false));
/// let rest = decoder.decode(b"lo\r\n0\r\nTrailer: x\r\n\r\nGET /next", &mut body).unwrap();
/// assert_eq!((rest.consumed, rest.done), (21, true));
/// assert_eq!(body, b"hello");
/// ```
#[derive(Clone, Debug)]
pub struct ChunkedDecoder {
    state: State,
    max_body: u64,
    /// Data bytes announced by the chunk sizes read so far.
    announced: u64,
    /// Bytes of the current chunk-size line.
    line_len: usize,
    trailer_len: usize,
}

impl ChunkedDecoder {
    /// A decoder that refuses (413) a body whose decoded size would exceed `max_body`.
    pub fn new(max_body: u64) -> Self {
        ChunkedDecoder {
            state: State::Size { size: 0, digits: 0 },
            max_body,
            announced: 0,
            line_len: 0,
            trailer_len: 0,
        }
    }

    /// `true` once the whole body, including trailers, has been decoded.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes as much of `input` as possible, appending chunk data to `out`.
    ///
    /// Consumes nothing after the end of the body. The same bytes give the same output and the
    /// same error however they are split across calls.
    ///
    /// # Errors
    ///
    /// 413 ([`ParseErrorKind::BodyTooLarge`]) as soon as the chunk sizes add up to more than the
    /// limit (checked when a size's last digit is followed by `;`, whitespace or the line end);
    /// 400 for a malformed size line (including a size beyond 64 bits), chunk end or trailer;
    /// 431 for an oversized trailer section. After an error every later call returns the same
    /// error.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<Progress, ParseError> {
        self.run(input, Some(out))
    }

    /// Like [`decode`](Self::decode), but throws the chunk data away instead of copying it:
    /// for a body the server reads only to find where the next request starts.
    ///
    /// # Errors
    ///
    /// The same as [`decode`](Self::decode).
    pub fn skip(&mut self, input: &[u8]) -> Result<Progress, ParseError> {
        self.run(input, None)
    }

    /// Decodes `input`, appending chunk data to `out` if there is one.
    fn run(&mut self, input: &[u8], mut out: Option<&mut Vec<u8>>) -> Result<Progress, ParseError> {
        let mut pos = 0;
        while pos < input.len() && self.state != State::Done {
            if let State::Data { remaining } = self.state {
                let available = input.len() - pos;
                let take = usize::try_from(remaining).map_or(available, |r| r.min(available));
                if let Some(out) = out.as_deref_mut() {
                    out.extend_from_slice(input.get(pos..pos + take).unwrap_or_default());
                }
                pos += take;
                let remaining = remaining - take as u64;
                self.state = if remaining == 0 {
                    State::DataEnd
                } else {
                    State::Data { remaining }
                };
                continue;
            }
            let Some(&byte) = input.get(pos) else { break };
            match self.step(byte) {
                Ok(State::Done) => {
                    self.state = State::Done;
                    return Ok(Progress {
                        consumed: pos + 1,
                        done: true,
                    });
                }
                Ok(next) => self.state = next,
                Err(kind) => {
                    self.state = State::Failed(kind);
                    return Err(kind.into());
                }
            }
            pos += 1;
        }
        match self.state {
            State::Failed(kind) => Err(kind.into()),
            state => Ok(Progress {
                consumed: pos,
                done: state == State::Done,
            }),
        }
    }

    /// The state after one byte outside chunk data.
    fn step(&mut self, byte: u8) -> Result<State, ParseErrorKind> {
        use State::*;
        let in_size_line = matches!(
            self.state,
            Size { .. } | SizeSpace { .. } | Extension { .. } | SizeLf { .. }
        );
        if in_size_line {
            self.line_len += 1;
            if self.line_len > MAX_CHUNK_LINE {
                return Err(ParseErrorKind::InvalidChunkSize);
            }
        }
        let in_trailers = matches!(
            self.state,
            TrailerStart | TrailerName | TrailerValue | TrailerLf | FinalLf
        );
        if in_trailers {
            self.trailer_len += 1;
            if self.trailer_len > MAX_TRAILER_BYTES {
                return Err(ParseErrorKind::TrailersTooLarge);
            }
        }

        if let Size { size, digits: 1.. } = self.state {
            // The size's digits are all in once one of the bytes that may follow them comes:
            // judge the size against the limit now, before any of its data.
            let ends_size = matches!(byte, b';' | b'\r' | b'\n') || is_ows(byte);
            if ends_size && size > self.max_body - self.announced {
                return Err(ParseErrorKind::BodyTooLarge);
            }
        }

        let invalid_size = Err(ParseErrorKind::InvalidChunkSize);
        let invalid_trailer = Err(ParseErrorKind::InvalidTrailer);
        match (self.state, byte) {
            (Size { size, digits }, _) if hex_value(byte).is_some() => {
                let digit = hex_value(byte).map_or(0, u64::from);
                // No size beyond 64 bits exists: such a line is malformed, whatever the limit.
                let size = size
                    .checked_mul(16)
                    .and_then(|s| s.checked_add(digit))
                    .ok_or(ParseErrorKind::InvalidChunkSize)?;
                Ok(Size {
                    size,
                    digits: digits + 1,
                })
            }
            (Size { digits: 0, .. }, _) => invalid_size,
            (Size { size, .. } | SizeSpace { size }, b';') => Ok(Extension { size }),
            (Size { size, .. } | SizeSpace { size }, _) if is_ows(byte) => Ok(SizeSpace { size }),
            (Size { size, .. } | Extension { size }, b'\r') => Ok(SizeLf { size }),
            (Size { size, .. } | Extension { size } | SizeLf { size }, b'\n') => {
                Ok(self.start_chunk(size))
            }
            (Extension { size }, _) if is_field_value_byte(byte) => Ok(Extension { size }),
            (Size { .. } | SizeSpace { .. } | Extension { .. } | SizeLf { .. }, _) => invalid_size,

            (DataEnd, b'\r') => Ok(DataLf),
            (DataEnd | DataLf, b'\n') => Ok(Size { size: 0, digits: 0 }),
            (DataEnd | DataLf, _) => Err(ParseErrorKind::InvalidChunkData),

            (TrailerStart, b'\r') => Ok(FinalLf),
            (TrailerStart | FinalLf, b'\n') => Ok(Done),
            (TrailerStart | TrailerName, _) if is_token_byte(byte) => Ok(TrailerName),
            (TrailerName, b':') => Ok(TrailerValue),
            (TrailerValue, b'\r') => Ok(TrailerLf),
            (TrailerValue | TrailerLf, b'\n') => Ok(TrailerStart),
            (TrailerValue, _) if is_field_value_byte(byte) => Ok(TrailerValue),
            (TrailerStart | TrailerName | TrailerValue | TrailerLf | FinalLf, _) => invalid_trailer,

            (Data { .. }, _) => Ok(self.state), // handled in bulk by `decode`
            (Done, _) => Ok(Done),
            (Failed(kind), _) => Err(kind),
        }
    }

    /// The state after a complete chunk-size line announcing `size` bytes.
    fn start_chunk(&mut self, size: u64) -> State {
        self.line_len = 0;
        // `size <= max_body - announced` was checked when the size's digits ended.
        self.announced += size;
        if size == 0 {
            State::TrailerStart
        } else {
            State::Data { remaining: size }
        }
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::http::test_support::{assert_all, assert_refusals};

    fn decode_all(input: &[u8], max_body: u64) -> Result<(Vec<u8>, Progress), ParseErrorKind> {
        let mut decoder = ChunkedDecoder::new(max_body);
        let mut out = Vec::new();
        let progress = decoder.decode(input, &mut out).map_err(|e| e.kind())?;
        Ok((out, progress))
    }

    #[test]
    fn decodes_chunks_extensions_and_trailers() {
        let input = b"4\r\nWiki\r\n5 ; name=\"va;l\"\r\npedia\r\nE\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\nX:\r\n\r\nNEXT";
        let (out, progress) = decode_all(input, 1024).unwrap();
        assert_eq!(out, b"Wikipedia in\r\n\r\nchunks.");
        assert_eq!(progress.consumed, input.len() - 4);
        assert!(progress.done);
    }

    #[test]
    fn one_byte_at_a_time_gives_the_same_body() {
        let input = b"3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
        let mut decoder = ChunkedDecoder::new(100);
        let mut out = Vec::new();
        for (i, byte) in input.iter().enumerate() {
            let progress = decoder
                .decode(std::slice::from_ref(byte), &mut out)
                .unwrap();
            assert_eq!(progress.consumed, 1);
            assert_eq!(progress.done, i == input.len() - 1);
        }
        assert_eq!(out, b"abc0123456789abcdef");
        assert!(decoder.is_done());
        // Nothing more is consumed once done.
        let after = decoder.decode(b"more", &mut out).unwrap();
        assert_eq!((after.consumed, after.done), (0, true));
    }

    #[test]
    fn malformed_chunks_are_refused() {
        let cases: [(&[u8], ParseErrorKind); 11] = [
            (b"\r\n", ParseErrorKind::InvalidChunkSize),
            (b"-1\r\n", ParseErrorKind::InvalidChunkSize),
            (b"0x5\r\n", ParseErrorKind::InvalidChunkSize),
            (b"5 \r\nhello\r\n", ParseErrorKind::InvalidChunkSize),
            (b"5\rhello", ParseErrorKind::InvalidChunkSize),
            (b"5;a\x00\r\n", ParseErrorKind::InvalidChunkSize),
            (b"3\r\nabcd\r\n", ParseErrorKind::InvalidChunkData),
            (b"3\r\nabc\rX", ParseErrorKind::InvalidChunkData),
            (b"0\r\n folded: x\r\n\r\n", ParseErrorKind::InvalidTrailer),
            (b"0\r\nNo colon\r\n\r\n", ParseErrorKind::InvalidTrailer),
            (b"0\r\n\rX", ParseErrorKind::InvalidTrailer),
        ];
        assert_refusals(cases, |input| decode_all(input, 100));
    }

    #[test]
    fn sizes_beyond_the_limit_are_refused_before_the_data() {
        assert_eq!(decode_all(b"b\r\n", 10), Err(ParseErrorKind::BodyTooLarge));
        assert!(decode_all(b"a\r\n0123456789\r\n0\r\n\r\n", 10).is_ok());
        assert_eq!(
            decode_all(b"6\r\nabcdef\r\n5\r\n", 10),
            Err(ParseErrorKind::BodyTooLarge)
        );
        // A size is refused for the limit once all its digits are in, before any data.
        assert_eq!(
            decode_all(b"200000", 1 << 20),
            Ok((
                Vec::new(),
                Progress {
                    consumed: 6,
                    done: false
                }
            ))
        );
        assert_eq!(
            decode_all(b"200000\r", 1 << 20),
            Err(ParseErrorKind::BodyTooLarge)
        );
        assert_eq!(
            decode_all(b"200000;x", 1 << 20),
            Err(ParseErrorKind::BodyTooLarge)
        );
        // Leading zeros are harmless, up to the line limit.
        assert!(decode_all(b"0000000001\r\nx\r\n0\r\n\r\n", 1).is_ok());
        let zeros = vec![b'0'; MAX_CHUNK_LINE + 1];
        assert_eq!(decode_all(&zeros, 1), Err(ParseErrorKind::InvalidChunkSize));
    }

    #[test]
    fn a_size_that_overflows_64_bits_is_malformed_whatever_the_limit() {
        // 2^64, and longer: no such size exists, so the line is malformed (400, as nginx
        // answers), not merely too large (413).
        let huge = [
            &b"10000000000000000\r\n"[..],
            b"fffffffffffffffffffffffffffff\r\n",
            b"00000000010000000000000000\r\n",
        ];
        for limit in [10, 1 << 20, u64::MAX] {
            let invalid = Err(ParseErrorKind::InvalidChunkSize);
            assert_all(huge, invalid, |size_line| decode_all(size_line, limit));
        }
        // The largest 64-bit size is well-formed, and too large.
        let max = b"ffffffffffffffff\r\n";
        assert_eq!(decode_all(max, 1 << 20), Err(ParseErrorKind::BodyTooLarge));
    }

    #[test]
    fn trailer_section_is_bounded() {
        let mut input = b"0\r\nX: ".to_vec();
        input.resize(MAX_TRAILER_BYTES + 10, b'a');
        assert_eq!(
            decode_all(&input, 10),
            Err(ParseErrorKind::TrailersTooLarge)
        );
    }

    #[test]
    fn errors_are_sticky() {
        let mut decoder = ChunkedDecoder::new(10);
        let mut out = Vec::new();
        let first = decoder.decode(b"z", &mut out).unwrap_err();
        let again = decoder.decode(b"0\r\n\r\n", &mut out).unwrap_err();
        assert_eq!(first, again);
    }
}
