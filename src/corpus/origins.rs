//! The distinct origins of a corpus: what `optout fetch` (and `filter`
//! before it judges) has to know the robots.txt of. Memory grows with the
//! distinct origins, not with the rows.

use std::collections::HashSet;

use crate::corpus::{Chunk, ChunkReader, RowFormat, RowUrl};
use crate::error::Result;
use crate::origin::{Origin, UrlParser};

/// What a scan found.
#[derive(Debug, Default)]
pub struct OriginScan {
    /// The distinct origins, sorted.
    pub origins: Vec<Origin>,
    /// Rows read.
    pub rows: u64,
    /// Rows that are not URLs optout can judge.
    pub invalid: u64,
    /// Rows with no URL: blank, comments, records not of their format.
    pub skipped: u64,
}

/// Collects the origins of chunks: one per thread, merged at the end.
#[derive(Debug, Default)]
pub struct Scanner {
    key: Vec<u8>,
    keys: HashSet<Vec<u8>, foldhash::fast::RandomState>,
    parser: UrlParser,
    json: crate::corpus::json::Scratch,
    rows: u64,
    invalid: u64,
    skipped: u64,
}

impl Scanner {
    /// Reads every row of `chunk` as `format`.
    pub fn chunk(&mut self, chunk: &Chunk, format: &RowFormat) {
        for (_, line) in chunk.lines() {
            self.rows += 1;
            let text = match format.url_of(line, &mut self.json) {
                RowUrl::Url(text) => text,
                RowUrl::Skip(_) | RowUrl::Bad(..) => {
                    self.skipped += 1;
                    continue;
                }
            };
            match self.parser.parse_bytes(text) {
                Ok(url) => {
                    crate::origin::write_origin_key(&url, &mut self.key);
                    // Most rows repeat a known origin: look up before
                    // copying the key.
                    if !self.keys.contains(&self.key) {
                        self.keys.insert(self.key.clone());
                    }
                }
                Err(_) => self.invalid += 1,
            }
        }
    }

    /// Adds what `other` found.
    pub fn merge(&mut self, other: Scanner) {
        self.rows += other.rows;
        self.invalid += other.invalid;
        self.skipped += other.skipped;
        if self.keys.len() < other.keys.len() {
            let mine = std::mem::replace(&mut self.keys, other.keys);
            self.keys.extend(mine);
        } else {
            self.keys.extend(other.keys);
        }
    }

    /// The distinct origins found so far.
    #[must_use]
    pub fn distinct(&self) -> usize {
        self.keys.len()
    }

    /// The origin keys found, in no order.
    #[must_use]
    pub fn into_keys(self) -> Vec<String> {
        self.keys
            .into_iter()
            .map(|key| String::from_utf8(key).expect("origin keys are ASCII"))
            .collect()
    }

    /// The origins found, sorted, and the counts.
    #[must_use]
    pub fn finish(self) -> OriginScan {
        let mut origins: Vec<Origin> = self
            .keys
            .into_iter()
            .map(|key| {
                let key = String::from_utf8(key).expect("origin keys are ASCII");
                Origin::parse_key(&key).expect("origin keys parse back")
            })
            .collect();
        origins.sort_unstable();
        OriginScan {
            origins,
            rows: self.rows,
            invalid: self.invalid,
            skipped: self.skipped,
        }
    }
}

/// Reads every row of `reader` and collects the origins of its URLs.
/// Rows that are not URLs are counted, not errors.
///
/// # Errors
///
/// When the input cannot be read or decompressed.
pub fn scan(mut reader: ChunkReader, format: &RowFormat) -> Result<OriginScan> {
    let mut scanner = Scanner::default();
    let mut chunk = Chunk::default();
    while reader.next_chunk(&mut chunk)? {
        scanner.chunk(&chunk, format);
    }
    Ok(scanner.finish())
}
