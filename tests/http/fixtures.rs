//! Runs every raw request in `fixtures/requests/` through the parser, the path resolver and the
//! body decoder, as the server will, and checks the answers listed in `MANIFEST`.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use webpool::http::chunked::ChunkedDecoder;
use webpool::http::path::resolve;
use webpool::http::request::{parse_request, BodyKind, Limits, Parsed, TargetForm};
use webpool::http::ParseError;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/requests");

/// What the server does with the request at the start of `bytes`: the number of bytes it
/// occupies (head and body) if accepted, or the error that ends the connection.
fn serve_one(bytes: &[u8], limits: &Limits) -> Result<usize, ParseError> {
    let request = match parse_request(bytes, limits)? {
        Parsed::Complete(request) => request,
        Parsed::Partial => panic!("the fixture ends in the middle of a head"),
    };
    if request.target_form() != TargetForm::Asterisk {
        resolve(request.path())?;
    }
    let body = &bytes[request.head_len()..];
    let body_len = match request.body() {
        BodyKind::None => 0,
        BodyKind::Length(n) => {
            let n = usize::try_from(n).unwrap();
            assert!(body.len() >= n, "the fixture ends in the middle of a body");
            n
        }
        BodyKind::Chunked => {
            let mut decoder = ChunkedDecoder::new(limits.max_body);
            let progress = decoder.decode(body, &mut Vec::new())?;
            assert!(
                progress.done,
                "the fixture ends in the middle of a chunked body"
            );
            progress.consumed
        }
    };
    Ok(request.head_len() + body_len)
}

/// The answers for every request in a file, in order, stopping at the first error.
fn serve_all(bytes: &[u8]) -> Vec<String> {
    let limits = Limits::default();
    let mut answers = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        match serve_one(rest, &limits) {
            Ok(len) => {
                answers.push("ok".to_owned());
                rest = &rest[len..];
            }
            Err(err) => {
                answers.push(err.status().to_string());
                break;
            }
        }
    }
    answers
}

#[test]
fn every_fixture_gets_its_listed_answers() {
    let manifest = fs::read_to_string(Path::new(DIR).join("MANIFEST")).unwrap();
    let mut listed = BTreeSet::new();
    let mut failures = Vec::new();
    for line in manifest.lines() {
        let line = line.split('#').next().unwrap().trim();
        let mut words = line.split_whitespace();
        let Some(name) = words.next() else { continue };
        let expected: Vec<String> = words.map(str::to_owned).collect();
        assert!(!expected.is_empty(), "{name}: no answer listed");
        assert!(listed.insert(name.to_owned()), "{name} listed twice");
        let bytes = fs::read(Path::new(DIR).join(name)).unwrap();
        let answers = serve_all(&bytes);
        if answers != expected {
            failures.push(format!("{name}: expected {expected:?}, got {answers:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Every fixture file is in the manifest, and there are enough of them to mean something.
    let on_disk: BTreeSet<String> = fs::read_dir(DIR)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".http"))
        .collect();
    assert_eq!(on_disk, listed);
    assert!(listed.len() >= 30);
}
