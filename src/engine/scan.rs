//! The origin scan on the engine's threads: chunks read on their own
//! thread, scanned a batch at a time in parallel, each thread's origins
//! merged. The same origins as [`crate::corpus::scan`], in the same order.

use rayon::prelude::*;

use crate::corpus::origins::Scanner;
use crate::corpus::{Chunk, ChunkReader, OriginScan, RowFormat};
use crate::error::Result;

/// [`crate::corpus::scan`] on `threads` threads.
///
/// # Errors
///
/// When the input cannot be read or decompressed, or the threads cannot
/// start.
pub fn origins(reader: ChunkReader, format: &RowFormat, threads: usize) -> Result<OriginScan> {
    if threads <= 1 {
        return crate::corpus::scan(reader, format);
    }
    let pool = crate::engine::pool(threads, "scan")?;
    std::thread::scope(|scope| -> Result<OriginScan> {
        let receiver = super::run::read_ahead(scope, reader, threads);
        let mut all = Scanner::default();
        let mut batch = Vec::with_capacity(threads);
        loop {
            batch.clear();
            while batch.len() < threads {
                match receiver.recv() {
                    // A scan is whole or fails: the rows before an error
                    // are not enough to know every origin.
                    Ok((_, Some(err))) => return Err(err),
                    Ok((chunk, None)) => batch.push(chunk),
                    Err(_) => break,
                }
            }
            if batch.is_empty() {
                break;
            }
            self::batch(Some(&pool), &batch, |chunk| chunk, format, &mut all);
        }
        Ok(all.finish())
    })
}

/// Adds the origins of the chunks of `items` to `scanner`, on `pool` when
/// there is one (each thread scans into its own, then they merge).
pub(crate) fn batch<T: Sync>(
    pool: Option<&rayon::ThreadPool>,
    items: &[T],
    chunk: impl Fn(&T) -> &Chunk + Sync,
    format: &RowFormat,
    scanner: &mut Scanner,
) {
    let Some(pool) = pool else {
        for item in items {
            scanner.chunk(chunk(item), format);
        }
        return;
    };
    let part = pool.install(|| {
        items
            .par_iter()
            .fold(Scanner::default, |mut scanner, item| {
                scanner.chunk(chunk(item), format);
                scanner
            })
            .reduce(Scanner::default, |mut a, b| {
                a.merge(b);
                a
            })
    });
    scanner.merge(part);
}
