//! Policies compiled for a run's agents: each distinct reading's rules
//! compiled once ([`compile_readings`], by access key), found by the
//! reading's address ([`ByParse`]), and the [`Snapshot`] the engine reads.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::agents::AgentSet;
use crate::signals::robots::{CompiledRobots, RobotsTxt};

use super::{Access, OriginPolicy, PolicySet};

/// A parse, or its aipref-aware reading (`true`).
#[derive(Clone, Debug)]
pub struct Reading(pub Arc<RobotsTxt>, pub bool);

impl std::ops::Deref for Reading {
    type Target = RobotsTxt;

    fn deref(&self) -> &RobotsTxt {
        match (self.1, &self.0.aware) {
            (true, Some(aware)) => aware,
            _ => &self.0,
        }
    }
}

/// A parse's compiled rules, or their count when over the limit.
pub type Compiled = std::result::Result<Arc<CompiledRobots>, usize>;

/// Compiled rules by the address of the reading they were compiled from
/// ([`reading_key`]). Addresses name readings only while they are held:
/// a map is made for, and used with, one set of live parses.
pub type ByParse = HashMap<usize, Compiled>;

/// The key of a reading in a [`ByParse`]: its address.
#[must_use]
pub fn reading_key(reading: &RobotsTxt) -> usize {
    std::ptr::from_ref(reading).addr()
}

/// Compiles `readings` for `agents` on this thread, each distinct access
/// key once.
#[must_use]
pub fn compile_readings(readings: &[Reading], agents: &AgentSet) -> ByParse {
    let keys: Vec<[u8; 32]> = readings.iter().map(|p| p.access_key()).collect();
    let firsts = first_of_each_key(&keys);
    let compiled: Vec<Compiled> = firsts
        .iter()
        .map(|&i| compile_one(&readings[i], agents))
        .collect();
    by_parse(readings, &keys, &firsts, compiled)
}

/// Compiles `robots` for `agents` within the rule limit.
pub fn compile_one(robots: &RobotsTxt, agents: &AgentSet) -> Compiled {
    robots
        .compile_bounded(agents.keys(), crate::signals::robots::MAX_COMPILED_RULES)
        .map(Arc::new)
}

/// The position of the first parse of each distinct access key, in order:
/// the parses to compile.
#[must_use]
pub fn first_of_each_key(keys: &[[u8; 32]]) -> Vec<usize> {
    let mut seen = HashSet::new();
    (0..keys.len()).filter(|&i| seen.insert(keys[i])).collect()
}

/// The compiled rules of every parse (with their aipref-aware readings),
/// given the parses, their access keys, the first parse of each key and
/// its compiled rules.
#[must_use]
pub fn by_parse(
    parses: &[Reading],
    keys: &[[u8; 32]],
    firsts: &[usize],
    compiled: Vec<Compiled>,
) -> ByParse {
    let by_key: HashMap<[u8; 32], Compiled> = firsts
        .iter()
        .zip(compiled)
        .map(|(&i, c)| (keys[i], c))
        .collect();
    parses
        .iter()
        .zip(keys)
        .map(|(p, k)| (reading_key(p), by_key[k].clone()))
        .collect()
}

/// Policies compiled for one agent set: what the engine reads. Immutable
/// and `Sync`, shared by all worker threads.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub(super) set: PolicySet,
    /// Per policy: the compiled rules, `None` when unreachable.
    pub(super) compiled: Vec<Option<Arc<CompiledRobots>>>,
    /// The aipref-aware reading's rules, for the few policies whose two
    /// readings group differently ([`RobotsTxt::aware`]).
    pub(super) aware: HashMap<usize, Arc<CompiledRobots>>,
}

/// A host's policy as the engine sees it.
#[derive(Clone, Copy, Debug)]
pub struct PolicyRef<'a> {
    /// The policy's position in the set.
    pub index: usize,
    /// The policy record.
    pub policy: &'a OriginPolicy,
    /// Its compiled rules (none for an unavailable robots.txt); `None`
    /// when unreachable.
    pub compiled: Option<&'a CompiledRobots>,
    /// The rules of the aipref-aware reading, when it groups the file
    /// differently: access is the stricter of the two.
    pub aware: Option<&'a CompiledRobots>,
}

impl PolicyRef<'_> {
    /// The parsed robots.txt, when there is one.
    #[must_use]
    pub fn robots(&self) -> Option<&RobotsTxt> {
        match &self.policy.access {
            Access::Rules(robots) => Some(robots),
            Access::Unavailable { .. } | Access::Unreachable { .. } => None,
        }
    }
}

impl Snapshot {
    /// The policy of an origin key (`scheme://host[:port]`), or else of
    /// its bare host.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<PolicyRef<'_>> {
        let at = self.set.index_of(key)?;
        Some(self.get_index(at as usize))
    }

    /// The policy at `index` (see [`PolicyRef::index`]).
    #[must_use]
    pub fn get_index(&self, index: usize) -> PolicyRef<'_> {
        PolicyRef {
            index,
            policy: self.set.policy(index),
            compiled: self.compiled[index].as_deref(),
            aware: if self.aware.is_empty() {
                None
            } else {
                self.aware.get(&index).map(|c| &**c)
            },
        }
    }

    /// The underlying policies.
    #[must_use]
    pub fn policies(&self) -> &PolicySet {
        &self.set
    }
}
