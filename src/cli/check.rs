//! `optout check`: the by-hand check every robots.txt user knows from
//! Google's `robots_main`, for one file, one or more agents and any number
//! of URLs, with the deciding line.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::agents::AgentSet;
use crate::cli::say;
use crate::cli::status::{ExitStatus, One, failed};
use crate::origin::UrlParser;
use crate::signals::robots::{RobotsTxt, Selection};

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

#[derive(Serialize)]
struct CheckRecord<'a> {
    url: &'a str,
    agent: &'a str,
    allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<u32>,
    reason: &'static str,
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
    let robots = RobotsTxt::parse(&body);
    let notes = robots.notes;
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
    let compiled = robots.compile(agents.keys());

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut parser = UrlParser::new();
    let mut status = ExitStatus::Success;
    for url in &args.urls {
        let absolute = if url.starts_with('/') {
            format!("http://robots.invalid{url}")
        } else {
            url.clone()
        };
        let path = match parser.parse(&absolute) {
            Ok(parts) => parts.path.to_vec(),
            Err(err) => {
                say!("error: `{url}`: {err}");
                status = ExitStatus::Failure;
                continue;
            }
        };
        for (index, agent) in agents.names().iter().enumerate() {
            let verdict = compiled.verdict(index, &path);
            let rule = verdict.rule.map(|r| &robots.rules[r]);
            let reason = match (rule, compiled.selection(index)) {
                (Some(_), _) => "rule",
                (None, _) if path == b"/robots.txt" => "robots.txt is always allowed",
                (None, Selection::None) => "no group applies",
                (None, _) => "no matching rule",
            };
            let record = CheckRecord {
                url,
                agent,
                allowed: verdict.allowed,
                line: rule.map(|r| r.line),
                rule: rule.map(|r| robots.rule_text(r)),
                group: rule.map(|r| robots.groups[r.group].line()),
                reason,
            };
            if !verdict.allowed && status == ExitStatus::Success {
                status = ExitStatus::UserError;
            }
            let written = if args.json {
                serde_json::to_writer(&mut out, &record)
                    .map_err(std::io::Error::from)
                    .and_then(|()| out.write_all(b"\n"))
            } else {
                let word = if verdict.allowed {
                    "allowed"
                } else {
                    "disallowed"
                };
                let why = match (&record.rule, record.line) {
                    (Some(rule), Some(line)) => format!("line {line}: {rule}"),
                    _ => reason.to_owned(),
                };
                writeln!(out, "{word}\t{url}\t{agent}\t{why}")
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
