//! The command line: argument definitions (clap derive), one module per
//! command, and the mapping of outcomes to exit codes. Library code does the
//! work; this layer resolves options, prints, and writes files.
//!
//! Exit codes (documented in the README):
//!
//! | code | `filter`, `audit`, `fetch`, `cache`, `agents` | `check`, `explain`, `verify` |
//! |---|---|---|
//! | 0 | success | a positive answer (allowed, kept, verified) |
//! | 1 | user error: bad option, unusable input, list, directory or snapshot | a negative answer (disallowed, removed, not verified) |
//! | 2 | failure: the run could not finish cleanly (corrupt input, cache, network or write error, origins without policy under `--missing-policy error`, more unreachable origins than `--max-unreachable`) | any error, a bad option included |
//! | 130 | interrupted by SIGINT; what finished is saved | interrupted |
//!
//! `tests/it/exit_codes.rs` holds every cell.

mod agents;
mod audit;
mod cache;
mod check;
mod explain;
mod fetch;
mod filter;
mod progress;
mod status;
mod verify;

use std::io::Write;

use clap::{Parser, Subcommand};

pub use status::ExitStatus;

/// Keep opted-out and pirated web content out of AI training data.
#[derive(Debug, Parser)]
#[command(
    name = "optout",
    version,
    about,
    max_term_width = 100,
    args_override_self = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Filter a corpus (URL list, JSON Lines, CDXJ, WARC or Parquet): keep
    /// what may enter AI training data, remove the rest with a reason.
    Filter(Box<filter::FilterCommand>),
    /// Fetch the robots.txt (and tdmrep.json, ai.txt) of every origin of a
    /// corpus into the cache.
    Fetch(Box<fetch::FetchArgs>),
    /// Inspect, export or import the policy cache.
    Cache(cache::CacheArgs),
    /// Check URLs against one robots.txt file, by hand.
    Check(check::CheckArgs),
    /// Explain one URL: every signal, the verdict per purpose and agent,
    /// and the lines that decide (exit 0 kept, 1 removed, 2 error).
    Explain(Box<explain::ExplainArgs>),
    /// Report how much of one or more corpora is opted out, by reason,
    /// agent and domain, without writing a dataset.
    Audit(Box<audit::AuditArgs>),
    /// Verify a `filter` or `audit` run from its manifest: file hashes, and
    /// decisions made again (exit 0 verified, 1 mismatch, 2 error).
    Verify(verify::VerifyArgs),
    /// List the agent registry.
    Agents(agents::AgentsArgs),
}

/// Parses the process arguments and runs the command.
#[must_use]
pub fn main() -> ExitStatus {
    // A corrupt Parquet file can make its decoder panic; the panic is
    // caught and reported as an error naming the file, so the crash
    // message it would print is left out.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !crate::panic_guard::in_guarded_decode() {
            default_hook(info);
        }
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return match err.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitStatus::Success
                }
                // `check`, `explain` and `verify` give 1 an answer's
                // meaning (disallowed, removed, a mismatch): an error is 2.
                _ if matches!(
                    std::env::args().nth(1).as_deref(),
                    Some("check" | "explain" | "verify")
                ) =>
                {
                    ExitStatus::Failure
                }
                _ => ExitStatus::UserError,
            };
        }
    };
    match cli.command {
        Command::Filter(args) => filter::run(*args),
        Command::Fetch(args) => fetch::run(&args),
        Command::Cache(args) => cache::run(args),
        Command::Check(args) => check::run(args),
        Command::Explain(args) => explain::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Audit(args) => audit::run(&args),
        Command::Agents(args) => agents::run(&args),
    }
}

/// Writes a message to standard error. Messages never go to standard
/// output, which carries data only.
pub(crate) fn message(text: std::fmt::Arguments<'_>) {
    let stderr = std::io::stderr();
    let mut stderr = stderr.lock();
    let _ = stderr.write_fmt(text);
    let _ = stderr.write_all(b"\n");
}

macro_rules! say {
    ($($arg:tt)*) => { $crate::cli::message(format_args!($($arg)*)) };
}
pub(crate) use say;
