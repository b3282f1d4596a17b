//! Properties of the static-file helpers: HTTP dates round-trip in all three formats, Range
//! headers match a model written in wider integers, If-None-Match matches exactly the listed
//! tags, and none of them panics on arbitrary input.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::generators::config;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use webpool::http::date::{format_http_date, parse_http_date, parse_http_date_at, HTTP_DATE_LEN};
use webpool::http::etag::{file_etag, if_none_match};
use webpool::http::mime::{content_type, DEFAULT_CONTENT_TYPE};
use webpool::http::range::{parse_range, RangeRequest};

/// 0000-01-01T00:00:00Z ..= 9999-12-31T23:59:59Z, in seconds from the epoch.
const FIRST: i64 = -62_167_219_200;
const LAST: i64 = 253_402_300_799;

fn time(seconds: i64) -> SystemTime {
    if seconds >= 0 {
        UNIX_EPOCH + Duration::from_secs(seconds as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs())
    }
}

fn seconds() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => 0i64..4_102_444_800, // 1970..2100, where real dates live
        1 => FIRST..=LAST,
    ]
}

/// Rewrites `Sun, 06 Nov 1994 08:49:37 GMT` as RFC 850 and asctime dates.
fn obsolete_forms(imf: &str) -> (String, String) {
    let (day, rest) = imf.split_once(", ").unwrap();
    let [dd, mon, year, time, _gmt]: [&str; 5] =
        rest.split(' ').collect::<Vec<_>>().try_into().unwrap();
    let long_day = match day {
        "Sun" => "Sunday",
        "Mon" => "Monday",
        "Tue" => "Tuesday",
        "Wed" => "Wednesday",
        "Thu" => "Thursday",
        "Fri" => "Friday",
        _ => "Saturday",
    };
    let rfc850 = format!("{long_day}, {dd}-{mon}-{} {time} GMT", &year[2..]);
    let asctime = format!(
        "{day} {mon} {:>2} {time} {year}",
        dd.trim_start_matches('0')
    );
    (rfc850, asctime)
}

proptest! {
    #![proptest_config(config(1000))]

    /// Formatting then parsing gives the same second back, in each of the three formats.
    #[test]
    fn http_dates_round_trip_in_all_formats(seconds in seconds(), nanos in 0u32..1_000_000_000) {
        let t = time(seconds);
        let formatted = format_http_date(t + Duration::from_nanos(u64::from(nanos)));
        prop_assert_eq!(formatted.len(), HTTP_DATE_LEN);
        prop_assert_eq!(parse_http_date(&formatted), Some(t));
        let (rfc850, asctime) = obsolete_forms(&formatted);
        // A two-digit year is read as the one within 50 years of "now": use `t` as now.
        prop_assert_eq!(parse_http_date_at(&rfc850, t), Some(t), "{}", rfc850);
        prop_assert_eq!(parse_http_date(&asctime), Some(t), "{}", asctime);
    }

    /// Anything else: no panic, and whatever parses formats back to a valid IMF-fixdate.
    #[test]
    fn http_date_parsing_never_panics(s in prop_oneof![
        any::<String>(),
        vec(select(b"SunMonDec, 0123456789:-GMT"), 0..35)
            .prop_map(|b| String::from_utf8(b).unwrap()),
    ]) {
        if let Some(t) = parse_http_date(&s) {
            prop_assert_eq!(format_http_date(t).len(), HTTP_DATE_LEN);
        }
    }

    /// A single byte range against a model in u128 arithmetic (no overflow possible there).
    #[test]
    fn byte_ranges_match_the_model(
        first in prop::option::of(prop_oneof![0u128..2000, any::<u64>().prop_map(u128::from), Just(u128::MAX)]),
        last in prop::option::of(prop_oneof![0u128..2000, any::<u64>().prop_map(u128::from), Just(u128::MAX)]),
        len in prop_oneof![0u64..2000, any::<u64>()],
    ) {
        let number = |n: Option<u128>| n.map(|n| n.to_string()).unwrap_or_default();
        let header = format!("bytes={}-{}", number(first), number(last));
        let len128 = u128::from(len);
        let expected = match (first, last) {
            (None, None) => RangeRequest::Full,
            (None, Some(0)) => RangeRequest::Unsatisfiable,
            (None, Some(_)) if len == 0 => RangeRequest::Full,
            (None, Some(suffix)) => RangeRequest::Partial {
                start: len128.saturating_sub(suffix) as u64,
                end: len - 1,
            },
            (Some(a), Some(b)) if b < a => RangeRequest::Full,
            (Some(a), _) if a >= len128 => RangeRequest::Unsatisfiable,
            (Some(a), b) => RangeRequest::Partial {
                start: a as u64,
                end: b.map_or(len128 - 1, |b| b.min(len128 - 1)) as u64,
            },
        };
        prop_assert_eq!(parse_range(header.as_bytes(), len), expected, "{}", header);
        if let RangeRequest::Partial { start, end } = expected {
            prop_assert!(start <= end && end < len);
        }
    }

    /// Any header value: no panic, and a partial range is always inside the representation.
    #[test]
    fn range_parsing_never_panics(
        value in prop_oneof![
            vec(any::<u8>(), 0..40),
            vec(select(b"bytes=0123456789-, "), 0..40),
        ],
        len in any::<u64>(),
    ) {
        if let RangeRequest::Partial { start, end } = parse_range(&value, len) {
            prop_assert!(start <= end && end < len);
        }
    }

    /// If-None-Match matches exactly when the list holds the tag (weakly compared).
    #[test]
    fn if_none_match_finds_exactly_the_listed_tags(
        tags in vec((any::<bool>(), "[!#-~]{0,8}"), 0..5),
        current in "[!#-~]{0,8}",
        current_is_weak in any::<bool>(),
        spaces in vec(select(vec!["", " ", "\t", " \t "]), 12),
    ) {
        let current_tag = format!("{}\"{}\"", if current_is_weak { "W/" } else { "" }, current);
        let mut space = spaces.iter().cycle();
        let listed: Vec<String> = tags
            .iter()
            .map(|(weak, opaque)| format!("{}{}\"{}\"{}", space.next().unwrap(), if *weak { "W/" } else { "" }, opaque, space.next().unwrap()))
            .collect();
        let header = listed.join(",");
        let expected = tags.iter().any(|(_, opaque)| *opaque == current);
        prop_assert_eq!(if_none_match(header.as_bytes(), &current_tag), expected, "{}", header);
        prop_assert!(if_none_match(b"*", &current_tag));
    }

    /// File ETags are valid strong tags that match themselves, for any length and time.
    #[test]
    fn file_etags_match_themselves(len in any::<u64>(), seconds in seconds(), nanos in 0u32..1_000_000_000) {
        let tag = file_etag(len, time(seconds) + Duration::from_nanos(u64::from(nanos)));
        prop_assert!(tag.starts_with('"') && tag.ends_with('"') && !tag.starts_with("W/"));
        prop_assert!(if_none_match(tag.as_bytes(), &tag));
        let weak = format!("W/{tag}");
        prop_assert!(if_none_match(weak.as_bytes(), &tag));
    }

    /// Content types: known extensions in any case, anything else the default; never a panic.
    #[test]
    fn content_types_by_extension(
        stem in "[a-z0-9._-]{0,10}",
        extension in select(vec!["html", "css", "js", "mjs", "json", "txt", "png", "jpg", "jpeg", "gif", "svg", "ico", "webp", "wasm", "pdf", "xml", "woff", "woff2", "mp4"]),
        uppercase in any::<bool>(),
        junk in any::<String>(),
    ) {
        let extension = if uppercase { extension.to_ascii_uppercase() } else { extension.to_owned() };
        let name = format!("{stem}x.{extension}");
        prop_assert_ne!(content_type(Path::new(&name)), DEFAULT_CONTENT_TYPE, "{}", name);
        let _ = content_type(Path::new(&junk));
    }
}
