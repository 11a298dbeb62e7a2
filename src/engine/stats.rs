//! Counts of a run. Every row read is kept, removed (with a reason) or
//! skipped, and [`Stats::check`] proves the counts add up. Stats of chunks
//! are merged with `+=` in input order, so parallel and sequential runs give
//! identical figures.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::AddAssign;

use serde::Serialize;

use crate::signals::{ReasonCode, SkipReason};

/// Counts for a run or a part of one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Rows read (lines of the input).
    pub rows: u64,
    /// Rows kept.
    pub kept: u64,
    /// Kept rows whose host had no policy (`--missing-policy allow`).
    pub kept_without_policy: u64,
    /// Removed rows by [`ReasonCode::index`].
    pub removed: [u64; ReasonCode::ALL.len()],
    /// Skipped rows by [`SkipReason::index`].
    pub skipped: [u64; SkipReason::ALL.len()],
    /// Per selected agent: removed rows on which robots.txt disallowed it.
    pub agent_disallowed: Vec<u64>,
    /// Removed rows per registrable domain.
    pub removed_domains: HashMap<String, u64, foldhash::fast::RandomState>,
    /// Distinct origins (`scheme://host[:port]`) with no policy.
    pub origins_without_policy: HashSet<String, foldhash::fast::RandomState>,
    /// Rows that reached the usage stage (access allowed them), by the
    /// verdict for the enforced purpose: allowed, unknown, disallowed.
    pub usage: [u64; 3],
    /// Bytes of all rows read (line ends included).
    pub bytes: u64,
    /// Bytes of kept rows.
    pub kept_bytes: u64,
    /// Bytes of removed rows, by reason.
    pub removed_bytes: [u64; ReasonCode::ALL.len()],
    /// Runs by crawl time: rows whose origin has a policy, by how it
    /// was found ([`crate::engine::CrawlTime::index`]).
    pub crawl_time: [u64; 3],
    /// Runs with a token count field: the tokens of all rows that have
    /// one, of kept rows, and of removed rows by reason.
    pub tokens: u64,
    /// Tokens of kept rows.
    pub kept_tokens: u64,
    /// Tokens of removed rows, by reason.
    pub removed_tokens: [u64; ReasonCode::ALL.len()],
    /// Rows judged (kept or removed) without a count in the field.
    pub rows_without_tokens: u64,
}

impl Stats {
    /// Notes that `origin` has no policy (its rows were kept under
    /// `--missing-policy allow` or removed as no-policy): counted once.
    pub fn note_without_policy(&mut self, origin: &str) {
        if !self.origins_without_policy.contains(origin) {
            self.origins_without_policy.insert(origin.to_owned());
        }
    }

    /// Empty stats for a run with `agents` selected agents.
    #[must_use]
    pub fn new(agents: usize) -> Stats {
        Stats {
            agent_disallowed: vec![0; agents],
            ..Stats::default()
        }
    }

    /// Counts a row's usage verdict.
    pub fn count_usage(&mut self, verdict: crate::signals::aipref::Pref) {
        use crate::signals::aipref::Pref;
        let slot = match verdict {
            Pref::Allowed => 0,
            Pref::Unknown => 1,
            Pref::Disallowed => 2,
        };
        self.usage[slot] += 1;
    }

    /// Counts a judged row's tokens (`None`: it has no count), as kept or
    /// removed for `reason`.
    pub fn count_tokens(&mut self, tokens: Option<u64>, removed: Option<ReasonCode>) {
        let Some(n) = tokens else {
            self.rows_without_tokens += 1;
            return;
        };
        self.tokens += n;
        match removed {
            None => self.kept_tokens += n,
            Some(reason) => self.removed_tokens[reason.index()] += n,
        }
    }

    /// Rows removed, whatever the reason.
    #[must_use]
    pub fn removed_total(&self) -> u64 {
        self.removed.iter().sum()
    }

    /// Rows skipped, whatever the reason.
    #[must_use]
    pub fn skipped_total(&self) -> u64 {
        self.skipped.iter().sum()
    }

    /// Whether every row read is accounted for.
    #[must_use]
    pub fn check(&self) -> bool {
        self.rows == self.kept + self.removed_total() + self.skipped_total()
    }

    /// The stats as the JSON document of `--stats`.
    #[must_use]
    pub fn report<'a>(&'a self, agents: &'a [String], top: usize) -> Report<'a> {
        let mut domains: Vec<(&str, u64)> = self
            .removed_domains
            .iter()
            .map(|(d, n)| (d.as_str(), *n))
            .collect();
        domains.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        domains.truncate(top);
        Report {
            rows: self.rows,
            kept: self.kept,
            removed: self.removed_total(),
            skipped: self.skipped_total(),
            counts_add_up: self.check(),
            kept_without_policy: self.kept_without_policy,
            removed_by_reason: ReasonCode::ALL
                .iter()
                .map(|c| (c.as_str(), self.removed[c.index()]))
                .collect(),
            skipped_by_reason: SkipReason::ALL
                .iter()
                .map(|c| (c.as_str(), self.skipped[c.index()]))
                .collect(),
            removed_with_agent_disallowed: agents
                .iter()
                .zip(&self.agent_disallowed)
                .map(|(a, n)| (a.as_str(), *n))
                .collect(),
            origins_without_policy: self.origins_without_policy.len(),
            usage_verdicts: UsageCounts {
                allowed: self.usage[0],
                unknown: self.usage[1],
                disallowed: self.usage[2],
            },
            top_removed_domains: domains
                .into_iter()
                .map(|(domain, rows)| DomainCount { domain, rows })
                .collect(),
            tokens: (self.tokens > 0 || self.rows_without_tokens > 0).then(|| TokenCounts {
                total: self.tokens,
                kept: self.kept_tokens,
                removed: self.removed_tokens.iter().sum(),
                removed_by_reason: ReasonCode::ALL
                    .iter()
                    .map(|c| (c.as_str(), self.removed_tokens[c.index()]))
                    .collect(),
                rows_without_count: self.rows_without_tokens,
            }),
            crawl_time: self.crawl_time.iter().any(|&n| n > 0).then(|| {
                crate::engine::CrawlTime::ALL
                    .iter()
                    .map(|t| (t.as_str(), self.crawl_time[t.index()]))
                    .collect()
            }),
        }
    }
}

impl AddAssign<Stats> for Stats {
    fn add_assign(&mut self, other: Stats) {
        self.rows += other.rows;
        self.kept += other.kept;
        self.kept_without_policy += other.kept_without_policy;
        for (a, b) in self.removed.iter_mut().zip(other.removed) {
            *a += b;
        }
        for (a, b) in self.skipped.iter_mut().zip(other.skipped) {
            *a += b;
        }
        if self.agent_disallowed.len() < other.agent_disallowed.len() {
            self.agent_disallowed
                .resize(other.agent_disallowed.len(), 0);
        }
        for (a, b) in self.agent_disallowed.iter_mut().zip(other.agent_disallowed) {
            *a += b;
        }
        for (domain, n) in other.removed_domains {
            *self.removed_domains.entry(domain).or_default() += n;
        }
        self.origins_without_policy
            .extend(other.origins_without_policy);
        for (a, b) in self.usage.iter_mut().zip(other.usage) {
            *a += b;
        }
        self.bytes += other.bytes;
        self.kept_bytes += other.kept_bytes;
        for (a, b) in self.removed_bytes.iter_mut().zip(other.removed_bytes) {
            *a += b;
        }
        for (a, b) in self.crawl_time.iter_mut().zip(other.crawl_time) {
            *a += b;
        }
        self.tokens += other.tokens;
        self.kept_tokens += other.kept_tokens;
        for (a, b) in self.removed_tokens.iter_mut().zip(other.removed_tokens) {
            *a += b;
        }
        self.rows_without_tokens += other.rows_without_tokens;
    }
}

/// The `--stats` JSON document.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    /// Rows read.
    pub rows: u64,
    /// Rows kept.
    pub kept: u64,
    /// Rows removed.
    pub removed: u64,
    /// Rows skipped.
    pub skipped: u64,
    /// `rows == kept + removed + skipped`.
    pub counts_add_up: bool,
    /// Kept rows whose host had no policy.
    pub kept_without_policy: u64,
    /// Removed rows per reason code, every code listed.
    pub removed_by_reason: BTreeMap<&'a str, u64>,
    /// Skipped rows per reason, every reason listed.
    pub skipped_by_reason: BTreeMap<&'a str, u64>,
    /// Per agent: removed rows on which robots.txt disallowed it.
    pub removed_with_agent_disallowed: BTreeMap<&'a str, u64>,
    /// Distinct origins (`scheme://host[:port]`) with no policy.
    pub origins_without_policy: usize,
    /// Registrable domains with the most removed rows.
    pub top_removed_domains: Vec<DomainCount<'a>>,
    /// Rows access allowed, by the usage verdict for the enforced
    /// purpose; `unknown` is never folded into `allowed`.
    pub usage_verdicts: UsageCounts,
    /// Runs by crawl time: rows whose origin has a policy, by how that
    /// policy relates to the row's crawl time (`in-force`,
    /// `later-policy`, `undated`; the last two are flagged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crawl_time: Option<BTreeMap<&'static str, u64>>,
    /// Runs with a token count field: tokens in all, kept, removed by
    /// reason, and judged rows without a count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<TokenCounts<'a>>,
}

/// Tokens of the rows, from a count field.
#[derive(Debug, Serialize)]
pub struct TokenCounts<'a> {
    /// Tokens of every row with a count.
    pub total: u64,
    /// Tokens of kept rows.
    pub kept: u64,
    /// Tokens of removed rows.
    pub removed: u64,
    /// Tokens of removed rows per reason code, every code listed.
    pub removed_by_reason: BTreeMap<&'a str, u64>,
    /// Kept or removed rows without a count.
    pub rows_without_count: u64,
}

/// Usage verdicts of the rows access allowed.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct UsageCounts {
    /// A statement allows the purpose.
    pub allowed: u64,
    /// No statement says anything about it.
    pub unknown: u64,
    /// A statement disallows it (the rows are removed).
    pub disallowed: u64,
}

/// Removed rows of one registrable domain.
#[derive(Debug, Serialize)]
pub struct DomainCount<'a> {
    /// The registrable domain.
    pub domain: &'a str,
    /// Removed rows.
    pub rows: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_everything() {
        let mut a = Stats::new(2);
        a.rows = 3;
        a.kept = 1;
        a.removed[ReasonCode::Blocklist.index()] = 1;
        a.skipped[SkipReason::EmptyLine.index()] = 1;
        a.agent_disallowed[1] = 4;
        a.removed_domains.insert("x.com".into(), 1);
        let mut b = a.clone();
        b.origins_without_policy.insert("h".into());
        a += b;
        assert_eq!(a.rows, 6);
        assert_eq!(a.agent_disallowed, [0, 8]);
        assert_eq!(a.removed_domains["x.com"], 2);
        assert!(a.check());
        a.kept += 1;
        assert!(!a.check());
    }
}
