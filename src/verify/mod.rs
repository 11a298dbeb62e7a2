//! Verifying a `filter` or `audit` run from its manifest without trusting
//! whoever ran it. [`verify`] recomputes the SHA-256 of the input, every
//! output, the policy snapshot (or robots directory) and the blocklists,
//! then decides rows again from the recorded policies and configuration:
//! a sample of rows (each checked against the removed records), or the
//! whole run (its outputs' hashes compared). Every mismatch is reported.

mod rerun;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::agents::Registry;
use crate::blocklist::{self, Blocklists};
use crate::corpus::Input;
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
        rerun::rerun_records(
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
        rerun::audit_counts(
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
            Depth::Sample(count) if manifest.outputs.contains_key("removed") => rerun::sample(
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
                rerun::full_run(
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
