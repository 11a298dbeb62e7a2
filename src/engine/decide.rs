//! The decision for one row: a pure function of the row, the policy
//! snapshot, the blocklists and the selected agents. No I/O; after warm-up,
//! no allocation for rows whose URL is in common form.
//!
//! Precedence follows [`ReasonCode`]: a row that is not a URL is removed as
//! `invalid-url`; a blocklisted host is removed whatever its robots.txt
//! says; then robots.txt access is checked for the selected agents.

use crate::agents::AgentRule;
use crate::blocklist::Hit;
use crate::engine::{Engine, MissingPolicy};
use crate::origin::{InvalidUrl, UrlParser};
use crate::policy::{OriginPolicy, PolicyRef};
use crate::signals::robots::ContentVerdict;
use crate::signals::{ReasonCode, SkipReason};

/// What happened to a row.
#[derive(Debug)]
pub enum Decision<'a> {
    /// The row stays.
    Keep {
        /// The host had no policy and `--missing-policy allow` let it pass.
        without_policy: bool,
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
    /// The host's registrable domain, when known without a lookup.
    pub domain: Option<&'a str>,
    /// The details behind the reason.
    pub evidence: Evidence<'a>,
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
        /// The verdict of each of the policy's rule contents on this URL.
        verdicts: &'a [ContentVerdict],
    },
}

/// Reusable per-thread buffers.
#[derive(Debug, Default)]
pub struct Scratch {
    /// URL parsing buffers.
    pub parser: UrlParser,
    /// Verdicts per rule content of the current policy.
    pub verdicts: Vec<ContentVerdict>,
}

fn trim(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &line[start..end]
}

impl Engine {
    /// Decides one row (a line without its line end).
    pub fn decide<'a>(&'a self, line: &'a [u8], scratch: &'a mut Scratch) -> Decision<'a> {
        let text = trim(line);
        if text.is_empty() {
            return Decision::Skip(SkipReason::EmptyLine);
        }
        if text[0] == b'#' {
            return Decision::Skip(SkipReason::Comment);
        }
        let url = match scratch.parser.parse_bytes(text) {
            Ok(url) => url,
            Err(err) => {
                return remove(
                    ReasonCode::InvalidUrl,
                    None,
                    None,
                    Evidence::InvalidUrl(err),
                );
            }
        };
        let host = url.host;
        let Some(policy) = self.snapshot.get(host) else {
            // No policy: the blocklist still comes first.
            if let Some(hit) = self.blocklists.find(host) {
                return remove(
                    ReasonCode::Blocklist,
                    Some(host),
                    None,
                    Evidence::Blocklist(hit),
                );
            }
            return match self.missing {
                MissingPolicy::Allow => Decision::Keep {
                    without_policy: true,
                },
                MissingPolicy::Deny | MissingPolicy::Error => {
                    remove(ReasonCode::NoPolicy, Some(host), None, Evidence::NoPolicy)
                }
            };
        };
        // What does not depend on the path was worked out once per host.
        let known = &self.hosts[policy.index];
        let domain = Some(&*known.domain);
        if let Some(hit) = known.blocked {
            return remove(
                ReasonCode::Blocklist,
                Some(host),
                domain,
                Evidence::Blocklist(self.blocklists.hit(hit)),
            );
        }
        let Some(compiled) = policy.compiled else {
            return remove(
                ReasonCode::RobotsUnreachable,
                Some(host),
                domain,
                Evidence::Unreachable(policy.policy),
            );
        };

        let verdicts: &'a mut Vec<ContentVerdict> = &mut scratch.verdicts;
        verdicts.clear();
        let mut any_disallowed = false;
        let mut all_disallowed = true;
        for content in 0..compiled.contents() {
            let verdict = compiled.match_content(content, url.path);
            any_disallowed |= !verdict.allowed;
            all_disallowed &= !verdict.allowed;
            verdicts.push(verdict);
        }
        let excluded = match self.agent_rule {
            AgentRule::Any => any_disallowed,
            AgentRule::All => all_disallowed,
        };
        if !excluded {
            return Decision::Keep {
                without_policy: false,
            };
        }
        let verdicts: &'a [ContentVerdict] = verdicts;
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
        remove(
            ReasonCode::RobotsDisallow,
            Some(host),
            domain,
            Evidence::Disallow {
                policy,
                agent,
                rule,
                verdicts,
            },
        )
    }
}

fn remove<'a>(
    reason: ReasonCode,
    host: Option<&'a str>,
    domain: Option<&'a str>,
    evidence: Evidence<'a>,
) -> Decision<'a> {
    Decision::Remove(Removal {
        reason,
        host,
        domain,
        evidence,
    })
}
