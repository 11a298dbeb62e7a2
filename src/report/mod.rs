//! The audit report: how much of a corpus is opted out, by reason, agent
//! and domain, with the origins' policies and, for runs by crawl time,
//! today's verdicts beside. One model, rendered as JSON (serde), Markdown
//! and HTML ([`AuditReport::markdown`], [`AuditReport::html`]); the two
//! renderings for people walk the same list of sections.

mod render;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::Stats;
use crate::run::Prepared;
use crate::signals::{ReasonCode, SkipReason};

/// One line of a table: a name, its rows and bytes, and their shares.
#[derive(Debug, Serialize)]
pub struct Line {
    /// What is counted: a reason code, an agent, a domain.
    pub name: String,
    /// Rows.
    pub rows: u64,
    /// Bytes of those rows, where counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// Share of all rows read, in percent.
    pub share_rows: f64,
    /// Share of all bytes read, in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_bytes: Option<f64>,
}

/// An audit's findings: one model for every rendering.
#[derive(Debug, Serialize)]
pub struct AuditReport {
    /// `optout` and its version.
    pub tool: &'static str,
    /// The inputs, as given.
    pub inputs: Vec<String>,
    /// The purpose enforced.
    pub purpose: &'static str,
    /// How many agents were enforced.
    pub agents: usize,
    /// Where policies came from: `cache`, `snapshot`, `robots-dir`.
    pub policies: &'static str,
    /// The usage signals read (`--signals`).
    pub signals: Vec<String>,
    /// Rows read.
    pub rows: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Rows kept.
    pub kept: Line,
    /// Rows removed.
    pub removed: Line,
    /// Rows skipped (no URL).
    pub skipped: Line,
    /// Removed rows by reason code.
    pub removed_by_reason: Vec<Line>,
    /// Skipped rows by skip reason.
    pub skipped_by_reason: Vec<Line>,
    /// Removed rows each agent's robots.txt rules disallowed.
    pub disallowed_by_agent: Vec<Line>,
    /// The registrable domains with the most removed rows.
    pub top_removed_domains: Vec<Line>,
    /// Rows access let through, by the usage verdict.
    pub usage_verdicts: BTreeMap<&'static str, u64>,
    /// Origins with a policy, by what it is.
    pub origins: BTreeMap<&'static str, usize>,
    /// Origins of the corpus with no policy at all.
    pub origins_without_policy: usize,
    /// Which policies judged: `now`, `crawl` or a time.
    pub as_of: String,
    /// Runs by crawl time: rows by how their policy was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crawl_time: Option<BTreeMap<&'static str, u64>>,
    /// Runs by crawl time: the same corpus judged by today's policies,
    /// side by side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub now: Option<Comparison>,
    /// Tokens, from `--tokens-field`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Tokens>,
}

/// Removals under today's policies, for an audit by crawl time.
#[derive(Debug, Serialize)]
pub struct Comparison {
    /// Rows removed.
    pub removed: Line,
    /// Removed rows by reason code.
    pub removed_by_reason: Vec<Line>,
}

/// Tokens kept and removed.
#[derive(Debug, Serialize)]
pub struct Tokens {
    /// Tokens of all rows with a count.
    pub total: u64,
    /// Tokens kept.
    pub kept: TokenLine,
    /// Tokens removed.
    pub removed: TokenLine,
    /// Tokens removed, by reason code.
    pub removed_by_reason: Vec<TokenLine>,
    /// Kept or removed rows without a count.
    pub rows_without_count: u64,
}

/// One line of the tokens table.
#[derive(Debug, Serialize)]
pub struct TokenLine {
    /// What is counted.
    pub name: String,
    /// Tokens.
    pub tokens: u64,
    /// Share of all tokens, in percent.
    pub share: f64,
}

pub(crate) fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 * 10_000.0 / whole as f64).round() / 100.0
    }
}

impl AuditReport {
    /// The report of `prepared`'s run over its inputs: `stats`, and for a
    /// run by crawl time `now`, the same rows judged by today's policies.
    /// Lists of agents and domains hold the first `top`.
    #[must_use]
    pub fn new(prepared: &Prepared, stats: &Stats, now: Option<&Stats>, top: usize) -> AuditReport {
        let engine = &prepared.engine;
        // Every row of a format that counts bytes has at least one (its
        // line end); Parquet rows count none, and then no line has bytes.
        let bytes_counted = stats.bytes > 0;
        let line = |name: &str, rows: u64, bytes: Option<u64>| {
            let bytes = bytes.filter(|_| bytes_counted);
            Line {
                name: name.to_owned(),
                rows,
                bytes,
                share_rows: percent(rows, stats.rows),
                share_bytes: bytes.map(|b| percent(b, stats.bytes)),
            }
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
        let origins = prepared.policy_tally().kinds;
        AuditReport {
            tool: concat!("optout ", env!("CARGO_PKG_VERSION")),
            inputs: prepared
                .plan
                .inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            purpose: engine.usage_options().purpose.as_str(),
            agents: engine.agents().len(),
            policies: prepared.plan.source.name(),
            signals: engine.usage_options().signals.names(),
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
                .take(top)
                .map(|(agent, n)| line(&engine.agents().names()[*agent], *n, None))
                .collect(),
            top_removed_domains: domains
                .iter()
                .take(top)
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
            as_of: prepared.as_of.name(),
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
}
