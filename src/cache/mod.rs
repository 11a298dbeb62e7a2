//! The policy cache: every fetch attempt and every distinct body, in one
//! SQLite database (through rusqlite, bundled) that anyone can open with
//! the `sqlite3` shell.
//!
//! Why SQLite: a crash-safe transactional store in one file, readable by
//! standard tools, with indexes for "the last fetch of this origin before
//! that date". It runs in WAL mode with `synchronous=NORMAL`: a committed
//! fetch survives the process being killed at any moment (SIGKILL
//! included); only a power loss may drop the last transactions, never
//! corrupt the file. Records are committed as they arrive, in small
//! batches, by one writer thread ([`spawn_writer`]).
//!
//! Layout (format `optout-cache-v1`, in table `meta`):
//!
//! * `origins(id, origin)`: one row per `scheme://host[:port]`;
//! * `bodies(sha256, size, body)`: each distinct body once, whatever the
//!   number of origins or fetches that served it;
//! * `fetches(...)`: one row per fetch attempt, with time, URLs, redirect
//!   chain (JSON), status, outcome, validators, `Content-Type`,
//!   `Retry-After`, body hash, truncated and HTML flags, and where it came
//!   from (`fetch` or `import:<file>`). Times are milliseconds since the
//!   epoch;
//! * views `history` (each distinct body per origin with first and last
//!   seen times) and `latest` (the last fetch per origin), with readable
//!   times.
//!
//! Which copy decides at a given time is [`freshness`]'s business; this
//! module stores and queries.

pub mod freshness;
pub mod indexed;
pub mod snapshot;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fetch::{FetchRecord, Hop, Job, Outcome, Validators};
use crate::origin::{Origin, SiteFile};
use crate::policy::files::{FileState, SiteFiles};
use crate::policy::{Access, OriginPolicy, ParsedBodies, PolicySet};
use crate::signals::ai_txt::AiTxt;
use crate::signals::rsl::{RslDocument, RslError};
use crate::signals::tdmrep::TdmRepFile;
use crate::time::{self, Millis};
use freshness::{Choice, Said};

/// The cache format; a different format is refused, never migrated in
/// place.
pub const FORMAT: &str = "optout-cache-v1";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS origins (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS bodies (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS fetches (
    id INTEGER PRIMARY KEY,
    origin_id INTEGER NOT NULL REFERENCES origins(id),
    started_at INTEGER NOT NULL,
    fetched_at INTEGER NOT NULL,
    url TEXT NOT NULL,
    final_url TEXT NOT NULL,
    redirects TEXT NOT NULL,
    status INTEGER,
    outcome TEXT NOT NULL,
    class TEXT NOT NULL,
    detail TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    earlier TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    content_type TEXT,
    content_encoding TEXT,
    retry_after TEXT,
    body_sha256 TEXT REFERENCES bodies(sha256),
    body_size INTEGER,
    truncated INTEGER NOT NULL,
    html INTEGER NOT NULL,
    source TEXT NOT NULL,
    file TEXT NOT NULL DEFAULT 'robots.txt'
);
CREATE INDEX IF NOT EXISTS fetches_by_origin ON fetches(origin_id, fetched_at);
";

/// Indexes and views that depend on the `file` column, made after a cache
/// written before it had one gained it. Views are made anew on every open,
/// so that their definitions follow the code.
const SCHEMA_FILES: &str = "
CREATE INDEX IF NOT EXISTS fetches_by_file ON fetches(origin_id, file, fetched_at);
DROP VIEW IF EXISTS history;
DROP VIEW IF EXISTS latest;
CREATE VIEW history AS
    SELECT o.origin, f.file, f.body_sha256 AS sha256,
           strftime('%Y-%m-%dT%H:%M:%fZ', MIN(f.fetched_at) / 1000.0, 'unixepoch') AS first_seen,
           strftime('%Y-%m-%dT%H:%M:%fZ', MAX(f.fetched_at) / 1000.0, 'unixepoch') AS last_seen,
           COUNT(*) AS fetches
    FROM fetches f JOIN origins o ON o.id = f.origin_id
    WHERE f.body_sha256 IS NOT NULL
    GROUP BY f.origin_id, f.file, f.body_sha256;
CREATE VIEW latest AS
    SELECT o.origin, n.file,
           strftime('%Y-%m-%dT%H:%M:%fZ', f.fetched_at / 1000.0, 'unixepoch') AS fetched,
           f.status, f.outcome, f.class, f.body_sha256 AS sha256, f.final_url, f.detail
    FROM origins o
    JOIN (SELECT DISTINCT origin_id, file FROM fetches) n ON n.origin_id = o.id
    JOIN fetches f ON f.id = (
        SELECT id FROM fetches WHERE origin_id = o.id AND file = n.file
        ORDER BY fetched_at DESC, id DESC LIMIT 1);
";

const FETCH_COLUMNS: &str = "f.id, o.origin, f.started_at, f.fetched_at, f.url, f.final_url, \
    f.redirects, f.status, f.outcome, f.detail, f.attempts, f.etag, f.last_modified, \
    f.content_type, f.content_encoding, f.retry_after, f.body_sha256, f.body_size, \
    f.truncated, f.html, f.source, f.earlier, f.file";

/// One stored fetch: a row of `fetches`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFetch {
    /// Row id in this cache (not portable).
    #[serde(skip)]
    pub id: i64,
    /// The origin.
    pub origin: String,
    /// Which of its files (snapshots written before files had names hold
    /// robots.txt only).
    #[serde(default)]
    pub file: SiteFile,
    /// When the first request was sent (ms since the epoch).
    pub started_at: Millis,
    /// When the outcome was known (ms since the epoch).
    pub fetched_at: Millis,
    /// The URL first requested.
    pub url: String,
    /// The URL that gave the final answer.
    pub final_url: String,
    /// Redirects followed.
    pub redirects: Vec<Hop>,
    /// Final HTTP status.
    pub status: Option<u16>,
    /// Outcome code.
    pub outcome: Outcome,
    /// Human explanation.
    pub detail: String,
    /// Attempts made.
    pub attempts: u32,
    /// The attempts before the last one (retried), oldest first.
    #[serde(default)]
    pub earlier: Vec<crate::fetch::Attempt>,
    /// `ETag`.
    pub etag: Option<String>,
    /// `Last-Modified`.
    pub last_modified: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// `Retry-After`.
    pub retry_after: Option<String>,
    /// SHA-256 of the body (for `not-modified`: of the stored body it
    /// confirmed).
    pub sha256: Option<String>,
    /// Body size in bytes.
    pub body_size: Option<u64>,
    /// The body was cut at the limit.
    pub truncated: bool,
    /// The body looks like HTML.
    pub html: bool,
    /// `fetch`, or `import:<file>`.
    pub source: String,
}

impl StoredFetch {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<StoredFetch> {
        let redirects: String = row.get(6)?;
        let earlier: String = row.get(21)?;
        let outcome: String = row.get(8)?;
        let bad = |i: usize, what: String| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, what.into())
        };
        Ok(StoredFetch {
            id: row.get(0)?,
            origin: row.get(1)?,
            started_at: row.get(2)?,
            fetched_at: row.get(3)?,
            url: row.get(4)?,
            final_url: row.get(5)?,
            redirects: serde_json::from_str(&redirects).map_err(|e| bad(6, e.to_string()))?,
            status: row.get(7)?,
            outcome: Outcome::from_code(&outcome)
                .ok_or_else(|| bad(8, format!("unknown outcome `{outcome}`")))?,
            detail: row.get(9)?,
            attempts: row.get(10)?,
            etag: row.get(11)?,
            last_modified: row.get(12)?,
            content_type: row.get(13)?,
            content_encoding: row.get(14)?,
            retry_after: row.get(15)?,
            sha256: row.get(16)?,
            body_size: row.get::<_, Option<i64>>(17)?.map(|n| n.max(0) as u64),
            truncated: row.get(18)?,
            html: row.get(19)?,
            source: row.get(20)?,
            earlier: serde_json::from_str(&earlier).map_err(|e| bad(21, e.to_string()))?,
            file: {
                let name: String = row.get(22)?;
                SiteFile::from_name(&name)
                    .ok_or_else(|| bad(22, format!("unknown file `{name}`")))?
            },
        })
    }

    fn said(&self) -> Said {
        match self.outcome {
            Outcome::Ok | Outcome::NotModified if self.sha256.is_some() => Said::Body,
            Outcome::Unavailable => Said::Unavailable,
            _ => Said::Unreachable,
        }
    }
}

/// The copy that decides for an origin at some time, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effective {
    /// The fetch whose answer is used.
    pub used: StoredFetch,
    /// When `used` is a fallback: the later fetch that found the origin
    /// unreachable.
    pub failed: Option<StoredFetch>,
}

impl Effective {
    /// The policy this copy makes, given its body (for body outcomes).
    /// The same function serves the cache and portable snapshots, so both
    /// reach the same decisions.
    #[must_use]
    pub fn to_policy(&self, body: Option<&[u8]>) -> OriginPolicy {
        self.to_shared_policy(body, &mut ParsedBodies::default())
    }

    /// [`Effective::to_policy`], sharing parses of equal bodies through
    /// `parsed`.
    pub fn to_shared_policy(&self, body: Option<&[u8]>, parsed: &mut ParsedBodies) -> OriginPolicy {
        let used = &self.used;
        let host = crate::origin::split_key(&used.origin)
            .map_or_else(|| used.origin.clone(), |(_, host, _)| host.to_owned());
        let mut notes = Vec::new();
        if let Some(failed) = &self.failed {
            notes.push(format!(
                "robots.txt unreachable ({}) at {}: the last good copy, fetched at {}, is used (RFC 9309 §2.3.1.4, at most 30 days)",
                failed.outcome,
                time::format(failed.fetched_at),
                time::format(used.fetched_at)
            ));
        }
        if !used.redirects.is_empty() {
            notes.push(format!(
                "{} redirect(s) to `{}`; the rules apply to `{}`",
                used.redirects.len(),
                used.final_url,
                used.origin
            ));
        }
        // Notes come from the fetch record, so that they are the same
        // whether or not the body is at hand (`cache show` has none).
        if used.truncated {
            notes.push(format!(
                "body longer than the limit: its first {} bytes were parsed",
                used.body_size.unwrap_or_default()
            ));
        }
        if used.html {
            notes.push("an HTML page served as robots.txt".into());
        }
        let sha = used.sha256.as_deref().unwrap_or_default();
        let access = match used.said() {
            Said::Body => {
                let robots = parsed
                    .get(sha, used.truncated)
                    .or_else(|| body.map(|body| parsed.parse(sha, body, used.truncated)));
                match robots {
                    Some(robots) => Access::Rules(robots),
                    None => Access::Unreachable {
                        detail: format!(
                            "the body {sha} of fetch at {} is missing from the cache",
                            time::format(used.fetched_at)
                        ),
                    },
                }
            }
            Said::Unavailable => Access::Unavailable {
                status: used.status.unwrap_or(404),
            },
            Said::Unreachable => Access::Unreachable {
                detail: format!(
                    "robots.txt unreachable ({}): {}; no good copy in the 30 days before",
                    used.outcome, used.detail
                ),
            },
        };
        OriginPolicy {
            key: used.origin.clone(),
            host,
            source: used.url.clone(),
            sha256: used.sha256.clone().unwrap_or_default(),
            fetched_at: Some(used.fetched_at),
            note: notes.join("; "),
            access,
            files: crate::policy::files::SiteFiles::none(),
        }
    }
}

/// Parses of tdmrep.json and ai.txt bodies by SHA-256, shared by the
/// origins that serve the same bytes.
#[derive(Debug, Default)]
pub struct FileBodies {
    tdmrep: HashMap<String, Arc<TdmRepFile>>,
    ai_txt: HashMap<String, Arc<AiTxt>>,
    rsl: HashMap<String, Arc<std::result::Result<RslDocument, RslError>>>,
}

impl FileBodies {
    /// Sets the state of `effective`'s file in `files`, given its body
    /// (unless a parse of it is held).
    pub fn attach(&mut self, files: &mut SiteFiles, effective: &Effective, body: Option<&[u8]>) {
        match effective.used.file {
            SiteFile::TdmRep => {
                files.tdmrep = effective.to_file_state(body, &mut self.tdmrep, TdmRepFile::parse);
            }
            SiteFile::AiTxt => {
                files.ai_txt = effective.to_file_state(body, &mut self.ai_txt, AiTxt::parse);
            }
            SiteFile::Rsl => {
                files.rsl = effective.to_file_state(body, &mut self.rsl, RslDocument::parse);
            }
            SiteFile::Robots => {}
        }
    }
}

impl Effective {
    /// What this copy of a tdmrep.json or ai.txt makes, given its body
    /// (for body outcomes) or a parse of it in `parsed`.
    pub fn to_file_state<T>(
        &self,
        body: Option<&[u8]>,
        parsed: &mut HashMap<String, Arc<T>>,
        parse: impl Fn(&[u8]) -> T,
    ) -> FileState<T> {
        let used = &self.used;
        let mut notes = Vec::new();
        if let Some(failed) = &self.failed {
            notes.push(format!(
                "{} unreachable ({}) at {}: the last good copy, fetched at {}, is used (at most 30 days, as for robots.txt)",
                used.file.name(),
                failed.outcome,
                time::format(failed.fetched_at),
                time::format(used.fetched_at)
            ));
        }
        if used.truncated {
            notes.push(format!(
                "body longer than the limit: its first {} bytes were read",
                used.body_size.unwrap_or_default()
            ));
        }
        match used.said() {
            Said::Body => {
                let sha = used.sha256.clone().unwrap_or_default();
                let parse_now = || body.map(|b| Arc::new(parse(b)));
                let file = match parsed.get(&sha) {
                    Some(file) => Some(Arc::clone(file)),
                    None => parse_now().inspect(|file| {
                        parsed.insert(sha.clone(), Arc::clone(file));
                    }),
                };
                match file {
                    Some(parsed) => FileState::Read {
                        parsed,
                        source: used.url.clone(),
                        sha256: sha,
                        fetched_at: Some(used.fetched_at),
                        note: notes.join("; "),
                    },
                    None => FileState::Unreachable {
                        source: used.url.clone(),
                        detail: format!("the body {sha} is missing from the cache"),
                        fetched_at: Some(used.fetched_at),
                    },
                }
            }
            Said::Unavailable => FileState::Absent {
                source: used.url.clone(),
                status: used.status.unwrap_or(404),
                fetched_at: Some(used.fetched_at),
            },
            Said::Unreachable => FileState::Unreachable {
                source: used.url.clone(),
                detail: format!(
                    "{} ({}): {}; no good copy in the 30 days before",
                    used.file.name(),
                    used.outcome,
                    used.detail
                ),
                fetched_at: Some(used.fetched_at),
            },
        }
    }
}

/// Counts over the whole cache.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CacheStats {
    /// The database file.
    pub path: String,
    /// Distinct origins.
    pub origins: u64,
    /// Fetch records.
    pub fetches: u64,
    /// Distinct bodies.
    pub bodies: u64,
    /// Bytes of distinct bodies.
    pub body_bytes: u64,
    /// Bytes on disk (database and write-ahead log).
    pub file_bytes: u64,
    /// Origins by the outcome of their last fetch.
    pub latest_by_outcome: std::collections::BTreeMap<String, u64>,
    /// Origins whose last fetch is older than the maximum age asked.
    pub stale: u64,
    /// The oldest and newest fetch times.
    pub oldest: Option<String>,
    /// See `oldest`.
    pub newest: Option<String>,
}

/// What [`Cache::plan`] found.
#[derive(Debug, Default)]
pub struct Plan {
    /// Origins to fetch, with validators where a body is stored.
    pub jobs: Vec<Job>,
    /// Origins with a fresh fetch, left alone.
    pub fresh: usize,
    /// Of those, origins whose fresh fetch found robots.txt unreachable.
    pub fresh_unreachable: usize,
}

/// How long a stored RSL document (`body`) stays fresh: its own `max-age`
/// (in days, 30 when absent or unreadable; RSL 1.0 §8.2 and its Feb 2026
/// erratum on revalidation), not robots.txt's 24 hours; a maximum age of
/// zero (`--max-age 0`, fetch everything again) still fetches it again.
fn rsl_fresh_for(body: Option<&[u8]>, schedule: freshness::Schedule) -> std::time::Duration {
    if schedule.max_age.is_zero() {
        return std::time::Duration::ZERO;
    }
    let days = body
        .and_then(|body| RslDocument::parse(body).ok())
        .map_or(30, |doc| doc.max_age_days);
    std::time::Duration::from_secs(u64::from(days) * 86_400)
}

/// An open cache database.
#[derive(Debug)]
pub struct Cache {
    conn: Connection,
    path: PathBuf,
}

impl Cache {
    /// Opens (creating if needed) the cache at `path`.
    ///
    /// # Errors
    ///
    /// When the file cannot be opened or created, is not a SQLite
    /// database, or holds another format.
    pub fn open(path: &Path) -> Result<Cache> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let conn = Connection::open(path).map_err(|e| Error::cache(path, e))?;
        let cache = Cache {
            conn,
            path: path.to_owned(),
        };
        cache.setup()?;
        Ok(cache)
    }

    fn err(&self, e: impl std::fmt::Display) -> Error {
        Error::cache(&self.path, e)
    }

    /// Another connection to the cache at `path`, read only, for a thread
    /// that loads policies beside the one that opened it with
    /// [`Cache::open`] (which set it up).
    ///
    /// # Errors
    ///
    /// When the file cannot be opened.
    pub(crate) fn open_again(path: &Path) -> Result<Cache> {
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| Error::cache(path, e))?;
        let cache = Cache {
            conn,
            path: path.to_owned(),
        };
        cache
            .conn
            .busy_timeout(Duration::from_secs(30))
            .map_err(|e| cache.err(e))?;
        // One read transaction for the connection's life: each lookup
        // would otherwise take and drop the file's lock, and threads
        // contend for it in the kernel.
        cache
            .conn
            .execute_batch("BEGIN")
            .map_err(|e| cache.err(e))?;
        Ok(cache)
    }

    /// The policy of `origin` at `at` with its files (when `files`), its
    /// robots.txt parsed through `parses`, which a run's loading threads
    /// share (each distinct body is read and parsed once); `None` when the
    /// origin was never fetched by then.
    ///
    /// # Errors
    ///
    /// When the database cannot be read or a body does not match its hash.
    pub(crate) fn policy_through(
        &self,
        origin: &str,
        at: Millis,
        files: bool,
        parses: &crate::policy::SharedParses,
        bodies: &mut FileBodies,
    ) -> Result<Option<OriginPolicy>> {
        let Some(effective) = self.effective(origin, at)? else {
            return Ok(None);
        };
        let used = &effective.used;
        let mut parsed = ParsedBodies::default();
        if let (Some(sha), Said::Body) = (&used.sha256, used.said()) {
            let prefix = used.truncated;
            // A body missing from the cache is held by nothing: the
            // policy then says so (unreachable), as a load on one thread.
            let robots = match parses.get(sha, prefix) {
                Some(robots) => Some(robots),
                None => match self.body(sha)? {
                    Some(body) => Some(parses.get_or_parse(sha, prefix, || {
                        Ok(if prefix {
                            crate::signals::robots::RobotsTxt::parse_prefix(&body)
                        } else {
                            crate::signals::robots::RobotsTxt::parse(&body)
                        })
                    })?),
                    None => None,
                },
            };
            if let Some(robots) = robots {
                parsed.hold(sha, prefix, robots);
            }
        }
        let mut policy = effective.to_shared_policy(None, &mut parsed);
        if files {
            policy.files = SiteFiles::shared(self.site_files(origin, at, bodies)?);
        }
        Ok(Some(policy))
    }

    fn setup(&self) -> Result<()> {
        let conn = &self.conn;
        conn.busy_timeout(Duration::from_secs(30))
            .map_err(|e| self.err(e))?;
        self.refuse_foreign()?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| self.err(format!("not a usable SQLite database: {e}")))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| self.err(e))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| self.err(e))?;
        conn.execute_batch(&format!("BEGIN; {SCHEMA} COMMIT;"))
            .map_err(|e| self.err(e))?;
        // Caches written before per-origin files were fetched have no
        // `file` column; every row they hold is a robots.txt fetch, which
        // is what the column's default says. Adding it loses nothing.
        let has_file: bool = conn
            .query_row(
                "SELECT COUNT(*) FROM pragma_table_info('fetches') WHERE name = 'file'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(|e| self.err(e))?;
        if !has_file {
            conn.execute_batch(
                "ALTER TABLE fetches ADD COLUMN file TEXT NOT NULL DEFAULT 'robots.txt';",
            )
            .map_err(|e| self.err(e))?;
        }
        conn.execute_batch(&format!("BEGIN; {SCHEMA_FILES} COMMIT;"))
            .map_err(|e| self.err(e))?;
        let format: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'format'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))?;
        match format.as_deref() {
            Some(FORMAT) => Ok(()),
            Some(other) => Err(self.err(format!(
                "format `{other}` is not `{FORMAT}`: use another --cache path"
            ))),
            None => {
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('format', ?1), ('created', ?2)",
                    params![FORMAT, time::format(time::now())],
                )
                .map_err(|e| self.err(e))?;
                Ok(())
            }
        }
    }

    /// Refuses, before anything is written, a database that holds
    /// anything but an optout cache: its journal mode, tables and views
    /// are someone else's.
    fn refuse_foreign(&self) -> Result<()> {
        let conn = &self.conn;
        let objects: i64 = conn
            .query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(|e| self.err(format!("not a usable SQLite database: {e}")))?;
        if objects == 0 {
            return Ok(());
        }
        let format: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'format'", [], |r| {
                r.get(0)
            })
            .optional()
            .unwrap_or(None);
        match format {
            Some(_) => Ok(()),
            None => Err(self.err(
                "a SQLite database that is not an optout cache (no `format` in a `meta` table): it is left untouched; use another --cache path",
            )),
        }
    }

    /// The database file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stores fetch records in one transaction. A `not-modified` record
    /// points at the body it confirmed.
    ///
    /// # Errors
    ///
    /// When the database cannot be written.
    pub fn insert(&mut self, records: &[Arc<FetchRecord>], source: &str) -> Result<()> {
        let stored: Vec<StoredFetch> = records.iter().map(|r| stored_of(r, source)).collect();
        let bodies: Vec<Option<&[u8]>> = records.iter().map(|r| r.body.as_deref()).collect();
        self.insert_rows(&stored, &bodies, false).map(drop)
    }

    /// Stores fetch rows that are not already stored (same origin, time,
    /// outcome and body), in one transaction: imports are idempotent.
    /// Returns how many were new.
    pub(crate) fn insert_new(
        &mut self,
        rows: &[StoredFetch],
        bodies: &[Option<&[u8]>],
    ) -> Result<u64> {
        self.insert_rows(rows, bodies, true)
    }

    fn insert_rows(
        &mut self,
        rows: &[StoredFetch],
        bodies: &[Option<&[u8]>],
        skip_known: bool,
    ) -> Result<u64> {
        let tx = self
            .conn
            .transaction()
            .map_err(|e| Error::cache(&self.path, e))?;
        let mut new = 0;
        {
            let this = Cache::borrowed(&tx, &self.path);
            for (row, body) in rows.iter().zip(bodies) {
                if skip_known && this.known(row)? {
                    continue;
                }
                this.insert_one(row, *body)?;
                new += 1;
            }
        }
        tx.commit().map_err(|e| Error::cache(&self.path, e))?;
        Ok(new)
    }

    fn borrowed<'a>(conn: &'a Connection, path: &'a Path) -> Borrowed<'a> {
        Borrowed { conn, path }
    }

    /// The last fetch of `origin` finished by `at`.
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn latest(&self, origin: &str, at: Millis) -> Result<Option<StoredFetch>> {
        Cache::borrowed(&self.conn, &self.path).latest(origin, SiteFile::Robots, at, false)
    }

    /// The copy that decides for `origin` at `at` (see [`freshness`]).
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn effective(&self, origin: &str, at: Millis) -> Result<Option<Effective>> {
        self.effective_file(origin, SiteFile::Robots, at)
    }

    /// The copy of one of `origin`'s files that decides at `at`, with the
    /// same rules as robots.txt.
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn effective_file(
        &self,
        origin: &str,
        file: SiteFile,
        at: Millis,
    ) -> Result<Option<Effective>> {
        let this = Cache::borrowed(&self.conn, &self.path);
        let Some(latest) = this.latest(origin, file, at, false)? else {
            return Ok(None);
        };
        if latest.said() != Said::Unreachable {
            return Ok(Some(Effective {
                used: latest,
                failed: None,
            }));
        }
        let good = this.latest(origin, file, at, true)?;
        let choice = freshness::choose(
            Said::Unreachable,
            good.as_ref().map(|g| g.fetched_at),
            at,
            freshness::FALLBACK_WINDOW,
        );
        Ok(Some(match (choice, good) {
            (Choice::Fallback, Some(good)) => Effective {
                used: good,
                failed: Some(latest),
            },
            _ => Effective {
                used: latest,
                failed: None,
            },
        }))
    }

    /// A stored body, checked against its SHA-256: a body changed in the
    /// database would otherwise decide in place of what was fetched.
    ///
    /// # Errors
    ///
    /// When the database cannot be read, or the body does not match its
    /// hash.
    pub fn body(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        let body: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT body FROM bodies WHERE sha256 = ?1", [sha256], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))?;
        if let Some(body) = &body {
            let actual = crate::digest::sha256_hex(body);
            if !actual.eq_ignore_ascii_case(sha256) {
                return Err(self.err(format!(
                    "the stored body {sha256} has SHA-256 {actual}: the cache was changed outside optout; nothing is decided from it (fetch again into a new --cache)"
                )));
            }
        }
        Ok(body)
    }

    /// The policy of `origin` at `at`, if it was ever fetched by then.
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn policy(&self, origin: &str, at: Millis) -> Result<Option<OriginPolicy>> {
        self.shared_policy(origin, at, &mut ParsedBodies::default())
    }

    fn shared_policy(
        &self,
        origin: &str,
        at: Millis,
        parsed: &mut ParsedBodies,
    ) -> Result<Option<OriginPolicy>> {
        let Some(effective) = self.effective(origin, at)? else {
            return Ok(None);
        };
        // A body parsed before (most origins share a few bodies) is not
        // read again.
        let used = &effective.used;
        let body = match &used.sha256 {
            Some(sha) if parsed.get(sha, used.truncated).is_none() => self.body(sha)?,
            _ => None,
        };
        Ok(Some(effective.to_shared_policy(body.as_deref(), parsed)))
    }

    /// Every cached origin, sorted.
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn origins(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT origin FROM origins ORDER BY origin")
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))
    }

    /// `origins`, or else every cached origin.
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn these_or_all<'a>(
        &self,
        origins: Option<&'a [String]>,
    ) -> Result<std::borrow::Cow<'a, [String]>> {
        Ok(match origins {
            Some(list) => std::borrow::Cow::Borrowed(list),
            None => std::borrow::Cow::Owned(self.origins()?),
        })
    }

    /// The policies of `origins` (or of every cached origin) at `at`.
    /// Origins never fetched by then are left out: they are missing.
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn policies(&self, origins: Option<&[String]>, at: Millis) -> Result<PolicySet> {
        let origins = self.these_or_all(origins)?;
        let origins = &*origins;
        let mut set = PolicySet::new();
        let mut parsed = ParsedBodies::default();
        // Most caches hold robots.txt only: then no origin is asked for
        // files it cannot have.
        let files = self.has_files()?;
        let mut bodies = FileBodies::default();
        for origin in origins {
            if let Some(mut policy) = self.shared_policy(origin, at, &mut parsed)? {
                if files {
                    policy.files = SiteFiles::shared(self.site_files(origin, at, &mut bodies)?);
                }
                set.insert(policy);
            }
        }
        Ok(set)
    }

    /// [`Cache::policies`] at `now`, and with them every policy each origin
    /// had up to `now`, each with the time it came into force: what
    /// decisions at each record's own crawl time read (`--as-of crawl`).
    ///
    /// A policy changes when a fetch of any of the origin's files is
    /// stored, and when a fallback to the last good copy runs out (30 days
    /// after it was fetched). Fetches that change nothing (a 304, the same
    /// body again) make no new policy: the policy keeps the time it first
    /// came into force.
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn policies_with_history(
        &self,
        origins: Option<&[String]>,
        now: Millis,
    ) -> Result<PolicySet> {
        let origins = self.these_or_all(origins)?;
        let origins = &*origins;
        let mut set = self.policies(Some(origins), now)?;
        let mut parsed = ParsedBodies::default();
        let mut bodies = FileBodies::default();
        for origin in origins {
            let mut versions = Vec::new();
            for (from, effectives) in self.versions(origin, now)? {
                versions.push((from, self.policy_of(&effectives, &mut parsed, &mut bodies)?));
            }
            if !versions.is_empty() {
                set.insert_history(origin, versions);
            }
        }
        Ok(set)
    }

    /// Every policy `origin` had up to `now`, as the deciding copy of each
    /// of its files (robots.txt first), with the time it came into force:
    /// see [`Cache::policies_with_history`].
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn versions(&self, origin: &str, now: Millis) -> Result<Vec<(Millis, Vec<Effective>)>> {
        let mut versions = Vec::new();
        let mut last = None;
        for point in self.change_points(origin, now)? {
            let mut effectives = Vec::new();
            for file in [
                SiteFile::Robots,
                SiteFile::TdmRep,
                SiteFile::AiTxt,
                SiteFile::Rsl,
            ] {
                if let Some(effective) = self.effective_file(origin, file, point)? {
                    effectives.push(effective);
                }
            }
            // Only what may change a decision counts: what each copy said,
            // its body, and whether it is a fallback.
            let print: Vec<_> = effectives
                .iter()
                .map(|e| {
                    (
                        e.used.file,
                        e.used.said(),
                        e.used.sha256.clone(),
                        e.failed.is_some(),
                    )
                })
                .collect();
            if last.as_ref() == Some(&print) {
                continue;
            }
            last = Some(print);
            if effectives
                .first()
                .is_some_and(|e| e.used.file == SiteFile::Robots)
            {
                versions.push((point, effectives));
            }
        }
        Ok(versions)
    }

    /// The policy the deciding copies `effectives` make (robots.txt first).
    fn policy_of(
        &self,
        effectives: &[Effective],
        parsed: &mut ParsedBodies,
        bodies: &mut FileBodies,
    ) -> Result<OriginPolicy> {
        let (robots, files) = effectives.split_first().expect("robots.txt first");
        let body = match &robots.used.sha256 {
            Some(sha) if parsed.get(sha, robots.used.truncated).is_none() => self.body(sha)?,
            _ => None,
        };
        let mut policy = robots.to_shared_policy(body.as_deref(), parsed);
        for effective in files {
            let body = match effective.used.file {
                SiteFile::AiTxt => self.file_body(effective, &bodies.ai_txt)?,
                SiteFile::Rsl => self.file_body(effective, &bodies.rsl)?,
                _ => self.file_body(effective, &bodies.tdmrep)?,
            };
            bodies.attach(Arc::make_mut(&mut policy.files), effective, body.as_deref());
        }
        Ok(policy)
    }

    /// The times at which `origin`'s policy may have changed, up to `now`,
    /// in order.
    fn change_points(&self, origin: &str, now: Millis) -> Result<Vec<Millis>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT f.fetched_at, f.body_sha256 IS NOT NULL AND f.outcome IN ('ok', 'not-modified') \
                 FROM fetches f JOIN origins o ON o.id = f.origin_id \
                 WHERE o.origin = ?1 AND f.fetched_at <= ?2",
            )
            .map_err(|e| self.err(e))?;
        let window = i64::try_from(freshness::FALLBACK_WINDOW.as_millis()).unwrap_or(i64::MAX);
        let mut points = Vec::new();
        let rows = stmt
            .query_map(params![origin, now], |r| {
                Ok((r.get::<_, Millis>(0)?, r.get::<_, bool>(1)?))
            })
            .map_err(|e| self.err(e))?;
        for row in rows {
            let (at, good) = row.map_err(|e| self.err(e))?;
            points.push(at);
            let ends = at.saturating_add(window);
            if good && ends <= now {
                points.push(ends);
            }
        }
        points.sort_unstable();
        points.dedup();
        Ok(points)
    }

    /// Whether any fetch of a file other than robots.txt is stored.
    pub(crate) fn has_files(&self) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM fetches WHERE file != 'robots.txt')",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// What `origin`'s tdmrep.json and ai.txt say at `at`.
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn files_of(&self, origin: &str, at: Millis) -> Result<SiteFiles> {
        self.site_files(origin, at, &mut FileBodies::default())
    }

    fn site_files(&self, origin: &str, at: Millis, bodies: &mut FileBodies) -> Result<SiteFiles> {
        let mut files = SiteFiles::default();
        for file in [SiteFile::TdmRep, SiteFile::AiTxt, SiteFile::Rsl] {
            if let Some(effective) = self.effective_file(origin, file, at)? {
                let body = match file {
                    SiteFile::AiTxt => self.file_body(&effective, &bodies.ai_txt)?,
                    SiteFile::Rsl => self.file_body(&effective, &bodies.rsl)?,
                    _ => self.file_body(&effective, &bodies.tdmrep)?,
                };
                bodies.attach(&mut files, &effective, body.as_deref());
            }
        }
        Ok(files)
    }

    /// The body of `effective`, unless a parse of it is at hand.
    fn file_body<T>(
        &self,
        effective: &Effective,
        parsed: &HashMap<String, Arc<T>>,
    ) -> Result<Option<Vec<u8>>> {
        match &effective.used.sha256 {
            Some(sha) if !parsed.contains_key(sha) => self.body(sha),
            _ => Ok(None),
        }
    }

    /// Which of `origins` need a fetch at `now` under `schedule`, with the
    /// validators of their stored bodies.
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn plan(
        &self,
        origins: &[Origin],
        files: &[SiteFile],
        now: Millis,
        schedule: freshness::Schedule,
    ) -> Result<Plan> {
        let this = Cache::borrowed(&self.conn, &self.path);
        let mut plan = Plan::default();
        for origin in origins {
            let key = origin.to_string();
            let mut job = Job {
                origin: origin.clone(),
                files: Vec::new(),
                license: None,
            };
            if files.contains(&SiteFile::Rsl) {
                job.license = self.stored_license(&key)?;
            }
            // An origin whose robots.txt is unreachable is not asked for
            // anything else (see `Fetcher::fetch_job`).
            let mut robots_unreachable = false;
            for &file in files {
                if robots_unreachable {
                    break;
                }
                let last = this.latest(&key, file, Millis::MAX, false)?;
                let fresh = match &last {
                    None => false,
                    Some(l) => {
                        let said = l.said();
                        let streak = if said == Said::Unreachable {
                            this.unreachable_streak(&key, file)?
                        } else {
                            0
                        };
                        let age = if file == SiteFile::Rsl && said == Said::Body {
                            let body = match &l.sha256 {
                                Some(sha) => self.body(sha)?,
                                None => None,
                            };
                            rsl_fresh_for(body.as_deref(), schedule)
                        } else {
                            freshness::fresh_for(
                                said,
                                streak,
                                l.retry_after.as_deref(),
                                l.fetched_at,
                                schedule.max_age,
                                schedule.unreachable_retry,
                            )
                        };
                        !freshness::needs_fetch(Some(l.fetched_at), now, age)
                    }
                };
                if file == SiteFile::Robots {
                    robots_unreachable =
                        fresh && last.as_ref().is_some_and(|l| l.said() == Said::Unreachable);
                }
                // A License line that now names another document makes
                // the stored one stale (SIGNALS.md §8.3 case 7).
                let moved = file == SiteFile::Rsl
                    && last
                        .as_ref()
                        .is_some_and(|l| Some(&l.url) != job.license.as_ref());
                if !moved && fresh {
                    if file == SiteFile::Robots {
                        plan.fresh += 1;
                        plan.fresh_unreachable += usize::from(robots_unreachable);
                    }
                    continue;
                }
                let good = match last {
                    Some(last) if last.said() == Said::Body => Some(last),
                    Some(_) => this.latest(&key, file, Millis::MAX, true)?,
                    None => None,
                };
                let validators = good.map_or_else(Validators::default, |g| Validators {
                    etag: g.etag,
                    last_modified: g.last_modified,
                });
                job.files.push((file, validators));
            }
            // Without a License line known or about to be read, there is
            // no RSL document to ask for.
            let robots_planned = job.files.iter().any(|(f, _)| *f == SiteFile::Robots);
            if job.license.is_none() && !robots_planned {
                job.files.retain(|(f, _)| *f != SiteFile::Rsl);
            }
            if !job.files.is_empty() {
                plan.jobs.push(job);
            }
        }
        Ok(plan)
    }

    /// The RSL document URL of `origin`'s stored robots.txt.
    fn stored_license(&self, origin: &str) -> Result<Option<String>> {
        let Some(effective) = self.effective(origin, Millis::MAX)? else {
            return Ok(None);
        };
        let Some(body) = effective
            .used
            .sha256
            .as_deref()
            .map(|sha| self.body(sha))
            .transpose()?
            .flatten()
        else {
            return Ok(None);
        };
        Ok(crate::signals::robots::RobotsTxt::parse(&body)
            .origin_license(&effective.used.url)
            .map(|(url, _)| url))
    }

    /// Every fetch of `origin`, oldest first.
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn history(&self, origin: &str) -> Result<Vec<StoredFetch>> {
        let sql = format!(
            "SELECT {FETCH_COLUMNS} FROM fetches f JOIN origins o ON o.id = f.origin_id \
             WHERE o.origin = ?1 ORDER BY f.fetched_at, f.id"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([origin], StoredFetch::from_row)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))
    }

    /// Counts over the cache; `stale` counts origins whose last fetch is
    /// older than `max_age` at `now`.
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn stats(&self, now: Millis, max_age: Duration) -> Result<CacheStats> {
        let count = |sql: &str| -> Result<u64> {
            self.conn
                .query_row(sql, [], |r| r.get::<_, Option<i64>>(0))
                .map(|n| n.unwrap_or(0).max(0) as u64)
                .map_err(|e| self.err(e))
        };
        let mut stats = CacheStats {
            path: self.path.display().to_string(),
            origins: count("SELECT COUNT(*) FROM origins")?,
            fetches: count("SELECT COUNT(*) FROM fetches")?,
            bodies: count("SELECT COUNT(*) FROM bodies")?,
            body_bytes: count("SELECT SUM(size) FROM bodies")?,
            ..CacheStats::default()
        };
        let file = |suffix: &str| {
            let mut name = self.path.clone().into_os_string();
            name.push(suffix);
            std::fs::metadata(name).map_or(0, |m| m.len())
        };
        stats.file_bytes = file("") + file("-wal");
        let mut stmt = self
            .conn
            .prepare(
                "SELECT f.outcome, f.fetched_at FROM origins o JOIN fetches f ON f.id = (
                    SELECT id FROM fetches WHERE origin_id = o.id AND file = 'robots.txt'
                    ORDER BY fetched_at DESC, id DESC LIMIT 1)",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let outcome: String = row.get(0).map_err(|e| self.err(e))?;
            let at: Millis = row.get(1).map_err(|e| self.err(e))?;
            *stats.latest_by_outcome.entry(outcome).or_default() += 1;
            stats.stale += u64::from(freshness::needs_fetch(Some(at), now, max_age));
        }
        let (oldest, newest): (Option<Millis>, Option<Millis>) = self
            .conn
            .query_row(
                "SELECT MIN(fetched_at), MAX(fetched_at) FROM fetches",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.err(e))?;
        stats.oldest = oldest.map(time::format);
        stats.newest = newest.map(time::format);
        Ok(stats)
    }
}

/// Queries that run on the connection or inside a transaction.
struct Borrowed<'a> {
    conn: &'a Connection,
    path: &'a Path,
}

impl Borrowed<'_> {
    fn err(&self, e: impl std::fmt::Display) -> Error {
        Error::cache(self.path, e)
    }

    /// The last fetch of `origin`'s `file` by `at`; with `good`, the last
    /// one with a body.
    /// How many of `origin`'s last fetches of `file` in a row found it
    /// unreachable (counted up to 8: the schedule is at its ceiling long
    /// before).
    fn unreachable_streak(&self, origin: &str, file: SiteFile) -> Result<u32> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT f.outcome, f.body_sha256 IS NOT NULL FROM fetches f \
                 JOIN origins o ON o.id = f.origin_id \
                 WHERE o.origin = ?1 AND f.file = ?2 \
                 ORDER BY f.fetched_at DESC, f.id DESC LIMIT 8",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![origin, file.name()], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, bool>(1)?))
            })
            .map_err(|e| self.err(e))?;
        let mut streak = 0;
        for row in rows {
            let (outcome, body) = row.map_err(|e| self.err(e))?;
            let reached = match Outcome::from_code(&outcome) {
                Some(Outcome::Ok | Outcome::NotModified) => body,
                Some(Outcome::Unavailable) => true,
                _ => false,
            };
            if reached {
                break;
            }
            streak += 1;
        }
        Ok(streak)
    }

    fn latest(
        &self,
        origin: &str,
        file: SiteFile,
        at: Millis,
        good: bool,
    ) -> Result<Option<StoredFetch>> {
        let filter = if good {
            "AND f.body_sha256 IS NOT NULL AND f.outcome IN ('ok', 'not-modified')"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {FETCH_COLUMNS} FROM fetches f JOIN origins o ON o.id = f.origin_id \
             WHERE o.origin = ?1 AND f.file = ?3 AND f.fetched_at <= ?2 {filter} \
             ORDER BY f.fetched_at DESC, f.id DESC LIMIT 1"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        stmt.query_row(params![origin, at, file.name()], StoredFetch::from_row)
            .optional()
            .map_err(|e| self.err(e))
    }

    fn known(&self, row: &StoredFetch) -> Result<bool> {
        self.conn
            .prepare_cached(
                "SELECT 1 FROM fetches f JOIN origins o ON o.id = f.origin_id \
                 WHERE o.origin = ?1 AND f.fetched_at = ?2 AND f.outcome = ?3 \
                 AND f.body_sha256 IS ?4 AND f.file = ?5",
            )
            .and_then(|mut stmt| {
                stmt.exists(params![
                    row.origin,
                    row.fetched_at,
                    row.outcome.code(),
                    row.sha256,
                    row.file.name()
                ])
            })
            .map_err(|e| self.err(e))
    }

    fn insert_one(&self, row: &StoredFetch, body: Option<&[u8]>) -> Result<()> {
        // Statements are prepared once per connection: the writer stores
        // thousands of records a second.
        self.conn
            .prepare_cached(
                "INSERT INTO origins (origin) VALUES (?1) ON CONFLICT (origin) DO NOTHING",
            )
            .and_then(|mut stmt| stmt.execute([&row.origin]))
            .map_err(|e| self.err(e))?;
        let origin_id: i64 = self
            .conn
            .prepare_cached("SELECT id FROM origins WHERE origin = ?1")
            .and_then(|mut stmt| stmt.query_row([&row.origin], |r| r.get(0)))
            .map_err(|e| self.err(e))?;
        let mut row = row.clone();
        if row.outcome == Outcome::NotModified && row.sha256.is_none() {
            // A 304 confirms the stored copy: point at its body, and keep
            // its validators and flags when the 304 did not repeat them.
            if let Some(good) = self.latest(&row.origin, row.file, Millis::MAX, true)? {
                row.sha256 = good.sha256;
                row.body_size = good.body_size;
                row.truncated = good.truncated;
                row.html = good.html;
                row.etag = row.etag.or(good.etag);
                row.last_modified = row.last_modified.or(good.last_modified);
                row.content_type = row.content_type.or(good.content_type);
            }
        }
        if let (Some(sha), Some(body)) = (&row.sha256, body) {
            self.conn
                .prepare_cached(
                    "INSERT INTO bodies (sha256, size, body) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (sha256) DO NOTHING",
                )
                .and_then(|mut stmt| stmt.execute(params![sha, body.len() as i64, body]))
                .map_err(|e| self.err(e))?;
        }
        let redirects = serde_json::to_string(&row.redirects).expect("hops serialise");
        let earlier = serde_json::to_string(&row.earlier).expect("attempts serialise");
        self.conn
            .prepare_cached(
                "INSERT INTO fetches (origin_id, started_at, fetched_at, url, final_url, redirects, \
                 status, outcome, class, detail, attempts, etag, last_modified, content_type, \
                 content_encoding, retry_after, body_sha256, body_size, truncated, html, source, \
                 earlier, file) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, \
                 ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    origin_id,
                    row.started_at,
                    row.fetched_at,
                    row.url,
                    row.final_url,
                    redirects,
                    row.status,
                    row.outcome.code(),
                    row.outcome.class(),
                    row.detail,
                    row.attempts,
                    row.etag,
                    row.last_modified,
                    row.content_type,
                    row.content_encoding,
                    row.retry_after,
                    row.sha256,
                    row.body_size.map(|n| n as i64),
                    row.truncated,
                    row.html,
                    row.source,
                    earlier,
                    row.file.name(),
                ])
            })
            .map_err(|e| self.err(e))?;
        Ok(())
    }
}

fn stored_of(r: &FetchRecord, source: &str) -> StoredFetch {
    StoredFetch {
        id: 0,
        origin: r.origin.to_string(),
        file: r.file,
        started_at: r.started_at,
        fetched_at: r.finished_at,
        url: r.url.clone(),
        final_url: r.final_url.clone(),
        redirects: r.redirects.clone(),
        status: r.status,
        outcome: r.outcome,
        detail: r.detail.clone(),
        attempts: r.attempts,
        earlier: r.earlier.clone(),
        etag: r.etag.clone(),
        last_modified: r.last_modified.clone(),
        content_type: r.content_type.clone(),
        content_encoding: r.content_encoding.clone(),
        retry_after: r.retry_after.clone(),
        sha256: r.sha256.clone(),
        body_size: r.body.as_ref().map(|b| b.len() as u64),
        truncated: r.truncated,
        html: r.html,
        source: source.to_owned(),
    }
}

/// Starts the writer thread: records sent into the returned channel are
/// committed in batches of what has arrived (at most 512), and
/// `on_commit` is called for each once it is durable. The thread ends when
/// every sender is dropped, returning the cache, or at the first write
/// error, which closes the channel.
pub fn spawn_writer<F>(
    mut cache: Cache,
    source: String,
    mut on_commit: F,
) -> (
    tokio::sync::mpsc::Sender<Arc<FetchRecord>>,
    std::thread::JoinHandle<Result<Cache>>,
)
where
    F: FnMut(&FetchRecord) + Send + 'static,
{
    const BATCH: usize = 512;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Arc<FetchRecord>>(BATCH * 2);
    let handle = std::thread::Builder::new()
        .name("optout-cache-writer".into())
        .spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            while let Some(first) = rx.blocking_recv() {
                batch.push(first);
                while batch.len() < BATCH {
                    match rx.try_recv() {
                        Ok(record) => batch.push(record),
                        Err(_) => break,
                    }
                }
                cache.insert(&batch, &source)?;
                for record in batch.drain(..) {
                    on_commit(&record);
                }
            }
            Ok(cache)
        })
        .expect("spawning the cache writer");
    (tx, handle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::Unreachable;

    fn record(origin: &str, at: Millis, outcome: Outcome, body: Option<&[u8]>) -> Arc<FetchRecord> {
        let origin = Origin::parse_key(origin).unwrap();
        let mut r = FetchRecord::new(&origin, SiteFile::Robots, at);
        r.finished_at = at;
        r.outcome = outcome;
        r.status = Some(match outcome {
            Outcome::Ok => 200,
            Outcome::NotModified => 304,
            Outcome::Unavailable => 404,
            Outcome::Unreachable(_) => 503,
        });
        r.attempts = 1;
        if let Some(body) = body {
            r.sha256 = Some(crate::digest::sha256_hex(body));
            r.body = Some(body.to_vec());
            r.etag = Some("\"v1\"".into());
        }
        Arc::new(r)
    }

    const D: Millis = 86_400_000;
    const DOWN: Outcome = Outcome::Unreachable(Unreachable::ServerError);

    #[test]
    fn history_fallback_and_as_of() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = Cache::open(&dir.path().join("c.sqlite")).unwrap();
        let a = "https://a.test";
        let v1 = b"User-agent: *\nDisallow: /v1\n";
        let v2 = b"User-agent: *\nDisallow: /v2\n";
        cache
            .insert(
                &[
                    record(a, 10 * D, Outcome::Ok, Some(v1)),
                    record(a, 20 * D, Outcome::Ok, Some(v2)),
                    record(a, 21 * D, Outcome::NotModified, None),
                    record(a, 30 * D, DOWN, None),
                ],
                "fetch",
            )
            .unwrap();
        let sha = |b: &[u8]| crate::digest::sha256_hex(b);
        // As of day 15, version 1 was current.
        assert_eq!(cache.policy(a, 15 * D).unwrap().unwrap().sha256, sha(v1));
        // Day 21: the 304 confirmed version 2.
        let at21 = cache.effective(a, 21 * D).unwrap().unwrap();
        assert_eq!(at21.used.outcome, Outcome::NotModified);
        assert_eq!(at21.used.sha256.as_deref(), Some(sha(v2).as_str()));
        // Day 30: unreachable, but the copy of day 21 is young enough.
        let p30 = cache.policy(a, 30 * D).unwrap().unwrap();
        assert!(matches!(p30.access, Access::Rules(_)));
        assert!(p30.note.contains("last good copy"), "{}", p30.note);
        // Day 52: more than 30 days after the last good copy: unreachable.
        let p52 = cache.policy(a, 52 * D).unwrap().unwrap();
        assert!(matches!(p52.access, Access::Unreachable { .. }));
        // Before the first fetch: nothing.
        assert!(cache.policy(a, 5 * D).unwrap().is_none());
        // Bodies are stored once each; the history view lists both.
        let stats = cache.stats(52 * D, freshness::MAX_AGE).unwrap();
        assert_eq!((stats.origins, stats.fetches, stats.bodies), (1, 4, 2));
        let history: i64 = cache
            .conn
            .query_row("SELECT COUNT(*) FROM history", [], |r| r.get(0))
            .unwrap();
        assert_eq!(history, 2);
    }

    #[test]
    fn plan_skips_fresh_and_sends_validators() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = Cache::open(&dir.path().join("c.sqlite")).unwrap();
        cache
            .insert(
                &[
                    record("https://a.test", 10 * D, Outcome::Ok, Some(b"x")),
                    record("https://b.test", 10 * D, DOWN, None),
                ],
                "fetch",
            )
            .unwrap();
        let origins: Vec<Origin> = ["https://a.test", "https://b.test", "https://c.test"]
            .iter()
            .map(|o| Origin::parse_key(o).unwrap())
            .collect();
        let robots = [SiteFile::Robots];
        let plan = cache
            .plan(
                &origins,
                &robots,
                10 * D + 1000,
                freshness::Schedule::new(freshness::MAX_AGE),
            )
            .unwrap();
        assert_eq!((plan.fresh, plan.jobs.len()), (2, 1));
        let plan = cache
            .plan(
                &origins,
                &robots,
                12 * D,
                freshness::Schedule::new(freshness::MAX_AGE),
            )
            .unwrap();
        assert_eq!(plan.jobs.len(), 3);
        assert_eq!(plan.jobs[0].files[0].1.etag.as_deref(), Some("\"v1\""));
        assert!(plan.jobs[1].files[0].1.is_empty());
        // Files never fetched are planned even for an origin whose
        // robots.txt is fresh, unless that robots.txt is unreachable (b).
        let all = [SiteFile::Robots, SiteFile::TdmRep, SiteFile::AiTxt];
        let plan = cache
            .plan(
                &origins,
                &all,
                10 * D + 1000,
                freshness::Schedule::new(freshness::MAX_AGE),
            )
            .unwrap();
        assert_eq!((plan.fresh, plan.jobs.len()), (2, 2));
        assert_eq!(plan.jobs[1].origin.to_string(), "https://c.test");
        assert_eq!(
            plan.jobs[0].files.iter().map(|f| f.0).collect::<Vec<_>>(),
            [SiteFile::TdmRep, SiteFile::AiTxt]
        );
    }

    #[test]
    fn an_rsl_document_is_fresh_for_its_own_max_age() {
        let day = std::time::Duration::from_secs(86_400);
        let schedule = freshness::Schedule::new(freshness::MAX_AGE);
        let two = br#"<rsl xmlns="https://rslstandard.org/rsl" max-age="2"><content url="/"><license/></content></rsl>"#;
        let plain = br#"<rsl xmlns="https://rslstandard.org/rsl"><content url="/"><license/></content></rsl>"#;
        assert_eq!(rsl_fresh_for(Some(two), schedule), 2 * day);
        assert_eq!(
            rsl_fresh_for(Some(plain), schedule),
            30 * day,
            "§8.3 case 7"
        );
        assert_eq!(rsl_fresh_for(Some(b"not xml"), schedule), 30 * day);
        let again = freshness::Schedule::new(std::time::Duration::ZERO);
        assert_eq!(rsl_fresh_for(Some(two), again), std::time::Duration::ZERO);
    }

    #[test]
    fn unreachable_is_planned_again_on_its_own_schedule() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = Cache::open(&dir.path().join("c.sqlite")).unwrap();
        let origins = [Origin::parse_key("https://b.test").unwrap()];
        let robots = [SiteFile::Robots];
        let schedule = freshness::Schedule::new(freshness::MAX_AGE);
        let min: Millis = 60_000;
        let due = |cache: &Cache, at: Millis| {
            cache
                .plan(&origins, &robots, at, schedule)
                .unwrap()
                .jobs
                .len()
                == 1
        };
        cache
            .insert(
                &[record("https://b.test", 10 * D, Outcome::Ok, Some(b"x"))],
                "fetch",
            )
            .unwrap();
        let t1 = 11 * D;
        cache
            .insert(&[record("https://b.test", t1, DOWN, None)], "fetch")
            .unwrap();
        assert!(!due(&cache, t1 + 4 * min), "first failure: fresh for 5 min");
        assert!(due(&cache, t1 + 5 * min));
        let t2 = t1 + 5 * min;
        cache
            .insert(&[record("https://b.test", t2, DOWN, None)], "fetch")
            .unwrap();
        assert!(!due(&cache, t2 + 19 * min), "second in a row: 20 min");
        assert!(due(&cache, t2 + 20 * min));
        let t3 = t2 + 20 * min;
        let mut asked = (*record("https://b.test", t3, DOWN, None)).clone();
        asked.retry_after = Some("7200".into());
        cache.insert(&[Arc::new(asked)], "fetch").unwrap();
        assert!(
            !due(&cache, t3 + 119 * min),
            "the server's Retry-After outlasts the 80 min backoff"
        );
        assert!(due(&cache, t3 + 120 * min));
        let now = freshness::Schedule {
            unreachable_retry: std::time::Duration::ZERO,
            ..schedule
        };
        assert_eq!(
            cache
                .plan(&origins, &robots, t3 + min, now)
                .unwrap()
                .jobs
                .len(),
            0,
            "Retry-After holds even with a zero base"
        );
        // A good answer ends the streak: the next failure is fresh for
        // 5 min again.
        let t4 = t3 + 3 * 60 * min;
        cache
            .insert(
                &[record("https://b.test", t4, Outcome::Ok, Some(b"x"))],
                "fetch",
            )
            .unwrap();
        cache
            .insert(&[record("https://b.test", t4 + min, DOWN, None)], "fetch")
            .unwrap();
        assert!(due(&cache, t4 + 6 * min));
    }

    #[test]
    fn other_formats_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.sqlite");
        drop(Cache::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE meta SET value = 'optout-cache-v0' WHERE key = 'format'",
            [],
        )
        .unwrap();
        drop(conn);
        let err = Cache::open(&path).unwrap_err().to_string();
        assert!(err.contains("optout-cache-v0"), "{err}");
        std::fs::write(
            dir.path().join("junk"),
            b"not a database at all, not at all",
        )
        .unwrap();
        assert!(Cache::open(&dir.path().join("junk")).is_err());
    }
}
