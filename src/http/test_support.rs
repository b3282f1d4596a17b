//! Helpers shared by the unit tests of src/http: parsing a head in one call, and table-driven
//! assertions that name the failing input as text.

use std::fmt::Debug;

use super::error::ParseErrorKind;
use super::request::{parse_request, Limits, Parsed, Request};

/// Parses `buf` in one call with the default limits; an error as its kind.
pub(super) fn parse(buf: &[u8]) -> Result<Parsed<'_>, ParseErrorKind> {
    parse_request(buf, &Limits::default()).map_err(|e| e.kind())
}

/// Parses `buf`, which holds a whole head (a partial one panics): the request, or the kind of
/// error.
pub(super) fn parse_whole(buf: &[u8]) -> Result<Request<'_>, ParseErrorKind> {
    parse(buf).map(|parsed| match parsed {
        Parsed::Complete(req) => req,
        Parsed::Partial => panic!("partial: {:?}", String::from_utf8_lossy(buf)),
    })
}

/// The request in `buf`, which must be a complete, valid head.
pub(super) fn complete(buf: &[u8]) -> Request<'_> {
    parse_whole(buf).unwrap_or_else(|kind| panic!("{:?}: {kind:?}", String::from_utf8_lossy(buf)))
}

/// Asserts that `answer` gives each case's expected value for its input; a failure names the
/// input as text.
pub(super) fn assert_cases<I, T>(cases: impl IntoIterator<Item = (I, T)>, answer: impl Fn(I) -> T)
where
    I: AsRef<[u8]> + Copy,
    T: PartialEq + Debug,
{
    for (input, expected) in cases {
        let text = String::from_utf8_lossy(input.as_ref());
        assert_eq!(answer(input), expected, "{text:?}");
    }
}

/// Asserts that `answer` gives `expected` for every one of `inputs`.
pub(super) fn assert_all<I, T>(
    inputs: impl IntoIterator<Item = I>,
    expected: T,
    answer: impl Fn(I) -> T,
) where
    I: AsRef<[u8]> + Copy,
    T: PartialEq + Debug + Clone,
{
    let cases = inputs.into_iter().map(|input| (input, expected.clone()));
    assert_cases(cases, answer);
}

/// Asserts that `answer` refuses each case's input with the case's kind of error.
pub(super) fn assert_refusals<I, T>(
    cases: impl IntoIterator<Item = (I, ParseErrorKind)>,
    answer: impl Fn(I) -> Result<T, ParseErrorKind>,
) where
    I: AsRef<[u8]> + Copy,
    T: PartialEq + Debug,
{
    let cases = cases.into_iter().map(|(input, kind)| (input, Err(kind)));
    assert_cases(cases, answer);
}
