//! Usage records inside robots.txt: aipref `Content-Usage` rules,
//! Cloudflare `Content-Signal` lines and RSL `License` lines, and which of
//! them speak for an agent and a path.
//!
//! * A usage line belongs to the group it appears in; the groups an agent
//!   selects are chosen exactly as for Allow/Disallow (RFC 9309 §2.2.1).
//! * Of an agent's `Content-Usage` lines, the one whose path is the longest
//!   match for the URL gives the preference; a line without a path matches
//!   every path with length 0. Lines of equal length that both match are
//!   combined, most restrictive first (attach-05 §robots.txt, unlike the
//!   allow-wins tie of Allow/Disallow). `Content-Signal` lines are read the
//!   same way, separately: the path scope is not in Cloudflare's docs, so
//!   a scoped line is flagged non-standard (SIGNALS.md §5.3).
//! * Preferences exist only for crawlable URLs: the caller asks only after
//!   access allowed the URL.
//! * `License` lines before the first group are global. The RSL guide calls
//!   every `License` line global; RSL 1.0 lets a group carry its own, which
//!   then replaces the global ones for agents that select that group. We
//!   follow 1.0 for a line that sits among a group's rules (a rule of the
//!   same group follows it), and read a line after a group's last rule as
//!   global, the way a trailing `Sitemap` is read: otherwise a `License`
//!   appended at the end of a file would bind only the last group.

use std::ops::Range;

use super::normalize::{self, Side};
use super::parse::Key;
use super::{RobotsTxt, Selection, TextRange, matcher};
use crate::signals::aipref::{Pref, UsagePrefs, split_rule};
use crate::signals::content_signal::ContentSignals;
use crate::signals::usage::Purpose;

/// Which kind of usage line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UsageKind {
    /// IETF aipref `Content-Usage`.
    ContentUsage,
    /// Cloudflare `Content-Signal`.
    ContentSignal,
}

impl UsageKind {
    /// The key as documented.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            UsageKind::ContentUsage => "Content-Usage",
            UsageKind::ContentSignal => "Content-Signal",
        }
    }
}

/// The group of a `Content-Signal` line outside every group (before the
/// first `User-agent` line): it speaks to every agent.
pub const GLOBAL: usize = usize::MAX;

/// One `Content-Usage` or `Content-Signal` line of a group, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageRule {
    /// 1-based line number.
    pub line: u32,
    /// Index of the group in [`RobotsTxt::groups`]; [`GLOBAL`] for a
    /// `Content-Signal` line before every group.
    pub group: usize,
    /// Which line it is.
    pub kind: UsageKind,
    /// The value as written.
    pub value: TextRange,
    /// The normalised path scope in [`RobotsTxt::patterns`]; `None`
    /// applies to every path.
    pub pattern: Option<Range<u32>>,
    /// What it says about training (`train-ai`, `ai-train`).
    pub train: Pref,
    /// What it says about search.
    pub search: Pref,
    /// What it says about AI input (`ai-input`, Content-Signal only).
    pub ai_input: Pref,
    /// A key of an earlier aipref draft says `n` (`ai=n`, `tdm=n`, ...):
    /// training is disallowed under `--legacy-conservative` only.
    pub legacy_train: bool,
    /// Content-Signal `use=`: how much of the content may be used.
    pub use_level: Option<crate::signals::content_signal::UseLevel>,
    /// Keys that are not part of the vocabulary, as written, for evidence.
    pub other: Vec<String>,
    /// The value is not a valid RFC 9651 dictionary: every category is
    /// unknown (Content-Usage only).
    pub malformed: bool,
    /// Something non-standard was read: a path scope on `Content-Signal`,
    /// or a yes/no value written another way.
    pub nonstandard: bool,
}

impl UsageRule {
    pub(super) fn new(
        line: u32,
        group: usize,
        key: Key,
        value: &[u8],
        at: TextRange,
        patterns: &mut Vec<u8>,
    ) -> UsageRule {
        let (path, _) = split_rule(value);
        let pattern = path.map(|path| {
            let start = patterns.len();
            normalize::normalize_into(path, Side::Pattern, patterns);
            to_u32(start)..to_u32(patterns.len())
        });
        let mut rule = UsageRule {
            line,
            group,
            kind: UsageKind::ContentUsage,
            value: at,
            pattern,
            train: Pref::Unknown,
            search: Pref::Unknown,
            ai_input: Pref::Unknown,
            legacy_train: false,
            use_level: None,
            other: Vec::new(),
            malformed: false,
            nonstandard: false,
        };
        if key == Key::ContentSignal {
            let signals = ContentSignals::parse(value);
            rule.kind = UsageKind::ContentSignal;
            rule.train = signals.ai_train;
            rule.search = signals.search;
            rule.ai_input = signals.ai_input;
            rule.nonstandard = signals.nonstandard || signals.path_scope();
            rule.use_level = signals.use_level;
            rule.other = signals.other;
        } else {
            let (_, prefs) = split_rule(value);
            let prefs = UsagePrefs::parse(prefs);
            rule.train = prefs.train_ai;
            rule.search = prefs.search;
            // vocab-08's `ai-use`; a vocab-07 run never asks for it.
            rule.ai_input = prefs.ai_use;
            rule.legacy_train = prefs.legacy_training_disallowed();
            rule.malformed = prefs.malformed;
            rule.other = prefs
                .other
                .iter()
                .map(|(key, pref)| {
                    format!("{key}={}", if *pref == Pref::Allowed { "y" } else { "n" })
                })
                .collect();
        }
        rule
    }

    /// What the rule says about `purpose`; `conservative` reads legacy
    /// training keys as `train-ai=n` (never as an allow).
    #[must_use]
    pub fn pref(&self, purpose: Purpose, conservative: bool) -> Pref {
        match purpose {
            Purpose::Train if conservative && self.legacy_train => {
                self.train.combine(Pref::Disallowed)
            }
            Purpose::Train => self.train,
            Purpose::Search => self.search,
            Purpose::AiInput => self.ai_input,
        }
    }
}

/// A `License` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LicenseRecord {
    /// 1-based line number.
    pub line: u32,
    /// The URL as written.
    pub value: TextRange,
    /// The group whose rules it sits among; `None` for a global line.
    pub group: Option<usize>,
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).expect("robots.txt bodies are capped far below 4 GiB")
}

/// The usage line that decides a purpose for a path, and what it says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsageFinding {
    /// The combined preference of the longest matching lines.
    pub pref: Pref,
    /// The deciding line, an index into [`RobotsTxt::usage`] of the usage
    /// reading; for a tie, the most restrictive one.
    pub rule: usize,
}

impl RobotsTxt {
    /// The groups of the usage reading an agent selects.
    #[must_use]
    pub fn usage_groups(&self, agent_key: &str) -> Vec<usize> {
        match self.usage_reading().select(agent_key) {
            Selection::Named(groups) | Selection::Global(groups) => groups,
            Selection::None => Vec::new(),
        }
    }

    /// The usage lines of `groups` (of the usage reading), as indexes into
    /// its [`RobotsTxt::usage`].
    #[must_use]
    pub fn usage_rules_of(&self, groups: &[usize]) -> Vec<u32> {
        let reading = self.usage_reading();
        (0..reading.usage.len())
            .filter(|&i| {
                let group = reading.usage[i].group;
                group == GLOBAL || groups.contains(&group)
            })
            .map(to_u32)
            .collect()
    }

    /// What the `kind` lines among `rules` (from [`Self::usage_rules_of`])
    /// say about `purpose` for `path` (normalised as a URL): the longest
    /// matching line, ties combined; `None` when no line of that kind
    /// matches. Does not allocate.
    #[must_use]
    pub fn usage_for(
        &self,
        rules: &[u32],
        kind: UsageKind,
        path: &[u8],
        purpose: Purpose,
        conservative: bool,
    ) -> Option<UsageFinding> {
        let reading = self.usage_reading();
        let mut best: Option<(usize, UsageFinding)> = None;
        for &index in rules {
            let rule = &reading.usage[index as usize];
            if rule.kind != kind {
                continue;
            }
            let length = match &rule.pattern {
                None => 0,
                Some(range) => {
                    let pattern = &reading.patterns[range.start as usize..range.end as usize];
                    if !matcher::Pattern::new(pattern).matches(path) {
                        continue;
                    }
                    pattern.len()
                }
            };
            let pref = rule.pref(purpose, conservative);
            best = match best {
                Some((len, found)) if len > length => Some((len, found)),
                Some((len, found)) if len == length => {
                    let combined = found.pref.combine(pref);
                    let rule = if combined == found.pref {
                        found.rule
                    } else {
                        index as usize
                    };
                    Some((
                        len,
                        UsageFinding {
                            pref: combined,
                            rule,
                        },
                    ))
                }
                _ => Some((
                    length,
                    UsageFinding {
                        pref,
                        rule: index as usize,
                    },
                )),
            };
        }
        best.map(|(_, found)| found)
    }

    /// The `License` lines that apply to every agent: all of them. RSL
    /// 1.0's errata (Feb 2026) made `License` global, belonging to no
    /// group; a line placed inside a group (the earlier reading, where it
    /// bound that group's agents) is read as global too, and
    /// [`LicenseRecord::group`] still says where it stood.
    #[must_use]
    pub fn licenses(&self) -> Vec<&LicenseRecord> {
        self.licenses.iter().collect()
    }
}

impl RobotsTxt {
    /// The RSL document a fetch for the whole origin reads: the first
    /// `License` line placed outside groups, else the first one, as an
    /// absolute URL (on any host). A
    /// relative value (RSL asks for an absolute URL, but relative ones are
    /// seen) is resolved against `robots_url`; the flag says so.
    #[must_use]
    pub fn origin_license(&self, robots_url: &str) -> Option<(String, bool)> {
        let line = self
            .licenses
            .iter()
            .find(|l| l.group.is_none())
            .or_else(|| self.licenses.first())?;
        let value = self.str(&line.value);
        let value = value.trim();
        if let Ok(url) = url::Url::parse(value) {
            return matches!(url.scheme(), "http" | "https").then(|| (url.to_string(), false));
        }
        let base = url::Url::parse(robots_url).ok()?;
        let url = base.join(value).ok()?;
        Some((url.to_string(), true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::robots::agent_key;
    use Pref::{Allowed as Y, Disallowed as N, Unknown as U};

    /// The training preference for `agent` at `path`, and the line that
    /// gave it.
    fn train(body: &str, agent: &str, path: &str) -> (Pref, Option<u32>) {
        usage(
            body,
            agent,
            path,
            UsageKind::ContentUsage,
            Purpose::Train,
            false,
        )
    }

    fn usage(
        body: &str,
        agent: &str,
        path: &str,
        kind: UsageKind,
        purpose: Purpose,
        conservative: bool,
    ) -> (Pref, Option<u32>) {
        let robots = RobotsTxt::parse(body.as_bytes());
        let groups = robots.usage_groups(&agent_key(agent));
        let rules = robots.usage_rules_of(&groups);
        let mut scratch = Vec::new();
        let path = normalize::normalize(path.as_bytes(), Side::Url, &mut scratch);
        match robots.usage_for(&rules, kind, path, purpose, conservative) {
            Some(found) => (
                found.pref,
                Some(robots.usage_reading().usage[found.rule].line),
            ),
            None => (U, None),
        }
    }

    fn allowed(body: &str, agent: &str, path: &str) -> bool {
        let robots = RobotsTxt::parse(body.as_bytes());
        let mut scratch = Vec::new();
        let path = normalize::normalize(path.as_bytes(), Side::Url, &mut scratch);
        robots.compile(&[agent_key(agent)]).verdict(0, path).allowed
    }

    /// attach-05's worked example (SIGNALS.md §4.4).
    const DRAFT_EXAMPLE: &str = "User-Agent: *\nAllow: /\nDisallow: /never/\nContent-Usage: train-ai=n\nContent-Usage: /ai-ok/ train-ai=y\n\nUser-Agent: ExampleBot\nAllow: /\nContent-Usage: train-ai=y\n";

    #[test]
    fn draft_worked_example() {
        assert_eq!(train(DRAFT_EXAMPLE, "OtherBot", "/test"), (N, Some(4)));
        assert_eq!(
            train(DRAFT_EXAMPLE, "OtherBot", "/ai-ok/test"),
            (Y, Some(5))
        );
        assert!(!allowed(DRAFT_EXAMPLE, "OtherBot", "/never/test"));
        assert_eq!(train(DRAFT_EXAMPLE, "ExampleBot", "/test"), (Y, Some(9)));
        assert_eq!(train(DRAFT_EXAMPLE, "ExampleBot", "/never/x"), (Y, Some(9)));
    }

    /// SIGNALS.md §4.7, cases 1–7 and 10 (8 and 9 need access and other
    /// sources: `tests/it/signals.rs` and the engine's tests).
    #[test]
    fn aipref_edge_cases() {
        // 1. Order within a group is irrelevant; between two agent lines
        // it ends the group in the aipref-aware reading only.
        let before_allow = "User-agent: *\nContent-Usage: train-ai=n\nAllow: /\n";
        assert_eq!(train(before_allow, "x", "/p"), (N, Some(2)));
        let between = "User-agent: A\nContent-Usage: train-ai=n\nUser-agent: B\nDisallow: /\n";
        let robots = RobotsTxt::parse(between.as_bytes());
        assert!(robots.notes.aipref_divergent);
        assert_eq!(robots.groups.len(), 1, "RFC reading: one group");
        let aware = robots.aware.as_ref().expect("the aware reading is kept");
        assert_eq!(aware.groups.len(), 2, "aipref reading: two groups");
        assert_eq!(train(between, "A", "/p"), (N, Some(2)));
        assert_eq!(train(between, "B", "/p"), (U, None), "B's group has none");
        // 2. Longest path wins.
        let nested =
            "User-agent: *\nContent-Usage: /a/ train-ai=y\nContent-Usage: /a/b train-ai=n\n";
        assert_eq!(train(nested, "x", "/a/b/c"), (N, Some(3)));
        assert_eq!(train(nested, "x", "/a/x"), (Y, Some(2)));
        assert_eq!(train(nested, "x", "/other"), (U, None));
        // 3. Same path, conflicting: most restrictive, whatever the order.
        for body in [
            "User-agent: *\nContent-Usage: /a train-ai=y\nContent-Usage: /a train-ai=n\n",
            "User-agent: *\nContent-Usage: /a train-ai=n\nContent-Usage: /a train-ai=y\n",
        ] {
            assert_eq!(train(body, "x", "/a").0, N, "{body}");
        }
        let unscoped = "User-agent: *\nContent-Usage: train-ai=y\nContent-Usage: train-ai=n\n";
        assert_eq!(train(unscoped, "x", "/a"), (N, Some(3)));
        // 4. A malformed dictionary: everything unknown.
        assert_eq!(
            train("User-agent: *\nContent-Usage: TRAIN-AI=n\n", "x", "/").0,
            U
        );
        // 5. Not a Token `n`: unknown.
        for value in ["train-ai=\"n\"", "train-ai=?0", "train-ai"] {
            let body = format!("User-agent: *\nContent-Usage: {value}\n");
            assert_eq!(train(&body, "x", "/").0, U, "{value}");
        }
        // 6. Parameters are ignored.
        assert_eq!(
            train(
                "User-agent: *\nContent-Usage: train-ai=n;foo=bar\n",
                "x",
                "/"
            )
            .0,
            N
        );
        // 7. Comments are stripped.
        assert_eq!(
            train("User-agent: *\nContent-Usage: train-ai=n # c\n", "x", "/").0,
            N
        );
        // 10. A named group's line does not apply to other crawlers.
        let named =
            "User-agent: GPTBot\nContent-Usage: train-ai=n\nAllow: /\n\nUser-agent: *\nAllow: /\n";
        assert_eq!(train(named, "GPTBot", "/").0, N);
        assert_eq!(train(named, "CCBot", "/").0, U);
    }

    #[test]
    fn a_longer_scope_that_says_nothing_still_decides() {
        // The longest match gives the whole preference string, so a scoped
        // line silent on train-ai makes training unknown there.
        let body = "User-agent: *\nContent-Usage: train-ai=n\nContent-Usage: /blog/ search=y\n";
        assert_eq!(train(body, "x", "/blog/post"), (U, Some(3)));
        assert_eq!(
            usage(
                body,
                "x",
                "/blog/post",
                UsageKind::ContentUsage,
                Purpose::Search,
                false
            )
            .0,
            Y
        );
    }

    #[test]
    fn legacy_keys_count_only_when_asked_and_never_allow() {
        let body = "User-agent: *\nContent-Usage: ai=n, genai=y\n";
        let kind = UsageKind::ContentUsage;
        assert_eq!(usage(body, "x", "/", kind, Purpose::Train, false).0, U);
        assert_eq!(usage(body, "x", "/", kind, Purpose::Train, true).0, N);
        let allow = "User-agent: *\nContent-Usage: ai=y\n";
        assert_eq!(usage(allow, "x", "/", kind, Purpose::Train, true).0, U);
        let robots = RobotsTxt::parse(body.as_bytes());
        assert_eq!(robots.usage[0].other, ["ai=n", "genai=y"]);
    }

    /// SIGNALS.md §5.4.
    #[test]
    fn content_signal_edge_cases() {
        let kind = UsageKind::ContentSignal;
        let cs = |body: &str, agent: &str, purpose| usage(body, agent, "/p", kind, purpose, false);
        // 1. Managed prepend: the two `*` groups merge, the signal covers both.
        let managed = "User-Agent: *\nContent-signal: search=yes, ai-train=no\nAllow: /\n\nUser-agent: GPTBot\nDisallow: /\n# END Cloudflare Managed Content\nUser-agent: *\nDisallow: /lp\n";
        assert_eq!(cs(managed, "CCBot", Purpose::Train), (N, Some(2)));
        assert_eq!(cs(managed, "CCBot", Purpose::Search).0, Y);
        assert!(
            !allowed(managed, "CCBot", "/lp"),
            "the site's own group merged"
        );
        // 2. A bot with its own group does not get the `*` signal.
        assert_eq!(cs(managed, "GPTBot", Purpose::Train), (U, None));
        // 3. Duplicate keys on one line: most restrictive.
        let dup = "User-agent: *\nContent-Signal: ai-train=yes, ai-train=no\n";
        assert_eq!(cs(dup, "x", Purpose::Train).0, N);
        // 4. Between two agent lines it does not split the group.
        let between = "User-agent: A\nContent-Signal: ai-train=no\nUser-agent: B\nDisallow: /x\n";
        let robots = RobotsTxt::parse(between.as_bytes());
        assert!(!robots.notes.aipref_divergent);
        assert_eq!(robots.groups.len(), 1);
        assert_eq!(cs(between, "B", Purpose::Train).0, N);
        // 5. Spaces, trailing comma, upper case.
        let loose = "User-agent: *\nContent-Signal: search = YES, ai-input=No,\n";
        assert_eq!(cs(loose, "x", Purpose::Search).0, Y);
        assert_eq!(cs(loose, "x", Purpose::AiInput).0, N);
        // A path scope is read like aipref's, and flagged.
        let scoped =
            "User-agent: *\nContent-Signal: ai-train=yes\nContent-Signal: /blog/ ai-train=no\n";
        assert_eq!(
            usage(scoped, "x", "/blog/a", kind, Purpose::Train, false),
            (N, Some(3))
        );
        assert_eq!(
            usage(scoped, "x", "/a", kind, Purpose::Train, false),
            (Y, Some(2))
        );
        let robots = RobotsTxt::parse(scoped.as_bytes());
        assert!(robots.usage[1].nonstandard && !robots.usage[0].nonstandard);
    }

    #[test]
    fn access_is_the_more_restrictive_of_both_readings() {
        // RFC reading: A and B share `Disallow: /`. aipref reading: A's
        // group has no access rules. The engine takes the stricter reading
        // (SIGNALS.md §2 item 5); the RFC reading alone is what
        // `compile` matches.
        let between = "User-agent: A\nContent-Usage: train-ai=n\nUser-agent: B\nDisallow: /\n";
        assert!(!allowed(between, "A", "/p"));
        let robots = RobotsTxt::parse(between.as_bytes());
        let aware = robots.aware.as_ref().unwrap();
        let mut scratch = Vec::new();
        let path = normalize::normalize(b"/p", Side::Url, &mut scratch);
        assert!(aware.compile(&[agent_key("A")]).verdict(0, path).allowed);
    }

    #[test]
    fn usage_lines_before_any_group_are_ignored() {
        let robots = RobotsTxt::parse(b"Content-Usage: train-ai=n\nUser-agent: *\nAllow: /\n");
        assert!(robots.usage.is_empty());
        assert_eq!(robots.notes.rules_before_agent, 1);
    }

    /// SIGNALS.md §8.3 case 2 and §14.3: `License` is global (RSL 1.0
    /// errata), several lines may appear, and one placed in a group is
    /// read as global too.
    #[test]
    fn license_scope() {
        let body = "License: https://e.com/global.xml\nUser-agent: GPTBot\nLicense: https://cdn.other.example/gpt.xml\nDisallow: /x\n\nUser-agent: *\nAllow: /\nLicense: https://e.com/trailing.xml\n";
        let robots = RobotsTxt::parse(body.as_bytes());
        let lines: Vec<(u32, bool)> = robots
            .licenses()
            .iter()
            .map(|l| (l.line, l.group.is_some()))
            .collect();
        assert_eq!(
            lines,
            [(1, false), (3, true), (8, false)],
            "every line, for every agent; a trailing line stands outside groups"
        );
        assert_eq!(
            robots.origin_license("https://e.com/robots.txt"),
            Some(("https://e.com/global.xml".to_owned(), false))
        );
        // §8.3 case 1: a relative URL is resolved, and flagged.
        let relative = RobotsTxt::parse(b"License: /license.xml\nUser-agent: *\nAllow: /\n");
        assert_eq!(
            relative.origin_license("https://e.com/robots.txt"),
            Some(("https://e.com/license.xml".to_owned(), true))
        );
    }
}
