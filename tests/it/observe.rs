//! Observers: progress reaches them, and a stop they ask for ends a run at
//! a batch boundary with every row so far accounted for.

use std::sync::atomic::{AtomicU64, Ordering};

use optout::blocklist::Blocklists;
use optout::config::FilterConfig;
use optout::corpus::{ChunkReader, Input};
use optout::engine::{self, ChunkResult, Outputs, Sink};
use optout::observe::{Observer, Stage};
use optout::policy::PolicySet;

use crate::util::{TestDir, fixture};

/// Stops the run once `stop_after` rows are judged.
struct StopAfter {
    stop_after: u64,
    done: AtomicU64,
}

impl Observer for StopAfter {
    fn progress(&self, stage: Stage, done: u64, _status: &str) {
        assert_eq!(stage, Stage::Judge);
        self.done.store(done, Ordering::Relaxed);
    }

    fn cancelled(&self) -> bool {
        self.done.load(Ordering::Relaxed) >= self.stop_after
    }
}

/// Counts the rows handed over.
#[derive(Default)]
struct Lines(u64);

impl Sink for Lines {
    fn chunk(&mut self, result: &ChunkResult) -> optout::Result<()> {
        self.0 += result.kept.iter().filter(|&&b| b == b'\n').count() as u64;
        Ok(())
    }
}

#[test]
fn a_cancelled_run_stops_between_batches_with_its_counts_whole() {
    let dir = TestDir::new();
    let input = dir.path("urls.txt");
    let text: String = (0..50_000)
        .map(|i| format!("https://h{}.example/p/{i}\n", i % 97))
        .collect();
    std::fs::write(&input, text).unwrap();
    let config = FilterConfig {
        missing_policy: "allow".into(),
        ..FilterConfig::default()
    };
    let policies = PolicySet::load_dir(&fixture("robots/real")).unwrap().0;
    let engine = config.build(policies, Blocklists::default()).unwrap();
    for threads in [1, 2] {
        let observer = StopAfter {
            stop_after: 1,
            done: AtomicU64::new(0),
        };
        let reader = ChunkReader::with_chunk_size(Input::open(&input).unwrap(), 4096);
        let mut sink = Lines::default();
        let outputs = Outputs {
            kept: true,
            ..Outputs::default()
        };
        let outcome = engine::run(&engine, reader, threads, outputs, &mut sink, &observer).unwrap();
        let stop = outcome.read_error.as_ref().expect("the run was stopped");
        assert!(stop.is_interrupted(), "{stop}");
        let stats = &outcome.stats;
        assert!(stats.rows > 0 && stats.rows < 50_000, "{}", stats.rows);
        assert!(stats.check());
        assert_eq!(sink.0, stats.kept, "{threads} threads");
        assert_eq!(observer.done.load(Ordering::Relaxed), stats.rows);
    }
}

/// Asks to stop from the first question on.
struct StopNow;

impl Observer for StopNow {
    fn cancelled(&self) -> bool {
        true
    }
}

#[test]
fn parquet_and_warc_runs_stop_when_asked() {
    let dir = TestDir::new();
    let config = FilterConfig {
        missing_policy: "allow".into(),
        ..FilterConfig::default()
    };
    let policies = PolicySet::load_dir(&fixture("robots/real")).unwrap().0;
    let engine = config.build(policies, Blocklists::default()).unwrap();

    let parquet = dir.path("rows.parquet");
    let urls: Vec<Option<String>> = (0..5_000)
        .map(|i| Some(format!("https://h{}.example/{i}", i % 13)))
        .collect();
    crate::cli_parquet::write_parquet(&parquet, &urls, "url", 500);
    let err = engine
        .filter_parquet(&parquet, "url", None, None, 1, &StopNow)
        .unwrap_err();
    assert!(err.is_interrupted(), "{err}");
    assert!(
        engine
            .filter_parquet(&parquet, "url", None, None, 1, &optout::observe::Quiet)
            .is_ok()
    );

    // More captures than are judged between two questions.
    let warc = dir.path("crawl.warc.gz");
    let one = crate::cli_warc::warc().1;
    let many: Vec<u8> = (0..300).flat_map(|_| one[1..].concat()).collect();
    std::fs::write(&warc, [one[0].clone(), many].concat()).unwrap();
    let mut reader = optout::corpus::warc::WarcReader::open(&warc).unwrap();
    let err = engine
        .filter_warc(&mut reader, &mut std::io::sink(), None, &StopNow)
        .unwrap_err();
    assert!(err.is_interrupted(), "{err}");
}
