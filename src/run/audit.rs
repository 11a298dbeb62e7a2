//! An audit run: every row of every input judged and counted, nothing
//! written; for a run by crawl time, counted again by today's policies.

use crate::corpus::{ChunkReader, Input};
use crate::engine::{self, ChunkResult, Engine, Outputs, Sink, Stats};
use crate::error::{Error, Result};
use crate::observe::Observer;
use crate::run::{InputKind, Prepared};

/// What an audit counted.
#[derive(Debug)]
pub struct Audited {
    /// Every input's counts, added.
    pub stats: Stats,
    /// For a run by crawl time: the same rows judged by today's policies.
    pub now: Option<Stats>,
}

/// Judges and counts every row of every input of `prepared`; by crawl
/// time, twice (see [`Audited::now`]).
///
/// # Errors
///
/// An input that cannot be read or is cut (an audit counts whole inputs
/// only), or a stop `observer` asked for.
pub fn audit(prepared: &mut Prepared, observer: &dyn Observer) -> Result<Audited> {
    let crawl = prepared.engine.by_crawl_time();
    if crawl && prepared.plan.inputs.iter().any(|p| p.as_os_str() == "-") {
        return Err(Error::config(
            "audit --as-of crawl reads every input twice (by crawl time, then by today's policies): give files",
        ));
    }
    let stats = count_all(prepared, observer)?;
    // By crawl time, the report sets today's verdicts beside: the same
    // rows, the same engine, each origin's current policy.
    let now = if crawl {
        prepared.engine.set_crawl_time(false);
        let now = count_all(prepared, observer);
        prepared.engine.set_crawl_time(true);
        Some(now?)
    } else {
        None
    };
    Ok(Audited { stats, now })
}

fn count_all(prepared: &mut Prepared, observer: &dyn Observer) -> Result<Stats> {
    let mut stats = Stats::new(prepared.engine.agents().len());
    let Prepared {
        engine,
        plan,
        input,
        window,
        ..
    } = prepared;
    for path in &plan.inputs {
        let input = match input.take() {
            Some(input) => input,
            None => Input::open(path)?,
        };
        stats += count_input(
            engine,
            window.as_mut(),
            input,
            |input| plan.rows.format_of(input),
            &plan.rows.url_column,
            plan.threads,
            observer,
        )?;
    }
    Ok(stats)
}

struct Discard;

impl Sink for Discard {
    fn chunk(&mut self, _: &ChunkResult) -> Result<()> {
        Ok(())
    }
}

/// Judges every row or record of `input` and counts, writing nothing: URL
/// lists, JSON Lines and CDXJ (rows in the format `row_format` picks),
/// WARC records, Parquet rows (URLs in `url_column`). With a `window`,
/// rows are judged by the policies it loads a window at a time.
pub fn count_input(
    engine: &mut Engine,
    window: Option<&mut crate::engine::window::PolicyWindow>,
    mut input: Input,
    row_format: impl FnOnce(&mut Input) -> Result<crate::corpus::RowFormat>,
    url_column: &str,
    threads: usize,
    observer: &dyn crate::observe::Observer,
) -> Result<Stats> {
    let path = input.path.clone();
    let path = path.as_path();
    match InputKind::of(&mut input)? {
        InputKind::Rows => {
            engine.set_format(row_format(&mut input)?);
            let reader = ChunkReader::with_chunk_size(input, ChunkReader::chunk_size_for(threads));
            let outcome = engine::window::run(
                engine,
                window,
                reader,
                threads,
                Outputs::default(),
                &mut Discard,
                observer,
            )?;
            match outcome.read_error {
                Some(err) => Err(err),
                None => Ok(outcome.stats),
            }
        }
        InputKind::Warc => {
            drop(input);
            let mut reader = crate::corpus::warc::WarcReader::open(path)?;
            Ok(engine
                .filter_warc(&mut reader, &mut std::io::sink(), None, observer)?
                .stats)
        }
        InputKind::Parquet => {
            drop(input);
            engine.filter_parquet(path, url_column, None, None, threads, observer)
        }
    }
}
