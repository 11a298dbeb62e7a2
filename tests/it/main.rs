//! optout's integration tests: one binary, one module per area.

mod cli_check;
mod cli_filter;
mod conformance;
mod equivalence;
mod oracle;
mod util;
