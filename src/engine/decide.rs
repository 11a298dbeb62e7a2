//! The decision for one row: a pure function of the row, the policy
//! snapshot, the blocklists and the selected agents. No I/O; after warm-up,
//! no allocation for rows whose URL is in common form.
//!
//! A decision has two halves, kept apart so that the chunk processor can do
//! the first once per host and the second once per row:
//!
//! * `Engine::judge_host`: everything that depends on the host only (the
//!   blocklists, whether a policy exists, whether it was reachable);
//! * `Engine::judge_path`: robots.txt rules for the selected agents.
//!
//! [`Engine::decide`] puts both together for a single row. Precedence
//! follows [`ReasonCode`]: a row that is not a URL is removed as
//! `invalid-url`; a blocklisted host is removed whatever its robots.txt
//! says; then robots.txt access is checked for the selected agents.

use crate::agents::AgentRule;
use crate::blocklist::{Hit, HitRef};
use crate::corpus::RowUrl;
use crate::engine::usage::{UsageHit, UsageOptions, UsagePlan, keeps};
use crate::engine::{Engine, MissingPolicy};
use crate::origin::{InvalidUrl, UrlParser};
use crate::policy::{OriginPolicy, PolicyRef};
use crate::signals::aipref::Pref;
use crate::signals::robots::{CompiledRobots, ContentVerdict, Probe};
use crate::signals::{ReasonCode, SkipReason};

/// What happened to a row.
#[derive(Debug)]
pub enum Decision<'a> {
    /// The row stays.
    Keep {
        /// The host had no policy and `--missing-policy allow` let it pass.
        without_policy: bool,
        /// What the usage statements say about the enforced purpose:
        /// allowed, or unknown (kept under `--unknown keep`).
        usage: Pref,
    },
    /// The row goes, for a reason.
    Remove(Removal<'a>),
    /// The row holds no URL.
    Skip(SkipReason),
}

/// Why a row was removed, with the evidence.
#[derive(Debug)]
pub struct Removal<'a> {
    /// The reason code.
    pub reason: ReasonCode,
    /// The URL's host, when it has one.
    pub host: Option<&'a str>,
    /// The URL's origin (`scheme://host[:port]`), when it has one.
    pub origin: Option<&'a str>,
    /// The host's registrable domain, when known without a lookup.
    pub domain: Option<&'a str>,
    /// The details behind the reason.
    pub evidence: Evidence<'a>,
    /// For runs by crawl time: when the record was crawled, and how its
    /// policy was found.
    pub crawl: Option<crate::engine::Crawl>,
}

/// The evidence behind a removal.
#[derive(Debug)]
pub enum Evidence<'a> {
    /// The row is not a URL optout can judge.
    InvalidUrl(InvalidUrl),
    /// The host is on a blocklist.
    Blocklist(Hit<'a>),
    /// The host has no policy.
    NoPolicy,
    /// The host's robots.txt is unreachable.
    Unreachable(&'a OriginPolicy),
    /// robots.txt disallows the URL for `agent` by `rule`.
    Disallow {
        /// The host's policy.
        policy: PolicyRef<'a>,
        /// The selected agent the removal names.
        agent: usize,
        /// The deciding rule, an index into the policy's rules.
        rule: usize,
        /// Only the aipref-aware reading disallows (`rule` indexes its
        /// rules, which are the same lines in the same order).
        aware: bool,
    },
    /// A usage statement disallows the enforced purpose, or none allows
    /// it and unknown is dropped.
    Usage {
        /// The host's policy, when it has one.
        policy: Option<PolicyRef<'a>>,
        /// The verdict: disallowed or unknown.
        pref: Pref,
        /// The deciding statement; `None` for unknown.
        hit: Option<UsageHit>,
    },
}

/// Reusable per-thread buffers.
#[derive(Debug, Default)]
pub struct Scratch {
    /// URL parsing buffers.
    pub parser: UrlParser,
    /// Verdicts per rule content of the current policy.
    pub verdicts: Vec<ContentVerdict>,
    /// The same for the aipref-aware reading.
    pub aware_verdicts: Vec<ContentVerdict>,
    /// Per-chunk row table of the chunk processor.
    pub(crate) rows: Vec<super::rows::Row>,
    /// Rows to judge, by host.
    pub(crate) order: Vec<super::rows::Pending>,
    /// `order`, sorted by host.
    pub(crate) sorted: Vec<super::rows::Pending>,
    /// Counting-sort offsets per host id.
    pub(crate) starts: Vec<u32>,
    /// The chunk's distinct hosts.
    pub(crate) hosts: super::hosts::HostTable,
    /// Parsed rows waiting for their host ids.
    pub(crate) block: Vec<super::rows::Parsed>,
    /// The origin keys of `block`'s rows.
    pub(crate) keys: Vec<u8>,
    /// Why each invalid row of the chunk is invalid.
    pub(crate) invalid: Vec<InvalidUrl>,
    /// Hosts and paths that are not slices of the chunk.
    pub(crate) side: Vec<u8>,
    /// The origin key of the row being parsed.
    pub(crate) key: Vec<u8>,
    /// JSON Lines field lookup buffers.
    pub(crate) json: crate::corpus::json::Scratch,
    /// Messages of the chunk's first rows that are not of their format.
    pub(crate) bad: Vec<String>,
}

/// What a host alone decides.
#[derive(Clone, Copy, Debug)]
pub(crate) enum HostVerdict<'a> {
    /// On a blocklist; `policy` when the host also has one.
    Blocked(HitRef, Option<PolicyRef<'a>>),
    /// No policy, not blocked.
    Missing,
    /// The policy says robots.txt was unreachable.
    Unreachable(PolicyRef<'a>),
    /// robots.txt rules decide, path by path.
    Rules(PolicyRef<'a>, &'a CompiledRobots),
}

/// The host of an origin key made by `write_origin_key`.
pub(crate) fn host_of(key: &str) -> &str {
    crate::origin::split_key(key).map_or(key, |(_, host, _)| host)
}

impl Engine {
    /// Everything that depends on the origin only (`key` is
    /// `scheme://host[:port]`).
    pub(crate) fn judge_host(&self, key: &str) -> HostVerdict<'_> {
        self.judge_host_with(key, self.snapshot.get(key))
    }

    /// [`Engine::judge_host`] with the origin's policy already found (for
    /// runs by crawl time, the one in force then).
    pub(crate) fn judge_host_with<'a>(
        &'a self,
        key: &str,
        policy: Option<PolicyRef<'a>>,
    ) -> HostVerdict<'a> {
        let Some(policy) = policy else {
            let host = host_of(key);
            return match self.blocklists.find_ref(host) {
                Some(hit) => HostVerdict::Blocked(hit, None),
                None => HostVerdict::Missing,
            };
        };
        self.name_policy(policy.index);
        if let Some(hit) = self.hosts[policy.index].blocked {
            return HostVerdict::Blocked(hit, Some(policy));
        }
        match policy.compiled {
            Some(compiled) => HostVerdict::Rules(policy, compiled),
            None => HostVerdict::Unreachable(policy),
        }
    }

    /// robots.txt for a path: `None` to keep the row, or the agent the
    /// removal names and the deciding rule. Leaves the verdict of every
    /// rule content in `verdicts`.
    pub(crate) fn judge_path(
        &self,
        compiled: &CompiledRobots,
        path: &[u8],
        verdicts: &mut Vec<ContentVerdict>,
    ) -> Option<(usize, usize)> {
        verdicts.clear();
        let mut any_disallowed = false;
        let mut all_disallowed = true;
        let probe = Probe::new(path);
        for content in 0..compiled.contents() {
            let verdict = compiled.match_probe(content, &probe);
            any_disallowed |= !verdict.allowed;
            all_disallowed &= !verdict.allowed;
            verdicts.push(verdict);
        }
        let excluded = match self.agent_rule {
            AgentRule::Any => any_disallowed,
            AgentRule::All => all_disallowed,
        };
        if !excluded {
            return None;
        }
        // Name an agent whose own group disallowed the URL when there is
        // one: that is the opt-out a rightsholder wrote. Otherwise the first
        // agent that fell back to the `*` groups.
        let disallowing = || (0..verdicts.len()).filter(|&c| !verdicts[c].allowed);
        let agent = disallowing()
            .filter_map(|c| compiled.first_named_agent(c))
            .min()
            .or_else(|| {
                disallowing()
                    .filter_map(|c| compiled.agents_of(c).first().map(|&a| usize::from(a)))
                    .min()
            })
            .expect("a disallowed content belongs to some agent");
        let rule = compiled
            .resolve(agent, verdicts[compiled.content_of(agent)])
            .rule
            .expect("a disallow always names its rule");
        Some((agent, rule))
    }

    /// Access for a path under both readings of the policy's robots.txt:
    /// the agent and rule of a disallow, and whether only the
    /// aipref-aware reading disallows (SIGNALS.md §2 item 5).
    pub(crate) fn judge_access(
        &self,
        policy: PolicyRef<'_>,
        compiled: &CompiledRobots,
        path: &[u8],
        verdicts: &mut Vec<ContentVerdict>,
        aware_verdicts: &mut Vec<ContentVerdict>,
    ) -> Option<(usize, usize, bool)> {
        if let Some((agent, rule)) = self.judge_path(compiled, path, verdicts) {
            return Some((agent, rule, false));
        }
        let aware = policy.aware?;
        let (agent, rule) = self.judge_path(aware, path, aware_verdicts)?;
        Some((agent, rule, true))
    }

    /// The usage plan of a policy, if it has statements.
    pub(crate) fn plan_of(&self, policy: Option<PolicyRef<'_>>) -> Option<&UsagePlan> {
        policy.and_then(|p| self.hosts[p.index].usage.as_deref())
    }

    /// The usage stage for a path access lets through, with the host's
    /// plan ([`Engine::plan_of`]): the verdict of a kept row, or why the
    /// row goes.
    pub(crate) fn judge_usage(
        &self,
        plan: Option<&UsagePlan>,
        path: &[u8],
    ) -> Result<Pref, (Pref, Option<UsageHit>)> {
        self.judge_usage_with(plan, path, &self.usage)
    }

    /// [`Engine::judge_usage`] under other usage options.
    fn judge_usage_with(
        &self,
        plan: Option<&UsagePlan>,
        path: &[u8],
        options: &UsageOptions,
    ) -> Result<Pref, (Pref, Option<UsageHit>)> {
        let (pref, hit) = match plan {
            Some(plan) => plan.verdict(path, options, self.agent_rule),
            None => (Pref::Unknown, None),
        };
        if keeps(pref, options) {
            Ok(pref)
        } else {
            Err((pref, hit))
        }
    }

    /// The removal for a usage verdict.
    pub(crate) fn usage_removal<'a>(
        &'a self,
        key: &'a str,
        policy: Option<PolicyRef<'a>>,
        pref: Pref,
        hit: Option<UsageHit>,
    ) -> Removal<'a> {
        Removal {
            reason: super::usage::usage_reason(hit),
            host: Some(host_of(key)),
            origin: Some(key),
            domain: policy.map(|p| &*self.hosts[p.index].domain),
            evidence: Evidence::Usage { policy, pref, hit },
            crawl: None,
        }
    }

    /// The removal a host verdict makes on its own, if any.
    pub(crate) fn host_removal<'a>(
        &'a self,
        key: &'a str,
        verdict: HostVerdict<'a>,
    ) -> Option<Removal<'a>> {
        let domain = |policy: Option<PolicyRef<'_>>| policy.map(|p| &*self.hosts[p.index].domain);
        let (reason, evidence, policy) = match verdict {
            HostVerdict::Blocked(hit, policy) => (
                ReasonCode::Blocklist,
                Evidence::Blocklist(self.blocklists.hit(hit)),
                policy,
            ),
            HostVerdict::Missing => match self.missing {
                MissingPolicy::Allow => return None,
                MissingPolicy::Deny | MissingPolicy::Error => {
                    (ReasonCode::NoPolicy, Evidence::NoPolicy, None)
                }
            },
            HostVerdict::Unreachable(policy) => (
                ReasonCode::RobotsUnreachable,
                Evidence::Unreachable(policy.policy),
                Some(policy),
            ),
            HostVerdict::Rules(..) => return None,
        };
        Some(Removal {
            reason,
            host: Some(host_of(key)),
            origin: Some(key),
            domain: domain(policy),
            evidence,
            crawl: None,
        })
    }

    /// The removal for a disallowed path.
    pub(crate) fn disallow_removal<'a>(
        &'a self,
        key: &'a str,
        policy: PolicyRef<'a>,
        agent: usize,
        rule: usize,
        aware: bool,
    ) -> Removal<'a> {
        Removal {
            reason: ReasonCode::RobotsDisallow,
            host: Some(host_of(key)),
            origin: Some(key),
            domain: Some(&self.hosts[policy.index].domain),
            evidence: Evidence::Disallow {
                policy,
                agent,
                rule,
                aware,
            },
            crawl: None,
        }
    }

    /// Decides one row (a line without its line end). The chunk processor
    /// reaches the same decisions host by host; a test holds them equal.
    pub fn decide<'a>(&'a self, line: &'a [u8], scratch: &'a mut Scratch) -> Decision<'a> {
        let at = if self.by_crawl_time() {
            self.format.crawl_time(line)
        } else {
            None
        };
        self.decide_at(line, at, scratch)
    }

    /// [`Engine::decide`] for a record crawled at `at`: in runs by crawl
    /// time, the policy in force then decides (see
    /// [`Engine::with_crawl_time`]); otherwise `at` is not read.
    pub fn decide_at<'a>(
        &'a self,
        line: &'a [u8],
        at: Option<crate::time::Millis>,
        scratch: &'a mut Scratch,
    ) -> Decision<'a> {
        self.decide_with(line, at, &self.usage, scratch)
    }

    /// [`Engine::decide_at`] with the usage stage under `options` (a page
    /// that supersedes its site's tdmrep.json is judged without it).
    pub(crate) fn decide_with<'a>(
        &'a self,
        line: &'a [u8],
        at: Option<crate::time::Millis>,
        options: &UsageOptions,
        scratch: &'a mut Scratch,
    ) -> Decision<'a> {
        let text = match self.format.url_of(line, &mut scratch.json) {
            RowUrl::Url(text) => text,
            RowUrl::Skip(reason) | RowUrl::Bad(reason, _) => return Decision::Skip(reason),
        };
        let url = match scratch.parser.parse_bytes(text) {
            Ok(url) => url,
            Err(err) => {
                return Decision::Remove(Removal {
                    reason: ReasonCode::InvalidUrl,
                    host: None,
                    origin: None,
                    domain: None,
                    evidence: Evidence::InvalidUrl(err),
                    crawl: None,
                });
            }
        };
        crate::origin::write_origin_key(&url, &mut scratch.key);
        // Origin keys are ASCII: scheme, punycode host, digits.
        let key = std::str::from_utf8(&scratch.key).expect("origin keys are ASCII");
        let (policy, crawl) = self.policy_at(key, at);
        let verdict = self.judge_host_with(key, policy);
        let timed = |mut removal: Removal<'a>| {
            removal.crawl = crawl;
            Decision::Remove(removal)
        };
        if let Some(removal) = self.host_removal(key, verdict) {
            return timed(removal);
        }
        let HostVerdict::Rules(policy, compiled) = verdict else {
            return match self.judge_usage_with(None, url.path, options) {
                Ok(usage) => Decision::Keep {
                    without_policy: true,
                    usage,
                },
                Err((pref, hit)) => timed(self.usage_removal(key, None, pref, hit)),
            };
        };
        let Scratch {
            verdicts,
            aware_verdicts,
            ..
        } = scratch;
        match self.judge_access(policy, compiled, url.path, verdicts, aware_verdicts) {
            None => match self.judge_usage_with(self.plan_of(Some(policy)), url.path, options) {
                Ok(usage) => Decision::Keep {
                    without_policy: false,
                    usage,
                },
                Err((pref, hit)) => timed(self.usage_removal(key, Some(policy), pref, hit)),
            },
            Some((agent, rule, aware)) => {
                timed(self.disallow_removal(key, policy, agent, rule, aware))
            }
        }
    }
}
