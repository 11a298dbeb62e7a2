//! The origin scan on the engine's threads: chunks read on their own
//! thread, scanned a batch at a time in parallel, each thread's origins
//! merged. The same origins as [`crate::corpus::scan`], in the same order.

use rayon::prelude::*;

use crate::corpus::origins::Scanner;
use crate::corpus::{ChunkReader, OriginScan, RowFormat};
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
            let part = pool.install(|| {
                batch
                    .par_iter()
                    .fold(Scanner::default, |mut scanner, chunk| {
                        scanner.chunk(chunk, format);
                        scanner
                    })
                    .reduce(Scanner::default, |mut a, b| {
                        a.merge(b);
                        a
                    })
            });
            all.merge(part);
        }
        Ok(all.finish())
    })
}
