//! Request-head parsing: webpool's parser against `httparse`, on the same inputs in one run.
//!
//! `cargo bench --bench parse`. webpool does more per call than httparse (it checks the Host,
//! Content-Length and Transfer-Encoding rules and classifies the target), so equal times mean
//! webpool's line scanning is faster.

mod heads;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use heads::{
    httparse_head_len, webpool_byte_at_a_time_head_len, webpool_head_len, CHROME_NAVIGATION, INPUTS,
};
use webpool::http::request::Limits;

fn compare_parsers(c: &mut Criterion) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("parse");
    for (name, input) in INPUTS {
        assert_eq!(webpool_head_len(input, &limits), httparse_head_len(input));
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_with_input(BenchmarkId::new("webpool", name), input, |b, input| {
            b.iter(|| webpool_head_len(black_box(input), &limits))
        });
        group.bench_with_input(BenchmarkId::new("httparse", name), input, |b, input| {
            b.iter(|| httparse_head_len(black_box(input)))
        });
    }
    group.finish();
}

/// A head arriving one byte per read: the parser must stay linear (each call only looks at the
/// new byte), so this should cost a small constant times the one-shot parse.
fn byte_at_a_time(c: &mut Criterion) {
    let mut group = c.benchmark_group("byte_at_a_time");
    group.throughput(Throughput::Bytes(CHROME_NAVIGATION.len() as u64));
    group.bench_function("webpool/chrome_navigation", |b| {
        b.iter(|| webpool_byte_at_a_time_head_len(black_box(CHROME_NAVIGATION)))
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = compare_parsers, byte_at_a_time
}
criterion_main!(benches);
