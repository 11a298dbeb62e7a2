//! Writing a run's manifest (see [`crate::evidence`]): every file read and
//! written with its SHA-256, the configuration the engine was built from,
//! the registry version, the blocklists and the policies. A cache run
//! also exports the policies it used as a snapshot beside the manifest, so
//! `verify` can judge again without the cache.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::agents::Registry;
use crate::error::Result;
use crate::evidence::{
    BlocklistDigest, FORMAT, FileDigest, Manifest, PolicySource as Recorded, robots_dir_digest,
};
use crate::output::Destination;
use crate::run::prepare::Prepared;
use crate::source::PolicySource;

/// Where a cache run's manifest puts its policy snapshot.
#[must_use]
pub fn policy_snapshot_path(manifest: &Path) -> PathBuf {
    let mut name = manifest.as_os_str().to_owned();
    name.push(".policies.jsonl");
    PathBuf::from(name)
}

/// Writes a manifest for `command` (`filter` or `audit`) with `outputs`.
///
/// # Errors
///
/// When a file cannot be hashed, or the manifest or the policy snapshot
/// cannot be written.
pub fn write_run_manifest(
    prepared: &Prepared,
    command: &str,
    counts: serde_json::Value,
    outputs: BTreeMap<String, FileDigest>,
    path: &Path,
) -> Result<()> {
    let engine = &prepared.engine;
    let plan = &prepared.plan;
    let policies = match (&plan.source, &prepared.from_cache) {
        (PolicySource::RobotsDir { path: dir, .. }, _) => {
            let set = engine.snapshot().policies();
            Recorded::RobotsDir {
                path: dir.display().to_string(),
                digest: robots_dir_digest(
                    set.policies()
                        .iter()
                        .map(|p| (p.key.as_str(), p.sha256.as_str())),
                ),
                files: set.len(),
            }
        }
        (PolicySource::Snapshot { path: snapshot }, _) => Recorded::Snapshot {
            file: FileDigest::of_file(snapshot)?,
            exported_at: None,
        },
        (PolicySource::Cache { path: cache }, Some((at, origins))) => {
            let snapshot = policy_snapshot_path(path);
            let cache = crate::cache::Cache::open(cache)?;
            let mut sorted = cache.these_or_all(origins.as_deref())?.into_owned();
            sorted.sort_unstable();
            let mut out = Destination::create(&snapshot)?;
            crate::cache::snapshot::export_origins(
                &cache,
                &sorted,
                *at,
                engine.by_crawl_time(),
                out.writer(),
                &snapshot,
            )?;
            out.finish()?;
            Recorded::Snapshot {
                file: FileDigest::of_file(&snapshot)?,
                exported_at: Some(crate::time::format(*at)),
            }
        }
        (PolicySource::Cache { .. }, None) => {
            return Err(crate::Error::config(
                "the run has no policy source to record",
            ));
        }
    };
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        tool: concat!("optout ", env!("CARGO_PKG_VERSION")).to_owned(),
        created: crate::time::format(crate::time::now()),
        command: command.to_owned(),
        input: FileDigest::of_file(plan.input())?,
        more_inputs: plan.inputs[1..]
            .iter()
            .map(|p| FileDigest::of_file(p))
            .collect::<Result<_>>()?,
        outputs,
        config: plan.config.clone(),
        registry_version: Registry::builtin().version.clone(),
        blocklists: engine
            .blocklists()
            .lists()
            .iter()
            .zip(&plan.blocklists)
            .map(|(list, (_, path))| {
                Ok(BlocklistDigest {
                    name: list.name.clone(),
                    file: FileDigest::of_file(path)?,
                })
            })
            .collect::<Result<_>>()?,
        policies,
        counts,
    };
    let mut out = Destination::create(path)?;
    out.write_all(&serde_json::to_vec_pretty(&manifest).expect("manifest serialises"))?;
    out.write_all(b"\n")?;
    out.finish()
}
