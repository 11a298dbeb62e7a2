//! The filter engine: decides every row of a corpus against a policy
//! snapshot and blocklists, in parallel, in input order.
//!
//! * [`decide`]: the pure decision for one row;
//! * [`stats`]: counts that merge with `+=`;
//! * `chunk`: [`Engine::process_chunk`], which judges a chunk host by host
//!   and writes its results in input order, with `hosts` (the chunk's host
//!   table) and `prefetch` (the hints its random reads need);
//! * this module: [`Engine`], which holds everything a decision reads;
//! * `run`: [`run`], which drives chunks through a rayon pool and hands
//!   results, in order, to a [`Sink`].
//!
//! `--threads 1` takes a sequential path without rayon. Both paths judge
//! the same chunks with the same code and emit them in input order, so their
//! outputs are byte-identical.

pub mod as_of;
pub mod batch;
mod chunk;
pub mod column;
pub mod compile;
pub mod decide;
mod hosts;
pub mod load;
pub mod parquet;
mod prefetch;
mod removed;
pub mod row_code;
mod rows;
mod run;
pub mod scan;
pub mod stats;
pub mod usage;
pub mod warc;
pub mod window;

use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use crate::agents::{AgentRule, AgentSet};
use crate::blocklist::{Blocklists, HitRef, registrable_domain};
use crate::corpus::json::FieldPath;
use crate::corpus::{OnError, RowFormat};
use crate::error::{Error, Result};
use crate::policy::Snapshot;

pub use as_of::{Crawl, CrawlTime};
pub use decide::{Decision, Evidence, Removal, Scratch};
pub use removed::Preference;
pub use run::{RunOutcome, run};
pub use stats::Stats;
pub use usage::{UsageHit, UsageOptions, UsagePlan};
pub use warc::PageDecision;

/// What to do with a URL whose host has no policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MissingPolicy {
    /// Keep it (counted as kept without policy).
    Allow,
    /// Remove it with reason `no-policy`.
    Deny,
    /// Remove it with reason `no-policy`, and fail the run.
    #[default]
    Error,
}

/// Everything a decision reads. Immutable and shared by all threads.
#[derive(Debug)]
pub struct Engine {
    snapshot: Snapshot,
    /// Per policy of the snapshot: what does not depend on the path.
    hosts: Box<[KnownHost]>,
    blocklists: Blocklists,
    agents: AgentSet,
    agent_rule: AgentRule,
    missing: MissingPolicy,
    usage: UsageOptions,
    format: RowFormat,
    on_error: OnError,
    /// Judge each record by the policy in force at its crawl time.
    by_crawl_time: bool,
    /// The field (JSON Lines) or column (Parquet) holding each row's token
    /// count, when tokens are counted.
    tokens: Option<FieldPath>,
    /// What evidence URLs leave out.
    redaction: crate::redact::Redaction,
}

/// Facts about a host with a policy, worked out once per run.
#[derive(Debug)]
struct KnownHost {
    /// The blocklist entry that covers the host.
    blocked: Option<HitRef>,
    /// The host's registrable domain, for reports.
    domain: Box<str>,
    /// Its usage sources; `None` when none can state anything. Boxed: most
    /// hosts have none, and inline the plan would cost each of them 88
    /// bytes (a million origins: 88 MB).
    usage: Option<Box<UsagePlan>>,
    /// Whether a row of the run was judged by this policy: set once per
    /// host of a chunk, read at the end ([`Engine::named_tally`]).
    named: AtomicBool,
}

/// What does not depend on the path, for every policy of `snapshot`.
fn known_hosts(
    snapshot: &Snapshot,
    blocklists: &Blocklists,
    agents: &AgentSet,
) -> Box<[KnownHost]> {
    let mut shared = usage::SharedRules::default();
    let set = snapshot.policies();
    (0..set.total())
        .map(|index| set.policy(index))
        .map(|p| KnownHost {
            blocked: blocklists.find_ref(&p.host),
            domain: registrable_domain(&p.host).into(),
            usage: UsagePlan::with_shared(p, agents.keys(), &mut shared).map(Box::new),
            named: AtomicBool::new(false),
        })
        .collect()
}

/// A pool of `threads` workers named `optout-{role}-N`: the engine's one
/// way of starting threads for a stage (judging, scanning, loading).
pub(crate) fn pool(threads: usize, role: &'static str) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(move |i| format!("optout-{role}-{i}"))
        .build()
        .map_err(|e| Error::config(format!("cannot start {threads} threads: {e}")))
}

/// Hands freed memory back to the system: what a policy window freed, or
/// what loading freed (whole parses cut to slim ones, file bodies, the
/// scan's origins) before judging starts. These are millions of small
/// allocations made and freed on several threads; glibc keeps freed pages
/// inside its arenas, pinned by the few allocations that stay, so without
/// this the resident size creeps up window after window, and judging's
/// buffers come on top of loading's garbage (100,000-host robots
/// directory, 1M URLs: 381 → 363 MiB, same time).
pub(crate) fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's
    // own arenas; it takes no pointer and touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A value a pool thread made for itself from the calling thread's
/// (a reader of a file the caller opened), or why it could not.
///
/// # Errors
///
/// When the thread could not make it.
pub(crate) fn opened_again<T>(made: &Result<T>) -> Result<&T> {
    made.as_ref()
        .map_err(|e| Error::config(format!("opening it again on another thread: {e}")))
}

/// At most this many row problems are kept per run for messages; all are
/// counted.
pub const MAX_PROBLEMS: usize = 20;

/// A row that could not be judged as a URL, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    /// 1-based line number.
    pub line: u64,
    /// What is wrong.
    pub message: String,
    /// The row was skipped for this reason (it is not of its format);
    /// `None`: it was removed as `invalid-url`.
    pub skipped: Option<crate::signals::SkipReason>,
}

/// What judging one chunk produced.
#[derive(Debug, Default)]
pub struct ChunkResult {
    /// Kept rows, byte for byte with their line ends.
    pub kept: Vec<u8>,
    /// For cells of a column: per row, whether it is kept.
    pub keep: Vec<bool>,
    /// Removed rows as JSON Lines, when asked for.
    pub removed: Vec<u8>,
    /// Counts.
    pub stats: Stats,
    /// The first [`MAX_PROBLEMS`] invalid rows.
    pub problems: Vec<RowProblem>,
    /// The chunk's first row that is not of its format.
    pub first_bad: Option<RowProblem>,
    /// For cells, when asked for: each row's outcome.
    pub outcomes: Vec<row_code::RowOutcome>,
}

/// What a [`Sink`] should be given.
#[derive(Clone, Copy, Debug, Default)]
pub struct Outputs {
    /// Fill [`ChunkResult::kept`].
    pub kept: bool,
    /// Fill [`ChunkResult::removed`].
    pub removed: bool,
    /// Fill [`ChunkResult::outcomes`] (cells only).
    pub outcomes: bool,
}

/// Receives chunk results in input order.
pub trait Sink {
    /// Takes one chunk's result.
    ///
    /// # Errors
    ///
    /// When writing fails; the run stops.
    fn chunk(&mut self, result: &ChunkResult) -> Result<()>;
}

impl Engine {
    /// An engine over a compiled snapshot (see [`crate::policy::PolicySet::compile`],
    /// with the same `agents`).
    #[must_use]
    pub fn new(
        snapshot: Snapshot,
        blocklists: Blocklists,
        agents: AgentSet,
        agent_rule: AgentRule,
        missing: MissingPolicy,
    ) -> Engine {
        let hosts = known_hosts(&snapshot, &blocklists, &agents);
        Engine {
            snapshot,
            hosts,
            blocklists,
            agents,
            agent_rule,
            missing,
            usage: UsageOptions::default(),
            redaction: crate::redact::Redaction::default(),
            format: RowFormat::Lines,
            on_error: OnError::Skip,
            by_crawl_time: false,
            tokens: None,
        }
    }

    /// Judges by `snapshot` from now on, in place of the policies held
    /// (compiled for the engine's agents). The old ones are dropped first:
    /// a run that loads a window of policies at a time holds one window.
    pub fn set_snapshot(&mut self, snapshot: Snapshot) {
        self.snapshot = Snapshot::default();
        self.hosts = Box::default();
        self.hosts = known_hosts(&snapshot, &self.blocklists, &self.agents);
        self.snapshot = snapshot;
    }

    /// The engine reading rows as `format` (default: one URL per line),
    /// and treating rows not of that format as `on_error` says.
    #[must_use]
    pub fn with_format(mut self, format: RowFormat, on_error: OnError) -> Engine {
        self.format = format;
        self.on_error = on_error;
        self
    }

    /// Reads the next input as `format`.
    pub fn set_format(&mut self, format: RowFormat) {
        self.format = format;
    }

    /// Counts tokens from `field` (a JSON Lines path, or a Parquet
    /// column): totals per kept row and per removal reason in the stats.
    #[must_use]
    pub fn with_tokens(mut self, field: Option<FieldPath>) -> Engine {
        self.tokens = field;
        self
    }

    /// The token count field, if tokens are counted.
    #[must_use]
    pub fn tokens_field(&self) -> Option<&FieldPath> {
        self.tokens.as_ref()
    }

    /// The token count of a JSON Lines row (`None`: no count, or tokens are
    /// not counted from rows of this format).
    pub(crate) fn tokens_of(
        &self,
        line: &[u8],
        scratch: &mut crate::corpus::json::Scratch,
    ) -> Option<u64> {
        let field = self.tokens.as_ref()?;
        let RowFormat::JsonLines(_) = self.format else {
            return None;
        };
        match crate::corpus::json::find(line.trim_ascii(), field, scratch) {
            Ok(crate::corpus::json::Found::Number(n)) => crate::corpus::json::count(n),
            _ => None,
        }
    }

    /// The row format.
    #[must_use]
    pub fn format(&self) -> &RowFormat {
        &self.format
    }

    /// What rows not of their format do.
    #[must_use]
    pub fn on_error(&self) -> OnError {
        self.on_error
    }

    /// The engine with the usage stage set to `options` (the default:
    /// purpose `train`, unknown kept, legacy keys not counted).
    #[must_use]
    pub fn with_usage(mut self, options: UsageOptions) -> Engine {
        self.usage = options;
        self
    }

    /// Sets what the URLs of removed records leave out (by default the
    /// userinfo).
    #[must_use]
    pub fn with_redaction(mut self, redaction: crate::redact::Redaction) -> Engine {
        self.redaction = redaction;
        self
    }

    /// What the URLs of removed records leave out.
    #[must_use]
    pub fn redaction(&self) -> crate::redact::Redaction {
        self.redaction
    }

    /// What the usage stage enforces.
    #[must_use]
    pub fn usage_options(&self) -> &UsageOptions {
        &self.usage
    }

    /// The usage plan of the policy at `index`, if it has statements.
    #[must_use]
    pub fn usage_plan(&self, index: usize) -> Option<&UsagePlan> {
        self.hosts[index].usage.as_deref()
    }

    /// The selected agents.
    #[must_use]
    pub fn agents(&self) -> &AgentSet {
        &self.agents
    }

    /// The policy snapshot.
    #[must_use]
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// The tally of the current policies that judged a row so far: for a
    /// run that loaded every policy of its source, the policies of the
    /// origins its input names, as a run that loads only those counts
    /// them ([`crate::policy::PolicyTally::of`]). Earlier policies (runs by
    /// crawl time) are not counted.
    #[must_use]
    pub fn named_tally(&self) -> crate::policy::PolicyTally {
        let set = self.snapshot.policies();
        let mut tally = crate::policy::PolicyTally::default();
        for (policy, known) in set.policies().iter().zip(&self.hosts) {
            if known.named.load(Ordering::Relaxed) {
                tally.add(policy, 0);
            }
        }
        tally
    }

    /// Notes that `index` judged a row.
    #[inline]
    fn name_policy(&self, index: usize) {
        let named = &self.hosts[index].named;
        // Read first: most calls find it set, and a store would take the
        // line from the other threads reading the host's facts.
        if !named.load(Ordering::Relaxed) {
            named.store(true, Ordering::Relaxed);
        }
    }

    /// The blocklists.
    #[must_use]
    pub fn blocklists(&self) -> &Blocklists {
        &self.blocklists
    }

    /// How the agents' verdicts combine.
    #[must_use]
    pub fn agent_rule(&self) -> AgentRule {
        self.agent_rule
    }

    /// What happens to hosts without a policy.
    #[must_use]
    pub fn missing_policy(&self) -> MissingPolicy {
        self.missing
    }

    /// Counts a removal; the domain too when `count_domain` (the chunk
    /// processor counts rows of hosts with a policy by policy instead).
    pub(crate) fn count_removal(
        &self,
        removal: &Removal<'_>,
        number: u64,
        count_domain: bool,
        stats: &mut Stats,
        problems: &mut Vec<RowProblem>,
    ) {
        stats.removed[removal.reason.index()] += 1;
        if let Some(host) = removal.host.filter(|_| count_domain) {
            let domain = removal.domain.unwrap_or_else(|| registrable_domain(host));
            match stats.removed_domains.get_mut(domain) {
                Some(n) => *n += 1,
                None => {
                    stats.removed_domains.insert(domain.to_owned(), 1);
                }
            }
        }
        match &removal.evidence {
            Evidence::NoPolicy => stats.note_without_policy(removal.origin.unwrap_or_default()),
            Evidence::InvalidUrl(err) if problems.len() < MAX_PROBLEMS => {
                problems.push(RowProblem {
                    line: number,
                    message: err.to_string(),
                    skipped: None,
                });
            }
            _ => {}
        }
    }
}
