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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let snapshot = std::env::args().any(|a| a == "--snapshot");
    let mut args = std::env::args().skip(1).filter(|a| a != "--snapshot");
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "/tmp/optout-real".into()));
    let hosts: usize = args.next().map_or(100_000, |a| a.parse().expect("HOSTS"));
    let urls: usize = args.next().map_or(1_000_000, |a| a.parse().expect("URLS"));
    let world = Realistic::new();
    let robots = dir.join("robots");
    std::fs::create_dir_all(if snapshot { &dir } else { &robots })?;
    let started = std::time::Instant::now();
    let mut writer = if snapshot {
        Some(optout::cache::indexed::Writer::create(
            &dir.join("policies.db"),
            1,
            FETCHED_AT,
        )?)
    } else {
        None
    };

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
            if writer.is_none() {
                std::fs::write(robots.join(format!("{}.txt", host.name)), body)?;
            }
            bodies.insert(hash(body));
            rule_sets.insert(hash(&rules_of(body)));
        }
        if let Some(writer) = &mut writer {
            // Both origins of the host are fetched (URLs use both schemes).
            for scheme in ["http", "https"] {
                let record = fetched(scheme, &host.name, host.body.as_deref());
                writer.add(&record, host.body.as_deref(), None)?;
            }
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
    if let Some(writer) = writer {
        for (path, meta) in writer.finish()? {
            writeln!(
                out,
                "  snapshot {}: {} entries, {} distinct bodies, {} MiB on disk",
                path.display(),
                meta.entries,
                meta.bodies,
                std::fs::metadata(&path)?.len() >> 20
            )?;
        }
        writeln!(out, "  written in {:.1} s", started.elapsed().as_secs_f64())?;
    }
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
    )?;
    Ok(())
}

/// When the world's policies were "fetched": 2026-11-01.
const FETCHED_AT: i64 = 1_793_491_200_000;

/// The record a fetch of `{scheme}://{host}/robots.txt` leaves: a 200
/// with `body`, or a 404.
fn fetched(scheme: &str, host: &str, body: Option<&[u8]>) -> optout::cache::Effective {
    use optout::fetch::outcome::Outcome;
    let url = format!("{scheme}://{host}/robots.txt");
    optout::cache::Effective {
        used: optout::cache::StoredFetch {
            id: 0,
            origin: format!("{scheme}://{host}"),
            file: optout::origin::SiteFile::Robots,
            started_at: FETCHED_AT - 120,
            fetched_at: FETCHED_AT,
            final_url: url.clone(),
            url,
            redirects: Vec::new(),
            status: Some(if body.is_some() { 200 } else { 404 }),
            outcome: if body.is_some() {
                Outcome::Ok
            } else {
                Outcome::Unavailable
            },
            detail: String::new(),
            attempts: 1,
            earlier: Vec::new(),
            etag: None,
            last_modified: None,
            content_type: body.map(|_| "text/plain".to_owned()),
            content_encoding: None,
            retry_after: None,
            sha256: body.map(optout::digest::sha256_hex),
            body_size: body.map(|b| b.len() as u64),
            truncated: false,
            html: false,
            source: "fetch".to_owned(),
        },
        failed: None,
    }
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
