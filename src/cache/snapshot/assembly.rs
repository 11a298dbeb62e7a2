//! Policies from snapshot records: [`Assembly`] turns records given in
//! file order (from either form) into a [`PolicySet`], each distinct body
//! parsed once.

use std::path::Path;

use super::{Header, read};
use crate::cache::Effective;
use crate::error::Result;
use crate::origin::SiteFile;
use crate::policy::PolicySet;
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
    wanted: Option<&std::collections::HashSet<String>>,
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

/// Policies assembled from snapshot records given in file order, whichever
/// the form: each origin's robots.txt record, then its files' records;
/// earlier copies per origin, oldest first, each robots.txt before its
/// files.
#[derive(Default)]
pub struct Assembly {
    set: PolicySet,
    parsed: crate::policy::ParsedBodies,
    files: Vec<(Effective, Option<Vec<u8>>)>,
    bodies: crate::cache::FileBodies,
    history: Vec<(String, Vec<(Millis, crate::policy::OriginPolicy)>)>,
}

impl Assembly {
    /// Parses held for bodies: a robots.txt record whose parse is here
    /// needs no body.
    pub fn parsed(&mut self) -> &mut crate::policy::ParsedBodies {
        &mut self.parsed
    }

    /// Adds the next record.
    pub fn add(&mut self, effective: Effective, body: Option<&[u8]>, from: Option<Millis>) {
        let robots = effective.used.file == SiteFile::Robots;
        match from {
            None if robots => self
                .set
                .insert(effective.to_shared_policy(body, &mut self.parsed)),
            None => self.files.push((effective, body.map(<[u8]>::to_vec))),
            Some(from) => {
                let origin = &effective.used.origin;
                if self.history.last().is_none_or(|(o, _)| o != origin) {
                    self.history.push((origin.clone(), Vec::new()));
                }
                let versions = &mut self.history.last_mut().expect("pushed above").1;
                if robots {
                    let policy = effective.to_shared_policy(body, &mut self.parsed);
                    versions.push((from, policy));
                } else if let Some((_, policy)) = versions.last_mut().filter(|(f, _)| *f == from) {
                    self.bodies.attach(&mut policy.files, &effective, body);
                }
            }
        }
    }

    /// The policies.
    #[must_use]
    pub fn finish(mut self) -> PolicySet {
        for (effective, body) in self.files {
            let Some(mut policy) = self.set.get(&effective.used.origin).cloned() else {
                continue;
            };
            self.bodies
                .attach(&mut policy.files, &effective, body.as_deref());
            self.set.insert(policy);
        }
        for (origin, versions) in self.history {
            self.set.insert_history(&origin, versions);
        }
        self.set
    }
}
