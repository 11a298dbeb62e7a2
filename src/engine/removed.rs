//! The record of a removed row in the `--removed` JSON Lines file: the
//! row, the reason, and the evidence behind it, with the row's aipref
//! preference vector where its origin states one.

use serde::Serialize;

use crate::blocklist::registrable_domain;
use crate::engine::{Engine, Evidence, MissingPolicy, Removal, usage};
use crate::policy::{Access, OriginPolicy};
use crate::signals::robots::UsageKind;
use crate::signals::robots::normalize::{self, Side};
use crate::signals::usage::Purpose;

/// One removed row of the `--removed` JSON Lines file.
#[derive(Serialize)]
struct RemovedRecord<'a> {
    row: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url_base64: Option<String>,
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    origin: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purpose: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    statement: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    list: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    entry: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_sha256: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fetched_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    /// Runs by crawl time: when the record was crawled.
    #[serde(skip_serializing_if = "Option::is_none")]
    crawled_at: Option<String>,
    /// Runs by crawl time: how the deciding policy relates to the crawl
    /// time (`in-force`, `later-policy`, `undated`).
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_time: Option<&'static str>,
    /// The aipref vocabulary read, when an aipref statement decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    vocab: Option<&'static str>,
    /// The row's aipref preference vector (robots.txt `Content-Usage`):
    /// every category of the vocabulary, with its value and where it was
    /// stated, so that it can travel with the data.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    preferences: Vec<Preference>,
}

/// One category of a row's aipref preference vector.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Preference {
    /// The category label (`train-ai`, `ai-use`, `search`).
    pub category: &'static str,
    /// `allowed`, `disallowed` or `unknown`.
    pub value: &'static str,
    /// The file that states it, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Its SHA-256.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The line as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Engine {
    /// Writes the record of a removed row whose URL text is `line`.
    pub(crate) fn write_removed(
        &self,
        line: &[u8],
        number: u64,
        removal: &Removal<'_>,
        out: &mut Vec<u8>,
    ) {
        let text = std::str::from_utf8(line).ok();
        let redacted = text.map(|t| self.redaction.apply(t.trim()));
        let mut record = RemovedRecord {
            row: number,
            url: redacted.as_deref(),
            url_base64: if text.is_none() {
                use base64::Engine as _;
                Some(base64::engine::general_purpose::STANDARD.encode(line))
            } else {
                None
            },
            reason: removal.reason.as_str(),
            origin: removal.origin,
            host: removal.host,
            domain: removal
                .domain
                .or_else(|| removal.host.map(registrable_domain)),
            agent: None,
            purpose: None,
            statement: None,
            group: None,
            line: None,
            rule: None,
            list: None,
            entry: None,
            policy: None,
            policy_sha256: None,
            source: None,
            source_sha256: None,
            fetched_at: None,
            note: None,
            detail: None,
            crawled_at: removal.crawl.and_then(|c| c.at).map(crate::time::format),
            policy_time: removal.crawl.map(|c| c.time.as_str()),
            vocab: None,
            preferences: Vec::new(),
        };
        match &removal.evidence {
            Evidence::InvalidUrl(err) => record.detail = Some(err.to_string()),
            Evidence::Blocklist(hit) => {
                record.list = Some(&hit.list.name);
                record.entry = Some(&hit.entry.host);
                record.line = Some(hit.entry.line);
            }
            Evidence::NoPolicy => {
                record.detail = Some(format!(
                    "no robots.txt policy for the origin (--missing-policy {})",
                    match self.missing {
                        MissingPolicy::Allow => "allow",
                        MissingPolicy::Deny => "deny",
                        MissingPolicy::Error => "error",
                    }
                ));
            }
            Evidence::Unreachable(policy) => {
                record.policy = Some(&policy.source);
                record.fetched_at = policy.fetched_at.map(crate::time::format);
                record.note = Some(&policy.note)
                    .filter(|n| !n.is_empty())
                    .map(String::as_str);
                if let crate::policy::Access::Unreachable { detail } = &policy.access {
                    record.detail = Some(detail.clone());
                }
            }
            Evidence::Usage { policy, pref, hit } => {
                record.purpose = Some(self.usage.purpose.as_str());
                record.statement = Some(pref.as_str());
                if let Some(policy) = policy {
                    record.policy = Some(&policy.policy.source);
                    record.policy_sha256 = Some(&policy.policy.sha256);
                    record.fetched_at = policy.policy.fetched_at.map(crate::time::format);
                }
                match (hit, policy) {
                    (Some(hit), Some(policy)) => {
                        if hit.signal == crate::signals::usage::Signal::ContentUsage {
                            record.vocab = Some(self.usage.vocab.as_str());
                        }
                        record.preferences =
                            self.preferences(policy.policy, usize::from(hit.agent), text);
                        record.detail = self.use_limit(policy.policy, hit);
                        let located = usage::locate(policy.policy, hit);
                        record.agent = Some(&self.agents.names()[usize::from(hit.agent)]);
                        record.line = located.line.map(u64::from);
                        record.rule = Some(located.text);
                        if located.source != policy.policy.source {
                            record.source = Some(located.source);
                            record.source_sha256 = located.sha256;
                        }
                        record.fetched_at = located.fetched_at.map(crate::time::format);
                    }
                    _ => {
                        record.detail = Some(format!(
                            "no statement allows {} and --unknown is drop",
                            self.usage.purpose
                        ));
                    }
                }
            }
            Evidence::Disallow {
                policy,
                agent,
                rule,
                aware,
            } => {
                let primary = policy.robots().expect("disallow implies rules");
                let robots = if *aware {
                    primary.usage_reading()
                } else {
                    primary
                };
                let rule = &robots.rules[*rule];
                record.agent = Some(&self.agents.names()[*agent]);
                if *aware {
                    record.detail = Some(
                        "disallowed when Content-Usage lines are read as rules (aipref attach): \
                         they split the group, and the stricter reading applies"
                            .into(),
                    );
                }
                record.group = Some(robots.group_of(rule).line());
                record.line = Some(u64::from(rule.line));
                record.rule = Some(robots.rule_text(rule));
                record.policy = Some(&policy.policy.source);
                record.policy_sha256 = Some(&policy.policy.sha256);
                record.fetched_at = policy.policy.fetched_at.map(crate::time::format);
                record.note = Some(&policy.policy.note)
                    .filter(|n| !n.is_empty())
                    .map(String::as_str);
                record.preferences = self.preferences(policy.policy, *agent, text);
            }
        }
        serde_json::to_writer(&mut *out, &record).expect("writing JSON to a Vec cannot fail");
        out.push(b'\n');
    }

    /// Why a Content-Signal line that does not say `ai-train=no` still
    /// refuses training: its `use=` is below `full`.
    fn use_limit(&self, policy: &OriginPolicy, hit: &usage::UsageHit) -> Option<String> {
        use crate::signals::content_signal::UseLevel;
        let (crate::signals::usage::Signal::ContentSignal, usage::StatementAt::Robots(index)) =
            (hit.signal, hit.at)
        else {
            return None;
        };
        if self.usage.purpose != Purpose::Train {
            return None;
        }
        let Access::Rules(robots) = &policy.access else {
            return None;
        };
        let level = robots.usage_reading().usage[index as usize].use_level?;
        (level < UseLevel::Full).then(|| {
            format!(
                "use={} allows less than the full content, which training needs: no training permission, whatever ai-train says",
                level.as_str()
            )
        })
    }

    /// The aipref preference vector of the URL `text` for agent `agent`,
    /// from the origin's robots.txt `Content-Usage` lines: every category
    /// of the run's vocabulary, with its value and the line stating it.
    /// Empty when the origin states none (most do not), so that records
    /// carry it only where it says something. Called for removed rows
    /// only: it parses the URL again.
    fn preferences(
        &self,
        policy: &OriginPolicy,
        agent: usize,
        text: Option<&str>,
    ) -> Vec<Preference> {
        let Access::Rules(robots) = &policy.access else {
            return Vec::new();
        };
        let reading = robots.usage_reading();
        if !reading
            .usage
            .iter()
            .any(|r| r.kind == UsageKind::ContentUsage)
        {
            return Vec::new();
        }
        let Some(url) = text.and_then(|t| {
            crate::origin::UrlParser::new()
                .parse(t.trim())
                .ok()
                .map(|u| u.path.to_vec())
        }) else {
            return Vec::new();
        };
        let mut scratch = Vec::new();
        let path = normalize::normalize(&url, Side::Url, &mut scratch);
        let groups = robots.usage_groups(&self.agents.keys()[agent]);
        let rules = robots.usage_rules_of(&groups);
        let aipref = self.usage.aipref();
        aipref
            .categories()
            .iter()
            .map(|&category| {
                let purpose = match category {
                    crate::signals::aipref::Category::TrainAi => Purpose::Train,
                    crate::signals::aipref::Category::AiUse => Purpose::AiInput,
                    crate::signals::aipref::Category::Search => Purpose::Search,
                };
                let found = robots.usage_for(
                    &rules,
                    UsageKind::ContentUsage,
                    path,
                    purpose,
                    aipref.conservative,
                );
                match found {
                    Some(found) => {
                        let rule = &reading.usage[found.rule];
                        Preference {
                            category: category.as_str(),
                            value: found.pref.as_str(),
                            source: Some(policy.source.clone()),
                            sha256: Some(policy.sha256.clone()).filter(|s| !s.is_empty()),
                            line: Some(rule.line),
                            text: Some(format!(
                                "{}: {}",
                                rule.kind.key(),
                                reading.str(&rule.value)
                            )),
                        }
                    }
                    None => Preference {
                        category: category.as_str(),
                        value: "unknown",
                        source: None,
                        sha256: None,
                        line: None,
                        text: None,
                    },
                }
            })
            .collect()
    }
}
