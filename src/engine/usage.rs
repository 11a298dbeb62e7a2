//! The usage stage of a decision (SIGNALS.md §11, steps 3–5): after access
//! allowed a URL, what every usage statement of its origin says about the
//! enforced purpose, combined into one verdict.
//!
//! Sources, per selected agent:
//!
//! * robots.txt `Content-Usage` and `Content-Signal` lines of the agent's
//!   groups, each kind by longest match ([`RobotsTxt::usage_for`]);
//! * `/.well-known/tdmrep.json`: the first rule whose location matches;
//!   `1` disallows training, `0` allows it (TDMRep speaks of TDM only, so
//!   it says nothing about search or AI input);
//! * `/ai.txt`: a matching `Disallow` disallows training, a matching
//!   `Allow` allows it, no match says nothing;
//! * an unreadable tdmrep.json or ai.txt disallows training, as an
//!   unreachable robots.txt disallows access (never fail open).
//!
//! An agent's statements combine as aipref asks (any disallow, else any
//! allow, else unknown); then agents combine by `--agent-rule`: with `any`
//! the same way, with `all` a disallow needs every agent to disallow.
//!
//! A [`UsagePlan`] is built once per policy and run; agents that select the
//! same robots.txt usage lines and the same ai.txt rules share a class, so
//! a row costs one evaluation per class, not per agent. Evaluation does not
//! allocate.

use std::sync::Arc;

use crate::agents::AgentRule;
use crate::policy::OriginPolicy;
use crate::policy::files::FileState;
use crate::signals::ai_txt::AiTxt;
use crate::signals::aipref::Pref;
use crate::signals::robots::{CompiledRobots, RobotsTxt, UsageKind};
use crate::signals::rsl::{RslDocument, RslError, Training};
use crate::signals::tdmrep::TdmRepFile;
use crate::signals::usage::{Purpose, Signal, UnknownPolicy, tdm_pref};

/// What the usage stage enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsageOptions {
    /// The purpose whose verdict decides a row.
    pub purpose: Purpose,
    /// What an unknown verdict does to a row.
    pub unknown: UnknownPolicy,
    /// Read legacy aipref keys (`ai=n`, `tdm=n`, ...) as `train-ai=n`.
    pub legacy_conservative: bool,
    /// The aipref vocabulary read.
    pub vocab: crate::signals::aipref::Vocab,
    /// The model a training run trains (aipref `train-ai` is about
    /// generative ones).
    pub model: crate::signals::aipref::ModelKind,
    /// The usage signals read (`--signals`).
    pub signals: crate::signals::usage::SignalSet,
    /// Read the site's tdmrep.json. A page whose own `tdm-reservation`
    /// (header or meta) supersedes the file is judged without it.
    pub tdmrep_file: bool,
}

impl Default for UsageOptions {
    fn default() -> Self {
        UsageOptions {
            purpose: Purpose::Train,
            unknown: UnknownPolicy::Keep,
            legacy_conservative: false,
            vocab: crate::signals::aipref::Vocab::default(),
            model: crate::signals::aipref::ModelKind::default(),
            signals: crate::signals::usage::SignalSet::all(),
            tdmrep_file: true,
        }
    }
}

impl UsageOptions {
    /// How aipref statements are read.
    #[must_use]
    pub fn aipref(&self) -> crate::signals::aipref::Reading {
        crate::signals::aipref::Reading {
            vocab: self.vocab,
            model: self.model,
            conservative: self.legacy_conservative,
        }
    }
}

/// Where a statement was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatementAt {
    /// A line of robots.txt: an index into [`RobotsTxt::usage`] of its
    /// usage reading.
    Robots(u32),
    /// A rule of tdmrep.json, by index.
    TdmRep(u32),
    /// tdmrep.json could not be read.
    TdmRepUnreachable,
    /// tdmrep.json is broken past its first rules, none of which matched:
    /// read as a reservation.
    TdmRepUnreadable,
    /// A rule of ai.txt: an index into its rules.
    AiTxt(u32),
    /// ai.txt could not be read.
    AiTxtUnreachable,
    /// The RSL document, for the `<content>` at this index.
    Rsl(u32),
    /// The RSL document is missing, unreadable or not RSL: unlicensed.
    RslUnusable,
}

/// One statement that decided (or helped decide) a verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsageHit {
    /// The signal.
    pub signal: Signal,
    /// What it says.
    pub pref: Pref,
    /// The first selected agent it speaks for (a position in the agent
    /// set).
    pub agent: u16,
    /// Where.
    pub at: StatementAt,
}

/// A class of agents that share every usage source.
#[derive(Clone, Debug)]
struct Class {
    /// The first agent of the class.
    agent: u16,
    /// robots.txt usage lines of the class's groups.
    rules: Box<[u32]>,
}

/// A file the plan reads: parsed, or unreadable (read as a disallow).
#[derive(Clone, Debug)]
enum FileSays<T> {
    Read(T),
    Unreadable,
}

/// ai.txt and its rules compiled for the run's agents.
#[derive(Clone, Debug)]
struct AiTxtRules {
    file: Arc<AiTxt>,
    compiled: Arc<CompiledRobots>,
}

/// Compiled forms shared by the plans of one run.
#[derive(Debug, Default)]
pub struct SharedRules {
    /// ai.txt rules by the address of their shared parse.
    ai_txt: std::collections::HashMap<usize, Arc<CompiledRobots>>,
}

/// One policy's usage sources, prepared for a run's agents.
#[derive(Clone, Debug)]
pub struct UsagePlan {
    robots: Option<Arc<RobotsTxt>>,
    tdmrep: Option<FileSays<Arc<TdmRepFile>>>,
    ai_txt: Option<FileSays<AiTxtRules>>,
    rsl: Option<FileSays<Arc<Result<RslDocument, RslError>>>>,
    classes: Box<[Class]>,
    /// Per agent: its class.
    class_of: Box<[u16]>,
}

impl UsagePlan {
    /// The plan for `policy` and the agents whose keys are `agent_keys`;
    /// `None` when nothing can state anything, so rows skip the stage.
    #[must_use]
    pub fn new(policy: &OriginPolicy, agent_keys: &[String]) -> Option<UsagePlan> {
        Self::with_shared(policy, agent_keys, &mut SharedRules::default())
    }

    /// [`UsagePlan::new`], compiling each distinct ai.txt once across the
    /// policies of a run (`shared`): origins of one host or platform serve
    /// the same bytes, which share one parse.
    #[must_use]
    pub fn with_shared(
        policy: &OriginPolicy,
        agent_keys: &[String],
        shared: &mut SharedRules,
    ) -> Option<UsagePlan> {
        let robots = match &policy.access {
            crate::policy::Access::Rules(robots) if !robots.usage_reading().usage.is_empty() => {
                Some(Arc::clone(robots))
            }
            _ => None,
        };
        let tdmrep = match &policy.files.tdmrep {
            FileState::Read { parsed, .. } if !parsed.rules.is_empty() => {
                Some(FileSays::Read(Arc::clone(parsed)))
            }
            FileState::Unreachable { .. } => Some(FileSays::Unreadable),
            _ => None,
        };
        let ai_txt = match &policy.files.ai_txt {
            FileState::Read { parsed, .. } => match &**parsed {
                AiTxt::Spawning(rules) => Some(FileSays::Read(AiTxtRules {
                    file: Arc::clone(parsed),
                    compiled: Arc::clone(
                        shared
                            .ai_txt
                            .entry(Arc::as_ptr(parsed) as usize)
                            .or_insert_with(|| Arc::new(rules.compile(agent_keys))),
                    ),
                })),
                AiTxt::Other(_) => None,
            },
            FileState::Unreachable { .. } => Some(FileSays::Unreadable),
            _ => None,
        };
        // A declared license that cannot be had makes the asset unlicensed
        // (RSL 1.0, SIGNALS.md §8.2): a 404 too, unlike the other files.
        let rsl = match &policy.files.rsl {
            FileState::Read { parsed, .. } => match &**parsed {
                Ok(_) => Some(FileSays::Read(Arc::clone(parsed))),
                Err(_) => Some(FileSays::Unreadable),
            },
            FileState::Absent { .. } | FileState::Unreachable { .. } => Some(FileSays::Unreadable),
            FileState::NotFetched => None,
        };
        if robots.is_none() && tdmrep.is_none() && ai_txt.is_none() && rsl.is_none() {
            return None;
        }
        let mut classes: Vec<(Class, usize)> = Vec::new();
        let mut class_of = Vec::with_capacity(agent_keys.len());
        for (agent, key) in agent_keys.iter().enumerate() {
            let rules: Box<[u32]> = match &robots {
                Some(robots) => robots.usage_rules_of(&robots.usage_groups(key)).into(),
                None => Box::default(),
            };
            let ai_content = match &ai_txt {
                Some(FileSays::Read(rules)) => rules.compiled.content_of(agent),
                _ => 0,
            };
            let found = classes
                .iter()
                .position(|(c, content)| c.rules == rules && *content == ai_content);
            let class = found.unwrap_or_else(|| {
                let agent = u16::try_from(agent).expect("fewer than 65,536 agents");
                classes.push((Class { agent, rules }, ai_content));
                classes.len() - 1
            });
            class_of.push(u16::try_from(class).expect("fewer than 65,536 agents"));
        }
        Some(UsagePlan {
            robots,
            tdmrep,
            ai_txt,
            rsl,
            classes: classes.into_iter().map(|(c, _)| c).collect(),
            class_of: class_of.into(),
        })
    }

    /// Every statement of every source for agent `agent` (a position in
    /// the agent set) about `options.purpose` at `path`, unknown ones
    /// included: what `explain` lists.
    #[must_use]
    pub fn statements_for(
        &self,
        agent: usize,
        path: &[u8],
        options: &UsageOptions,
    ) -> Vec<UsageHit> {
        let class = &self.classes[usize::from(self.class_of[agent])];
        let mut out = Vec::new();
        self.each_statement(class, path, options, |mut hit| {
            hit.agent = u16::try_from(agent).expect("fewer than 65,536 agents");
            out.push(hit);
        });
        out
    }

    /// The verdict for `path` (normalised as a URL) and the statement that
    /// decided it (`None` for unknown). Does not allocate.
    #[must_use]
    pub fn verdict(
        &self,
        path: &[u8],
        options: &UsageOptions,
        rule: AgentRule,
    ) -> (Pref, Option<UsageHit>) {
        let mut disallow: Option<UsageHit> = None;
        let mut allow: Option<UsageHit> = None;
        let mut all_disallow = true;
        for class in &self.classes {
            let (pref, hit) = self.class_verdict(class, path, options);
            match pref {
                Pref::Disallowed => {
                    disallow = disallow.or(hit);
                }
                Pref::Allowed => {
                    all_disallow = false;
                    allow = allow.or(hit);
                }
                Pref::Unknown => all_disallow = false,
            }
        }
        let disallowed = match rule {
            AgentRule::Any => disallow.is_some(),
            AgentRule::All => all_disallow && disallow.is_some(),
        };
        if disallowed {
            return (Pref::Disallowed, disallow);
        }
        match allow {
            Some(hit) => (Pref::Allowed, Some(hit)),
            None => (Pref::Unknown, None),
        }
    }

    fn class_verdict(
        &self,
        class: &Class,
        path: &[u8],
        options: &UsageOptions,
    ) -> (Pref, Option<UsageHit>) {
        let mut best: (Pref, Option<UsageHit>) = (Pref::Unknown, None);
        self.each_statement(class, path, options, |hit| {
            let better = match (best.0, hit.pref) {
                (Pref::Disallowed, _) | (_, Pref::Unknown) => false,
                (_, Pref::Disallowed) => true,
                (Pref::Unknown, Pref::Allowed) => true,
                (Pref::Allowed, Pref::Allowed) => false,
            };
            if better {
                best = (hit.pref, Some(hit));
            }
        });
        best
    }

    /// Calls `emit` with every statement of every source for `class`, in
    /// source order: robots.txt Content-Usage, Content-Signal, tdmrep.json,
    /// ai.txt. Statements that say `unknown` are emitted too.
    fn each_statement(
        &self,
        class: &Class,
        path: &[u8],
        options: &UsageOptions,
        mut emit: impl FnMut(UsageHit),
    ) {
        let purpose = options.purpose;
        // Only the protocols the run reads (`--signals`) speak.
        let signals = options.signals;
        let mut emit = |hit: UsageHit| {
            if signals.contains(hit.signal) {
                emit(hit);
            }
        };
        let hit = |signal, pref, at| UsageHit {
            signal,
            pref,
            agent: class.agent,
            at,
        };
        if let Some(robots) = &self.robots {
            for (kind, signal) in [
                (UsageKind::ContentUsage, Signal::ContentUsage),
                (UsageKind::ContentSignal, Signal::ContentSignal),
            ] {
                // aipref says nothing about AI input before vocab-08, nor
                // about training a model that is not generative.
                if kind == UsageKind::ContentUsage && options.aipref().category(purpose).is_none() {
                    continue;
                }
                let found = robots.usage_for(
                    &class.rules,
                    kind,
                    path,
                    purpose,
                    options.legacy_conservative,
                );
                if let Some(found) = found {
                    emit(hit(
                        signal,
                        found.pref,
                        StatementAt::Robots(to_u32(found.rule)),
                    ));
                }
            }
        }
        if purpose != Purpose::Train {
            return;
        }
        match self.tdmrep.as_ref().filter(|_| options.tdmrep_file) {
            Some(FileSays::Read(file)) => {
                if let Some(rule) = file.rule_for(path) {
                    emit(hit(
                        Signal::TdmRep,
                        tdm_pref(rule.reservation),
                        StatementAt::TdmRep(to_u32(rule.index)),
                    ));
                } else if file.unreadable.is_some() {
                    emit(hit(
                        Signal::TdmRep,
                        Pref::Disallowed,
                        StatementAt::TdmRepUnreadable,
                    ));
                }
            }
            Some(FileSays::Unreadable) => emit(hit(
                Signal::TdmRep,
                Pref::Disallowed,
                StatementAt::TdmRepUnreachable,
            )),
            None => {}
        }
        match &self.ai_txt {
            Some(FileSays::Read(ai)) => {
                let verdict = ai.compiled.verdict(usize::from(class.agent), path);
                if let (Some(rule), AiTxt::Spawning(rules)) = (verdict.rule, &*ai.file) {
                    let pref = if rules.rules[rule].allow {
                        Pref::Allowed
                    } else {
                        Pref::Disallowed
                    };
                    emit(hit(Signal::AiTxt, pref, StatementAt::AiTxt(to_u32(rule))));
                }
            }
            Some(FileSays::Unreadable) => emit(hit(
                Signal::AiTxt,
                Pref::Disallowed,
                StatementAt::AiTxtUnreachable,
            )),
            None => {}
        }
        match &self.rsl {
            Some(FileSays::Read(doc)) => {
                let Ok(doc) = &**doc else {
                    emit(hit(Signal::Rsl, Pref::Disallowed, StatementAt::RslUnusable));
                    return;
                };
                if let Some(training) = doc.training(path) {
                    // Licensable is not licensed: excluded unless the
                    // user holds the license (SIGNALS.md §11 step 3).
                    let pref = match training {
                        Training::Permitted => Pref::Allowed,
                        _ => Pref::Disallowed,
                    };
                    let content = doc
                        .content_for(path)
                        .and_then(|c| doc.contents.iter().position(|d| std::ptr::eq(d, c)))
                        .unwrap_or(0);
                    emit(hit(Signal::Rsl, pref, StatementAt::Rsl(to_u32(content))));
                }
            }
            Some(FileSays::Unreadable) => {
                emit(hit(Signal::Rsl, Pref::Disallowed, StatementAt::RslUnusable));
            }
            None => {}
        }
    }
}

/// An RSL `<content>` and its licenses, as evidence.
fn describe_content(content: &crate::signals::rsl::Content) -> String {
    let licenses: Vec<String> = content
        .licenses
        .iter()
        .map(|l| {
            let mut parts = Vec::new();
            if let Some(permits) = &l.permits {
                parts.push(format!("permits {}", permits.join(" ")));
            }
            if !l.prohibits.is_empty() {
                parts.push(format!("prohibits {}", l.prohibits.join(" ")));
            }
            parts.push(format!(
                "payment {}",
                l.payment.as_deref().unwrap_or("free")
            ));
            parts.join(", ")
        })
        .collect();
    format!("<content url={:?}>: {}", content.url, licenses.join("; "))
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).expect("rule counts fit in u32")
}

/// Whether a row with `verdict` is kept, under `options`.
#[must_use]
pub fn keeps(verdict: Pref, options: &UsageOptions) -> bool {
    crate::signals::usage::keeps(verdict, options.unknown)
}

/// How a statement reads in evidence: the file it is in, its line (when
/// the file has lines), and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The file's URL or path.
    pub source: String,
    /// The line in the file, for robots.txt and ai.txt.
    pub line: Option<u32>,
    /// The statement as written (a robots.txt line, a tdmrep.json rule).
    pub text: String,
    /// SHA-256 of the file, hex, when read.
    pub sha256: Option<String>,
    /// When the file was fetched.
    pub fetched_at: Option<crate::time::Millis>,
}

/// Where `hit` was found in `policy`'s files.
#[must_use]
pub fn locate(policy: &OriginPolicy, hit: &UsageHit) -> Located {
    let robots_source = || Located {
        source: policy.source.clone(),
        line: None,
        text: String::new(),
        sha256: Some(policy.sha256.clone()).filter(|s| !s.is_empty()),
        fetched_at: policy.fetched_at,
    };
    let file_source = |state_source: Option<&str>, sha: Option<&str>, at| Located {
        source: state_source.unwrap_or_default().to_owned(),
        line: None,
        text: String::new(),
        sha256: sha.map(str::to_owned),
        fetched_at: at,
    };
    match hit.at {
        StatementAt::Robots(index) => {
            let mut located = robots_source();
            if let crate::policy::Access::Rules(robots) = &policy.access {
                let reading = robots.usage_reading();
                let rule = &reading.usage[index as usize];
                located.line = Some(rule.line);
                located.text = format!("{}: {}", rule.kind.key(), reading.str(&rule.value));
            }
            located
        }
        StatementAt::TdmRep(index) => {
            let state = &policy.files.tdmrep;
            let (sha, text) = match state {
                FileState::Read { parsed, sha256, .. } => {
                    let text = parsed
                        .rules
                        .get(index as usize)
                        .map_or_else(String::new, |r| {
                            format!(
                                "rule {}: location {:?}, tdm-reservation {}{}",
                                r.index,
                                r.location,
                                match r.reservation {
                                    crate::signals::tdmrep::Reservation::Reserved => "1",
                                    crate::signals::tdmrep::Reservation::NotReserved => "0",
                                    crate::signals::tdmrep::Reservation::Unset => "unset",
                                },
                                r.policy
                                    .as_deref()
                                    .map_or_else(String::new, |p| format!(", tdm-policy {p}"))
                            )
                        });
                    (Some(sha256.as_str()), text)
                }
                _ => (None, String::new()),
            };
            let mut located = file_source(state.source(), sha, state.fetched_at());
            located.text = text;
            located
        }
        StatementAt::AiTxt(index) => {
            let state = &policy.files.ai_txt;
            let (sha, line, text) = match state {
                FileState::Read { parsed, sha256, .. } => match &**parsed {
                    AiTxt::Spawning(rules) => {
                        let rule = &rules.rules[index as usize];
                        (
                            Some(sha256.as_str()),
                            Some(rule.line),
                            rules.rule_text(rule),
                        )
                    }
                    AiTxt::Other(_) => (Some(sha256.as_str()), None, String::new()),
                },
                _ => (None, None, String::new()),
            };
            let mut located = file_source(state.source(), sha, state.fetched_at());
            located.line = line;
            located.text = text;
            located
        }
        StatementAt::Rsl(index) => {
            let state = &policy.files.rsl;
            let (sha, text) = match state {
                FileState::Read { parsed, sha256, .. } => {
                    let text = match &**parsed {
                        Ok(doc) => doc
                            .contents
                            .get(index as usize)
                            .map_or_else(String::new, describe_content),
                        Err(e) => e.to_string(),
                    };
                    (Some(sha256.as_str()), text)
                }
                _ => (None, String::new()),
            };
            let mut located = file_source(state.source(), sha, state.fetched_at());
            located.text = text;
            located
        }
        StatementAt::RslUnusable => {
            let state = &policy.files.rsl;
            let text = match state {
                FileState::Read { parsed, .. } => match &**parsed {
                    Err(e) => format!("unlicensed: {e}"),
                    Ok(_) => String::new(),
                },
                FileState::Absent { status, .. } => {
                    format!("unlicensed: the license document answered {status}")
                }
                FileState::Unreachable { detail, .. } => format!("unlicensed: {detail}"),
                FileState::NotFetched => String::new(),
            };
            let mut located = file_source(state.source(), None, state.fetched_at());
            located.text = text;
            located
        }
        StatementAt::TdmRepUnreadable => {
            let state = &policy.files.tdmrep;
            let (sha, why) = match state {
                FileState::Read { parsed, sha256, .. } => (
                    Some(sha256.as_str()),
                    parsed.unreadable.clone().unwrap_or_default(),
                ),
                _ => (None, String::new()),
            };
            let mut located = file_source(state.source(), sha, state.fetched_at());
            located.text = format!("unreadable, read as a reservation: {why}");
            located
        }
        StatementAt::TdmRepUnreachable | StatementAt::AiTxtUnreachable => {
            let (source, detail, at) = match (hit.at, &policy.files.tdmrep, &policy.files.ai_txt) {
                (
                    StatementAt::TdmRepUnreachable,
                    FileState::Unreachable {
                        source,
                        detail,
                        fetched_at,
                    },
                    _,
                )
                | (
                    StatementAt::AiTxtUnreachable,
                    _,
                    FileState::Unreachable {
                        source,
                        detail,
                        fetched_at,
                    },
                ) => (source.clone(), detail.clone(), *fetched_at),
                _ => (String::new(), String::new(), None),
            };
            Located {
                source,
                line: None,
                text: format!("unreachable: {detail}"),
                sha256: None,
                fetched_at: at,
            }
        }
    }
}

/// The reason a row goes for the usage stage: the signal that refused
/// it, else that no signal allowed it.
pub(crate) fn usage_reason(hit: Option<UsageHit>) -> crate::signals::ReasonCode {
    hit.map_or(crate::signals::ReasonCode::UsageUnknown, |h| {
        crate::signals::ReasonCode::of_signal(h.signal)
    })
}
