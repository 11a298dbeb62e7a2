//! Policies by key without a second copy of each key: a table of
//! positions, hashed and compared through the keys the policies hold. A
//! million origins' keys would otherwise be held twice (about 60 MB).

use std::hash::BuildHasher;

use hashbrown::HashTable;

/// Positions of policies, found by their keys.
#[derive(Clone, Debug, Default)]
pub struct KeyIndex {
    table: HashTable<u32>,
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
        self.table.find(hash, |&at| key_at(at) == key).copied()
    }

    /// Records that `key` is at `at`; it must not be in the index yet.
    pub fn insert<'k>(&mut self, key: &str, at: u32, key_at: impl Fn(u32) -> &'k str) {
        let hash = self.hasher.hash_one(key);
        let hasher = &self.hasher;
        self.table
            .insert_unique(hash, at, |&at| hasher.hash_one(key_at(at)));
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
        let keys: Vec<String> = (0..10_000).map(|i| format!("https://h{i}.test")).collect();
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
