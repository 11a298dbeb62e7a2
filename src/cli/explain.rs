//! `optout explain URL`: everything optout knows about one URL, the command
//! a compliance officer runs by hand (see [`crate::explain`]). It fetches
//! what the cache lacks unless `--offline`, reads the page itself when
//! robots.txt lets optout fetch it, and prints every signal, the verdict
//! per purpose and per agent, and the exact lines and their sources.

use std::io::Write as _;
use std::path::PathBuf;

use clap::Args;

use crate::cli::progress::Terminal;
use crate::cli::status::{ExitStatus, One, failed};
use crate::config::{self, FilterConfig};
use crate::error::{Error, Result};
use crate::explain::{ExplainRequest, explain};
use crate::source::PolicySource;

#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The URL to explain.
    url: String,

    /// Use the cache as it is: fetch nothing, not even the page.
    #[arg(long)]
    offline: bool,

    /// Read policies from a snapshot (`optout cache export`) instead of
    /// the cache. Offline.
    #[arg(long, value_name = "FILE", conflicts_with = "robots_dir")]
    snapshot: Option<PathBuf>,

    /// Read policies from a directory of robots.txt files (`<host>.txt`),
    /// as `filter --robots-dir` does. Offline.
    #[arg(long, value_name = "DIR")]
    robots_dir: Option<PathBuf>,

    /// Do not fetch the page itself (its headers and meta tags are then
    /// not read).
    #[arg(long)]
    no_page: bool,

    #[command(flatten)]
    net: crate::cli::fetch::NetArgs,

    /// Agents to explain for, comma-separated; added to --purpose's.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    agents: Vec<String>,

    /// As for `filter`.
    #[arg(long = "agent-token", value_name = "NAME")]
    agent_tokens: Vec<String>,

    /// The purpose whose agents are explained, and whose verdict decides
    /// the exit code: train, search, ai-input or control-only.
    #[arg(long, value_name = "PURPOSE")]
    purpose: Option<String>,

    /// As for `filter`.
    #[arg(long, default_value = "any", value_name = "any|all")]
    agent_rule: String,

    /// As for `filter`.
    #[arg(long, default_value = "keep", value_name = "keep|drop")]
    unknown: String,

    /// As for `filter`.
    #[arg(long)]
    legacy_conservative: bool,

    #[command(flatten)]
    reading: crate::cli::filter::ReadingArgs,

    /// As for `filter`: what a URL whose origin has no policy becomes,
    /// `allow` (kept), `deny` or `error` (removed as no-policy).
    #[arg(long, default_value = "error", value_name = "allow|deny|error")]
    missing_policy: String,

    /// As for `filter`: NAME=PATH, repeatable.
    #[arg(long, value_name = "NAME=PATH")]
    blocklist: Vec<String>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &ExplainArgs) -> ExitStatus {
    let explained = request(args).and_then(|request| explain(&request, &Terminal::new(true)));
    match explained {
        Ok(explanation) => {
            let text = if args.json {
                serde_json::to_string_pretty(&explanation).expect("serialises") + "\n"
            } else {
                explanation.text()
            };
            if let Err(err) = std::io::stdout().lock().write_all(text.as_bytes()) {
                return failed(&Error::io("-", err), One::Answer);
            }
            // As for `check`: 1 says "removed", so errors exit 2.
            if explanation.kept {
                ExitStatus::Success
            } else {
                ExitStatus::UserError
            }
        }
        Err(err) => failed(&err, One::Answer),
    }
}

/// The explanation the flags ask for.
fn request(args: &ExplainArgs) -> Result<ExplainRequest> {
    let agents = crate::cli::agents::checked(&args.agents, &args.agent_tokens)?;
    let mut config = FilterConfig::for_purpose(args.purpose.as_deref(), &agents)?;
    let _: crate::agents::AgentRule = args.agent_rule.parse()?;
    config::parse_unknown(&args.unknown).map_err(|e| Error::config(format!("--unknown {e}")))?;
    config.agent_rule.clone_from(&args.agent_rule);
    config.unknown.clone_from(&args.unknown);
    config.legacy_conservative = args.legacy_conservative;
    args.reading.apply(&mut config)?;
    config.missing_policy.clone_from(&args.missing_policy);
    config.files = args.net.file_names()?;
    let source = args
        .net
        .source(args.robots_dir.as_ref(), args.snapshot.as_ref())?;
    let online = !args.offline && matches!(source, PolicySource::Cache { .. });
    Ok(ExplainRequest {
        url: args.url.clone(),
        config,
        source,
        refresh: online.then(|| args.net.plan()).transpose()?,
        page: (online && !args.no_page)
            .then(|| args.net.options())
            .transpose()?,
        blocklists: args
            .blocklist
            .iter()
            .map(|arg| {
                crate::cli::filter::parse_blocklist_arg(arg)
                    .map(|(name, path)| (name.to_owned(), path.to_path_buf()))
            })
            .collect::<Result<_>>()?,
    })
}
