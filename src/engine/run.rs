//! The ordered run over a whole input: chunks read on their own thread,
//! judged a batch at a time on the engine's pool (or in sequence with one
//! thread), and handed to the sink in input order, with the observer told
//! the rows judged and asked whether to stop between batches.

use std::sync::mpsc;

use rayon::prelude::*;

use crate::corpus::{Chunk, ChunkReader, OnError};
use crate::engine::{ChunkResult, Engine, MAX_PROBLEMS, Outputs, RowProblem, Scratch, Sink, Stats};
use crate::error::{Error, Result};

/// What a run produced besides the sink's output.
#[derive(Debug)]
pub struct RunOutcome {
    /// Counts over every row read.
    pub stats: Stats,
    /// The first invalid rows, for messages.
    pub problems: Vec<RowProblem>,
    /// What ended the input early: a read error, or the observer's request
    /// to stop ([`crate::ErrorKind::Interrupted`]). Rows before it were
    /// judged and handed to the sink; none after.
    pub read_error: Option<Error>,
}

impl RunOutcome {
    /// Nothing judged yet, for `agents` agents.
    pub(crate) fn new(agents: usize) -> RunOutcome {
        RunOutcome {
            stats: Stats::new(agents),
            problems: Vec::new(),
            read_error: None,
        }
    }
}

/// Judges every row `reader` yields with `threads` threads (1: sequential,
/// no rayon), handing results to `sink` in input order. `observer` hears
/// the rows judged after each batch of chunks, and is asked then whether
/// to stop.
///
/// # Errors
///
/// When the sink fails or the thread pool cannot be built. A read error is
/// not an error of the run: rows before it are judged and it is returned in
/// [`RunOutcome::read_error`]; so is a stop the observer asked for.
pub fn run(
    engine: &Engine,
    reader: ChunkReader,
    threads: usize,
    outputs: Outputs,
    sink: &mut dyn Sink,
    observer: &dyn crate::observe::Observer,
) -> Result<RunOutcome> {
    use crate::observe::Stage;
    observer.start(Stage::Judge, None);
    let _finished = Finished(observer);
    let meter = reader.meter().clone();
    let stopped = || -> Option<Error> {
        observer
            .cancelled()
            .then(|| crate::error::ErrorKind::Interrupted.into())
    };
    let mut outcome = RunOutcome::new(engine.agents.len());
    let mut absorb = Absorb::new(engine, reader.path(), sink);
    if threads <= 1 {
        let mut reader = reader;
        let mut scratch = Scratch::default();
        let mut chunk = Chunk::default();
        let mut result = ChunkResult::default();
        loop {
            match reader.next_chunk(&mut chunk) {
                Ok(true) => {}
                Ok(false) => break,
                Err(err) => {
                    engine.process_chunk(&chunk, outputs, &mut scratch, &mut result);
                    absorb.take(&mut result, &mut outcome)?;
                    outcome.read_error = Some(err);
                    break;
                }
            }
            engine.process_chunk(&chunk, outputs, &mut scratch, &mut result);
            absorb.take(&mut result, &mut outcome)?;
            observer.progress(Stage::Judge, outcome.stats.rows, "");
            observer.read(Stage::Judge, meter.read(), meter.total());
            if let Some(stop) = stopped() {
                outcome.read_error = Some(stop);
                break;
            }
        }
        return Ok(outcome);
    }

    let pool = crate::engine::pool(threads, "engine")?;
    // One chunk per thread per batch; the reader (and decompressor) runs on
    // its own thread and stays at most one batch ahead, so reading overlaps
    // judging and memory stays at about three batches of chunks.
    let batch = threads;
    std::thread::scope(|scope| -> Result<RunOutcome> {
        let receiver = read_ahead(scope, reader, batch);
        let mut pending: Vec<(Chunk, Option<Error>)> = Vec::with_capacity(batch);
        let mut results: Vec<ChunkResult> = Vec::new();
        loop {
            pending.clear();
            while pending.len() < batch {
                match receiver.recv() {
                    Ok(item) => {
                        let failed = item.1.is_some();
                        pending.push(item);
                        if failed {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
            if pending.is_empty() {
                break;
            }
            judge(Some(&pool), engine, &pending, outputs, &mut results);
            for result in &mut results {
                absorb.take(result, &mut outcome)?;
            }
            if let Some(err) = pending.iter_mut().find_map(|(_, e)| e.take()) {
                outcome.read_error = Some(err);
                break;
            }
            observer.progress(Stage::Judge, outcome.stats.rows, "");
            observer.read(Stage::Judge, meter.read(), meter.total());
            if let Some(stop) = stopped() {
                outcome.read_error = Some(stop);
                break;
            }
        }
        // Dropping the receiver stops the reader thread at its next send.
        drop(receiver);
        Ok(outcome)
    })
}

/// Judges `chunks` into `results`, one per chunk in order, on `pool` when
/// there is one.
pub(crate) fn judge(
    pool: Option<&rayon::ThreadPool>,
    engine: &Engine,
    chunks: &[(Chunk, Option<Error>)],
    outputs: Outputs,
    results: &mut Vec<ChunkResult>,
) {
    match pool {
        None => {
            results.clear();
            let mut scratch = Scratch::default();
            for (chunk, _) in chunks {
                let mut result = ChunkResult::default();
                engine.process_chunk(chunk, outputs, &mut scratch, &mut result);
                results.push(result);
            }
        }
        Some(pool) => pool.install(|| {
            chunks
                .par_iter()
                .map_init(Scratch::default, |scratch, (chunk, _)| {
                    let mut result = ChunkResult::default();
                    engine.process_chunk(chunk, outputs, scratch, &mut result);
                    result
                })
                .collect_into_vec(results);
        }),
    }
}

/// Takes each chunk's result in input order: the sink writes it, the
/// outcome counts it.
pub(crate) struct Absorb<'a> {
    path: std::path::PathBuf,
    fail: bool,
    sink: &'a mut dyn Sink,
}

impl<'a> Absorb<'a> {
    pub(crate) fn new(engine: &Engine, path: &std::path::Path, sink: &'a mut dyn Sink) -> Self {
        Absorb {
            path: path.to_path_buf(),
            fail: engine.on_error == OnError::Fail,
            sink,
        }
    }

    /// Hands `result` to the sink and counts it into `outcome`.
    ///
    /// # Errors
    ///
    /// When the sink fails, or under `--on-error fail` at a chunk with a
    /// bad row.
    pub(crate) fn take(
        &mut self,
        result: &mut ChunkResult,
        outcome: &mut RunOutcome,
    ) -> Result<()> {
        // Under `--on-error fail` nothing of a chunk with a bad row is
        // written: the run stops at it.
        if let Some(bad) = result.first_bad.as_ref().filter(|_| self.fail) {
            return Err(crate::error::ErrorKind::Record {
                path: self.path.clone(),
                line: bad.line,
                message: format!("{} (--on-error fail)", bad.message),
            }
            .into());
        }
        self.sink.chunk(result)?;
        outcome.stats += std::mem::take(&mut result.stats);
        let room = MAX_PROBLEMS.saturating_sub(outcome.problems.len());
        outcome
            .problems
            .extend(result.problems.drain(..).take(room));
        Ok(())
    }
}

/// Tells the observer the judging is over however the run ends.
pub(crate) struct Finished<'a>(pub(crate) &'a dyn crate::observe::Observer);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.finish(crate::observe::Stage::Judge);
    }
}

/// Reads `reader`'s chunks on a thread of `scope`, at most `depth` ahead
/// of the receiver. The chunk read when an error struck comes with it
/// (its complete rows are judged); the thread stops at the first error,
/// at the end, or when the receiver is dropped.
pub(crate) fn read_ahead<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    reader: ChunkReader,
    depth: usize,
) -> mpsc::Receiver<(Chunk, Option<Error>)> {
    let (sender, receiver) = mpsc::sync_channel(depth);
    scope.spawn(move || {
        let mut reader = reader;
        loop {
            let mut chunk = Chunk::default();
            match reader.next_chunk(&mut chunk) {
                Ok(true) => {
                    if sender.send((chunk, None)).is_err() {
                        return;
                    }
                }
                Ok(false) => return,
                Err(err) => {
                    let _ = sender.send((chunk, Some(err)));
                    return;
                }
            }
        }
    });
    receiver
}
