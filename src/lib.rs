//! optout keeps opted-out and pirated web content out of AI training data.
//!
//! A run reads a corpus of URLs and decides, for every row, whether it may
//! enter training data, naming a stable reason for every exclusion:
//!
//! ```text
//!  corpus ──► corpus::ChunkReader ──► engine (rayon) ──► kept rows
//!    │                                  │   ▲          └─► removed rows + reason
//!    └─► corpus::scan (origins)         │   │
//!          └─► fetch (tokio) ─► cache (SQLite, history)
//!                                  │
//!  robots.txt files, snapshots ────┴─► policy::PolicySet ─► Snapshot (compiled)
//!  blocklists ──────► blocklist::Blocklists ┘
//! ```
//!
//! * [`signals`]: the signal parsers (robots.txt per RFC 9309 with its
//!   `Content-Usage` / `Content-Signal` / `License` lines, TDMRep, ai.txt,
//!   RSL, `X-Robots-Tag` and meta tags, one page's response), the usage
//!   statement model, and the stable [`signals::ReasonCode`]s. No I/O.
//! * [`agents`]: the versioned registry of AI crawler tokens and purposes.
//! * [`origin`]: URL parsing into host and robots.txt path, fast and equal
//!   to the `url` crate.
//! * [`blocklist`]: domain lists, matched on label boundaries.
//! * [`digest`]: content hashes for evidence.
//! * [`evidence`]: the run manifest `optout verify` checks; [`redact`]:
//!   what of a URL evidence leaves out (credentials, optionally queries).
//! * [`policy`]: per-origin policies (robots.txt access and the origin's
//!   tdmrep.json, ai.txt and RSL document) and the compiled
//!   [`policy::Snapshot`].
//! * [`fetch`]: the only network code: robots.txt and the per-origin files
//!   with RFC 9309 outcomes, redirects, retries, politeness and resolver
//!   overrides; one page for `explain`.
//! * [`cache`]: the SQLite policy cache with history, freshness and
//!   fallback rules, and portable snapshots.
//! * [`time`]: timestamps as the cache and evidence keep them.
//! * [`corpus`]: inputs (plain, gzip, zstd, stdin) cut into line chunks
//!   (URL lists, JSON Lines, CDXJ), WARC records, and the scan for distinct
//!   origins.
//! * [`engine`]: the per-row decision (blocklists, then robots.txt access,
//!   then the usage statements per purpose), the ordered parallel run, the
//!   WARC and Parquet paths, and judging each record by the policy in force
//!   when it was crawled.
//! * [`config`]: a run's configuration as data ([`config::FilterConfig`],
//!   which manifests record), built into the engine; [`source`]: where
//!   policies come from (cache, snapshot, robots directory).
//! * [`cli`]: the command line.
//!
//! # Example
//!
//! ```
//! use optout::agents::AgentSet;
//! use optout::signals::robots::{normalize, RobotsTxt};
//!
//! let robots = RobotsTxt::parse(b"User-agent: GPTBot\nDisallow: /private/\n");
//! let agents = AgentSet::from_names(&["GPTBot", "CCBot"])?;
//! let compiled = robots.compile(agents.keys());
//! let mut scratch = Vec::new();
//! let path = normalize::normalize(b"/private/a", normalize::Side::Url, &mut scratch);
//! let gptbot = compiled.verdict(0, path);
//! assert!(!gptbot.allowed);
//! assert_eq!(robots.rules[gptbot.rule.unwrap()].line, 2);
//! assert!(compiled.verdict(1, path).allowed);
//! # Ok::<(), optout::Error>(())
//! ```

pub mod agents;
pub mod blocklist;
pub mod cache;
pub mod check;
pub mod cli;
pub mod config;
pub mod corpus;
pub mod digest;
pub mod engine;
pub mod error;
pub mod evidence;
pub mod explain;
pub mod fetch;
pub mod huge_pages;
pub mod observe;
pub mod origin;
pub mod output;
pub mod panic_guard;
pub mod policy;
pub mod redact;
pub mod report;
pub mod run;
pub mod signals;
pub mod source;
pub mod time;
pub mod verify;

pub use error::{Error, ErrorClass, ErrorKind, Result};
