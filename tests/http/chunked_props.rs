//! Properties of the chunked-body decoder: it inverts an independent encoder, its answer does
//! not depend on how the input is split, it never reads past the end of the body, and it never
//! panics, whatever it is fed.

use crate::generators::{chunked_spec, config, edit, encode_chunked};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use webpool::http::chunked::ChunkedDecoder;
use webpool::http::{ParseError, ParseErrorKind};

/// The decoder's whole answer for a body fed in pieces ending at `ends`: the data, how it
/// ended, and the bytes consumed in total (which an error makes moot: the connection closes).
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    data: Vec<u8>,
    end: Result<bool, ParseError>,
    consumed: Option<usize>,
}

fn decode_in_pieces(input: &[u8], ends: &[usize], max_body: u64) -> Outcome {
    let mut ends: Vec<usize> = ends.iter().map(|&e| e.min(input.len())).collect();
    ends.push(input.len());
    ends.sort_unstable();
    ends.dedup();
    let mut decoder = ChunkedDecoder::new(max_body);
    let mut data = Vec::new();
    let mut consumed = 0;
    let mut start = 0;
    for end in ends {
        match decoder.decode(&input[start..end], &mut data) {
            Ok(progress) => {
                consumed += progress.consumed;
                if progress.done {
                    return Outcome {
                        data,
                        end: Ok(true),
                        consumed: Some(consumed),
                    };
                }
                // Until the body ends, every byte offered is consumed.
                assert_eq!(progress.consumed, end - start);
            }
            Err(err) => {
                return Outcome {
                    data,
                    end: Err(err),
                    consumed: None,
                }
            }
        }
        start = end;
    }
    Outcome {
        data,
        end: Ok(false),
        consumed: Some(consumed),
    }
}

/// Chunked bodies, valid and broken, followed by bytes of a next request.
fn chunked_input() -> impl Strategy<Value = Vec<u8>> {
    let valid = (vec(any::<u8>(), 0..300), chunked_spec())
        .prop_map(|(body, spec)| encode_chunked(&body, &spec));
    let broken = (valid.clone(), vec(edit(), 1..4)).prop_map(|(mut input, edits)| {
        for e in &edits {
            let len = input.len();
            e.apply(&mut input, len);
        }
        input
    });
    let soup = vec(
        prop::sample::select(b"0123456789abcdefABCDEF;= \t\r\n\r\nxyz:\0"),
        0..300,
    );
    (prop_oneof![valid, broken, soup], vec(any::<u8>(), 0..20)).prop_map(|(mut input, next)| {
        input.extend(next);
        input
    })
}

proptest! {
    #![proptest_config(config(1000))]

    /// Decoding an encoded body gives the body back, and stops exactly at its end.
    #[test]
    fn chunked_round_trip(
        body in vec(any::<u8>(), 0..2000),
        spec in chunked_spec(),
        next_request in vec(any::<u8>(), 0..50),
    ) {
        let encoded = encode_chunked(&body, &spec);
        let mut input = encoded.clone();
        input.extend_from_slice(&next_request);
        let mut decoder = ChunkedDecoder::new(body.len() as u64);
        let mut out = Vec::new();
        let progress = decoder.decode(&input, &mut out).unwrap();
        prop_assert!(progress.done);
        prop_assert_eq!(progress.consumed, encoded.len());
        prop_assert_eq!(out, body);
    }

    /// Property 3 for the decoder: any split gives the one-buffer answer.
    #[test]
    fn chunked_split_invariance(
        input in chunked_input(),
        cuts in vec(any::<Index>(), 0..16),
        max_body in prop_oneof![Just(1u64 << 20), 0u64..64],
    ) {
        let whole = decode_in_pieces(&input, &[], max_body);
        let ends: Vec<usize> = cuts.iter().map(|i| i.index(input.len() + 1)).collect();
        prop_assert_eq!(decode_in_pieces(&input, &ends, max_body), whole);
        let every_byte: Vec<usize> = (0..input.len()).collect();
        prop_assert_eq!(decode_in_pieces(&input, &every_byte, max_body), decode_in_pieces(&input, &[], max_body));
    }

    /// Property 1 for the decoder: anything at all ends in data, "need more" or a 4xx.
    #[test]
    fn chunked_arbitrary_bytes_never_panic(
        input in prop_oneof![chunked_input(), vec(any::<u8>(), 0..2000)],
        max_body in prop_oneof![Just(u64::MAX), 0u64..1000],
    ) {
        let outcome = decode_in_pieces(&input, &[], max_body);
        prop_assert!(outcome.consumed.unwrap_or(0) <= input.len());
        prop_assert!(outcome.data.len() as u64 <= max_body);
        if let Err(err) = outcome.end {
            prop_assert!([400, 413, 431].contains(&err.status()), "{}", err);
        }
    }

    /// The body limit holds exactly: a body of `n` bytes passes a limit of `n`, not `n - 1`.
    #[test]
    fn chunked_body_limit_is_exact(body in vec(any::<u8>(), 1..500), spec in chunked_spec()) {
        let encoded = encode_chunked(&body, &spec);
        let len = body.len() as u64;
        prop_assert_eq!(decode_in_pieces(&encoded, &[], len).end, Ok(true));
        let over = decode_in_pieces(&encoded, &[], len - 1);
        prop_assert_eq!(over.end.map_err(|e| e.kind()), Err(ParseErrorKind::BodyTooLarge));
        prop_assert!(over.data.len() < body.len());
    }
}
