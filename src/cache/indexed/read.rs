//! Reading an indexed snapshot: opened with its counts checked, entries
//! looked up by host, bodies read and checked against their SHA-256.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::{FORMAT, Meta, is_indexed, shard_of};
use crate::cache::Effective;
use crate::error::{Error, Result};
use crate::time::Millis;

/// The columns [`Reader::entry`] reads, in its order.
const ENTRY_COLUMNS: &str = "seq, host, origin, file, from_ms, body, record, record_size";

/// One entry read back.
#[derive(Debug)]
pub struct Entry {
    /// Its position in the export (as the JSON Lines line order).
    pub seq: i64,
    /// The fetch record.
    pub effective: Effective,
    /// The id of its body.
    pub body: Option<i64>,
    /// For an earlier copy: when it came into force.
    pub from: Option<Millis>,
}

/// A read-only view of one indexed snapshot file. One per thread.
pub struct Reader {
    conn: Connection,
    path: PathBuf,
    meta: Meta,
    /// One decompression context for every body this reader reads.
    unpack: std::cell::RefCell<zstd::bulk::Decompressor<'static>>,
    /// Decompresses records with the file's dictionary, when it has one.
    pub(super) records: Option<std::cell::RefCell<zstd::bulk::Decompressor<'static>>>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Reader {
    /// Opens `path` and checks that it is an indexed snapshot whose tables
    /// hold what its `meta` says.
    ///
    /// # Errors
    ///
    /// When the file cannot be opened, is not an indexed snapshot, or its
    /// tables and `meta` disagree.
    pub fn open(path: &Path) -> Result<Reader> {
        if !is_indexed(path)? {
            return Err(Error::index(path, "not a SQLite file"));
        }
        let conn = Self::connect(path)?;
        let bad = |message: String| Error::index(path, message);
        let mut values: HashMap<String, String> = HashMap::new();
        {
            let mut statement = conn
                .prepare("SELECT key, value FROM meta")
                .map_err(|e| bad(format!("not an indexed snapshot: {e}")))?;
            let rows = statement
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(|e| bad(e.to_string()))?;
            for row in rows {
                let (key, value) = row.map_err(|e| bad(e.to_string()))?;
                values.insert(key, value);
            }
        }
        let text = |key: &str| -> Result<String> {
            values.get(key).cloned().ok_or_else(|| {
                bad(format!(
                    "`meta` has no `{key}`: not a whole indexed snapshot"
                ))
            })
        };
        let number = |key: &str| -> Result<u64> {
            text(key)?
                .parse()
                .map_err(|_| bad(format!("`meta` `{key}` is not a number")))
        };
        let format = text("format")?;
        if format != FORMAT {
            return Err(bad(format!("format `{format}` is not `{FORMAT}`")));
        }
        let meta = Meta {
            format,
            tool: text("tool")?,
            created: text("created")?,
            as_of: text("as_of")?,
            id: text("id")?,
            shard: u32::try_from(number("shard")?).map_err(|e| bad(e.to_string()))?,
            shards: u32::try_from(number("shards")?).map_err(|e| bad(e.to_string()))?,
            origins: number("origins")?,
            files: number("files")?,
            history: number("history")?,
            entries: number("entries")?,
            bodies: number("bodies")?,
        };
        if meta.shards == 0 || meta.shard >= meta.shards {
            return Err(bad(format!(
                "shard {} of {} does not exist",
                meta.shard, meta.shards
            )));
        }
        if meta.origins + meta.files + meta.history != meta.entries {
            return Err(bad(format!(
                "`meta` counts {} origins, {} files and {} earlier copies but {} entries",
                meta.origins, meta.files, meta.history, meta.entries
            )));
        }
        // Both tables are numbered 1..=n without gaps, so the highest
        // number and the count agree on an untouched file; each is an
        // index lookup, not a scan.
        for (table, key, expected) in [
            ("entries", "seq", meta.entries),
            ("bodies", "id", meta.bodies),
        ] {
            let (high, low): (Option<i64>, Option<i64>) = conn
                .query_row(
                    // Apart, so that each is one step down the b-tree.
                    &format!(
                        "SELECT (SELECT max({key}) FROM {table}), (SELECT min({key}) FROM {table})"
                    ),
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(|e| bad(e.to_string()))?;
            let high = high.unwrap_or(0) as u64;
            if high != expected || (expected > 0 && low != Some(1)) {
                return Err(bad(format!(
                    "`meta` says {expected} {table} but the table runs to {high}: the file is cut or altered"
                )));
            }
        }
        Reader::with(conn, path, meta)
    }

    fn with(conn: Connection, path: &Path, meta: Meta) -> Result<Reader> {
        let unpack = zstd::bulk::Decompressor::new().map_err(|e| Error::io(path, e))?;
        let dict: Option<Vec<u8>> = conn
            .query_row("SELECT bytes FROM dict WHERE id = 1", [], |r| r.get(0))
            .optional()
            .map_err(|e| Error::index(path, format!("not a whole indexed snapshot: {e}")))?;
        let records = match dict {
            Some(dict) => Some(std::cell::RefCell::new(
                zstd::bulk::Decompressor::with_dictionary(&dict)
                    .map_err(|e| Error::index(path, format!("its record dictionary: {e}")))?,
            )),
            None => None,
        };
        Ok(Reader {
            conn,
            path: path.to_owned(),
            meta,
            unpack: std::cell::RefCell::new(unpack),
            records,
        })
    }

    /// Another reader of `path`, which [`Reader::open`] opened and
    /// found to say `meta`, for another thread: what it checked is not
    /// checked again.
    pub(crate) fn again(path: &Path, meta: &Meta) -> Result<Reader> {
        Reader::with(Self::connect(path)?, path, meta.clone())
    }

    fn connect(path: &Path) -> Result<Connection> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| Error::index(path, e))?;
        // One read transaction for the reader's life: lookups take no
        // lock each.
        conn.execute_batch("BEGIN")
            .map_err(|e| Error::index(path, format!("not usable: {e}")))?;
        Ok(conn)
    }

    /// What the file says about itself.
    #[must_use]
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// Every host the file holds, in order (read from the host index).
    ///
    /// # Errors
    ///
    /// When the file cannot be read.
    pub fn hosts(&self) -> Result<Vec<String>> {
        let sql = |e: rusqlite::Error| Error::index(&self.path, e);
        let mut statement = self
            .conn
            .prepare("SELECT DISTINCT host FROM entries ORDER BY host")
            .map_err(sql)?;
        let hosts = statement
            .query_map([], |r| r.get(0))
            .map_err(sql)?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(sql)?;
        Ok(hosts)
    }

    /// Every entry of `host`, in export order.
    ///
    /// # Errors
    ///
    /// When `host` belongs to another shard, or an entry is malformed or
    /// disagrees with its columns.
    pub fn entries_of(&self, host: &str, out: &mut Vec<Entry>) -> Result<()> {
        let shard = shard_of(host, self.meta.shards);
        if shard != self.meta.shard {
            return Err(Error::index(
                &self.path,
                format!(
                    "host `{host}` belongs to shard {shard} of {}, and this file is shard {}: give each worker the shard of its hosts, or the whole snapshot",
                    self.meta.shards, self.meta.shard
                ),
            ));
        }
        let mut statement = self
            .conn
            .prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS} FROM entries WHERE host = ?1 ORDER BY seq"
            ))
            .map_err(|e| Error::index(&self.path, e))?;
        let mut rows = statement
            .query([host])
            .map_err(|e| Error::index(&self.path, e))?;
        while let Some(row) = rows.next().map_err(|e| Error::index(&self.path, e))? {
            out.push(self.entry(row)?);
        }
        Ok(())
    }

    /// Every entry, in export order.
    ///
    /// # Errors
    ///
    /// As [`Reader::entries_of`].
    pub fn all_entries(&self, mut each: impl FnMut(Entry) -> Result<()>) -> Result<()> {
        let mut statement = self
            .conn
            .prepare(&format!("SELECT {ENTRY_COLUMNS} FROM entries ORDER BY seq"))
            .map_err(|e| Error::index(&self.path, e))?;
        let mut rows = statement
            .query([])
            .map_err(|e| Error::index(&self.path, e))?;
        let mut expected = 1;
        while let Some(row) = rows.next().map_err(|e| Error::index(&self.path, e))? {
            let entry = self.entry(row)?;
            if entry.seq != expected {
                return Err(Error::index(
                    &self.path,
                    format!("entry {expected} is missing"),
                ));
            }
            expected += 1;
            each(entry)?;
        }
        Ok(())
    }

    fn entry(&self, row: &rusqlite::Row<'_>) -> Result<Entry> {
        let sql = |e: rusqlite::Error| Error::index(&self.path, e);
        let seq: i64 = row.get(0).map_err(sql)?;
        let bad = |message: String| Error::index(&self.path, format!("entry {seq}: {message}"));
        let host: String = row.get(1).map_err(sql)?;
        let origin: String = row.get(2).map_err(sql)?;
        let file: String = row.get(3).map_err(sql)?;
        let from: Option<Millis> = row.get(4).map_err(sql)?;
        let body: Option<i64> = row.get(5).map_err(sql)?;
        let record: Vec<u8> = row.get(6).map_err(sql)?;
        let size: Option<i64> = row.get(7).map_err(sql)?;
        let record = match (size, &self.records) {
            (None, _) => record,
            (Some(size), Some(unpack)) => {
                let size = usize::try_from(size)
                    .ok()
                    .filter(|&n| n <= crate::corpus::lines::MAX_LINE)
                    .ok_or_else(|| bad(format!("a record of {size} bytes")))?;
                unpack
                    .borrow_mut()
                    .decompress(&record, size)
                    .map_err(|e| bad(format!("the record cannot be decompressed: {e}")))?
            }
            (Some(_), None) => {
                return Err(bad(
                    "a compressed record, and no dictionary to read it with".into(),
                ));
            }
        };
        let effective: Effective = serde_json::from_slice(&record)
            .map_err(|e| bad(format!("the record is not one: {e}")))?;
        let used = &effective.used;
        let record_host = crate::origin::split_key(&used.origin).map(|(_, h, _)| h);
        if used.origin != origin || record_host != Some(host.as_str()) || used.file.name() != file {
            return Err(bad(format!(
                "the index says `{origin}` ({host}) {file} but the record is `{}` {}: the index does not match its data",
                used.origin,
                used.file.name()
            )));
        }
        if shard_of(&host, self.meta.shards) != self.meta.shard {
            return Err(bad(format!(
                "host `{host}` does not belong to shard {} of {}: the file mixes shards",
                self.meta.shard, self.meta.shards
            )));
        }
        if body.is_some() && used.sha256.is_none() {
            return Err(bad("a body without a SHA-256".into()));
        }
        Ok(Entry {
            seq,
            effective,
            body,
            from,
        })
    }

    /// Body `id`, checked against its stored SHA-256 and against `named`,
    /// the SHA-256 the entry's record gives (hex).
    ///
    /// # Errors
    ///
    /// When the body is missing, cannot be decompressed, or does not match.
    pub fn body(&self, id: i64, named: &str) -> Result<Vec<u8>> {
        let bad = |message: String| Error::index(&self.path, format!("body {id}: {message}"));
        let row: Option<(Vec<u8>, i64, Vec<u8>)> = self
            .conn
            .prepare_cached("SELECT sha256, size, zstd FROM bodies WHERE id = ?1")
            .and_then(|mut s| {
                s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()
            })
            .map_err(|e| Error::index(&self.path, e))?;
        let Some((sha, size, packed)) = row else {
            return Err(bad("missing".into()));
        };
        let size = usize::try_from(size).map_err(|_| bad(format!("size {size}")))?;
        if size > crate::corpus::lines::MAX_LINE {
            return Err(bad(format!("size {size} is over the limit of a body")));
        }
        let body = self
            .unpack
            .borrow_mut()
            .decompress(&packed, size)
            .map_err(|e| bad(format!("cannot be decompressed: {e}")))?;
        let actual = crate::digest::sha256(&body);
        if body.len() != size || actual[..] != sha[..] || crate::digest::to_hex(&actual) != named {
            return Err(bad(format!(
                "does not match its SHA-256 `{named}`: the body was altered"
            )));
        }
        Ok(body)
    }
}
