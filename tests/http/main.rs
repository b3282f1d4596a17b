//! The HTTP layer (`webpool::http`) on its own, without a socket: properties of the request
//! parser, the chunked decoder, the path resolver and the static-file helpers, on requests
//! built by [`generators`]; agreement with `httparse`; each error's status; and every raw
//! request in `fixtures/requests/`. (The same layer inside the live server: `tests/e2e/`.)
//!
//! One binary, one link: each file below was a test binary of its own. A property test's
//! saved failures sit next to its file (`chunked_props.proptest-regressions`).
#![cfg(not(any(loom, shuttle)))]

mod generators;

mod chunked_props;
mod differential;
mod error_status;
mod fixtures;
mod helpers_props;
mod parse_props;
mod path_props;
