//! `optout filter`: judge every URL of a list, keep what may be used, remove
//! the rest with a reason, and account for every row.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::agents::AgentRule;
use crate::cli::progress::Terminal;
use crate::cli::say;
use crate::cli::status::{ExitStatus, One, failed};
use crate::config::{self, AsOf, FilterConfig};
use crate::engine::{MissingPolicy, RunOutcome};
use crate::error::{Error, Result};
use crate::run::{self, FilterOutputs, Filtered, Prepared, RunPlan};
use crate::signals::ReasonCode;
use crate::source::PolicySource;

/// `filter`'s command line: the run's options, shared with `audit`, and
/// the row outputs only `filter` writes.
#[derive(Debug, Args)]
pub(crate) struct FilterCommand {
    #[command(flatten)]
    args: FilterArgs,

    #[command(flatten)]
    rows: RowOutputArgs,
}

/// Where `filter` writes rows and what their evidence leaves out. Apart
/// from the run's options so that `audit`, which writes a report, neither
/// lists nor takes them.
#[derive(Debug, Args)]
pub(crate) struct RowOutputArgs {
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
}

/// The run's options, shared by `filter` and `audit`.
#[derive(Debug, Args)]
pub(crate) struct FilterArgs {
    /// The corpus: a URL list (one URL per line), JSON Lines (one record
    /// per line, the URL in --url-field) or CDXJ, plain, `.gz` or `.zst`;
    /// a WARC file (`.warc`, `.warc.gz`: response records' target URIs);
    /// or a Parquet file (the URL in --url-column). `-` for standard input
    /// (rows only). `filter` takes one; `audit` several.
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

    /// A crawler token the agent registry does not list, enforced by name
    /// (repeatable). --agents takes registry names only, so that a
    /// misspelt one is an error rather than an agent no robots.txt names.
    #[arg(long = "agent-token", value_name = "NAME")]
    agent_tokens: Vec<String>,

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

    #[command(flatten)]
    reading: ReadingArgs,

    /// Remove a URL when `any` selected agent is disallowed, or only when
    /// `all` are.
    #[arg(long, default_value = "any", value_name = "any|all")]
    agent_rule: String,

    /// What to do with URLs whose host has no robots.txt: `allow` keeps
    /// them, `deny` removes them (reason no-policy), `error` removes them
    /// and fails the run (exit 2).
    #[arg(long, default_value = "error", value_name = "allow|deny|error")]
    missing_policy: String,

    #[command(flatten)]
    unreachable: crate::cli::fetch::UnreachableArg,

    /// Write the run's manifest here (JSON): every file read and written
    /// with its SHA-256, the resolved configuration, the registry version,
    /// the blocklists' and policies' hashes, and the counts, for `optout
    /// verify`. A cache run also writes the policies it used as a snapshot,
    /// `FILE.policies.jsonl`. The input must be a file.
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,

    /// Worker threads; 1 runs sequentially. Default: all cores.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,

    /// An indexed snapshot of more origins than N is loaded N origins at
    /// a time, as the input names them (rows only; WARC and Parquet load
    /// their input's origins at once). Memory grows with N (about 1.1 KB per
    /// origin); input in random order looks an origin up once per window.
    #[arg(long, value_name = "N", default_value_t = crate::engine::window::DEFAULT_ORIGINS)]
    policy_window: usize,

    /// The compiled rules kept between policy windows, in MiB: rules that
    /// come back (hosts in random order, bodies that compile alike) are
    /// then not compiled again.
    #[arg(long, value_name = "MB", default_value_t = crate::engine::window::DEFAULT_CACHE_MB)]
    policy_cache_mb: usize,

    /// Bytes per work unit (for tests of chunk boundaries).
    #[arg(long, hide = true)]
    chunk_bytes: Option<usize>,

    /// Print nothing on standard error but errors.
    #[arg(long, short)]
    quiet: bool,
}

impl FilterArgs {
    /// Says what the run's policies hold that a person should know (from
    /// one tally): tdmrep.json files read in part or that are no
    /// tdmrep.json, and unreachable robots.txt files, loudly when most
    /// are; returns whether the run fails for those (`--max-unreachable`).
    pub(crate) fn policies_failed(&self, prepared: &Prepared) -> bool {
        let tally = prepared.policy_tally();
        let tdmrep = |state: &str| {
            tally
                .files
                .get("tdmrep.json")
                .and_then(|states| states.get(state))
                .copied()
                .unwrap_or(0)
        };
        if !self.quiet {
            let unreadable = tdmrep("unreadable");
            if unreadable > 0 {
                say!(
                    "warning: {unreadable} origins serve a tdmrep.json that cannot be read past its first rules (broken JSON, or cut at the size limit): every path past those rules is read as reserving TDM rights; `optout explain URL` says why"
                );
            }
            let invalid = tdmrep("invalid");
            if invalid > 0 {
                say!(
                    "note: {invalid} origins answer /.well-known/tdmrep.json with something that is not one (an HTML page, a JSON object): read as no tdmrep.json, no reservation; `optout explain URL` shows it"
                );
            }
        }
        self.unreachable
            .failed(tally.unreachable, tally.origins, self.quiet)
    }

    /// Where the run's manifest goes.
    pub(crate) fn manifest(&self) -> Option<&PathBuf> {
        self.manifest.as_ref()
    }

    /// The (first) input.
    pub(crate) fn input(&self) -> &PathBuf {
        &self.inputs[0]
    }

    /// Whether only errors are printed.
    pub(crate) fn quiet(&self) -> bool {
        self.quiet
    }

    /// Worker threads.
    pub(crate) fn threads(&self) -> usize {
        self.threads.unwrap_or_else(crate::run::default_threads)
    }
}

pub(crate) fn run(command: FilterCommand) -> ExitStatus {
    let FilterCommand { args, rows } = command;
    if args.inputs.len() > 1 {
        say!("error: `filter` takes one input (`optout audit` takes several)");
        return ExitStatus::UserError;
    }
    let outputs = FilterOutputs {
        kept: rows.kept,
        removed: rows.removed,
        stats: rows.stats,
        manifest: args.manifest.clone(),
        missing_origins: rows.missing_origins,
    };
    let observer = Terminal::new(args.quiet);
    let prepared = args.plan(rows.redact.as_deref()).and_then(|plan| {
        run::check_outputs(&plan, &outputs.named(), outputs.manifest.as_deref())?;
        args.prepare(plan, &observer)
    });
    let mut prepared = match prepared {
        Ok(prepared) => prepared,
        Err(err) => return failed(&err, One::UserError),
    };
    match run::filter(&mut prepared, &outputs, &observer) {
        Ok(filtered) => finish(&args, &prepared, &filtered),
        Err(err) => failed(&err, One::UserError),
    }
}

impl FilterArgs {
    /// The run the flags ask for, its evidence leaving out what `redact`
    /// names (`filter --redact`; default userinfo).
    pub(crate) fn plan(&self, redact: Option<&str>) -> Result<RunPlan> {
        if self.manifest.is_some() && self.inputs.iter().any(|i| i.as_os_str() == "-") {
            return Err(Error::config(
                "--manifest needs the input as a file: its hash must be recomputable",
            ));
        }
        let source = self
            .net
            .source(self.robots_dir.as_ref(), self.snapshot.as_ref())?;
        let offline = self.offline || !matches!(source, PolicySource::Cache { .. });
        let mut plan = RunPlan::new(self.inputs.clone(), filter_config(self, redact)?, source);
        plan.rows = self.corpus.rows();
        plan.blocklists = self
            .blocklist
            .iter()
            .map(|arg| parse_blocklist_arg(arg).map(|(n, p)| (n.to_owned(), p.to_path_buf())))
            .collect::<Result<_>>()?;
        plan.refresh = if offline {
            None
        } else {
            Some(self.net.plan()?)
        };
        plan.threads = self.threads();
        plan.chunk_bytes = self.chunk_bytes;
        if self.policy_window == 0 {
            return Err(crate::Error::config("--policy-window must be at least 1"));
        }
        plan.policy_window = self.policy_window;
        plan.policy_cache_mb = self.policy_cache_mb;
        Ok(plan)
    }

    /// Prepares `plan`, saying what a fetch first did.
    pub(crate) fn prepare(&self, plan: RunPlan, observer: &Terminal) -> Result<Prepared> {
        let prepared = run::prepare(plan, observer)?;
        if let (Some(refresh), false) = (&prepared.refresh, self.quiet) {
            crate::cli::fetch::report(refresh);
        }
        Ok(prepared)
    }
}

/// A flag's value read by a library parser, its error naming the flag.
fn flag<T>(name: &str, value: &str, parse: fn(&str) -> Result<T>) -> Result<T> {
    parse(value).map_err(|e| Error::config(format!("{name} {e}")))
}

/// The run's configuration from the flags, each value checked and named
/// by its flag when wrong. The row format and URL field or column are
/// filled in from the input when the run is prepared.
fn filter_config(args: &FilterArgs, redact: Option<&str>) -> Result<FilterConfig> {
    let agents = crate::cli::agents::checked(&args.agents, &args.agent_tokens)?;
    let mut config = FilterConfig::for_purpose(args.purpose.as_deref(), &agents)?;
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
    config.on_error.clone_from(&args.on_error);
    config.agent_rule.clone_from(&args.agent_rule);
    config.missing_policy.clone_from(&args.missing_policy);
    config.unknown.clone_from(&args.unknown);
    config.legacy_conservative = args.legacy_conservative;
    args.reading.apply(&mut config)?;
    config.files = args.net.file_names()?;
    config.as_of = as_of.name();
    config.tokens_field.clone_from(&args.tokens_field);
    config.redact = crate::redact::Redaction::parse(redact.unwrap_or("userinfo"))?.names();
    Ok(config)
}

/// How aipref statements are read: `--aipref-vocab` and `--model`, shared
/// by `filter`, `audit` and `explain`.
#[derive(Clone, Debug, clap::Args)]
pub(crate) struct ReadingArgs {
    /// The aipref vocabulary read: `08` (draft-ietf-aipref-vocab-08: the
    /// categories train-ai, ai-use and search; ai-use speaks to the
    /// ai-input purpose) or `07` (train-ai and search only).
    #[arg(long, default_value = "08", value_name = "08|07")]
    aipref_vocab: String,

    /// The model a training run trains. aipref's train-ai is about
    /// generative models only (vocab-08 §4.1): with `non-generative` (a
    /// classifier, a ranker, a scorer) train-ai says nothing and the other
    /// signals decide. Default `generative`, the conservative reading.
    #[arg(
        long,
        default_value = "generative",
        value_name = "generative|non-generative"
    )]
    model: String,

    /// The usage signals read, comma-separated: `all` (the default) or
    /// codes among content-usage, content-signal, tdmrep, ai-txt,
    /// x-robots-tag, meta-robots, rsl, iptc-data-mining and c2pa (`none`:
    /// robots.txt access only).
    /// robots.txt access is always read. To match a published list of
    /// generally agreed protocols; the manifest and stats record it.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "all",
        value_name = "LIST"
    )]
    signals: Vec<String>,
}

impl ReadingArgs {
    /// Checks the flags and writes them into `config`.
    pub(crate) fn apply(&self, config: &mut crate::config::FilterConfig) -> Result<()> {
        use crate::signals::aipref::{ModelKind, Vocab};
        let vocab = Vocab::from_name(&self.aipref_vocab).ok_or_else(|| {
            Error::config(format!(
                "--aipref-vocab `{}`: expected 08 or 07",
                self.aipref_vocab
            ))
        })?;
        let model = ModelKind::from_name(&self.model).ok_or_else(|| {
            Error::config(format!(
                "--model `{}`: expected generative or non-generative",
                self.model
            ))
        })?;
        config.aipref_vocab = vocab.as_str().to_owned();
        config.model = model.as_str().to_owned();
        config.signals = crate::signals::usage::SignalSet::from_names(&self.signals)
            .map_err(|e| Error::config(format!("--signals: {e}")))?
            .names();
        Ok(())
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

/// Prints what the run did and maps it to an exit status.
fn finish(args: &FilterArgs, prepared: &Prepared, filtered: &Filtered) -> ExitStatus {
    let outcome = &filtered.outcome;
    if !args.quiet {
        summary(args, outcome);
    }
    let mut status = ExitStatus::Success;
    if let Some(err) = &outcome.read_error {
        if err.is_interrupted() {
            say!("interrupted");
        } else {
            say!("error: {err}");
        }
        let written = if filtered.partial.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = filtered
                .partial
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
    let stats = &outcome.stats;
    if missing_failed(prepared, stats) || args.policies_failed(prepared) {
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
    status
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
    let unusable = invalid + stats.skipped_total();
    if stats.rows > 0 && unusable == stats.rows {
        say!(
            "hint: no row of `{}` holds a URL to judge ({invalid} not URLs, {} skipped; the first are named above): a URL list has one http(s) URL per line, JSON Lines records name theirs with --url-field PATH (default `url`), and CDXJ, WARC and Parquet are told by their bytes",
            args.input().display(),
            stats.skipped_total()
        );
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
            "  of the rows robots.txt allows, what the sites say about this use of their content (Content-Usage, Content-Signal, tdmrep.json, ai.txt): {allowed} allowed, {unknown} say nothing, {disallowed} refused"
        );
    }
}

/// Whether the run fails for origins without a policy (`--missing-policy
/// error`), after saying which and what to do; `filter` and `audit` alike.
pub(crate) fn missing_failed(prepared: &Prepared, stats: &crate::engine::Stats) -> bool {
    if prepared.engine.missing_policy() != MissingPolicy::Error
        || stats.origins_without_policy.is_empty()
    {
        return false;
    }
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
    say!("hint: {}", missing_hint(&prepared.plan.source));
    true
}

/// What a run whose policies miss some origins can do about it: where the
/// policies come from says how to add them.
fn missing_hint(source: &crate::source::PolicySource) -> String {
    use crate::source::PolicySource;
    let add = match source {
        PolicySource::Cache { .. } => {
            "fetch them (`optout fetch`, or filter without --offline)".to_owned()
        }
        PolicySource::RobotsDir { path, .. } => format!(
            "add their robots.txt files to `{}` as <host>.txt",
            path.display()
        ),
        PolicySource::Snapshot { path } => format!(
            "fetch them into a cache and export a snapshot that holds them (`{}` does not)",
            path.display()
        ),
    };
    format!("{add}, list them with --missing-origins FILE, or pass --missing-policy allow|deny")
}
