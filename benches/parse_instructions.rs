//! The parse benchmark's work, in a form callgrind can count: parses one head N times with one
//! parser and exits. Instructions are stable on a loaded machine where wall times are not.
//!
//! ```text
//! cargo bench --bench parse_instructions --no-run
//! valgrind --tool=callgrind <binary> webpool|httparse|webpool-bytewise HEAD N
//! ```
//!
//! HEAD is one of `benches/heads`' names (`curl_get`, `curl_post`, `firefox_css`,
//! `chrome_navigation`). Instructions per parse are the difference between two runs with
//! different N, divided by the difference in N, which cancels the process's fixed cost.
//! `scripts/callgrind-parse.sh` does exactly that for every (parser, head) pair and prints the table.
//!
//! `webpool-bytewise` parses the head as it would arrive one byte per read (one parser, each
//! longer prefix), as `benches/parse.rs`'s `byte_at_a_time` does.
//!
//! Both parsers are called exactly as `benches/parse.rs` calls them (the same functions, from
//! `benches/heads`), each parsing the complete head from a byte slice into its own result.
//! Without arguments (as `cargo bench` runs it) it checks that both parsers accept every head.

mod heads;

use std::hint::black_box;
use std::process::ExitCode;

use heads::{httparse_head_len, webpool_byte_at_a_time_head_len, webpool_head_len, INPUTS};
use webpool::http::request::Limits;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let limits = Limits::default();
    // `cargo bench` passes `--bench`: then just check the inputs, quickly.
    if args.iter().all(|arg| arg.starts_with("--")) {
        for (name, input) in INPUTS {
            let (ours, theirs) = (webpool_head_len(input, &limits), httparse_head_len(input));
            assert_eq!(ours, theirs, "{name}: both parsers read the whole head");
        }
        println!("parse_instructions: run under callgrind via scripts/callgrind-parse.sh");
        return ExitCode::SUCCESS;
    }
    let [parser, head, count] = args.as_slice() else {
        eprintln!("usage: parse_instructions webpool|httparse|webpool-bytewise HEAD N");
        return ExitCode::from(2);
    };
    let Some(input) = INPUTS
        .iter()
        .find(|(name, _)| name == head)
        .map(|(_, i)| *i)
    else {
        let names: Vec<&str> = INPUTS.iter().map(|(name, _)| *name).collect();
        eprintln!("unknown head {head:?}; one of {names:?}");
        return ExitCode::from(2);
    };
    let Ok(count) = count.parse::<u64>() else {
        eprintln!("N must be a number, not {count:?}");
        return ExitCode::from(2);
    };
    let mut total = 0usize;
    match parser.as_str() {
        "webpool" => {
            for _ in 0..count {
                total = total.wrapping_add(webpool_head_len(black_box(input), &limits));
            }
        }
        "httparse" => {
            for _ in 0..count {
                total = total.wrapping_add(httparse_head_len(black_box(input)));
            }
        }
        "webpool-bytewise" => {
            for _ in 0..count {
                total = total.wrapping_add(webpool_byte_at_a_time_head_len(black_box(input)));
            }
        }
        _ => {
            eprintln!("unknown parser {parser:?}; webpool, httparse or webpool-bytewise");
            return ExitCode::from(2);
        }
    }
    black_box(total);
    ExitCode::SUCCESS
}
