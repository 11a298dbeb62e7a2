//! `optout explain URL`: everything optout knows about one URL, the command
//! a compliance officer runs by hand. It fetches what the cache lacks (the
//! origin's robots.txt, tdmrep.json and ai.txt) unless `--offline`, reads
//! the page itself for header and meta signals when robots.txt lets optout
//! fetch it, and prints every signal found, the verdict per purpose and
//! per agent, and the exact lines and their sources.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use serde::Serialize;

use crate::agents::{AgentRule, AgentSet};
use crate::blocklist::{self, Blocklists};
use crate::cli::status::{ExitStatus, One, failed};
use crate::engine::usage::{StatementAt, UsageHit, UsageOptions, UsagePlan, locate};
use crate::error::{Error, ErrorKind, Result};
use crate::fetch::Fetcher;
use crate::fetch::page::PageFetch;
use crate::origin::{Origin, UrlParser};
use crate::policy::files::FileState;
use crate::policy::{Access, OriginPolicy};
use crate::signals::ReasonCode;
use crate::signals::aipref::Pref;
use crate::signals::page::PageSignals;
use crate::signals::robots::normalize::{self, Side};
use crate::signals::robots::{RobotsTxt, agent_key};
use crate::signals::tdmrep::Reservation;
use crate::signals::usage::{Purpose, Signal};

#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The URL to explain.
    url: String,

    /// Use the cache as it is: fetch nothing, not even the page.
    #[arg(long)]
    offline: bool,

    /// Read policies from a snapshot (`optout cache export`) instead of
    /// the cache. Offline.
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,

    /// Do not fetch the page itself (its headers and meta tags are then
    /// not read).
    #[arg(long)]
    no_page: bool,

    #[command(flatten)]
    net: crate::cli::fetch::NetArgs,

    /// Agents to explain for, comma-separated; added to --purpose's.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    agents: Vec<String>,

    /// The purpose whose agents are explained, and whose verdict decides
    /// the exit code: train, search, ai-input or control-only.
    #[arg(long, value_name = "PURPOSE")]
    purpose: Option<String>,

    /// As for `filter`.
    #[arg(long, default_value = "any", value_name = "any|all")]
    agent_rule: String,

    /// As for `filter`.
    #[arg(long, default_value = "keep", value_name = "keep|drop")]
    unknown: String,

    /// As for `filter`.
    #[arg(long)]
    legacy_conservative: bool,

    /// As for `filter`: NAME=PATH, repeatable.
    #[arg(long, value_name = "NAME=PATH")]
    blocklist: Vec<String>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// One statement, as printed.
#[derive(Serialize)]
struct StatementOut {
    signal: &'static str,
    says: &'static str,
    source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    text: String,
}

#[derive(Serialize)]
struct PurposeOut {
    verdict: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    decided_by: Option<&'static str>,
    statements: Vec<StatementOut>,
}

#[derive(Serialize)]
struct AccessOut {
    allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<u32>,
    /// `rfc9309`, or `aipref` when only the aipref-aware grouping
    /// disallows.
    reading: &'static str,
}

#[derive(Serialize)]
struct AgentOut {
    agent: String,
    access: AccessOut,
    purposes: std::collections::BTreeMap<&'static str, PurposeOut>,
}

#[derive(Serialize)]
struct FileOut {
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fetched_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    note: String,
}

#[derive(Serialize)]
struct PageOut {
    fetched: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    final_url: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    note: String,
    /// `Link: <…>; rel="license"` targets (RSL's HTTP discovery).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    license_links: Vec<String>,
}

#[derive(Serialize)]
struct LicenseOut {
    line: u32,
    url: String,
    scope: &'static str,
}

#[derive(Serialize)]
struct VerdictOut {
    verdict: &'static str,
    kept: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

#[derive(Serialize)]
struct Explanation {
    url: String,
    origin: String,
    enforced_purpose: &'static str,
    agent_rule: AgentRule,
    unknown: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    blocklist: Option<String>,
    robots: FileOut,
    files: std::collections::BTreeMap<&'static str, FileOut>,
    licenses: Vec<LicenseOut>,
    page: PageOut,
    agents: Vec<AgentOut>,
    verdict: std::collections::BTreeMap<&'static str, VerdictOut>,
}

pub(crate) fn run(args: &ExplainArgs) -> ExitStatus {
    match explain(args) {
        Ok((explanation, kept)) => {
            let text = if args.json {
                serde_json::to_string_pretty(&explanation).expect("serialises") + "\n"
            } else {
                render(&explanation)
            };
            let mut out = std::io::stdout().lock();
            if out.write_all(text.as_bytes()).is_err() {
                return ExitStatus::Failure;
            }
            // As for `check`: 1 says "removed", so errors exit 2.
            if kept {
                ExitStatus::Success
            } else {
                ExitStatus::UserError
            }
        }
        Err(err) => failed(&err, One::Answer),
    }
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

/// The policy of `origin`, fetching first unless offline.
fn load_policy(args: &ExplainArgs, origin: &Origin) -> Result<Option<OriginPolicy>> {
    let key = origin.to_string();
    let files = args.net.files()?;
    if let Some(path) = &args.snapshot {
        let (_, mut set) = crate::cache::snapshot::load(path)?;
        set.keep_files(&files);
        return Ok(set.get(&key).cloned());
    }
    if !args.offline {
        crate::fetch::refresh::refresh(
            &args.net.plan()?,
            std::slice::from_ref(origin),
            &crate::observe::Quiet,
        )?;
    }
    let path = args.net.cache.path()?;
    if !path.exists() {
        return Err(Error::config(format!(
            "no cache at `{}`: run without --offline, or pass --snapshot",
            path.display()
        )));
    }
    let cache = crate::cache::Cache::open(&path)?;
    let now = crate::time::now();
    let Some(mut policy) = cache.policy(&key, now)? else {
        return Ok(None);
    };
    policy.files = cache.files_of(&key, now)?;
    let mut set = crate::policy::PolicySet::new();
    set.insert(policy);
    set.keep_files(&files);
    Ok(set.get(&key).cloned())
}

fn fetch_page(args: &ExplainArgs, url: &str) -> Result<PageFetch> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ErrorKind::Fetch(format!("cannot start the async runtime: {e}")))?;
    let fetcher = Fetcher::new(args.net.options()?)?;
    Ok(runtime.block_on(fetcher.fetch_page(url)))
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

fn explain(args: &ExplainArgs) -> Result<(Explanation, bool)> {
    let agent_rule: AgentRule = args.agent_rule.parse()?;
    let agents: AgentSet = crate::config::select_agents(args.purpose.as_deref(), &args.agents)?;
    let enforced = match &args.purpose {
        Some(p) => p.parse::<crate::agents::Purpose>()?.usage(),
        None => Purpose::Train,
    };
    let unknown = crate::config::parse_unknown(&args.unknown)
        .map_err(|e| crate::Error::config(format!("--unknown {e}")))?;
    let mut parser = UrlParser::new();
    let url = parser
        .parse(args.url.trim())
        .map_err(|e| Error::config(format!("`{}`: {e}", args.url)))?;
    let origin = Origin::of(&url);
    let mut scratch = Vec::new();
    let path = normalize::normalize(url.path, Side::Url, &mut scratch).to_vec();
    let mut lists = Vec::new();
    for arg in &args.blocklist {
        let (name, file) = crate::cli::filter::parse_blocklist_arg(arg)?;
        lists.push(blocklist::load(name, file)?);
    }
    let lists = Blocklists::new(lists);
    let blocked = lists.find(&origin.host).map(|hit| {
        format!(
            "{} (entry `{}`, line {})",
            hit.list.name, hit.entry.host, hit.entry.line
        )
    });

    let offline = args.offline || args.snapshot.is_some();
    let policy = load_policy(args, &origin)?;
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
    if offline || args.no_page {
        page_out.note = "not fetched (--offline, --snapshot or --no-page)".into();
    } else if !optout_may_fetch(policy, &path) {
        page_out.note = "not fetched: robots.txt does not let optout fetch it".into();
    } else {
        let fetched = fetch_page(args, &args.url)?;
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
    // Per purpose: per agent (access allowed, pref, deciding signal).
    let mut per_purpose: Vec<(Purpose, Vec<AgentVerdict>)> =
        Purpose::ALL.iter().map(|&p| (p, Vec::new())).collect();
    for (index, name) in agents.names().iter().enumerate() {
        let access = match (policy.map(|p| &p.access), &compiled) {
            (Some(Access::Unreachable { .. }), _) => AccessOut {
                allowed: false,
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
                    rule: rule.map(|r| rules.rule_text(r)),
                    line: rule.map(|r| r.line),
                    group: rule.map(|r| rules.groups[r.group].line()),
                    reading,
                }
            }
            // No robots.txt (a 4xx), or none known: no access rule.
            _ => AccessOut {
                allowed: true,
                rule: None,
                line: None,
                group: None,
                reading: "rfc9309",
            },
        };
        let mut purposes = std::collections::BTreeMap::new();
        for (purpose, verdicts) in &mut per_purpose {
            let options = UsageOptions {
                purpose: *purpose,
                unknown,
                legacy_conservative: args.legacy_conservative,
                tdmrep_file: true,
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
                &args.url,
                std::slice::from_ref(&keys[index]),
                *purpose,
                file_tdm,
                false,
                args.legacy_conservative,
            ) {
                says.push((s.pref, s.signal));
                statements.push(StatementOut {
                    signal: s.signal.code(),
                    says: s.pref.as_str(),
                    source: s.source,
                    line: None,
                    text: String::new(),
                });
            }
            let (pref, by) = combine(&says);
            verdicts.push(AgentVerdict {
                allowed: access.allowed,
                pref,
                by,
            });
            purposes.insert(
                purpose.as_str(),
                PurposeOut {
                    verdict: if access.allowed {
                        pref.as_str()
                    } else {
                        "not-crawlable"
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

    // The verdict per purpose, as `filter` would reach it.
    let mut verdict = std::collections::BTreeMap::new();
    let mut kept_enforced = true;
    for (purpose, verdicts) in &per_purpose {
        let (pref, reason) = row_verdict(verdicts, agent_rule, blocked.is_some(), policy);
        let keeps = match reason {
            Some(_) => false,
            None => crate::signals::usage::keeps(pref, unknown),
        };
        let reason = reason.or_else(|| {
            (!keeps).then(|| {
                let disallowing = verdicts
                    .iter()
                    .filter(|_| pref == Pref::Disallowed)
                    .find(|v| v.pref == Pref::Disallowed);
                match disallowing.and_then(|v| v.by) {
                    Some(signal) => ReasonCode::of_signal(signal).as_str(),
                    None => ReasonCode::UsageUnknown.as_str(),
                }
            })
        });
        if *purpose == enforced {
            kept_enforced = keeps;
        }
        verdict.insert(
            purpose.as_str(),
            VerdictOut {
                verdict: pref.as_str(),
                kept: keeps,
                reason,
            },
        );
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
        files.insert("tdmrep.json", file_out(&policy.files.tdmrep));
        files.insert("ai.txt", file_out(&policy.files.ai_txt));
        files.insert("rsl", file_out(&policy.files.rsl));
    }
    Ok((
        Explanation {
            url: args.url.clone(),
            origin: origin.to_string(),
            enforced_purpose: enforced.as_str(),
            agent_rule,
            unknown: match unknown {
                crate::signals::usage::UnknownPolicy::Keep => "keep",
                crate::signals::usage::UnknownPolicy::Drop => "drop",
            },
            blocklist: blocked,
            robots: robots_out(policy),
            files,
            licenses,
            page: page_out,
            agents: out_agents,
            verdict,
        },
        kept_enforced,
    ))
}

/// One agent's access and usage verdict for one purpose.
struct AgentVerdict {
    allowed: bool,
    pref: Pref,
    by: Option<Signal>,
}

/// The row's verdict for one purpose from the agents' (access, usage),
/// with the access reason that removes it, if any.
fn row_verdict(
    verdicts: &[AgentVerdict],
    rule: AgentRule,
    blocked: bool,
    policy: Option<&OriginPolicy>,
) -> (Pref, Option<&'static str>) {
    if blocked {
        return (Pref::Disallowed, Some(ReasonCode::Blocklist.as_str()));
    }
    match policy.map(|p| &p.access) {
        None => return (Pref::Disallowed, Some(ReasonCode::NoPolicy.as_str())),
        Some(Access::Unreachable { .. }) => {
            return (
                Pref::Disallowed,
                Some(ReasonCode::RobotsUnreachable.as_str()),
            );
        }
        _ => {}
    }
    let denied = |v: &&AgentVerdict| !v.allowed;
    let access_removes = match rule {
        AgentRule::Any => verdicts.iter().any(|v| denied(&v)),
        AgentRule::All => !verdicts.is_empty() && verdicts.iter().all(|v| denied(&v)),
    };
    if access_removes {
        return (Pref::Disallowed, Some(ReasonCode::RobotsDisallow.as_str()));
    }
    let disallow = |v: &&AgentVerdict| v.pref == Pref::Disallowed;
    let usage_removes = match rule {
        AgentRule::Any => verdicts.iter().any(|v| disallow(&v)),
        AgentRule::All => !verdicts.is_empty() && verdicts.iter().all(|v| disallow(&v)),
    };
    if usage_removes {
        return (Pref::Disallowed, None);
    }
    if verdicts.iter().any(|v| v.pref == Pref::Allowed) {
        (Pref::Allowed, None)
    } else {
        (Pref::Unknown, None)
    }
}

fn render(e: &Explanation) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", e.url);
    let _ = writeln!(s, "origin {}", e.origin);
    if let Some(hit) = &e.blocklist {
        let _ = writeln!(s, "blocklisted: {hit}");
    }
    let file = |s: &mut String, name: &str, f: &FileOut| {
        let _ = write!(s, "  {name:<12} {}", f.state);
        if let Some(source) = &f.source {
            let _ = write!(s, "  {source}");
        }
        if let Some(at) = &f.fetched_at {
            let _ = write!(s, "  fetched {at}");
        }
        if let Some(sha) = &f.sha256 {
            let _ = write!(s, "  sha256 {}", &sha[..sha.len().min(16)]);
        }
        let _ = writeln!(s);
        if !f.note.is_empty() {
            let _ = writeln!(s, "               {}", f.note);
        }
    };
    let _ = writeln!(s, "sources:");
    file(&mut s, "robots.txt", &e.robots);
    for (name, f) in &e.files {
        file(&mut s, name, f);
    }
    for license in &e.licenses {
        let _ = writeln!(
            s,
            "  License      line {} ({}): {}",
            license.line, license.scope, license.url
        );
    }
    let _ = write!(s, "  page         ");
    match (&e.page.status, e.page.fetched) {
        (Some(status), true) => {
            let _ = writeln!(
                s,
                "{status}  {}",
                e.page.final_url.as_deref().unwrap_or_default()
            );
            for link in &e.page.license_links {
                let _ = writeln!(s, "               Link rel=license {link}");
            }
        }
        _ => {
            let _ = writeln!(s, "{}", e.page.note);
        }
    }
    let _ = writeln!(
        s,
        "verdict (enforced purpose {}, agent rule {}, unknown {}):",
        e.enforced_purpose,
        match e.agent_rule {
            AgentRule::Any => "any",
            AgentRule::All => "all",
        },
        e.unknown
    );
    for (purpose, v) in &e.verdict {
        let _ = writeln!(
            s,
            "  {purpose:<9} {:<10} {}{}",
            v.verdict,
            if v.kept { "kept" } else { "removed" },
            v.reason.map(|r| format!(" ({r})")).unwrap_or_default()
        );
    }
    let _ = writeln!(s, "agents:");
    for agent in &e.agents {
        let a = &agent.access;
        let _ = write!(
            s,
            "  {:<22} access {}",
            agent.agent,
            if a.allowed { "allowed" } else { "disallowed" }
        );
        if let (Some(rule), Some(line)) = (&a.rule, a.line) {
            let _ = write!(s, " by line {line} `{rule}`");
            if a.reading == "aipref" {
                let _ = write!(s, " (aipref grouping)");
            }
        }
        let _ = writeln!(s);
        for (purpose, p) in &agent.purposes {
            let _ = writeln!(
                s,
                "    {purpose:<9} {}{}",
                p.verdict,
                p.decided_by.map(|d| format!(" by {d}")).unwrap_or_default()
            );
            for st in &p.statements {
                let _ = writeln!(
                    s,
                    "      {} {}: {}{}{}",
                    st.signal,
                    st.says,
                    st.source,
                    st.line.map(|l| format!(" line {l}")).unwrap_or_default(),
                    if st.text.is_empty() {
                        String::new()
                    } else {
                        format!(" `{}`", st.text)
                    }
                );
            }
        }
    }
    s
}
