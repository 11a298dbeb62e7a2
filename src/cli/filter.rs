//! `optout filter`: judge every URL of a list, keep what may be used, remove
//! the rest with a reason, and account for every row.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use crate::agents::{AgentRule, Registry};
use crate::blocklist::{self, Blocklists};
use crate::cli::say;
use crate::cli::status::{ExitStatus, One, failed};
use crate::config::{self, AsOf, FilterConfig};
use crate::corpus::{ChunkReader, Input};
use crate::corpus::{OnError, RowFormat};
use crate::engine::{self, ChunkResult, Engine, MissingPolicy, Outputs, RunOutcome, Sink};
use crate::error::{Error, ErrorKind, Result};
use crate::output::Destination;
use crate::policy::Access;
use crate::signals::ReasonCode;
use crate::signals::usage::UnknownPolicy;
use crate::source::PolicySource;

/// How many messages of one kind are printed before they are only counted.
const SHOWN: usize = 10;

#[derive(Debug, Args)]
pub(crate) struct FilterArgs {
    /// The corpus: a URL list (one URL per line), JSON Lines (one record
    /// per line, the URL in --url-field) or CDXJ, plain, `.gz` or `.zst`;
    /// `-` for standard input. `filter` takes one; `audit` several.
    #[arg(required = true, num_args = 1.., value_name = "INPUT")]
    inputs: Vec<PathBuf>,

    #[command(flatten)]
    corpus: crate::cli::fetch::CorpusArgs,

    /// Count tokens from this field of each JSON Lines record (a dotted
    /// path) or this integer column of a Parquet file: the stats and the
    /// audit report give tokens kept and removed, by reason.
    #[arg(long, value_name = "PATH")]
    tokens_field: Option<String>,

    /// Rows that are not of their format (a line that is not one JSON
    /// object, a record without a string at --url-field): `skip` counts
    /// them as skipped (`bad-record`, `no-url-field`) and names the first
    /// ones; `fail` stops at the first one with exit 2.
    #[arg(long, default_value = "skip", value_name = "skip|fail")]
    on_error: String,

    /// Directory of robots.txt files, one per host, named `<host>.txt`
    /// (lower-case, punycode); a file applies to every scheme and port of
    /// its host. Offline: the cache is not used.
    #[arg(long, value_name = "DIR", conflicts_with = "snapshot")]
    robots_dir: Option<PathBuf>,

    /// A portable policy snapshot (`optout cache export`) instead of the
    /// cache. Offline.
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,

    /// Use the cache as it is: fetch nothing. Origins not in the cache have
    /// no policy.
    #[arg(long)]
    offline: bool,

    /// Which policies judge: `now` (the default: today's, for every row,
    /// retroactively); `crawl` (WARC and CDXJ: for each record, the policy
    /// its origin had when the record was crawled, from the cache's
    /// history; records crawled before an origin's history starts are
    /// judged by its earliest policy and flagged `later-policy`, records
    /// without a date by today's, flagged `undated`); or a DATE
    /// (`YYYY-MM-DD`, the end of that day UTC, or RFC 3339): the policies
    /// in force then, from the cache's history, offline.
    #[arg(long, value_name = "now|crawl|DATE")]
    as_of: Option<String>,

    #[command(flatten)]
    net: crate::cli::fetch::NetArgs,

    /// A list of domains to exclude, as NAME=PATH (plain domains, hosts
    /// file or adblock `||domain^` lines). Repeatable.
    #[arg(long, value_name = "NAME=PATH")]
    blocklist: Vec<String>,

    /// Agents to enforce, by name, comma-separated (e.g. GPTBot,CCBot).
    /// Added to the agents of --purpose when both are given.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    agents: Vec<String>,

    /// The purpose to enforce: train, search, ai-input (alias user-fetch)
    /// or control-only. Selects every registry agent of that purpose and
    /// the usage statements about it (control-only: train). Default:
    /// train; with only --agents, those agents and train statements.
    #[arg(long, value_name = "PURPOSE")]
    purpose: Option<String>,

    /// What a row with no usage statement about the purpose (`unknown`)
    /// becomes: `keep` (the EU TDM exception is opt-out) or `drop`
    /// (reason usage-unknown). Unknown is counted apart from allowed
    /// either way.
    #[arg(long, default_value = "keep", value_name = "keep|drop")]
    unknown: String,

    /// Read aipref keys of earlier drafts (`ai=n`, `genai=n`,
    /// `train-genai=n`, `tdm=n`, `bots=n`, `all=n`) as `train-ai=n`. They
    /// never count as an allow.
    #[arg(long)]
    legacy_conservative: bool,

    /// Remove a URL when `any` selected agent is disallowed, or only when
    /// `all` are.
    #[arg(long, default_value = "any", value_name = "any|all")]
    agent_rule: String,

    /// What to do with URLs whose host has no robots.txt: `allow` keeps
    /// them, `deny` removes them (reason no-policy), `error` removes them
    /// and fails the run (exit 2).
    #[arg(long, default_value = "error", value_name = "allow|deny|error")]
    missing_policy: String,

    /// Write kept URLs here instead of standard output.
    #[arg(long, value_name = "FILE")]
    kept: Option<PathBuf>,

    /// Write removed rows here as JSON Lines, one object per row with its
    /// reason and evidence.
    #[arg(long, value_name = "FILE")]
    removed: Option<PathBuf>,

    /// Write the run's counts and configuration here as JSON.
    #[arg(long, value_name = "FILE")]
    stats: Option<PathBuf>,

    /// Write the run's manifest here (JSON): every file read and written
    /// with its SHA-256, the resolved configuration, the registry version,
    /// the blocklists' and policies' hashes, and the counts, for `optout
    /// verify`. A cache run also writes the policies it used as a snapshot,
    /// `FILE.policies.jsonl`. The input must be a file.
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,

    /// Write the origins that have no robots.txt policy here, one per line
    /// (`scheme://host[:port]`, a list `optout fetch` accepts).
    #[arg(long, value_name = "FILE", alias = "missing-hosts")]
    missing_origins: Option<PathBuf>,

    /// What the URLs of removed records (the evidence) leave out:
    /// `userinfo` (credentials become `REDACTED@`), `query` (the query
    /// string becomes `?REDACTED`), both comma-separated, or `none`. The
    /// manifest records it.
    /// [default: userinfo]
    #[arg(long, value_name = "userinfo,query|none")]
    redact: Option<String>,

    /// Worker threads; 1 runs sequentially. Default: all cores.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,

    /// Bytes per work unit (for tests of chunk boundaries).
    #[arg(long, hide = true, default_value_t = ChunkReader::DEFAULT_CHUNK)]
    chunk_bytes: usize,

    /// Print nothing on standard error but errors.
    #[arg(long, short)]
    quiet: bool,
}

pub(crate) struct Setup {
    pub(crate) engine: Engine,
    /// The configuration the engine was built from: what the manifest
    /// records.
    pub(crate) config: FilterConfig,
    /// The (first) input's kind.
    pub(crate) kind: InputKind,
    pub(crate) source: &'static str,
    /// For cache runs: the time the policies are in force at, and the
    /// origins read (`None`: all).
    from_cache: Option<(crate::time::Millis, Option<Vec<String>>)>,
    refresh: Option<crate::fetch::refresh::Refresh>,
    /// Which policies judge (`--as-of`).
    pub(crate) as_of: AsOf,
    blocklist_paths: Vec<String>,
}

impl FilterArgs {
    /// Where the run's manifest goes.
    pub(crate) fn manifest(&self) -> Option<&PathBuf> {
        self.manifest.as_ref()
    }

    /// The (first) input.
    pub(crate) fn input(&self) -> &PathBuf {
        &self.inputs[0]
    }

    /// The row outputs and evidence options given (`--kept`, `--removed`,
    /// `--stats`, `--missing-origins`, `--redact`), which `audit` does not
    /// write or use.
    pub(crate) fn row_outputs(&self) -> Vec<&'static str> {
        [
            ("--kept", self.kept.is_some()),
            ("--removed", self.removed.is_some()),
            ("--stats", self.stats.is_some()),
            ("--missing-origins", self.missing_origins.is_some()),
            ("--redact", self.redact.is_some()),
        ]
        .into_iter()
        .filter(|(_, given)| *given)
        .map(|(name, _)| name)
        .collect()
    }

    /// Files the run reads besides its inputs: the snapshot and the
    /// blocklists, which no output may overwrite either.
    pub(crate) fn other_inputs(&self) -> Vec<(&'static str, PathBuf)> {
        let mut read = Vec::new();
        if let Some(snapshot) = &self.snapshot {
            read.push(("--snapshot", snapshot.clone()));
        }
        for list in &self.blocklist {
            if let Ok((_, path)) = parse_blocklist_arg(list) {
                read.push(("--blocklist", path.to_path_buf()));
            }
        }
        if self.robots_dir.is_none() && self.snapshot.is_none() {
            if let Ok(cache) = self.net.cache.path() {
                read.push(("the cache", cache));
            }
        }
        read
    }

    /// Refuses outputs that are an input (or the snapshot, a blocklist,
    /// the cache) or one another. `outputs` are the command's own besides
    /// the manifest and its policy snapshot, which every run may write.
    pub(crate) fn check_outputs(&self, outputs: &[(&'static str, PathBuf)]) -> Result<()> {
        let mut read: Vec<(&str, PathBuf)> = self
            .inputs
            .iter()
            .map(|p| ("the input", p.clone()))
            .collect();
        read.extend(self.other_inputs());
        let mut written = outputs.to_vec();
        if let Some(manifest) = &self.manifest {
            written.push(("--manifest", manifest.clone()));
            let mut snapshot = manifest.clone().into_os_string();
            snapshot.push(".policies.jsonl");
            written.push(("--manifest's policy snapshot", PathBuf::from(snapshot)));
        }
        let read: Vec<(&str, &Path)> = read.iter().map(|(n, p)| (*n, p.as_path())).collect();
        let written: Vec<(&str, &Path)> = written.iter().map(|(n, p)| (*n, p.as_path())).collect();
        crate::output::check_aliasing(&read, &written)
    }

    /// Every input.
    pub(crate) fn inputs(&self) -> &[PathBuf] {
        &self.inputs
    }

    /// How rows are read.
    pub(crate) fn corpus(&self) -> &crate::cli::fetch::CorpusArgs {
        &self.corpus
    }

    /// Whether only errors are printed.
    pub(crate) fn quiet(&self) -> bool {
        self.quiet
    }

    /// Worker threads.
    pub(crate) fn threads(&self) -> usize {
        self.threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        })
    }
}

pub(crate) fn run(args: FilterArgs) -> ExitStatus {
    if args.inputs.len() > 1 {
        say!("error: `filter` takes one input (`optout audit` takes several)");
        return ExitStatus::UserError;
    }
    let mut outputs = vec![(
        "--kept",
        args.kept.clone().unwrap_or_else(|| PathBuf::from("-")),
    )];
    for (name, path) in [
        ("--removed", &args.removed),
        ("--stats", &args.stats),
        ("--missing-origins", &args.missing_origins),
    ] {
        if let Some(path) = path {
            outputs.push((name, path.clone()));
        }
    }
    if let Err(err) = args.check_outputs(&outputs) {
        return failed(&err, One::UserError);
    }
    let prepared = Input::open(args.input()).and_then(|mut input| {
        let kind = InputKind::of(&mut input)?;
        let format = args.corpus.format(&mut input)?;
        Ok((setup(&args, format, kind)?, input))
    });
    let (setup, input) = match prepared {
        Ok(ready) => ready,
        Err(err) => return failed(&err, One::UserError),
    };
    match filter(&args, &setup, input) {
        Ok(status) => status,
        Err(err) => failed(&err, One::UserError),
    }
}

/// A flag's value read by a library parser, its error naming the flag.
fn flag<T>(name: &str, value: &str, parse: fn(&str) -> Result<T>) -> Result<T> {
    parse(value).map_err(|e| Error::config(format!("{name} {e}")))
}

/// The run's configuration from the flags, each value checked and named
/// by its flag when wrong, and the `--as-of` it records.
fn filter_config(
    args: &FilterArgs,
    format: &RowFormat,
    kind: InputKind,
) -> Result<(FilterConfig, AsOf)> {
    let mut config = FilterConfig::for_purpose(args.purpose.as_deref(), &args.agents)?;
    flag("--on-error", &args.on_error, config::parse_on_error)?;
    flag(
        "--missing-policy",
        &args.missing_policy,
        config::parse_missing,
    )?;
    flag("--unknown", &args.unknown, config::parse_unknown)?;
    let _: AgentRule = args.agent_rule.parse()?;
    let as_of = AsOf::parse(args.as_of.as_deref().unwrap_or("now"))?;
    if let Some(field) = &args.tokens_field {
        crate::corpus::json::FieldPath::parse(field)
            .map_err(|e| Error::config(format!("--tokens-field: {e}")))?;
    }
    config.format = format.name().to_owned();
    config.url_field = match format {
        RowFormat::JsonLines(path) => Some(path.as_str().to_owned()),
        RowFormat::Lines | RowFormat::Cdxj(_) => None,
    };
    config.url_column = (kind == InputKind::Parquet).then(|| args.corpus.url_column.clone());
    config.on_error.clone_from(&args.on_error);
    config.agent_rule.clone_from(&args.agent_rule);
    config.missing_policy.clone_from(&args.missing_policy);
    config.unknown.clone_from(&args.unknown);
    config.legacy_conservative = args.legacy_conservative;
    config.files = args
        .net
        .files()?
        .iter()
        .skip(1)
        .map(|f| f.name().to_owned())
        .collect();
    config.as_of = as_of.name();
    config.tokens_field.clone_from(&args.tokens_field);
    config.redact =
        crate::redact::Redaction::parse(args.redact.as_deref().unwrap_or("userinfo"))?.names();
    Ok((config, as_of))
}

/// Where the flags say the policies come from.
pub(crate) fn policy_source(args: &FilterArgs) -> Result<PolicySource> {
    Ok(match (&args.robots_dir, &args.snapshot) {
        (Some(dir), _) => PolicySource::RobotsDir {
            path: dir.clone(),
            shown_as: None,
        },
        (None, Some(path)) => PolicySource::Snapshot { path: path.clone() },
        (None, None) => PolicySource::Cache {
            path: args.net.cache.path()?,
        },
    })
}

pub(crate) fn setup(args: &FilterArgs, format: RowFormat, kind: InputKind) -> Result<Setup> {
    let registry = Registry::builtin();
    let (config, as_of) = filter_config(args, &format, kind)?;
    let tokens_readable = kind == InputKind::Parquet || matches!(format, RowFormat::JsonLines(_));
    if args.tokens_field.is_some() && !tokens_readable {
        return Err(Error::config(
            "--tokens-field: token counts are read from JSON Lines records or Parquet columns",
        ));
    }
    if as_of == AsOf::Crawl && !(kind == InputKind::Warc || format.has_crawl_time()) {
        return Err(Error::config(
            "--as-of crawl: the input must say when each record was crawled (WARC or CDXJ)",
        ));
    }
    if args.manifest.is_some() && args.inputs.iter().any(|i| i.as_os_str() == "-") {
        return Err(Error::config(
            "--manifest needs the input as a file: its hash must be recomputable",
        ));
    }
    if args.threads == Some(0) {
        return Err(Error::config("--threads must be at least 1"));
    }
    if !args.quiet {
        let unknown: Vec<&str> = config
            .agents
            .iter()
            .filter(|n| registry.get(n).is_none())
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            say!(
                "note: not in the agent registry (matched by name only): {}",
                unknown.join(", ")
            );
        }
    }

    let mut lists = Vec::new();
    let mut blocklist_paths = Vec::new();
    let mut names = BTreeSet::new();
    for arg in &args.blocklist {
        let (name, path) = parse_blocklist_arg(arg)?;
        if !names.insert(name) {
            return Err(Error::config(format!(
                "--blocklist name `{name}` is given twice"
            )));
        }
        let list = blocklist::load(name, path)?;
        if !args.quiet {
            warn_blocklist(path, &list);
        }
        blocklist_paths.push(path.display().to_string());
        lists.push(list);
    }

    let source = policy_source(args)?;
    let offline = args.offline || matches!(as_of, AsOf::Date(_));
    let mut refresh = None;
    let (opened, origins) = match &source {
        PolicySource::Cache { .. } if !offline => {
            let (origins, fetched) = refresh_cache(args, &format, kind)?;
            refresh = Some(fetched);
            (source.open(as_of, Some(&origins))?, Some(origins))
        }
        _ => (source.open(as_of, None)?, None),
    };
    if !args.quiet {
        for problem in opened.problems.iter().take(SHOWN) {
            say!("warning: `{}`: {}", problem.path.display(), problem.message);
        }
        if opened.problems.len() > SHOWN {
            say!(
                "warning: `{}`: {} more files skipped",
                source.path().display(),
                opened.problems.len() - SHOWN
            );
        }
        let html = opened.html_pages();
        if html > 0 && matches!(source, PolicySource::RobotsDir { .. }) {
            say!(
                "note: {html} robots.txt files look like HTML pages; their rule lines, if any, are used"
            );
        }
        if let Some(header) = &opened.header {
            say!(
                "note: snapshot `{}`: {} origins as of {}",
                source.path().display(),
                header.origins,
                header.as_of
            );
        }
    }
    let from_cache = opened.at.map(|at| (at, origins));
    let engine = config.build(opened.set, Blocklists::new(lists))?;
    Ok(Setup {
        engine,
        config,
        source: source.name(),
        kind,
        from_cache,
        refresh,
        as_of,
        blocklist_paths,
    })
}

/// Prints a blocklist's skipped and narrowed lines, the first few.
fn warn_blocklist(path: &Path, list: &blocklist::Blocklist) {
    for bad in list.bad_lines.iter().take(SHOWN) {
        say!(
            "warning: `{}` line {}: {} (line skipped)",
            path.display(),
            bad.line,
            bad.message
        );
    }
    if list.bad_lines.len() > SHOWN {
        say!(
            "warning: `{}`: {} more bad lines skipped",
            path.display(),
            list.bad_lines.len() - SHOWN
        );
    }
    for narrowed in list.narrowed.iter().take(SHOWN) {
        say!(
            "warning: `{}` line {}: {}",
            path.display(),
            narrowed.line,
            narrowed.message
        );
    }
}

/// The `--blocklist NAME=PATH`.
pub(crate) fn parse_blocklist_arg(arg: &str) -> Result<(&str, &Path)> {
    let (name, path) = arg
        .split_once('=')
        .ok_or_else(|| Error::config(format!("--blocklist `{arg}`: expected NAME=PATH")))?;
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !valid || path.is_empty() {
        return Err(Error::config(format!(
            "--blocklist `{arg}`: NAME must be letters, digits, `-`, `_` or `.`, and PATH not empty"
        )));
    }
    Ok((name, Path::new(path)))
}

/// Fetches the origins of every input that are missing from the cache or
/// stale; returns them (`https://host[:port]`, sorted) and what the fetch
/// did.
fn refresh_cache(
    args: &FilterArgs,
    format: &RowFormat,
    kind: InputKind,
) -> Result<(Vec<String>, crate::fetch::refresh::Refresh)> {
    if args.inputs.iter().any(|i| i.as_os_str() == "-") {
        return Err(Error::config(
            "fetching reads the input twice (origins first, then rows): give a file, or pass --offline, --snapshot or --robots-dir",
        ));
    }
    let mut scan = match kind {
        InputKind::Parquet => crate::engine::parquet::scan(args.input(), &args.corpus.url_column)?,
        InputKind::Warc => crate::corpus::warc::scan(args.input())?,
        InputKind::Rows => {
            crate::corpus::scan(ChunkReader::new(Input::open(args.input())?), format)?
        }
    };
    for path in &args.inputs[1..] {
        let mut input = Input::open(path)?;
        let format = args.corpus.format(&mut input)?;
        let more = crate::corpus::scan(ChunkReader::new(input), &format)?;
        scan.origins.extend(more.origins);
    }
    scan.origins.sort_unstable();
    scan.origins.dedup();
    let observer = crate::cli::progress::Terminal::new(args.quiet);
    let refresh = crate::fetch::refresh::refresh(&args.net.plan()?, &scan.origins, &observer)?;
    if !args.quiet {
        crate::cli::fetch::report(&refresh);
    }
    if refresh.interrupted {
        return Err(ErrorKind::Interrupted.into());
    }
    Ok((
        scan.origins.iter().map(ToString::to_string).collect(),
        refresh,
    ))
}

/// What kind of corpus an input is: rows (lines) judged in chunks, or a
/// WARC or Parquet file judged record by record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InputKind {
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
    pub(crate) fn of(input: &mut Input) -> Result<InputKind> {
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

/// A writer that hashes what passes.
struct Hashing<'a> {
    inner: &'a mut Destination,
    digest: &'a mut crate::digest::Running,
}

impl std::io::Write for Hashing<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.inner.writer().write_all(bytes)?;
        self.digest.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.writer().flush()
    }
}

/// Filters a WARC input record by record (see [`crate::engine::warc`]).
fn filter_warc(args: &FilterArgs, setup: &Setup, sink: &mut FilterSink) -> Result<RunOutcome> {
    let mut reader = crate::corpus::warc::WarcReader::open(args.input())?;
    let FilterSink {
        kept,
        removed,
        kept_digest,
        removed_digest,
    } = sink;
    let kept = kept.as_mut().expect("the kept output is open");
    let mut kept = Hashing {
        inner: kept,
        digest: kept_digest,
    };
    let mut removed = removed.as_mut().map(|inner| Hashing {
        inner,
        digest: removed_digest,
    });
    let outcome = setup.engine.filter_warc(
        &mut reader,
        &mut kept,
        removed.as_mut().map(|r| r as &mut dyn std::io::Write),
    )?;
    Ok(RunOutcome {
        stats: outcome.stats,
        problems: outcome
            .first_bad
            .into_iter()
            .map(|(line, message)| crate::engine::RowProblem {
                line,
                message,
                skipped: Some(crate::signals::SkipReason::BadRecord),
            })
            .collect(),
        read_error: None,
    })
}

/// Writes the run's manifest (see [`crate::evidence`]).
fn write_manifest(
    args: &FilterArgs,
    setup: &Setup,
    outcome: &RunOutcome,
    path: &Path,
    kept: (String, u64),
    removed: (String, u64),
) -> Result<()> {
    use crate::evidence::FileDigest;
    let mut outputs = BTreeMap::new();
    let written = |path: Option<&PathBuf>, (sha256, bytes): (String, u64)| FileDigest {
        path: path.map_or_else(|| "-".to_owned(), |p| p.display().to_string()),
        sha256,
        bytes,
    };
    outputs.insert("kept".to_owned(), written(args.kept.as_ref(), kept));
    if let Some(removed_path) = &args.removed {
        outputs.insert("removed".to_owned(), written(Some(removed_path), removed));
    }
    if let Some(stats) = &args.stats {
        outputs.insert("stats".to_owned(), FileDigest::of_file(stats)?);
    }
    let counts = serde_json::to_value(outcome.stats.report(setup.engine.agents().names(), 20))
        .expect("counts serialise");
    write_run_manifest(args, setup, "filter", counts, outputs, path)
}

/// Writes a manifest for `command` (`filter` or `audit`) with `outputs`.
pub(crate) fn write_run_manifest(
    args: &FilterArgs,
    setup: &Setup,
    command: &str,
    counts: serde_json::Value,
    outputs: BTreeMap<String, crate::evidence::FileDigest>,
    path: &Path,
) -> Result<()> {
    use crate::evidence::{
        BlocklistDigest, FORMAT, FileDigest, Manifest, PolicySource, robots_dir_digest,
    };
    let engine = &setup.engine;
    let policies = match (&args.robots_dir, &args.snapshot, &setup.from_cache) {
        (Some(dir), _, _) => {
            let set = engine.snapshot().policies();
            PolicySource::RobotsDir {
                path: dir.display().to_string(),
                digest: robots_dir_digest(
                    set.policies()
                        .iter()
                        .map(|p| (p.key.as_str(), p.sha256.as_str())),
                ),
                files: set.len(),
            }
        }
        (None, Some(snapshot), _) => PolicySource::Snapshot {
            file: FileDigest::of_file(snapshot)?,
            exported_at: None,
        },
        (None, None, Some((at, origins))) => {
            let mut file_name = path.as_os_str().to_owned();
            file_name.push(".policies.jsonl");
            let snapshot = PathBuf::from(file_name);
            let cache = crate::cache::Cache::open(&args.net.cache.path()?)?;
            let mut sorted = cache.these_or_all(origins.as_deref())?.into_owned();
            sorted.sort_unstable();
            let mut out = Destination::create(&snapshot)?;
            crate::cache::snapshot::export_origins(
                &cache,
                &sorted,
                *at,
                setup.engine.by_crawl_time(),
                out.writer(),
                &snapshot,
            )?;
            out.finish()?;
            PolicySource::Snapshot {
                file: FileDigest::of_file(&snapshot)?,
                exported_at: Some(crate::time::format(*at)),
            }
        }
        (None, None, None) => {
            return Err(Error::config("the run has no policy source to record"));
        }
    };
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        tool: concat!("optout ", env!("CARGO_PKG_VERSION")).to_owned(),
        created: crate::time::format(crate::time::now()),
        command: command.to_owned(),
        input: FileDigest::of_file(args.input())?,
        more_inputs: args.inputs[1..]
            .iter()
            .map(|p| FileDigest::of_file(p))
            .collect::<Result<_>>()?,
        outputs,
        config: setup.config.clone(),
        registry_version: Registry::builtin().version.clone(),
        blocklists: engine
            .blocklists()
            .lists()
            .iter()
            .zip(&setup.blocklist_paths)
            .map(|(list, path)| {
                Ok(BlocklistDigest {
                    name: list.name.clone(),
                    file: FileDigest::of_file(Path::new(path))?,
                })
            })
            .collect::<Result<_>>()?,
        policies,
        counts,
    };
    let mut out = Destination::create(path)?;
    out.write_all(&serde_json::to_vec_pretty(&manifest).expect("manifest serialises"))?;
    out.write_all(b"\n")?;
    out.finish()
}

struct FilterSink {
    kept: Option<Destination>,
    removed: Option<Destination>,
    /// Digests of what was written, for the manifest.
    kept_digest: crate::digest::Running,
    removed_digest: crate::digest::Running,
}

impl Sink for FilterSink {
    fn chunk(&mut self, result: &ChunkResult) -> Result<()> {
        if let Some(kept) = &mut self.kept {
            kept.write_all(&result.kept)?;
            self.kept_digest.update(&result.kept);
        }
        if let Some(removed) = &mut self.removed {
            removed.write_all(&result.removed)?;
            self.removed_digest.update(&result.removed);
        }
        Ok(())
    }
}

fn filter(args: &FilterArgs, setup: &Setup, input: Input) -> Result<ExitStatus> {
    let reader = ChunkReader::with_chunk_size(input, args.chunk_bytes);
    let parquet = setup.kind == InputKind::Parquet;
    let mut sink = FilterSink {
        // Parquet is written by its own writer.
        kept: if parquet {
            None
        } else {
            Some(match &args.kept {
                Some(path) => Destination::create(path)?,
                None => Destination::stdout(),
            })
        },
        removed: args
            .removed
            .as_deref()
            .map(Destination::create)
            .transpose()?,
        kept_digest: crate::digest::Running::default(),
        removed_digest: crate::digest::Running::default(),
    };
    let outputs = Outputs {
        kept: true,
        removed: sink.removed.is_some(),
        outcomes: false,
    };
    let threads = args.threads();
    let mut kept_digest = None;
    let outcome = if parquet {
        drop(reader);
        let Some(path) = &args.kept else {
            return Err(Error::config(
                "a Parquet input needs --kept FILE for the kept rows (a Parquet file)",
            ));
        };
        let (pending, file) = crate::output::Pending::create(path)?;
        let FilterSink {
            removed,
            removed_digest,
            ..
        } = &mut sink;
        let mut removed = removed.as_mut().map(|inner| Hashing {
            inner,
            digest: removed_digest,
        });
        let stats = setup.engine.filter_parquet(
            args.input(),
            &args.corpus.url_column,
            Some(file),
            removed.as_mut().map(|r| r as &mut dyn std::io::Write),
            threads,
        )?;
        pending.commit()?;
        kept_digest = Some(crate::digest::file_sha256(path)?);
        RunOutcome {
            stats,
            problems: Vec::new(),
            read_error: None,
        }
    } else if setup.kind == InputKind::Warc {
        drop(reader);
        filter_warc(args, setup, &mut sink)?
    } else {
        engine::run(
            &setup.engine,
            reader,
            threads,
            outputs,
            &mut sink,
            &crate::cli::progress::Terminal::new(args.quiet),
        )?
    };
    // A run cut by a read error keeps what it wrote as `NAME.partial`,
    // never under the name a complete output would have.
    let mut partial = Vec::new();
    for destination in [sink.kept.take(), sink.removed.take()]
        .into_iter()
        .flatten()
    {
        if outcome.read_error.is_some() {
            partial.extend(destination.abandon()?);
        } else {
            destination.finish()?;
        }
    }

    let stats = &outcome.stats;
    if let Some(path) = &args.missing_origins {
        let hosts: BTreeSet<&String> = stats.origins_without_policy.iter().collect();
        let mut out = Destination::create(path)?;
        for host in hosts {
            out.write_all(host.as_bytes())?;
            out.write_all(b"\n")?;
        }
        out.finish()?;
    }
    if let Some(path) = &args.stats {
        let document = StatsDocument::new(args, setup, &outcome);
        let mut out = Destination::create(path)?;
        let json = serde_json::to_vec_pretty(&document).expect("stats serialise");
        out.write_all(&json)?;
        out.write_all(b"\n")?;
        out.finish()?;
    }
    if let Some(path) = &args.manifest {
        // A cut input has no manifest: there is nothing complete to vouch
        // for.
        if outcome.read_error.is_none() {
            let kept =
                kept_digest.unwrap_or_else(|| std::mem::take(&mut sink.kept_digest).finish());
            let removed = std::mem::take(&mut sink.removed_digest).finish();
            write_manifest(args, setup, &outcome, path, kept, removed)?;
        }
    }
    if !args.quiet {
        summary(args, &outcome);
    }

    let mut status = ExitStatus::Success;
    if let Some(err) = &outcome.read_error {
        if err.is_interrupted() {
            say!("interrupted");
        } else {
            say!("error: {err}");
        }
        let written = if partial.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = partial
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect();
            format!(" (to {})", names.join(" and "))
        };
        say!(
            "hint: the rows before the {} were judged and written{written}; the rest of the input was not read",
            if err.is_interrupted() {
                "interruption"
            } else {
                "failure"
            }
        );
        status = if err.is_interrupted() {
            ExitStatus::Interrupted
        } else {
            ExitStatus::Failure
        };
    }
    if setup.engine.missing_policy() == MissingPolicy::Error
        && !stats.origins_without_policy.is_empty()
    {
        let mut sample: Vec<&String> = stats.origins_without_policy.iter().collect();
        sample.sort();
        sample.truncate(5);
        say!(
            "error: {} origins have no robots.txt policy ({} rows removed as no-policy), e.g. {}",
            stats.origins_without_policy.len(),
            stats.removed[ReasonCode::NoPolicy.index()],
            sample
                .iter()
                .map(|h| format!("`{h}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        say!(
            "hint: fetch them (`optout fetch`, or filter without --offline), list them with --missing-origins FILE, or pass --missing-policy allow|deny"
        );
        status = ExitStatus::Failure;
    }
    if !stats.check() {
        say!(
            "error: internal: counts do not add up: {} rows read, {} kept, {} removed, {} skipped",
            stats.rows,
            stats.kept,
            stats.removed_total(),
            stats.skipped_total()
        );
        status = ExitStatus::Failure;
    }
    Ok(status)
}

fn summary(args: &FilterArgs, outcome: &RunOutcome) {
    let stats = &outcome.stats;
    for problem in &outcome.problems {
        say!(
            "warning: `{}` line {}: {} (row {})",
            args.input().display(),
            problem.line,
            problem.message,
            match problem.skipped {
                Some(reason) => format!("skipped as {reason}"),
                None => "removed as invalid-url".into(),
            }
        );
    }
    let invalid = stats.removed[ReasonCode::InvalidUrl.index()];
    let named = outcome
        .problems
        .iter()
        .filter(|p| p.skipped.is_none())
        .count() as u64;
    if invalid > named {
        say!(
            "warning: `{}`: {} more invalid rows",
            args.input().display(),
            invalid - named
        );
    }
    say!(
        "optout: {} rows: {} kept, {} removed, {} skipped",
        stats.rows,
        stats.kept,
        stats.removed_total(),
        stats.skipped_total()
    );
    let reasons: Vec<String> = ReasonCode::ALL
        .iter()
        .filter(|c| stats.removed[c.index()] > 0)
        .map(|c| format!("{c} {}", stats.removed[c.index()]))
        .collect();
    if !reasons.is_empty() {
        say!("  removed: {}", reasons.join(", "));
    }
    if stats.kept_without_policy > 0 {
        say!(
            "  kept without a policy (--missing-policy allow): {}",
            stats.kept_without_policy
        );
    }
    let [allowed, unknown, disallowed] = stats.usage;
    if allowed + unknown + disallowed > 0 {
        say!(
            "  usage statements on what robots.txt lets through: {allowed} allowed, {unknown} unknown, {disallowed} disallowed"
        );
    }
}

#[derive(Serialize)]
struct StatsDocument<'a> {
    tool: &'static str,
    version: &'static str,
    input: String,
    registry_version: &'a str,
    agents: &'a [String],
    agent_rule: AgentRule,
    missing_policy: MissingPolicy,
    input_format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url_field: Option<&'a str>,
    /// `now`, `crawl` or the time of `--as-of`.
    as_of: String,
    on_error: OnError,
    usage: UsageConfig,
    policies: PolicySummary,
    fetch: Option<&'a crate::fetch::refresh::Refresh>,
    blocklists: Vec<BlocklistSummary<'a>>,
    #[serde(flatten)]
    counts: engine::stats::Report<'a>,
    read_error: Option<String>,
}

#[derive(Serialize)]
struct UsageConfig {
    purpose: &'static str,
    unknown: &'static str,
    legacy_conservative: bool,
    /// What evidence URLs leave out.
    redact: Vec<String>,
}

#[derive(Serialize)]
struct PolicySummary {
    source: &'static str,
    origins: usize,
    unavailable: usize,
    unreachable: usize,
    html: usize,
    truncated: usize,
    /// Earlier policies held for runs by crawl time.
    #[serde(skip_serializing_if = "Option::is_none")]
    earlier: Option<usize>,
    /// Per file: origins by state (`read`, `absent`, `unreachable`,
    /// `not-fetched`).
    files: BTreeMap<&'static str, BTreeMap<&'static str, usize>>,
}

#[derive(Serialize)]
struct BlocklistSummary<'a> {
    name: &'a str,
    path: &'a str,
    sha256: &'a str,
    entries: usize,
    bad_lines: usize,
}

impl<'a> StatsDocument<'a> {
    fn new(args: &FilterArgs, setup: &'a Setup, outcome: &'a RunOutcome) -> Self {
        let engine = &setup.engine;
        let policies = engine.snapshot().policies().policies();
        let notes = |f: fn(&crate::signals::robots::ParseNotes) -> bool| {
            policies
                .iter()
                .filter(|p| matches!(&p.access, Access::Rules(r) if f(&r.notes)))
                .count()
        };
        StatsDocument {
            tool: "optout",
            version: env!("CARGO_PKG_VERSION"),
            input: args.input().display().to_string(),
            registry_version: &Registry::builtin().version,
            agents: engine.agents().names(),
            agent_rule: engine.agent_rule(),
            missing_policy: engine.missing_policy(),
            input_format: engine.format().name(),
            url_field: match engine.format() {
                RowFormat::JsonLines(path) => Some(path.as_str()),
                RowFormat::Lines | RowFormat::Cdxj(_) => None,
            },
            on_error: engine.on_error(),
            as_of: setup.as_of.name(),
            usage: UsageConfig {
                purpose: engine.usage_options().purpose.as_str(),
                unknown: match engine.usage_options().unknown {
                    UnknownPolicy::Keep => "keep",
                    UnknownPolicy::Drop => "drop",
                },
                legacy_conservative: engine.usage_options().legacy_conservative,
                redact: engine.redaction().names(),
            },
            fetch: setup.refresh.as_ref(),
            policies: PolicySummary {
                source: setup.source,
                origins: policies.len(),
                unavailable: policies
                    .iter()
                    .filter(|p| matches!(p.access, Access::Unavailable { .. }))
                    .count(),
                unreachable: policies
                    .iter()
                    .filter(|p| matches!(p.access, Access::Unreachable { .. }))
                    .count(),
                html: notes(|n| n.html),
                truncated: notes(|n| n.truncated),
                earlier: Some(engine.snapshot().policies().history_len()).filter(|&n| n > 0),
                files: {
                    let mut files: BTreeMap<&'static str, BTreeMap<&'static str, usize>> =
                        BTreeMap::new();
                    for p in policies {
                        for (name, state) in [
                            ("tdmrep.json", tdmrep_state(&p.files.tdmrep)),
                            ("ai.txt", p.files.ai_txt.state()),
                            ("rsl", p.files.rsl.state()),
                        ] {
                            *files.entry(name).or_default().entry(state).or_default() += 1;
                        }
                    }
                    files
                },
            },
            blocklists: engine
                .blocklists()
                .lists()
                .iter()
                .zip(&setup.blocklist_paths)
                .map(|(list, path)| BlocklistSummary {
                    name: &list.name,
                    path,
                    sha256: &list.sha256,
                    entries: list.entries.len(),
                    bad_lines: list.bad_lines.len(),
                })
                .collect(),
            counts: outcome.stats.report(engine.agents().names(), 20),
            read_error: outcome.read_error.as_ref().map(ToString::to_string),
        }
    }
}

/// The state of an origin's tdmrep.json for the stats: as any file's, and
/// `unreadable` for one that is broken past its first rules.
fn tdmrep_state(
    state: &crate::policy::files::FileState<crate::signals::tdmrep::TdmRepFile>,
) -> &'static str {
    match state {
        crate::policy::files::FileState::Read { parsed, .. } if parsed.unreadable.is_some() => {
            "unreadable"
        }
        state => state.state(),
    }
}
