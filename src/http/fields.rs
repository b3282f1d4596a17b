//! Header field lines (RFC 9112 §5): each read in one pass, and what the ones the parser acts
//! on say about the request.
//!
//! [`scan_field_line`] validates a line and finds its end at once; [`FieldFacts`] records, line
//! by line, the fields whose meaning is judged when the head is complete (Host, Connection,
//! Expect, and through [`Framing`] Content-Length and Transfer-Encoding).

use std::ops::Range;

use super::error::ParseErrorKind;
use super::framing::Framing;
use super::syntax::{
    find_field_value_end, is_ows, list_elements, token_eq_lower, token_prefix_len, trim_ows_range,
};

/// One header line read in a single pass, or why it can't be (yet).
#[derive(Debug, PartialEq, Eq)]
pub(super) enum LineScan {
    /// A valid `name: value` line; the next line starts at `next`.
    Field {
        name: Range<usize>,
        value: Range<usize>,
        next: usize,
    },
    /// The empty line ending the head, which ends at `next`.
    EndOfHead { next: usize },
    /// The line is invalid because of the byte at `at`, provided the line is complete.
    Defect { kind: ParseErrorKind, at: usize },
    /// The window ended before the line's LF.
    Incomplete,
}

/// A well-formed header line read by [`scan_valid_field_line`], as offsets into the buffer.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ValidField<'b> {
    pub(super) name: &'b [u8],
    /// The value as a range of the buffer, still with the whitespace around it:
    /// [`FieldFacts::record`] trims it for the few fields it reads, and no other line pays.
    pub(super) value: Range<usize>,
    /// Where the next line starts.
    pub(super) next: usize,
}

/// Reads a well-formed header line starting at `start` in `window` in one pass: a token name,
/// `:`, a value without HTAB or any other control byte, then CRLF or LF.
///
/// `None` for anything else (the empty line ending the head, an incomplete line, a value with
/// HTAB, any defect): [`scan_field_line`] then reads that line exactly. On every line this
/// accepts, both agree (same name, value and end): the hot path of a head, so it does no more
/// than that (no line-state enum, no second look at a byte).
#[inline(always)]
pub(super) fn scan_valid_field_line(window: &[u8], start: usize) -> Option<ValidField<'_>> {
    let line = window.get(start..)?;
    let colon = token_prefix_len(line);
    let (name, [b':', ..]) = line.split_at_checked(colon)? else {
        return None;
    };
    if name.is_empty() {
        return None;
    }
    // Spaces around the value are field-value bytes to this scan; an HTAB anywhere stops it.
    let stop = find_field_value_end(line, colon + 1, line.len())?;
    let next = match (line.get(stop), line.get(stop + 1)) {
        (Some(b'\r'), Some(b'\n')) => stop + 2,
        (Some(b'\n'), _) => stop + 1,
        // An HTAB, a bare CR, another control byte, or not there yet.
        _ => return None,
    };
    Some(ValidField {
        name,
        value: start + colon + 1..start + stop,
        next: start + next,
    })
}

/// Reads the header line starting at `start`, looking no further than `end`.
#[inline]
pub(super) fn scan_field_line(buf: &[u8], start: usize, end: usize) -> LineScan {
    let window = buf.get(..end).unwrap_or(buf);
    let defect = |kind, at| LineScan::Defect { kind, at };
    let Some(&first) = window.get(start) else {
        return LineScan::Incomplete;
    };
    match (first, window.get(start + 1)) {
        (b'\n', _) => return LineScan::EndOfHead { next: start + 1 },
        (b'\r', None) => return LineScan::Incomplete,
        (b'\r', Some(b'\n')) => return LineScan::EndOfHead { next: start + 2 },
        (b'\r', Some(_)) => return defect(ParseErrorKind::BareCr, start),
        // RFC 9112 §5.2: obs-fold in a request is refused (400).
        (b' ' | b'\t', _) => return defect(ParseErrorKind::ObsFold, start),
        _ => {}
    }

    let colon = start + token_prefix_len(window.get(start..).unwrap_or_default());
    match window.get(colon) {
        None => return LineScan::Incomplete,
        Some(b':') if colon > start => {}
        Some(b' ' | b'\t') if colon > start => {
            // RFC 9112 §5.1: whitespace between name and colon is refused (400); whitespace
            // followed by anything else is simply a bad name.
            let after = window.get(colon..).unwrap_or_default();
            return match after.iter().find(|&&b| !is_ows(b)) {
                None => LineScan::Incomplete,
                Some(b':') => defect(ParseErrorKind::WhitespaceBeforeColon, colon),
                Some(_) => defect(ParseErrorKind::InvalidHeaderName, colon),
            };
        }
        Some(b'\n') => return defect(ParseErrorKind::MissingColon, colon),
        Some(b'\r') => {
            return match window.get(colon + 1) {
                None => LineScan::Incomplete,
                Some(b'\n') => defect(ParseErrorKind::MissingColon, colon),
                Some(_) => defect(ParseErrorKind::BareCr, colon),
            }
        }
        _ => return defect(ParseErrorKind::InvalidHeaderName, colon),
    }

    let value_start = colon
        + 1
        + window
            .get(colon + 1..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&b| is_ows(b))
            .count();
    let mut from = value_start;
    let (content_end, next) = loop {
        let Some(stop) = find_field_value_end(window, from, window.len()) else {
            return LineScan::Incomplete;
        };
        match (window.get(stop), window.get(stop + 1)) {
            (Some(b'\t'), _) => from = stop + 1,
            (Some(b'\n'), _) => break (stop, stop + 1),
            (Some(b'\r'), None) => return LineScan::Incomplete,
            (Some(b'\r'), Some(b'\n')) => break (stop, stop + 2),
            (Some(b'\r'), Some(_)) => return defect(ParseErrorKind::BareCr, stop),
            _ => return defect(ParseErrorKind::InvalidHeaderValue, stop),
        }
    };
    let value = window.get(value_start..content_end).unwrap_or_default();
    let trailing_ows = value.iter().rev().take_while(|&&b| is_ows(b)).count();
    let value_end = content_end - trailing_ows;
    LineScan::Field {
        name: start..colon,
        value: value_start..value_end,
        next,
    }
}

/// What the header lines said about framing, host and connection, gathered line by line.
#[derive(Clone, Debug, Default)]
pub(super) struct FieldFacts {
    pub(super) host_count: usize,
    /// The first Host value, as a range of the buffer.
    pub(super) host_value: Option<Range<usize>>,
    pub(super) connection_close: bool,
    pub(super) connection_keep_alive: bool,
    pub(super) expect_continue: bool,
    /// What Content-Length and Transfer-Encoding said.
    pub(super) framing: Framing,
}

impl FieldFacts {
    /// Records what one header line (its name, a token, and its value as a range of `buf`,
    /// with or without the whitespace around it) means for the request as a whole.
    ///
    /// Inline, and only a look at the name's length and first letter: most headers are none of
    /// the five, and those that might be are compared in full out of line.
    #[inline(always)]
    pub(super) fn record(&mut self, buf: &[u8], name: &[u8], value: Range<usize>) {
        // `| 0x20` lowercases a letter; a non-letter that it maps onto one of these is a miss
        // that `record_known` finds.
        if let (4, Some(b'h'))
        | (6, Some(b'e'))
        | (10, Some(b'c'))
        | (14, Some(b'c'))
        | (17, Some(b't')) = (name.len(), name.first().map(|&b| b | 0x20))
        {
            self.record_known(buf, name, value);
        }
    }

    /// The work of [`record`](Self::record) for a name that may be one of the five.
    #[inline(never)]
    fn record_known(&mut self, buf: &[u8], name: &[u8], value_range: Range<usize>) {
        let value_range = trim_ows_range(buf, value_range);
        let value = || buf.get(value_range.clone()).unwrap_or_default();
        match (name.len(), name.first().map(u8::to_ascii_lowercase)) {
            (4, Some(b'h')) if token_eq_lower(name, b"host") => {
                self.host_count += 1;
                self.host_value.get_or_insert(value_range);
            }
            (6, Some(b'e')) if token_eq_lower(name, b"expect") => {
                self.expect_continue |= list_elements(value())
                    .any(|expectation| expectation.eq_ignore_ascii_case(b"100-continue"));
            }
            (10, Some(b'c')) if token_eq_lower(name, b"connection") => {
                for option in list_elements(value()) {
                    self.connection_close |= option.eq_ignore_ascii_case(b"close");
                    self.connection_keep_alive |= option.eq_ignore_ascii_case(b"keep-alive");
                }
            }
            (14, Some(b'c')) if token_eq_lower(name, b"content-length") => {
                self.framing.record_content_length(buf, value_range)
            }
            (17, Some(b't')) if token_eq_lower(name, b"transfer-encoding") => {
                self.framing.record_transfer_encoding(value())
            }
            _ => {}
        }
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::http::test_support::{assert_refusals, complete, parse};

    #[test]
    fn header_line_defects() {
        let cases: [(&[u8], ParseErrorKind); 7] = [
            (b"Host : h\r\n", ParseErrorKind::WhitespaceBeforeColon),
            (b"Ho st: h\r\n", ParseErrorKind::InvalidHeaderName),
            (b": h\r\n", ParseErrorKind::InvalidHeaderName),
            (b"Host\r\n", ParseErrorKind::MissingColon),
            (b" folded\r\n", ParseErrorKind::ObsFold),
            (b"X: a\x00b\r\n", ParseErrorKind::InvalidHeaderValue),
            (b"X: a\x7f\r\n", ParseErrorKind::InvalidHeaderValue),
        ];
        assert_refusals(cases, |line| {
            let head = [b"GET / HTTP/1.1\r\nHost: h\r\n", line, b"\r\n"].concat();
            parse(&head).map(|_| ())
        });
    }

    #[test]
    fn connection_and_expect() {
        let req = complete(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Keep-Alive, CLOSE\r\n\r\n");
        assert!(!req.keep_alive());
        let req = complete(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assert!(req.keep_alive());
        assert!(!complete(b"GET / HTTP/1.0\r\n\r\n").keep_alive());
        let req = complete(b"PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n\r\n");
        assert!(req.expect_continue());
        let req = complete(b"PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n");
        assert!(!req.expect_continue());
    }
}
