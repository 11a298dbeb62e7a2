//! The whole `optout filter` process against two yardsticks, in one run on
//! the engine bench's world (10,000 hosts with real robots.txt files,
//! 1,000,000 URLs in random host order, written to a temporary directory):
//!
//! - texting_robots 0.2, a robots.txt crate, parsing each host's file for
//!   one agent and matching each URL against it, in this process on one
//!   thread (its own parse-and-match rate: it has no run of its own);
//! - `zcat urls.txt.gz | wc -l`, the floor of reading the input at all.
//!
//! `optout filter urls.txt.gz --robots-dir robots --agents GPTBot` runs
//! as a child process on `BENCH_THREADS` threads (default 2), kept rows to
//! a file, so its figure includes starting, loading, reading, judging and
//! writing. Each figure is the median of `BENCH_RUNS` runs (default 5).
//!
//! ```text
//! cargo bench --bench versus
//! ```

#![allow(
    missing_docs,
    clippy::print_stdout,
    reason = "a bench binary that prints its figures"
)]

#[path = "world.rs"]
mod world;

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const AGENT: &str = "GPTBot";

fn main() {
    let runs: usize = env_or("BENCH_RUNS", 5);
    let threads: usize = env_or("BENCH_THREADS", 2);
    let world = world::build(10_000, 1_000_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let urls_gz = write_world(dir.path(), &world);

    let texting = median(runs, || texting_robots_run(&world));
    let optout = median(runs, || {
        let kept = dir.path().join("kept.txt");
        let status = Command::new(env!("CARGO_BIN_EXE_optout"))
            .arg("filter")
            .arg(&urls_gz)
            .arg("--robots-dir")
            .arg(dir.path().join("robots"))
            .args(["--agents", AGENT, "--missing-policy", "allow", "-q"])
            .args(["--threads", &threads.to_string(), "--kept"])
            .arg(&kept)
            .stdout(Stdio::null())
            .status()
            .expect("optout runs");
        assert!(status.success(), "optout filter failed: {status}");
    });
    let zcat = median(runs, || {
        let output = Command::new("sh")
            .arg("-c")
            .arg(format!("zcat '{}' | wc -l", urls_gz.display()))
            .output()
            .expect("zcat runs");
        let lines: usize = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .expect("a line count");
        assert_eq!(lines, world.url_count);
    });

    let rate = |d: Duration| world.url_count as f64 / d.as_secs_f64();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{} URLs over {} hosts, agent {AGENT}, medians of {runs} runs",
        world.url_count,
        world.hosts.len()
    );
    for (name, d) in [
        ("texting_robots 0.2, parse and match, 1 thread", texting),
        (
            &*format!("optout filter, whole process, {threads} threads"),
            optout,
        ),
        ("zcat urls.txt.gz | wc -l", zcat),
    ] {
        let _ = writeln!(
            out,
            "  {name:<48} {:>8.3} s {:>12.0} URLs/s",
            d.as_secs_f64(),
            rate(d)
        );
    }
    let _ = writeln!(
        out,
        "  optout / texting_robots: {:.2}x; optout / zcat | wc -l: {:.2}",
        texting.as_secs_f64() / optout.as_secs_f64(),
        zcat.as_secs_f64() / optout.as_secs_f64()
    );
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `robots/<host>.txt` and `urls.txt.gz` under `dir`; the input's path.
fn write_world(dir: &Path, world: &world::World) -> std::path::PathBuf {
    let robots = dir.join("robots");
    std::fs::create_dir_all(&robots).expect("robots directory");
    for (host, body) in &world.hosts {
        std::fs::write(robots.join(format!("{host}.txt")), body).expect("robots.txt written");
    }
    let path = dir.join("urls.txt.gz");
    let file = std::fs::File::create(&path).expect("urls.txt.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::io::BufWriter::new(file),
        flate2::Compression::default(),
    );
    gz.write_all(&world.urls).expect("URLs written");
    gz.finish()
        .expect("gzip finished")
        .flush()
        .expect("flushed");
    path
}

/// texting_robots over the world: each host's file parsed once for the
/// agent (when its first URL comes), every URL matched. Returns how many
/// URLs were allowed, so the work is not optimised away.
fn texting_robots_run(world: &world::World) -> usize {
    let bodies: HashMap<&str, &[u8]> = world
        .hosts
        .iter()
        .map(|(host, body)| (host.as_str(), body.as_slice()))
        .collect();
    let mut robots: HashMap<&str, Option<texting_robots::Robot>> = HashMap::new();
    let mut allowed = 0;
    for line in world.urls.split(|&b| b == b'\n') {
        let Ok(url) = std::str::from_utf8(line) else {
            continue;
        };
        let Some(host) = url
            .split_once("://")
            .map(|(_, rest)| rest.split(['/', ':', '?', '#']).next().unwrap_or(rest))
        else {
            continue;
        };
        let robot = robots.entry(host).or_insert_with(|| {
            bodies
                .get(host)
                .and_then(|body| texting_robots::Robot::new(AGENT, body).ok())
        });
        // No file, or one it cannot parse: allowed, as it would be fetched.
        if robot.as_ref().is_none_or(|r| r.allowed(url)) {
            allowed += 1;
        }
    }
    allowed
}

/// The median wall time of `runs` calls of `f`.
fn median<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(f());
            started.elapsed()
        })
        .collect();
    times.sort_unstable();
    times[times.len() / 2]
}
