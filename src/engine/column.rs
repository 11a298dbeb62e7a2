//! Deciding a column of URLs (a Parquet batch): the rows are cut into
//! slices judged in parallel on the engine's rayon pool, each with its own
//! scratch, and the results are put back in row order, so a parallel run
//! gives the same mask, records and counts as a sequential one.

use rayon::prelude::*;

use crate::engine::{Decision, Engine, Scratch, Stats};
use crate::signals::SkipReason;

/// Rows per parallel slice.
const SLICE: usize = 8192;

/// What deciding a column gave.
#[derive(Debug, Default)]
pub struct ColumnResult {
    /// Per row: kept.
    pub keep: Vec<bool>,
    /// Removed rows as JSON Lines, in row order (when asked for).
    pub removed: Vec<u8>,
    /// Counts.
    pub stats: Stats,
}

impl Engine {
    /// Decides `urls` (`None`: a null cell, skipped as `no-url-field`),
    /// whose first row is number `first_row` (1-based), on `pool`;
    /// `tokens`, when given, holds each row's token count.
    pub fn decide_column(
        &self,
        urls: &[Option<&[u8]>],
        tokens: Option<&[Option<u64>]>,
        first_row: u64,
        removed: bool,
        pool: &rayon::ThreadPool,
    ) -> ColumnResult {
        let parts: Vec<ColumnResult> = pool.install(|| {
            urls.par_chunks(SLICE)
                .enumerate()
                .map_init(Scratch::default, |scratch, (index, slice)| {
                    let start = index * SLICE;
                    let tokens = tokens.map(|t| &t[start..start + slice.len()]);
                    let first = first_row + start as u64;
                    self.decide_slice(slice, tokens, first, removed, scratch)
                })
                .collect()
        });
        let mut result = ColumnResult {
            keep: Vec::with_capacity(urls.len()),
            stats: Stats::new(self.agents.len()),
            ..ColumnResult::default()
        };
        for part in parts {
            result.keep.extend(part.keep);
            result.removed.extend(part.removed);
            result.stats += part.stats;
        }
        result
    }

    fn decide_slice(
        &self,
        urls: &[Option<&[u8]>],
        tokens: Option<&[Option<u64>]>,
        first_row: u64,
        removed: bool,
        scratch: &mut Scratch,
    ) -> ColumnResult {
        let mut out = ColumnResult {
            keep: Vec::with_capacity(urls.len()),
            stats: Stats::new(self.agents.len()),
            ..ColumnResult::default()
        };
        let mut problems = Vec::new();
        for (i, url) in urls.iter().enumerate() {
            let number = first_row + i as u64;
            out.stats.rows += 1;
            let Some(url) = url else {
                out.stats.skipped[SkipReason::NoUrlField.index()] += 1;
                out.keep.push(false);
                continue;
            };
            match self.decide(url, scratch) {
                Decision::Keep {
                    without_policy,
                    usage,
                } => {
                    if let Some(tokens) = tokens {
                        out.stats.count_tokens(tokens[i], None);
                    }
                    out.stats.kept += 1;
                    out.stats.kept_without_policy += u64::from(without_policy);
                    out.stats.count_usage(usage);
                    out.keep.push(true);
                }
                Decision::Skip(reason) => {
                    out.stats.skipped[reason.index()] += 1;
                    out.keep.push(false);
                }
                Decision::Remove(removal) => {
                    if let crate::engine::Evidence::Usage { pref, .. } = &removal.evidence {
                        out.stats.count_usage(*pref);
                    }
                    if let Some(tokens) = tokens {
                        out.stats.count_tokens(tokens[i], Some(removal.reason));
                    }
                    self.count_removal(&removal, number, true, &mut out.stats, &mut problems);
                    if removed {
                        self.write_removed(url, number, &removal, &mut out.removed);
                    }
                    out.keep.push(false);
                }
            }
        }
        out
    }
}
