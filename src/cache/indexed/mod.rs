//! Indexed policy snapshots: the same records as a JSON Lines snapshot
//! ([`crate::cache::snapshot`]), in a SQLite file keyed by host, so that a
//! run over tens of millions of origins opens it without reading it all
//! and loads only the origins its input names.
//!
//! # Layout (`optout-snapshot-index-v1`)
//!
//! * `meta(key, value)`: `format`, `tool`, `created`, `as_of`, `id` (one
//!   export's shards share it), `shard` and `shards`, and the counts
//!   `origins`, `files`, `history`, `entries` and `bodies`.
//! * `bodies(id, sha256, size, zstd)`: each distinct body once, zstd
//!   compressed; `sha256` (32 bytes) is that of the uncompressed body.
//! * `entries(seq, host, origin, file, from_ms, body, record,
//!   record_size)`: one per line of the JSON Lines form, in its order
//!   (`seq` from 1): `record` is the line's fetch record as JSON without
//!   the body, zstd compressed with the file's dictionary when
//!   `record_size` (its size uncompressed) is set; `from_ms` the time an
//!   earlier copy came into force (`NULL` for current copies), `body` the
//!   body's id. Indexed by `host`.
//! * `dict(id, bytes)`: the zstd dictionary of the records, trained on the
//!   file's first records (fetch records of one export repeat their field
//!   names, URLs and tool's values: a dictionary cuts them about fivefold).
//!
//! # Shards
//!
//! `--shards N` splits an export by host: a host's entries go to shard
//! [`shard_of`]`(host, N)`, the first 8 bytes of the SHA-256 of the
//! lower-case host as a big-endian integer, modulo N. A distributed job
//! partitions its rows with the same function and ships each worker one
//! shard.
//!
//! # Trust
//!
//! A snapshot is evidence. Opening checks the format and that the tables
//! hold as many entries and bodies as `meta` says; every entry read is
//! checked against its columns (host, origin, shard, body) and every body
//! against its SHA-256 and the SHA-256 its record names. A mismatch is an
//! error naming the file and the entry, never a policy read as "allowed".

mod read;
mod write;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub use read::{Entry, Reader};
pub use write::Writer;

/// The indexed snapshot format.
pub const FORMAT: &str = "optout-snapshot-index-v1";

/// The first bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Whether `path` is a SQLite file (an indexed snapshot, or not a
/// snapshot at all) rather than a JSON Lines one.
///
/// # Errors
///
/// When the file cannot be read.
pub fn is_indexed(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = [0u8; 16];
    let mut got = 0;
    while got < head.len() {
        match file.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Ok(got == head.len() && &head == SQLITE_MAGIC)
}

/// The shard of `host` among `shards` (see the module documentation).
#[must_use]
pub fn shard_of(host: &str, shards: u32) -> u32 {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(host.to_ascii_lowercase().as_bytes());
    let first = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    u32::try_from(first % u64::from(shards.max(1))).expect("below a u32")
}

/// What an indexed snapshot says about itself.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Meta {
    /// [`FORMAT`].
    pub format: String,
    /// The tool and version that wrote it.
    pub tool: String,
    /// When it was written.
    pub created: String,
    /// The time whose policies it holds.
    pub as_of: String,
    /// The export this file is (a shard of); shards of one export share it.
    pub id: String,
    /// This file's shard, from 0.
    pub shard: u32,
    /// How many shards the export has.
    pub shards: u32,
    /// Current robots.txt entries (origins).
    pub origins: u64,
    /// Current entries of other files.
    pub files: u64,
    /// Earlier copies.
    pub history: u64,
    /// All entries.
    pub entries: u64,
    /// Distinct bodies.
    pub bodies: u64,
}

pub(crate) const SCHEMA: &str = "
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE bodies(id INTEGER PRIMARY KEY, sha256 BLOB NOT NULL, size INTEGER NOT NULL, zstd BLOB NOT NULL);
CREATE TABLE entries(seq INTEGER PRIMARY KEY, host TEXT NOT NULL, origin TEXT NOT NULL, file TEXT NOT NULL, from_ms INTEGER, body INTEGER, record BLOB NOT NULL, record_size INTEGER);
CREATE TABLE dict(id INTEGER PRIMARY KEY, bytes BLOB NOT NULL);
";

/// The file of shard `shard` of `shards` written for `path`:
/// `world.db` becomes `world-00003-of-00008.db`; one shard is `path`.
#[must_use]
pub fn shard_path(path: &Path, shard: u32, shards: u32) -> PathBuf {
    if shards <= 1 {
        return path.to_owned();
    }
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{shard:05}-of-{shards:05}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{shard:05}-of-{shards:05}"),
    };
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fetch record of `https://{host}/robots.txt` with `body`.
    fn record(host: &str, body: &[u8]) -> crate::cache::Effective {
        let url = format!("https://{host}/robots.txt");
        serde_json::from_value(serde_json::json!({
            "used": {
                "origin": format!("https://{host}"), "file": "robots.txt",
                "started_at": 1_761_955_199_880_i64, "fetched_at": 1_761_955_200_000_i64,
                "url": url, "final_url": url, "redirects": [], "status": 200,
                "outcome": "ok", "detail": "", "attempts": 1, "earlier": [],
                "etag": null, "last_modified": null, "content_type": "text/plain",
                "content_encoding": null, "retry_after": null,
                "sha256": crate::digest::sha256_hex(body), "body_size": body.len(),
                "truncated": false, "html": false, "source": "fetch"
            },
            "failed": null
        }))
        .unwrap()
    }

    fn body(i: usize) -> Vec<u8> {
        format!("User-agent: *\nDisallow: /private{}\n", i % 50).into_bytes()
    }

    #[test]
    fn records_round_trip_with_their_dictionary_and_shards_split_by_host() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let mut writer = Writer::create(&path, 2, 0).unwrap();
        let hosts: Vec<String> = (0..1000).map(|i| format!("h{i}.example")).collect();
        for (i, host) in hosts.iter().enumerate() {
            writer
                .add(&record(host, &body(i)), Some(&body(i)), None)
                .unwrap();
        }
        let written = writer.finish().unwrap();
        assert_eq!(written.len(), 2);
        let mut seen = 0;
        for (file, meta) in &written {
            assert_eq!(meta.bodies, 50, "each distinct body once per shard");
            let reader = Reader::open(file).unwrap();
            assert!(
                reader.records.is_some(),
                "a dictionary for {} records",
                meta.entries
            );
            reader
                .all_entries(|entry| {
                    let used = &entry.effective.used;
                    let host = crate::origin::split_key(&used.origin).unwrap().1.to_owned();
                    let i: usize = host[1..host.find('.').unwrap()].parse().unwrap();
                    assert_eq!(entry.effective, record(&host, &body(i)));
                    assert_eq!(shard_of(&host, 2), meta.shard);
                    let id = entry.body.unwrap();
                    assert_eq!(
                        reader.body(id, used.sha256.as_deref().unwrap()).unwrap(),
                        body(i)
                    );
                    seen += 1;
                    Ok(())
                })
                .unwrap();
        }
        assert_eq!(seen, hosts.len());

        // A record altered in place is an error naming the file and entry.
        let (file, _) = &written[0];
        let conn = rusqlite::Connection::open(file).unwrap();
        conn.execute("UPDATE entries SET record = x'00112233' WHERE seq = 7", [])
            .unwrap();
        drop(conn);
        let reader = Reader::open(file).unwrap();
        let err = reader.all_entries(|_| Ok(())).unwrap_err().to_string();
        assert!(
            err.contains("entry 7") && err.contains(&file.display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn a_small_export_stores_records_as_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("small.db");
        let mut writer = Writer::create(&path, 1, 0).unwrap();
        writer
            .add(&record("a.example", b"x"), Some(b"x"), None)
            .unwrap();
        writer.finish().unwrap();
        let reader = Reader::open(&path).unwrap();
        assert!(reader.records.is_none());
        let mut n = 0;
        reader
            .all_entries(|_| {
                n += 1;
                Ok(())
            })
            .unwrap();
        assert_eq!(n, 1);
        assert!(
            Writer::create(&path, 1, 0).is_err(),
            "never over an existing file"
        );
        assert!(Writer::create(Path::new("-"), 1, 0).is_err());
        assert!(Writer::create(&dir.path().join("z.db"), 0, 0).is_err());
    }
}
