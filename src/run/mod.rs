//! Runs over whole corpora, as the command line and library callers start
//! them: a [`RunPlan`] (data: inputs, [`crate::config::FilterConfig`],
//! policy source, blocklists, whether to fetch first) is [`prepare`]d into
//! an engine, then [`filter`]ed (rows written, with stats and a manifest)
//! or [`audit`]ed (counted into a report). Each step takes an
//! [`crate::observe::Observer`] for progress, messages and cancellation;
//! none prints.
//!
//! ```
//! use optout::config::FilterConfig;
//! use optout::observe::Quiet;
//! use optout::run::{self, FilterOutputs, RunPlan};
//! use optout::source::PolicySource;
//!
//! let mut config = FilterConfig::for_purpose(Some("train"), &[])?;
//! config.missing_policy = "allow".into();
//! let source = PolicySource::RobotsDir {
//!     path: "fixtures/robots/real".into(),
//!     shown_as: None,
//! };
//! let plan = RunPlan::new(vec!["fixtures/urls/sample.txt".into()], config, source);
//! let mut prepared = run::prepare(plan, &Quiet)?;
//! let kept = std::env::temp_dir().join(format!("optout-doc-{}.txt", std::process::id()));
//! let outputs = FilterOutputs {
//!     kept: Some(kept.clone()),
//!     ..FilterOutputs::default()
//! };
//! let filtered = run::filter(&mut prepared, &outputs, &Quiet)?;
//! let stats = &filtered.outcome.stats;
//! assert_eq!(stats.rows, 331);
//! assert!(stats.check() && stats.kept > 0);
//! # std::fs::remove_file(kept).unwrap();
//! # Ok::<(), optout::Error>(())
//! ```

pub mod audit;
mod filter;
mod loading;
mod manifest;
mod prepare;
mod stats;

pub use filter::{FilterOutputs, Filtered, check_outputs, filter};
pub use loading::{loads_by_window, loads_only_inputs};
pub use manifest::{policy_snapshot_path, write_run_manifest};
pub use prepare::{
    InputKind, Prepared, RowRequest, RunPlan, default_threads, prepare, scan_origins,
};
