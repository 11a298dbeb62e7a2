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

use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};
use std::io::{BufWriter, Write};

use realistic::{KINDS, Realistic};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "/tmp/optout-real".into()));
    let hosts: usize = args.next().map_or(100_000, |a| a.parse().expect("HOSTS"));
    let urls: usize = args.next().map_or(1_000_000, |a| a.parse().expect("URLS"));
    let world = Realistic::new();
    let robots = dir.join("robots");
    std::fs::create_dir_all(&robots)?;

    // 64-bit content hashes: enough to count distinct bodies in a world of
    // ten million hosts without holding the bodies.
    let state =
        std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default();
    let hash = |bytes: &[u8]| {
        let mut h = state.build_hasher();
        h.write(bytes);
        h.finish()
    };
    let mut bodies = HashSet::new();
    let mut rule_sets = HashSet::new();
    let mut kinds = [0usize; KINDS.len()];
    let mut grouped = BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(dir.join("urls-grouped.txt"))?,
    );
    let mut line = Vec::with_capacity(256);
    let mut rng = world::Rng(0x5EED_0F0F);
    for i in 0..hosts {
        let host = world.host(i);
        kinds[KINDS.iter().position(|k| *k == host.kind).expect("a kind")] += 1;
        if let Some(body) = &host.body {
            std::fs::write(robots.join(format!("{}.txt", host.name)), body)?;
            bodies.insert(hash(body));
            rule_sets.insert(hash(&rules_of(body)));
        }
        let share = urls / hosts + usize::from(i < urls % hosts);
        for _ in 0..share {
            line.clear();
            Realistic::url(&host, &mut rng, &mut line);
            grouped.write_all(&line)?;
        }
    }
    grouped.flush()?;
    let mut random =
        BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join("urls.txt"))?);
    for _ in 0..urls {
        let host = world.host_urls(rng.below(hosts));
        line.clear();
        Realistic::url(&host, &mut rng, &mut line);
        random.write_all(&line)?;
    }
    random.flush()?;

    let with_robots = hosts - kinds[0];
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}: {hosts} hosts, {urls} URLs", dir.display())?;
    for (kind, n) in KINDS.iter().zip(kinds) {
        writeln!(out, "  {:<16} {n}", kind.name())?;
    }
    writeln!(
        out,
        "  with robots.txt {with_robots}; distinct bodies {} ({:.1}%); distinct rule sets {} ({:.1}%)",
        bodies.len(),
        100.0 * bodies.len() as f64 / with_robots.max(1) as f64,
        rule_sets.len(),
        100.0 * rule_sets.len() as f64 / with_robots.max(1) as f64,
    )
}

/// A body's rule lines, sorted, without comments, `Sitemap:` lines and
/// blank lines: what two bodies that compile alike (for any agent set,
/// up to group order) have in common. An approximation, for the summary.
fn rules_of(body: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(body);
    let mut lines: Vec<&str> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("sitemap:"))
        .collect();
    lines.sort_unstable();
    lines.join("\n").into_bytes()
}
