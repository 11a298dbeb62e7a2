//! The distinct hosts of a chunk: each origin key (with the policy that
//! decides it, in runs by crawl time) gets a dense id, so that the chunk
//! processor can sort rows by host with a counting sort.
//!
//! Interning runs once per row, in input order, where consecutive rows
//! rarely share a host. A general hash map spreads one lookup over its
//! control bytes, its slot, and the key's bytes and span elsewhere: with
//! thousands of hosts those are four or five cache misses per row, which
//! profiles showed as a fifth of the decision core. Here a slot is one
//! cache line holding the hash, the id and the key's first bytes, so a
//! lookup touches one line (two for the rare key longer than
//! [`INLINE_KEY`]), and [`HostTable::prefetch`] lets the caller start
//! loading it while earlier rows are still being parsed.
//!
//! Ids are exact: a slot matches only on equal hash, tag, length and bytes.

use std::hash::BuildHasher;

use crate::engine::as_of;

/// Key bytes kept in the slot itself: origin keys up to this length
/// (`https://` and a 36-byte host) are compared without leaving the line.
pub(crate) const INLINE_KEY: usize = 44;

/// Marks a free slot.
const FREE: u32 = u32::MAX;

/// The fewest slots a table has.
const MIN_SLOTS: usize = 1024;

/// One open-addressing slot: a cache line.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Slot {
    hash: u64,
    /// The host's id, or [`FREE`].
    id: u32,
    tag: u32,
    len: u32,
    /// The key's first bytes, zero-padded.
    head: [u8; INLINE_KEY],
}

const EMPTY: Slot = Slot {
    hash: 0,
    id: FREE,
    tag: 0,
    len: 0,
    head: [0; INLINE_KEY],
};

/// The first [`INLINE_KEY`] bytes of `key`, zero-padded. Keys of equal
/// length with equal heads agree on their first `INLINE_KEY` bytes.
#[inline]
fn head_of(key: &[u8]) -> [u8; INLINE_KEY] {
    let mut head = [0; INLINE_KEY];
    let n = key.len().min(INLINE_KEY);
    head[..n].copy_from_slice(&key[..n]);
    head
}

/// The distinct hosts of a chunk (see the module doc).
pub(crate) struct HostTable {
    /// Host keys, back to back; ASCII, as the URL parser writes them.
    arena: String,
    /// Per id: the key's range in `arena`.
    spans: Vec<(u32, u32)>,
    /// Per id: which policy decides ([`as_of::CURRENT`] unless the run
    /// goes by crawl time, where one origin may have several).
    tags: Vec<u32>,
    /// Per id: its slot, so that clearing touches only used slots.
    slot_of: Vec<u32>,
    /// Linear probing; the length is a power of two, at least twice the
    /// number of hosts.
    slots: Vec<Slot>,
    state: foldhash::fast::FixedState,
}

impl Default for HostTable {
    fn default() -> HostTable {
        HostTable {
            arena: String::new(),
            spans: Vec::new(),
            tags: Vec::new(),
            slot_of: Vec::new(),
            slots: vec![EMPTY; MIN_SLOTS],
            state: foldhash::fast::FixedState::default(),
        }
    }
}

impl std::fmt::Debug for HostTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostTable")
            .field("hosts", &self.spans.len())
            .field("slots", &self.slots.len())
            .finish_non_exhaustive()
    }
}

impl HostTable {
    /// Forgets every host, keeping the allocations.
    pub(crate) fn clear(&mut self) {
        for &slot in &self.slot_of {
            self.slots[slot as usize].id = FREE;
        }
        self.arena.clear();
        self.spans.clear();
        self.tags.clear();
        self.slot_of.clear();
    }

    /// The number of distinct hosts.
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    /// The key of host `id`.
    pub(crate) fn get(&self, id: u32) -> &str {
        let (start, end) = self.spans[id as usize];
        &self.arena[start as usize..end as usize]
    }

    /// Which policy decides host `id`.
    pub(crate) fn tag(&self, id: u32) -> u32 {
        self.tags[id as usize]
    }

    /// The hash [`HostTable::intern`] wants for `key` decided by policy
    /// `tag`.
    #[inline]
    pub(crate) fn hash(&self, key: &[u8], tag: u32) -> u64 {
        let hash = self.state.hash_one(key);
        if tag == as_of::CURRENT {
            hash
        } else {
            self.state.hash_one((hash, tag))
        }
    }

    /// Starts loading the slot where a lookup of `hash` begins, so that
    /// [`HostTable::intern`] finds it in cache. Only a hint.
    #[inline]
    pub(crate) fn prefetch(&self, hash: u64) {
        super::prefetch::prefetch(&self.slots[home(hash, self.slots.len() - 1)]);
    }

    /// The id of `key` decided by policy `tag`, added if new; `hash` is
    /// [`HostTable::hash`] of both. `key` is ASCII (an origin key).
    pub(crate) fn intern(&mut self, key: &[u8], tag: u32, hash: u64) -> u32 {
        let head = head_of(key);
        let len = u32::try_from(key.len()).expect("origin keys are short");
        let mask = self.slots.len() - 1;
        let mut at = home(hash, mask);
        loop {
            let slot = &self.slots[at];
            if slot.id == FREE {
                break;
            }
            if slot.hash == hash
                && slot.tag == tag
                && slot.len == len
                && slot.head == head
                && (key.len() <= INLINE_KEY
                    || self.get(slot.id).as_bytes()[INLINE_KEY..] == key[INLINE_KEY..])
            {
                return slot.id;
            }
            at = (at + 1) & mask;
        }
        let id = u32::try_from(self.spans.len()).expect("fewer hosts than rows");
        let start = to_u32(self.arena.len());
        self.arena
            .push_str(std::str::from_utf8(key).expect("origin keys are ASCII"));
        self.spans.push((start, to_u32(self.arena.len())));
        self.tags.push(tag);
        self.slot_of.push(to_u32(at));
        self.slots[at] = Slot {
            hash,
            id,
            tag,
            len,
            head,
        };
        if self.spans.len() * 2 > self.slots.len() {
            self.grow();
        }
        id
    }

    /// Doubles the slots and puts every host back.
    fn grow(&mut self) {
        let doubled = vec![EMPTY; self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, doubled);
        let mask = self.slots.len() - 1;
        for at in &mut self.slot_of {
            let slot = old[*at as usize];
            let mut to = home(slot.hash, mask);
            while self.slots[to].id != FREE {
                to = (to + 1) & mask;
            }
            self.slots[to] = slot;
            *at = to_u32(to);
        }
    }
}

/// Where a lookup of `hash` starts in a table of `mask + 1` slots.
#[inline]
fn home(hash: u64, mask: usize) -> usize {
    // Folding in the high bits, which foldhash mixes best.
    (hash >> 32 ^ hash) as usize & mask
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).expect("a chunk's hosts are far below 4 GiB")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intern(table: &mut HostTable, key: &str) -> u32 {
        let hash = table.hash(key.as_bytes(), as_of::CURRENT);
        table.intern(key.as_bytes(), as_of::CURRENT, hash)
    }

    #[test]
    fn ids_are_dense_and_stable() {
        let mut table = HostTable::default();
        let a = intern(&mut table, "https://a.example");
        let b = intern(&mut table, "https://b.example");
        assert_eq!((a, b), (0, 1));
        assert_eq!(intern(&mut table, "https://a.example"), a);
        assert_eq!(table.get(b), "https://b.example");
        assert_eq!(table.len(), 2);
        table.clear();
        assert_eq!(table.len(), 0);
        assert_eq!(intern(&mut table, "https://b.example"), 0, "cleared");
    }

    #[test]
    fn ids_are_exact_even_when_hashes_collide() {
        let mut table = HostTable::default();
        // Every key under one hash: only the bytes can tell them apart.
        let long = format!("https://{}.example", "x".repeat(60));
        let longer = format!("https://{}.example", "x".repeat(61));
        let twin = format!("https://{}.exampla", "x".repeat(60));
        let keys = [
            "https://a.example",
            "https://b.example",
            &long,
            &longer,
            &twin,
        ];
        let ids: Vec<u32> = keys
            .iter()
            .map(|k| table.intern(k.as_bytes(), as_of::CURRENT, 7))
            .collect();
        assert_eq!(ids, [0, 1, 2, 3, 4]);
        for (key, id) in keys.iter().zip(&ids) {
            assert_eq!(table.intern(key.as_bytes(), as_of::CURRENT, 7), *id);
            assert_eq!(table.get(*id), *key);
        }
        // The same key under another policy is another host.
        assert_eq!(table.intern(b"https://a.example", 3, 7), 5);
        assert_eq!(table.tag(5), 3);
        assert_eq!(table.intern(b"https://a.example", as_of::CURRENT, 7), 0);
    }

    #[test]
    fn growing_keeps_every_id() {
        let mut table = HostTable::default();
        let keys: Vec<String> = (0..10_000)
            .map(|i| format!("https://h{i}.example"))
            .collect();
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(intern(&mut table, key) as usize, i);
        }
        assert!(table.slots.len() >= 2 * keys.len());
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(intern(&mut table, key) as usize, i, "{key}");
        }
        table.clear();
        assert!(table.slots.iter().all(|s| s.id == FREE));
    }
}
