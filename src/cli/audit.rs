//! `optout audit INPUT...`: how much of a corpus is opted out, by which
//! signal, agent and domain, without writing a dataset. The rows are judged
//! exactly as `filter` judges them (same options, same engine); the report
//! adds byte shares, origins by what their policy files said, and origins
//! that state nothing at all. JSON for machines, Markdown for reviews, and
//! one self-contained HTML page with inline SVG charts that opens offline.

use std::path::PathBuf;

use clap::Args;

use crate::cli::filter::FilterArgs;
use crate::cli::progress::Terminal;
use crate::cli::status::{ExitStatus, One, failed};
use crate::error::Result;
use crate::output::Destination;
use crate::report::AuditReport;
use crate::run;

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

pub(crate) fn run(args: &AuditArgs) -> ExitStatus {
    match audit(args) {
        Ok(status) => status,
        Err(err) => failed(&err, One::UserError),
    }
}

/// Writes the report (and manifest); the status is a failure when origins
/// lack a policy under `--missing-policy error`, as for `filter`: the
/// report, which counts them, is written all the same.
fn audit(args: &AuditArgs) -> Result<ExitStatus> {
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
    if !matches!(format.as_str(), "json" | "markdown" | "html") {
        return Err(crate::Error::config(format!(
            "--report-format `{format}`: expected json, markdown or html"
        )));
    }
    let report = args
        .report
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("-"));
    let plan = filter.plan(None)?;
    run::check_outputs(
        &plan,
        &[("--report", report)],
        filter.manifest().map(PathBuf::as_path),
    )?;
    let observer = Terminal::new(filter.quiet());
    let mut prepared = filter.prepare(plan, &observer)?;
    let audited = run::audit::audit(&mut prepared, &observer)?;
    let report = AuditReport::new(&prepared, &audited.stats, audited.now.as_ref(), args.top);
    let text = match format.as_str() {
        "json" => serde_json::to_string_pretty(&report).expect("serialises") + "\n",
        "html" => report.html(),
        _ => report.markdown(),
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
        let counts = serde_json::to_value(
            audited
                .stats
                .report(prepared.engine.agents().names(), args.top),
        )
        .expect("counts serialise");
        run::write_run_manifest(&prepared, "audit", counts, outputs, path)?;
    }
    let unreachable = filter.policies_failed(&prepared);
    if crate::cli::filter::missing_failed(&prepared, &audited.stats) || unreachable {
        return Ok(ExitStatus::Failure);
    }
    Ok(ExitStatus::Success)
}
