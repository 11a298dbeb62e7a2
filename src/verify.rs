//! Verifying a `filter` or `audit` run from its manifest without trusting
//! whoever ran it. [`verify`] recomputes the SHA-256 of the input, every
//! output, the policy snapshot (or robots directory) and the blocklists,
//! then decides rows again from the recorded policies and configuration:
//! a sample of rows (each checked against the removed records), or the
//! whole run (its outputs' hashes compared). Every mismatch is reported.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::agents::Registry;
use crate::blocklist::{self, Blocklists};
use crate::corpus::{Chunk, ChunkReader, Input, RowFormat};
use crate::engine::{self, ChunkResult, Decision, Engine, Outputs, Scratch, Sink};
use crate::error::{Error, Result};
use crate::evidence::{FileDigest, Manifest, PolicySource, robots_dir_digest};
use crate::observe::Observer;
use crate::policy::PolicySet;

/// How much of the run is decided again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    /// About this many rows, spread evenly over the input, each checked
    /// against the removed records. A run without removed records is
    /// re-run whole instead.
    Sample(u64),
    /// Every row, the outputs' hashes compared.
    Full,
}

/// One check and its result.
#[derive(Debug, Serialize)]
pub struct Check {
    /// What was checked.
    pub what: String,
    /// Whether it holds.
    pub ok: bool,
    /// What was found.
    pub detail: String,
}

/// What verifying a manifest found.
#[derive(Debug, Serialize)]
pub struct VerifyReport {
    /// The manifest.
    pub manifest: String,
    /// Every check holds.
    pub ok: bool,
    /// Each check.
    pub checks: Vec<Check>,
    /// Rows a sample decided otherwise.
    pub mismatches: Vec<String>,
}

impl VerifyReport {
    /// The report for a person: one line per check, the first mismatches,
    /// and the verdict.
    #[must_use]
    pub fn text(&self) -> String {
        let mut text = String::new();
        for check in &self.checks {
            let _ = writeln!(
                text,
                "{}  {}{}",
                if check.ok { "ok      " } else { "MISMATCH" },
                check.what,
                if check.detail.is_empty() {
                    String::new()
                } else {
                    format!(": {}", check.detail)
                }
            );
        }
        for mismatch in self.mismatches.iter().take(20) {
            let _ = writeln!(text, "  {mismatch}");
        }
        let _ = writeln!(
            text,
            "{}",
            if self.ok { "verified" } else { "NOT verified" }
        );
        text
    }
}

/// The hosts of the manifest's inputs, when its run loaded only those
/// (inputs that are files, the first of rows or Parquet: see
/// `run::prepare`).
fn input_hosts(
    manifest_path: &Path,
    manifest: &Manifest,
    threads: usize,
) -> Result<Option<HashSet<String>>> {
    let inputs: Vec<PathBuf> = std::iter::once(&manifest.input)
        .chain(&manifest.more_inputs)
        .map(|digest| Manifest::resolve(manifest_path, &digest.path))
        .collect();
    if inputs.iter().any(|i| i.as_os_str() == "-") {
        return Ok(None);
    }
    let kind = crate::run::InputKind::of(&mut Input::open(&inputs[0])?)?;
    if !crate::run::loads_only_inputs(&inputs, kind) {
        return Ok(None);
    }
    let config = &manifest.config;
    let rows = crate::run::RowRequest {
        // Several inputs are each read in the format found in it.
        format: if manifest.more_inputs.is_empty() {
            config.format.clone()
        } else {
            "auto".into()
        },
        url_field: config.url_field.clone().unwrap_or_else(|| "url".into()),
        url_column: config.url_column.clone().unwrap_or_else(|| "url".into()),
    };
    // As the run: an input the scan cannot read whole loaded everything.
    Ok(crate::run::scan_origins(&inputs, &rows, threads)
        .ok()
        .map(|scan| scan.origins.iter().map(|o| o.host.to_string()).collect()))
}

/// The snapshot's header when the run loaded its policies a window at a
/// time (as `run::prepare` decides), so the re-run does too.
fn by_window(
    snapshot: &Path,
    manifest: &Manifest,
    manifest_path: &Path,
    window: usize,
) -> Result<Option<crate::cache::snapshot::Header>> {
    let inputs: Vec<PathBuf> = std::iter::once(&manifest.input)
        .chain(&manifest.more_inputs)
        .map(|digest| Manifest::resolve(manifest_path, &digest.path))
        .collect();
    if inputs[0].as_os_str() == "-" {
        return Ok(None);
    }
    let kind = crate::run::InputKind::of(&mut Input::open(&inputs[0])?)?;
    let as_of = crate::config::AsOf::parse(&manifest.config.as_of)?;
    crate::run::loads_by_window(snapshot, &inputs, kind, as_of, window)
}

/// Whether the file `recorded` names still has its recorded hash.
fn digest_check(manifest: &Path, what: &str, recorded: &FileDigest) -> Check {
    if recorded.path == "-" {
        return Check {
            what: what.to_owned(),
            ok: true,
            detail: "written to standard output: not checked".into(),
        };
    }
    let path = Manifest::resolve(manifest, &recorded.path);
    match FileDigest::of_file(&path) {
        Ok(now) if now.sha256 == recorded.sha256 && now.bytes == recorded.bytes => Check {
            what: what.to_owned(),
            ok: true,
            detail: format!("{} sha256 {}", path.display(), &now.sha256[..16]),
        },
        Ok(now) => Check {
            what: what.to_owned(),
            ok: false,
            detail: format!(
                "{}: sha256 {} ({} bytes), the manifest says {} ({} bytes)",
                path.display(),
                now.sha256,
                now.bytes,
                recorded.sha256,
                recorded.bytes
            ),
        },
        Err(e) => Check {
            what: what.to_owned(),
            ok: false,
            detail: e.to_string(),
        },
    }
}

/// Verifies the run `manifest_path` describes, deciding rows again to
/// `depth` with `threads` threads; a run over an indexed snapshot of more
/// origins than `policy_window` is decided again with its policies loaded
/// that many origins at a time.
///
/// # Errors
///
/// When the manifest cannot be read or is not one optout writes, or an
/// input cannot be read. A file that differs from its record is not an
/// error: it is a failed check.
pub fn verify(
    manifest_path: &Path,
    depth: Depth,
    threads: usize,
    policy_window: usize,
    observer: &dyn Observer,
) -> Result<VerifyReport> {
    let manifest = Manifest::read(manifest_path)?;
    let mut checks = vec![digest_check(manifest_path, "input", &manifest.input)];
    for (i, input) in manifest.more_inputs.iter().enumerate() {
        checks.push(digest_check(
            manifest_path,
            &format!("input {}", i + 2),
            input,
        ));
    }
    for (role, digest) in &manifest.outputs {
        checks.push(digest_check(
            manifest_path,
            &format!("output {role}"),
            digest,
        ));
    }
    for list in &manifest.blocklists {
        checks.push(digest_check(
            manifest_path,
            &format!("blocklist {}", list.name),
            &list.file,
        ));
    }
    let registry = Registry::builtin();
    checks.push(Check {
        what: "agent registry".into(),
        ok: registry.version == manifest.registry_version,
        detail: format!(
            "this build has {}, the run had {}",
            registry.version, manifest.registry_version
        ),
    });

    // The policies.
    let config = &manifest.config;
    let mut windowed = None;
    let policies = match &manifest.policies {
        PolicySource::Snapshot { file, .. } => {
            checks.push(digest_check(manifest_path, "policy snapshot", file));
            let path = Manifest::resolve(manifest_path, &file.path);
            if by_window(&path, &manifest, manifest_path, policy_window)?.is_some() {
                // Loaded a window at a time as the re-run reads its rows,
                // as the run did: the digest above vouches for the file.
                windowed = Some(path);
                PolicySet::new()
            } else {
                match crate::cache::snapshot::load(&path) {
                    Ok((_, set)) => set,
                    Err(e) => {
                        // Altered evidence: nothing can be decided from it.
                        checks.push(Check {
                            what: "policy snapshot contents".into(),
                            ok: false,
                            detail: e.to_string(),
                        });
                        return Ok(VerifyReport {
                            manifest: manifest_path.display().to_string(),
                            ok: false,
                            checks,
                            mismatches: Vec::new(),
                        });
                    }
                }
            }
        }
        PolicySource::RobotsDir {
            path,
            digest,
            files,
        } => {
            let dir = Manifest::resolve(manifest_path, path);
            // A run over one file of rows loads only its input's hosts'
            // files, and records those; so does the check.
            let hosts = input_hosts(manifest_path, &manifest, threads)?;
            let load = |hosts: Option<&HashSet<String>>| -> Result<(PolicySet, String)> {
                let (set, _) = crate::engine::load::robots_dir(&dir, &dir, hosts, threads)?;
                let now = robots_dir_digest(
                    set.policies()
                        .iter()
                        .map(|p| (p.key.as_str(), p.sha256.as_str())),
                );
                Ok((set, now))
            };
            let (mut set, mut now) = load(hosts.as_ref())?;
            let mut whole = "";
            if hosts.is_some() && (now != *digest || set.len() != *files) {
                // Manifests written before runs loaded only their input's
                // hosts recorded the whole directory.
                let (all, all_digest) = load(None)?;
                if all_digest == *digest && all.len() == *files {
                    (set, now) = (all, all_digest);
                    whole = " (the whole directory, as the manifest records)";
                }
            }
            checks.push(Check {
                what: "robots directory".into(),
                ok: now == *digest && set.len() == *files,
                detail: format!("{} files, digest {}{whole}", set.len(), &now[..16]),
            });
            set
        }
    };
    // The manifest's configuration is read strictly: a value a run cannot
    // have written is an error, never a default.
    let named = |e: Error| Error::config(format!("`{}`: {e}", manifest_path.display()));
    let input_path = Manifest::resolve(manifest_path, &manifest.input.path);
    let mut lists = Vec::new();
    for list in &manifest.blocklists {
        lists.push(blocklist::load(
            &list.name,
            &Manifest::resolve(manifest_path, &list.file.path),
        )?);
    }
    let mut engine = config
        .build(policies, Blocklists::new(lists))
        .map_err(named)?;
    let mut window = match windowed {
        Some(path) => Some(crate::engine::window::PolicyWindow::new(
            &path,
            engine.agents(),
            &config.resolve().map_err(named)?.files,
            policy_window,
            crate::engine::window::DEFAULT_CACHE_MB << 20,
        )),
        None => None,
    };

    let mut mismatches = Vec::new();
    let kind = crate::run::InputKind::of(&mut Input::open(&input_path)?)?;
    let parquet = kind == crate::run::InputKind::Parquet;
    if manifest.command != "audit" && kind != crate::run::InputKind::Rows {
        // Records are not lines: the whole run is made again.
        rerun_records(
            &engine,
            &input_path,
            &manifest,
            parquet,
            threads,
            observer,
            &mut checks,
        )?;
    } else if manifest.command == "audit" {
        // An audit wrote no rows to compare: its counts are decided again.
        audit_counts(
            &mut engine,
            window.as_mut(),
            manifest_path,
            &manifest,
            threads,
            observer,
            &mut checks,
        )?;
    } else {
        match depth {
            Depth::Sample(count) if manifest.outputs.contains_key("removed") => sample(
                &mut engine,
                window.as_mut(),
                threads,
                &input_path,
                manifest_path,
                &manifest,
                count,
                &mut checks,
                &mut mismatches,
            )?,
            // Without removed records a sample has nothing to be checked
            // against; the kept output's hash is, after a whole re-run.
            Depth::Sample(_) | Depth::Full => {
                full_run(
                    &mut engine,
                    window.as_mut(),
                    &input_path,
                    &manifest,
                    threads,
                    observer,
                    &mut checks,
                )?;
            }
        }
    }
    let ok = checks.iter().all(|c| c.ok);
    Ok(VerifyReport {
        manifest: manifest_path.display().to_string(),
        ok,
        checks,
        mismatches,
    })
}

/// Re-runs a Parquet or WARC filter and compares the removed records (and
/// the kept records, for WARC, whose kept bytes are the input's own).
fn rerun_records(
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
fn audit_counts(
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
fn full_run(
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
fn sample(
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
