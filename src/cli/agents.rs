//! `optout agents`: the agent registry, as a table or JSON.

use std::io::Write;

use clap::Args;

use crate::agents::{Purpose, Registry};
use crate::cli::status::{ExitStatus, One, failed};
use crate::error::{Error, Result};

/// The agents a run enforces: `agents`, which must be registry names, and
/// `tokens`, crawler tokens the user vouches for (`--agent-token`). A name
/// the registry does not know is refused with the closest ones it does: a
/// misspelt agent would otherwise be enforced by a name no robots.txt
/// uses, and the run would keep everything.
///
/// # Errors
///
/// When a name of `agents` is not in the registry.
pub(crate) fn checked(agents: &[String], tokens: &[String]) -> Result<Vec<String>> {
    let registry = Registry::builtin();
    if let Some(unknown) = agents.iter().find(|name| registry.get(name).is_none()) {
        let closest = registry.closest(unknown);
        let hint = if closest.is_empty() {
            String::from("`optout agents` lists them")
        } else {
            format!("did you mean {}?", closest.join(", "))
        };
        return Err(Error::config(format!(
            "--agents: `{unknown}` is not in the agent registry ({hint}); a crawler token of your own goes in --agent-token {unknown}"
        )));
    }
    Ok(agents.iter().chain(tokens).cloned().collect())
}

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
