//! Per-origin policies: what is known about each host's robots.txt, where it
//! came from, and its rules compiled for the agents of a run.
//!
//! A [`PolicySet`] maps keys to [`OriginPolicy`] records. A key is an
//! origin (`https://example.com`, `http://example.com:8080`: RFC 9309 §2.3
//! scopes a robots.txt to scheme, host and port) when the policy was
//! fetched, or a bare host when it came from a `--robots-dir` file, which
//! then covers every scheme and port of the host. Lookups try the origin
//! first, then the host.
//!
//! Sources: a directory of robots.txt files ([`PolicySet::load_dir`]), the
//! fetch cache ([`crate::cache`]) and portable snapshots
//! ([`crate::cache::snapshot`]). [`PolicySet::compile`] turns a set into a
//! [`Snapshot`], the immutable, shareable object the engine reads.
//!
//! Access outcomes are data, never `Option`: a policy carries parsed
//! rules, says that there is no robots.txt (a 4xx: no restrictions, RFC
//! 9309 §2.3.1.3), or says why none could be read (unreachable → complete
//! disallow, §2.3.1.4). A key with no record at all is "missing", which the
//! engine handles by `--missing-policy`.

mod compiled;
mod compiled_cache;
mod dir;
pub mod files;
mod key_index;
mod tally;

pub use compiled::{
    ByParse, Compiled, PolicyRef, Reading, Snapshot, by_parse, compile_one, compile_readings,
    first_of_each_key, reading_key,
};
pub use compiled_cache::{CacheCounts, CompiledCache};
pub use dir::{DirFile, SharedParses};
pub use tally::{PolicyTally, WindowTally};

pub use key_index::KeyIndex;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use crate::agents::AgentSet;

use crate::signals::robots::RobotsTxt;
use crate::time::Millis;

/// What is known about an origin's robots.txt.
#[derive(Clone, Debug)]
pub enum Access {
    /// A robots.txt was read; its rules apply. Shared: origins serving
    /// the same bytes share one parse (see [`ParsedBodies`]).
    Rules(Arc<RobotsTxt>),
    /// There is no robots.txt (a 4xx other than 429): no restrictions.
    Unavailable {
        /// The HTTP status.
        status: u16,
    },
    /// The robots.txt could not be obtained or read: complete disallow.
    Unreachable {
        /// What went wrong.
        detail: String,
    },
}

/// One origin's (or host's) policy and its provenance.
#[derive(Clone, Debug)]
pub struct OriginPolicy {
    /// The lookup key: an origin (`https://example.com`) or, for policies
    /// that cover every scheme and port of a host, the bare host.
    pub key: String,
    /// Lower-case punycode host.
    pub host: String,
    /// Where the policy came from: a file path, or the robots.txt URL
    /// that was fetched.
    pub source: String,
    /// SHA-256 of the robots.txt body, hex; empty when there is none.
    pub sha256: String,
    /// When the policy was fetched; `None` for files.
    pub fetched_at: Option<crate::time::Millis>,
    /// Anything a reader of the evidence must know: a fallback to an older
    /// copy, a truncated body, an HTML page served as robots.txt.
    pub note: String,
    /// The outcome.
    pub access: Access,
    /// The origin's other policy files ([`files::SiteFiles::none`], shared,
    /// when none was fetched).
    pub files: Arc<files::SiteFiles>,
}

impl OriginPolicy {
    /// A policy read from a file, covering every scheme and port of `host`.
    #[must_use]
    pub fn from_file(host: &str, source: &str, body: &[u8]) -> OriginPolicy {
        OriginPolicy {
            key: host.to_owned(),
            host: host.to_owned(),
            source: source.to_owned(),
            sha256: crate::digest::sha256_hex(body),
            fetched_at: None,
            note: String::new(),
            access: Access::Rules(Arc::new(RobotsTxt::parse(body))),
            files: files::SiteFiles::none(),
        }
    }
}

/// One parse per distinct body: origins that serve the same robots.txt
/// (a hosting platform's default, a CDN's) share it, so memory follows the
/// distinct bodies rather than the origins.
#[derive(Debug, Default)]
pub struct ParsedBodies {
    /// By SHA-256: the parse of the whole body, and of it as a prefix.
    parsed: HashMap<Box<str>, [Option<Arc<RobotsTxt>>; 2], foldhash::fast::RandomState>,
}

impl ParsedBodies {
    /// The parse of `body`, whose SHA-256 is `sha256`; `prefix` when it is
    /// the first part of a longer body ([`RobotsTxt::parse_prefix`]).
    pub fn parse(&mut self, sha256: &str, body: &[u8], prefix: bool) -> Arc<RobotsTxt> {
        if let Some(parsed) = self.get(sha256, prefix) {
            return parsed;
        }
        let parsed = Arc::new(if prefix {
            RobotsTxt::parse_prefix(body)
        } else {
            RobotsTxt::parse(body)
        });
        self.parsed.entry(sha256.into()).or_default()[usize::from(prefix)] =
            Some(Arc::clone(&parsed));
        parsed
    }

    /// Holds `parsed`, the parse of the body whose SHA-256 is `sha256`
    /// (as a prefix when `prefix`), made elsewhere (on other threads).
    pub fn hold(&mut self, sha256: &str, prefix: bool, parsed: Arc<RobotsTxt>) {
        // Most calls find the body held: its key is then not copied.
        let slots = match self.parsed.get_mut(sha256) {
            Some(slots) => slots,
            None => self.parsed.entry(sha256.into()).or_default(),
        };
        slots[usize::from(prefix)].get_or_insert(parsed);
    }

    /// The parse of the body whose SHA-256 is `sha256`, if it was parsed:
    /// callers need not even load a body seen before.
    #[must_use]
    pub fn get(&self, sha256: &str, prefix: bool) -> Option<Arc<RobotsTxt>> {
        self.parsed.get(sha256)?[usize::from(prefix)].clone()
    }

    /// Distinct parses held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.parsed.values().flatten().flatten().count()
    }

    /// Whether none are held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.parsed.is_empty()
    }
}

/// A problem found while loading policies. Loading goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadProblem {
    /// The file concerned.
    pub path: PathBuf,
    /// What is wrong, and what was done about it.
    pub message: String,
}

/// Policies by key (origin or host).
///
/// Besides the policy of each key, a set may hold earlier ones: for
/// decisions at each record's own crawl time (`--as-of crawl`), every
/// policy an origin had, with the time it came into force. Earlier
/// policies are numbered after the current ones ([`PolicySet::policy`]),
/// and [`PolicySet::policies`] lists the current ones only.
#[derive(Clone, Debug, Default)]
pub struct PolicySet {
    policies: Vec<OriginPolicy>,
    index: KeyIndex,
    history: Vec<OriginPolicy>,
    /// Per key: (in force from, policy number), oldest first.
    timeline: HashMap<Box<str>, Timeline, foldhash::fast::RandomState>,
}

/// One origin's policies over time: (in force from, policy number), oldest
/// first.
type Timeline = Box<[(Millis, u32)]>;

/// Which policy decides for a record crawled at some time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtTime {
    /// The policy in force at the crawl time.
    InForce(usize),
    /// The origin's history starts after the crawl time: its earliest
    /// policy stands in, and the record is flagged.
    Later(usize),
    /// The origin has no history at all.
    Unknown,
}

impl PolicySet {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The set of `policies`, in order; a key given twice keeps its last
    /// policy in the place of its first, as [`PolicySet::insert`] one by
    /// one would. Takes the vector as it is: a run of a million origins
    /// does not hold them twice while its set is made.
    #[must_use]
    pub fn from_policies(mut policies: Vec<OriginPolicy>) -> PolicySet {
        let mut index = KeyIndex::with_capacity(policies.len());
        let mut later = Vec::new();
        for (at, policy) in policies.iter().enumerate() {
            let at = u32::try_from(at).expect("fewer than 4 billion policies");
            let key_at = |at: u32| policies[at as usize].key.as_str();
            if let Some(first) = index.get(&policy.key, key_at) {
                later.push((first, at));
            } else {
                index.insert(&policy.key, at, key_at);
            }
        }
        if !later.is_empty() {
            // Rare (a snapshot holds each origin once): the last of each
            // key moves into the place of its first, the others go.
            let mut gone = vec![false; policies.len()];
            for &(first, at) in &later {
                policies.swap(first as usize, at as usize);
                gone[at as usize] = true;
            }
            let mut keep = gone.iter().map(|g| !g);
            policies.retain(|_| keep.next().unwrap_or(true));
            return policies.into_iter().fold(PolicySet::new(), |mut set, p| {
                set.insert(p);
                set
            });
        }
        PolicySet {
            policies,
            index,
            history: Vec::new(),
            timeline: HashMap::default(),
        }
    }

    /// Adds or replaces the policy of `policy.key`.
    pub fn insert(&mut self, policy: OriginPolicy) {
        let policies = &self.policies;
        if let Some(at) = self.index.get(&policy.key, |at| &policies[at as usize].key) {
            self.policies[at as usize] = policy;
        } else {
            let at = u32::try_from(self.policies.len()).expect("fewer than 4 billion policies");
            self.policies.push(policy);
            let policies = &self.policies;
            self.index.insert(&policies[at as usize].key, at, |at| {
                &policies[at as usize].key
            });
        }
    }

    /// Adds the robots.txt `body` read for every scheme and port of `host`.
    pub fn insert_body(&mut self, host: &str, source: &str, body: &[u8]) {
        self.insert(OriginPolicy::from_file(host, source, body));
    }

    /// The policy stored under `key` (an origin or a bare host).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&OriginPolicy> {
        self.index_of_key(key).map(|at| &self.policies[at as usize])
    }

    /// The policy that judges origin `key` (`scheme://host[:port]`): the
    /// origin's own, else its host's (a robots directory's file applies to
    /// every scheme and port of its host).
    #[must_use]
    pub fn lookup(&self, key: &str) -> Option<&OriginPolicy> {
        self.index_of(key).map(|at| &self.policies[at as usize])
    }

    /// The index [`PolicySet::lookup`] finds.
    fn index_of(&self, key: &str) -> Option<u32> {
        match self.index_of_key(key) {
            Some(at) => Some(at),
            None => {
                let (_, host, _) = crate::origin::split_key(key)?;
                self.index_of_key(host)
            }
        }
    }

    /// The position of the policy stored under `key`.
    fn index_of_key(&self, key: &str) -> Option<u32> {
        self.index
            .get(key, |at| self.policies[at as usize].key.as_str())
    }

    /// The policies, in insertion order.
    #[must_use]
    pub fn policies(&self) -> &[OriginPolicy] {
        &self.policies
    }

    /// Policy number `index`: a current one, or an earlier one (numbered
    /// from [`PolicySet::len`] on).
    #[must_use]
    pub fn policy(&self, index: usize) -> &OriginPolicy {
        match index.checked_sub(self.policies.len()) {
            None => &self.policies[index],
            Some(earlier) => &self.history[earlier],
        }
    }

    /// The number of policies, current and earlier.
    #[must_use]
    pub fn total(&self) -> usize {
        self.policies.len() + self.history.len()
    }

    /// Records the policies `key` had, each with the time it came into
    /// force, oldest first. The last is normally the current one again.
    pub fn insert_history(&mut self, key: &str, versions: Vec<(Millis, OriginPolicy)>) {
        let mut line = Vec::with_capacity(versions.len());
        for (from, policy) in versions {
            let at = u32::try_from(self.total()).expect("fewer than 4 billion policies");
            self.history.push(policy);
            line.push((from, at));
        }
        line.sort_by_key(|&(from, _)| from);
        self.timeline.insert(key.into(), line.into_boxed_slice());
    }

    /// Whether the set holds the history of its origins.
    #[must_use]
    pub fn has_history(&self) -> bool {
        !self.timeline.is_empty()
    }

    /// Earlier policies held.
    #[must_use]
    pub fn history_len(&self) -> usize {
        self.history.len()
    }

    /// Earlier policies held for `key`.
    #[must_use]
    pub fn history_of(&self, key: &str) -> usize {
        self.timeline.get(key).map_or(0, |line| line.len())
    }

    /// The policy that decides for `key` (an origin, or else its bare
    /// host) at `at`.
    #[must_use]
    pub fn at_time(&self, key: &str, at: Millis) -> AtTime {
        let line = match self.timeline.get(key) {
            Some(line) => line,
            None => {
                match crate::origin::split_key(key).and_then(|(_, h, _)| self.timeline.get(h)) {
                    Some(line) => line,
                    None => return AtTime::Unknown,
                }
            }
        };
        let after = line.partition_point(|&(from, _)| from <= at);
        match after.checked_sub(1) {
            Some(i) => AtTime::InForce(line[i].1 as usize),
            None => line
                .first()
                .map_or(AtTime::Unknown, |&(_, i)| AtTime::Later(i as usize)),
        }
    }

    /// The number of hosts.
    #[must_use]
    pub fn len(&self) -> usize {
        self.policies.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// Forgets what files other than `files` say: a run reads only the
    /// files it was asked to (`--files`, `--rsl`), whatever a cache or
    /// snapshot holds.
    pub fn keep_files(&mut self, files: &[files::SiteFile]) {
        use files::{FileState, SiteFile};
        let keep = |file: SiteFile| files.contains(&file);
        for policy in self.policies.iter_mut().chain(&mut self.history) {
            let current = &policy.files;
            let drop_tdmrep =
                !keep(SiteFile::TdmRep) && !matches!(current.tdmrep, FileState::NotFetched);
            let drop_ai_txt =
                !keep(SiteFile::AiTxt) && !matches!(current.ai_txt, FileState::NotFetched);
            let drop_rsl = !keep(SiteFile::Rsl) && !matches!(current.rsl, FileState::NotFetched);
            // Policies without files share one record: it is copied only
            // when something is to be forgotten.
            if drop_tdmrep || drop_ai_txt || drop_rsl {
                let mut files = (**current).clone();
                if drop_tdmrep {
                    files.tdmrep = FileState::NotFetched;
                }
                if drop_ai_txt {
                    files.ai_txt = FileState::NotFetched;
                }
                if drop_rsl {
                    files.rsl = FileState::NotFetched;
                }
                policy.files = files::SiteFiles::shared(files);
            }
        }
    }

    /// Compiles every policy for `agents`. A parse shared by several
    /// policies is compiled once, and so are parses whose rules compile
    /// alike ([`RobotsTxt::access_key`]). On this thread; the engine
    /// compiles on its pool ([`PolicySet::distinct_parses`],
    /// [`PolicySet::compile_with`]).
    #[must_use]
    pub fn compile(self, agents: &AgentSet) -> Snapshot {
        let by_parse = compile_readings(&self.distinct_parses(), agents);
        self.compile_with(agents, &by_parse)
    }

    /// Every distinct reading the policies hold (each parse, and its
    /// aipref-aware reading when it has one), once each: what
    /// [`PolicySet::compile_with`] needs compiled.
    #[must_use]
    pub fn distinct_parses(&self) -> Vec<Reading> {
        let mut seen: HashSet<*const RobotsTxt> = HashSet::new();
        let mut readings = Vec::new();
        for policy in self.policies.iter().chain(&self.history) {
            if let Access::Rules(robots) = &policy.access {
                if seen.insert(Arc::as_ptr(robots)) {
                    readings.push(Reading(Arc::clone(robots), false));
                    if robots.aware.is_some() {
                        readings.push(Reading(Arc::clone(robots), true));
                    }
                }
            }
        }
        readings
    }

    /// The snapshot of these policies, given each distinct parse's
    /// compiled rules by its address (see [`PolicySet::distinct_parses`]
    /// and [`compile_readings`]). A parse that compiles to more rules than
    /// [`crate::signals::robots::MAX_COMPILED_RULES`] is read as
    /// unreachable: complete disallow, with the reason.
    ///
    /// # Panics
    ///
    /// When a parse the policies hold is missing from `compiled`.
    #[must_use]
    pub fn compile_with(mut self, agents: &AgentSet, compiled: &ByParse) -> Snapshot {
        let limit = crate::signals::robots::MAX_COMPILED_RULES;
        let empty = Arc::new(RobotsTxt::parse(b"").compile(agents.keys()));
        let of = |robots: &RobotsTxt| -> Compiled {
            compiled
                .get(&reading_key(robots))
                .expect("every distinct parse is compiled")
                .clone()
        };
        let mut out = Vec::with_capacity(self.total());
        let mut aware = Vec::new();
        for (index, p) in self
            .policies
            .iter_mut()
            .chain(&mut self.history)
            .enumerate()
        {
            out.push(match &p.access {
                Access::Rules(robots) => match of(robots) {
                    Ok(rules) => {
                        if let Some(other) = &robots.aware {
                            // The aware reading has the same rules,
                            // grouped otherwise: within the same bound.
                            if let Ok(other) = of(other) {
                                aware.push((index, other));
                            }
                        }
                        Some(rules)
                    }
                    Err(size) => {
                        p.access = Access::Unreachable {
                            detail: format!(
                                "robots.txt too complex: {size} rules for the selected agents, over the limit of {limit}; read as complete disallow"
                            ),
                        };
                        None
                    }
                },
                Access::Unavailable { .. } => Some(Arc::clone(&empty)),
                Access::Unreachable { .. } => None,
            });
        }
        Snapshot {
            set: self,
            compiled: out,
            aware: aware.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn a_set_from_policies_is_the_set_inserting_them_makes() {
        let policy = |host: &str, body: &[u8]| OriginPolicy::from_file(host, "test", body);
        let lists: [Vec<OriginPolicy>; 2] = [
            vec![policy("a", b"Disallow: /a"), policy("b", b"Disallow: /b")],
            vec![
                policy("a", b"Disallow: /1"),
                policy("b", b"Disallow: /b"),
                policy("a", b"Disallow: /2"),
                policy("c", b"Disallow: /c"),
                policy("a", b"Disallow: /3"),
            ],
        ];
        for list in lists {
            let mut inserted = PolicySet::new();
            for p in list.clone() {
                inserted.insert(p);
            }
            let made = PolicySet::from_policies(list);
            let view = |set: &PolicySet| -> Vec<(String, String)> {
                set.policies()
                    .iter()
                    .map(|p| (p.key.clone(), p.sha256.clone()))
                    .collect()
            };
            assert_eq!(view(&made), view(&inserted));
            for key in ["a", "b", "c", "d"] {
                assert_eq!(
                    made.get(key).map(|p| &p.sha256),
                    inserted.get(key).map(|p| &p.sha256)
                );
            }
        }
    }

    #[test]
    fn load_dir_reports_junk_and_keeps_going() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        fs::write(
            p.join("example.com.txt"),
            "User-agent: *\nDisallow: /private\n",
        )
        .unwrap();
        fs::write(p.join("Example.ORG.txt"), "User-agent: *\nDisallow: /\n").unwrap();
        fs::write(p.join("bücher.de.txt"), "User-agent: *\nDisallow: /\n").unwrap();
        fs::write(p.join("README.md"), "notes").unwrap();
        fs::write(p.join("bad host!.txt"), "x").unwrap();
        fs::create_dir(p.join("sub.txt")).unwrap();
        fs::write(p.join(".hidden"), "x").unwrap();
        let (set, problems) = PolicySet::load_dir(p).unwrap();
        assert_eq!(set.len(), 3);
        assert!(set.get("example.com").is_some());
        assert!(set.get("example.org").is_some(), "names are normalised");
        assert!(
            set.get("xn--bcher-kva.de").is_some(),
            "IDN file names are compared in punycode"
        );
        let mut named: Vec<_> = problems
            .iter()
            .map(|pr| pr.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        named.sort();
        assert_eq!(named, ["README.md", "bad host!.txt", "sub.txt"]);
        assert!(PolicySet::load_dir(&p.join("missing")).is_err());
    }

    #[test]
    fn equal_bodies_share_one_parse_and_one_compile() {
        let body = b"User-agent: *\nDisallow: /a\n";
        let sha = crate::digest::sha256_hex(body);
        let mut parsed = ParsedBodies::default();
        let mut set = PolicySet::new();
        for key in ["https://a.test", "https://b.test"] {
            let mut policy = OriginPolicy::from_file("x", "x", b"");
            policy.key = key.into();
            policy.access = Access::Rules(parsed.parse(&sha, body, false));
            set.insert(policy);
        }
        assert_eq!(parsed.len(), 1);
        let agents = AgentSet::from_names(&["GPTBot"]).unwrap();
        let snapshot = set.compile(&agents);
        let (a, b) = (
            snapshot.get("https://a.test").unwrap(),
            snapshot.get("https://b.test").unwrap(),
        );
        assert!(std::ptr::eq(a.compiled.unwrap(), b.compiled.unwrap()));
        assert!(snapshot.get("https://c.test").is_none());
    }

    #[test]
    fn the_policy_in_force_at_a_time_and_before_any() {
        let mut set = PolicySet::new();
        let policy = |body: &str| {
            let mut p = OriginPolicy::from_file("h.test", "x", body.as_bytes());
            p.key = "https://h.test".into();
            p
        };
        set.insert(policy("User-agent: *\nDisallow: /now\n"));
        set.insert_history(
            "https://h.test",
            vec![
                (200, policy("Disallow: /b\n")),
                (100, policy("Disallow: /a\n")),
            ],
        );
        assert_eq!(set.len(), 1, "earlier policies are not current ones");
        assert_eq!(set.total(), 3);
        assert_eq!(set.history_len(), 2);
        let first = set.len() + 1; // sorted by time: the 100 version
        assert_eq!(set.at_time("https://h.test", 99), AtTime::Later(first));
        assert_eq!(set.at_time("https://h.test", 100), AtTime::InForce(first));
        assert_eq!(set.at_time("https://h.test", 199), AtTime::InForce(first));
        assert_eq!(
            set.at_time("https://h.test", 200),
            AtTime::InForce(set.len())
        );
        assert_eq!(
            set.at_time("https://h.test", i64::MAX),
            AtTime::InForce(set.len())
        );
        assert_eq!(set.at_time("https://other.test", 150), AtTime::Unknown);
        assert!(set.policy(first).sha256 != set.policy(set.len()).sha256);
    }

    #[cfg(unix)]
    #[test]
    fn unreadable_file_is_unreachable_not_allowed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("locked.com.txt");
        fs::write(&file, "User-agent: *\nAllow: /\n").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o000)).unwrap();
        if fs::read(&file).is_ok() {
            return; // running as root: permissions do not bite
        }
        let (set, problems) = PolicySet::load_dir(dir.path()).unwrap();
        assert!(matches!(
            set.get("locked.com").unwrap().access,
            Access::Unreachable { .. }
        ));
        assert_eq!(problems.len(), 1);
    }
}
