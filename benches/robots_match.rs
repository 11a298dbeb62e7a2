#![allow(
    missing_docs,
    reason = "criterion_group! generates undocumented functions"
)]
//! robots.txt parsing (bytes per second over the real files) and compiled
//! matching (paths per second, default training agent set).

#[path = "world.rs"]
mod world;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use optout::agents::{AgentSet, Purpose, Registry};
use optout::signals::robots::RobotsTxt;
use optout::signals::robots::normalize::{self, Side};
use std::hint::black_box;

fn parse(c: &mut Criterion) {
    let files = world::real_files();
    let bytes: usize = files.iter().map(|f| f.1.len()).sum();
    let mut group = c.benchmark_group("robots_parse");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("all_real_files", |b| {
        b.iter(|| {
            for (_, body) in &files {
                black_box(RobotsTxt::parse(black_box(body)));
            }
        });
    });
    group.finish();
}

fn matching(c: &mut Criterion) {
    let world = world::build(files_len(), 200_000);
    let agents = AgentSet::for_purpose(Registry::builtin(), Purpose::Train).unwrap();
    let compiled: std::collections::HashMap<String, _> = world
        .hosts
        .iter()
        .map(|(h, body)| (h.clone(), RobotsTxt::parse(body).compile(agents.keys())))
        .collect();
    let urls: Vec<(String, Vec<u8>)> = world
        .urls
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let url = std::str::from_utf8(l).unwrap();
            let rest = url.split_once("://").unwrap().1;
            let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let mut scratch = Vec::new();
            (
                host.to_owned(),
                normalize::normalize(path.as_bytes(), Side::Url, &mut scratch).to_vec(),
            )
        })
        .collect();
    let mut group = c.benchmark_group("robots_match");
    group.throughput(Throughput::Elements(urls.len() as u64));
    group.sample_size(10);
    group.bench_function("all_contents_per_path", |b| {
        b.iter(|| {
            let mut disallowed = 0usize;
            for (host, path) in &urls {
                let c = &compiled[host];
                for content in 0..c.contents() {
                    disallowed += usize::from(!c.match_content(content, path).allowed);
                }
            }
            black_box(disallowed)
        });
    });
    group.finish();
}

fn files_len() -> usize {
    world::real_files().len()
}

criterion_group!(benches, parse, matching);
criterion_main!(benches);
