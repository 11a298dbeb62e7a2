//! `optout cache`: look into the policy cache, and move it between
//! machines as a portable snapshot.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::cache::{Cache, snapshot};
use crate::cli::fetch::CacheArg;
use crate::cli::say;
use crate::cli::status::{ExitStatus, One, failed};
use crate::error::{Error, Result};
use crate::origin::{Origin, UrlParser};
use crate::output::Destination;
use crate::time;

#[derive(Debug, Args)]
pub(crate) struct CacheArgs {
    #[command(subcommand)]
    command: CacheCommand,
}

#[derive(Debug, Subcommand)]
enum CacheCommand {
    /// Counts: origins, fetches, bodies, size, last outcomes, stale origins.
    Stats {
        #[command(flatten)]
        cache: CacheArg,
        /// Origins whose last fetch is older than this count as stale.
        #[arg(long, default_value = "24h", value_name = "DURATION")]
        max_age: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One origin: the policy in force and every fetch, oldest first.
    Show {
        /// The origin (`https://example.com`), any URL of it, or a bare
        /// host (its https origin, else its http one).
        origin: String,
        #[command(flatten)]
        cache: CacheArg,
        /// Show the policy in force at this time (`YYYY-MM-DD` or RFC 3339).
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Print the body of the robots.txt in force instead, as stored.
        #[arg(long, conflicts_with = "json")]
        body: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the policy of every origin (body and hash included) to a
    /// portable snapshot file, for `filter --snapshot` or `cache import`
    /// on another machine.
    Export {
        /// The snapshot file (`-` for standard output).
        file: PathBuf,
        #[command(flatten)]
        cache: CacheArg,
        /// Export the policies in force at this time.
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Also export every earlier policy of each origin, with the time
        /// it came into force: what `filter --as-of crawl --snapshot`
        /// needs.
        #[arg(long)]
        history: bool,
        /// Write an indexed snapshot (SQLite, keyed by host, each distinct
        /// body once): opened without reading it all, for millions of
        /// origins. `-` is not allowed.
        #[arg(long)]
        indexed: bool,
        /// Split the indexed snapshot into N files by host hash
        /// (`FILE-00000-of-0000N.ext`), one per worker of a distributed job.
        #[arg(long, value_name = "N", requires = "indexed")]
        shards: Option<u32>,
    },
    /// Convert a snapshot between its two forms: JSON Lines to indexed
    /// (`--indexed`, optionally `--shards N`), indexed to JSON Lines, or an
    /// indexed snapshot to N shards.
    Convert {
        /// The snapshot to read (either form).
        input: PathBuf,
        /// The snapshot to write (a new file; `-` for JSON Lines on
        /// standard output).
        output: PathBuf,
        /// Write an indexed snapshot.
        #[arg(long)]
        indexed: bool,
        /// Split the indexed snapshot into N files by host hash.
        #[arg(long, value_name = "N", requires = "indexed")]
        shards: Option<u32>,
    },
    /// Describe a snapshot: its form, time, counts and, for an indexed
    /// one, its export id and shard.
    Info {
        /// The snapshot (either form).
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add the fetches of a snapshot to the cache (idempotent).
    Import {
        /// The snapshot file (plain, `.gz` or `.zst`).
        file: PathBuf,
        #[command(flatten)]
        cache: CacheArg,
    },
}

pub(crate) fn run(args: CacheArgs) -> ExitStatus {
    match command(args.command) {
        Ok(status) => status,
        Err(err) => failed(&err, One::UserError),
    }
}

fn open_existing(cache: &CacheArg) -> Result<Cache> {
    let path = cache.path()?;
    if !path.exists() {
        return Err(Error::config(format!(
            "no cache at `{}`: run `optout fetch` first, or pass --cache FILE",
            path.display()
        )));
    }
    Cache::open(&path)
}

fn at(as_of: Option<&str>) -> Result<time::Millis> {
    as_of.map_or_else(|| Ok(time::now()), time::parse)
}

fn origin_of(text: &str) -> Result<String> {
    if let Some(origin) = Origin::parse_key(text) {
        return Ok(origin.to_string());
    }
    let mut parser = UrlParser::new();
    match parser.parse(text.trim()) {
        Ok(url) => Ok(Origin::of(&url).to_string()),
        Err(e) => Err(Error::config(format!(
            "`{text}` is not a host, origin or URL: {e}"
        ))),
    }
}

/// The origins `text` may name: the one of an origin or URL; for a bare
/// host (`example.com`), its `https` origin, then its `http` one.
fn origins_of(text: &str) -> Result<Vec<String>> {
    let text = text.trim();
    if !text.contains("://") && !text.contains('/') {
        let https = origin_of(&format!("https://{text}"));
        if let Ok(https) = https {
            let http = origin_of(&format!("http://{text}"))?;
            return Ok(vec![https, http]);
        }
    }
    Ok(vec![origin_of(text)?])
}

#[derive(Serialize)]
struct Shown<'a> {
    origin: &'a str,
    as_of: String,
    policy: Option<&'a crate::cache::Effective>,
    fetches: &'a [crate::cache::StoredFetch],
}

fn command(command: CacheCommand) -> Result<ExitStatus> {
    match command {
        CacheCommand::Stats {
            cache,
            max_age,
            json,
        } => {
            let cache = open_existing(&cache)?;
            let stats = cache.stats(time::now(), time::parse_duration(&max_age)?)?;
            let mut out = Destination::stdout();
            if json {
                out.write_all(&serde_json::to_vec_pretty(&stats).expect("stats serialise"))?;
                out.write_all(b"\n")?;
            } else {
                let mut text = format!(
                    "cache       {}\norigins     {}\nfetches     {}\nbodies      {} ({} bytes)\non disk     {} bytes\nstale       {} (older than {max_age})\n",
                    stats.path,
                    stats.origins,
                    stats.fetches,
                    stats.bodies,
                    stats.body_bytes,
                    stats.file_bytes,
                    stats.stale
                );
                if let (Some(oldest), Some(newest)) = (&stats.oldest, &stats.newest) {
                    text.push_str(&format!("fetched     {oldest} .. {newest}\n"));
                }
                text.push_str("last outcome per origin:\n");
                for (outcome, n) in &stats.latest_by_outcome {
                    text.push_str(&format!("  {outcome:<20} {n}\n"));
                }
                out.write_all(text.as_bytes())?;
            }
            out.finish()?;
            Ok(ExitStatus::Success)
        }
        CacheCommand::Show {
            origin,
            cache,
            as_of,
            body,
            json,
        } => {
            let cache = open_existing(&cache)?;
            let at = at(as_of.as_deref())?;
            // A bare host shows its https origin, else its http one.
            let mut found = None;
            for candidate in origins_of(&origin)? {
                let fetches = cache.history(&candidate)?;
                if !fetches.is_empty() {
                    found = Some((candidate, fetches));
                    break;
                }
            }
            let Some((origin, fetches)) = found else {
                say!(
                    "error: `{origin}` is not in the cache `{}`",
                    cache.path().display()
                );
                return Ok(ExitStatus::UserError);
            };
            let effective = cache.effective(&origin, at)?;
            let mut out = Destination::stdout();
            if body {
                let stored = match effective.as_ref().and_then(|e| e.used.sha256.as_deref()) {
                    Some(sha) => cache.body(sha)?,
                    None => None,
                };
                let Some(stored) = stored else {
                    say!(
                        "error: `{origin}` has no robots.txt body in force at {}",
                        time::format(at)
                    );
                    return Ok(ExitStatus::UserError);
                };
                out.write_all(&stored)?;
            } else if json {
                let shown = Shown {
                    origin: &origin,
                    as_of: time::format(at),
                    policy: effective.as_ref(),
                    fetches: &fetches,
                };
                out.write_all(&serde_json::to_vec_pretty(&shown).expect("serialises"))?;
                out.write_all(b"\n")?;
            } else {
                let mut text = format!("origin  {origin}\nas of   {}\n", time::format(at));
                match &effective {
                    None => text.push_str("policy  none (not fetched by then)\n"),
                    Some(effective) => {
                        let policy = effective.to_policy(None);
                        let used = &effective.used;
                        text.push_str(&format!(
                            "policy  {} from the fetch of {} ({}), sha256 {}\n",
                            used.outcome.class(),
                            time::format(used.fetched_at),
                            used.outcome,
                            used.sha256.as_deref().unwrap_or("-")
                        ));
                        if !policy.note.is_empty() {
                            text.push_str(&format!("note    {}\n", policy.note));
                        }
                    }
                }
                text.push_str("fetches (oldest first):\n");
                for f in &fetches {
                    let status = f.status.map_or("-".to_owned(), |s| s.to_string());
                    text.push_str(&format!(
                        "  {}  {:<11} {:<18} {:>3}  {}  {} attempt(s)",
                        time::format(f.fetched_at),
                        f.file.name(),
                        f.outcome.code(),
                        status,
                        f.sha256.as_deref().map_or("-", |s| &s[..16.min(s.len())]),
                        f.attempts
                    ));
                    if !f.redirects.is_empty() {
                        text.push_str(&format!(
                            "  via {} redirect(s) to {}",
                            f.redirects.len(),
                            f.final_url
                        ));
                    }
                    if f.truncated {
                        text.push_str("  truncated");
                    }
                    if f.html {
                        text.push_str("  html");
                    }
                    if !f.detail.is_empty() {
                        text.push_str(&format!("  ({})", f.detail));
                    }
                    if f.source != "fetch" {
                        text.push_str(&format!("  [{}]", f.source));
                    }
                    text.push('\n');
                }
                out.write_all(text.as_bytes())?;
            }
            out.finish()?;
            Ok(ExitStatus::Success)
        }
        CacheCommand::Convert {
            input,
            output,
            indexed,
            shards,
        } => {
            let header = snapshot::convert(&input, &output, indexed.then(|| shards.unwrap_or(1)))?;
            say!(
                "optout: converted the policies of {} origins as of {} from `{}` to `{}`",
                header.origins,
                header.as_of,
                input.display(),
                output.display()
            );
            Ok(ExitStatus::Success)
        }
        CacheCommand::Info { file, json } => {
            let info = snapshot::Info::of(&file)?;
            let mut out = Destination::stdout();
            if json {
                let mut text =
                    serde_json::to_string_pretty(&info).expect("serialising to a string");
                text.push('\n');
                out.write_all(text.as_bytes())?;
            } else {
                out.write_all(info.to_text().as_bytes())?;
            }
            out.finish()?;
            Ok(ExitStatus::Success)
        }
        CacheCommand::Export {
            file,
            cache,
            as_of,
            history,
            indexed,
            shards,
        } => {
            let cache = open_existing(&cache)?;
            let at = at(as_of.as_deref())?;
            if indexed {
                return export_indexed(&cache, at, history, &file, shards.unwrap_or(1));
            }
            // A snapshot is written beside its name and renamed when whole
            // (a FIFO or device is written in place; a link is followed),
            // so a failed export never leaves a cut file under that name.
            crate::output::check_aliasing(
                &[("the cache", cache.path())],
                &[("the snapshot", file.as_path())],
            )?;
            let mut out = Destination::create(&file)?;
            let n = snapshot::export_origins(
                &cache,
                &cache.origins()?,
                at,
                history,
                out.writer(),
                &file,
            )?;
            out.finish()?;
            say!(
                "optout: exported the policies of {n} origins as of {} to `{}`",
                time::format(at),
                file.display()
            );
            Ok(ExitStatus::Success)
        }
        CacheCommand::Import { file, cache } => {
            let path = cache.path()?;
            // A failed import leaves no cache it created: an empty one
            // would look like a cache that holds nothing.
            let created = !path.exists();
            let imported = Cache::open(&path).and_then(|mut cache| {
                let imported = snapshot::import(&mut cache, &file);
                drop(cache);
                imported
            });
            let imported = match imported {
                Ok(imported) => imported,
                Err(err) => {
                    if created {
                        for suffix in ["", "-wal", "-shm", "-journal"] {
                            let mut name = path.clone().into_os_string();
                            name.push(suffix);
                            let _ = std::fs::remove_file(name);
                        }
                    }
                    return Err(err);
                }
            };
            say!(
                "optout: imported `{}` ({} origins) into `{}`: {} new fetch records, {} already held",
                file.display(),
                imported.origins,
                path.display(),
                imported.new,
                imported.records - imported.new
            );
            Ok(ExitStatus::Success)
        }
    }
}

fn export_indexed(
    cache: &Cache,
    at: time::Millis,
    history: bool,
    file: &std::path::Path,
    shards: u32,
) -> Result<ExitStatus> {
    crate::output::check_aliasing(&[("the cache", cache.path())], &[("the snapshot", file)])?;
    let written = snapshot::export_indexed(cache, &cache.origins()?, at, history, file, shards)?;
    for (path, meta) in written {
        say!(
            "optout: exported the policies of {} origins as of {} to `{}` (shard {} of {}, {} distinct bodies)",
            meta.origins,
            meta.as_of,
            path.display(),
            meta.shard,
            meta.shards,
            meta.bodies
        );
    }
    Ok(ExitStatus::Success)
}
