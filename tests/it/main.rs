//! optout's integration tests: one binary, one module per area.

mod alloc;
mod as_of;
mod audit;
mod batch;
mod cli_check;
mod cli_fetch;
mod cli_filter;
mod cli_jsonl;
mod cli_parquet;
mod cli_warc;
mod conformance;
mod equivalence;
mod exit_codes;
mod fetch_formats;
mod fetcher;
mod hardening;
mod hostile;
mod hostile_readers;
mod hostile_server;
mod indexed;
mod media;
mod observe;
mod one_pass;
mod oracle;
mod readme;
mod resume;
mod server;
mod signals;
mod util;
mod verify;
mod windows;

#[path = "../../benches/world.rs"]
mod world;

#[path = "../../benches/realistic.rs"]
mod realistic;

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;
