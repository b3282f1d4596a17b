//! HTTP dates (RFC 9110 §5.6.7): formatting IMF-fixdate, parsing it and the two obsolete forms.
//!
//! Calendar arithmetic is done here, without dependencies, with the proleptic-Gregorian
//! days-from-civil conversion (valid for every year this module handles, 0000 to 9999).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Length of an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub const HTTP_DATE_LEN: usize = 29;

const DAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const LONG_DAY_NAMES: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

const SECONDS_PER_DAY: i64 = 86_400;
/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range a 4-digit year can show.
const MIN_UNIX_SECONDS: i64 = -62_167_219_200;
const MAX_UNIX_SECONDS: i64 = 253_402_300_799;

/// Formats `t` as an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
///
/// Sub-second precision is dropped; times outside years 0000–9999 are clamped to that range.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use webpool::http::date::format_http_date;
///
/// let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
/// assert_eq!(format_http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
/// ```
pub fn format_http_date(t: SystemTime) -> String {
    let mut out = [0u8; HTTP_DATE_LEN];
    write_http_date(t, &mut out);
    // Every byte written is ASCII.
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes `t` as an IMF-fixdate into `out`, without allocating (see [`format_http_date`]).
pub fn write_http_date(t: SystemTime, out: &mut [u8; HTTP_DATE_LEN]) {
    let Calendar {
        day_name,
        year,
        month_name,
        day,
        hour,
        minute,
        second,
    } = Calendar::of(t);

    let two = |n: i64| [b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8];
    let mut cursor = 0;
    let mut put = |bytes: &[u8]| {
        for &b in bytes {
            if let Some(slot) = out.get_mut(cursor) {
                *slot = b;
            }
            cursor += 1;
        }
    };
    put(day_name.as_bytes());
    put(b", ");
    put(&two(day));
    put(b" ");
    put(month_name.as_bytes());
    put(b" ");
    put(&two(year / 100));
    put(&two(year % 100));
    put(b" ");
    put(&two(hour));
    put(b":");
    put(&two(minute));
    put(b":");
    put(&two(second));
    put(b" GMT");
}

/// Length of an access-log time, e.g. `06/Nov/1994:08:49:37 +0000`.
pub const LOG_DATE_LEN: usize = 26;

/// Formats `t` as nginx's access logs show `$time_local`, in UTC: `06/Nov/1994:08:49:37 +0000`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use webpool::http::date::format_log_date;
///
/// let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
/// assert_eq!(format_log_date(t), "06/Nov/1994:08:49:37 +0000");
/// ```
pub fn format_log_date(t: SystemTime) -> String {
    let c = Calendar::of(t);
    let two = |n: i64| [b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8];
    let mut out = Vec::with_capacity(LOG_DATE_LEN);
    out.extend_from_slice(&two(c.day));
    out.push(b'/');
    out.extend_from_slice(c.month_name.as_bytes());
    out.push(b'/');
    out.extend_from_slice(&two(c.year / 100));
    out.extend_from_slice(&two(c.year % 100));
    for (separator, n) in [(b':', c.hour), (b':', c.minute), (b':', c.second)] {
        out.push(separator);
        out.extend_from_slice(&two(n));
    }
    out.extend_from_slice(b" +0000");
    // Every byte written is ASCII.
    String::from_utf8_lossy(&out).into_owned()
}

/// A moment as the calendar shows it, in UTC.
struct Calendar {
    day_name: &'static str,
    year: i64,
    month_name: &'static str,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
}

impl Calendar {
    /// `t` in UTC; times outside years 0000–9999 are clamped to that range.
    fn of(t: SystemTime) -> Calendar {
        let seconds = unix_seconds(t).clamp(MIN_UNIX_SECONDS, MAX_UNIX_SECONDS);
        let days = seconds.div_euclid(SECONDS_PER_DAY);
        let second_of_day = seconds.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let name = |names: &[&'static str], index: i64| {
            usize::try_from(index)
                .ok()
                .and_then(|i| names.get(i).copied())
                .unwrap_or("???")
        };
        Calendar {
            // 1970-01-01 was a Thursday.
            day_name: name(&DAY_NAMES, (days + 4).rem_euclid(7)),
            year,
            month_name: name(&MONTH_NAMES, month - 1),
            day,
            hour: second_of_day / 3600,
            minute: second_of_day / 60 % 60,
            second: second_of_day % 60,
        }
    }
}

/// Parses an HTTP date in any of the three forms RFC 9110 §5.6.7 requires recipients to accept:
///
/// - IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`
/// - RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT` (two-digit year: see [`parse_http_date_at`])
/// - asctime: `Sun Nov  6 08:49:37 1994`
///
/// Returns `None` for anything else, including impossible dates such as 31 April. The day name
/// must be a valid one, but is not checked against the date (it is redundant).
///
/// ```
/// use webpool::http::date::{format_http_date, parse_http_date};
///
/// for s in [
///     "Sun, 06 Nov 1994 08:49:37 GMT",
///     "Sunday, 06-Nov-94 08:49:37 GMT",
///     "Sun Nov  6 08:49:37 1994",
/// ] {
///     let t = parse_http_date(s).unwrap();
///     assert_eq!(format_http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
/// }
/// assert_eq!(parse_http_date("yesterday"), None);
/// ```
pub fn parse_http_date(s: &str) -> Option<SystemTime> {
    parse_http_date_at(s, SystemTime::now())
}

/// [`parse_http_date`], with `now` deciding the century of an RFC 850 two-digit year: a year
/// that would be more than 50 years after `now`'s year is taken from the century before
/// (RFC 9110 §5.6.7).
pub fn parse_http_date_at(s: &str, now: SystemTime) -> Option<SystemTime> {
    let fields = parse_imf_fixdate(s.as_bytes())
        .or_else(|| parse_rfc850(s.as_bytes(), now))
        .or_else(|| parse_asctime(s.as_bytes()))?;
    fields.to_system_time()
}

/// The fields of a parsed date, not yet checked for validity.
struct DateFields {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
}

impl DateFields {
    fn to_system_time(&self) -> Option<SystemTime> {
        let valid = (0..=9999).contains(&self.year)
            && (1..=12).contains(&self.month)
            && (1..=days_in_month(self.year, self.month)).contains(&self.day)
            && self.hour <= 23
            && self.minute <= 59
            // RFC 5322 allows a leap second; it lands on the next minute.
            && self.second <= 60;
        if !valid {
            return None;
        }
        let days = days_from_civil(self.year, self.month, self.day);
        let seconds = days * SECONDS_PER_DAY + self.hour * 3600 + self.minute * 60 + self.second;
        let magnitude = Duration::from_secs(seconds.unsigned_abs());
        if seconds >= 0 {
            UNIX_EPOCH.checked_add(magnitude)
        } else {
            UNIX_EPOCH.checked_sub(magnitude)
        }
    }
}

/// `day-name "," SP DD SP mon SP YYYY SP hh:mm:ss SP "GMT"`
fn parse_imf_fixdate(s: &[u8]) -> Option<DateFields> {
    let [d0, d1, d2, b',', b' ', day @ .., b' ', b'G', b'M', b'T'] = s else {
        return None;
    };
    name_index(&DAY_NAMES, &[*d0, *d1, *d2])?;
    let [dd0, dd1, b' ', m0, m1, m2, b' ', y0, y1, y2, y3, b' ', time @ ..] = day else {
        return None;
    };
    let (hour, minute, second) = parse_time(time)?;
    Some(DateFields {
        year: digits(&[*y0, *y1, *y2, *y3])?,
        month: name_index(&MONTH_NAMES, &[*m0, *m1, *m2])? + 1,
        day: digits(&[*dd0, *dd1])?,
        hour,
        minute,
        second,
    })
}

/// `day-name-l "," SP DD "-" mon "-" YY SP hh:mm:ss SP "GMT"`
fn parse_rfc850(s: &[u8], now: SystemTime) -> Option<DateFields> {
    let comma = s.iter().position(|&b| b == b',')?;
    name_index(&LONG_DAY_NAMES, s.get(..comma)?)?;
    let rest = s.get(comma..)?;
    let [b',', b' ', dd0, dd1, b'-', m0, m1, m2, b'-', y0, y1, b' ', time @ .., b' ', b'G', b'M', b'T'] =
        rest
    else {
        return None;
    };
    let (hour, minute, second) = parse_time(time)?;
    let two_digit_year = digits(&[*y0, *y1])?;
    let current_year = civil_from_days(unix_seconds(now).div_euclid(SECONDS_PER_DAY)).0;
    let mut year = current_year - current_year.rem_euclid(100) + two_digit_year;
    if year > current_year + 50 {
        year -= 100;
    }
    Some(DateFields {
        year,
        month: name_index(&MONTH_NAMES, &[*m0, *m1, *m2])? + 1,
        day: digits(&[*dd0, *dd1])?,
        hour,
        minute,
        second,
    })
}

/// `day-name SP mon SP ( DD / SP D ) SP hh:mm:ss SP YYYY`
fn parse_asctime(s: &[u8]) -> Option<DateFields> {
    let [d0, d1, d2, b' ', m0, m1, m2, b' ', dd0, dd1, b' ', time @ .., b' ', y0, y1, y2, y3] = s
    else {
        return None;
    };
    name_index(&DAY_NAMES, &[*d0, *d1, *d2])?;
    let day = match (dd0, dd1) {
        (b' ', d) => digits(&[*d])?,
        (d0, d1) => digits(&[*d0, *d1])?,
    };
    let (hour, minute, second) = parse_time(time)?;
    Some(DateFields {
        year: digits(&[*y0, *y1, *y2, *y3])?,
        month: name_index(&MONTH_NAMES, &[*m0, *m1, *m2])? + 1,
        day,
        hour,
        minute,
        second,
    })
}

/// `hh:mm:ss`
fn parse_time(s: &[u8]) -> Option<(i64, i64, i64)> {
    let [h0, h1, b':', m0, m1, b':', s0, s1] = s else {
        return None;
    };
    Some((
        digits(&[*h0, *h1])?,
        digits(&[*m0, *m1])?,
        digits(&[*s0, *s1])?,
    ))
}

/// The value of a short run of ASCII digits (`None` if any byte is not one).
fn digits(s: &[u8]) -> Option<i64> {
    s.iter().try_fold(0i64, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
    })
}

/// The index of `name` in `names` (case-sensitive, as RFC 9110 requires).
fn name_index(names: &[&str], name: &[u8]) -> Option<i64> {
    let index = names.iter().position(|n| n.as_bytes() == name)?;
    i64::try_from(index).ok()
}

/// Whole seconds since the epoch, negative before it (rounded down).
pub(crate) fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            let partial = i64::from(before.subsec_nanos() > 0);
            whole.saturating_neg().saturating_sub(partial)
        }
    }
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic-Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    // Count years from March, so that the leap day ends the year.
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date `days` after 1970-01-01, as (year, month 1–12, day 1–31) (`civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;

    fn at(seconds: i64) -> SystemTime {
        if seconds >= 0 {
            UNIX_EPOCH + Duration::from_secs(seconds as u64)
        } else {
            UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs())
        }
    }

    /// Asserts that `format` writes each instant (seconds since the epoch) as expected.
    fn assert_formats(format: fn(SystemTime) -> String, cases: &[(i64, &str)]) {
        for &(seconds, expected) in cases {
            assert_eq!(format(at(seconds)), expected, "{seconds}");
        }
    }

    #[test]
    fn formats_log_dates() {
        let cases = [
            (0, "01/Jan/1970:00:00:00 +0000"),
            (951_782_400, "29/Feb/2000:00:00:00 +0000"),
            (i64::MAX, "31/Dec/9999:23:59:59 +0000"),
        ];
        assert_formats(format_log_date, &cases);
        assert_eq!(format_log_date(at(1)).len(), LOG_DATE_LEN);
    }

    #[test]
    fn formats_known_dates() {
        let cases = [
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
            (MAX_UNIX_SECONDS, "Fri, 31 Dec 9999 23:59:59 GMT"),
            (i64::MAX / 4, "Fri, 31 Dec 9999 23:59:59 GMT"),
        ];
        assert_formats(format_http_date, &cases);
        // Sub-second precision is dropped, rounding down even before the epoch.
        let just_before = UNIX_EPOCH - Duration::from_millis(1);
        assert_eq!(
            format_http_date(just_before),
            "Wed, 31 Dec 1969 23:59:59 GMT"
        );
    }

    #[test]
    fn civil_conversions_are_inverse_around_calendar_edges() {
        for days in (-800_000..800_000).step_by(97).chain(-1000..1000) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            assert!((1..=days_in_month(y, m)).contains(&d));
        }
    }

    #[test]
    fn rfc850_years_follow_the_fifty_year_rule() {
        let now = at(1_767_225_600); // 2026-01-01
        let year = |s| parse_http_date_at(s, now).map(format_http_date);
        assert_eq!(
            year("Thursday, 01-Jan-76 00:00:00 GMT").as_deref(),
            Some("Wed, 01 Jan 2076 00:00:00 GMT")
        );
        assert_eq!(
            year("Thursday, 01-Jan-77 00:00:00 GMT").as_deref(),
            Some("Sat, 01 Jan 1977 00:00:00 GMT")
        );
    }

    #[test]
    fn rejects_malformed_and_impossible_dates() {
        for s in [
            "",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 nov 1994 08:49:37 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 31 Apr 1994 08:49:37 GMT",
            "Sun, 29 Feb 1900 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 06 Nov 1994 08:49:61 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT ",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sund, 06-Nov-94 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sun Nov  6 08:49:37 94",
            "Sun, 06 Nov 1994 08:49:37 GMT\u{e9}",
        ] {
            assert_eq!(parse_http_date(s), None, "{s:?}");
        }
        assert!(parse_http_date("Sun, 29 Feb 2000 08:49:37 GMT").is_some());
        assert!(parse_http_date("Sun Nov 06 08:49:37 1994").is_some());
    }
}
