//! Writes the benchmark world to a directory, for whole-process runs:
//!
//! ```text
//! cargo run --release --example bench_world -- /tmp/world [HOSTS] [URLS]
//! /usr/bin/time -v target/release/optout filter /tmp/world/urls.txt.gz \
//!     --robots-dir /tmp/world/robots --threads 2 > /dev/null
//! ```

#[path = "../benches/world.rs"]
mod world;

use std::io::Write;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "/tmp/optout-world".into()));
    let hosts = args.next().map_or(10_000, |a| a.parse().expect("HOSTS"));
    let urls = args.next().map_or(1_000_000, |a| a.parse().expect("URLS"));
    let world = world::build(hosts, urls);
    let robots = dir.join("robots");
    std::fs::create_dir_all(&robots)?;
    for (host, body) in &world.hosts {
        std::fs::write(robots.join(format!("{host}.txt")), body)?;
    }
    let file = std::fs::File::create(dir.join("urls.txt.gz"))?;
    let mut gz = flate2::write::GzEncoder::new(
        std::io::BufWriter::new(file),
        flate2::Compression::default(),
    );
    gz.write_all(&world.urls)?;
    gz.finish()?.flush()?;
    std::fs::write(dir.join("urls.txt"), &world.urls)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: {} hosts, {} URLs ({} bytes)",
        dir.display(),
        world.hosts.len(),
        world.url_count,
        world.urls.len()
    )
}
