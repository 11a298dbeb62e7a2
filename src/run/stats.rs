//! The `--stats` document of a filter run: what it was configured with,
//! what its policies and blocklists were, and its counts.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::agents::{AgentRule, Registry};
use crate::corpus::{OnError, RowFormat};
use crate::engine::{self, MissingPolicy, RunOutcome};
use crate::run::prepare::Prepared;
use crate::signals::usage::UnknownPolicy;

/// The `--stats` document: the run's configuration, its policies and
/// blocklists, and its counts.
#[derive(Serialize)]
pub(crate) struct StatsDocument<'a> {
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
    /// The aipref vocabulary read.
    aipref_vocab: &'static str,
    /// The model a training run trains.
    model: &'static str,
    /// The usage signals read (`--signals`).
    signals: Vec<String>,
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
    path: String,
    sha256: &'a str,
    entries: usize,
    bad_lines: usize,
}

impl<'a> StatsDocument<'a> {
    /// The document of `prepared` after `outcome`.
    pub(crate) fn new(prepared: &'a Prepared, outcome: &'a RunOutcome) -> Self {
        let engine = &prepared.engine;
        let tally = prepared.policy_tally();
        StatsDocument {
            tool: "optout",
            version: env!("CARGO_PKG_VERSION"),
            input: prepared.plan.input().display().to_string(),
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
            as_of: prepared.as_of.name(),
            usage: UsageConfig {
                purpose: engine.usage_options().purpose.as_str(),
                unknown: match engine.usage_options().unknown {
                    UnknownPolicy::Keep => "keep",
                    UnknownPolicy::Drop => "drop",
                },
                legacy_conservative: engine.usage_options().legacy_conservative,
                aipref_vocab: engine.usage_options().vocab.as_str(),
                model: engine.usage_options().model.as_str(),
                signals: engine.usage_options().signals.names(),
                redact: engine.redaction().names(),
            },
            fetch: prepared.refresh.as_ref(),
            policies: PolicySummary {
                source: prepared.plan.source.name(),
                origins: tally.origins,
                unavailable: tally.unavailable,
                unreachable: tally.unreachable,
                html: tally.html,
                truncated: tally.truncated,
                earlier: Some(tally.earlier).filter(|&n| n > 0),
                files: tally.files,
            },
            blocklists: engine
                .blocklists()
                .lists()
                .iter()
                .zip(&prepared.plan.blocklists)
                .map(|(list, (_, path))| BlocklistSummary {
                    name: &list.name,
                    path: path.display().to_string(),
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
