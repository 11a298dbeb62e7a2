//! Portable policy snapshots: the policy of every origin at one time, with
//! the body and its hash, in one JSON Lines file that another machine can
//! filter against (`optout filter --snapshot FILE --offline`) or import
//! into its cache (`optout cache import FILE`).
//!
//! The first line is a header:
//! `{"format":"optout-snapshot-v1","tool":"optout 0.1.0","created":…,"as_of":…,"origins":N}`.
//! Every other line is one origin:
//! `{"used":{…fetch…},"failed":{…}|null,"body_base64":"…"|null}`, where
//! `used` is the fetch whose answer decides and `failed` the later
//! unreachable fetch when `used` is a fallback copy (see
//! [`crate::cache::freshness`]). Fetch fields are those of the cache's
//! `fetches` table, times in milliseconds since the epoch. An origin's
//! tdmrep.json and ai.txt, when fetched, follow its robots.txt line as
//! lines of their own (`"file":"tdmrep.json"`); the header counts them in
//! `files` (absent, and 0, in snapshots written before files were
//! fetched).
//!
//! A history snapshot (`optout cache export --history`, and the evidence
//! of a run by crawl time) also holds every earlier policy of each origin:
//! lines with `"from"`, the time the copy came into force, oldest first
//! per origin, counted in the header's `history`.
//!
//! Reading checks every body against its SHA-256 and names the line of
//! any mismatch: a snapshot is evidence, and altered evidence must not be
//! used silently. Files may be gzip or zstd compressed.

mod assembly;
mod convert;
mod write;

use std::io::BufRead;
use std::path::Path;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::cache::{Cache, Effective};
use crate::corpus::Input;
use crate::error::{Error, ErrorKind, Result};
use crate::origin::SiteFile;
use crate::time::Millis;

pub use assembly::{Assembly, Part, load, load_only};
pub use convert::{Info, convert};
pub use write::{JsonLines, Sink, export, export_indexed, export_origins};

impl crate::cache::indexed::Meta {
    /// The JSON Lines header with the same facts.
    #[must_use]
    pub fn header(&self) -> Header {
        Header {
            format: FORMAT.to_owned(),
            tool: self.tool.clone(),
            created: self.created.clone(),
            as_of: self.as_of.clone(),
            origins: self.origins,
            files: self.files,
            history: self.history,
        }
    }
}

/// The snapshot format.
pub const FORMAT: &str = "optout-snapshot-v1";

/// The first line of a snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// [`FORMAT`].
    pub format: String,
    /// The tool and version that wrote it.
    pub tool: String,
    /// When it was written.
    pub created: String,
    /// The time whose policies it holds.
    pub as_of: String,
    /// The number of origin lines.
    pub origins: u64,
    /// Lines of files other than robots.txt.
    #[serde(default)]
    pub files: u64,
    /// Lines of earlier policies (history snapshots; absent, and 0, in
    /// others).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub history: u64,
}

// serde's `skip_serializing_if` passes a reference.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A line as written: [`Line`] borrowing its record.
#[derive(Serialize)]
struct LineOut<'a> {
    #[serde(flatten)]
    effective: &'a Effective,
    body_base64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<Millis>,
}

#[derive(Deserialize)]
struct Line {
    #[serde(flatten)]
    effective: Effective,
    body_base64: Option<String>,
    /// History lines: when this copy came into force for its origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    from: Option<Millis>,
}

/// Reads a snapshot, calling `each` with every origin's copy and body.
///
/// # Errors
///
/// When the file cannot be read, is not a snapshot, or a line is
/// malformed or its body does not match its hash (the line is named).
pub fn read(
    path: &Path,
    mut each: impl FnMut(Effective, Option<Vec<u8>>, Option<Millis>) -> Result<()>,
) -> Result<Header> {
    let input = Input::open(path)?;
    let bad = |line: u64, message: String| -> Error {
        ErrorKind::Snapshot {
            path: path.to_owned(),
            line,
            message,
        }
        .into()
    };
    // Lines are read up to the corpus readers' limit: a snapshot's line
    // holds one body (500 KiB, in base64), never gigabytes.
    let limit = crate::corpus::lines::MAX_LINE;
    let mut reader = input.reader;
    let mut next_line = move |number: u64| -> Result<Option<String>> {
        let mut buffer = Vec::new();
        let n = std::io::Read::take(&mut reader, limit as u64 + 1)
            .read_until(b'\n', &mut buffer)
            .map_err(|e| Error::io(path, e))?;
        if n == 0 {
            return Ok(None);
        }
        if buffer.len() > limit {
            return Err(bad(
                number,
                format!("a line longer than {} MiB", limit >> 20),
            ));
        }
        let text = String::from_utf8(buffer).map_err(|_| bad(number, "not UTF-8".into()))?;
        Ok(Some(text.trim_end_matches(['\n', '\r']).to_owned()))
    };
    let first = next_line(1)?.ok_or_else(|| bad(1, "empty file: no header".into()))?;
    let header: Header =
        serde_json::from_str(&first).map_err(|e| bad(1, format!("not a snapshot header: {e}")))?;
    if header.format != FORMAT {
        return Err(bad(
            1,
            format!("format `{}` is not `{FORMAT}`", header.format),
        ));
    }
    let (mut count, mut files, mut earlier) = (0, 0, 0);
    // Each origin's current copy of each file, with its line: a second one
    // would silently replace the first.
    let mut current: std::collections::HashMap<(String, SiteFile), u64> =
        std::collections::HashMap::new();
    for number in 2.. {
        let Some(line) = next_line(number)? else {
            break;
        };
        if line.trim().is_empty() {
            continue;
        }
        let line: Line = serde_json::from_str(&line).map_err(|e| bad(number, e.to_string()))?;
        let body = match line.body_base64 {
            Some(text) => Some(
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(|e| bad(number, format!("body is not base64: {e}")))?,
            ),
            None => None,
        };
        let expected = line.effective.used.sha256.as_deref();
        match (&body, expected) {
            (Some(body), Some(sha)) if crate::digest::sha256_hex(body) != sha => {
                return Err(bad(
                    number,
                    format!("the body does not match its SHA-256 `{sha}`"),
                ));
            }
            (Some(_), None) => return Err(bad(number, "a body without a SHA-256".into())),
            _ => {}
        }
        if crate::origin::split_key(&line.effective.used.origin).is_none() {
            return Err(bad(
                number,
                format!("`{}` is not an origin", line.effective.used.origin),
            ));
        }
        let robots = line.effective.used.file == SiteFile::Robots;
        let from = line.from;
        if from.is_none() {
            let key = (line.effective.used.origin.clone(), line.effective.used.file);
            if let Some(first) = current.insert(key, number) {
                return Err(bad(
                    number,
                    format!(
                        "`{}` {} is listed twice (first on line {first}): a snapshot holds one copy of each",
                        line.effective.used.origin,
                        line.effective.used.file.name()
                    ),
                ));
            }
        }
        each(line.effective, body, from)?;
        match (from, robots) {
            (Some(_), _) => earlier += 1,
            (None, true) => count += 1,
            (None, false) => files += 1,
        }
    }
    if count != header.origins || files != header.files || earlier != header.history {
        return Err(bad(
            count + files + earlier + 2,
            format!(
                "{count} origins, {files} files and {earlier} earlier copies, but the header says {}, {} and {}: the file is cut",
                header.origins, header.files, header.history
            ),
        ));
    }
    Ok(header)
}
/// [`read`] for either form: an indexed snapshot's entries come in export
/// order, each with its body.
///
/// # Errors
///
/// As [`read`] and [`crate::cache::indexed::Reader`].
pub fn read_any(
    path: &Path,
    mut each: impl FnMut(Effective, Option<Vec<u8>>, Option<Millis>) -> Result<()>,
) -> Result<Header> {
    if !crate::cache::indexed::is_indexed(path)? {
        return read(path, each);
    }
    let reader = crate::cache::indexed::Reader::open(path)?;
    reader.all_entries(|entry| {
        let body = match (entry.body, &entry.effective.used.sha256) {
            (Some(id), Some(sha)) => Some(reader.body(id, sha)?),
            _ => None,
        };
        each(entry.effective, body, entry.from)
    })?;
    Ok(reader.meta().header())
}
/// What an import did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Imported {
    /// Origins the snapshot holds.
    pub origins: u64,
    /// Fetch records read from it.
    pub records: u64,
    /// Of those, the ones the cache did not hold yet.
    pub new: u64,
}

/// Imports a snapshot into `cache`: its fetches become cache records marked
/// `import:<file name>`. Fetches already in the cache are not duplicated,
/// so importing a file again adds nothing.
///
/// # Errors
///
/// See [`read`]; and when the cache cannot be written.
pub fn import(cache: &mut Cache, path: &Path) -> Result<Imported> {
    let source = format!(
        "import:{}",
        path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned()
        )
    );
    let mut rows = Vec::new();
    let mut bodies = Vec::new();
    let header = read_any(path, |effective, body, _from| {
        let mut used = effective.used;
        used.source.clone_from(&source);
        rows.push(used);
        bodies.push(body);
        if let Some(mut failed) = effective.failed {
            failed.source.clone_from(&source);
            rows.push(failed);
            bodies.push(None);
        }
        Ok(())
    })?;
    let bodies: Vec<Option<&[u8]>> = bodies.iter().map(Option::as_deref).collect();
    let new = cache.insert_new(&rows, &bodies)?;
    Ok(Imported {
        origins: header.origins,
        records: rows.len() as u64,
        new,
    })
}
