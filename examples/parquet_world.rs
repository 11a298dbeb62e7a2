//! Writes the benchmark world's URLs as a Parquet file (`id`, `url`,
//! `text` columns, zstd, row groups of 1,048,576 rows), for whole-process
//! runs of `optout filter` over Parquet:
//!
//! ```text
//! cargo run --release --example bench_world -- /tmp/world 10000 1000000
//! cargo run --release --example parquet_world -- /tmp/world 10000000
//! /usr/bin/time -v target/release/optout filter /tmp/world/urls.parquet \
//!     --robots-dir /tmp/world/robots --kept /tmp/kept.parquet --threads 2
//! ```

#[path = "../benches/world.rs"]
mod world;

use std::sync::Arc;

use arrow_array::{Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "/tmp/optout-world".into()));
    let rows: usize = args.next().map_or(10_000_000, |a| a.parse().expect("ROWS"));
    let world = world::build(10_000, 1_000_000);
    let urls: Vec<&str> = std::str::from_utf8(&world.urls).unwrap().lines().collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("url", DataType::Utf8, true),
        Field::new("text", DataType::Utf8, false),
    ]));
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(1 << 20))
        .build();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("urls.parquet");
    let file = std::fs::File::create(&path).unwrap();
    let mut writer = ArrowWriter::try_new(file, Arc::clone(&schema), Some(props)).unwrap();
    let batch = 1 << 16;
    let mut start = 0;
    while start < rows {
        let n = batch.min(rows - start);
        let ids = Int64Array::from_iter_values((start..start + n).map(|i| i as i64));
        let url = StringArray::from_iter_values((start..start + n).map(|i| urls[i % urls.len()]));
        let text = StringArray::from_iter_values((start..start + n).map(|i| format!("doc {i}")));
        let record = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![Arc::new(ids), Arc::new(url), Arc::new(text)],
        )
        .unwrap();
        writer.write(&record).unwrap();
        start += n;
    }
    writer.close().unwrap();
    let mut out = std::io::stdout().lock();
    std::io::Write::write_fmt(&mut out, format_args!("{}: {rows} rows\n", path.display()))
}
