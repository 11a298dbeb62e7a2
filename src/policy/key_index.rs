//! Policies by key without a second copy of each key: a table of
//! positions, hashed and compared through the keys the policies hold. A
//! million origins' keys would otherwise be held twice (about 60 MB).
//!
//! Each slot also holds the key's first bytes, so that a lookup of a key
//! of up to [`HEAD`] bytes (most origins) is settled in the table, without
//! reaching into the policy record and then its key: runs look a host up
//! once per chunk, and those two cache misses made the lookup twice as
//! slow as a map holding its keys.

use std::hash::BuildHasher;

use hashbrown::HashTable;

/// Key bytes a slot holds.
const HEAD: usize = 26;

/// A position, with its key's length and first bytes (zero-padded).
#[derive(Clone, Copy, Debug)]
struct Slot {
    at: u32,
    len: u16,
    head: [u8; HEAD],
}

impl Slot {
    fn new(key: &str, at: u32) -> Slot {
        let mut head = [0; HEAD];
        let n = key.len().min(HEAD);
        head[..n].copy_from_slice(&key.as_bytes()[..n]);
        Slot {
            at,
            // Longer keys compare whole through `key_at`.
            len: u16::try_from(key.len()).unwrap_or(u16::MAX),
            head,
        }
    }

    /// Whether this slot holds `key`, whose slot would be `probe`.
    fn holds<'k>(&self, key: &str, probe: &Slot, key_at: &impl Fn(u32) -> &'k str) -> bool {
        self.len == probe.len
            && self.head == probe.head
            && (key.len() <= HEAD || key_at(self.at) == key)
    }
}

/// Positions of policies, found by their keys.
#[derive(Clone, Debug, Default)]
pub struct KeyIndex {
    table: HashTable<Slot>,
    hasher: foldhash::fast::RandomState,
}

impl KeyIndex {
    /// An index with room for `n` keys.
    #[must_use]
    pub fn with_capacity(n: usize) -> KeyIndex {
        KeyIndex {
            table: HashTable::with_capacity(n),
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// The position of `key`, where `key_at` gives the key at a position.
    pub fn get<'k>(&self, key: &str, key_at: impl Fn(u32) -> &'k str) -> Option<u32> {
        let hash = self.hasher.hash_one(key);
        let probe = Slot::new(key, 0);
        self.table
            .find(hash, |slot| slot.holds(key, &probe, &key_at))
            .map(|slot| slot.at)
    }

    /// Records that `key` is at `at`; it must not be in the index yet.
    pub fn insert<'k>(&mut self, key: &str, at: u32, key_at: impl Fn(u32) -> &'k str) {
        let hash = self.hasher.hash_one(key);
        let hasher = &self.hasher;
        self.table.insert_unique(hash, Slot::new(key, at), |slot| {
            hasher.hash_one(key_at(slot.at))
        });
    }

    /// Keys held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.table.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_key_at_its_position() {
        // Short keys, and long ones that share their first bytes.
        let keys: Vec<String> = (0..10_000)
            .map(|i| format!("https://h{i}.test"))
            .chain((0..1_000).map(|i| format!("https://a-long-shared-prefix.example/{i}")))
            .collect();
        let mut index = KeyIndex::with_capacity(4);
        for (at, key) in keys.iter().enumerate() {
            index.insert(key, at as u32, |at| keys[at as usize].as_str());
        }
        assert_eq!(index.len(), keys.len());
        for (at, key) in keys.iter().enumerate() {
            assert_eq!(
                index.get(key, |at| keys[at as usize].as_str()),
                Some(at as u32)
            );
        }
        assert_eq!(
            index.get("https://h10000.test", |at| keys[at as usize].as_str()),
            None
        );
    }
}
