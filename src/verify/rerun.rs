//! Deciding a run's rows again: every row (hashes of the outputs), a
//! sample (checked against the removed records), an audit's counts, or a
//! WARC or Parquet run made again whole.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::corpus::{Chunk, ChunkReader, Input, RowFormat};
use crate::engine::{self, ChunkResult, Decision, Engine, Outputs, Scratch, Sink};
use crate::error::{Error, Result};
use crate::evidence::Manifest;
use crate::observe::Observer;

use super::Check;

/// Re-runs a Parquet or WARC filter and compares the removed records (and
/// the kept records, for WARC, whose kept bytes are the input's own).
pub(super) fn rerun_records(
    engine: &Engine,
    input: &Path,
    manifest: &Manifest,
    parquet: bool,
    threads: usize,
    observer: &dyn Observer,
    checks: &mut Vec<Check>,
) -> Result<()> {
    let mut kept = crate::digest::Running::default();
    let mut removed_bytes = Vec::new();
    let stats = if parquet {
        let temp = tempfile_path(input);
        let file = std::fs::File::create(&temp).map_err(|e| Error::io(&temp, e))?;
        let column = manifest.config.url_column.as_deref().unwrap_or("url");
        let stats = engine.filter_parquet(
            input,
            column,
            Some(file),
            Some(&mut removed_bytes),
            threads,
            observer,
        );
        let _ = std::fs::remove_file(&temp);
        stats?
    } else {
        let mut reader = crate::corpus::warc::WarcReader::open(input)?;
        let mut kept_bytes = Vec::new();
        let outcome = engine.filter_warc(
            &mut reader,
            &mut kept_bytes,
            Some(&mut removed_bytes),
            observer,
        )?;
        kept.update(&kept_bytes);
        let (sha256, bytes) = std::mem::take(&mut kept).finish();
        if let Some(recorded) = manifest.outputs.get("kept") {
            checks.push(Check {
                what: "decisions: kept records".into(),
                ok: sha256 == recorded.sha256 && bytes == recorded.bytes,
                detail: format!("re-run gives sha256 {} ({bytes} bytes)", &sha256[..16]),
            });
        }
        outcome.stats
    };
    if let Some(recorded) = manifest.outputs.get("removed") {
        let sha256 = crate::digest::sha256_hex(&removed_bytes);
        checks.push(Check {
            what: "decisions: removed records".into(),
            ok: sha256 == recorded.sha256,
            detail: format!("re-run gives sha256 {}", &sha256[..16]),
        });
    }
    let want = |key: &str| manifest.counts[key].as_u64().unwrap_or(u64::MAX);
    checks.push(Check {
        what: "decisions: counts".into(),
        ok: stats.rows == want("rows") && stats.kept == want("kept"),
        detail: format!("re-run: {} rows, {} kept", stats.rows, stats.kept),
    });
    Ok(())
}

/// A scratch path in the temporary directory for a re-run's Parquet
/// output (only its removed records are compared).
fn tempfile_path(input: &Path) -> PathBuf {
    let name = input
        .file_name()
        .map_or_else(|| "input".into(), |n| n.to_string_lossy().into_owned());
    std::env::temp_dir().join(format!("optout-verify-{}-{name}", std::process::id()))
}

/// Re-runs an audit's inputs and compares its counts.
pub(super) fn audit_counts(
    engine: &mut Engine,
    mut window: Option<&mut crate::engine::window::PolicyWindow>,
    manifest_path: &Path,
    manifest: &Manifest,
    threads: usize,
    observer: &dyn Observer,
    checks: &mut Vec<Check>,
) -> Result<()> {
    let config = &manifest.config;
    let mut stats = crate::engine::Stats::new(engine.agents().len());
    for digest in std::iter::once(&manifest.input).chain(&manifest.more_inputs) {
        let path = Manifest::resolve(manifest_path, &digest.path);
        stats += crate::run::audit::count_input(
            engine,
            window.as_deref_mut(),
            Input::open(&path)?,
            |input| {
                RowFormat::of_input("auto", config.url_field.as_deref().unwrap_or("url"), input)
            },
            config.url_column.as_deref().unwrap_or("url"),
            threads,
            observer,
        )?;
    }
    let removed = stats.removed_total();
    let want = |key: &str| manifest.counts[key].as_u64().unwrap_or(u64::MAX);
    checks.push(Check {
        what: "decisions: the audit's counts".into(),
        ok: stats.rows == want("rows") && stats.kept == want("kept") && removed == want("removed"),
        detail: format!(
            "re-run: {} rows, {} kept, {removed} removed; manifest: {} rows, {} kept, {} removed",
            stats.rows,
            stats.kept,
            manifest.counts["rows"],
            manifest.counts["kept"],
            manifest.counts["removed"]
        ),
    });
    Ok(())
}

/// Hashes what a run writes.
#[derive(Default)]
struct HashSink {
    kept: crate::digest::Running,
    removed: crate::digest::Running,
}

impl Sink for HashSink {
    fn chunk(&mut self, result: &ChunkResult) -> Result<()> {
        self.kept.update(&result.kept);
        self.removed.update(&result.removed);
        Ok(())
    }
}

/// Re-runs every row and compares the outputs' hashes and the counts.
pub(super) fn full_run(
    engine: &mut Engine,
    window: Option<&mut crate::engine::window::PolicyWindow>,
    input: &Path,
    manifest: &Manifest,
    threads: usize,
    observer: &dyn Observer,
    checks: &mut Vec<Check>,
) -> Result<()> {
    let reader = ChunkReader::new(Input::open(input)?);
    let mut sink = HashSink::default();
    let outputs = Outputs {
        kept: true,
        removed: manifest.outputs.contains_key("removed"),
        outcomes: false,
    };
    let outcome = engine::window::run(
        engine, window, reader, threads, outputs, &mut sink, observer,
    )?;
    if let Some(err) = outcome.read_error {
        return Err(err);
    }
    for (role, running) in [("kept", sink.kept), ("removed", sink.removed)] {
        let Some(recorded) = manifest.outputs.get(role) else {
            continue;
        };
        let (sha256, bytes) = running.finish();
        checks.push(Check {
            what: format!("decisions: {role} rows"),
            ok: sha256 == recorded.sha256 && bytes == recorded.bytes,
            detail: format!("re-run gives sha256 {} ({bytes} bytes)", &sha256[..16]),
        });
    }
    let recorded_rows = manifest.counts["rows"].as_u64().unwrap_or(0);
    checks.push(Check {
        what: "decisions: counts".into(),
        ok: outcome.stats.rows == recorded_rows
            && outcome.stats.kept == manifest.counts["kept"].as_u64().unwrap_or(u64::MAX),
        detail: format!(
            "re-run: {} rows, {} kept; manifest: {recorded_rows} rows, {} kept",
            outcome.stats.rows, outcome.stats.kept, manifest.counts["kept"]
        ),
    });
    Ok(())
}

/// Decides rows spread evenly over the input again and checks each
/// against the removed records.
#[allow(
    clippy::too_many_arguments,
    reason = "the checks and mismatches are the caller's report"
)]
pub(super) fn sample(
    engine: &mut Engine,
    window: Option<&mut crate::engine::window::PolicyWindow>,
    threads: usize,
    input: &Path,
    manifest_path: &Path,
    manifest: &Manifest,
    count: u64,
    checks: &mut Vec<Check>,
    mismatches: &mut Vec<String>,
) -> Result<()> {
    let Some(removed) = manifest.outputs.get("removed") else {
        return Err(Error::config("a sample is checked against removed records"));
    };
    let rows = manifest.counts["rows"].as_u64().unwrap_or(0);
    let step = (rows / count.max(1)).max(1);
    let sampled = |row: u64| row.saturating_sub(1) % step == 0;
    // The removed records of the sampled rows: row → reason.
    let removed_path = Manifest::resolve(manifest_path, &removed.path);
    // Read a line at a time: removed records run to gigabytes.
    let file = std::fs::File::open(&removed_path).map_err(|e| Error::io(&removed_path, e))?;
    let mut reasons: HashMap<u64, String> = HashMap::new();
    for (n, line) in std::io::BufRead::lines(std::io::BufReader::new(file)).enumerate() {
        let line = line.map_err(|e| Error::io(&removed_path, e))?;
        let record: serde_json::Value = serde_json::from_str(&line).map_err(|e| {
            Error::config(format!("`{}` line {}: {e}", removed_path.display(), n + 1))
        })?;
        let row = record["row"].as_u64().filter(|&r| r >= 1).ok_or_else(|| {
            Error::config(format!(
                "`{}` line {}: `row` is not a row number (1 or more)",
                removed_path.display(),
                n + 1
            ))
        })?;
        if sampled(row) {
            reasons.insert(
                row,
                record["reason"].as_str().unwrap_or_default().to_owned(),
            );
        }
    }
    // The sampled rows, and with a window their origins' policies.
    let mut reader = ChunkReader::new(Input::open(input)?);
    let mut chunk = Chunk::default();
    let mut rows: Vec<(u64, Vec<u8>)> = Vec::new();
    while reader.next_chunk(&mut chunk)? {
        rows.extend(
            chunk
                .lines()
                .filter(|&(number, _)| sampled(number))
                .map(|(number, line)| (number, line.to_vec())),
        );
    }
    if let Some(window) = window {
        window.load_rows(
            engine,
            rows.iter().map(|(_, line)| line.as_slice()),
            threads,
        )?;
    }
    let mut scratch = Scratch::default();
    let mut checked = 0u64;
    let mut by_outcome: BTreeMap<String, u64> = BTreeMap::new();
    {
        for (number, line) in &rows {
            let (number, line) = (*number, line.as_slice());
            checked += 1;
            let now = match engine.decide(line, &mut scratch) {
                Decision::Remove(removal) => Some(removal.reason.as_str().to_owned()),
                Decision::Keep { .. } | Decision::Skip(_) => None,
            };
            *by_outcome
                .entry(now.clone().unwrap_or_else(|| "kept or skipped".into()))
                .or_default() += 1;
            let recorded = reasons.get(&number).cloned();
            if now != recorded {
                mismatches.push(format!(
                    "row {number}: now {}, the run {}",
                    now.as_deref().unwrap_or("kept or skipped"),
                    recorded.as_deref().unwrap_or("kept or skipped")
                ));
            }
        }
    }
    let summary: Vec<String> = by_outcome.iter().map(|(k, n)| format!("{k} {n}")).collect();
    checks.push(Check {
        what: format!("decisions: a sample of {checked} rows (every {step})"),
        ok: mismatches.is_empty() && checked > 0,
        detail: if mismatches.is_empty() {
            summary.join(", ")
        } else {
            format!("{} rows decided otherwise", mismatches.len())
        },
    });
    Ok(())
}
