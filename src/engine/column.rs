//! Deciding a column of URLs (a Parquet batch): the rows are cut into
//! slices judged in parallel on the engine's rayon pool by the chunk
//! processor, each with its own scratch, and the results are put back in
//! row order, so a parallel run gives the same mask, records and counts as
//! a sequential one.

use rayon::prelude::*;

use crate::engine::chunk::Rows;
use crate::engine::{ChunkResult, Engine, Outputs, Scratch, Stats};

/// Rows per parallel slice at least; a column is cut into one slice per
/// thread above that, so that each slice holds as many of a host's rows as
/// it can.
const SLICE: usize = 16_384;

/// What deciding a column gave.
#[derive(Debug, Default)]
pub struct ColumnResult {
    /// Per row: kept.
    pub keep: Vec<bool>,
    /// Removed rows as JSON Lines, in row order (when asked for).
    pub removed: Vec<u8>,
    /// Per row, its outcome (when asked for).
    pub outcomes: Vec<crate::engine::row_code::RowOutcome>,
    /// Counts.
    pub stats: Stats,
}

/// A worker's buffers: the slice's cells back to back, their spans, and
/// the chunk machinery's own.
#[derive(Debug, Default)]
struct Worker {
    data: Vec<u8>,
    spans: Vec<Option<(u32, u32)>>,
    scratch: Scratch,
    result: ChunkResult,
}

/// Buffers that [`Engine::decide_column`] keeps from one batch to the
/// next: a batch's slices need tens of megabytes, and getting them fresh
/// from the allocator for every batch cost a tenth of the time in page
/// faults.
#[derive(Debug, Default)]
pub struct ColumnScratch {
    workers: Vec<Worker>,
}

impl Engine {
    /// Decides `urls` (`None`: a null cell, skipped as `no-url-field`),
    /// whose first row is number `first_row` (1-based), on `pool`;
    /// `tokens`, when given, holds each row's token count; `outputs` says
    /// whether removed records and per-row outcomes are wanted (kept rows
    /// are the `keep` mask); `scratch` is reused across calls.
    ///
    /// Each slice goes through the chunk processor
    /// ([`Engine::process_chunk`] judges lines the same way): host by
    /// host, so that a host's rules stay in cache while its rows are
    /// matched.
    pub fn decide_column(
        &self,
        urls: &[Option<&[u8]>],
        tokens: Option<&[Option<u64>]>,
        first_row: u64,
        outputs: Outputs,
        pool: &rayon::ThreadPool,
        scratch: &mut ColumnScratch,
    ) -> ColumnResult {
        let outputs = Outputs {
            kept: false,
            ..outputs
        };
        let size = urls
            .len()
            .div_ceil(pool.current_num_threads().max(1))
            .max(SLICE);
        let slices = urls.len().div_ceil(size);
        if scratch.workers.len() < slices {
            scratch.workers.resize_with(slices, Worker::default);
        }
        let parts: Vec<ColumnResult> = pool.install(|| {
            urls.par_chunks(size)
                .zip(scratch.workers.par_iter_mut())
                .enumerate()
                .map(|(index, (slice, worker))| {
                    let start = index * size;
                    worker.data.clear();
                    worker.spans.clear();
                    for url in slice {
                        worker.spans.push(url.map(|url| {
                            let at = worker.data.len();
                            worker.data.extend_from_slice(url);
                            (to_u32(at), to_u32(url.len()))
                        }));
                    }
                    let rows = Rows::Cells {
                        data: &worker.data,
                        spans: &worker.spans,
                        tokens: tokens.map(|t| &t[start..start + slice.len()]),
                    };
                    let first = first_row + start as u64;
                    self.judge_rows(
                        rows,
                        first,
                        outputs,
                        &mut worker.scratch,
                        &mut worker.result,
                    );
                    ColumnResult {
                        keep: std::mem::take(&mut worker.result.keep),
                        removed: std::mem::take(&mut worker.result.removed),
                        outcomes: std::mem::take(&mut worker.result.outcomes),
                        stats: std::mem::take(&mut worker.result.stats),
                    }
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
            result.outcomes.extend(part.outcomes);
            result.stats += part.stats;
        }
        result
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).expect("a slice of cells is far below 4 GiB")
}
