#![allow(
    missing_docs,
    reason = "criterion_group! generates undocumented functions"
)]
//! The decision core: 10,000 hosts with real robots.txt files, 1,000,000
//! URLs, the default training agent set, one thread (`process_chunk`, which
//! parses each URL, checks blocklists and robots.txt for every agent, and
//! writes kept rows), the parallel run over the same chunks, and the same
//! URLs as a Parquet batch's column (`decide_column`, one and two
//! threads). With `BENCH_SIGNALS=1` every robots.txt carries a
//! Content-Signal line.

#[path = "world.rs"]
mod world;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use optout::agents::{AgentRule, AgentSet, Purpose, Registry};
use optout::blocklist::{Blocklist, Blocklists};
use optout::corpus::{Chunk, ChunkReader, Input};
use optout::engine::column::ColumnScratch;
use optout::engine::{self, ChunkResult, Engine, MissingPolicy, Outputs, Scratch, Sink};
use optout::policy::PolicySet;
use std::hint::black_box;

struct Discard;

impl Sink for Discard {
    fn chunk(&mut self, result: &ChunkResult) -> optout::Result<()> {
        black_box(result.kept.len());
        Ok(())
    }
}

fn setup() -> (Engine, world::World) {
    let world = world::build(
        std::env::var("BENCH_HOSTS").map_or(10_000, |v| v.parse().unwrap()),
        1_000_000,
    );
    let agents = AgentSet::for_purpose(Registry::builtin(), Purpose::Train).unwrap();
    // BENCH_SIGNALS=1 prepends Cloudflare's managed block (a `*` group
    // with `Content-signal: search=yes, ai-train=no`) to every file: the
    // worst case for the usage stage, which then judges every row access
    // lets through.
    let managed = std::env::var_os("BENCH_SIGNALS").is_some();
    let mut set = PolicySet::new();
    for (host, body) in &world.hosts {
        if managed {
            let mut with =
                b"User-Agent: *\nContent-signal: search=yes, ai-train=no\nAllow: /\n\n".to_vec();
            with.extend_from_slice(body);
            set.insert_body(host, host, &with);
        } else {
            set.insert_body(host, host, body);
        }
    }
    let lists = Blocklists::new(vec![Blocklist::parse(
        "piracy",
        "bench",
        b"libgen.is\n1337x.to\nthepiratebay.org\n",
    )]);
    let engine = Engine::new(
        set.compile(&agents),
        lists,
        agents,
        AgentRule::Any,
        MissingPolicy::Deny,
    );
    (engine, world)
}

fn chunks(urls: &[u8]) -> Vec<Chunk> {
    let mut out = Vec::new();
    let mut reader = ChunkReader::new(Input::from_reader(
        "bench",
        Box::new(std::io::Cursor::new(urls.to_vec())),
    ));
    loop {
        let mut chunk = Chunk::default();
        if !reader.next_chunk(&mut chunk).unwrap() {
            return out;
        }
        out.push(chunk);
    }
}

fn decision_core(c: &mut Criterion) {
    let (engine, world) = setup();
    let chunks = chunks(&world.urls);
    let outputs = Outputs {
        kept: true,
        removed: false,
        outcomes: false,
    };
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(world.url_count as u64));
    group.sample_size(10);
    group.bench_function("decide_1m_urls_1_thread", |b| {
        let mut scratch = Scratch::default();
        let mut result = ChunkResult::default();
        b.iter(|| {
            let mut kept = 0;
            for chunk in &chunks {
                engine.process_chunk(chunk, outputs, &mut scratch, &mut result);
                kept += result.stats.kept;
            }
            black_box(kept)
        });
    });
    group.bench_function("run_1m_urls_2_threads", |b| {
        b.iter(|| {
            let reader = ChunkReader::new(Input::from_reader(
                "bench",
                Box::new(std::io::Cursor::new(world.urls.clone())),
            ));
            let outcome = engine::run(
                &engine,
                reader,
                2,
                outputs,
                &mut Discard,
                &optout::observe::Quiet,
            )
            .unwrap();
            black_box(outcome.stats.kept)
        });
    });
    // A Parquet batch's URL column: the same URLs as cells, judged by
    // `decide_column`; and as an Arrow binary array, as the Python package
    // and the Spark and Ray jobs hand them over, judged by `decide_batch`
    // (keep, code, agent and line per row, no evidence). Each on one and
    // on two threads.
    let cells: Vec<Option<&[u8]>> = world
        .urls
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(Some)
        .collect();
    let array = arrow_array::BinaryArray::from(cells.iter().flatten().copied().collect::<Vec<_>>());
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut scratch = ColumnScratch::default();
        group.bench_function(format!("column_1m_cells_{threads}_threads"), |b| {
            b.iter(|| {
                let result = engine.decide_column(
                    &cells,
                    None,
                    1,
                    optout::engine::Outputs::default(),
                    &pool,
                    &mut scratch,
                );
                black_box(result.stats.kept)
            });
        });
        group.bench_function(format!("batch_1m_urls_{threads}_threads"), |b| {
            b.iter(|| {
                let decided = engine
                    .decide_batch(&array, 1, false, &pool, &mut scratch)
                    .unwrap();
                black_box(decided.stats.kept)
            });
        });
    }
    group.finish();
}

criterion_group!(benches, decision_core);
criterion_main!(benches);
