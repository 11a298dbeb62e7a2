//! `optout verify MANIFEST`: checks a `filter` run from its manifest
//! without trusting whoever ran it. It recomputes the SHA-256 of the input,
//! every output, the policy snapshot (or robots directory) and the
//! blocklists, then decides rows again from the recorded policies and
//! configuration: a sample of rows by default (each checked against the
//! removed records), or the whole run with `--full` (its outputs' hashes
//! compared). Every mismatch is reported.

use std::io::Write as _;
use std::path::PathBuf;

use clap::Args;

use crate::cli::progress::Terminal;
use crate::cli::status::{ExitStatus, One, failed};
use crate::verify::{Depth, verify};

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The manifest `filter --manifest` or `audit --manifest` wrote.
    manifest: PathBuf,

    /// Re-run every row and compare the outputs' hashes (a run without
    /// removed records is always re-run whole).
    #[arg(long)]
    full: bool,

    /// Rows decided again without --full (spread evenly over the input).
    #[arg(long, default_value_t = 1000, value_name = "N")]
    sample: u64,

    /// Print the report as JSON.
    #[arg(long)]
    json: bool,

    /// Worker threads for deciding again. Default: all cores.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,

    /// A run over an indexed snapshot of more origins than N is decided
    /// again with its policies loaded N origins at a time (as `filter
    /// --policy-window`; the decisions do not depend on N).
    #[arg(long, value_name = "N", default_value_t = crate::engine::window::DEFAULT_ORIGINS)]
    policy_window: usize,

    /// Print nothing on standard error but errors.
    #[arg(long, short)]
    quiet: bool,
}

pub(crate) fn run(args: &VerifyArgs) -> ExitStatus {
    let depth = if args.full {
        Depth::Full
    } else {
        Depth::Sample(args.sample)
    };
    let threads = args.threads.unwrap_or_else(crate::run::default_threads);
    if threads == 0 {
        return failed(
            &crate::Error::config("--threads must be at least 1"),
            One::Answer,
        );
    }
    let observer = Terminal::new(args.quiet);
    match verify(
        &args.manifest,
        depth,
        threads,
        args.policy_window.max(1),
        &observer,
    ) {
        Ok(report) => {
            let text = if args.json {
                serde_json::to_string_pretty(&report).expect("serialises") + "\n"
            } else {
                report.text()
            };
            if let Err(err) = std::io::stdout().lock().write_all(text.as_bytes()) {
                return failed(&crate::Error::io("-", err), One::Answer);
            }
            if report.ok {
                ExitStatus::Success
            } else {
                ExitStatus::UserError
            }
        }
        Err(err) => failed(&err, One::Answer),
    }
}
