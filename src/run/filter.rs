//! A filter run: every row of the input judged, kept rows and removed
//! records written (each output under a temporary name until whole), and
//! the missing origins, stats and manifest beside them.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::corpus::ChunkReader;
use crate::engine::{self, ChunkResult, Outputs, RunOutcome, Sink};
use crate::error::{Error, Result};
use crate::evidence::FileDigest;
use crate::observe::Observer;
use crate::output::Destination;
use crate::run::prepare::{InputKind, Prepared, RunPlan};
use crate::source::PolicySource;

/// Where a filter run writes. Every path but `kept` is optional; `None`
/// for `kept` is standard output.
#[derive(Clone, Debug, Default)]
pub struct FilterOutputs {
    /// Kept rows (a Parquet file for a Parquet input); `None`: standard
    /// output.
    pub kept: Option<PathBuf>,
    /// Removed rows as JSON Lines, each with its reason and evidence.
    pub removed: Option<PathBuf>,
    /// The run's counts and configuration as JSON.
    pub stats: Option<PathBuf>,
    /// The run's manifest, for `verify`.
    pub manifest: Option<PathBuf>,
    /// The origins without a policy, one per line.
    pub missing_origins: Option<PathBuf>,
}

impl FilterOutputs {
    /// Each output with the option that names it, the manifest excepted.
    #[must_use]
    pub fn named(&self) -> Vec<(&'static str, PathBuf)> {
        let mut named = vec![(
            "--kept",
            self.kept.clone().unwrap_or_else(|| PathBuf::from("-")),
        )];
        for (name, path) in [
            ("--removed", &self.removed),
            ("--stats", &self.stats),
            ("--missing-origins", &self.missing_origins),
        ] {
            if let Some(path) = path {
                named.push((name, path.clone()));
            }
        }
        named
    }
}

/// Refuses outputs that are an input of `plan` (its corpora, snapshot,
/// blocklists or cache) or one another. `outputs` are the command's own
/// besides `manifest` and its policy snapshot, which every run may write.
///
/// # Errors
///
/// When two of them are one file.
pub fn check_outputs(
    plan: &RunPlan,
    outputs: &[(&'static str, PathBuf)],
    manifest: Option<&Path>,
) -> Result<()> {
    let mut read: Vec<(&str, PathBuf)> = plan
        .inputs
        .iter()
        .map(|p| ("the input", p.clone()))
        .collect();
    match &plan.source {
        PolicySource::Snapshot { path } => read.push(("--snapshot", path.clone())),
        PolicySource::Cache { path } => read.push(("the cache", path.clone())),
        PolicySource::RobotsDir { .. } => {}
    }
    for (_, path) in &plan.blocklists {
        read.push(("--blocklist", path.clone()));
    }
    let mut written = outputs.to_vec();
    if let Some(manifest) = manifest {
        written.push(("--manifest", manifest.to_path_buf()));
        written.push((
            "--manifest's policy snapshot",
            crate::run::manifest::policy_snapshot_path(manifest),
        ));
    }
    let read: Vec<(&str, &Path)> = read.iter().map(|(n, p)| (*n, p.as_path())).collect();
    let written: Vec<(&str, &Path)> = written.iter().map(|(n, p)| (*n, p.as_path())).collect();
    crate::output::check_aliasing(&read, &written)
}

/// What a filter run did.
#[derive(Debug)]
pub struct Filtered {
    /// The counts, the first bad rows, and what cut the input, if
    /// anything.
    pub outcome: RunOutcome,
    /// Outputs of a cut run, kept as `NAME.partial`.
    pub partial: Vec<PathBuf>,
}

/// A writer that hashes what passes.
struct Hashing<'a> {
    inner: &'a mut Destination,
    digest: &'a mut crate::digest::Running,
}

impl Write for Hashing<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.inner.writer().write_all(bytes)?;
        self.digest.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.writer().flush()
    }
}

/// The row outputs of a run, and digests of what went through them.
struct FilterSink {
    kept: Option<Destination>,
    removed: Option<Destination>,
    kept_digest: crate::digest::Running,
    removed_digest: crate::digest::Running,
}

impl FilterSink {
    /// The removed output, hashing, as a writer.
    fn removed(&mut self) -> Option<Hashing<'_>> {
        self.removed.as_mut().map(|inner| Hashing {
            inner,
            digest: &mut self.removed_digest,
        })
    }
}

impl Sink for FilterSink {
    fn chunk(&mut self, result: &ChunkResult) -> Result<()> {
        if let Some(kept) = &mut self.kept {
            kept.write_all(&result.kept)?;
            self.kept_digest.update(&result.kept);
        }
        if let Some(removed) = &mut self.removed {
            removed.write_all(&result.removed)?;
            self.removed_digest.update(&result.removed);
        }
        Ok(())
    }
}

/// Judges every row of the prepared run's input and writes `outputs`. A
/// run cut by a read error or by `observer` keeps what it wrote as
/// `NAME.partial` and writes no manifest; the outcome says what cut it.
///
/// # Errors
///
/// When an output cannot be written, or under `--on-error fail` at the
/// first row not of its format.
pub fn filter(
    prepared: &mut Prepared,
    outputs: &FilterOutputs,
    observer: &dyn Observer,
) -> Result<Filtered> {
    let input = prepared
        .input
        .take()
        .ok_or_else(|| Error::config("the run's input was already read"))?;
    let plan = &prepared.plan;
    let engine = &prepared.engine;
    let parquet = prepared.kind == InputKind::Parquet;
    let mut sink = FilterSink {
        // Parquet is written by its own writer.
        kept: if parquet {
            None
        } else {
            Some(match &outputs.kept {
                Some(path) => Destination::create(path)?,
                None => Destination::stdout(),
            })
        },
        removed: outputs
            .removed
            .as_deref()
            .map(Destination::create)
            .transpose()?,
        kept_digest: crate::digest::Running::default(),
        removed_digest: crate::digest::Running::default(),
    };
    let mut kept_digest = None;
    let outcome = match prepared.kind {
        InputKind::Parquet => {
            drop(input);
            let Some(path) = &outputs.kept else {
                return Err(Error::config(
                    "a Parquet input needs --kept FILE for the kept rows (a Parquet file)",
                ));
            };
            let (pending, file) = crate::output::Pending::create(path)?;
            let mut removed = sink.removed();
            let stats = engine.filter_parquet(
                plan.input(),
                &plan.rows.url_column,
                Some(file),
                removed.as_mut().map(|r| r as &mut dyn Write),
                plan.threads,
                observer,
            )?;
            pending.commit()?;
            kept_digest = Some(crate::digest::file_sha256(path)?);
            RunOutcome {
                stats,
                problems: Vec::new(),
                read_error: None,
            }
        }
        InputKind::Warc => {
            drop(input);
            filter_warc(prepared, &mut sink, observer)?
        }
        InputKind::Rows => {
            let reader = ChunkReader::with_chunk_size(input, plan.chunk_size());
            let wanted = Outputs {
                kept: true,
                removed: sink.removed.is_some(),
                outcomes: false,
            };
            engine::window::run(
                &mut prepared.engine,
                prepared.window.as_mut(),
                reader,
                plan.threads,
                wanted,
                &mut sink,
                observer,
            )?
        }
    };
    // A cut run keeps what it wrote as `NAME.partial`, never under the
    // name a complete output would have.
    let mut partial = Vec::new();
    for destination in [sink.kept.take(), sink.removed.take()]
        .into_iter()
        .flatten()
    {
        if outcome.read_error.is_some() {
            partial.extend(destination.abandon()?);
        } else {
            destination.finish()?;
        }
    }
    let stats = &outcome.stats;
    if let Some(path) = &outputs.missing_origins {
        let hosts: BTreeSet<&String> = stats.origins_without_policy.iter().collect();
        let mut out = Destination::create(path)?;
        for host in hosts {
            out.write_all(host.as_bytes())?;
            out.write_all(b"\n")?;
        }
        out.finish()?;
    }
    if let Some(path) = &outputs.stats {
        let document = crate::run::stats::StatsDocument::new(prepared, &outcome);
        let mut out = Destination::create(path)?;
        let json = serde_json::to_vec_pretty(&document).expect("stats serialise");
        out.write_all(&json)?;
        out.write_all(b"\n")?;
        out.finish()?;
    }
    // A cut input has no manifest: there is nothing complete to vouch for.
    if let (Some(path), None) = (&outputs.manifest, &outcome.read_error) {
        let kept = kept_digest.unwrap_or_else(|| std::mem::take(&mut sink.kept_digest).finish());
        let removed = std::mem::take(&mut sink.removed_digest).finish();
        write_filter_manifest(prepared, &outcome, outputs, path, kept, removed)?;
    }
    Ok(Filtered { outcome, partial })
}

/// Filters a WARC input record by record (see [`crate::engine::warc`]).
fn filter_warc(
    prepared: &Prepared,
    sink: &mut FilterSink,
    observer: &dyn Observer,
) -> Result<RunOutcome> {
    let mut reader = crate::corpus::warc::WarcReader::open(prepared.plan.input())?;
    let FilterSink {
        kept,
        removed,
        kept_digest,
        removed_digest,
    } = sink;
    let kept = kept.as_mut().expect("the kept output is open");
    let mut kept = Hashing {
        inner: kept,
        digest: kept_digest,
    };
    let mut removed = removed.as_mut().map(|inner| Hashing {
        inner,
        digest: removed_digest,
    });
    let outcome = prepared.engine.filter_warc(
        &mut reader,
        &mut kept,
        removed.as_mut().map(|r| r as &mut dyn Write),
        observer,
    )?;
    Ok(RunOutcome {
        stats: outcome.stats,
        problems: outcome
            .first_bad
            .into_iter()
            .map(|(line, message)| crate::engine::RowProblem {
                line,
                message,
                skipped: Some(crate::signals::SkipReason::BadRecord),
            })
            .collect(),
        read_error: None,
    })
}

/// Writes a filter run's manifest: the kept and removed outputs are
/// recorded by the digests of what was written through them.
fn write_filter_manifest(
    prepared: &Prepared,
    outcome: &RunOutcome,
    outputs: &FilterOutputs,
    path: &Path,
    kept: (String, u64),
    removed: (String, u64),
) -> Result<()> {
    let mut recorded = BTreeMap::new();
    let written = |path: Option<&PathBuf>, (sha256, bytes): (String, u64)| FileDigest {
        path: path.map_or_else(|| "-".to_owned(), |p| p.display().to_string()),
        sha256,
        bytes,
    };
    recorded.insert("kept".to_owned(), written(outputs.kept.as_ref(), kept));
    if let Some(removed_path) = &outputs.removed {
        recorded.insert("removed".to_owned(), written(Some(removed_path), removed));
    }
    if let Some(stats) = &outputs.stats {
        recorded.insert("stats".to_owned(), FileDigest::of_file(stats)?);
    }
    let counts = serde_json::to_value(outcome.stats.report(prepared.engine.agents().names(), 20))
        .expect("counts serialise");
    crate::run::manifest::write_run_manifest(prepared, "filter", counts, recorded, path)
}
