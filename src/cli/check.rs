//! `optout check`: the by-hand check every robots.txt user knows from
//! Google's `robots_main`, for one file, one or more agents and any number
//! of URLs, with the deciding line.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::agents::AgentSet;
use crate::check::RobotsCheck;
use crate::cli::say;
use crate::cli::status::{ExitStatus, One, failed};

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The robots.txt file; `-` for standard input.
    #[arg(long, value_name = "FILE")]
    robots: PathBuf,

    /// The agent to check for. Repeatable, or comma-separated.
    #[arg(long, required = true, value_delimiter = ',', value_name = "NAME")]
    agent: Vec<String>,

    /// Print one JSON object per URL and agent instead of text.
    #[arg(long)]
    json: bool,

    /// URLs to check (absolute URLs, or paths starting with `/`).
    #[arg(required = true, value_name = "URL")]
    urls: Vec<String>,
}

pub(crate) fn run(args: CheckArgs) -> ExitStatus {
    let body = if args.robots.as_os_str() == "-" {
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut body).map(|_| body)
    } else {
        std::fs::read(&args.robots)
    };
    let body = match body {
        Ok(body) => body,
        Err(err) => return failed(&crate::Error::io(&args.robots, err), One::Answer),
    };
    let agents = match AgentSet::from_names(&args.agent) {
        Ok(agents) => agents,
        Err(err) => return failed(&err, One::Answer),
    };
    let mut check = RobotsCheck::new(&body, agents);
    let notes = check.robots().notes;
    if notes.html {
        say!(
            "note: `{}` looks like an HTML page, not robots.txt",
            args.robots.display()
        );
    }
    if notes.truncated {
        say!(
            "note: `{}` is larger than 500 KiB; only the first 512,000 bytes were read",
            args.robots.display()
        );
    }
    if notes.unreadable_lines > 0 {
        say!(
            "note: `{}`: {} lines are not `key: value` and were ignored",
            args.robots.display(),
            notes.unreadable_lines
        );
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut status = ExitStatus::Success;
    for url in &args.urls {
        let verdicts = match check.check(url) {
            Ok(verdicts) => verdicts,
            Err(err) => {
                say!("error: {err}");
                status = ExitStatus::Failure;
                continue;
            }
        };
        for verdict in verdicts {
            if !verdict.allowed && status == ExitStatus::Success {
                status = ExitStatus::UserError;
            }
            let written = if args.json {
                serde_json::to_writer(&mut out, &verdict)
                    .map_err(std::io::Error::from)
                    .and_then(|()| out.write_all(b"\n"))
            } else {
                let word = if verdict.allowed {
                    "allowed"
                } else {
                    "disallowed"
                };
                let why = match (&verdict.rule, verdict.line) {
                    (Some(rule), Some(line)) => format!("line {line}: {rule}"),
                    _ => verdict.reason.to_owned(),
                };
                writeln!(out, "{word}\t{url}\t{}\t{why}", verdict.agent)
            };
            if let Err(err) = written {
                return match failed(&crate::Error::io("-", err), One::Answer) {
                    ExitStatus::Success => status,
                    failure => failure,
                };
            }
        }
    }
    status
}
