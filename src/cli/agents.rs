//! `optout agents`: the agent registry, as a table or JSON.

use std::io::Write;

use clap::Args;

use crate::agents::{Purpose, Registry};
use crate::cli::status::{ExitStatus, One, failed};

#[derive(Debug, Args)]
pub(crate) struct AgentsArgs {
    /// Only agents that `--purpose` would select: train, search,
    /// user-fetch or control-only.
    #[arg(long, value_name = "PURPOSE")]
    purpose: Option<String>,

    /// Print the registry as JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &AgentsArgs) -> ExitStatus {
    let registry = Registry::builtin();
    let purpose: Option<Purpose> = match args.purpose.as_deref().map(str::parse).transpose() {
        Ok(p) => p,
        Err(err) => return failed(&err, One::UserError),
    };
    let agents: Vec<_> = registry
        .agents
        .iter()
        .filter(|a| purpose.is_none_or(|p| a.serves(p)))
        .collect();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if args.json {
        let doc = serde_json::json!({
            "version": registry.version,
            "source": registry.source,
            "agents": agents,
        });
        serde_json::to_writer_pretty(&mut out, &doc)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
    } else {
        agents.iter().try_for_each(|a| {
            writeln!(
                out,
                "{}\t{}\t{}",
                a.name,
                a.purpose,
                a.operator.as_deref().unwrap_or("-")
            )
        })
    };
    match written {
        Ok(()) => ExitStatus::Success,
        Err(err) => failed(&crate::Error::io("-", err), One::UserError),
    }
}
