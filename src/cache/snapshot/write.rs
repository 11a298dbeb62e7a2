//! Writing snapshots: a cache's policies gathered in file order and poured
//! into a [`Sink`], a JSON Lines file or an indexed snapshot.

use std::io::Write;
use std::path::Path;

use base64::Engine as _;

use super::{FORMAT, Header, LineOut};
use crate::cache::{Cache, Effective};
use crate::error::{Error, Result};
use crate::origin::SiteFile;
use crate::time::{self, Millis};

/// Writes the policy of every cached origin at `at` to `out`; returns the
/// number of origins.
///
/// # Errors
///
/// When the cache cannot be read or `out` written (`path` names it).
pub fn export(cache: &Cache, at: Millis, out: &mut dyn Write, path: &Path) -> Result<u64> {
    export_origins(cache, &cache.origins()?, at, false, out, path)
}

/// [`export`] for `origins` only (sorted by the caller for a repeatable
/// file): the policies one run used, as its evidence. With `history`,
/// also every earlier policy of each origin up to `at` (see
/// [`Cache::policies_with_history`]), the evidence of a run that judged
/// records by their crawl time: lines with `from`, the time each came into
/// force, which [`super::load`] reads back as the set's history.
///
/// # Errors
///
/// As [`export`].
pub fn export_origins(
    cache: &Cache,
    origins: &[String],
    at: Millis,
    history: bool,
    out: &mut dyn Write,
    path: &Path,
) -> Result<u64> {
    let (header, entries) = gather(cache, origins, at, history)?;
    let mut sink = JsonLines::begin(out, path, &header)?;
    pour(cache, entries, &mut sink)?;
    sink.finish()?;
    Ok(header.origins)
}

/// [`export_origins`] to an indexed snapshot at `path`, split into
/// `shards` files ([`crate::cache::indexed`]).
///
/// # Errors
///
/// As [`export_origins`], and when a shard file exists.
pub fn export_indexed(
    cache: &Cache,
    origins: &[String],
    at: Millis,
    history: bool,
    path: &Path,
    shards: u32,
) -> Result<Vec<(std::path::PathBuf, crate::cache::indexed::Meta)>> {
    let mut writer = crate::cache::indexed::Writer::create(path, shards, at)?;
    let (_, entries) = gather(cache, origins, at, history)?;
    pour(cache, entries, &mut writer)?;
    writer.finish()
}

/// The records of an export, in file order, with the header counting them.
type Gathered = (Header, Vec<(Effective, Option<Millis>)>);

fn gather(cache: &Cache, origins: &[String], at: Millis, history: bool) -> Result<Gathered> {
    let mut entries = Vec::new();
    let (mut files, mut earlier) = (0, 0);
    for origin in origins {
        if let Some(effective) = cache.effective(origin, at)? {
            entries.push((effective, None));
            for file in [SiteFile::TdmRep, SiteFile::AiTxt, SiteFile::Rsl] {
                if let Some(effective) = cache.effective_file(origin, file, at)? {
                    entries.push((effective, None));
                    files += 1;
                }
            }
        }
        if history {
            for (from, effectives) in cache.versions(origin, at)? {
                earlier += effectives.len() as u64;
                entries.extend(effectives.into_iter().map(|e| (e, Some(from))));
            }
        }
    }
    let header = Header {
        format: FORMAT.to_owned(),
        tool: concat!("optout ", env!("CARGO_PKG_VERSION")).to_owned(),
        created: time::format(time::now()),
        as_of: time::format(at),
        origins: entries.len() as u64 - files - earlier,
        files,
        history: earlier,
    };
    Ok((header, entries))
}

fn pour(
    cache: &Cache,
    entries: Vec<(Effective, Option<Millis>)>,
    sink: &mut dyn Sink,
) -> Result<()> {
    for (effective, from) in entries {
        let body = match &effective.used.sha256 {
            Some(sha) => cache.body(sha)?,
            None => None,
        };
        sink.add(&effective, body.as_deref(), from)?;
    }
    Ok(())
}

/// Where the records of a snapshot go: a JSON Lines file
/// ([`JsonLines`]) or an indexed snapshot
/// ([`crate::cache::indexed::Writer`]).
pub trait Sink {
    /// Adds one record: an origin's current copy of a file (`from` is
    /// `None`) or an earlier one, with its body.
    ///
    /// # Errors
    ///
    /// When the record cannot be written.
    fn add(
        &mut self,
        effective: &Effective,
        body: Option<&[u8]>,
        from: Option<Millis>,
    ) -> Result<()>;
}

/// A JSON Lines snapshot being written: the header, then one line per
/// record.
pub struct JsonLines<'a> {
    out: &'a mut dyn Write,
    path: &'a Path,
}

impl<'a> JsonLines<'a> {
    /// Writes `header` to `out` (the file `path`).
    ///
    /// # Errors
    ///
    /// When `out` cannot be written.
    pub fn begin(out: &'a mut dyn Write, path: &'a Path, header: &Header) -> Result<Self> {
        let io = |e: std::io::Error| Error::io(path, e);
        serde_json::to_writer(&mut *out, header).map_err(|e| io(e.into()))?;
        out.write_all(b"\n").map_err(io)?;
        Ok(JsonLines { out, path })
    }

    /// Flushes the file.
    ///
    /// # Errors
    ///
    /// When `out` cannot be written.
    pub fn finish(self) -> Result<()> {
        self.out.flush().map_err(|e| Error::io(self.path, e))
    }
}

impl Sink for JsonLines<'_> {
    fn add(
        &mut self,
        effective: &Effective,
        body: Option<&[u8]>,
        from: Option<Millis>,
    ) -> Result<()> {
        let io = |e: std::io::Error| Error::io(self.path, e);
        let line = LineOut {
            effective,
            body_base64: body.map(|b| base64::engine::general_purpose::STANDARD.encode(b)),
            from,
        };
        serde_json::to_writer(&mut *self.out, &line).map_err(|e| io(e.into()))?;
        self.out.write_all(b"\n").map_err(io)
    }
}

impl Sink for crate::cache::indexed::Writer {
    fn add(
        &mut self,
        effective: &Effective,
        body: Option<&[u8]>,
        from: Option<Millis>,
    ) -> Result<()> {
        crate::cache::indexed::Writer::add(self, effective, body, from)
    }
}
