//! Writes the benchmark world's URLs as a `.warc.gz` of about `MB`
//! megabytes (request, response and metadata records per URL, one gzip
//! member each, pages of about 20 KB), for whole-process runs of `optout
//! filter` over WARC:
//!
//! ```text
//! cargo run --release --example bench_world -- /tmp/world 10000 1000000
//! cargo run --release --example warc_world -- /tmp/world 1000
//! /usr/bin/time -v target/release/optout filter /tmp/world/crawl.warc.gz \
//!     --robots-dir /tmp/world/robots --missing-policy allow --kept /tmp/kept.warc.gz
//! ```

#[path = "../benches/world.rs"]
mod world;

use std::io::Write;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "/tmp/optout-world".into()));
    let megabytes: u64 = args.next().map_or(1000, |a| a.parse().expect("MB"));
    let world = world::build(10_000, 1_000_000);
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("crawl.warc.gz");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let mut written = 0u64;
    let mut captures = 0u64;
    for (i, url) in std::str::from_utf8(&world.urls)
        .expect("URLs are text")
        .lines()
        .cycle()
        .enumerate()
    {
        if written >= megabytes * 1_000_000 {
            break;
        }
        let capture = world::warc_capture(url, i as u64, 20_000);
        written += capture.len() as u64;
        captures += 1;
        out.write_all(&capture)?;
    }
    out.flush()?;
    writeln!(
        std::io::stderr().lock(),
        "{}: {captures} captures ({} records), {written} bytes",
        path.display(),
        captures * 3
    )?;
    Ok(())
}
