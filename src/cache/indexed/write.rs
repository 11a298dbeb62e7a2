//! Writing an indexed snapshot: records added in file order, bodies
//! deduplicated by SHA-256 and compressed, each shard renamed into place
//! only when whole.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use super::{FORMAT, Meta, SCHEMA, shard_of, shard_path};
use crate::cache::Effective;
use crate::error::{Error, Result};
use crate::origin::SiteFile;
use crate::time::{self, Millis};

/// Writes an indexed snapshot, or its shards. Each file is written under a
/// temporary name and renamed by [`Writer::finish`]: a failed export
/// leaves nothing that looks like a snapshot.
pub struct Writer {
    parts: Vec<Part>,
    as_of: Millis,
}

struct Part {
    conn: Connection,
    temp: PathBuf,
    path: PathBuf,
    bodies: HashMap<[u8; 32], i64>,
    seq: i64,
    origins: u64,
    files: u64,
    history: u64,
    /// Records held until the dictionary is trained on them.
    waiting: Vec<Row>,
    /// Compresses records with the dictionary, once it is trained; `None`
    /// with `trained` set means records are stored as they are.
    packer: Option<zstd::bulk::Compressor<'static>>,
    trained: bool,
}

/// An entry waiting to be written.
struct Row {
    seq: i64,
    host: String,
    origin: String,
    file: &'static str,
    from: Option<Millis>,
    body: Option<i64>,
    record: String,
}

/// Records the dictionary is trained on: the first of each file.
const TRAINING_RECORDS: usize = 4096;

/// Fewer records than this are stored without a dictionary.
const MIN_TRAINING_RECORDS: usize = 256;

/// The dictionary's size.
const DICTIONARY_BYTES: usize = 16 << 10;

impl Part {
    fn write(&mut self, row: Row) -> Result<()> {
        if !self.trained {
            self.waiting.push(row);
            if self.waiting.len() >= TRAINING_RECORDS {
                self.train()?;
            }
            return Ok(());
        }
        let err = |e: rusqlite::Error| Error::index(&self.temp, e);
        let (record, size) = match &mut self.packer {
            Some(packer) => (
                packer
                    .compress(row.record.as_bytes())
                    .map_err(|e| Error::io(&self.temp, e))?,
                Some(row.record.len() as i64),
            ),
            None => (row.record.into_bytes(), None),
        };
        self.conn
            .prepare_cached(
                "INSERT INTO entries(seq, host, origin, file, from_ms, body, record, record_size) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    row.seq, row.host, row.origin, row.file, row.from, row.body, record, size
                ])
            })
            .map_err(err)?;
        Ok(())
    }

    /// Trains the dictionary on the waiting records (when there are enough
    /// and they make one) and writes them.
    fn train(&mut self) -> Result<()> {
        self.trained = true;
        if self.waiting.len() >= MIN_TRAINING_RECORDS {
            let samples: Vec<&[u8]> = self.waiting.iter().map(|r| r.record.as_bytes()).collect();
            // Records too alike or too few for a dictionary are stored
            // as they are.
            if let Ok(dict) = zstd::dict::from_samples(&samples, DICTIONARY_BYTES) {
                self.conn
                    .execute("INSERT INTO dict(id, bytes) VALUES (1, ?1)", [&dict])
                    .map_err(|e| Error::index(&self.temp, e))?;
                self.packer = Some(
                    zstd::bulk::Compressor::with_dictionary(3, &dict)
                        .map_err(|e| Error::io(&self.temp, e))?,
                );
            }
        }
        for row in std::mem::take(&mut self.waiting) {
            self.write(row)?;
        }
        Ok(())
    }
}

/// Where `path` is written until it is whole.
fn temp_name(path: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(".optout-{}.tmp", std::process::id()));
    path.with_file_name(name)
}

impl Drop for Part {
    fn drop(&mut self) {
        // Renamed when whole; anything left is a failed export's.
        let _ = std::fs::remove_file(&self.temp);
    }
}

impl Writer {
    /// Starts writing the policies in force at `as_of` to `path`, split
    /// into `shards` files (see [`shard_path`]).
    ///
    /// # Errors
    ///
    /// When `shards` is 0, a file already exists or cannot be created.
    pub fn create(path: &Path, shards: u32, as_of: Millis) -> Result<Writer> {
        if path == Path::new("-") {
            return Err(Error::config(
                "an indexed snapshot is a file, not a stream: name one instead of `-`",
            ));
        }
        if shards == 0 {
            return Err(Error::config("--shards must be at least 1"));
        }
        let mut parts = Vec::with_capacity(shards as usize);
        for shard in 0..shards {
            let path = shard_path(path, shard, shards);
            if path.exists() {
                return Err(Error::config(format!(
                    "`{}` exists: an indexed snapshot is written to a new file",
                    path.display()
                )));
            }
            let temp = temp_name(&path);
            let _ = std::fs::remove_file(&temp);
            let conn = Connection::open(&temp).map_err(|e| Error::index(&temp, e))?;
            let err = |e: rusqlite::Error| Error::index(&temp, e);
            // A temporary file written once: no journal to keep.
            conn.execute_batch(
                "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=8192;",
            )
            .map_err(err)?;
            conn.execute_batch(SCHEMA).map_err(err)?;
            conn.execute_batch("BEGIN").map_err(err)?;
            parts.push(Part {
                conn,
                temp,
                path,
                bodies: HashMap::new(),
                seq: 0,
                origins: 0,
                files: 0,
                history: 0,
                waiting: Vec::new(),
                packer: None,
                trained: false,
            });
        }
        Ok(Writer { parts, as_of })
    }

    /// Adds one record: an origin's current copy of a file (`from` is
    /// `None`) or an earlier one, with its body.
    ///
    /// # Errors
    ///
    /// When the record's origin is not one, a body does not match its
    /// record's SHA-256, or the file cannot be written.
    pub fn add(
        &mut self,
        effective: &Effective,
        body: Option<&[u8]>,
        from: Option<Millis>,
    ) -> Result<()> {
        let origin = &effective.used.origin;
        let Some((_, host, _)) = crate::origin::split_key(origin) else {
            return Err(Error::config(format!("`{origin}` is not an origin")));
        };
        let shards = u32::try_from(self.parts.len()).expect("shards fit a u32");
        let part = &mut self.parts[shard_of(host, shards) as usize];
        let err = |e: rusqlite::Error| Error::index(&part.temp, e);
        let body_id = match body {
            None => None,
            Some(body) => {
                let sha: [u8; 32] = crate::digest::sha256(body);
                let named = effective.used.sha256.as_deref().unwrap_or_default();
                if crate::digest::to_hex(&sha) != named {
                    return Err(Error::index(
                        &part.path,
                        format!("the body of `{origin}` does not match its SHA-256 `{named}`"),
                    ));
                }
                Some(match part.bodies.get(&sha) {
                    Some(&id) => id,
                    None => {
                        let packed =
                            zstd::bulk::compress(body, 3).map_err(|e| Error::io(&part.temp, e))?;
                        let id =
                            i64::try_from(part.bodies.len()).expect("fewer than 2^63 bodies") + 1;
                        part.conn
                            .prepare_cached("INSERT INTO bodies(id, sha256, size, zstd) VALUES (?1, ?2, ?3, ?4)")
                            .and_then(|mut s| s.execute(params![id, &sha[..], body.len() as i64, packed]))
                            .map_err(err)?;
                        part.bodies.insert(sha, id);
                        id
                    }
                })
            }
        };
        let record = serde_json::to_string(effective).map_err(|e| Error::index(&part.temp, e))?;
        part.seq += 1;
        let row = Row {
            seq: part.seq,
            host: host.to_owned(),
            origin: origin.clone(),
            file: effective.used.file.name(),
            from,
            body: body_id,
            record,
        };
        part.write(row)?;
        match (from, effective.used.file) {
            (Some(_), _) => part.history += 1,
            (None, SiteFile::Robots) => part.origins += 1,
            (None, _) => part.files += 1,
        }
        Ok(())
    }

    /// Indexes, checks and renames every shard; returns each file with
    /// what it says about itself.
    ///
    /// # Errors
    ///
    /// When an origin's current copy of a file was added twice, or a file
    /// cannot be written.
    pub fn finish(self) -> Result<Vec<(PathBuf, Meta)>> {
        let created = time::format(time::now());
        let shards = u32::try_from(self.parts.len()).expect("shards fit a u32");
        let id = {
            let seed = format!(
                "{created} {} {} {:?}",
                std::process::id(),
                self.as_of,
                std::time::SystemTime::now()
            );
            crate::digest::to_hex(&crate::digest::sha256(seed.as_bytes())[..16])
        };
        let mut done = Vec::with_capacity(self.parts.len());
        for (shard, mut part) in self.parts.into_iter().enumerate() {
            if !part.trained {
                part.train()?;
            }
            let err = |e: rusqlite::Error| Error::index(&part.temp, e);
            part.conn
                .execute_batch("CREATE INDEX entries_host ON entries(host)")
                .map_err(err)?;
            let twice: Option<(String, String)> = part
                .conn
                .query_row(
                    "SELECT origin, file FROM entries WHERE from_ms IS NULL GROUP BY origin, file HAVING count(*) > 1 LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(err)?;
            if let Some((origin, file)) = twice {
                return Err(Error::index(
                    &part.path,
                    format!("`{origin}` {file} is listed twice: a snapshot holds one copy of each"),
                ));
            }
            let meta = Meta {
                format: FORMAT.to_owned(),
                tool: concat!("optout ", env!("CARGO_PKG_VERSION")).to_owned(),
                created: created.clone(),
                as_of: time::format(self.as_of),
                id: id.clone(),
                shard: u32::try_from(shard).expect("shards fit a u32"),
                shards,
                origins: part.origins,
                files: part.files,
                history: part.history,
                entries: part.seq as u64,
                bodies: part.bodies.len() as u64,
            };
            let value = serde_json::to_value(&meta).map_err(|e| Error::index(&part.temp, e))?;
            for (key, value) in value.as_object().expect("an object") {
                let text = match value {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                part.conn
                    .execute(
                        "INSERT INTO meta(key, value) VALUES (?1, ?2)",
                        params![key, text],
                    )
                    .map_err(err)?;
            }
            part.conn.execute_batch("COMMIT").map_err(err)?;
            done.push((part, meta));
        }
        // Journal off: once committed, a file is whole. Every shard is
        // whole before any takes its name, so a failed export leaves none.
        let mut written = Vec::with_capacity(done.len());
        for (part, meta) in done {
            std::fs::rename(&part.temp, &part.path).map_err(|e| Error::io(&part.path, e))?;
            written.push((part.path.clone(), meta));
        }
        Ok(written)
    }
}
