//! A synthetic but realistic world for benchmarks: `hosts` hosts whose
//! robots.txt files are the real ones of `../shared/data/robots` (or, without
//! it, `fixtures/robots/real`), assigned round-robin, and `urls` URLs whose
//! paths are drawn half from the host's own rules (so matching does real
//! work) and half from common site paths. Deterministic.

#![allow(
    dead_code,
    missing_docs,
    reason = "each bench uses part of this module; criterion macros make undocumented items"
)]

use std::path::{Path, PathBuf};

pub(crate) struct World {
    /// (host, robots.txt body)
    pub(crate) hosts: Vec<(String, Vec<u8>)>,
    /// One URL per line.
    pub(crate) urls: Vec<u8>,
    pub(crate) url_count: usize,
}

pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

pub(crate) fn robots_source() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/data/robots");
    if shared.is_dir() {
        shared
    } else {
        root.join("fixtures/robots/real")
    }
}

/// The real robots.txt bodies, sorted by file name.
pub(crate) fn real_files() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(robots_source())
        .expect("robots source dir")
        .filter_map(|e| {
            let e = e.ok()?;
            let name = e.file_name().to_str()?.strip_suffix(".txt")?.to_owned();
            Some((name, std::fs::read(e.path()).ok()?))
        })
        .collect();
    files.sort();
    files
}

/// Paths taken from a file's Allow/Disallow lines, wildcards filled in.
pub(crate) fn rule_paths(body: &[u8], rng: &mut Rng) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    let mut out = Vec::new();
    for line in text.lines() {
        let lower = line.trim().to_ascii_lowercase();
        let value = lower
            .strip_prefix("disallow:")
            .or_else(|| lower.strip_prefix("allow:"))
            .map(|_| line.trim().split_once(':').map_or("", |(_, v)| v).trim());
        if let Some(value) = value {
            if value.starts_with('/') {
                let filled: String = value
                    .trim_end_matches('$')
                    .chars()
                    .map(|c| {
                        if c == '*' {
                            ['x', 'y', 'z'][rng.below(3)]
                        } else {
                            c
                        }
                    })
                    .collect();
                out.push(filled.split('#').next().unwrap_or("/").to_owned());
            }
        }
    }
    out
}

/// Paths most sites have, half of each world's URLs.
pub(crate) const COMMON_PATHS: [&str; 10] = [
    "/",
    "/index.html",
    "/news/",
    "/blog/2025/10/a-post",
    "/search?q=rust",
    "/products/12345",
    "/about/team",
    "/static/app.js",
    "/tag/ai",
    "/login?next=/account",
];

pub(crate) fn build(hosts: usize, urls: usize) -> World {
    let files = real_files();
    let mut rng = Rng(0x9309_2022);
    let common = COMMON_PATHS;
    let mut world_hosts = Vec::with_capacity(hosts);
    let mut paths = Vec::with_capacity(hosts);
    for i in 0..hosts {
        let (name, body) = &files[i % files.len()];
        world_hosts.push((format!("s{i}.{name}"), body.clone()));
        paths.push(rule_paths(body, &mut rng));
    }
    let mut text = Vec::with_capacity(urls * 64);
    for _ in 0..urls {
        let h = rng.below(hosts);
        let scheme = if rng.below(4) == 0 { "http" } else { "https" };
        let own = &paths[h];
        let path = if !own.is_empty() && rng.below(2) == 0 {
            own[rng.below(own.len())].clone()
        } else {
            common[rng.below(common.len())].to_owned()
        };
        text.extend_from_slice(scheme.as_bytes());
        text.extend_from_slice(b"://");
        text.extend_from_slice(world_hosts[h].0.as_bytes());
        text.extend_from_slice(path.as_bytes());
        text.push(b'\n');
    }
    World {
        hosts: world_hosts,
        urls: text,
        url_count: urls,
    }
}

/// Words for page text: a small vocabulary drawn at random compresses
/// about as well as real HTML (3 to 4 times with gzip).
const WORDS: [&str; 48] = [
    "the",
    "of",
    "and",
    "data",
    "model",
    "training",
    "rights",
    "robots",
    "policy",
    "site",
    "article",
    "news",
    "page",
    "content",
    "user",
    "agent",
    "crawler",
    "search",
    "index",
    "web",
    "licence",
    "reserved",
    "text",
    "mining",
    "copyright",
    "archive",
    "common",
    "crawl",
    "open",
    "source",
    "research",
    "public",
    "domain",
    "author",
    "publisher",
    "media",
    "image",
    "video",
    "report",
    "study",
    "market",
    "local",
    "world",
    "sport",
    "culture",
    "science",
    "health",
    "travel",
];

/// One capture as Common Crawl writes it: request, response (an HTML page
/// of about `page_bytes`) and metadata records, each its own gzip member.
pub(crate) fn warc_capture(url: &str, seed: u64, page_bytes: usize) -> Vec<u8> {
    use std::io::Write;
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut page = String::with_capacity(page_bytes + 256);
    page.push_str("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>");
    page.push_str(url);
    page.push_str("</title><meta name=\"viewport\" content=\"width=device-width\"></head><body>\n");
    while page.len() < page_bytes {
        page.push_str("<p>");
        for _ in 0..(20 + rng.below(40)) {
            page.push_str(WORDS[rng.below(WORDS.len())]);
            page.push(' ');
        }
        page.push_str(&format!("{}</p>\n", rng.next() % 100_000));
    }
    page.push_str("</body></html>\n");
    let date = "2024-02-20T01:12:05Z";
    let member = |kind: &str, content_type: &str, block: &str| {
        let record = format!(
            "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Date: {date}\r\nWARC-Record-ID: <urn:uuid:{seed:016x}-{kind}>\r\nWARC-Target-URI: {url}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{block}\r\n\r\n",
            block.len()
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(record.as_bytes()).expect("to a Vec");
        gz.finish().expect("to a Vec")
    };
    let request = "GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: CCBot/2.0 (https://commoncrawl.org/faq/)\r\nAccept: text/html\r\n\r\n";
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nServer: nginx\r\n\r\n{page}",
        page.len()
    );
    let mut out = member("request", "application/http; msgtype=request", request);
    out.extend(member(
        "response",
        "application/http; msgtype=response",
        &response,
    ));
    out.extend(member(
        "metadata",
        "application/warc-fields",
        "fetchTimeMs: 120\r\ncharset-detected: UTF-8\r\n",
    ));
    out
}
