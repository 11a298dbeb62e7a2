//! Compiled rules by content, kept across the policy windows of a run and
//! bounded in bytes. Bodies whose rules compile alike (the same
//! [`RobotsTxt::access_key`]) share one entry, so a run over hosts grouped
//! in its input, or over hosts serving a platform's default, compiles each
//! distinct rule set about once; a run in random order still works and
//! compiles again what was evicted.
//!
//! Entries are only ever evicted between windows ([`CompiledCache::next_window`]),
//! least recently used window first: within a window, every policy it
//! judges by holds its compiled rules anyway.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use dashmap::DashMap;

use crate::agents::AgentSet;
use crate::policy::{Compiled, compile_one};
use crate::signals::robots::RobotsTxt;

/// What an entry costs besides its compiled rules: the key, the map's
/// slot, the counts.
const ENTRY_OVERHEAD: usize = 96;

/// Compiled rules by access key, for one agent set, bounded in bytes.
#[derive(Debug)]
pub struct CompiledCache {
    agents: AgentSet,
    map: DashMap<[u8; 32], Held, foldhash::fast::RandomState>,
    bytes: AtomicUsize,
    limit: usize,
    /// The current window, stamped on every entry used in it.
    window: AtomicU64,
    compiles: AtomicU64,
    reuses: AtomicU64,
    evicted: AtomicU64,
}

#[derive(Debug)]
struct Held {
    compiled: Compiled,
    bytes: usize,
    used: AtomicU64,
}

/// What a cache did over a run, for messages and the README's figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheCounts {
    /// Rule sets compiled.
    pub compiles: u64,
    /// Rule sets found compiled.
    pub reuses: u64,
    /// Entries evicted.
    pub evicted: u64,
    /// Bytes held now.
    pub bytes: usize,
}

impl CompiledCache {
    /// A cache for `agents` that keeps at most `limit` bytes between
    /// windows.
    #[must_use]
    pub fn new(agents: &AgentSet, limit: usize) -> CompiledCache {
        CompiledCache {
            agents: agents.clone(),
            map: DashMap::default(),
            bytes: AtomicUsize::new(0),
            limit,
            window: AtomicU64::new(0),
            compiles: AtomicU64::new(0),
            reuses: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
        }
    }

    /// A cache that never evicts: for a run that loads its policies at
    /// once.
    #[must_use]
    pub fn unbounded(agents: &AgentSet) -> CompiledCache {
        CompiledCache::new(agents, usize::MAX)
    }

    /// The agents the cache compiles for.
    #[must_use]
    pub fn agents(&self) -> &AgentSet {
        &self.agents
    }

    /// `reading` compiled for the cache's agents: found by its access key,
    /// or compiled now and kept.
    pub fn compiled(&self, reading: &RobotsTxt) -> Compiled {
        self.compiled_as(reading.access_key(), reading)
    }

    /// [`CompiledCache::compiled`] for a caller that has `reading`'s
    /// access key at hand.
    pub fn compiled_as(&self, key: [u8; 32], reading: &RobotsTxt) -> Compiled {
        debug_assert_eq!(key, reading.access_key());
        let window = self.window.load(Ordering::Relaxed);
        if let Some(held) = self.map.get(&key) {
            held.used.store(window, Ordering::Relaxed);
            self.reuses.fetch_add(1, Ordering::Relaxed);
            return held.compiled.clone();
        }
        // Compiled outside the map's lock, which would otherwise hold up
        // other threads' keys in its shard; two threads may then compile
        // one key, and the first kept wins.
        let compiled = compile_one(reading, &self.agents);
        self.compiles.fetch_add(1, Ordering::Relaxed);
        let bytes = ENTRY_OVERHEAD + compiled.as_ref().map_or(0, |c| c.heap_bytes());
        let entry = self.map.entry(key).or_insert_with(|| {
            self.bytes.fetch_add(bytes, Ordering::Relaxed);
            Held {
                compiled,
                bytes,
                used: AtomicU64::new(window),
            }
        });
        entry.compiled.clone()
    }

    /// Ends a window: while the cache holds more than its bound, the
    /// entries least recently used go (those of one window in any order).
    /// Rules a live policy still holds stay alive with it; the cache only
    /// forgets them.
    pub fn next_window(&self) {
        let window = self.window.fetch_add(1, Ordering::Relaxed);
        if self.bytes.load(Ordering::Relaxed) <= self.limit {
            return;
        }
        let mut by_age: Vec<(u64, [u8; 32])> = self
            .map
            .iter()
            .map(|held| (held.used.load(Ordering::Relaxed), *held.key()))
            .collect();
        by_age.sort_unstable_by_key(|&(used, _)| used);
        for (used, key) in by_age {
            if self.bytes.load(Ordering::Relaxed) <= self.limit || used > window {
                break;
            }
            if let Some((_, held)) = self.map.remove(&key) {
                self.bytes.fetch_sub(held.bytes, Ordering::Relaxed);
                self.evicted.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// What the cache did so far.
    #[must_use]
    pub fn counts(&self) -> CacheCounts {
        CacheCounts {
            compiles: self.compiles.load(Ordering::Relaxed),
            reuses: self.reuses.load(Ordering::Relaxed),
            evicted: self.evicted.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agents() -> AgentSet {
        AgentSet::from_names(&["GPTBot".to_owned()]).unwrap()
    }

    #[test]
    fn bodies_that_compile_alike_share_an_entry() {
        let cache = CompiledCache::unbounded(&agents());
        let a = RobotsTxt::parse(b"# one\nUser-agent: GPTBot\nDisallow: /a\n");
        let b = RobotsTxt::parse(b"# two\nUser-agent: GPTBot\nDisallow: /a\n");
        let c = RobotsTxt::parse(b"User-agent: GPTBot\nDisallow: /c\n");
        let first = cache.compiled(&a).unwrap();
        let again = cache.compiled(&b).unwrap();
        assert!(std::sync::Arc::ptr_eq(&first, &again));
        cache.compiled(&c).unwrap();
        let counts = cache.counts();
        assert_eq!((counts.compiles, counts.reuses), (2, 1));
        assert!(counts.bytes > 2 * ENTRY_OVERHEAD);
    }

    #[test]
    fn windows_evict_the_least_recently_used_down_to_the_bound() {
        let bodies: Vec<RobotsTxt> = (0..3)
            .map(|i| RobotsTxt::parse(format!("User-agent: *\nDisallow: /{i}\n").as_bytes()))
            .collect();
        let probe = CompiledCache::unbounded(&agents());
        probe.compiled(&bodies[0]).unwrap();
        let one = probe.counts().bytes;
        // Room for two entries.
        let cache = CompiledCache::new(&agents(), 2 * one + one / 2);
        cache.compiled(&bodies[0]).unwrap();
        cache.compiled(&bodies[1]).unwrap();
        cache.next_window();
        assert_eq!(cache.counts().evicted, 0);
        // Body 0 is used again in the next window; body 1 is older.
        cache.compiled(&bodies[0]).unwrap();
        cache.compiled(&bodies[2]).unwrap();
        cache.next_window();
        let counts = cache.counts();
        assert!(counts.bytes <= 2 * one + one / 2, "{counts:?}");
        assert_eq!(counts.evicted, 1);
        // The two of the last window stay: found, not compiled again.
        let before = cache.counts().compiles;
        cache.compiled(&bodies[0]).unwrap();
        cache.compiled(&bodies[2]).unwrap();
        assert_eq!(cache.counts().compiles, before);
        // Evicted ones compile again, to the same rules.
        let again = cache.compiled(&bodies[1]).unwrap();
        let fresh = probe.compiled(&bodies[1]).unwrap();
        assert_eq!(again.heap_bytes(), fresh.heap_bytes());
    }

    #[test]
    fn a_zero_bound_empties_the_cache_every_window() {
        let cache = CompiledCache::new(&agents(), 0);
        let body = RobotsTxt::parse(b"User-agent: *\nDisallow: /x\n");
        cache.compiled(&body).unwrap();
        cache.next_window();
        assert_eq!(cache.counts().bytes, 0);
        cache.compiled(&body).unwrap();
        assert_eq!(cache.counts().compiles, 2);
    }
}
