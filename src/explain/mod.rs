//! Everything optout knows about one URL, for a person who asks why: the
//! origin's robots.txt and files, the page's own headers and meta tags,
//! each agent's access and statements per purpose with the lines that say
//! them, and the verdict per purpose. The verdict is the engine's (the
//! same decision `filter` makes, page signals read as a WARC response's
//! are), so an explanation never disagrees with a run.

mod render;

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::agents::AgentRule;
use crate::blocklist::{self, Blocklists};
use crate::config::{AsOf, FilterConfig};
use crate::engine::usage::{StatementAt, UsageHit, UsageOptions, UsagePlan, locate};
use crate::engine::{PageDecision, Scratch};
use crate::error::{Error, Result};
use crate::fetch::FetchOptions;
use crate::fetch::refresh::RefreshPlan;
use crate::observe::Observer;
use crate::origin::{Origin, UrlParser};
use crate::policy::files::FileState;
use crate::policy::{Access, OriginPolicy, PolicySet};
use crate::signals::aipref::Pref;
use crate::signals::page::PageSignals;
use crate::signals::robots::normalize::{self, Side};
use crate::signals::robots::{RobotsTxt, agent_key};
use crate::signals::tdmrep::Reservation;
use crate::signals::usage::{Purpose, Signal};
use crate::source::PolicySource;

/// What to explain, and how.
#[derive(Clone, Debug)]
pub struct ExplainRequest {
    /// The URL.
    pub url: String,
    /// The agents, agent rule, purpose enforced (the one
    /// [`Explanation::kept`] follows), unknown rule and files, as for a
    /// run; every purpose is explained.
    pub config: FilterConfig,
    /// Where policies come from.
    pub source: PolicySource,
    /// For a cache source: fetch the origin first when its record is
    /// missing or stale.
    pub refresh: Option<RefreshPlan>,
    /// Fetch the page itself (when robots.txt lets optout), with these
    /// options; `None`: do not.
    pub page: Option<FetchOptions>,
    /// Blocklists, by name and file.
    pub blocklists: Vec<(String, PathBuf)>,
}

/// One usage statement and where it was read.
#[derive(Debug, Serialize)]
pub struct StatementOut {
    /// The signal code (`aipref`, `tdmrep`, ...).
    pub signal: &'static str,
    /// What it says: `allowed`, `disallowed` or `unknown`.
    pub says: &'static str,
    /// Where it was read (a file URL, a header, a meta tag).
    pub source: String,
    /// Its line in the file, for line-based files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The statement as written.
    pub text: String,
}

/// One agent's statements about one purpose.
#[derive(Debug, Serialize)]
pub struct PurposeOut {
    /// `allowed`, `disallowed`, `unknown`, `not-crawlable` when access is
    /// denied, or `no-policy` when nothing is known about the origin.
    pub verdict: &'static str,
    /// The signal that decides, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<&'static str>,
    /// Every statement about the purpose for this agent.
    pub statements: Vec<StatementOut>,
}

/// One agent's robots.txt access to the URL.
#[derive(Debug, Serialize)]
pub struct AccessOut {
    /// Whether robots.txt lets the agent fetch the URL (false without a
    /// policy: nothing is known to allow it).
    pub allowed: bool,
    /// `allowed` or `disallowed` by the rules, `no-robots-txt` (a 4xx: no
    /// restrictions), `unreachable` (complete disallow) or `no-policy`
    /// (nothing known about the origin; `--missing-policy` decides).
    pub state: &'static str,
    /// The deciding rule, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The deciding rule's line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The line of the group it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<u32>,
    /// `rfc9309`, or `aipref` when only the aipref-aware grouping
    /// disallows.
    pub reading: &'static str,
}

/// One agent: access and statements per purpose.
#[derive(Debug, Serialize)]
pub struct AgentOut {
    /// The agent's name.
    pub agent: String,
    /// robots.txt access.
    pub access: AccessOut,
    /// The agent's usage statements, per purpose.
    pub purposes: std::collections::BTreeMap<&'static str, PurposeOut>,
}

/// One per-origin file: its state and source.
#[derive(Debug, Serialize)]
pub struct FileOut {
    /// `read`, `unreadable` (a tdmrep.json broken past its first rules:
    /// read as reserved), `invalid` (a body that is no tdmrep.json, such
    /// as an HTML page: no reservation), `absent`, `unreachable`, `not-fetched` or
    /// `missing`.
    pub state: &'static str,
    /// Where it came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// When it was fetched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fetched_at: Option<String>,
    /// The SHA-256 of its body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// What else is known (a status, an error).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// The page: whether it was fetched and what it said.
#[derive(Debug, Serialize)]
pub struct PageOut {
    /// Whether the page was fetched.
    pub fetched: bool,
    /// Its HTTP status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The URL after redirects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_url: Option<String>,
    /// Why it was not fetched, or what failed.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// `Link: <…>; rel="license"` targets (RSL's HTTP discovery).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub license_links: Vec<String>,
}

/// One RSL `License` line of robots.txt.
#[derive(Debug, Serialize)]
pub struct LicenseOut {
    /// The `License` line.
    pub line: u32,
    /// The license document's URL.
    pub url: String,
    /// `global`, or `group` for a line placed in a group: read as global
    /// all the same (RSL 1.0 errata), a leniency toward the first 1.0 text.
    pub scope: &'static str,
}

/// The verdict for one purpose, as `filter` reaches it.
#[derive(Debug, Serialize)]
pub struct VerdictOut {
    /// What the usage statements say: `allowed`, `disallowed` or `unknown`.
    pub verdict: &'static str,
    /// Whether `filter` keeps the URL for the purpose.
    pub kept: bool,
    /// The reason code it is removed with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

/// Everything optout knows about one URL.
#[derive(Debug, Serialize)]
pub struct Explanation {
    /// The URL, as given.
    pub url: String,
    /// Its origin.
    pub origin: String,
    /// The purpose the exit code follows.
    pub enforced_purpose: &'static str,
    /// How the agents' verdicts combine.
    pub agent_rule: AgentRule,
    /// What unknown usage becomes: `keep` or `drop`.
    pub unknown: &'static str,
    /// The usage signals read (`--signals`); the others are not listed.
    pub signals: Vec<String>,
    /// The aipref vocabulary read (`aipref-vocab-08`).
    pub aipref_vocab: &'static str,
    /// The model a training run trains (`generative`).
    pub model: &'static str,
    /// The blocklist entry that names the host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocklist: Option<String>,
    /// The origin's robots.txt.
    pub robots: FileOut,
    /// The origin's other files (tdmrep.json, ai.txt, RSL).
    pub files: std::collections::BTreeMap<&'static str, FileOut>,
    /// robots.txt's `License` lines.
    pub licenses: Vec<LicenseOut>,
    /// The page itself.
    pub page: PageOut,
    /// Per agent: access and statements.
    pub agents: Vec<AgentOut>,
    /// Per purpose: the verdict `filter` reaches (decided by the engine).
    pub verdict: std::collections::BTreeMap<&'static str, VerdictOut>,
    /// Whether `filter` keeps the URL for the enforced purpose.
    #[serde(skip)]
    pub kept: bool,
}

fn file_out<T>(state: &FileState<T>) -> FileOut {
    let (sha256, note) = match state {
        FileState::Read { sha256, note, .. } => (Some(sha256.clone()), note.clone()),
        FileState::Unreachable { detail, .. } => (None, detail.clone()),
        FileState::Absent { status, .. } => (None, format!("{status}: none, no statement")),
        FileState::NotFetched => (None, String::new()),
    };
    FileOut {
        state: state.state(),
        source: state.source().map(str::to_owned),
        fetched_at: state.fetched_at().map(crate::time::format),
        sha256,
        note,
    }
}

fn robots_out(policy: Option<&OriginPolicy>) -> FileOut {
    let Some(policy) = policy else {
        return FileOut {
            state: "missing",
            source: None,
            fetched_at: None,
            sha256: None,
            note: "no robots.txt known for the origin".into(),
        };
    };
    let (state, note) = match &policy.access {
        Access::Rules(_) => ("read", policy.note.clone()),
        Access::Unavailable { status } => (
            "absent",
            format!("{status}: no robots.txt, no restrictions (RFC 9309 §2.3.1.3)"),
        ),
        Access::Unreachable { detail } => ("unreachable", detail.clone()),
    };
    FileOut {
        state,
        source: Some(policy.source.clone()),
        fetched_at: policy.fetched_at.map(crate::time::format),
        sha256: Some(policy.sha256.clone()).filter(|s| !s.is_empty()),
        note,
    }
}

/// Whether robots.txt lets optout itself fetch `path`.
fn optout_may_fetch(policy: Option<&OriginPolicy>, path: &[u8]) -> bool {
    match policy.map(|p| &p.access) {
        Some(Access::Rules(robots)) => {
            robots
                .compile(&[agent_key("optout")])
                .verdict(0, path)
                .allowed
        }
        Some(Access::Unavailable { .. }) | None => true,
        Some(Access::Unreachable { .. }) => false,
    }
}

fn statement_out(policy: &OriginPolicy, hit: &UsageHit) -> StatementOut {
    let located = locate(policy, hit);
    StatementOut {
        signal: hit.signal.code(),
        says: hit.pref.as_str(),
        source: located.source,
        line: located.line,
        text: located.text,
    }
}

/// Combines statements: the first disallow, else the first allow.
fn combine(statements: &[(Pref, Signal)]) -> (Pref, Option<Signal>) {
    if let Some((_, s)) = statements.iter().find(|(p, _)| *p == Pref::Disallowed) {
        return (Pref::Disallowed, Some(*s));
    }
    if let Some((_, s)) = statements.iter().find(|(p, _)| *p == Pref::Allowed) {
        return (Pref::Allowed, Some(*s));
    }
    (Pref::Unknown, None)
}

/// Explains `request.url`: refreshes the origin's policies when asked,
/// fetches the page when asked and robots.txt lets optout, and lists
/// every signal, each agent's access and statements, and the verdict per
/// purpose, decided by the engine exactly as `filter` decides.
///
/// # Errors
///
/// A URL optout cannot judge, a configuration that cannot run, a source,
/// list or cache that cannot be read, or a fetch that cannot start.
pub fn explain(request: &ExplainRequest, observer: &dyn Observer) -> Result<Explanation> {
    let resolved = request.config.resolve()?;
    let agent_rule = resolved.agent_rule;
    let agents = &resolved.agents;
    let enforced = resolved.usage.purpose;
    let unknown = resolved.usage.unknown;
    let mut parser = UrlParser::new();
    let url = parser
        .parse(request.url.trim())
        .map_err(|e| Error::config(format!("`{}`: {e}", request.url)))?;
    let origin = Origin::of(&url);
    let mut scratch = Vec::new();
    let path = normalize::normalize(url.path, Side::Url, &mut scratch).to_vec();
    let mut lists = Vec::new();
    for (name, file) in &request.blocklists {
        lists.push(blocklist::load(name, file)?);
    }
    let lists = Blocklists::new(lists);
    let blocked = lists.find(&origin.host).map(|hit| {
        format!(
            "{} (entry `{}`, line {})",
            hit.list.name, hit.entry.host, hit.entry.line
        )
    });

    if let (Some(plan), PolicySource::Cache { .. }) = (&request.refresh, &request.source) {
        let fetched =
            crate::fetch::refresh::refresh(plan, std::slice::from_ref(&origin), observer)?;
        if fetched.interrupted {
            return Err(crate::ErrorKind::Interrupted.into());
        }
    }
    let key = origin.to_string();
    let mut set = request
        .source
        .open(AsOf::Now, Some(std::slice::from_ref(&key)))?
        .set;
    set.keep_files(&resolved.files);
    let policy = set.lookup(&key).cloned();
    let policy = policy.as_ref();

    // The page: its headers and HTML head, when optout may fetch it.
    let mut page_out = PageOut {
        fetched: false,
        status: None,
        final_url: None,
        note: String::new(),
        license_links: Vec::new(),
    };
    let mut page = PageSignals::default();
    let mut page_image = false;
    if request.page.is_none() {
        page_out.note = "not fetched (--offline, --snapshot or --no-page)".into();
    } else if !optout_may_fetch(policy, &path) {
        page_out.note = "not fetched: robots.txt does not let optout fetch it".into();
    } else {
        let options = request.page.clone().unwrap_or_default();
        let fetched = crate::fetch::page::fetch_page_blocking(options, &request.url)?;
        page_image = fetched.headers.iter().any(|(n, v)| {
            n.eq_ignore_ascii_case("content-type") && v.to_ascii_lowercase().starts_with("image/")
        });
        page_out.fetched = fetched.failure.is_none();
        page_out.status = fetched.status;
        page_out.final_url = Some(fetched.final_url.clone());
        if let Some((why, detail)) = &fetched.failure {
            page_out.note = format!(
                "{}: {detail}",
                crate::fetch::Outcome::Unreachable(*why).code()
            );
        } else {
            let html = fetched.is_html().then_some(&fetched.body[..]);
            page = PageSignals::read(
                fetched
                    .headers
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str())),
                html,
            );
            if html.is_none() {
                let declared = crate::corpus::http_body::content_type(&fetched.headers);
                page.read_media(
                    declared.as_deref(),
                    &fetched.body,
                    fetched.truncated,
                    resolved
                        .usage
                        .signals
                        .contains(crate::signals::usage::Signal::C2pa),
                );
            }
            page_out.license_links.clone_from(&page.license_links);
        }
    }

    // robots.txt access, per agent, under both readings.
    let keys = agents.keys();
    let robots: Option<&Arc<RobotsTxt>> = match policy.map(|p| &p.access) {
        Some(Access::Rules(robots)) => Some(robots),
        _ => None,
    };
    let compiled = robots.map(|r| r.compile(keys));
    let aware = robots
        .and_then(|r| r.aware.as_ref())
        .map(|a| a.compile(keys));
    let plan = policy.and_then(|p| UsagePlan::new(p, keys));

    let mut out_agents = Vec::new();
    for (index, name) in agents.names().iter().enumerate() {
        let access = match (policy.map(|p| &p.access), &compiled) {
            (Some(Access::Unreachable { .. }), _) => AccessOut {
                allowed: false,
                state: "unreachable",
                rule: None,
                line: None,
                group: None,
                reading: "rfc9309",
            },
            (Some(Access::Rules(robots)), Some(compiled)) => {
                let verdict = compiled.verdict(index, &path);
                let stricter = aware
                    .as_ref()
                    .map(|a| a.verdict(index, &path))
                    .filter(|v| verdict.allowed && !v.allowed);
                let (verdict, reading, rules) = match stricter {
                    Some(v) => (v, "aipref", robots.usage_reading()),
                    None => (verdict, "rfc9309", &**robots),
                };
                let rule = verdict.rule.map(|r| &rules.rules[r]);
                AccessOut {
                    allowed: verdict.allowed,
                    state: if verdict.allowed {
                        "allowed"
                    } else {
                        "disallowed"
                    },
                    rule: rule.map(|r| rules.rule_text(r)),
                    line: rule.map(|r| r.line),
                    group: rule.map(|r| rules.group_of(r).line()),
                    reading,
                }
            }
            // No robots.txt (a 4xx): no access rule.
            (Some(_), _) => AccessOut {
                allowed: true,
                state: "no-robots-txt",
                rule: None,
                line: None,
                group: None,
                reading: "rfc9309",
            },
            // Nothing known: neither allowed nor disallowed by the site;
            // the run's --missing-policy decides the row.
            (None, _) => AccessOut {
                allowed: false,
                state: "no-policy",
                rule: None,
                line: None,
                group: None,
                reading: "rfc9309",
            },
        };
        let mut purposes = std::collections::BTreeMap::new();
        for purpose in Purpose::ALL {
            let options = UsageOptions {
                purpose,
                ..resolved.usage
            };
            let mut statements = Vec::new();
            let mut says = Vec::new();
            if let (Some(plan), Some(policy)) = (&plan, policy) {
                for hit in plan.statements_for(index, &path, &options) {
                    // A page's tdm-reservation supersedes the site's file.
                    let file_tdm = matches!(
                        hit.at,
                        StatementAt::TdmRep(_)
                            | StatementAt::TdmRepUnreachable
                            | StatementAt::TdmRepUnreadable
                    );
                    if file_tdm && page.supersedes_tdm_file() {
                        continue;
                    }
                    says.push((hit.pref, hit.signal));
                    statements.push(statement_out(policy, &hit));
                }
            }
            let file_tdm = policy.map_or(Reservation::Unset, |p| match &p.files.tdmrep {
                FileState::Read { parsed, .. } => parsed.reservation(&path),
                _ => Reservation::Unset,
            });
            for s in page.statements(
                &request.url,
                std::slice::from_ref(&keys[index]),
                purpose,
                file_tdm,
                false,
                resolved.usage.aipref(),
            ) {
                if !resolved.usage.signals.contains(s.signal) {
                    continue;
                }
                says.push((s.pref, s.signal));
                statements.push(StatementOut {
                    signal: s.signal.code(),
                    says: s.pref.as_str(),
                    source: s.source,
                    line: None,
                    text: String::new(),
                });
            }
            // The agent's own summary: its first disallow, else its first
            // allow. The row's verdict below is the engine's.
            let (pref, by) = combine(&says);
            purposes.insert(
                purpose.as_str(),
                PurposeOut {
                    verdict: match access.state {
                        "no-policy" => "no-policy",
                        _ if access.allowed => pref.as_str(),
                        _ => "not-crawlable",
                    },
                    decided_by: by.map(Signal::code).filter(|_| access.allowed),
                    statements,
                },
            );
        }
        out_agents.push(AgentOut {
            agent: name.clone(),
            access,
            purposes,
        });
    }

    // The verdict per purpose: the engine's, as `filter` reaches it.
    let mut verdict = std::collections::BTreeMap::new();
    let mut kept_enforced = true;
    let page_seen = page_out.fetched.then_some((&page, page_image));
    for purpose in Purpose::ALL {
        let mut config = request.config.clone();
        config.purpose = purpose.as_str().to_owned();
        let mut one = PolicySet::new();
        if let Some(policy) = policy {
            one.insert(policy.clone());
        }
        let engine = config.build(one, lists.clone())?;
        let decided = engine.decide_page(&request.url, page_seen, &mut Scratch::default());
        let out = match decided {
            PageDecision::Kept { usage } => VerdictOut {
                verdict: usage.as_str(),
                kept: true,
                reason: None,
            },
            PageDecision::Removed { reason, pref, .. } => VerdictOut {
                verdict: pref.as_str(),
                kept: false,
                reason: Some(reason.as_str()),
            },
            PageDecision::Skipped(reason) => {
                return Err(Error::config(format!("`{}`: {reason}", request.url)));
            }
        };
        if purpose == enforced {
            kept_enforced = out.kept;
        }
        verdict.insert(purpose.as_str(), out);
    }

    let mut licenses = Vec::new();
    if let Some(robots) = robots {
        for license in &robots.licenses {
            licenses.push(LicenseOut {
                line: license.line,
                url: robots.str(&license.value).into_owned(),
                scope: if license.group.is_some() {
                    "group"
                } else {
                    "global"
                },
            });
        }
    }
    let mut files = std::collections::BTreeMap::new();
    if let Some(policy) = policy {
        let mut tdmrep = file_out(&policy.files.tdmrep);
        if let FileState::Read { parsed, .. } = &policy.files.tdmrep {
            // Read, but broken: its rules before the fault hold, and every
            // path past them is read as reserved (fail closed).
            if let Some(why) = &parsed.unreadable {
                tdmrep.state = "unreadable";
                let kept = parsed.rules.len();
                tdmrep.note = format!(
                    "{why}; {kept} rules read before the fault, every other path read as reserved"
                );
            } else if let Some(why) = &parsed.invalid {
                // An HTML page or a JSON object served at the path (a soft
                // 404): no tdmrep.json, no file-level reservation.
                tdmrep.state = "invalid";
                tdmrep.note = format!("{why}: not a tdmrep.json, so no reservation");
            }
        }
        files.insert("tdmrep.json", tdmrep);
        files.insert("ai.txt", file_out(&policy.files.ai_txt));
        files.insert("rsl", file_out(&policy.files.rsl));
    }
    Ok(Explanation {
        url: request.url.clone(),
        origin: origin.to_string(),
        enforced_purpose: enforced.as_str(),
        agent_rule,
        unknown: match unknown {
            crate::signals::usage::UnknownPolicy::Keep => "keep",
            crate::signals::usage::UnknownPolicy::Drop => "drop",
        },
        signals: resolved.usage.signals.names(),
        aipref_vocab: resolved.usage.vocab.as_str(),
        model: resolved.usage.model.as_str(),
        blocklist: blocked,
        robots: robots_out(policy),
        files,
        licenses,
        page: page_out,
        agents: out_agents,
        verdict,
        kept: kept_enforced,
    })
}
