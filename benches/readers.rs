#![allow(
    missing_docs,
    reason = "criterion_group! generates undocumented functions"
)]
//! Reader throughput per row format: finding each row's URL in a URL list
//! and in C4-like JSON Lines records (about 1 KiB of text each, with
//! escapes), in rows/s and MB/s of decompressed input. `BENCH_ROWS` sets
//! the row count (default 200,000).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use optout::corpus::json::Scratch;
use optout::corpus::{Chunk, ChunkReader, Compression, Input, RowFormat, RowUrl};
use std::hint::black_box;

fn data(rows: usize) -> (Vec<u8>, Vec<u8>) {
    let mut lines = Vec::new();
    let mut jsonl = Vec::new();
    let text =
        "Lorem ipsum dolor sit amet, \\\"quoted\\\" text with a tab\\t and unicode \\u00e9. "
            .repeat(12);
    for i in 0..rows {
        let url = format!(
            "https://host{}.example/articles/{}/page-{}.html?ref=feed",
            i % 5000,
            i % 977,
            i
        );
        lines.extend_from_slice(url.as_bytes());
        lines.push(b'\n');
        let record = format!(
            r#"{{"text":"{text}","timestamp":"2019-04-25T12:57:54Z","url":"{}"}}"#,
            url.replace('/', "\\/")
        );
        jsonl.extend_from_slice(record.as_bytes());
        jsonl.push(b'\n');
    }
    (lines, jsonl)
}

fn chunks(bytes: &[u8]) -> Vec<Chunk> {
    let mut reader = ChunkReader::new(Input {
        path: "bench".into(),
        compression: Compression::None,
        reader: Box::new(std::io::Cursor::new(bytes.to_vec())),
    });
    let mut out = Vec::new();
    loop {
        let mut chunk = Chunk::default();
        if !reader.next_chunk(&mut chunk).unwrap() {
            return out;
        }
        out.push(chunk);
    }
}

fn readers(c: &mut Criterion) {
    let rows = std::env::var("BENCH_ROWS").map_or(200_000, |v| v.parse().unwrap());
    let (lines, jsonl) = data(rows);
    let mut group = c.benchmark_group("readers");
    group.sample_size(10);
    for (name, bytes, format) in [
        ("url_list", &lines, RowFormat::Lines),
        (
            "jsonl_c4",
            &jsonl,
            RowFormat::choose("jsonl", "url", std::path::Path::new("x"), b"").unwrap(),
        ),
    ] {
        let chunks = chunks(bytes);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(format!("{name}_{rows}_rows"), |b| {
            let mut scratch = Scratch::default();
            b.iter(|| {
                let mut found = 0usize;
                for chunk in &chunks {
                    for (_, line) in chunk.lines() {
                        if let RowUrl::Url(url) = format.url_of(line, &mut scratch) {
                            found += url.len();
                        }
                    }
                }
                black_box(found)
            });
        });
    }
    group.finish();
}

criterion_group!(benches, readers);
criterion_main!(benches);
