//! Policies from snapshot records: [`Assembly`] turns records given in
//! file order (from either form) into a [`PolicySet`], each distinct body
//! parsed once.

use std::path::Path;

use super::{Header, read};
use crate::cache::Effective;
use crate::error::Result;
use crate::origin::SiteFile;
use crate::policy::{KeyIndex, OriginPolicy, PolicySet};
use crate::time::Millis;

/// Loads a snapshot (either form) as policies.
///
/// # Errors
///
/// See [`read`] and [`crate::cache::indexed::Reader`].
pub fn load(path: &Path) -> Result<(Header, PolicySet)> {
    load_only(path, None)
}

/// [`load`], keeping only the origins `wanted` names (by origin key, or
/// by host for every origin of it); the others' lines are read and
/// checked, but their bodies are not parsed or held. An indexed snapshot
/// is read on one thread here; runs read it on the engine's threads
/// ([`crate::engine::load::indexed_snapshot`]).
///
/// # Errors
///
/// As [`load`].
pub fn load_only(
    path: &Path,
    wanted: Option<&std::collections::HashSet<&str>>,
) -> Result<(Header, PolicySet)> {
    if crate::cache::indexed::is_indexed(path)? {
        return crate::engine::load::indexed_snapshot(path, wanted, 1);
    }
    let keep = |origin: &str| {
        wanted.is_none_or(|wanted| {
            wanted.contains(origin)
                || crate::origin::split_key(origin)
                    .is_some_and(|(_, host, _)| wanted.contains(host))
        })
    };
    let mut assembly = Assembly::default();
    let header = read(path, |effective, body, from| {
        if keep(&effective.used.origin) {
            assembly.add(effective, body.as_deref(), from);
        }
        Ok(())
    })?;
    Ok((header, assembly.finish()))
}

/// Bytes of parts merged between two calls of a merge's `release`.
const RELEASE_EVERY: usize = 32 << 20;

/// Policies assembled from snapshot records given in file order, whichever
/// the form: each origin's robots.txt record, then its files' records;
/// earlier copies per origin, oldest first, each robots.txt before its
/// files.
///
/// Records may also be assembled in parts, each holding every record of
/// its hosts with its position in the file ([`Assembly::add_at`]), on
/// several threads: [`Assembly::merge`] then orders the parts' policies
/// by position, so the set is the one a single assembly makes.
#[derive(Default)]
pub struct Assembly {
    /// Current policies with their position.
    current: Vec<(i64, OriginPolicy)>,
    /// Origin → its entry in `current`.
    at: KeyIndex,
    parsed: crate::policy::ParsedBodies,
    files: Vec<(Effective, Option<Vec<u8>>)>,
    bodies: crate::cache::FileBodies,
    history: Vec<Earlier>,
    next: i64,
}

/// An origin's earlier policies, oldest first, each with the time it came
/// into force; with the file position of the first and the origin.
type Earlier = (i64, String, Vec<(Millis, OriginPolicy)>);

/// What an assembly of some hosts' records made: [`Assembly::merge`]
/// joins such parts into one set.
pub struct Part {
    current: Vec<(i64, OriginPolicy)>,
    history: Vec<Earlier>,
}

impl Assembly {
    /// Parses held for bodies: a robots.txt record whose parse is here
    /// needs no body.
    pub fn parsed(&mut self) -> &mut crate::policy::ParsedBodies {
        &mut self.parsed
    }

    /// Adds the next record.
    pub fn add(&mut self, effective: Effective, body: Option<&[u8]>, from: Option<Millis>) {
        self.add_at(self.next, effective, body, from);
        self.next += 1;
    }

    /// Adds the record at position `seq` of the file. Records must come in
    /// file order, and every record of an origin to the same assembly.
    pub fn add_at(
        &mut self,
        seq: i64,
        effective: Effective,
        body: Option<&[u8]>,
        from: Option<Millis>,
    ) {
        let robots = effective.used.file == SiteFile::Robots;
        match from {
            None if robots => {
                let policy = effective.to_shared_policy(body, &mut self.parsed);
                match self.position(&policy.key) {
                    // As `PolicySet::insert`: a replaced policy keeps its
                    // place.
                    Some(i) => self.current[i].1 = policy,
                    None => {
                        let at = u32::try_from(self.current.len())
                            .expect("fewer than 4 billion policies");
                        self.current.push((seq, policy));
                        let current = &self.current;
                        self.at.insert(&current[at as usize].1.key, at, |at| {
                            &current[at as usize].1.key
                        });
                    }
                }
            }
            None => self.files.push((effective, body.map(<[u8]>::to_vec))),
            Some(from) => {
                let origin = &effective.used.origin;
                if self.history.last().is_none_or(|(_, o, _)| o != origin) {
                    self.history.push((seq, origin.clone(), Vec::new()));
                }
                let versions = &mut self.history.last_mut().expect("pushed above").2;
                if robots {
                    let policy = effective.to_shared_policy(body, &mut self.parsed);
                    versions.push((from, policy));
                } else if let Some((_, policy)) = versions.last_mut().filter(|(f, _)| *f == from) {
                    self.bodies.attach(
                        std::sync::Arc::make_mut(&mut policy.files),
                        &effective,
                        body,
                    );
                }
            }
        }
    }

    /// The policies.
    #[must_use]
    pub fn finish(self) -> PolicySet {
        Assembly::merge(vec![self.into_part()])
    }

    /// The position in `current` of `origin`'s policy.
    fn position(&self, origin: &str) -> Option<usize> {
        let current = &self.current;
        let at = self.at.get(origin, |at| &current[at as usize].1.key)?;
        Some(at as usize)
    }

    /// What this assembly made, for [`Assembly::merge`].
    #[must_use]
    pub fn into_part(mut self) -> Part {
        for (effective, body) in &self.files {
            if let Some(i) = self.position(&effective.used.origin) {
                let policy = &mut self.current[i].1;
                self.bodies.attach(
                    std::sync::Arc::make_mut(&mut policy.files),
                    effective,
                    body.as_deref(),
                );
            }
        }
        // Parts wait for each other, then for the merge that copies them:
        // held at their size, not their vectors' doubled capacity.
        self.current.shrink_to_fit();
        Part {
            current: self.current,
            history: self.history,
        }
    }

    /// The set the parts make, in file order.
    #[must_use]
    pub fn merge(parts: Vec<Part>) -> PolicySet {
        Assembly::merge_releasing(parts, || ())
    }

    /// [`Assembly::merge`], calling `release` each time the parts moved
    /// into the set have freed another 32 MiB: the caller
    /// hands them back to the system (the engine calls `malloc_trim`), so
    /// the parts and the set they move into are not resident together (a
    /// million origins: 180 MB).
    #[must_use]
    pub fn merge_releasing(parts: Vec<Part>, release: impl Fn()) -> PolicySet {
        let mut current = Vec::with_capacity(parts.iter().map(|p| p.current.len()).sum());
        let mut history = Vec::new();
        let mut freed = 0;
        for part in parts {
            freed += part.current.len() * std::mem::size_of::<(i64, OriginPolicy)>();
            current.extend(part.current);
            history.extend(part.history);
            if freed >= RELEASE_EVERY {
                release();
                freed = 0;
            }
        }
        current.sort_unstable_by_key(|(seq, _)| *seq);
        history.sort_unstable_by_key(|(seq, _, _)| *seq);
        // In place: the policies are not held twice (a million origins:
        // 170 MB).
        let mut set = PolicySet::from_policies(current.into_iter().map(|(_, p)| p).collect());
        for (_, origin, versions) in history {
            set.insert_history(&origin, versions);
        }
        set
    }
}
