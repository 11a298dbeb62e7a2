//! A filter run's configuration as data: [`FilterConfig`] holds every
//! choice that changes a decision, is what a manifest records under
//! `config` and what `optout verify` reads back, and
//! [`FilterConfig::build`] turns it, with policies and blocklists, into
//! the [`Engine`]. The command line, the Python package and the tests all
//! build their engines here, so one reading of each value serves them
//! all.
//!
//! Values are kept as the strings a manifest holds (`"any"`, `"deny"`,
//! `"train"`) so that a manifest reads back exactly; they are checked
//! strictly when the engine is built, and an error names the field.

use serde::{Deserialize, Serialize};

use crate::agents::{AgentRule, AgentSet, Registry};
use crate::blocklist::Blocklists;
use crate::corpus::{OnError, RowFormat};
use crate::engine::{Engine, MissingPolicy, UsageOptions};
use crate::error::{Error, Result};
use crate::origin::SiteFile;
use crate::policy::PolicySet;
use crate::signals::usage::{Purpose, UnknownPolicy};
use crate::time::Millis;

/// The resolved configuration of a run: everything that changes a
/// decision. Read back strictly: a field optout does not write is an
/// error, and so is a value it never writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterConfig {
    /// Row format: `lines`, `jsonl`, `cdxj`.
    pub format: String,
    /// The JSON field of the URL.
    pub url_field: Option<String>,
    /// The Parquet column of the URL, for a Parquet input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_column: Option<String>,
    /// `skip` or `fail`.
    pub on_error: String,
    /// The agents enforced, by name.
    pub agents: Vec<String>,
    /// `any` or `all`.
    pub agent_rule: String,
    /// `allow`, `deny` or `error`.
    pub missing_policy: String,
    /// The purpose enforced: `train`, `search` or `ai-input`.
    pub purpose: String,
    /// `keep` or `drop`.
    pub unknown: String,
    /// Legacy aipref keys read as `train-ai=n`.
    pub legacy_conservative: bool,
    /// The per-origin files read besides robots.txt.
    pub files: Vec<String>,
    /// Which policies judged: `now`, `crawl` (each record's crawl time)
    /// or the RFC 3339 time given.
    #[serde(default = "as_of_now")]
    pub as_of: String,
    /// The token count field or column, when tokens were counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_field: Option<String>,
    /// What the URLs of removed records leave out (`userinfo`, `query`);
    /// manifests written before redaction existed applied none.
    #[serde(default)]
    pub redact: Vec<String>,
    /// The aipref vocabulary read: `aipref-vocab-08` or `aipref-vocab-07`;
    /// manifests written before the choice existed read vocab-07.
    #[serde(default = "vocab_07")]
    pub aipref_vocab: String,
    /// The model a training run trains: `generative` (aipref `train-ai`
    /// applies) or `non-generative` (it does not).
    #[serde(default = "generative")]
    pub model: String,
    /// The usage signals read, by code (`content-usage`, `tdmrep`, …);
    /// robots.txt access is always read. Manifests written before the
    /// choice existed read every signal.
    #[serde(default = "all_signals")]
    pub signals: Vec<String>,
}

fn all_signals() -> Vec<String> {
    crate::signals::usage::SignalSet::all().names()
}

/// What manifests written before vocab-08 was read ran by.
fn vocab_07() -> String {
    crate::signals::aipref::Vocab::V07.as_str().into()
}

fn generative() -> String {
    "generative".into()
}

/// What manifests written before `--as-of crawl` ran by.
fn as_of_now() -> String {
    "now".into()
}

impl Default for FilterConfig {
    /// The command line's defaults: a URL list judged for training by
    /// every training agent of the registry, any agent's disallow
    /// removing a row, origins without a policy removed with an error,
    /// unknown usage kept, tdmrep.json and ai.txt read, credentials
    /// redacted.
    fn default() -> Self {
        FilterConfig {
            format: "lines".into(),
            url_field: None,
            url_column: None,
            on_error: "skip".into(),
            agents: select_agents(None, &[])
                .map(|set| set.names().to_vec())
                .unwrap_or_default(),
            agent_rule: "any".into(),
            missing_policy: "error".into(),
            purpose: "train".into(),
            unknown: "keep".into(),
            legacy_conservative: false,
            files: vec!["tdmrep.json".into(), "ai.txt".into()],
            as_of: as_of_now(),
            tokens_field: None,
            redact: vec!["userinfo".into()],
            aipref_vocab: crate::signals::aipref::Vocab::default().as_str().into(),
            model: generative(),
            signals: all_signals(),
        }
    }
}

/// Which policies judge a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsOf {
    /// Today's.
    Now,
    /// Those in force at a time.
    Date(Millis),
    /// Each record's at its crawl time.
    Crawl,
}

impl AsOf {
    /// Reads `now`, `crawl` or a date (`YYYY-MM-DD`, the end of that day
    /// UTC, or RFC 3339).
    ///
    /// # Errors
    ///
    /// Anything else.
    pub fn parse(value: &str) -> Result<AsOf> {
        Ok(match value {
            "now" => AsOf::Now,
            "crawl" => AsOf::Crawl,
            date => AsOf::Date(crate::time::parse(date)?),
        })
    }

    /// The name a manifest records.
    #[must_use]
    pub fn name(self) -> String {
        match self {
            AsOf::Now => "now".into(),
            AsOf::Crawl => "crawl".into(),
            AsOf::Date(at) => crate::time::format(at),
        }
    }
}

/// A [`FilterConfig`]'s values, checked and typed.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The row format.
    pub format: RowFormat,
    /// What a row not of its format does.
    pub on_error: OnError,
    /// The agents.
    pub agents: AgentSet,
    /// How the agents' verdicts combine.
    pub agent_rule: AgentRule,
    /// What an origin without a policy does.
    pub missing: MissingPolicy,
    /// The usage statements' purpose and unknown rule.
    pub usage: UsageOptions,
    /// The per-origin files read, robots.txt first.
    pub files: Vec<SiteFile>,
    /// Which policies judge.
    pub as_of: AsOf,
    /// The token count field.
    pub tokens: Option<crate::corpus::json::FieldPath>,
    /// What evidence URLs leave out.
    pub redaction: crate::redact::Redaction,
}

impl FilterConfig {
    /// The default configuration for `purpose` (`None`: `train`) and
    /// `agents` by name, as `--purpose` and `--agents` select them: with
    /// agents and no purpose, those agents only; otherwise every registry
    /// agent of the purpose, and the agents named.
    ///
    /// # Errors
    ///
    /// An unknown purpose or an empty agent name.
    pub fn for_purpose(purpose: Option<&str>, agents: &[String]) -> Result<FilterConfig> {
        let usage = match purpose {
            Some(name) => name.parse::<crate::agents::Purpose>()?.usage(),
            None => Purpose::Train,
        };
        Ok(FilterConfig {
            agents: select_agents(purpose, agents)?.names().to_vec(),
            purpose: usage.as_str().to_owned(),
            ..FilterConfig::default()
        })
    }

    /// Checks every value and types it. An error names the field and its
    /// value.
    ///
    /// # Errors
    ///
    /// A value optout never writes.
    pub fn resolve(&self) -> Result<Resolved> {
        let bad = |field: &str, value: &str| {
            Error::config(format!(
                "the configuration's {field} `{value}` is not one optout writes"
            ))
        };
        let mut files = vec![SiteFile::Robots];
        for name in &self.files {
            let file = SiteFile::from_name(name)
                .filter(|f| *f != SiteFile::Robots)
                .ok_or_else(|| bad("files", name))?;
            if !files.contains(&file) {
                files.push(file);
            }
        }
        if !matches!(self.format.as_str(), "lines" | "jsonl" | "cdxj") {
            return Err(bad("format", &self.format));
        }
        let format = RowFormat::choose(
            &self.format,
            self.url_field.as_deref().unwrap_or("url"),
            std::path::Path::new(""),
            b"",
        )
        .map_err(|_| bad("url_field", self.url_field.as_deref().unwrap_or("")))?;
        let tokens = match self.tokens_field.as_deref() {
            Some(field) => Some(
                crate::corpus::json::FieldPath::parse(field)
                    .map_err(|e| Error::config(format!("the tokens_field `{field}`: {e}")))?,
            ),
            None => None,
        };
        Ok(Resolved {
            format,
            on_error: parse_on_error(&self.on_error)
                .map_err(|_| bad("on_error", &self.on_error))?,
            agents: AgentSet::from_names(&self.agents)
                .map_err(|e| Error::config(format!("the configuration's agents: {e}")))?,
            agent_rule: self
                .agent_rule
                .parse()
                .map_err(|_| bad("agent_rule", &self.agent_rule))?,
            missing: parse_missing(&self.missing_policy)
                .map_err(|_| bad("missing_policy", &self.missing_policy))?,
            usage: UsageOptions {
                purpose: Purpose::from_name(&self.purpose)
                    .ok_or_else(|| bad("purpose", &self.purpose))?,
                unknown: parse_unknown(&self.unknown).map_err(|_| bad("unknown", &self.unknown))?,
                legacy_conservative: self.legacy_conservative,
                vocab: crate::signals::aipref::Vocab::from_name(&self.aipref_vocab)
                    .ok_or_else(|| bad("aipref_vocab", &self.aipref_vocab))?,
                model: crate::signals::aipref::ModelKind::from_name(&self.model)
                    .ok_or_else(|| bad("model", &self.model))?,
                signals: crate::signals::usage::SignalSet::from_names(&self.signals)
                    .map_err(|_| bad("signals", &self.signals.join(",")))?,
                tdmrep_file: true,
            },
            files,
            as_of: AsOf::parse(&self.as_of).map_err(|_| bad("as_of", &self.as_of))?,
            tokens,
            redaction: crate::redact::Redaction::from_names(&self.redact)
                .map_err(|_| bad("redact", &self.redact.join(",")))?,
        })
    }

    /// The engine this configuration describes, over `policies` (the
    /// files the configuration does not read are dropped from them) and
    /// `blocklists`.
    ///
    /// # Errors
    ///
    /// A value optout never writes ([`FilterConfig::resolve`]).
    pub fn build(&self, policies: PolicySet, blocklists: Blocklists) -> Result<Engine> {
        self.build_compiled(policies, crate::policy::ByParse::default(), blocklists, 1)
    }

    /// [`FilterConfig::build`], compiling on `threads` threads, given the
    /// compiled rules of the parses loading compiled already
    /// ([`crate::source::Opened::compiled`], made for this configuration's
    /// agents; empty for none).
    ///
    /// # Errors
    ///
    /// As [`FilterConfig::build`], and when the threads cannot start.
    pub fn build_compiled(
        &self,
        mut policies: PolicySet,
        compiled: crate::policy::ByParse,
        blocklists: Blocklists,
        threads: usize,
    ) -> Result<Engine> {
        let resolved = self.resolve()?;
        policies.keep_files(&resolved.files);
        let snapshot =
            crate::engine::compile::policies(policies, &resolved.agents, threads, compiled)?;
        Ok(Engine::new(
            snapshot,
            blocklists,
            resolved.agents,
            resolved.agent_rule,
            resolved.missing,
        )
        .with_usage(resolved.usage)
        .with_redaction(resolved.redaction)
        .with_crawl_time(resolved.as_of == AsOf::Crawl)
        .with_tokens(resolved.tokens)
        .with_format(resolved.format, resolved.on_error))
    }
}

/// The agents of `purpose` (default train) and `names`: with only
/// `names`, those.
///
/// # Errors
///
/// An unknown purpose or an empty name.
pub fn select_agents(purpose: Option<&str>, names: &[String]) -> Result<AgentSet> {
    let registry = Registry::builtin();
    Ok(match (purpose, names.is_empty()) {
        (None, false) => AgentSet::from_names(names)?,
        (purpose, _) => {
            let purpose: crate::agents::Purpose = purpose.unwrap_or("train").parse()?;
            let set = AgentSet::for_purpose(registry, purpose)?;
            if names.is_empty() {
                set
            } else {
                set.union(&AgentSet::from_names(names)?)
            }
        }
    })
}

/// `allow`, `deny` or `error`.
///
/// # Errors
///
/// Anything else.
pub fn parse_missing(value: &str) -> Result<MissingPolicy> {
    match value {
        "allow" => Ok(MissingPolicy::Allow),
        "deny" => Ok(MissingPolicy::Deny),
        "error" => Ok(MissingPolicy::Error),
        other => Err(Error::config(format!(
            "`{other}`: expected allow, deny or error"
        ))),
    }
}

/// `skip` or `fail`.
///
/// # Errors
///
/// Anything else.
pub fn parse_on_error(value: &str) -> Result<OnError> {
    match value {
        "skip" => Ok(OnError::Skip),
        "fail" => Ok(OnError::Fail),
        other => Err(Error::config(format!("`{other}`: expected skip or fail"))),
    }
}

/// `keep` or `drop`.
///
/// # Errors
///
/// Anything else.
pub fn parse_unknown(value: &str) -> Result<UnknownPolicy> {
    match value {
        "keep" => Ok(UnknownPolicy::Keep),
        "drop" => Ok(UnknownPolicy::Drop),
        other => Err(Error::config(format!("`{other}`: expected keep or drop"))),
    }
}

/// The names a configuration records for `missing`.
#[must_use]
pub fn missing_name(missing: MissingPolicy) -> &'static str {
    match missing {
        MissingPolicy::Allow => "allow",
        MissingPolicy::Deny => "deny",
        MissingPolicy::Error => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_round_trips_and_builds() {
        let config = FilterConfig::default();
        let json = serde_json::to_string(&config).unwrap();
        let back: FilterConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, config);
        let resolved = config.resolve().unwrap();
        assert_eq!(resolved.files.len(), 3);
        assert!(resolved.agents.names().iter().any(|n| n == "GPTBot"));
        let engine = config
            .build(PolicySet::default(), Blocklists::new(Vec::new()))
            .unwrap();
        assert_eq!(engine.missing_policy(), MissingPolicy::Error);
    }

    #[test]
    fn unknown_fields_and_values_are_refused_naming_the_field() {
        let mut json = serde_json::to_value(FilterConfig::default()).unwrap();
        json["surprise"] = true.into();
        let err = serde_json::from_value::<FilterConfig>(json).unwrap_err();
        assert!(err.to_string().contains("surprise"), "{err}");
        for (field, value) in [
            ("purpose", "trian"),
            ("unknown", "Drop"),
            ("missing_policy", "maybe"),
            ("on_error", "ignore"),
            ("agent_rule", "most"),
            ("format", "auto"),
            ("as_of", "yesterday"),
            ("aipref_vocab", "aipref-vocab-09"),
            ("model", "llm"),
        ] {
            let mut json = serde_json::to_value(FilterConfig::default()).unwrap();
            json[field] = value.into();
            let config: FilterConfig = serde_json::from_value(json).unwrap();
            let err = config.resolve().unwrap_err().to_string();
            assert!(err.contains(field) && err.contains(value), "{err}");
        }
        let config = FilterConfig {
            files: vec!["robots.txt".into()],
            ..FilterConfig::default()
        };
        assert!(config.resolve().unwrap_err().to_string().contains("files"));
    }

    #[test]
    fn manifests_from_before_vocab_08_read_vocab_07() {
        let mut json = serde_json::to_value(FilterConfig::default()).unwrap();
        assert_eq!(
            json["aipref_vocab"], "aipref-vocab-08",
            "new runs read vocab-08"
        );
        let object = json.as_object_mut().unwrap();
        object.remove("aipref_vocab");
        object.remove("model");
        let old: FilterConfig = serde_json::from_value(json).unwrap();
        let usage = old.resolve().unwrap().usage;
        assert_eq!(usage.vocab, crate::signals::aipref::Vocab::V07);
        assert_eq!(usage.model, crate::signals::aipref::ModelKind::Generative);
    }

    #[test]
    fn a_purpose_selects_its_agents_and_statements() {
        let search = FilterConfig::for_purpose(Some("search"), &[]).unwrap();
        assert_eq!(search.purpose, "search");
        let named = FilterConfig::for_purpose(None, &["GPTBot".into()]).unwrap();
        assert_eq!(named.agents, vec!["GPTBot".to_owned()]);
        assert_eq!(named.purpose, "train");
        assert!(FilterConfig::for_purpose(Some("nap"), &[]).is_err());
    }
}
