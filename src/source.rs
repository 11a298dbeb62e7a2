//! Where a run's policies come from: the cache (with its history), a
//! portable snapshot, or a directory of robots.txt files. Every caller
//! (the command line, the Python package, `verify`) opens its policies
//! here, so each source is read, and checked against the time asked for,
//! one way.
//!
//! Opening does no network I/O: bringing the cache up to date is the
//! fetch's job, done before (`optout fetch`, or `filter`'s refresh).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::AsOf;
use crate::error::{Error, Result};
use crate::policy::{Access, LoadProblem, PolicySet, SharedParses};
use crate::time::Millis;

/// A source of per-origin policies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum PolicySource {
    /// The SQLite cache at `path`, as it is.
    Cache {
        /// The cache file.
        path: PathBuf,
    },
    /// A snapshot written by `optout cache export`: JSON Lines, or an
    /// indexed snapshot (or one shard of it), told apart by their bytes.
    Snapshot {
        /// The snapshot file.
        path: PathBuf,
    },
    /// One robots.txt per host, named `<host>.txt`.
    RobotsDir {
        /// The directory.
        path: PathBuf,
        /// The directory evidence names the files under, when `path` is a
        /// copy (`None`: `path`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shown_as: Option<PathBuf>,
    },
}

/// Policies opened from a source, with what the source said about them.
#[derive(Debug)]
pub struct Opened {
    /// The policies.
    pub set: PolicySet,
    /// Files of a robots directory that were skipped, and why.
    pub problems: Vec<LoadProblem>,
    /// A snapshot's header.
    pub header: Option<crate::cache::snapshot::Header>,
    /// For the cache: the time the policies are in force at.
    pub at: Option<Millis>,
    /// The compiled rules of the parses loading compiled (see
    /// [`PolicySource::open_with`]); empty otherwise.
    pub compiled: crate::policy::ByParse,
}

impl Opened {
    /// How many robots.txt files look like HTML pages (their rule lines,
    /// if any, are used).
    #[must_use]
    pub fn html_pages(&self) -> usize {
        self.set
            .policies()
            .iter()
            .filter(|p| matches!(&p.access, Access::Rules(r) if r.notes.html))
            .count()
    }
}

impl PolicySource {
    /// The name stats give the source: `cache`, `snapshot`, `robots-dir`.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            PolicySource::Cache { .. } => "cache",
            PolicySource::Snapshot { .. } => "snapshot",
            PolicySource::RobotsDir { .. } => "robots-dir",
        }
    }

    /// The file or directory read.
    #[must_use]
    pub fn path(&self) -> &Path {
        match self {
            PolicySource::Cache { path }
            | PolicySource::Snapshot { path }
            | PolicySource::RobotsDir { path, .. } => path,
        }
    }

    /// Opens the policies in force per `as_of`: of the origins given
    /// (`https://host[:port]`, cache only; `None`: every origin the
    /// source holds). A run by crawl time gets every policy each origin
    /// had.
    ///
    /// # Errors
    ///
    /// When the source cannot be read, is not what it should be, or
    /// cannot say what was in force at another time (a robots directory
    /// has no history; a snapshot holds one time, or for `crawl` the
    /// history it was exported with).
    pub fn open(&self, as_of: AsOf, origins: Option<&[String]>) -> Result<Opened> {
        self.open_on(as_of, origins, 1)
    }

    /// [`PolicySource::open`] with the reading, hashing and parsing of a
    /// robots directory's files on `threads` threads. The set is the same
    /// whatever the threads.
    ///
    /// # Errors
    ///
    /// As [`PolicySource::open`].
    pub fn open_on(
        &self,
        as_of: AsOf,
        origins: Option<&[String]>,
        threads: usize,
    ) -> Result<Opened> {
        self.open_with(as_of, origins, threads, None)
    }

    /// [`PolicySource::open_on`] for a run that knows its `agents`: a robots
    /// directory's or an indexed snapshot's parses are compiled for them
    /// as they are made and held slim ([`SharedParses::compiling`]), so the
    /// whole parses of every origin are never held at once. The compiled
    /// rules come back in [`Opened::compiled`]. Other sources, and opening
    /// without agents, hold whole parses.
    ///
    /// # Errors
    ///
    /// As [`PolicySource::open`].
    pub fn open_with(
        &self,
        as_of: AsOf,
        origins: Option<&[String]>,
        threads: usize,
        agents: Option<&crate::agents::AgentSet>,
    ) -> Result<Opened> {
        let parses = agents.map_or_else(SharedParses::default, SharedParses::compiling);
        let other_time = match (self, as_of) {
            (_, AsOf::Now) | (PolicySource::Cache { .. }, _) => false,
            (PolicySource::RobotsDir { .. }, _) => true,
            (PolicySource::Snapshot { .. }, AsOf::Date(_)) => true,
            (PolicySource::Snapshot { .. }, AsOf::Crawl) => false,
        };
        if other_time {
            return Err(Error::config(format!(
                "--as-of {}: the policies of another time come from the cache's history (or, for crawl, a snapshot exported with --history)",
                as_of.name()
            )));
        }
        match self {
            PolicySource::RobotsDir { path, shown_as } => {
                let shown = shown_as.as_deref().unwrap_or(path);
                // An origin's robots.txt is its host's file.
                let hosts: Option<std::collections::HashSet<String>> = origins.map(|origins| {
                    origins
                        .iter()
                        .map(|key| {
                            crate::origin::split_key(key)
                                .map_or(key.as_str(), |(_, host, _)| host)
                                .to_owned()
                        })
                        .collect()
                });
                let (set, problems) = crate::engine::load::robots_dir_with(
                    path,
                    shown,
                    hosts.as_ref(),
                    threads,
                    &parses,
                )?;
                Ok(Opened {
                    set,
                    problems,
                    header: None,
                    at: None,
                    compiled: parses.into_compiled(),
                })
            }
            PolicySource::Snapshot { path } => {
                // Borrowed: the origins of a large input are not held twice.
                let wanted: Option<std::collections::HashSet<&str>> =
                    origins.map(|origins| origins.iter().map(String::as_str).collect());
                let (header, set) = if crate::cache::indexed::is_indexed(path)? {
                    crate::engine::load::indexed_snapshot_with(
                        path,
                        wanted.as_ref(),
                        threads,
                        &parses,
                    )?
                } else {
                    crate::cache::snapshot::load_only(path, wanted.as_ref())?
                };
                if as_of == AsOf::Crawl && header.history == 0 {
                    return Err(Error::config(format!(
                        "--as-of crawl: snapshot `{}` holds no history; export it with `optout cache export --history`",
                        path.display()
                    )));
                }
                Ok(Opened {
                    set,
                    problems: Vec::new(),
                    header: Some(header),
                    at: None,
                    compiled: parses.into_compiled(),
                })
            }
            PolicySource::Cache { path } => {
                if !path.exists() {
                    return Err(Error::config(format!(
                        "no cache at `{}`: run `optout fetch` first, or pass --cache, --snapshot or --robots-dir",
                        path.display()
                    )));
                }
                let at = match as_of {
                    AsOf::Date(at) => at,
                    AsOf::Now | AsOf::Crawl => crate::time::now(),
                };
                let set = match as_of {
                    AsOf::Crawl => {
                        crate::cache::Cache::open(path)?.policies_with_history(origins, at)?
                    }
                    AsOf::Now | AsOf::Date(_) => {
                        crate::engine::load::cache(path, origins, at, threads, &parses)?
                    }
                };
                Ok(Opened {
                    set,
                    problems: Vec::new(),
                    header: None,
                    at: Some(at),
                    compiled: parses.into_compiled(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_without_history_refuses_another_time() {
        let dir = PolicySource::RobotsDir {
            path: PathBuf::from("fixtures/robots/real"),
            shown_as: None,
        };
        assert!(dir.open(AsOf::Now, None).unwrap().set.len() > 10);
        for as_of in [AsOf::Crawl, AsOf::Date(0)] {
            let err = dir.open(as_of, None).unwrap_err().to_string();
            assert!(err.contains("history"), "{err}");
        }
        let missing = PolicySource::Cache {
            path: PathBuf::from("/nonexistent/optout.sqlite"),
        };
        assert!(missing.open(AsOf::Now, None).is_err());
    }

    #[test]
    fn sources_are_data() {
        let source: PolicySource =
            serde_json::from_str(r#"{"kind":"snapshot","path":"p.jsonl"}"#).unwrap();
        assert_eq!(source.name(), "snapshot");
        assert!(serde_json::from_str::<PolicySource>(r#"{"kind":"web","path":"x"}"#).is_err());
    }
}
