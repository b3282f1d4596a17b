//! Message body framing (RFC 9112 §6): what Content-Length and Transfer-Encoding declare, and
//! the one decision of how the length of the body that follows the head is known.
//!
//! The two headers are recorded line by line ([`Framing::record_content_length`],
//! [`Framing::record_transfer_encoding`]) and judged together once the head is complete
//! ([`Framing::body_kind`]), so that a conflict between them is seen whatever their order.

use std::ops::Range;

use super::error::ParseErrorKind;
use super::request::{BodyKind, Version};
use super::syntax::{cmp_decimal, is_ows, list_elements, parse_decimal_saturating, trim_ows};

/// What the Content-Length and Transfer-Encoding lines said, gathered line by line.
#[derive(Clone, Debug, Default)]
pub(super) struct Framing {
    /// The first Content-Length value's digits, to compare the others against.
    content_length: Option<Range<usize>>,
    content_length_invalid: bool,
    content_length_conflict: bool,
    transfer_encoding: bool,
    chunked_count: usize,
    last_coding_is_chunked: bool,
    unknown_coding: bool,
}

impl Framing {
    /// RFC 9112 §6.3: a list of identical values is that value; anything else is invalid.
    #[inline]
    pub(super) fn record_content_length(&mut self, buf: &[u8], value: Range<usize>) {
        let digits = buf.get(value.clone()).unwrap_or_default();
        if self.content_length.is_none()
            && !digits.is_empty()
            && digits.iter().all(u8::is_ascii_digit)
        {
            // The usual line, one number and the first: what the general case below records.
            self.content_length = Some(value);
            return;
        }
        let mut elements = 0;
        let mut element_start = value.start;
        for element in buf.get(value).unwrap_or_default().split(|&b| b == b',') {
            let leading_ows = element.iter().take_while(|&&b| is_ows(b)).count();
            let digits = trim_ows(element);
            let digits_start = element_start + leading_ows;
            element_start += element.len() + 1;
            if digits.is_empty() {
                continue;
            }
            elements += 1;
            if !digits.iter().all(u8::is_ascii_digit) {
                self.content_length_invalid = true;
            } else if let Some(first) = &self.content_length {
                let first = buf.get(first.clone()).unwrap_or_default();
                self.content_length_conflict |= cmp_decimal(digits, first).is_ne();
            } else {
                self.content_length = Some(digits_start..digits_start + digits.len());
            }
        }
        self.content_length_invalid |= elements == 0;
    }

    /// A Transfer-Encoding line's codings, in order (RFC 9112 §6.1).
    #[inline]
    pub(super) fn record_transfer_encoding(&mut self, value: &[u8]) {
        self.transfer_encoding = true;
        for coding in list_elements(value) {
            let chunked = coding.eq_ignore_ascii_case(b"chunked");
            self.chunked_count += usize::from(chunked);
            self.unknown_coding |= !chunked;
            self.last_coding_is_chunked = chunked;
        }
    }

    /// The body framing these headers declare (RFC 9112 §6.1, §6.3), or why it is refused.
    pub(super) fn body_kind(
        &self,
        buf: &[u8],
        version: Version,
        max_body: u64,
    ) -> Result<BodyKind, ParseErrorKind> {
        let has_length = self.content_length.is_some() || self.content_length_invalid;
        if self.transfer_encoding {
            // Both framings at once is how requests are smuggled past a proxy: refuse it.
            if has_length {
                return Err(ParseErrorKind::ContentLengthWithTransferEncoding);
            }
            // An HTTP/1.0 recipient can't know chunked; a coding after chunked (or chunked
            // twice) leaves the body length undeterminable.
            if version == Version::Http10 || self.chunked_count != 1 || !self.last_coding_is_chunked
            {
                return Err(ParseErrorKind::InvalidTransferEncoding);
            }
            if self.unknown_coding {
                return Err(ParseErrorKind::UnsupportedTransferCoding);
            }
            return Ok(BodyKind::Chunked);
        }
        if self.content_length_invalid {
            return Err(ParseErrorKind::InvalidContentLength);
        }
        if self.content_length_conflict {
            return Err(ParseErrorKind::ConflictingContentLength);
        }
        let Some(digits) = &self.content_length else {
            return Ok(BodyKind::None);
        };
        match parse_decimal_saturating(buf.get(digits.clone()).unwrap_or_default()) {
            Some(length) if length <= max_body => Ok(BodyKind::Length(length)),
            _ => Err(ParseErrorKind::BodyTooLarge),
        }
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::http::test_support::{assert_refusals, parse, parse_whole};

    #[test]
    fn body_framing() {
        let body = |headers: &str| {
            let head = format!("POST / HTTP/1.1\r\nHost: h\r\n{headers}\r\n");
            parse_whole(head.as_bytes()).map(|req| req.body())
        };
        assert_eq!(body(""), Ok(BodyKind::None));
        assert_eq!(body("Content-Length: 0\r\n"), Ok(BodyKind::Length(0)));
        assert_eq!(
            body("Content-Length: 7, 07\r\nContent-Length: 7\r\n"),
            Ok(BodyKind::Length(7))
        );
        assert_eq!(
            body("Transfer-Encoding: Chunked\r\n"),
            Ok(BodyKind::Chunked)
        );
        let errors = [
            (
                "Content-Length: 1, 2\r\n",
                ParseErrorKind::ConflictingContentLength,
            ),
            (
                "Content-Length: 1\r\nContent-Length: 2\r\n",
                ParseErrorKind::ConflictingContentLength,
            ),
            (
                "Content-Length: +1\r\n",
                ParseErrorKind::InvalidContentLength,
            ),
            ("Content-Length:\r\n", ParseErrorKind::InvalidContentLength),
            (
                "Content-Length: 1 2\r\n",
                ParseErrorKind::InvalidContentLength,
            ),
            ("Content-Length: 1048577\r\n", ParseErrorKind::BodyTooLarge),
            (
                "Content-Length: 99999999999999999999999\r\n",
                ParseErrorKind::BodyTooLarge,
            ),
            (
                "Transfer-Encoding: chunked\r\nContent-Length: 1\r\n",
                ParseErrorKind::ContentLengthWithTransferEncoding,
            ),
            (
                "Transfer-Encoding: chunked, gzip\r\n",
                ParseErrorKind::InvalidTransferEncoding,
            ),
            (
                "Transfer-Encoding: chunked, chunked\r\n",
                ParseErrorKind::InvalidTransferEncoding,
            ),
            (
                "Transfer-Encoding:\r\n",
                ParseErrorKind::InvalidTransferEncoding,
            ),
            (
                "Transfer-Encoding: gzip, chunked\r\n",
                ParseErrorKind::UnsupportedTransferCoding,
            ),
        ];
        assert_refusals(errors, body);
        assert_eq!(
            parse(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Err(ParseErrorKind::InvalidTransferEncoding)
        );
    }
}
