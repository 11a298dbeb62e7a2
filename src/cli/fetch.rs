//! `optout fetch`: fetch the robots.txt of every origin of a corpus into
//! the cache, and the network options `filter` shares with it.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::cli::progress::Terminal;
use crate::cli::say;
use crate::cli::status::{ExitStatus, One, failed};
use crate::error::{Error, Result};
use crate::fetch::refresh::{Refresh, RefreshPlan, refresh};
use crate::fetch::{FetchOptions, ResolveRule, RetryPolicy};
use crate::origin::SiteFile;
use crate::output::Destination;
use crate::source::PolicySource;
use crate::time;

/// Where the cache lives and how origins are fetched; shared by `fetch`,
/// `filter` and `cache`.
#[derive(Clone, Debug, Args)]
pub(crate) struct CacheArg {
    /// The policy cache, a SQLite file. Default: $OPTOUT_CACHE, else
    /// $XDG_CACHE_HOME/optout/cache.sqlite, else
    /// ~/.cache/optout/cache.sqlite.
    #[arg(long, value_name = "FILE", env = "OPTOUT_CACHE")]
    pub(crate) cache: Option<PathBuf>,
}

impl CacheArg {
    pub(crate) fn path(&self) -> Result<PathBuf> {
        if let Some(path) = &self.cache {
            return Ok(path.clone());
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
            .ok_or_else(|| {
                Error::config("no cache location: pass --cache FILE or set OPTOUT_CACHE")
            })?;
        Ok(base.join("optout").join("cache.sqlite"))
    }
}

/// How rows of a corpus are read, shared by `filter` and `fetch`.
#[derive(Clone, Debug, Args)]
pub(crate) struct CorpusArgs {
    /// The row format of a row input: `auto` (CDXJ for `.cdxj` names or a
    /// first line `SURT TIMESTAMP {json}`; JSON Lines for `.jsonl`,
    /// `.ndjson` or `.json` names, or content starting with `{`; else a URL
    /// list), `lines`, `jsonl` or `cdxj`. WARC and Parquet files are told
    /// by their bytes whatever this says.
    #[arg(long, default_value = "auto", value_name = "auto|lines|jsonl|cdxj")]
    pub(crate) format: String,

    /// The JSON Lines field holding the URL, as a dotted path
    /// (`metadata.url` for Dolma).
    #[arg(long, default_value = "url", value_name = "PATH")]
    pub(crate) url_field: String,

    /// The Parquet column holding the URL (a string column).
    #[arg(long, default_value = "url", value_name = "NAME")]
    pub(crate) url_column: String,
}

impl CorpusArgs {
    /// How rows are read, as a run plan takes it.
    pub(crate) fn rows(&self) -> crate::run::RowRequest {
        crate::run::RowRequest {
            format: self.format.clone(),
            url_field: self.url_field.clone(),
            url_column: self.url_column.clone(),
        }
    }
}

/// Network options.
#[derive(Clone, Debug, Args)]
pub(crate) struct NetArgs {
    #[command(flatten)]
    pub(crate) cache: CacheArg,

    /// Fetch again origins whose last fetch is older than this (RFC 9309
    /// §2.4: at most 24 hours). `0` fetches everything again.
    #[arg(long, default_value = "24h", value_name = "DURATION")]
    pub(crate) max_age: String,

    /// Fetch again, after this long, a robots.txt (or other file) whose
    /// last fetch found it unreachable (DNS, network, 429, 5xx); four
    /// times longer after each further unreachable fetch in a row, never
    /// longer than --max-age. A server's Retry-After is always waited for
    /// (up to --max-age). `0` retries them at every run.
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    pub(crate) retry_unreachable: String,

    /// The User-Agent header. Name your operation and a contact, e.g.
    /// 'optout/0.1 (+https://example.org/crawler)'.
    #[arg(long, value_name = "TEXT")]
    user_agent: Option<String>,

    /// Origins fetched at once (one request at a time per host whatever
    /// this is).
    #[arg(long, default_value_t = 256, value_name = "N")]
    concurrency: usize,

    /// Time allowed for one request, body included.
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    timeout: String,

    /// Time allowed for one origin, retries and redirects included.
    #[arg(long, default_value = "60s", value_name = "DURATION")]
    deadline: String,

    /// Retries of an unreachable robots.txt (429, 5xx, network errors).
    #[arg(long, default_value_t = 2, value_name = "N")]
    retries: u32,

    /// First backoff delay; doubled at each retry, replaced by the
    /// server's Retry-After when it sends one (at most 60 s).
    #[arg(long, default_value = "1s", value_name = "DURATION")]
    retry_base: String,

    /// Per-origin files fetched besides robots.txt, comma-separated:
    /// `tdmrep.json` (/.well-known/tdmrep.json, TDMRep) and `ai.txt`
    /// (Spawning); `none` for robots.txt only. They are not asked for when
    /// robots.txt is unreachable (the origin is disallowed anyway).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "tdmrep.json,ai.txt",
        value_name = "FILES"
    )]
    files: Vec<String>,

    /// RSL license documents: `record` notes robots.txt's `License` URL;
    /// `fetch` also fetches, caches and reads the document, so that a
    /// license that does not permit the purpose (or cannot be had)
    /// removes rows with reason `rsl`.
    #[arg(long, default_value = "record", value_name = "record|fetch")]
    rsl: String,

    /// Send hosts matching PATTERN to ADDR:PORT instead of resolving them,
    /// like curl's --resolve: `host`, `*.suffix` or `*`; ADDR `-` makes
    /// them fail as unresolvable. Repeatable; the first match wins.
    #[arg(long, value_name = "PATTERN=ADDR:PORT")]
    resolve: Vec<String>,

    /// Connect to loopback, private, link-local and other non-public
    /// addresses too. By default a host (or redirect) that leads to one is
    /// refused and recorded as `blocked-address` (unreachable: its URLs
    /// are removed); `--resolve` targets are always allowed.
    #[arg(long)]
    allow_private: bool,
}

impl NetArgs {
    /// The files to fetch per origin, robots.txt first.
    pub(crate) fn files(&self) -> Result<Vec<SiteFile>> {
        let mut files = vec![SiteFile::Robots];
        for name in &self.files {
            if name == "none" {
                continue;
            }
            let file: SiteFile = name
                .parse()
                .map_err(|e: String| Error::config(format!("--files: {e}")))?;
            if !files.contains(&file) {
                files.push(file);
            }
        }
        match self.rsl.as_str() {
            "record" => files.retain(|f| *f != SiteFile::Rsl),
            "fetch" => {
                if !files.contains(&SiteFile::Rsl) {
                    files.push(SiteFile::Rsl);
                }
            }
            other => {
                return Err(Error::config(format!(
                    "--rsl `{other}`: expected record or fetch"
                )));
            }
        }
        Ok(files)
    }

    /// The per-origin files besides robots.txt, by name, as a
    /// configuration records them.
    pub(crate) fn file_names(&self) -> Result<Vec<String>> {
        Ok(self
            .files()?
            .iter()
            .skip(1)
            .map(|f| f.name().to_owned())
            .collect())
    }

    /// Where policies come from: a robots directory, a snapshot, or else
    /// this cache.
    pub(crate) fn source(
        &self,
        robots_dir: Option<&PathBuf>,
        snapshot: Option<&PathBuf>,
    ) -> Result<PolicySource> {
        Ok(match (robots_dir, snapshot) {
            (Some(dir), _) => PolicySource::RobotsDir {
                path: dir.clone(),
                shown_as: None,
            },
            (None, Some(path)) => PolicySource::Snapshot { path: path.clone() },
            (None, None) => PolicySource::Cache {
                path: self.cache.path()?,
            },
        })
    }

    pub(crate) fn max_age(&self) -> Result<Duration> {
        time::parse_duration(&self.max_age)
    }

    /// The refresh these options ask for.
    pub(crate) fn plan(&self) -> Result<RefreshPlan> {
        Ok(RefreshPlan {
            cache: self.cache.path()?,
            files: self.files()?,
            schedule: crate::cache::freshness::Schedule {
                max_age: self.max_age()?,
                unreachable_retry: time::parse_duration(&self.retry_unreachable)?,
            },
            options: self.options()?,
        })
    }

    pub(crate) fn options(&self) -> Result<FetchOptions> {
        let mut options = FetchOptions::default();
        if let Some(agent) = &self.user_agent {
            if !agent.to_ascii_lowercase().contains("optout") {
                return Err(Error::config(
                    "--user-agent must contain the product token `optout` (RFC 9309 §2.2.1 asks crawlers to name themselves)",
                ));
            }
            options.user_agent.clone_from(agent);
        }
        options.concurrency = self.concurrency;
        options.allow_private = self.allow_private;
        options.timeout = time::parse_duration(&self.timeout)?;
        options.deadline = time::parse_duration(&self.deadline)?;
        options.retry = RetryPolicy {
            retries: self.retries,
            base: time::parse_duration(&self.retry_base)?,
            ..RetryPolicy::default()
        };
        options.resolve = self
            .resolve
            .iter()
            .map(|r| r.parse::<ResolveRule>())
            .collect::<Result<_>>()?;
        if options.timeout.is_zero() || options.deadline.is_zero() {
            return Err(Error::config(
                "--timeout and --deadline must be more than 0",
            ));
        }
        Ok(options)
    }
}

/// `--max-unreachable`: how many unreachable robots.txt files a run
/// accepts before it fails.
#[derive(Clone, Debug, Args)]
pub(crate) struct UnreachableArg {
    /// Fail (exit 2) when more than this share (0 to 1) of the origins
    /// have an unreachable robots.txt: their rows are all removed as
    /// robots-unreachable, which after a network failure is most of a
    /// corpus. Without it, a share over one half is a warning.
    #[arg(long, value_name = "SHARE", value_parser = share)]
    max_unreachable: Option<f64>,
}

fn share(text: &str) -> std::result::Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("`{text}` is not a share from 0 to 1 (e.g. 0.2)")),
    }
}

impl UnreachableArg {
    /// Says so when `unreachable` of `origins` is more than half, or more
    /// than `--max-unreachable`; returns whether the run fails for it.
    pub(crate) fn failed(&self, unreachable: usize, origins: usize, quiet: bool) -> bool {
        if origins == 0 || unreachable == 0 {
            return false;
        }
        let share = unreachable as f64 / origins as f64;
        let fails = self.max_unreachable.is_some_and(|max| share > max);
        if !fails && (quiet || share <= 0.5) {
            return false;
        }
        say!(
            "{}: {unreachable} of {origins} origins ({:.0}%) have an unreachable robots.txt, so all their rows are removed as robots-unreachable{}",
            if fails { "error" } else { "warning" },
            share * 100.0,
            match self.max_unreachable {
                Some(max) => format!(" (--max-unreachable {max})"),
                None => String::new(),
            }
        );
        say!(
            "hint: is the network down or blocked? `optout cache show HOST` shows each fetch's outcome; unreachable ones are fetched again 5 minutes after the first failure (--retry-unreachable), backing off after that"
        );
        fails
    }
}

#[derive(Debug, Args)]
pub(crate) struct FetchArgs {
    /// The corpus whose origins to fetch, of any kind `filter` reads (a URL
    /// list, JSON Lines, CDXJ, WARC or Parquet, detected the same way);
    /// `-` for standard input (rows only).
    input: PathBuf,

    #[command(flatten)]
    corpus: CorpusArgs,

    #[command(flatten)]
    net: NetArgs,

    #[command(flatten)]
    unreachable: UnreachableArg,

    /// Print the summary as JSON on standard output.
    #[arg(long)]
    json: bool,

    /// Print nothing on standard error but errors; no progress bar.
    #[arg(long, short)]
    quiet: bool,
}

pub(crate) fn run(args: &FetchArgs) -> ExitStatus {
    match fetch(args) {
        Ok(refresh) => {
            if refresh.interrupted {
                ExitStatus::Interrupted
            } else if args
                .unreachable
                .failed(refresh.unreachable(), refresh.origins, args.quiet)
            {
                ExitStatus::Failure
            } else {
                ExitStatus::Success
            }
        }
        Err(err) => failed(&err, One::UserError),
    }
}

fn fetch(args: &FetchArgs) -> Result<Refresh> {
    // Bad options fail now, not after a scan of a large input.
    args.net.options()?;
    let scan = crate::run::scan_origins(
        std::slice::from_ref(&args.input),
        &args.corpus.rows(),
        crate::run::default_threads(),
    )?;
    if !args.quiet && scan.invalid > 0 {
        say!(
            "note: `{}`: {} rows are not http(s) URLs and were left out",
            args.input.display(),
            scan.invalid
        );
    }
    let observer = Terminal::new(args.quiet);
    let refresh = refresh(&args.net.plan()?, &scan.origins, &observer)?;
    if args.json {
        let mut out = Destination::stdout();
        out.write_all(&serde_json::to_vec(&refresh).expect("summary serialises"))?;
        out.write_all(b"\n")?;
        out.finish()?;
    }
    if !args.quiet {
        report(&refresh);
    }
    Ok(refresh)
}

/// Says what a refresh did, on standard error.
pub(crate) fn report(refresh: &Refresh) {
    say!("optout: {}", refresh.summary());
    if refresh.interrupted {
        say!(
            "interrupted: {} origins unfinished; run the same command again to fetch only those",
            refresh.unfinished
        );
    }
}
