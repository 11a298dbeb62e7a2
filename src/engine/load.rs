//! Loading policies on the engine's threads: a robots directory's files
//! read, hashed and parsed in parallel (each distinct body parsed once),
//! then taken in file order, so the set is the one a sequential load
//! makes; and an indexed snapshot's entries looked up by host, its
//! distinct bodies read and parsed in parallel, then assembled in export
//! order, so the set is the one its JSON Lines form makes; and a cache's
//! origins read on a connection per thread, in the origins' order.

use std::collections::HashSet;
use std::path::Path;

use rayon::prelude::*;

use crate::cache::indexed::{Entry, Reader};
use crate::cache::snapshot::{Assembly, Header, Part};
use crate::error::{Error, Result};
use crate::origin::SiteFile;
use crate::policy::{DirFile, LoadProblem, PolicySet, SharedParses};
use crate::signals::robots::RobotsTxt;

/// Hosts looked up per task: enough to amortise a task, few enough to
/// spread over the threads.
const HOSTS_PER_TASK: usize = 2048;

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
    robots_dir_with(dir, shown, hosts, threads, &SharedParses::default())
}

/// [`robots_dir`], parsing through `parses` (which may compile each parse
/// as it is made: [`SharedParses::compiling`]).
///
/// # Errors
///
/// As [`robots_dir`].
pub fn robots_dir_with(
    dir: &Path,
    shown: &Path,
    hosts: Option<&HashSet<String>>,
    threads: usize,
    parses: &SharedParses,
) -> Result<(PolicySet, Vec<LoadProblem>)> {
    let (files, problems) = DirFile::list(dir, shown, hosts)?;
    let read = if threads <= 1 {
        files.iter().map(|file| file.read(parses)).collect()
    } else {
        super::pool(threads, "load")?
            .install(|| files.par_iter().map(|file| file.read(parses)).collect())
    };
    Ok(PolicySet::from_read(read, problems))
}

/// The policies of an indexed snapshot, of the origins `wanted` names (by
/// origin key, or by host for every origin of it) or of all its hosts,
/// read on `threads` threads. Hosts are taken in sorted runs, one task per run:
/// each task looks its hosts up, reads and parses the bodies no other task
/// has parsed (a body is parsed once per run), and assembles its hosts'
/// policies; the parts are then put in the snapshot's order, so the set
/// is the one its JSON Lines form makes. Records are dropped as soon as
/// their policy is made.
///
/// # Errors
///
/// When the file cannot be opened or is not a whole, untouched indexed
/// snapshot, or a wanted host belongs to another shard.
pub fn indexed_snapshot(
    path: &Path,
    wanted: Option<&HashSet<&str>>,
    threads: usize,
) -> Result<(Header, PolicySet)> {
    indexed_snapshot_with(path, wanted, threads, &SharedParses::default())
}

/// [`indexed_snapshot`], parsing through `parses` (which may compile each
/// parse as it is made: [`SharedParses::compiling`]).
///
/// # Errors
///
/// As [`indexed_snapshot`].
pub fn indexed_snapshot_with(
    path: &Path,
    wanted: Option<&HashSet<&str>>,
    threads: usize,
    parses: &SharedParses,
) -> Result<(Header, PolicySet)> {
    let first = Reader::open(path)?;
    let header = first.meta().header();
    let meta = first.meta().clone();
    // Without a wanted set, every host of the file, looked up the same way.
    let every: Vec<String>;
    let mut hosts: Vec<&str> = match wanted {
        Some(wanted) => wanted
            .iter()
            .map(|&key| crate::origin::split_key(key).map_or(key, |(_, h, _)| h))
            .collect(),
        None => {
            every = first.hosts()?;
            every.iter().map(String::as_str).collect()
        }
    };
    drop(first);
    hosts.sort_unstable();
    hosts.dedup();
    let keep = |entry: &Entry| {
        let Some(wanted) = wanted else {
            return true;
        };
        let origin = entry.effective.used.origin.as_str();
        wanted.contains(origin)
            || crate::origin::split_key(origin).is_some_and(|(_, h, _)| wanted.contains(h))
    };
    let parts: Result<Vec<(Part, u64)>> = super::pool(threads, "load")?.install(|| {
        hosts
            .par_chunks(HOSTS_PER_TASK)
            .map_init(
                || Reader::again(path, &meta),
                |reader, chunk| {
                    let reader = super::opened_again(reader)?;
                    let mut found = Vec::new();
                    let mut assembly = Assembly::default();
                    let mut read = 0;
                    for host in chunk {
                        found.clear();
                        reader.entries_of(host, &mut found)?;
                        read += found.len() as u64;
                        for entry in found.drain(..).filter(keep) {
                            assemble(reader, parses, &mut assembly, entry)?;
                        }
                    }
                    Ok((assembly.into_part(), read))
                },
            )
            .collect()
    });
    let (parts, read): (Vec<Part>, Vec<u64>) = parts?.into_iter().unzip();
    // Read whole, the file must give every entry `meta` counts: one
    // dropped from the middle is not caught by the counts' check at open.
    let read: u64 = read.iter().sum();
    if wanted.is_none() && read != meta.entries {
        return Err(Error::index(
            path,
            format!(
                "`meta` says {} entries but its hosts hold {read}: the file is cut or altered",
                meta.entries
            ),
        ));
    }
    Ok((header, Assembly::merge_releasing(parts, super::give_back)))
}

/// Origins looked up per task in a cache.
const ORIGINS_PER_TASK: usize = 1024;

/// [`crate::cache::Cache::policies`] on `threads` threads, parsing through
/// `parses` (which may compile each parse as it is made:
/// [`SharedParses::compiling`]): each thread reads its runs of origins on
/// its own read-only connection, and the policies are taken in the
/// origins' order, so the set is the one a load on one thread makes.
///
/// # Errors
///
/// When the cache cannot be read, or a body does not match its hash.
pub fn cache(
    path: &Path,
    origins: Option<&[String]>,
    at: crate::time::Millis,
    threads: usize,
    parses: &SharedParses,
) -> Result<PolicySet> {
    let first = crate::cache::Cache::open(path)?;
    let origins = first.these_or_all(origins)?;
    let files = first.has_files()?;
    drop(first);
    let parts: Result<Vec<Vec<crate::policy::OriginPolicy>>> = super::pool(threads, "load")?
        .install(|| {
            origins
                .par_chunks(ORIGINS_PER_TASK)
                .map_init(
                    || crate::cache::Cache::open_again(path),
                    |cache, chunk| {
                        let cache = super::opened_again(cache)?;
                        let mut bodies = crate::cache::FileBodies::default();
                        let mut policies = Vec::with_capacity(chunk.len());
                        for origin in chunk {
                            policies.extend(cache.policy_through(
                                origin,
                                at,
                                files,
                                parses,
                                &mut bodies,
                            )?);
                        }
                        Ok(policies)
                    },
                )
                .collect()
        });
    Ok(PolicySet::from_policies(
        parts?.into_iter().flatten().collect(),
    ))
}

/// Adds `entry` to `assembly`: a robots.txt body is parsed once per run
/// (through `parses`); another file's body is read for its record.
fn assemble(
    reader: &Reader,
    parses: &SharedParses,
    assembly: &mut Assembly,
    entry: Entry,
) -> Result<()> {
    let used = &entry.effective.used;
    let body = match (entry.body, used.sha256.as_deref()) {
        (Some(id), Some(sha)) if used.file == SiteFile::Robots => {
            let prefix = used.truncated;
            let parsed = parses.get_or_parse(sha, prefix, || {
                let body = reader.body(id, sha)?;
                Ok(if prefix {
                    RobotsTxt::parse_prefix(&body)
                } else {
                    RobotsTxt::parse(&body)
                })
            })?;
            assembly.parsed().hold(sha, prefix, parsed);
            None
        }
        (Some(id), Some(sha)) => Some(reader.body(id, sha)?),
        _ => None,
    };
    assembly.add_at(entry.seq, entry.effective, body.as_deref(), entry.from);
    Ok(())
}
