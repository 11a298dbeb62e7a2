//! Fetch throughput: `BENCH_ORIGINS` (20,000) virtual hosts served by the
//! tests' server on 127.0.0.1, fetched at `BENCH_CONCURRENCY` (256) into a
//! fresh SQLite cache, the whole pipeline (resolver override, politeness,
//! body hashing, the cache writer). Prints origins per second, the cache
//! size per 10,000 origins and the process's peak memory. The server runs
//! in the same process, so both share the machine's cores, as they would
//! on a loopback test.
//!
//! `cargo bench --bench fetch`; for the binary as a whole see
//! `examples/serve.rs`.

#[path = "../tests/it/server.rs"]
mod server;

use std::sync::Arc;
use std::time::Instant;

use optout::cache::{self, Cache};
use optout::fetch::{FetchOptions, Fetcher, Job, Validators};
use optout::origin::Origin;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

#[expect(clippy::print_stdout, reason = "a bench prints its figures")]
fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        // `cargo test --benches` and `--list` probes: nothing to run.
        return;
    }
    let origins = env("BENCH_ORIGINS", 20_000);
    let concurrency = env("BENCH_CONCURRENCY", 256);
    let server = server::Server::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let cache = Cache::open(&path).unwrap();
    let jobs: Vec<Job> = (0..origins)
        .map(|i| {
            Job::robots(
                Origin::parse_key(&format!("http://ok{i}.bench.test")).unwrap(),
                Validators::default(),
            )
        })
        .collect();
    let options = FetchOptions {
        concurrency,
        ..server.fetch_options()
    };
    let fetcher = Arc::new(Fetcher::new(options).unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let (tx, writer) = cache::spawn_writer(cache, "bench".into(), |_| {});
    let end = runtime.block_on(fetcher.run(jobs, tx, std::future::pending()));
    let cache = writer.join().unwrap().unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let stats = cache
        .stats(optout::time::now(), cache::freshness::MAX_AGE)
        .unwrap();
    assert_eq!(end.finished, origins);
    assert_eq!(stats.origins as usize, origins);
    assert_eq!(server.total(), origins, "one request per origin");
    println!(
        "fetch: {origins} origins at concurrency {concurrency} in {seconds:.2} s: {:.0} origins/s",
        origins as f64 / seconds
    );
    println!(
        "cache: {} bytes on disk, {:.0} KiB per 10,000 origins ({} fetches, {} distinct bodies)",
        stats.file_bytes,
        stats.file_bytes as f64 / origins as f64 * 10_000.0 / 1024.0,
        stats.fetches,
        stats.bodies
    );
    println!("peak RSS (server included): {} MiB", peak_rss_kib() / 1024);
}
