//! Judging records by the policy in force when they were crawled
//! (`--as-of crawl`), rather than by one policy per origin for the whole
//! run. The policy set then holds each origin's history
//! ([`crate::policy::PolicySet::at_time`]); this module picks the policy
//! for a record's crawl time and says how well that time was covered.

use crate::engine::Engine;
use crate::policy::{AtTime, PolicyRef};
use crate::time::Millis;

/// How a record judged by its crawl time found its policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrawlTime {
    /// The policy in force when the record was crawled decided.
    InForce,
    /// The origin's history starts after the record was crawled: its
    /// earliest policy decided. The record is flagged.
    Later,
    /// The record says no crawl time: the current policy decided. The
    /// record is flagged.
    Undated,
}

impl CrawlTime {
    /// Every value, in [`CrawlTime::index`] order.
    pub const ALL: [CrawlTime; 3] = [CrawlTime::InForce, CrawlTime::Later, CrawlTime::Undated];

    /// The stable name used in stats, reports and removed records.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CrawlTime::InForce => "in-force",
            CrawlTime::Later => "later-policy",
            CrawlTime::Undated => "undated",
        }
    }

    /// Position in [`crate::engine::Stats::crawl_time`].
    #[must_use]
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A record's crawl time and how its policy was found, for the evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Crawl {
    /// When the record was crawled, when it says.
    pub at: Option<Millis>,
    /// How the deciding policy relates to that time.
    pub time: CrawlTime,
}

/// A host-table tag: decide by the current policy (runs not by crawl
/// time).
pub(crate) const CURRENT: u32 = u32::MAX;
/// A host-table tag: the origin has no policy at any time.
pub(crate) const NONE: u32 = u32::MAX - 1;

impl Engine {
    /// Whether records are judged by the policy in force at their crawl
    /// time.
    #[must_use]
    pub fn by_crawl_time(&self) -> bool {
        self.by_crawl_time
    }

    /// Judges records by the policy in force at their crawl time. The
    /// snapshot must hold the origins' history
    /// ([`crate::cache::Cache::policies_with_history`]); without it every
    /// origin with a policy is judged by its current one, as undated.
    #[must_use]
    pub fn with_crawl_time(mut self, on: bool) -> Engine {
        self.by_crawl_time = on;
        self
    }

    /// Switches judging by crawl time on or off (an audit compares both).
    pub fn set_crawl_time(&mut self, on: bool) {
        self.by_crawl_time = on;
    }

    /// The policy that decides for origin `key` for a record crawled at
    /// `at`, and how it was found (`None` for runs not by crawl time, and
    /// for origins without any policy).
    pub(crate) fn policy_at(
        &self,
        key: &str,
        at: Option<Millis>,
    ) -> (Option<PolicyRef<'_>>, Option<Crawl>) {
        if !self.by_crawl_time {
            return (self.snapshot.get(key), None);
        }
        let undated = || {
            let policy = self.snapshot.get(key);
            let crawl = policy.map(|_| Crawl {
                at: None,
                time: CrawlTime::Undated,
            });
            (policy, crawl)
        };
        let Some(at) = at else {
            return undated();
        };
        let (index, time) = match self.snapshot.policies().at_time(key, at) {
            AtTime::InForce(index) => (index, CrawlTime::InForce),
            AtTime::Later(index) => (index, CrawlTime::Later),
            // No history (a run over a snapshot without one): the current
            // policy, if any, flagged as not matched to the crawl time.
            AtTime::Unknown => {
                let policy = self.snapshot.get(key);
                let crawl = policy.map(|_| Crawl {
                    at: Some(at),
                    time: CrawlTime::Later,
                });
                return (policy, crawl);
            }
        };
        (
            Some(self.snapshot.get_index(index)),
            Some(Crawl { at: Some(at), time }),
        )
    }

    /// How the policy for `url` crawled at `at` was found (runs by crawl
    /// time; `None` otherwise, and for URLs without a policy).
    pub(crate) fn crawl_of(
        &self,
        url: &[u8],
        at: Option<Millis>,
        scratch: &mut crate::engine::Scratch,
    ) -> Option<Crawl> {
        if !self.by_crawl_time {
            return None;
        }
        let url = scratch.parser.parse_bytes(url).ok()?;
        crate::origin::write_origin_key(&url, &mut scratch.key);
        let key = std::str::from_utf8(&scratch.key).ok()?;
        self.policy_at(key, at).1
    }

    /// [`Engine::policy_at`] as a host-table tag: the policy's number, or
    /// [`NONE`]; [`CURRENT`] for runs not by crawl time.
    pub(crate) fn policy_tag(&self, key: &str, at: Option<Millis>) -> (u32, Option<Crawl>) {
        if !self.by_crawl_time {
            return (CURRENT, None);
        }
        let (policy, crawl) = self.policy_at(key, at);
        (policy.map_or(NONE, |p| p.index as u32), crawl)
    }
}
