//! From a [`RunPlan`] (data) to a [`Prepared`] run: the inputs' kind and
//! row format found, the blocklists loaded, the cache brought up to date
//! for the inputs' origins when asked, the policies opened and the engine
//! built. Every check that can fail before a row is judged fails here.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::agents::Registry;
use crate::blocklist::{self, Blocklists};
use crate::config::{AsOf, FilterConfig};
use crate::corpus::{ChunkReader, Input, RowFormat};
use crate::engine::Engine;
use crate::engine::window::PolicyWindow;
use crate::error::{Error, ErrorKind, Result};
use crate::fetch::refresh::{Refresh, RefreshPlan};
use crate::observe::{Level, Observer, Stage};
use crate::policy::PolicyTally;
use crate::source::PolicySource;

use super::loading::{loads_by_window, loads_only_inputs, loads_whole};

/// How many messages of one kind are shown before they are only counted.
pub(crate) const SHOWN: usize = 10;

/// What kind of corpus an input is: rows (lines) judged in chunks, or a
/// WARC or Parquet file judged record by record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A URL list, JSON Lines or CDXJ.
    Rows,
    /// WARC.
    Warc,
    /// Parquet.
    Parquet,
}

impl InputKind {
    /// The kind of an opened input, from its first (decompressed) bytes,
    /// which stay unread.
    ///
    /// # Errors
    ///
    /// When the input cannot be read, or standard input holds WARC or
    /// Parquet (read from files only).
    pub fn of(input: &mut Input) -> Result<InputKind> {
        let path = input.path.clone();
        let compression = input.compression;
        let head = input.head()?;
        let kind = if compression == crate::corpus::Compression::None
            && crate::engine::parquet::is_parquet(head)
        {
            InputKind::Parquet
        } else if crate::corpus::warc::is_warc(&path, head) {
            InputKind::Warc
        } else {
            InputKind::Rows
        };
        // WARC and Parquet are read from files (gzip members and footers
        // are found by position): from standard input they would be read
        // as lines, and a URL in a response body taken for a row.
        if path.as_os_str() == "-" && kind != InputKind::Rows {
            let name = if kind == InputKind::Warc {
                "WARC"
            } else {
                "Parquet"
            };
            return Err(Error::config(format!(
                "standard input holds {name}, which is read from a file only: give its path"
            )));
        }
        Ok(kind)
    }
}

/// How rows are read: the format asked for and where the URL is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowRequest {
    /// `auto` (from the input's first bytes), `lines`, `jsonl` or `cdxj`.
    pub format: String,
    /// The JSON Lines field of the URL (a dotted path).
    pub url_field: String,
    /// The Parquet column of the URL.
    pub url_column: String,
}

impl Default for RowRequest {
    fn default() -> RowRequest {
        RowRequest {
            format: "auto".into(),
            url_field: "url".into(),
            url_column: "url".into(),
        }
    }
}

impl RowRequest {
    /// The row format of `input`.
    ///
    /// # Errors
    ///
    /// An unknown format, or an input that cannot be read.
    pub fn format_of(&self, input: &mut Input) -> Result<RowFormat> {
        RowFormat::of_input(&self.format, &self.url_field, input)
    }
}

/// The threads a run uses when none are given: one per core.
#[must_use]
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// A run as data: what the command line's flags or a library caller ask
/// for. [`prepare`] turns it into a [`Prepared`] run.
#[derive(Clone, Debug)]
pub struct RunPlan {
    /// The corpora; `-` is standard input. `filter` takes one.
    pub inputs: Vec<PathBuf>,
    /// How rows are read.
    pub rows: RowRequest,
    /// Every choice that changes a decision. Its `format`, `url_field`
    /// and `url_column` are filled in from the first input by [`prepare`].
    pub config: FilterConfig,
    /// Where policies come from.
    pub source: PolicySource,
    /// Blocklists, by name and file.
    pub blocklists: Vec<(String, PathBuf)>,
    /// For a cache source: fetch the inputs' missing or stale origins
    /// first (`None`: use the cache as it is).
    pub refresh: Option<RefreshPlan>,
    /// Worker threads (1: sequential).
    pub threads: usize,
    /// Bytes per work unit (`None`: by the threads,
    /// [`ChunkReader::chunk_size_for`]).
    pub chunk_bytes: Option<usize>,
    /// An indexed snapshot of more origins than this is loaded a window of
    /// this many origins at a time, for inputs of rows (see
    /// [`crate::engine::window`]).
    pub policy_window: usize,
    /// The bound of the compiled rules kept between windows, in MiB.
    pub policy_cache_mb: usize,
}

impl RunPlan {
    /// A plan for `inputs` judged by `config` with policies from `source`;
    /// no blocklists, no fetching, every core.
    #[must_use]
    pub fn new(inputs: Vec<PathBuf>, config: FilterConfig, source: PolicySource) -> RunPlan {
        RunPlan {
            inputs,
            rows: RowRequest::default(),
            config,
            source,
            blocklists: Vec::new(),
            refresh: None,
            threads: default_threads(),
            chunk_bytes: None,
            policy_window: crate::engine::window::DEFAULT_ORIGINS,
            policy_cache_mb: crate::engine::window::DEFAULT_CACHE_MB,
        }
    }

    /// Bytes per work unit.
    #[must_use]
    pub fn chunk_size(&self) -> usize {
        self.chunk_bytes
            .unwrap_or_else(|| ChunkReader::chunk_size_for(self.threads))
    }

    /// The first input.
    ///
    /// # Panics
    ///
    /// When the plan has no input ([`prepare`] refuses such a plan).
    #[must_use]
    pub fn input(&self) -> &Path {
        &self.inputs[0]
    }
}

/// A run ready to judge: the engine and everything reports and manifests
/// say about how it was made.
pub struct Prepared {
    /// The engine.
    pub engine: Engine,
    /// The plan it was prepared from, its configuration resolved (what
    /// the manifest records).
    pub plan: RunPlan,
    /// The first input's kind.
    pub kind: InputKind,
    /// The first input, opened, its first bytes unread.
    pub input: Option<Input>,
    /// Which policies judge.
    pub as_of: AsOf,
    /// For cache runs: the time the policies are in force at, and the
    /// origins read (`None`: all).
    pub from_cache: Option<(crate::time::Millis, Option<Vec<String>>)>,
    /// What the refresh did, when the run fetched.
    pub refresh: Option<Refresh>,
    /// For a run over an indexed snapshot larger than a window: the
    /// policies, loaded a window at a time as the rows are judged (the
    /// engine holds none until then).
    pub window: Option<PolicyWindow>,
}

impl Prepared {
    /// The tally of the policies of the input's origins: those that judged
    /// a row so far, or those the windows loaded for the rows they held.
    /// A source loaded whole (a robots directory, standard input or WARC
    /// over the whole cache) thus counts the input's origins, never the
    /// rest of the cache.
    #[must_use]
    pub fn policy_tally(&self) -> PolicyTally {
        match &self.window {
            Some(window) => window.tally().clone(),
            None => {
                let mut tally = self.engine.named_tally();
                // Earlier policies are held for the whole source.
                tally.earlier = self.engine.snapshot().policies().history_len();
                tally
            }
        }
    }
}

/// Prepares `plan`: finds the first input's kind and row format, checks
/// the configuration, loads the blocklists, refreshes the cache when the
/// plan asks, opens the policies and builds the engine. Warnings (skipped
/// blocklist lines, unusable robots.txt files) go to `observer`.
///
/// # Errors
///
/// A configuration that cannot run, an input, list or source that cannot
/// be read, a refresh that fails or is interrupted.
pub fn prepare(mut plan: RunPlan, observer: &dyn Observer) -> Result<Prepared> {
    if plan.inputs.is_empty() {
        return Err(Error::config("a run needs an input"));
    }
    if plan.threads == 0 {
        return Err(Error::config("--threads must be at least 1"));
    }
    let mut input = Input::open(plan.input())?;
    let kind = InputKind::of(&mut input)?;
    let format = plan.rows.format_of(&mut input)?;
    let as_of = AsOf::parse(&plan.config.as_of)?;
    let config = &mut plan.config;
    config.format = format.name().to_owned();
    config.url_field = match &format {
        RowFormat::JsonLines(path) => Some(path.as_str().to_owned()),
        RowFormat::Lines | RowFormat::Cdxj(_) => None,
    };
    config.url_column = (kind == InputKind::Parquet).then(|| plan.rows.url_column.clone());
    let tokens_readable = kind == InputKind::Parquet || matches!(format, RowFormat::JsonLines(_));
    if config.tokens_field.is_some() && !tokens_readable {
        return Err(Error::config(
            "--tokens-field: token counts are read from JSON Lines records or Parquet columns",
        ));
    }
    if as_of == AsOf::Crawl && !(kind == InputKind::Warc || format.has_crawl_time()) {
        return Err(Error::config(
            "--as-of crawl: the input must say when each record was crawled (WARC or CDXJ)",
        ));
    }
    let registry = Registry::builtin();
    let unknown: Vec<&str> = config
        .agents
        .iter()
        .filter(|n| registry.get(n).is_none())
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        observer.message(
            Level::Note,
            &format!(
                "not in the agent registry (matched by name only): {}",
                unknown.join(", ")
            ),
        );
    }
    let lists = load_blocklists(&plan.blocklists, observer)?;

    let source = &plan.source;
    let mut refresh = None;
    let fetch = match (&plan.refresh, source) {
        (Some(fetch), PolicySource::Cache { .. }) if !matches!(as_of, AsOf::Date(_)) => Some(fetch),
        _ => None,
    };
    // Loading compiles for the run's agents as it parses, so whole parses
    // of every origin are never held at once.
    let agents = plan.config.resolve()?.agents;
    let open = |origins: Option<&[String]>| {
        staged(observer, Stage::Load, || {
            source.open_with(as_of, origins, plan.threads, Some(&agents))
        })
    };
    let scan = || {
        staged(observer, Stage::Scan, || {
            scan_origins(&plan.inputs, &plan.rows, plan.threads)
        })
    };
    if let Some(window) = windowed(&plan, kind, as_of, &agents, observer)? {
        let engine = plan.config.build_compiled(
            crate::policy::PolicySet::new(),
            crate::policy::ByParse::default(),
            Blocklists::new(lists),
            plan.threads,
        )?;
        return Ok(Prepared {
            engine,
            plan,
            kind,
            input: Some(input),
            as_of,
            from_cache: None,
            refresh: None,
            window: Some(window),
        });
    }
    let (opened, origins) = match fetch {
        Some(fetch) => {
            if plan.inputs.iter().any(|i| i.as_os_str() == "-") {
                return Err(Error::config(
                    "fetching reads the input twice (origins first, then rows): give a file, or pass --offline, --snapshot or --robots-dir",
                ));
            }
            let origins = scan()?.origins;
            let fetched = crate::fetch::refresh::refresh(fetch, &origins, observer)?;
            if fetched.interrupted {
                return Err(ErrorKind::Interrupted.into());
            }
            refresh = Some(fetched);
            let origins: Vec<String> = origins.iter().map(ToString::to_string).collect();
            (open(Some(&origins))?, Some(origins))
        }
        // Only the policies the input names are loaded, when the input
        // can be read twice cheaply: rows and Parquet columns are scanned
        // first; standard input and WARC (a scan decompresses every
        // record) load whole.
        // An input the scan cannot read whole (a truncated stream, a
        // missing column) loads every policy instead: the run itself then
        // judges what can be read and names the failure, as it always has.
        None if loads_only_inputs(&plan.inputs, kind) && loads_whole(&plan, as_of) => {
            (open(None)?, None)
        }
        None if loads_only_inputs(&plan.inputs, kind) => {
            match scan() {
                Ok(scan) => {
                    let origins: Vec<String> =
                        scan.origins.iter().map(ToString::to_string).collect();
                    // The scan's own copy goes before the policies load.
                    drop(scan);
                    (open(Some(&origins))?, Some(origins))
                }
                Err(_) => (open(None)?, None),
            }
        }
        None => (open(None)?, None),
    };
    for problem in opened.problems.iter().take(SHOWN) {
        observer.message(
            Level::Warning,
            &format!("`{}`: {}", problem.path.display(), problem.message),
        );
    }
    if opened.problems.len() > SHOWN {
        observer.message(
            Level::Warning,
            &format!(
                "`{}`: {} more files skipped",
                source.path().display(),
                opened.problems.len() - SHOWN
            ),
        );
    }
    let html = opened.html_pages();
    if html > 0 && matches!(source, PolicySource::RobotsDir { .. }) {
        observer.message(
            Level::Note,
            &format!(
                "{html} robots.txt files look like HTML pages; their rule lines, if any, are used"
            ),
        );
    }
    if let Some(header) = &opened.header {
        observer.message(
            Level::Note,
            &format!(
                "snapshot `{}`: {} origins as of {}",
                source.path().display(),
                header.origins,
                header.as_of
            ),
        );
    }
    let from_cache = opened.at.map(|at| (at, origins));
    let engine = plan.config.build_compiled(
        opened.set,
        opened.compiled,
        Blocklists::new(lists),
        plan.threads,
    )?;
    // What loading freed goes back before judging allocates.
    crate::engine::give_back();
    Ok(Prepared {
        engine,
        plan,
        kind,
        input: Some(input),
        as_of,
        from_cache,
        refresh,
        window: None,
    })
}

/// Runs `work` as `stage` of the run, so that a long scan or load shows
/// on the observer.
fn staged<T>(observer: &dyn Observer, stage: Stage, work: impl FnOnce() -> T) -> T {
    observer.start(stage, None);
    let out = work();
    observer.finish(stage);
    out
}

/// The window a run over `plan` loads its policies through, when it
/// loads them a window at a time: rows judged by an indexed snapshot of
/// more origins than a window. Other runs load their input's origins at
/// once: WARC and Parquet are judged record by record on their own paths.
fn windowed(
    plan: &RunPlan,
    kind: InputKind,
    as_of: AsOf,
    agents: &crate::agents::AgentSet,
    observer: &dyn Observer,
) -> Result<Option<PolicyWindow>> {
    let PolicySource::Snapshot { path } = &plan.source else {
        return Ok(None);
    };
    let Some(header) = loads_by_window(path, &plan.inputs, kind, as_of, plan.policy_window)? else {
        return Ok(None);
    };
    observer.message(
        Level::Note,
        &format!(
            "snapshot `{}`: {} origins as of {}, loaded {} at a time as the input names them",
            path.display(),
            header.origins,
            header.as_of,
            plan.policy_window
        ),
    );
    let files = plan.config.resolve()?.files;
    Ok(Some(PolicyWindow::new(
        path,
        agents,
        &files,
        plan.policy_window,
        plan.policy_cache_mb.saturating_mul(1 << 20),
    )))
}

/// Loads each `(name, path)` list, refusing a name given twice; bad and
/// narrowed lines are told to `observer`.
fn load_blocklists(
    lists: &[(String, PathBuf)],
    observer: &dyn Observer,
) -> Result<Vec<blocklist::Blocklist>> {
    let mut names = BTreeSet::new();
    let mut loaded = Vec::with_capacity(lists.len());
    for (name, path) in lists {
        if !names.insert(name.as_str()) {
            return Err(Error::config(format!(
                "--blocklist name `{name}` is given twice"
            )));
        }
        let list = blocklist::load(name, path)?;
        let warn = |line: u64, text: &str| {
            observer.message(
                Level::Warning,
                &format!("`{}` line {line}: {text}", path.display()),
            );
        };
        for bad in list.bad_lines.iter().take(SHOWN) {
            warn(bad.line, &format!("{} (line skipped)", bad.message));
        }
        if list.bad_lines.len() > SHOWN {
            observer.message(
                Level::Warning,
                &format!(
                    "`{}`: {} more bad lines skipped",
                    path.display(),
                    list.bad_lines.len() - SHOWN
                ),
            );
        }
        for narrowed in list.narrowed.iter().take(SHOWN) {
            warn(narrowed.line, &narrowed.message);
        }
        loaded.push(list);
    }
    Ok(loaded)
}

/// The distinct origins of every input, sorted, and the rows that are not
/// http(s) URLs: what a refresh fetches. Each input is scanned as its
/// kind (rows, WARC records, a Parquet column), detected as a run detects
/// it, rows on `threads` threads; `-` is standard input (rows only).
///
/// # Errors
///
/// When an input cannot be read as its kind.
pub fn scan_origins(
    inputs: &[PathBuf],
    rows: &RowRequest,
    threads: usize,
) -> Result<crate::corpus::OriginScan> {
    let mut all = crate::corpus::OriginScan::default();
    for path in inputs {
        let mut input = Input::open(path)?;
        let scan = match InputKind::of(&mut input)? {
            InputKind::Parquet => crate::engine::parquet::scan(path, &rows.url_column)?,
            InputKind::Warc => crate::corpus::warc::scan(path)?,
            InputKind::Rows => {
                let format = rows.format_of(&mut input)?;
                crate::engine::scan::origins(ChunkReader::new(input), &format, threads)?
            }
        };
        all.origins.extend(scan.origins);
        all.invalid += scan.invalid;
    }
    all.origins.sort_unstable();
    all.origins.dedup();
    Ok(all)
}
