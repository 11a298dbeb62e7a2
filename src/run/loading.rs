//! How a run loads its policies, chosen before it starts: a window of
//! origins at a time (an indexed snapshot larger than a window), only the
//! origins a scan of the input names, or the whole source at once (a
//! source small beside its input, or an input that cannot be read twice).
//! `verify` asks the same questions of a run it checks.

use std::path::{Path, PathBuf};

use crate::config::AsOf;
use crate::corpus::Input;
use crate::error::Result;
use crate::source::PolicySource;

use super::{InputKind, RunPlan};

/// The snapshot's header when a run over `inputs` (the first of `kind`)
/// with policies from `snapshot` loads them by windows of `window`
/// origins: an indexed snapshot of more origins than that, inputs of rows
/// only (the engine holds no policies of its own), policies of now or of
/// each record's crawl time. `verify` asks the same of a run it checks.
///
/// # Errors
///
/// When an input or the snapshot cannot be read.
pub fn loads_by_window(
    snapshot: &Path,
    inputs: &[PathBuf],
    kind: InputKind,
    as_of: AsOf,
    window: usize,
) -> Result<Option<crate::cache::snapshot::Header>> {
    // Another date is refused as the source opens.
    if kind != InputKind::Rows
        || matches!(as_of, AsOf::Date(_))
        || !crate::cache::indexed::is_indexed(snapshot)?
    {
        return Ok(None);
    }
    for other in inputs.iter().skip(1) {
        if other.as_os_str() != "-" && InputKind::of(&mut Input::open(other)?)? != InputKind::Rows {
            return Ok(None);
        }
    }
    let reader = crate::cache::indexed::Reader::open(snapshot)?;
    let meta = reader.meta();
    Ok((meta.origins > window as u64).then(|| meta.header()))
}

/// Whether a run over `inputs`, the first of `kind`, loads only the
/// policies of its input's origins: when every input is a file and the
/// first is rows or Parquet. `verify` asks the same to check what a run
/// loaded.
#[must_use]
pub fn loads_only_inputs(inputs: &[PathBuf], kind: InputKind) -> bool {
    kind != InputKind::Warc && inputs.iter().all(|i| i.as_os_str() != "-")
}

/// Sources of at most this many origins may be loaded whole instead of
/// after a scan of the input.
const WHOLE_ORIGINS: usize = 50_000;

/// Bytes of input (decompressed) a scan reads in the time loading one more
/// origin takes: about 10 µs against 5 ns a byte on this project's 2-core
/// machine (a robots directory of 100,000 files loads in about 1 s; 45 MB
/// of URLs scan in about 0.25 s).
const SCAN_BYTES_PER_ORIGIN: u64 = 2_000;

/// Whether a run of rows over files (see [`loads_only_inputs`]) loads its
/// source whole, judging in one pass, rather than scanning the input first
/// for the origins to load: when the source holds few origins beside the
/// input's size, loading all of them costs less than a second reading of
/// the input, which for a compressed file is a second decompression (the
/// 10,000-host bench world, 1M gzipped URLs: 0.50 s against 0.68 s).
/// Decisions, evidence and stats are the same either way: the policy
/// tally then counts the policies that judged a row
/// ([`crate::engine::Engine::named_tally`]). Robots directories and indexed snapshots
/// (whose size is known without reading them), for policies of now.
pub(super) fn loads_whole(plan: &RunPlan, as_of: AsOf) -> bool {
    if as_of == AsOf::Crawl {
        return false;
    }
    let input_bytes: u64 = plan
        .inputs
        .iter()
        .map(|path| {
            let len = std::fs::metadata(path).map_or(0, |m| m.len());
            // A guess at the decompressed size; it only weighs costs.
            let compressed = path
                .extension()
                .is_some_and(|e| e == "gz" || e == "zst" || e == "bz2" || e == "xz");
            if compressed {
                len.saturating_mul(5)
            } else {
                len
            }
        })
        .sum();
    let worth = usize::try_from(input_bytes / SCAN_BYTES_PER_ORIGIN).unwrap_or(usize::MAX);
    let limit = worth.min(WHOLE_ORIGINS);
    if limit == 0 {
        return false;
    }
    let held = match &plan.source {
        PolicySource::RobotsDir { path, .. } => match std::fs::read_dir(path) {
            Ok(entries) => entries.take(limit + 1).count(),
            Err(_) => return false,
        },
        PolicySource::Snapshot { path } => {
            match crate::cache::indexed::is_indexed(path) {
                Ok(true) => {}
                _ => return false,
            }
            match crate::cache::indexed::Reader::open(path) {
                Ok(reader) => usize::try_from(reader.meta().header().origins).unwrap_or(usize::MAX),
                Err(_) => return false,
            }
        }
        PolicySource::Cache { .. } => return false,
    };
    held <= limit
}
