#![allow(
    missing_docs,
    reason = "criterion_group! generates undocumented functions"
)]
//! Reader throughput per input format, in rows (records) per second and
//! MB/s:
//!
//! * URL lists and C4-like JSON Lines records (about 1 KiB of text each,
//!   with escapes): finding each row's URL, MB/s of decompressed input;
//!   `BENCH_ROWS` sets the row count (default 200,000);
//! * `.warc.gz` (request, response and metadata records of pages of about
//!   20 KB, one gzip member each, as Common Crawl writes them): reading
//!   every record with its headers and HTML head, MB/s of *compressed*
//!   input; `BENCH_CAPTURES` captures (default 2,000);
//! * Parquet (zstd, the URL column of `id`, `url`, `text` rows): reading
//!   the URL column's cells, MB/s of file; `BENCH_ROWS` rows.

#[path = "world.rs"]
mod world;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use optout::corpus::json::Scratch;
use optout::corpus::{Chunk, ChunkReader, Input, RowFormat, RowUrl};
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
    let mut reader = ChunkReader::new(Input::from_reader(
        "bench",
        Box::new(std::io::Cursor::new(bytes.to_vec())),
    ));
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

fn warc(c: &mut Criterion) {
    let captures = std::env::var("BENCH_CAPTURES").map_or(2_000, |v| v.parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.warc.gz");
    let mut bytes = Vec::new();
    for i in 0..captures {
        let url = format!("https://host{}.example/articles/{i}.html", i % 500);
        bytes.extend(world::warc_capture(&url, i as u64, 20_000));
    }
    std::fs::write(&path, &bytes).unwrap();
    let mut group = c.benchmark_group("readers");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function(format!("warc_gz_{}_records", captures * 3), |b| {
        b.iter(|| {
            let mut reader = optout::corpus::warc::WarcReader::open(&path).unwrap();
            let mut records = 0usize;
            while let Some(record) = reader.next_record().unwrap() {
                records += usize::from(record.target().is_some()) + record.body_head.len();
            }
            black_box(records)
        });
    });
    group.finish();
}

fn parquet(c: &mut Criterion) {
    use arrow_array::{Array, Int64Array, RecordBatch, StringArray};
    use std::sync::Arc;
    let rows = std::env::var("BENCH_ROWS").map_or(200_000, |v| v.parse().unwrap());
    let (lines, _) = data(rows);
    let urls: Vec<&str> = std::str::from_utf8(&lines).unwrap().lines().collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.parquet");
    let schema = Arc::new(arrow_schema::Schema::new(vec![
        arrow_schema::Field::new("id", arrow_schema::DataType::Int64, false),
        arrow_schema::Field::new("url", arrow_schema::DataType::Utf8, true),
        arrow_schema::Field::new("text", arrow_schema::DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(Int64Array::from_iter_values(0..rows as i64)),
            Arc::new(StringArray::from(urls.clone())),
            Arc::new(StringArray::from_iter_values(
                (0..rows).map(|i| format!("document {i}: some text")),
            )),
        ],
    )
    .unwrap();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
        .build();
    let mut writer = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&path).unwrap(),
        schema,
        Some(props),
    )
    .unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    let mut group = c.benchmark_group("readers");
    group.sample_size(10);
    group.throughput(Throughput::Elements(rows as u64));
    group.bench_function(
        format!("parquet_url_column_{rows}_rows_{size}_bytes"),
        |b| {
            b.iter(|| {
                let file = std::fs::File::open(&path).unwrap();
                let builder =
                    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                        .unwrap();
                let mask =
                    parquet::arrow::ProjectionMask::columns(builder.parquet_schema(), ["url"]);
                let reader = builder
                    .with_projection(mask)
                    .with_batch_size(65_536)
                    .build()
                    .unwrap();
                let mut found = 0usize;
                for batch in reader {
                    let batch = batch.unwrap();
                    let column = batch.column(0);
                    let cells = column.as_any().downcast_ref::<StringArray>().unwrap();
                    for cell in cells.iter().flatten() {
                        found += cell.len();
                    }
                    found += column.null_count();
                }
                black_box(found)
            });
        },
    );
    group.finish();
}

criterion_group!(benches, readers, warc, parquet);
criterion_main!(benches);
