//! Policies a window at a time, for an indexed snapshot too large to hold
//! at once (tens of millions of origins). The run reads chunks until they
//! name a window's worth of distinct origins (or hold a window's worth of
//! bytes), loads those origins' policies from the snapshot on the engine's
//! threads, judges the chunks, drops the policies and goes on. Compiled
//! rules outlive their window in a cache bounded in bytes
//! ([`CompiledCache`]), so hosts that come back, and bodies whose rules
//! compile alike, are compiled about once.
//!
//! Memory is bounded by the window, not by the snapshot: a window's
//! policies, its chunks and the cache. Input grouped by host (a CDXJ
//! index, a host-partitioned job) looks each origin up about once; input
//! in random order looks an origin up once per window that names it.
//! Decisions, evidence and stats are those of a run that loads the same
//! origins at once: every row is judged by its own origin's policy, read
//! the same way, and the policy tally counts each origin once
//! ([`WindowTally`]).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::agents::AgentSet;
use crate::corpus::origins::Scanner;
use crate::corpus::{Chunk, ChunkReader};
use crate::engine::run::{Absorb, Finished, read_ahead};
use crate::engine::{ChunkResult, Engine, Outputs, RunOutcome, Sink};
use crate::error::{Error, Result};
use crate::policy::files::SiteFile;
use crate::policy::{CacheCounts, CompiledCache, PolicyTally, SharedParses, WindowTally};

/// Origins per window when none are given: about 0.6 GB of policies at
/// the realistic world's ~1.1 KB per origin of a window.
pub const DEFAULT_ORIGINS: usize = 500_000;

/// The compiled-rules cache's bound when none is given, in MiB. Small:
/// compiling is a few percent of what loading a window costs (reading,
/// verifying and parsing each origin's records and body), while a large
/// cache's long-lived entries fragment the heap the windows reuse (2M
/// URLs grouped by host over 1M origins, windows of 250,000: 11.1 s and
/// 726 MiB with no cache, 12.1 s and 924 MiB with 256 MiB).
pub const DEFAULT_CACHE_MB: usize = 32;

/// Input a window holds at most, in bytes, however few origins it names:
/// chunks wait in memory while their window's policies load.
pub const WINDOW_BYTES: usize = 256 << 20;

/// The largest chunk of a windowed run: a window ends between chunks, so
/// a chunk must name far fewer origins than a window (1 MiB of URLs names
/// at most about 25,000).
pub const WINDOW_CHUNK: usize = 1 << 20;

/// Loads an indexed snapshot's policies a window of origins at a time.
#[derive(Debug)]
pub struct PolicyWindow {
    path: PathBuf,
    origins: usize,
    bytes: usize,
    cache: Arc<CompiledCache>,
    files: Vec<SiteFile>,
    tally: WindowTally,
    windows: u64,
    lookups: u64,
}

impl PolicyWindow {
    /// Windows of at most `origins` distinct origins over the indexed
    /// snapshot at `path`, compiled for `agents`, keeping at most
    /// `cache_bytes` of compiled rules between windows; the policies keep
    /// only what `files` say (as [`crate::policy::PolicySet::keep_files`]).
    #[must_use]
    pub fn new(
        path: &Path,
        agents: &AgentSet,
        files: &[SiteFile],
        origins: usize,
        cache_bytes: usize,
    ) -> PolicyWindow {
        PolicyWindow {
            path: path.to_path_buf(),
            origins: origins.max(1),
            bytes: WINDOW_BYTES,
            cache: Arc::new(CompiledCache::new(agents, cache_bytes)),
            files: files.to_vec(),
            tally: WindowTally::default(),
            windows: 0,
            lookups: 0,
        }
    }

    /// The tally of every origin loaded so far, each once.
    #[must_use]
    pub fn tally(&self) -> &PolicyTally {
        self.tally.tally()
    }

    /// Windows loaded so far.
    #[must_use]
    pub fn windows(&self) -> u64 {
        self.windows
    }

    /// Origins looked up so far, over all windows (an origin named by two
    /// windows counts twice).
    #[must_use]
    pub fn lookups(&self) -> u64 {
        self.lookups
    }

    /// What the compiled-rules cache did.
    #[must_use]
    pub fn cache_counts(&self) -> CacheCounts {
        self.cache.counts()
    }

    /// Loads into `engine` the policies of the origins of `rows` (rows of
    /// the engine's format), in place of the last window's: for judging a
    /// few rows picked from an input (`verify`'s sample).
    ///
    /// # Errors
    ///
    /// As [`run`] when a window cannot be loaded.
    pub fn load_rows<'a>(
        &mut self,
        engine: &mut Engine,
        rows: impl Iterator<Item = &'a [u8]>,
        threads: usize,
    ) -> Result<()> {
        let mut chunk = Chunk::default();
        for row in rows {
            chunk.data.extend_from_slice(row);
            chunk.data.push(b'\n');
        }
        let mut scanner = Scanner::default();
        scanner.chunk(&chunk, engine.format());
        self.load(engine, &scanner.into_keys(), threads)
    }

    /// Loads the policies of the origins `keys` names into `engine`, in
    /// place of the last window's.
    fn load(&mut self, engine: &mut Engine, keys: &[String], threads: usize) -> Result<()> {
        engine.set_snapshot(crate::policy::Snapshot::default());
        super::give_back();
        let wanted: HashSet<&str> = keys.iter().map(String::as_str).collect();
        let parses = SharedParses::compiling_through(Arc::clone(&self.cache));
        let (_, mut set) =
            super::load::indexed_snapshot_with(&self.path, Some(&wanted), threads, &parses)?;
        set.keep_files(&self.files);
        let snapshot =
            super::compile::policies(set, self.cache.agents(), threads, parses.into_compiled())?;
        self.tally.add(snapshot.policies());
        engine.set_snapshot(snapshot);
        self.cache.next_window();
        self.windows += 1;
        self.lookups += keys.len() as u64;
        Ok(())
    }
}

/// Judges every row `reader` yields, as [`super::run`] does: with the
/// policies the engine holds, or, given a `window`, with those it loads a
/// window at a time. The same rows are handed to `sink` in input order,
/// with the same outcome, either way.
///
/// # Errors
///
/// As [`super::run`]; and when a window's policies cannot be loaded (the
/// snapshot is unreadable, altered, or a shard that does not hold the
/// input's hosts).
pub fn run(
    engine: &mut Engine,
    window: Option<&mut PolicyWindow>,
    reader: ChunkReader,
    threads: usize,
    outputs: Outputs,
    sink: &mut dyn Sink,
    observer: &dyn crate::observe::Observer,
) -> Result<RunOutcome> {
    let Some(window) = window else {
        return super::run(engine, reader, threads, outputs, sink, observer);
    };
    use crate::observe::Stage;
    observer.start(Stage::Judge, None);
    let _finished = Finished(observer);
    let mut outcome = RunOutcome::new(engine.agents.len());
    let mut absorb = Absorb::new(engine, reader.path(), sink);
    let pool = if threads > 1 {
        Some(super::pool(threads, "engine")?)
    } else {
        None
    };
    let batch = threads.max(1);
    let reader = reader.at_most(WINDOW_CHUNK);
    let meter = reader.meter().clone();
    std::thread::scope(|scope| -> Result<RunOutcome> {
        let receiver = read_ahead(scope, reader, batch);
        let mut held: Vec<(Chunk, Option<Error>)> = Vec::new();
        let mut results: Vec<ChunkResult> = Vec::new();
        let mut ended = false;
        while !ended {
            // A window: chunks until they name enough origins or hold
            // enough bytes, or the input ends or fails.
            held.clear();
            let mut scanner = Scanner::default();
            let mut bytes = 0;
            while scanner.distinct() < window.origins && bytes < window.bytes {
                let start = held.len();
                while held.len() - start < batch {
                    match receiver.recv() {
                        Ok(item) => {
                            let failed = item.1.is_some();
                            bytes += item.0.data.len();
                            held.push(item);
                            if failed {
                                ended = true;
                                break;
                            }
                        }
                        Err(_) => {
                            ended = true;
                            break;
                        }
                    }
                }
                super::scan::batch(
                    pool.as_ref(),
                    &held[start..],
                    |(chunk, _)| chunk,
                    engine.format(),
                    &mut scanner,
                );
                if ended {
                    break;
                }
            }
            if held.is_empty() {
                break;
            }
            window.load(engine, &scanner.into_keys(), threads)?;
            for part in held.chunks(batch) {
                super::run::judge(pool.as_ref(), engine, part, outputs, &mut results);
                for result in &mut results {
                    absorb.take(result, &mut outcome)?;
                }
                observer.progress(Stage::Judge, outcome.stats.rows, "");
                observer.read(Stage::Judge, meter.read(), meter.total());
                if observer.cancelled() {
                    outcome.read_error = Some(crate::error::ErrorKind::Interrupted.into());
                    return Ok(outcome);
                }
            }
            if let Some(err) = held.iter_mut().find_map(|(_, e)| e.take()) {
                outcome.read_error = Some(err);
                break;
            }
        }
        // Dropping the receiver stops the reader thread at its next send.
        drop(receiver);
        let cache = window.cache_counts();
        observer.message(
            crate::observe::Level::Note,
            &format!(
                "policies loaded in {} windows ({} origin lookups); rule sets compiled {}, found compiled {}, evicted {}",
                window.windows(), window.lookups(), cache.compiles, cache.reuses, cache.evicted
            ),
        );
        Ok(outcome)
    })
}
