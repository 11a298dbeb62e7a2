//! `optout audit INPUT...`: how much of a corpus is opted out, by which
//! signal, agent and domain, without writing a dataset. The rows are judged
//! exactly as `filter` judges them (same options, same engine); the report
//! adds byte shares, origins by what their policy files said, and origins
//! that state nothing at all. JSON for machines, Markdown for reviews, and
//! one self-contained HTML page with inline SVG charts that opens offline.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::cli::filter::{FilterArgs, InputKind, setup};
use crate::cli::status::{ExitStatus, One, failed};
use crate::corpus::{ChunkReader, Input};
use crate::engine::{self, ChunkResult, Outputs, Sink, Stats};
use crate::error::Result;
use crate::output::Destination;
use crate::policy::Access;
use crate::signals::{ReasonCode, SkipReason};

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    #[command(flatten)]
    filter: FilterArgs,

    /// Write the report here; default: standard output.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,

    /// `json`, `markdown` or `html`; default: from the --report extension
    /// (`.json`, `.md`, `.html`), else Markdown.
    #[arg(long, value_name = "FORMAT")]
    report_format: Option<String>,

    /// Domains and agents listed.
    #[arg(long, default_value_t = 20, value_name = "N")]
    top: usize,
}

struct Discard;

impl Sink for Discard {
    fn chunk(&mut self, _: &ChunkResult) -> Result<()> {
        Ok(())
    }
}

#[derive(Serialize)]
struct Line {
    name: String,
    rows: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
    /// Share of all rows read, in percent.
    share_rows: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    share_bytes: Option<f64>,
}

#[derive(Serialize)]
struct AuditReport {
    tool: &'static str,
    inputs: Vec<String>,
    purpose: &'static str,
    agents: usize,
    policies: &'static str,
    rows: u64,
    bytes: u64,
    kept: Line,
    removed: Line,
    skipped: Line,
    removed_by_reason: Vec<Line>,
    skipped_by_reason: Vec<Line>,
    /// Removed rows each agent's robots.txt rules disallowed.
    disallowed_by_agent: Vec<Line>,
    top_removed_domains: Vec<Line>,
    /// Rows access let through, by the usage verdict.
    usage_verdicts: BTreeMap<&'static str, u64>,
    /// Origins with a policy, by what it is.
    origins: BTreeMap<&'static str, usize>,
    /// Origins of the corpus with no policy at all.
    origins_without_policy: usize,
    /// Which policies judged: `now`, `crawl` or a time.
    as_of: String,
    /// Runs by crawl time: rows by how their policy was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    crawl_time: Option<BTreeMap<&'static str, u64>>,
    /// Runs by crawl time: the same corpus judged by today's policies,
    /// side by side.
    #[serde(skip_serializing_if = "Option::is_none")]
    now: Option<Comparison>,
    /// Tokens, from `--tokens-field`.
    #[serde(skip_serializing_if = "Option::is_none")]
    tokens: Option<Tokens>,
}

/// Removals under today's policies, for an audit by crawl time.
#[derive(Serialize)]
struct Comparison {
    removed: Line,
    removed_by_reason: Vec<Line>,
}

/// Tokens kept and removed.
#[derive(Serialize)]
struct Tokens {
    total: u64,
    kept: TokenLine,
    removed: TokenLine,
    removed_by_reason: Vec<TokenLine>,
    /// Kept or removed rows without a count.
    rows_without_count: u64,
}

#[derive(Serialize)]
struct TokenLine {
    name: String,
    tokens: u64,
    /// Share of all tokens, in percent.
    share: f64,
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 * 10_000.0 / whole as f64).round() / 100.0
    }
}

pub(crate) fn run(args: &AuditArgs) -> ExitStatus {
    match audit(args) {
        Ok(()) => ExitStatus::Success,
        Err(err) => failed(&err, One::UserError),
    }
}

fn audit(args: &AuditArgs) -> Result<()> {
    let filter = &args.filter;
    let format = match args.report_format.as_deref() {
        Some(f) => f.to_owned(),
        None => match args
            .report
            .as_ref()
            .and_then(|p| p.extension())
            .and_then(|e| e.to_str())
        {
            Some("json") => "json".into(),
            Some("html" | "htm") => "html".into(),
            _ => "markdown".into(),
        },
    };
    let ignored = filter.row_outputs();
    if !ignored.is_empty() {
        return Err(crate::Error::config(format!(
            "audit writes a report, not rows: {} belong to `filter`",
            ignored.join(", ")
        )));
    }
    if !matches!(format.as_str(), "json" | "markdown" | "html") {
        return Err(crate::Error::config(format!(
            "--report-format `{format}`: expected json, markdown or html"
        )));
    }
    let report = args
        .report
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("-"));
    filter.check_outputs(&[("--report", report)])?;
    let mut first = Input::open(filter.input())?;
    let kind = InputKind::of(&mut first)?;
    let row_format = crate::cli::fetch::CorpusArgs::format(filter.corpus(), &mut first)?;
    let mut setup = setup(filter, row_format, kind)?;
    let threads = filter.threads();
    let crawl = setup.engine.by_crawl_time();
    if crawl && filter.inputs().iter().any(|p| p.as_os_str() == "-") {
        return Err(crate::Error::config(
            "audit --as-of crawl reads every input twice (by crawl time, then by today's policies): give files",
        ));
    }
    let mut first = Some(first);
    let observer = crate::cli::progress::Terminal::new(filter.quiet());
    let mut count_all = |setup: &mut crate::cli::filter::Setup| -> Result<Stats> {
        let mut stats = Stats::new(setup.engine.agents().len());
        for path in filter.inputs() {
            let input = match first.take() {
                Some(input) => input,
                None => Input::open(path)?,
            };
            stats += count_input(
                &mut setup.engine,
                input,
                |input| crate::cli::fetch::CorpusArgs::format(filter.corpus(), input),
                &filter.corpus().url_column,
                threads,
                &observer,
            )?;
        }
        Ok(stats)
    };
    let stats = count_all(&mut setup)?;
    // By crawl time, the report sets today's verdicts beside: the same
    // rows, the same engine, each origin's current policy.
    let now = if crawl {
        setup.engine.set_crawl_time(false);
        let now = count_all(&mut setup)?;
        setup.engine.set_crawl_time(true);
        Some(now)
    } else {
        None
    };
    let report = build(args, &setup, &stats, now.as_ref());
    let text = match format.as_str() {
        "json" => serde_json::to_string_pretty(&report).expect("serialises") + "\n",
        "html" => html(&report),
        _ => markdown(&report),
    };
    let mut out = match &args.report {
        Some(path) => Destination::create(path)?,
        None => Destination::stdout(),
    };
    out.write_all(text.as_bytes())?;
    out.finish()?;
    if let Some(path) = filter.manifest() {
        let (sha256, bytes) = {
            let mut running = crate::digest::Running::default();
            running.update(text.as_bytes());
            running.finish()
        };
        let report_digest = crate::evidence::FileDigest {
            path: args
                .report
                .as_ref()
                .map_or_else(|| "-".to_owned(), |p| p.display().to_string()),
            sha256,
            bytes,
        };
        let outputs = [("report".to_owned(), report_digest)].into_iter().collect();
        let counts = serde_json::to_value(stats.report(setup.engine.agents().names(), args.top))
            .expect("counts serialise");
        crate::cli::filter::write_run_manifest(filter, &setup, "audit", counts, outputs, path)?;
    }
    Ok(())
}

/// Judges every row or record of `input` and counts, writing nothing: URL
/// lists, JSON Lines and CDXJ (rows in the format `row_format` picks),
/// WARC records, Parquet rows (URLs in `url_column`).
pub(crate) fn count_input(
    engine: &mut crate::engine::Engine,
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
            let outcome = engine::run(
                engine,
                ChunkReader::new(input),
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
                .filter_warc(&mut reader, &mut std::io::sink(), None)?
                .stats)
        }
        InputKind::Parquet => {
            drop(input);
            engine.filter_parquet(path, url_column, None, None, threads)
        }
    }
}

fn build(
    args: &AuditArgs,
    setup: &crate::cli::filter::Setup,
    stats: &Stats,
    now: Option<&Stats>,
) -> AuditReport {
    let engine = &setup.engine;
    let line = |name: &str, rows: u64, bytes: Option<u64>| Line {
        name: name.to_owned(),
        rows,
        bytes,
        share_rows: percent(rows, stats.rows),
        share_bytes: bytes.map(|b| percent(b, stats.bytes)),
    };
    let removed_bytes: u64 = stats.removed_bytes.iter().sum();
    let skipped_bytes = stats.bytes - stats.kept_bytes - removed_bytes;
    let mut domains: Vec<(&String, &u64)> = stats.removed_domains.iter().collect();
    domains.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut agents: Vec<(usize, u64)> = stats
        .agent_disallowed
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, n)| *n > 0)
        .collect();
    agents.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut origins: BTreeMap<&'static str, usize> = BTreeMap::new();
    for policy in engine.snapshot().policies().policies() {
        let state = match &policy.access {
            Access::Rules(robots) => {
                let says = !robots.usage_reading().usage.is_empty() || policy.files.speak();
                if says {
                    "robots.txt with usage statements or files"
                } else {
                    "robots.txt, no usage statements"
                }
            }
            Access::Unavailable { .. } if policy.files.speak() => {
                "no robots.txt, files state something"
            }
            // Nothing at all: no robots.txt and no file that says anything.
            Access::Unavailable { .. } => "no signal at all",
            Access::Unreachable { .. } => "robots.txt unreachable",
        };
        *origins.entry(state).or_default() += 1;
    }
    AuditReport {
        tool: concat!("optout ", env!("CARGO_PKG_VERSION")),
        inputs: args
            .filter
            .inputs()
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        purpose: engine.usage_options().purpose.as_str(),
        agents: engine.agents().len(),
        policies: setup.source,
        rows: stats.rows,
        bytes: stats.bytes,
        kept: line("kept", stats.kept, Some(stats.kept_bytes)),
        removed: line("removed", stats.removed_total(), Some(removed_bytes)),
        skipped: line("skipped", stats.skipped_total(), Some(skipped_bytes)),
        removed_by_reason: ReasonCode::ALL
            .iter()
            .filter(|c| stats.removed[c.index()] > 0)
            .map(|c| {
                line(
                    c.as_str(),
                    stats.removed[c.index()],
                    Some(stats.removed_bytes[c.index()]),
                )
            })
            .collect(),
        skipped_by_reason: SkipReason::ALL
            .iter()
            .filter(|c| stats.skipped[c.index()] > 0)
            .map(|c| line(c.as_str(), stats.skipped[c.index()], None))
            .collect(),
        disallowed_by_agent: agents
            .iter()
            .take(args.top)
            .map(|(agent, n)| line(&engine.agents().names()[*agent], *n, None))
            .collect(),
        top_removed_domains: domains
            .iter()
            .take(args.top)
            .map(|(d, n)| line(d, **n, None))
            .collect(),
        usage_verdicts: [
            ("allowed", stats.usage[0]),
            ("unknown", stats.usage[1]),
            ("disallowed", stats.usage[2]),
        ]
        .into_iter()
        .collect(),
        origins,
        origins_without_policy: stats.origins_without_policy.len(),
        as_of: setup.as_of.name(),
        crawl_time: engine.by_crawl_time().then(|| {
            crate::engine::CrawlTime::ALL
                .iter()
                .map(|t| (t.as_str(), stats.crawl_time[t.index()]))
                .collect()
        }),
        now: now.map(|now| Comparison {
            removed: line(
                "removed",
                now.removed_total(),
                Some(now.removed_bytes.iter().sum()),
            ),
            removed_by_reason: ReasonCode::ALL
                .iter()
                .filter(|c| now.removed[c.index()] > 0 || stats.removed[c.index()] > 0)
                .map(|c| {
                    line(
                        c.as_str(),
                        now.removed[c.index()],
                        Some(now.removed_bytes[c.index()]),
                    )
                })
                .collect(),
        }),
        tokens: engine.tokens_field().map(|_| {
            let token_line = |name: &str, tokens: u64| TokenLine {
                name: name.to_owned(),
                tokens,
                share: percent(tokens, stats.tokens),
            };
            Tokens {
                total: stats.tokens,
                kept: token_line("kept", stats.kept_tokens),
                removed: token_line("removed", stats.removed_tokens.iter().sum()),
                removed_by_reason: ReasonCode::ALL
                    .iter()
                    .filter(|c| stats.removed[c.index()] > 0)
                    .map(|c| token_line(c.as_str(), stats.removed_tokens[c.index()]))
                    .collect(),
                rows_without_count: stats.rows_without_tokens,
            }
        }),
    }
}

fn markdown(r: &AuditReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# optout audit\n");
    let _ = writeln!(
        s,
        "{} rows ({} bytes) in {}; purpose `{}`, {} agents, policies from {}.\n",
        r.rows,
        r.bytes,
        r.inputs.join(", "),
        r.purpose,
        r.agents,
        r.policies
    );
    let table = |s: &mut String, title: &str, lines: &[&Line]| {
        let _ = writeln!(
            s,
            "## {title}\n\n| | rows | % rows | bytes | % bytes |\n|---|---:|---:|---:|---:|"
        );
        for l in lines {
            let _ = writeln!(
                s,
                "| {} | {} | {:.2} | {} | {} |",
                l.name,
                l.rows,
                l.share_rows,
                l.bytes.map_or_else(|| "".into(), |b| b.to_string()),
                l.share_bytes
                    .map_or_else(|| "".into(), |b| format!("{b:.2}"))
            );
        }
        let _ = writeln!(s);
    };
    table(&mut s, "Rows", &[&r.kept, &r.removed, &r.skipped]);
    table(
        &mut s,
        "Removed, by reason",
        &r.removed_by_reason.iter().collect::<Vec<_>>(),
    );
    if !r.skipped_by_reason.is_empty() {
        table(
            &mut s,
            "Skipped, by reason",
            &r.skipped_by_reason.iter().collect::<Vec<_>>(),
        );
    }
    table(
        &mut s,
        "Disallowed by robots.txt, by agent",
        &r.disallowed_by_agent.iter().collect::<Vec<_>>(),
    );
    table(
        &mut s,
        "Removed, by registrable domain (top)",
        &r.top_removed_domains.iter().collect::<Vec<_>>(),
    );
    let _ = writeln!(
        s,
        "## Usage verdicts of the rows robots.txt let through\n\n| verdict | rows |\n|---|---:|"
    );
    for (verdict, n) in &r.usage_verdicts {
        let _ = writeln!(s, "| {verdict} | {n} |");
    }
    let _ = writeln!(
        s,
        "\n## Origins\n\n| what the origin's policy is | origins |\n|---|---:|"
    );
    for (state, n) in &r.origins {
        let _ = writeln!(s, "| {state} | {n} |");
    }
    let _ = writeln!(s, "| no policy known | {} |", r.origins_without_policy);
    if let Some(tokens) = &r.tokens {
        let _ = writeln!(
            s,
            "\n## Tokens\n\n{} tokens; {} judged rows without a count.\n\n| | tokens | % tokens |\n|---|---:|---:|",
            tokens.total, tokens.rows_without_count
        );
        for l in [&tokens.kept, &tokens.removed]
            .into_iter()
            .chain(&tokens.removed_by_reason)
        {
            let _ = writeln!(s, "| {} | {} | {:.2} |", l.name, l.tokens, l.share);
        }
    }
    if let (Some(now), Some(flags)) = (&r.now, &r.crawl_time) {
        let _ = writeln!(
            s,
            "\n## At crawl time and now\n\nRows judged by the policy in force when they were crawled, beside the same rows judged by today's policies.\n\n| removed | rows at crawl time | % | rows now | % |\n|---|---:|---:|---:|---:|"
        );
        let at_crawl = |name: &str| {
            std::iter::once(&r.removed)
                .chain(&r.removed_by_reason)
                .find(|l| l.name == name)
                .map_or((0, 0.0), |l| (l.rows, l.share_rows))
        };
        for l in std::iter::once(&now.removed).chain(&now.removed_by_reason) {
            let (rows, share) = at_crawl(&l.name);
            let _ = writeln!(
                s,
                "| {} | {rows} | {share:.2} | {} | {:.2} |",
                l.name, l.rows, l.share_rows
            );
        }
        let _ = writeln!(
            s,
            "\nRows by how their policy was found: {}.",
            flags
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    s
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart as inline SVG.
fn bars(lines: &[&Line]) -> String {
    let max = lines.iter().map(|l| l.rows).max().unwrap_or(0).max(1);
    let height = 22 * lines.len() + 4;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="720" height="{height}" role="img">"#
    );
    for (i, l) in lines.iter().enumerate() {
        let y = 22 * i + 2;
        let width = (l.rows as f64 / max as f64 * 380.0).max(1.0);
        let _ = write!(
            s,
            r##"<text x="0" y="{}" font-size="13">{}</text><rect x="200" y="{y}" width="{width:.1}" height="16" fill="#c0392b"/><text x="{:.1}" y="{}" font-size="12">{} ({:.2}%)</text>"##,
            y + 13,
            escape(&l.name),
            205.0 + width,
            y + 13,
            l.rows,
            l.share_rows
        );
    }
    s.push_str("</svg>");
    s
}

fn html(r: &AuditReport) -> String {
    let mut s = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>optout audit</title>\
         <style>body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}\
         td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}td:first-child,th:first-child{text-align:left}</style>\
         </head><body>\n",
    );
    let _ = writeln!(
        s,
        "<h1>optout audit</h1><p>{} rows ({} bytes) in {}; purpose <code>{}</code>, {} agents, policies from {}.</p>",
        r.rows,
        r.bytes,
        escape(&r.inputs.join(", ")),
        r.purpose,
        r.agents,
        r.policies
    );
    let _ = writeln!(
        s,
        "<table><tr><th></th><th>rows</th><th>% rows</th><th>bytes</th><th>% bytes</th></tr>"
    );
    for l in [&r.kept, &r.removed, &r.skipped] {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{:.2}</td><td>{}</td><td>{:.2}</td></tr>",
            l.name,
            l.rows,
            l.share_rows,
            l.bytes.unwrap_or(0),
            l.share_bytes.unwrap_or(0.0)
        );
    }
    s.push_str("</table>\n");
    for (title, lines) in [
        ("Removed, by reason", &r.removed_by_reason),
        ("Disallowed by robots.txt, by agent", &r.disallowed_by_agent),
        (
            "Removed, by registrable domain (top)",
            &r.top_removed_domains,
        ),
    ] {
        let _ = writeln!(
            s,
            "<h2>{title}</h2>{}",
            bars(&lines.iter().collect::<Vec<_>>())
        );
    }
    s.push_str("<h2>Origins</h2><table>");
    for (state, n) in &r.origins {
        let _ = writeln!(s, "<tr><td>{}</td><td>{n}</td></tr>", escape(state));
    }
    let _ = writeln!(
        s,
        "<tr><td>no policy known</td><td>{}</td></tr></table>",
        r.origins_without_policy
    );
    if let Some(tokens) = &r.tokens {
        let _ = writeln!(
            s,
            "<h2>Tokens</h2><p>{} tokens; {} judged rows without a count.</p><table><tr><th></th><th>tokens</th><th>% tokens</th></tr>",
            tokens.total, tokens.rows_without_count
        );
        for l in [&tokens.kept, &tokens.removed]
            .into_iter()
            .chain(&tokens.removed_by_reason)
        {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{:.2}</td></tr>",
                escape(&l.name),
                l.tokens,
                l.share
            );
        }
        s.push_str("</table>\n");
    }
    if let Some(now) = &r.now {
        let _ = writeln!(
            s,
            "<h2>At crawl time and now</h2><p>Removed at crawl time:</p>{}<p>Removed by today's policies:</p>{}",
            bars(
                &std::iter::once(&r.removed)
                    .chain(&r.removed_by_reason)
                    .collect::<Vec<_>>()
            ),
            bars(
                &std::iter::once(&now.removed)
                    .chain(&now.removed_by_reason)
                    .collect::<Vec<_>>()
            )
        );
    }
    s.push_str("</body></html>\n");
    s
}
