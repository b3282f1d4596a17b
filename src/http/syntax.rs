//! Byte classes and scanning primitives from the HTTP grammar (RFC 9110 §5.6, RFC 9112 §2).
//!
//! Everything here is a pure function over bytes, shared by the request parser, the chunked
//! decoder, the path resolver and the header helpers, so that "what is a token" (or a host byte,
//! or a path byte) is decided in exactly one place: one table, [`CLASS`].

/// `tchar` (RFC 9110 §5.6.2): the bytes a token (method, header name, coding) may contain.
const TOKEN: u8 = 1 << 0;
/// `field-vchar` plus SP and HTAB (RFC 9110 §5.5): the bytes a header value may contain.
const FIELD_VALUE: u8 = 1 << 1;
/// `VCHAR` (RFC 5234): the visible ASCII bytes, `!` to `~`, allowed in a request-target.
const VISIBLE: u8 = 1 << 2;
/// `unreserved / sub-delims` (RFC 3986 §2): the bytes of a reg-name besides percent-escapes.
const HOST: u8 = 1 << 3;
/// `pchar` minus `pct-encoded` (RFC 3986 §3.3): `unreserved / sub-delims / ":" / "@"`, the bytes
/// that stand for themselves in a path segment.
const PCHAR: u8 = 1 << 4;

/// One table lookup answers every class question for a byte.
static CLASS: [u8; 256] = build_class_table();

/// `true` if `b` is in `class` (one of the bits above, or several: then in any of them).
#[inline(always)]
fn in_class(b: u8, class: u8) -> bool {
    CLASS[usize::from(b)] & class != 0
}

const fn build_class_table() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut b: usize = 0;
    while b < 256 {
        let byte = b as u8;
        let mut class = 0;
        if byte.is_ascii_alphanumeric() {
            class |= TOKEN;
        }
        if matches!(
            byte,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        ) {
            class |= TOKEN;
        }
        if byte >= 0x21 && byte <= 0x7e {
            class |= VISIBLE | FIELD_VALUE;
        }
        if byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
            )
        {
            class |= HOST | PCHAR;
        }
        if byte == b':' || byte == b'@' {
            class |= PCHAR;
        }
        // obs-text: RFC 9110 keeps accepting it in field values for compatibility.
        if byte >= 0x80 || byte == b' ' || byte == b'\t' {
            class |= FIELD_VALUE;
        }
        table[b] = class;
        b += 1;
    }
    table
}

/// `true` for a `tchar`, the bytes of a token.
#[inline]
pub(crate) fn is_token_byte(b: u8) -> bool {
    in_class(b, TOKEN)
}

/// Length of the longest prefix of `bytes` made of token bytes.
#[inline]
pub(crate) fn token_prefix_len(bytes: &[u8]) -> usize {
    class_prefix_len(bytes, TOKEN)
}

/// Length of the longest prefix of `bytes` made of host-name bytes (see [`is_host_byte`]).
#[inline]
pub(crate) fn host_prefix_len(bytes: &[u8]) -> usize {
    class_prefix_len(bytes, HOST)
}

/// Length of the longest prefix of `bytes` whose bytes are all in `class`.
///
/// Eight bytes at a time, each looked up on its own and the first miss ending the prefix: the
/// lookups don't wait for one another, and a miss costs no second pass over its word. (Folding
/// a word's lookups together first, then finding the miss again, cost about 1.5 times as many
/// instructions per header name.)
#[inline(always)]
fn class_prefix_len(bytes: &[u8], class: u8) -> usize {
    let mut len = 0;
    while let Some(word) = bytes.get(len..len + WORD) {
        if let Some(miss) = word.iter().position(|&b| !in_class(b, class)) {
            return len + miss;
        }
        len += WORD;
    }
    let tail = bytes.get(len..).unwrap_or_default();
    len + tail.iter().take_while(|&&b| in_class(b, class)).count()
}

/// `true` if the token `name` is `lower` (lowercase letters and `-`) in any letter case.
///
/// Compares eight (or four) bytes at a time with bit 0x20 set, which lowercases a letter. That is exact
/// here: the only other byte that setting the bit turns into a letter is that letter's
/// uppercase, and the only one it turns into `-` is CR, which no token holds. Callers pass a
/// constant `lower`, so its words fold away.
#[inline(always)]
pub(crate) fn token_eq_lower(name: &[u8], lower: &[u8]) -> bool {
    const CASE: u64 = ONES * 0x20;
    if name.len() != lower.len() {
        return false;
    }
    if name.len() < WORD / 2 {
        return name.iter().zip(lower).all(|(&a, &b)| a | 0x20 == b);
    }
    if name.len() < WORD {
        // Two four-byte halves, overlapping if the length is under eight (Host, Expect).
        let half = |bytes: &[u8], at: usize| {
            bytes
                .get(at..at + WORD / 2)
                .and_then(|w| <[u8; WORD / 2]>::try_from(w).ok())
                .map(u32::from_le_bytes)
        };
        let last = name.len() - WORD / 2;
        return [0, last]
            .into_iter()
            .all(|at| match (half(name, at), half(lower, at)) {
                (Some(a), Some(b)) => a | 0x2020_2020 == b,
                _ => false,
            });
    }
    let word = |bytes: &[u8], at: usize| {
        bytes
            .get(at..at + WORD)
            .and_then(|w| <[u8; WORD]>::try_from(w).ok())
            .map(u64::from_le_bytes)
    };
    // Whole words, the last one overlapping the one before it if the length isn't a multiple.
    let last = name.len() - WORD;
    let mut at = 0;
    loop {
        let at_or_last = at.min(last);
        match (word(name, at_or_last), word(lower, at_or_last)) {
            (Some(a), Some(b)) if a | CASE == b => {}
            _ => return false,
        }
        if at_or_last == last {
            return true;
        }
        at += WORD;
    }
}

/// `true` for a byte allowed in a header field value (VCHAR, obs-text, SP, HTAB).
#[inline]
pub(crate) fn is_field_value_byte(b: u8) -> bool {
    in_class(b, FIELD_VALUE)
}

/// `true` for visible ASCII (`!` to `~`).
#[inline]
pub(crate) fn is_visible_ascii(b: u8) -> bool {
    in_class(b, VISIBLE)
}

/// `true` for `unreserved / sub-delims`, the bytes of a host name (RFC 3986 §3.2.2).
#[inline]
pub(crate) fn is_host_byte(b: u8) -> bool {
    in_class(b, HOST)
}

/// `true` for a byte that stands for itself in a path segment (RFC 3986 §3.3): a host byte (see
/// [`is_host_byte`]), `:` or `@`.
#[inline]
pub(crate) fn is_pchar_byte(b: u8) -> bool {
    in_class(b, PCHAR)
}

/// `true` for optional whitespace (`OWS`, RFC 9110 §5.6.3): SP or HTAB.
#[inline]
pub(crate) fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Strips `OWS` (SP and HTAB only, never CR or LF) from both ends.
#[inline]
pub(crate) fn trim_ows(mut bytes: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = bytes {
        if !is_ows(*first) {
            break;
        }
        bytes = rest;
    }
    while let [rest @ .., last] = bytes {
        if !is_ows(*last) {
            break;
        }
        bytes = rest;
    }
    bytes
}

/// `range` of `bytes` without the `OWS` at either end (as [`trim_ows`] strips it).
pub(crate) fn trim_ows_range(
    bytes: &[u8],
    range: std::ops::Range<usize>,
) -> std::ops::Range<usize> {
    let inner = bytes.get(range.clone()).unwrap_or_default();
    let (mut from, mut to) = (0, inner.len());
    while let Some(b' ' | b'\t') = inner.get(from) {
        from += 1;
    }
    while to > from && matches!(inner.get(to - 1), Some(b' ' | b'\t')) {
        to -= 1;
    }
    range.start + from..range.start + to
}

/// The non-empty elements of a comma-separated list (RFC 9110 §5.6.1), each stripped of `OWS`.
///
/// Empty elements (`a, , b`) are skipped, as the RFC requires of recipients.
pub(crate) fn list_elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim_ows)
        .filter(|element| !element.is_empty())
}

/// The value of an ASCII hexadecimal digit.
#[inline]
pub(crate) fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

// Scanning eight bytes at a time (SWAR). Each `*_mask` function sets the high bit of every
// byte of a little-endian word that matches, and possibly of bytes above a match (a borrow
// carries upward), never below the first one: the lowest set bit is exactly the first match.

const WORD: usize = 8;
const ONES: u64 = u64::from_ne_bytes([0x01; WORD]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; WORD]);

/// Flags bytes below `n` (`n <= 128`).
#[inline(always)]
fn below_mask(word: u64, n: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS
}

/// Flags bytes equal to `b`.
#[inline(always)]
fn equal_mask(word: u64, b: u8) -> u64 {
    below_mask(word ^ (ONES * u64::from(b)), 1)
}

/// Flags the bytes outside `lo..=0x7e` (`0 < lo <= 0x7e`): control bytes and those below
/// `lo`, DEL, and 0x80 and above unless `keep_high`. Exact (no borrow crosses a byte): each
/// sum stays below 0x100 because the high bits are cleared first.
#[inline(always)]
fn outside_mask(word: u64, lo: u8, keep_high: bool) -> u64 {
    let low7 = word & !HIGHS;
    // High bit set: at least `lo`; at least 0x7f.
    let at_least_lo = low7.wrapping_add(ONES * u64::from(0x80 - lo));
    let is_del = low7.wrapping_add(ONES);
    let inside = at_least_lo & !is_del;
    let allowed = if keep_high {
        inside | word
    } else {
        inside & !word
    };
    !allowed & HIGHS
}

/// Index of the first byte in `bytes[from..to]` that `is_special` flags, sixteen bytes (two
/// words) at a time; `word_mask` must flag exactly the same bytes (see above). `from..to` is
/// clamped to `bytes`, so this never panics.
///
/// Two words per step halve the loop's compare-and-branch overhead, which in a one-word loop
/// cost as much as the mask itself.
#[inline(always)]
fn find_special(
    bytes: &[u8],
    from: usize,
    to: usize,
    word_mask: impl Fn(u64) -> u64,
    is_special: impl Fn(u8) -> bool,
) -> Option<usize> {
    let to = to.min(bytes.len());
    let mut rest = bytes.get(from..to)?;
    let mut offset = from;
    while let Some((pair, tail)) = rest.split_first_chunk::<{ 2 * WORD }>() {
        let pair = u128::from_le_bytes(*pair);
        let low = word_mask(pair as u64);
        let high = word_mask((pair >> 64) as u64);
        if low | high != 0 {
            let bit = if low != 0 {
                low.trailing_zeros()
            } else {
                64 + high.trailing_zeros()
            };
            return Some(offset + (bit / 8) as usize);
        }
        offset += 2 * WORD;
        rest = tail;
    }
    if let Some((word, tail)) = rest.split_first_chunk::<WORD>() {
        let mask = word_mask(u64::from_le_bytes(*word));
        if mask != 0 {
            return Some(offset + (mask.trailing_zeros() / 8) as usize);
        }
        offset += WORD;
        rest = tail;
    }
    rest.iter().position(|&b| is_special(b)).map(|i| offset + i)
}

/// Index of the first `byte` in `bytes[from..to]`.
#[inline]
pub(crate) fn find_byte(bytes: &[u8], from: usize, to: usize, byte: u8) -> Option<usize> {
    find_special(bytes, from, to, |w| equal_mask(w, byte), |b| b == byte)
}

/// Index of the first LF in `bytes[from..to]`.
#[inline]
pub(crate) fn find_lf(bytes: &[u8], from: usize, to: usize) -> Option<usize> {
    find_byte(bytes, from, to, b'\n')
}

/// Index of the first byte in `bytes[from..to]` that is not a plain field-value byte, i.e. a CTL
/// (including CR, LF and HTAB) or DEL. HTAB is reported too: the caller decides what it means.
#[inline]
pub(crate) fn find_field_value_end(bytes: &[u8], from: usize, to: usize) -> Option<usize> {
    find_special(
        bytes,
        from,
        to,
        |w| outside_mask(w, 0x20, true),
        |b| b < 0x20 || b == 0x7f,
    )
}

/// Index of the first byte in `bytes[from..to]` that is not visible ASCII.
#[inline]
pub(crate) fn find_non_visible(bytes: &[u8], from: usize, to: usize) -> Option<usize> {
    find_special(
        bytes,
        from,
        to,
        |w| outside_mask(w, 0x21, false),
        |b| !is_visible_ascii(b),
    )
}

/// Index of the first byte in `bytes[from..to]` that is not visible ASCII or is `byte` (one
/// pass where two would look at the same bytes twice).
#[inline]
pub(crate) fn find_non_visible_or(bytes: &[u8], from: usize, to: usize, byte: u8) -> Option<usize> {
    find_special(
        bytes,
        from,
        to,
        |w| outside_mask(w, 0x21, false) | equal_mask(w, byte),
        |b| !is_visible_ascii(b) || b == byte,
    )
}

/// Parses `1*DIGIT` as a `u64`, saturating at `u64::MAX` (callers compare against a limit far
/// below it, so saturation still answers "too large" exactly). `None` if empty or not all digits.
pub(crate) fn parse_decimal_saturating(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        Some(acc.saturating_mul(10).saturating_add(u64::from(digit)))
    })
}

/// Compares two `1*DIGIT` strings by numeric value, whatever their length (no overflow).
pub(crate) fn cmp_decimal(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let strip = |d: &[u8]| -> usize { d.iter().take_while(|&&b| b == b'0').count() };
    let a = a.get(strip(a)..).unwrap_or_default();
    let b = b.get(strip(b)..).unwrap_or_default();
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;

    /// Buffers of `len` bytes `a` with one byte changed: every byte value at every offset.
    fn one_odd_byte(len: usize) -> impl Iterator<Item = Vec<u8>> {
        (0..=255u8).flat_map(move |odd| {
            (0..len).map(move |at| {
                let mut buf = vec![b'a'; len];
                buf[at] = odd;
                buf
            })
        })
    }

    #[test]
    fn token_bytes_are_exactly_tchar() {
        let tchar: Vec<u8> = (0..=255u8).filter(|&b| is_token_byte(b)).collect();
        let expected: Vec<u8> =
            b"!#$%&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz|~"
                .to_vec();
        assert_eq!(tchar, expected);
    }

    #[test]
    fn host_bytes_are_unreserved_and_sub_delims() {
        let host: Vec<u8> = (0..=255u8).filter(|&b| is_host_byte(b)).collect();
        let mut expected: Vec<u8> = b"-._~!$&'()*+,;=".to_vec();
        expected.extend(b'0'..=b'9');
        expected.extend(b'A'..=b'Z');
        expected.extend(b'a'..=b'z');
        expected.sort_unstable();
        assert_eq!(host, expected);
    }

    #[test]
    fn path_bytes_are_host_bytes_colon_and_at() {
        for b in 0..=255u8 {
            let expected = is_host_byte(b) || b == b':' || b == b'@';
            assert_eq!(is_pchar_byte(b), expected, "byte {b:#04x}");
        }
    }

    #[test]
    fn field_value_bytes_exclude_ctl_and_del() {
        for b in 0..=255u8 {
            let expected = b == b'\t' || (0x20..=0x7e).contains(&b) || b >= 0x80;
            assert_eq!(is_field_value_byte(b), expected, "byte {b:#04x}");
        }
    }

    #[test]
    fn swar_scans_agree_with_byte_loops() {
        // A buffer longer than a few words, so that whole words and the remainder are scanned.
        for buf in one_odd_byte(40) {
            for from in [0, 1, 7, 8, 9] {
                let naive_lf = (from..40).find(|&i| buf[i] == b'\n');
                assert_eq!(find_lf(&buf, from, 40), naive_lf);
                let naive_value = (from..40).find(|&i| buf[i] < 0x20 || buf[i] == 0x7f);
                assert_eq!(find_field_value_end(&buf, from, 40), naive_value);
                let naive_visible = (from..40).find(|&i| !(0x21..=0x7e).contains(&buf[i]));
                assert_eq!(find_non_visible(&buf, from, 40), naive_visible);
                let naive_query =
                    (from..40).find(|&i| !(0x21..=0x7e).contains(&buf[i]) || buf[i] == b'?');
                assert_eq!(find_non_visible_or(&buf, from, 40, b'?'), naive_query);
            }
        }
    }

    #[test]
    fn scans_clamp_out_of_range_bounds() {
        assert_eq!(find_lf(b"ab\n", 0, 100), Some(2));
        assert_eq!(find_lf(b"ab\n", 5, 100), None);
        assert_eq!(find_lf(b"ab\n", 2, 1), None);
    }

    #[test]
    fn prefix_lengths_agree_with_byte_loops() {
        for buf in one_odd_byte(20) {
            let naive = buf.iter().take_while(|&&b| is_token_byte(b)).count();
            assert_eq!(token_prefix_len(&buf), naive);
            let naive = buf.iter().take_while(|&&b| is_host_byte(b)).count();
            assert_eq!(host_prefix_len(&buf), naive);
        }
    }

    #[test]
    fn token_names_compare_exactly_in_any_case() {
        for lower in [
            &b"host"[..],
            b"expect",
            b"connection",
            b"content-length",
            b"te",
        ] {
            let upper = lower.to_ascii_uppercase();
            assert!(token_eq_lower(lower, lower));
            assert!(token_eq_lower(&upper, lower));
            assert!(!token_eq_lower(&lower[1..], lower));
            // Every byte at every position: equal exactly when it is the same letter in either
            // case (or the same non-letter).
            for at in 0..lower.len() {
                for b in (0..=255u8).filter(|&b| is_token_byte(b)) {
                    let mut name = lower.to_vec();
                    name[at] = b;
                    let expected = b.eq_ignore_ascii_case(&lower[at]);
                    assert_eq!(token_eq_lower(&name, lower), expected, "{name:?}");
                }
            }
        }
    }

    #[test]
    fn trim_ows_strips_only_space_and_tab() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"\r a \n"), b"\r a \n");
        assert_eq!(trim_ows(b"   "), b"");
    }

    #[test]
    fn trim_ows_range_is_trim_ows_as_a_range() {
        let buf = b"X: \t a b \t\r\n";
        for start in 0..buf.len() {
            for end in start..=buf.len() {
                let range = trim_ows_range(buf, start..end);
                assert_eq!(&buf[range], trim_ows(&buf[start..end]), "{start}..{end}");
            }
        }
        assert_eq!(trim_ows_range(buf, 5..100), 5..5);
    }

    #[test]
    fn list_elements_skip_empty_entries() {
        let elements: Vec<&[u8]> = list_elements(b" a, ,b ,, c\t").collect();
        assert_eq!(elements, [&b"a"[..], b"b", b"c"]);
    }

    #[test]
    fn decimals_saturate_and_compare_without_overflow() {
        assert_eq!(parse_decimal_saturating(b"0042"), Some(42));
        assert_eq!(
            parse_decimal_saturating(b"99999999999999999999999"),
            Some(u64::MAX)
        );
        assert_eq!(parse_decimal_saturating(b""), None);
        assert_eq!(parse_decimal_saturating(b"1a"), None);
        use std::cmp::Ordering::*;
        assert_eq!(cmp_decimal(b"0042", b"42"), Equal);
        assert_eq!(
            cmp_decimal(b"100000000000000000000001", b"100000000000000000000000"),
            Greater
        );
        assert_eq!(cmp_decimal(b"9", b"10"), Less);
        assert_eq!(cmp_decimal(b"000", b"0"), Equal);
    }
}
