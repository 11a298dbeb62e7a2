//! Loading policies on the engine's threads: a robots directory's files
//! read, hashed and parsed in parallel (each distinct body parsed once),
//! then taken in file order, so the set is the one a sequential load
//! makes; and an indexed snapshot's entries looked up by host, its
//! distinct bodies read and parsed in parallel, then assembled in export
//! order, so the set is the one its JSON Lines form makes.

use std::collections::HashSet;
use std::path::Path;

use rayon::prelude::*;

use crate::cache::indexed::{Entry, Reader};
use crate::cache::snapshot::{Assembly, Header};
use crate::error::{Error, Result};
use crate::origin::SiteFile;
use crate::policy::{DirFile, LoadProblem, PolicySet, SharedParses};
use crate::signals::robots::RobotsTxt;

/// Hosts looked up per task: enough to amortise a task, few enough to
/// spread over the threads.
const HOSTS_PER_TASK: usize = 2048;

fn pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(|i| format!("optout-load-{i}"))
        .build()
        .map_err(|e| Error::config(format!("cannot start {threads} threads: {e}")))
}

/// [`PolicySet::load_dir_as`] on `threads` threads, and for `hosts` only
/// when given.
///
/// # Errors
///
/// When `dir` cannot be listed or the threads cannot start.
pub fn robots_dir(
    dir: &Path,
    shown: &Path,
    hosts: Option<&HashSet<String>>,
    threads: usize,
) -> Result<(PolicySet, Vec<LoadProblem>)> {
    let (files, problems) = DirFile::list(dir, shown, hosts)?;
    let parses = SharedParses::default();
    let read = if threads <= 1 {
        files.iter().map(|file| file.read(&parses)).collect()
    } else {
        pool(threads)?.install(|| files.par_iter().map(|file| file.read(&parses)).collect())
    };
    Ok(PolicySet::from_read(read, problems))
}

/// A thread's own reader of a file the calling thread opened.
fn opened(reader: &Result<Reader>) -> Result<&Reader> {
    reader
        .as_ref()
        .map_err(|e| Error::config(format!("opening it again on another thread: {e}")))
}

/// The policies of an indexed snapshot, of the origins `wanted` names (by
/// origin key, or by host for every origin of it) or of all, read on
/// `threads` threads. Each thread opens the file once; lookups are by
/// host, in host order; each distinct body is read, checked and parsed
/// once.
///
/// # Errors
///
/// When the file cannot be opened or is not a whole, untouched indexed
/// snapshot, or a wanted host belongs to another shard.
pub fn indexed_snapshot(
    path: &Path,
    wanted: Option<&HashSet<String>>,
    threads: usize,
) -> Result<(Header, PolicySet)> {
    let first = Reader::open(path)?;
    let header = first.meta().header();
    let pool = pool(threads)?;
    let mut entries: Vec<Entry> = match wanted {
        None => {
            let mut all = Vec::new();
            first.all_entries(|entry| {
                all.push(entry);
                Ok(())
            })?;
            all
        }
        Some(wanted) => {
            let mut hosts: Vec<&str> = wanted
                .iter()
                .map(|key| crate::origin::split_key(key).map_or(key.as_str(), |(_, h, _)| h))
                .collect();
            hosts.sort_unstable();
            hosts.dedup();
            let keep = |entry: &Entry| {
                let origin = entry.effective.used.origin.as_str();
                wanted.contains(origin)
                    || crate::origin::split_key(origin).is_some_and(|(_, h, _)| wanted.contains(h))
            };
            let found: Result<Vec<Vec<Entry>>> = pool.install(|| {
                hosts
                    .par_chunks(HOSTS_PER_TASK)
                    .map_init(
                        || Reader::open(path),
                        |reader, chunk| {
                            let reader = opened(reader)?;
                            let mut found = Vec::new();
                            for host in chunk {
                                reader.entries_of(host, &mut found)?;
                            }
                            found.retain(keep);
                            Ok(found)
                        },
                    )
                    .collect()
            });
            found?.into_iter().flatten().collect()
        }
    };
    entries.sort_unstable_by_key(|entry| entry.seq);
    // Each distinct robots.txt body (as a whole, or as the prefix of a
    // longer one) is parsed once, on the pool; the assembly then finds
    // every parse it needs.
    let mut distinct: Vec<(i64, bool, &str)> = entries
        .iter()
        .filter(|e| e.effective.used.file == SiteFile::Robots)
        .filter_map(|e| {
            let sha = e.effective.used.sha256.as_deref()?;
            Some((e.body?, e.effective.used.truncated, sha))
        })
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    let parsed: Result<Vec<(&str, bool, RobotsTxt)>> = pool.install(|| {
        distinct
            .par_iter()
            .map_init(
                || Reader::open(path),
                |reader, &(id, prefix, sha)| {
                    let reader = opened(reader)?;
                    let body = reader.body(id, sha)?;
                    let robots = if prefix {
                        RobotsTxt::parse_prefix(&body)
                    } else {
                        RobotsTxt::parse(&body)
                    };
                    Ok((sha, prefix, robots))
                },
            )
            .collect()
    });
    let mut assembly = Assembly::default();
    for (sha, prefix, robots) in parsed? {
        assembly.parsed().insert(sha, prefix, robots);
    }
    for entry in entries {
        // Robots bodies are parsed above; other files' bodies are read
        // here (few, and small).
        let body = match (entry.body, &entry.effective.used.sha256) {
            (Some(id), Some(sha)) if entry.effective.used.file != SiteFile::Robots => {
                Some(first.body(id, sha)?)
            }
            _ => None,
        };
        assembly.add(entry.effective, body.as_deref(), entry.from);
    }
    Ok((header, assembly.finish()))
}
