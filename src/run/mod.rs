//! Runs over whole corpora, as the command line and library callers start
//! them: a [`RunPlan`] (data: inputs, [`crate::config::FilterConfig`],
//! policy source, blocklists, whether to fetch first) is [`prepare`]d into
//! an engine, then [`filter`]ed (rows written, with stats and a manifest)
//! or [`audit`]ed (counted into a report). Each step takes an
//! [`crate::observe::Observer`] for progress, messages and cancellation;
//! none prints.

pub mod audit;
mod filter;
mod manifest;
mod prepare;
mod stats;

pub use filter::{FilterOutputs, Filtered, check_outputs, filter};
pub use manifest::{policy_snapshot_path, write_run_manifest};
pub use prepare::{InputKind, Prepared, RowRequest, RunPlan, prepare, scan_origins};
