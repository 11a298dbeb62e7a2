//! A world of many origins whose robots.txt files differ the way real
//! sites' do, for the scale benches and tests: every body is built from a
//! real file of `../shared/data/robots` (or `fixtures/robots/real`), and
//! each host is a pure function of its number, so a world of ten million
//! hosts is generated as a stream, without holding it.
//!
//! Shares per host (assumptions, stated so figures can be read against
//! them; see the README for what is known of real crawls):
//!
//! | share | robots.txt |
//! |---|---|
//! | 30% | none (a 404: no file in a robots directory) |
//! | 12% | WordPress's default, with the host's own `Sitemap:` line |
//! | 5% | Cloudflare's managed block alone (byte-identical everywhere) |
//! | 3% | Cloudflare's managed block prepended to a real file |
//! | 50% | a real file, of which 70% get the host's own `Sitemap:` line, 30% a comment naming the host, 20% their groups reordered, 25% one to five extra `Disallow` paths |
//!
//! So most bodies are distinct (a host name is in them), while far fewer
//! rule sets are: what a compiler keyed by content rather than by body
//! can share.

#![allow(
    dead_code,
    missing_docs,
    reason = "each bench uses part of this module"
)]

use crate::world::{COMMON_PATHS as COMMON, Rng, real_files, rule_paths};

/// What kind of robots.txt a host has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    None,
    WordPress,
    Cloudflare,
    CloudflarePrepended,
    Real,
}

pub(crate) const KINDS: [Kind; 5] = [
    Kind::None,
    Kind::WordPress,
    Kind::Cloudflare,
    Kind::CloudflarePrepended,
    Kind::Real,
];

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::None => "none",
            Kind::WordPress => "wordpress",
            Kind::Cloudflare => "cloudflare",
            Kind::CloudflarePrepended => "cloudflare+real",
            Kind::Real => "real",
        }
    }
}

/// One host of the world.
pub(crate) struct Host {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    pub(crate) body: Option<Vec<u8>>,
    /// Paths its URLs are drawn from besides the common ones.
    pub(crate) paths: Vec<String>,
}

const WORDPRESS: &str =
    "User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n\nSitemap: https://";

const CLOUDFLARE: &str = "# As a condition of accessing this website, you agree to abide by the following\n\
# content signals:\n\
# (a)  If a Content-Signal = yes, you may collect content for the corresponding use.\n\
# (b)  If a Content-Signal = no, you may not collect content for the corresponding use.\n\
# (c)  If the website operator does not include a Content-Signal for a corresponding use, the website operator neither grants nor restricts permission via Content-Signal with respect to the corresponding use.\n\
\n\
User-Agent: *\n\
Content-Signal: search=yes,ai-train=no,use=reference\n\
Allow: /\n\
\n\
User-agent: Amazonbot\nDisallow: /\n\n\
User-agent: Applebot-Extended\nDisallow: /\n\n\
User-agent: Bytespider\nDisallow: /\n\n\
User-agent: CCBot\nDisallow: /\n\n\
User-agent: ClaudeBot\nDisallow: /\n\n\
User-agent: Google-Extended\nDisallow: /\n\n\
User-agent: GPTBot\nDisallow: /\n\n\
User-agent: meta-externalagent\nDisallow: /\n\n\
# END Cloudflare Managed Content\n";

const WORDS: [&str; 8] = [
    "private", "drafts", "cart", "checkout", "tmp", "admin", "staging", "api",
];

/// The generator: the real files and their rule paths, read once.
pub(crate) struct Realistic {
    files: Vec<(String, Vec<u8>)>,
    paths: Vec<Vec<String>>,
}

impl Realistic {
    pub(crate) fn new() -> Realistic {
        let files = real_files();
        let mut rng = Rng(0x0A1B_2C3D);
        let paths = files.iter().map(|(_, b)| rule_paths(b, &mut rng)).collect();
        Realistic { files, paths }
    }

    fn rng(i: usize) -> Rng {
        // A distinct, non-zero xorshift seed per host.
        let mut rng = Rng((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        rng.next();
        rng
    }

    /// Host number `i`.
    pub(crate) fn host(&self, i: usize) -> Host {
        self.make(i, true)
    }

    /// Host number `i` without its body: its name, kind and paths, for
    /// drawing URLs.
    pub(crate) fn host_urls(&self, i: usize) -> Host {
        self.make(i, false)
    }

    fn make(&self, i: usize, with_body: bool) -> Host {
        let mut rng = Self::rng(i);
        let base = rng.below(self.files.len());
        let name = format!("h{i}.{}", self.files[base].0.to_ascii_lowercase());
        let roll = rng.below(100);
        let kind = match roll {
            0..30 => Kind::None,
            30..42 => Kind::WordPress,
            42..47 => Kind::Cloudflare,
            47..50 => Kind::CloudflarePrepended,
            _ => Kind::Real,
        };
        let real = &self.files[base].1;
        let mut paths = Vec::new();
        let body = match kind {
            Kind::None => None,
            Kind::WordPress => {
                paths.push("/wp-admin/options.php".into());
                paths.push("/wp-admin/admin-ajax.php".into());
                Some(format!("{WORDPRESS}{name}/wp-sitemap.xml\n").into_bytes())
            }
            Kind::Cloudflare => Some(CLOUDFLARE.as_bytes().to_vec()),
            Kind::CloudflarePrepended => {
                paths.extend(self.paths[base].iter().cloned());
                Some([CLOUDFLARE.as_bytes(), real].concat())
            }
            Kind::Real => {
                paths.extend(self.paths[base].iter().cloned());
                let mut body = Vec::with_capacity(real.len() + 128);
                if rng.below(100) < 30 {
                    body.extend_from_slice(format!("# robots.txt for {name}\n").as_bytes());
                }
                if rng.below(100) < 20 {
                    body.extend(reordered(real, &mut rng));
                } else {
                    body.extend_from_slice(real);
                }
                if !body.ends_with(b"\n") {
                    body.push(b'\n');
                }
                if rng.below(100) < 25 {
                    body.extend_from_slice(b"\nUser-agent: *\n");
                    for _ in 0..=rng.below(5) {
                        let path =
                            format!("/{}-{}/", WORDS[rng.below(WORDS.len())], rng.below(1000));
                        body.extend_from_slice(format!("Disallow: {path}\n").as_bytes());
                        paths.push(format!("{path}x"));
                    }
                }
                if rng.below(100) < 70 {
                    body.extend_from_slice(
                        format!("\nSitemap: https://{name}/sitemap.xml\n").as_bytes(),
                    );
                }
                Some(body)
            }
        };
        Host {
            name,
            kind,
            body: body.filter(|_| with_body),
            paths,
        }
    }

    /// Appends one URL of `host` (a line) to `out`, its path drawn by `rng`
    /// half from the host's own rules and half from common paths.
    pub(crate) fn url(host: &Host, rng: &mut Rng, out: &mut Vec<u8>) {
        let scheme = if rng.below(4) == 0 { "http" } else { "https" };
        let path = if !host.paths.is_empty() && rng.below(2) == 0 {
            &host.paths[rng.below(host.paths.len())]
        } else {
            COMMON[rng.below(COMMON.len())]
        };
        out.extend_from_slice(scheme.as_bytes());
        out.extend_from_slice(b"://");
        out.extend_from_slice(host.name.as_bytes());
        out.extend_from_slice(path.as_bytes());
        out.push(b'\n');
    }
}

/// `body` with its groups (runs of lines separated by blank lines) in
/// another order; the lines before the first group stay first.
fn reordered(body: &[u8], rng: &mut Rng) -> Vec<u8> {
    let text = String::from_utf8_lossy(body);
    let mut blocks: Vec<String> = text
        .split("\n\n")
        .map(|b| b.trim_matches('\n').to_owned())
        .filter(|b| !b.is_empty())
        .collect();
    for i in (1..blocks.len()).rev() {
        let j = rng.below(i + 1);
        blocks.swap(i, j);
    }
    let mut out = blocks.join("\n\n").into_bytes();
    out.push(b'\n');
    out
}

/// Writes a world of `hosts` hosts and `urls` URLs to `dir`: the hosts'
/// robots.txt files as `robots/<host>.txt`, or with `snapshot` an indexed
/// snapshot `policies.db` of both origins of every host; and the URLs in
/// `urls.txt` (random order) and `urls-grouped.txt` (grouped by host).
/// Returns a summary: the shares of kinds, distinct bodies and rule sets.
pub(crate) fn write_world(
    dir: &std::path::Path,
    hosts: usize,
    urls: usize,
    snapshot: bool,
) -> Result<String, Box<dyn std::error::Error>> {
    use std::collections::HashSet;
    use std::fmt::Write as _;
    use std::hash::{BuildHasher, Hasher};
    use std::io::{BufWriter, Write};

    let world = Realistic::new();
    let robots = dir.join("robots");
    std::fs::create_dir_all(if snapshot { dir } else { &robots })?;
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
    let mut rng = Rng(0x5EED_0F0F);
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
    let mut out = String::new();
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
    Ok(out)
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
