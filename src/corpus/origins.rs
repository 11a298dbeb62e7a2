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

/// Reads every row of `reader` and collects the origins of its URLs.
/// Rows that are not URLs are counted, not errors.
///
/// # Errors
///
/// When the input cannot be read or decompressed.
pub fn scan(mut reader: ChunkReader, format: &RowFormat) -> Result<OriginScan> {
    let mut key = Vec::new();
    let mut keys: HashSet<Vec<u8>, foldhash::fast::RandomState> = HashSet::default();
    let mut parser = UrlParser::new();
    let mut chunk = Chunk::default();
    let mut scan = OriginScan::default();
    let mut json = crate::corpus::json::Scratch::default();
    while reader.next_chunk(&mut chunk)? {
        for (_, line) in chunk.lines() {
            scan.rows += 1;
            let text = match format.url_of(line, &mut json) {
                RowUrl::Url(text) => text,
                RowUrl::Skip(_) | RowUrl::Bad(..) => {
                    scan.skipped += 1;
                    continue;
                }
            };
            match parser.parse_bytes(text) {
                Ok(url) => {
                    crate::origin::write_origin_key(&url, &mut key);
                    // Most rows repeat a known origin: look up before
                    // copying the key.
                    if !keys.contains(&key) {
                        keys.insert(key.clone());
                    }
                }
                Err(_) => scan.invalid += 1,
            }
        }
    }
    scan.origins = keys
        .into_iter()
        .map(|key| {
            let key = String::from_utf8(key).expect("origin keys are ASCII");
            Origin::parse_key(&key).expect("origin keys parse back")
        })
        .collect();
    scan.origins.sort_unstable();
    Ok(scan)
}
