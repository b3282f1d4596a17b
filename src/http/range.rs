//! The `Range` request header (RFC 9110 §14), for single byte ranges.
//!
//! A server may ignore a Range header (RFC 9110 §14.2), and webpool does whenever the header is
//! anything but one byte range: multiple ranges, another unit, or invalid syntax all mean "send
//! the whole representation". Numbers of any length are handled without overflow.

use super::syntax::{cmp_decimal, list_elements, parse_decimal_saturating};

/// What to send for a request with a Range header, for a representation of known length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RangeRequest {
    /// Ignore the header and send everything (200).
    Full,
    /// Send bytes `start..=end` (206); `start <= end < length`.
    Partial {
        /// First byte to send.
        start: u64,
        /// Last byte to send (inclusive).
        end: u64,
    },
    /// A valid range that no byte satisfies (416).
    Unsatisfiable,
}

/// Interprets a Range header value against a representation of `len` bytes.
///
/// ```
/// use webpool::http::range::{parse_range, RangeRequest};
///
/// assert_eq!(parse_range(b"bytes=0-99", 1000), RangeRequest::Partial { start: 0, end: 99 });
/// assert_eq!(parse_range(b"bytes=900-", 1000), RangeRequest::Partial { start: 900, end: 999 });
/// assert_eq!(parse_range(b"bytes=-100", 1000), RangeRequest::Partial { start: 900, end: 999 });
/// assert_eq!(parse_range(b"bytes=1000-", 1000), RangeRequest::Unsatisfiable);
/// assert_eq!(parse_range(b"bytes=0-1,5-6", 1000), RangeRequest::Full);
/// assert_eq!(parse_range(b"lines=1-2", 1000), RangeRequest::Full);
/// ```
///
/// A suffix range of an empty representation would be satisfiable (RFC 9110 §14.1.1) but has no
/// byte to send, so it gives `Full`: the whole, empty, representation.
pub fn parse_range(header_value: &[u8], len: u64) -> RangeRequest {
    let Some(eq) = header_value.iter().position(|&b| b == b'=') else {
        return RangeRequest::Full;
    };
    let (unit, range_set) = header_value.split_at(eq);
    if !unit.eq_ignore_ascii_case(b"bytes") {
        return RangeRequest::Full;
    }
    let mut specs = list_elements(range_set.get(1..).unwrap_or_default());
    let (Some(spec), None) = (specs.next(), specs.next()) else {
        return RangeRequest::Full;
    };
    let Some(dash) = spec.iter().position(|&b| b == b'-') else {
        return RangeRequest::Full;
    };
    let (first, last) = (
        spec.get(..dash).unwrap_or_default(),
        spec.get(dash + 1..).unwrap_or_default(),
    );
    let is_digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    if !is_digits(first) || !is_digits(last) {
        return RangeRequest::Full;
    }
    match (
        parse_decimal_saturating(first),
        parse_decimal_saturating(last),
    ) {
        (None, None) => RangeRequest::Full,
        // suffix-range: the last `suffix` bytes.
        (None, Some(0)) => RangeRequest::Unsatisfiable,
        (None, Some(_)) if len == 0 => RangeRequest::Full,
        (None, Some(suffix)) => RangeRequest::Partial {
            start: len.saturating_sub(suffix),
            end: len - 1,
        },
        // int-range: an end before the start makes the whole header invalid.
        (Some(_), Some(_)) if cmp_decimal(last, first).is_lt() => RangeRequest::Full,
        (Some(start), _) if start >= len => RangeRequest::Unsatisfiable,
        (Some(start), end) => RangeRequest::Partial {
            start,
            end: end.map_or(len - 1, |end| end.min(len - 1)),
        },
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::http::test_support::assert_all;
    use RangeRequest::*;

    #[test]
    fn single_ranges() {
        assert_eq!(parse_range(b"bytes=0-0", 10), Partial { start: 0, end: 0 });
        assert_eq!(
            parse_range(b"bytes=2-100", 10),
            Partial { start: 2, end: 9 }
        );
        assert_eq!(parse_range(b"BYTES=2-", 10), Partial { start: 2, end: 9 });
        assert_eq!(parse_range(b"bytes=-3", 10), Partial { start: 7, end: 9 });
        assert_eq!(parse_range(b"bytes=-30", 10), Partial { start: 0, end: 9 });
        assert_eq!(
            parse_range(b"bytes= 1-2 ,", 10),
            Partial { start: 1, end: 2 }
        );
    }

    #[test]
    fn unsatisfiable_ranges() {
        assert_eq!(parse_range(b"bytes=10-", 10), Unsatisfiable);
        assert_eq!(parse_range(b"bytes=10-20", 10), Unsatisfiable);
        assert_eq!(parse_range(b"bytes=-0", 10), Unsatisfiable);
        assert_eq!(parse_range(b"bytes=0-", 0), Unsatisfiable);
        assert_eq!(
            parse_range(b"bytes=99999999999999999999999-", u64::MAX),
            Unsatisfiable
        );
    }

    #[test]
    fn ignored_headers() {
        let ignored = [
            &b""[..],
            b"bytes",
            b"bytes=",
            b"bytes=-",
            b"bytes=5-4",
            b"bytes=a-b",
            b"bytes=1 -2",
            b"bytes=+1-2",
            b"bytes=0-1,2-3",
            b"items=0-1",
            b"bytes =0-1",
            b"bytes=99999999999999999999999-99999999999999999999998",
        ];
        assert_all(ignored, Full, |value| parse_range(value, 10));
        assert_eq!(parse_range(b"bytes=-5", 0), Full);
    }

    #[test]
    fn huge_numbers_clamp_without_overflow() {
        let huge = b"bytes=0-99999999999999999999999999";
        assert_eq!(
            parse_range(huge, u64::MAX),
            Partial {
                start: 0,
                end: u64::MAX - 1
            }
        );
        let suffix = b"bytes=-99999999999999999999999999";
        assert_eq!(parse_range(suffix, 7), Partial { start: 0, end: 6 });
    }
}
