//! Writes a realistic world (see `benches/realistic.rs`) to a directory:
//! `robots/<host>.txt` for every host that has a robots.txt, and the same
//! URLs twice, `urls.txt` in random order and `urls-grouped.txt` grouped by
//! host (as a CDXJ index or a host-partitioned job delivers them). Prints
//! how many bodies and rule sets are distinct.
//!
//! ```text
//! cargo run --release --example realistic_world -- /tmp/real 100000 1000000
//! ```

#[path = "../benches/world.rs"]
mod world;

#[path = "../benches/realistic.rs"]
mod realistic;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let snapshot = std::env::args().any(|a| a == "--snapshot");
    let mut args = std::env::args().skip(1).filter(|a| a != "--snapshot");
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "/tmp/optout-real".into()));
    let hosts: usize = args.next().map_or(100_000, |a| a.parse().expect("HOSTS"));
    let urls: usize = args.next().map_or(1_000_000, |a| a.parse().expect("URLS"));
    let summary = realistic::write_world(&dir, hosts, urls, snapshot)?;
    std::io::Write::write_all(&mut std::io::stdout().lock(), summary.as_bytes())?;
    Ok(())
}
