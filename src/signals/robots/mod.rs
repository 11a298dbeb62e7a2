//! robots.txt (RFC 9309): parsed once into [`RobotsTxt`], compiled for a set
//! of agents into a [`CompiledRobots`] that answers any number of paths
//! without re-parsing and without allocating.
//!
//! * [`parse`] turns bytes into numbered `key: value` lines, and `build`
//!   assembles them into a [`RobotsTxt`];
//! * [`normalize`] brings patterns and paths to one percent-encoding form;
//! * [`matcher`] matches one pattern against one path.
//!
//! This module does no I/O: how a robots.txt was obtained (a file, an HTTP
//! status, a failure) is the caller's business, recorded by the policy layer.
//!
//! # Semantics
//!
//! * A group is one or more `User-agent` lines and the rules after them; a
//!   `User-agent` line that follows a rule starts a new group. Blank lines,
//!   `Sitemap` and unknown records never end a group (RFC 9309 §2.1, §2.2.4).
//!   Rules before the first `User-agent` line are ignored.
//! * For an agent, every group naming it is merged; if none does, every `*`
//!   group is merged; if there is none, nothing applies (§2.2.1). A group
//!   naming the agent shadows `*` even when it has no rules.
//! * Of the rules that match a path, the longest normalised pattern wins and
//!   `Allow` wins a tie; an empty pattern never decides; no match means
//!   allowed; `/robots.txt` is always allowed (§2.2.2).
//! * At most [`PARSE_LIMIT`] bytes are parsed; a trailing partial line of a
//!   longer body is dropped, since half of an `Allow` line would widen access
//!   (§2.5). A UTF-8 byte-order mark is skipped, a UTF-16 body (with its BOM)
//!   is decoded, and a body that looks like HTML is flagged (Google tries to
//!   read rules out of it, and so do we).
//!
//! # Agent names
//!
//! RFC 9309 product tokens are letters, `-` and `_` only, yet real files and
//! the community agent list use names such as `AI2Bot`, `img2dataset` and
//! `Brightbot 1.0`. An agent matches a `User-agent` value when, compared
//! case-insensitively, either
//!
//! 1. the whole value, with any `/version` suffix cut off, equals the agent's
//!    name (also cut at `/`), or
//! 2. the value's leading run of `[A-Za-z_-]`, unless a digit follows it,
//!    equals the agent's name (the RFC/Google rule: `Googlebot/2.1`,
//!    `GPTBot CCBot` and `GPTBot, CCBot` name `Googlebot` and `GPTBot`).
//!
//! CONFLICT: Google's library applies rule 2 only and without the digit
//! clause, so it can never match an agent whose name has a digit, space or
//! dot, and it reads `AI2Bot` as `AI`. We never cut a name inside a word at
//! a digit: `User-agent: AI2Bot` names `AI2Bot`, not `AI`. For product
//! tokens and values that are not cut at a digit the two rules agree.

mod build;
pub mod compiled;
pub mod matcher;
pub mod normalize;
pub mod parse;
mod slim;
pub mod usage;

use std::ops::Range;

pub use compiled::{CompiledRobots, ContentVerdict, Probe, Verdict};

use build::{cut_at_limit, decode_utf16};

pub use usage::{LicenseRecord, UsageKind, UsageRule};

/// Bytes of a body that are parsed: RFC 9309 §2.5 asks for at least 500 KiB.
pub const PARSE_LIMIT: usize = 512_000;

/// The most rules one origin's robots.txt may compile to for the selected
/// agents (see [`RobotsTxt::compile_bounded`]): more bounds neither memory
/// nor the work per URL, so such a policy is read as unreachable (complete
/// disallow), never as allowing. Real files stay far below: the largest of
/// this project's sample (linkedin.com, 4,209 rules) compiles to a few
/// thousand for the 74 training agents.
pub const MAX_COMPILED_RULES: usize = 100_000;

/// The name of an agent as robots.txt matching sees it: lower-case, cut at
/// the first `/`, trimmed. `MistralAI-User/1.0` becomes `mistralai-user`.
#[must_use]
pub fn agent_key(name: &str) -> String {
    let name = name.split('/').next().unwrap_or_default();
    name.trim().to_ascii_lowercase()
}

/// A 32-bit range as indexes.
#[must_use]
pub fn span(range: &Range<u32>) -> Range<usize> {
    range.start as usize..range.end as usize
}

/// Where a piece of text lies in [`RobotsTxt::text`].
pub type TextRange = Range<u32>;

/// What an agent line of a group says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentLine {
    /// 1-based line number.
    pub line: u32,
    /// The value as written.
    pub value: TextRange,
    /// Whether the value is the global `*`.
    pub global: bool,
    /// The value cut at `/`, trimmed (rule 1).
    full: TextRange,
    /// The leading `[A-Za-z_-]` run, empty when a digit follows it (rule 2).
    token: TextRange,
}

impl AgentLine {
    fn new(line: u32, value: &[u8], at: TextRange) -> Self {
        let global =
            value.first() == Some(&b'*') && value.get(1).is_none_or(|b| b.is_ascii_whitespace());
        let run = value
            .iter()
            .position(|&b| !(b.is_ascii_alphabetic() || b == b'-' || b == b'_'))
            .unwrap_or(value.len());
        // A run cut by a digit is part of a longer name (`AI2Bot`), not one.
        let token_len = if value.get(run).is_some_and(u8::is_ascii_digit) {
            0
        } else {
            run
        };
        let before_slash = memchr::memchr(b'/', value).unwrap_or(value.len());
        let full = parse::trim_range(value, 0..before_slash);
        AgentLine {
            line,
            value: at.clone(),
            global,
            full: at.start + full.start as u32..at.start + full.end as u32,
            token: at.start..at.start + token_len as u32,
        }
    }
}

/// A group: its agent lines and its rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// Indexes into [`RobotsTxt::agents`] (32 bits: a run holds one group
    /// record per group of every distinct body).
    pub agents: Range<u32>,
    /// Indexes into [`RobotsTxt::rules`].
    pub rules: Range<u32>,
    /// The line of the group's first `User-agent`.
    pub line: u32,
}

impl Group {
    /// The line of the group's first `User-agent`.
    #[must_use]
    pub fn line(&self) -> u32 {
        self.line
    }
}

/// An `Allow` or `Disallow` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// `true` for `Allow`.
    pub allow: bool,
    /// 1-based line number.
    pub line: u32,
    /// Index of the group in [`RobotsTxt::groups`] (32 bits: a parse holds
    /// millions of rules across a run's policies).
    pub group: u32,
    /// The pattern as written.
    pub raw: TextRange,
}

/// Where a rule's normalised pattern is: in [`RobotsTxt::patterns`], or,
/// when it is the pattern as written (most are), the same bytes of
/// [`RobotsTxt::text`]. Its length is the rule's priority. Kept beside the
/// rules rather than in them: compiling reads it, evidence does not, and a
/// run holds its parses without it ([`RobotsTxt::slimmed`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternAt {
    /// The bytes' range.
    pub range: Range<u32>,
    /// Whether `range` is in the text rather than the patterns.
    pub in_text: bool,
}

/// A record that is neither a group line nor a rule (`Sitemap`,
/// `Crawl-delay`, `Content-Usage`, ...), kept for later signal readers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherRecord {
    /// 1-based line number.
    pub line: u32,
    /// The key as written.
    pub key: TextRange,
    /// The value as written.
    pub value: TextRange,
    /// The group it appeared in, if any.
    pub group: Option<usize>,
}

/// Facts about a body that evidence may need to state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParseNotes {
    /// Length of the body as given.
    pub bytes: usize,
    /// The body was longer than [`PARSE_LIMIT`], or was only the first part
    /// of a longer one ([`RobotsTxt::parse_prefix`]); the rest was ignored.
    pub truncated: bool,
    /// The body started with a UTF-8 byte-order mark.
    pub bom: bool,
    /// The body was UTF-16 and was decoded.
    pub utf16: bool,
    /// The body looks like an HTML page rather than robots.txt.
    pub html: bool,
    /// Lines in the parsed part of the body.
    pub lines: u32,
    /// Lines with text that is not a `key: value` pair.
    pub unreadable_lines: u32,
    /// Rules before the first `User-agent` line (ignored).
    pub rules_before_agent: u32,
    /// A `Content-Usage` line sits between `User-agent` lines with no
    /// `Allow`/`Disallow` since the first of them, so an aipref-aware
    /// reader groups the file differently from an RFC 9309 one
    /// (SIGNALS.md §2 item 5): [`RobotsTxt::aware`] holds the other reading.
    pub aipref_divergent: bool,
}

/// A parsed robots.txt. Records point into [`RobotsTxt::text`], the parsed
/// part of the body, kept once: a file costs a few allocations, not a few
/// per line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RobotsTxt {
    /// The parsed text: the body after BOM, UTF-16 decoding and the parse
    /// limit.
    pub text: Box<[u8]>,
    /// Normalised patterns that differ from the text as written, back to
    /// back (the others are read from the text: no second copy).
    pub patterns: Box<[u8]>,
    /// Agent lines of all groups, in file order.
    pub agents: Vec<AgentLine>,
    /// Groups in file order.
    pub groups: Vec<Group>,
    /// Rules in file order.
    pub rules: Vec<Rule>,
    /// Per rule, where its normalised pattern is (empty in a slim parse).
    pub pattern_at: Vec<PatternAt>,
    /// Other records in file order, `Sitemap` included.
    pub others: Vec<OtherRecord>,
    /// `Content-Usage` and `Content-Signal` lines inside groups, in file
    /// order.
    pub usage: Vec<UsageRule>,
    /// `License` lines, in file order.
    pub licenses: Vec<LicenseRecord>,
    /// The aipref-aware reading, where `Content-Usage` lines are rules and
    /// so end groups; present only when it groups differently
    /// ([`ParseNotes::aipref_divergent`]).
    pub aware: Option<Box<RobotsTxt>>,
    /// What the parse noticed.
    pub notes: ParseNotes,
    /// Cut down to what a run reads once compiled
    /// ([`RobotsTxt::slimmed`]): it can no longer be compiled.
    pub slim: bool,
}

/// Which groups apply to an agent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Selection {
    /// Groups that name the agent (merged).
    Named(Vec<usize>),
    /// No group names the agent; the `*` groups apply (merged).
    Global(Vec<usize>),
    /// No group applies: everything is allowed.
    None,
}

impl RobotsTxt {
    /// Parses a robots.txt body. Never fails: what cannot be read is counted
    /// in [`ParseNotes`] and otherwise ignored, as RFC 9309 §2.3.1.5 asks.
    #[must_use]
    pub fn parse(body: &[u8]) -> RobotsTxt {
        Self::parse_inner(body, false)
    }

    /// Parses the first bytes of a longer robots.txt body (a fetch that
    /// stopped at the size limit): like [`RobotsTxt::parse`], but a trailing
    /// partial line is dropped, since a half-read `Allow: /public/only-this`
    /// read as `Allow: /pub` would widen access. The notes say `truncated`.
    #[must_use]
    pub fn parse_prefix(body: &[u8]) -> RobotsTxt {
        Self::parse_inner(body, true)
    }

    fn parse_inner(body: &[u8], prefix: bool) -> RobotsTxt {
        let mut notes = ParseNotes {
            bytes: body.len(),
            ..ParseNotes::default()
        };
        let decoded;
        let mut body = body;
        if let Some(text) = decode_utf16(body) {
            notes.utf16 = true;
            decoded = text.into_bytes();
            body = &decoded;
        } else if let Some(rest) = body.strip_prefix(b"\xEF\xBB\xBF") {
            notes.bom = true;
            body = rest;
        }
        if body.len() > PARSE_LIMIT {
            notes.truncated = true;
            body = cut_at_limit(body);
        } else if prefix {
            notes.truncated = true;
            if !matches!(body.last(), None | Some(b'\n' | b'\r')) {
                body = memchr::memrchr2(b'\n', b'\r', body).map_or(&[], |end| &body[..=end]);
            }
        }
        notes.html = looks_like_html(body);

        let mut robots = Self::build(body, notes, false);
        if robots.notes.aipref_divergent {
            let mut aware = Self::build(body, notes, true);
            aware.notes.aipref_divergent = true;
            robots.aware = Some(Box::new(aware));
        }
        robots
    }

    /// One reading of `body`: RFC 9309's, or aipref's when `aware`.
    /// The reading usage rules are taken from: the aipref-aware one, which
    /// the attach draft defines them in. The same as `self` unless the two
    /// readings group the file differently.
    #[must_use]
    pub fn usage_reading(&self) -> &RobotsTxt {
        self.aware.as_deref().unwrap_or(self)
    }

    /// A piece of the parsed text, as UTF-8 (invalid bytes replaced, for
    /// display only: matching works on the bytes).
    #[must_use]
    pub fn str(&self, range: &TextRange) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.text[range.start as usize..range.end as usize])
    }

    /// The group `rule` belongs to.
    #[must_use]
    pub fn group_of(&self, rule: &Rule) -> &Group {
        &self.groups[rule.group as usize]
    }

    /// The normalised pattern of rule number `rule`.
    #[must_use]
    pub fn pattern(&self, rule: usize) -> &[u8] {
        let at = &self.pattern_at[rule];
        let bytes = if at.in_text {
            &self.text
        } else {
            &self.patterns
        };
        &bytes[at.range.start as usize..at.range.end as usize]
    }

    /// A rule as a robots.txt line, e.g. `Disallow: /private`.
    #[must_use]
    pub fn rule_text(&self, rule: &Rule) -> String {
        let key = if rule.allow { "Allow" } else { "Disallow" };
        format!("{key}: {}", self.str(&rule.raw))
    }

    /// The agent lines of group `group`.
    #[must_use]
    pub fn agents_of(&self, group: usize) -> &[AgentLine] {
        &self.agents[span(&self.groups[group].agents)]
    }

    /// Whether `line` names the agent whose [`agent_key`] is `key`.
    #[must_use]
    pub fn names(&self, line: &AgentLine, key: &str) -> bool {
        let bytes = |r: &TextRange| &self.text[r.start as usize..r.end as usize];
        !line.global
            && !key.is_empty()
            && (bytes(&line.full).eq_ignore_ascii_case(key.as_bytes())
                || bytes(&line.token).eq_ignore_ascii_case(key.as_bytes()))
    }

    /// A digest of everything compiling access rules reads: each group's
    /// agent lines (as [`RobotsTxt::names`] compares them) and its rules
    /// (their indexes, kinds and normalised patterns). Two parses with
    /// equal keys compile to the same matchers for any agents, and their
    /// verdicts name rules by the same indexes, so one compiled form can
    /// serve both: bodies that differ only in comments, `Sitemap` lines,
    /// line breaks or usage lines share it. Line numbers and rule text,
    /// which evidence reads, stay each parse's own.
    #[must_use]
    pub fn access_key(&self) -> [u8; 32] {
        assert!(!self.slim, "a slim parse has no access key");
        use sha2::Digest;
        let mut digest = sha2::Sha256::new();
        let mut field = |bytes: &[u8]| {
            digest.update((bytes.len() as u64).to_le_bytes());
            digest.update(bytes);
        };
        let lower =
            |r: &TextRange| self.text[r.start as usize..r.end as usize].to_ascii_lowercase();
        for group in &self.groups {
            field(b"group");
            for agent in &self.agents[span(&group.agents)] {
                field(if agent.global { b"*" } else { b"agent" });
                field(&lower(&agent.full));
                field(&lower(&agent.token));
            }
            field(&u64::from(group.rules.start).to_le_bytes());
            field(&u64::from(group.rules.end).to_le_bytes());
        }
        for (index, rule) in self.rules.iter().enumerate() {
            field(if rule.allow { b"allow" } else { b"disallow" });
            field(&(rule.group as u64).to_le_bytes());
            field(self.pattern(index));
        }
        digest.finalize().into()
    }

    /// The groups that apply to the agent with [`agent_key`] `key`.
    #[must_use]
    pub fn select(&self, key: &str) -> Selection {
        let named: Vec<usize> = (0..self.groups.len())
            .filter(|&g| self.agents_of(g).iter().any(|a| self.names(a, key)))
            .collect();
        if !named.is_empty() {
            return Selection::Named(named);
        }
        let global: Vec<usize> = (0..self.groups.len())
            .filter(|&g| self.agents_of(g).iter().any(|a| a.global))
            .collect();
        if global.is_empty() {
            Selection::None
        } else {
            Selection::Global(global)
        }
    }

    /// Compiles the rules that apply to each of `agent_keys` (see
    /// [`agent_key`]).
    #[must_use]
    pub fn compile(&self, agent_keys: &[String]) -> CompiledRobots {
        assert!(!self.slim, "a slim parse cannot be compiled");
        CompiledRobots::new(self, agent_keys)
    }

    /// Compiles for `agent_keys` unless that holds more than `limit` rules
    /// (the rules of each distinct selection of groups, summed: an upper
    /// bound, as equal rules are merged when compiled); then the count.
    /// Every path of the origin is tested against at most that many
    /// patterns, so the limit bounds both memory and the work per URL.
    ///
    /// # Errors
    ///
    /// The count, when over `limit`.
    pub fn compile_bounded(
        &self,
        agent_keys: &[String],
        limit: usize,
    ) -> Result<CompiledRobots, usize> {
        assert!(!self.slim, "a slim parse cannot be compiled");
        CompiledRobots::bounded(self, agent_keys, limit)
    }
}

/// Whether a body looks like an HTML page (it starts with an HTML tag
/// within its first KiB): a site serving its home page as robots.txt.
#[must_use]
pub fn looks_like_html(body: &[u8]) -> bool {
    let head = &body[..body.len().min(1024)];
    let start = head.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else { return false };
    if head[start] != b'<' {
        return false;
    }
    let lower = head[start..].to_ascii_lowercase();
    [&b"<!doctype html"[..], b"<html", b"<head", b"<body"]
        .iter()
        .any(|tag| memchr::memmem::find(&lower, tag).is_some())
}

#[cfg(test)]
mod tests {
    use super::normalize::Side;
    use super::*;

    #[test]
    fn access_keys_follow_what_compiling_reads() {
        let key = |body: &str| RobotsTxt::parse(body.as_bytes()).access_key();
        let base = key("User-agent: GPTBot\nDisallow: /private/\n\nUser-agent: *\nAllow: /\n");
        // Comments, Sitemap and usage lines, blank lines, case of the agent.
        assert_eq!(
            base,
            key(
                "# site a.example\nuser-agent: gptbot\nDisallow: /private/ # no\n\n\nUser-agent: *\nContent-Usage: train-ai=n\nAllow: /\nSitemap: https://a.example/s.xml\n"
            )
        );
        // Another rule, another kind, another group, another order.
        for other in [
            "User-agent: GPTBot\nDisallow: /private/x\n\nUser-agent: *\nAllow: /\n",
            "User-agent: GPTBot\nAllow: /private/\n\nUser-agent: *\nAllow: /\n",
            "User-agent: CCBot\nDisallow: /private/\n\nUser-agent: *\nAllow: /\n",
            "User-agent: *\nAllow: /\n\nUser-agent: GPTBot\nDisallow: /private/\n",
            "User-agent: GPTBot\nUser-agent: *\nDisallow: /private/\nAllow: /\n",
        ] {
            assert_ne!(base, key(other), "{other}");
        }
    }

    fn check(body: &str, agent: &str, path: &str) -> bool {
        let robots = RobotsTxt::parse(body.as_bytes());
        let compiled = robots.compile(&[agent_key(agent)]);
        let mut scratch = Vec::new();
        let path = normalize::normalize(path.as_bytes(), Side::Url, &mut scratch);
        compiled.verdict(0, path).allowed
    }

    #[test]
    fn groups_merge_and_shadow() {
        let body = "User-agent: *\nDisallow: /x/\nUser-agent: FooBot\nDisallow: /y/\n";
        assert!(check(body, "FooBot", "/x/page"));
        assert!(!check(body, "FooBot", "/y/page"));
        assert!(!check(body, "BarBot", "/x/page"));
        let two_stars = "User-agent: *\nDisallow: /a\n\nUser-agent: *\nAllow: /a/b\n";
        assert!(!check(two_stars, "x", "/a/c"));
        assert!(check(two_stars, "x", "/a/b"));
    }

    #[test]
    fn empty_named_group_at_eof_allows() {
        let body = "User-agent: *\nDisallow: /\nUser-agent: GPTBot\n";
        assert!(check(body, "GPTBot", "/anything"));
        assert!(!check(body, "CCBot", "/anything"));
    }

    #[test]
    fn other_records_do_not_end_groups() {
        for between in [
            "Sitemap: https://x/s.xml",
            "Crawl-delay: 5",
            "Content-Signal: ai-train=no",
            "",
            "junk line here",
        ] {
            let body = format!("User-agent: a\n{between}\nUser-agent: b\nDisallow: /\n");
            assert!(!check(&body, "a", "/p"), "{between:?}");
            assert!(!check(&body, "b", "/p"), "{between:?}");
        }
    }

    #[test]
    fn rules_before_first_agent_are_ignored() {
        let robots = RobotsTxt::parse(b"Disallow: /\nUser-agent: a\nAllow: /x\n");
        assert_eq!(robots.notes.rules_before_agent, 1);
        assert!(check("Disallow: /\nUser-agent: a\nAllow: /x\n", "a", "/p"));
    }

    #[test]
    fn longest_match_and_allow_wins_ties() {
        let body = "User-agent: *\nAllow: /x/page.html\nDisallow: /x/\nAllow: /t\nDisallow: /t\n";
        assert!(check(body, "a", "/x/page.html"));
        assert!(!check(body, "a", "/x/"));
        assert!(check(body, "a", "/t"));
        let body = "User-agent: *\nAllow: /page\nDisallow: /*.html\n";
        assert!(!check(body, "a", "/page.html"));
    }

    #[test]
    fn robots_txt_always_allowed_and_empty_disallow_never_blocks() {
        assert!(check("User-agent: *\nDisallow: /\n", "a", "/robots.txt"));
        assert!(check("User-agent: *\nDisallow:\n", "a", "/"));
    }

    #[test]
    fn agent_name_rule() {
        let body = "User-agent: AI2Bot\nUser-agent: Googlebot/2.1\nUser-agent: GPTBot CCBot\nUser-agent: Brightbot 1.0\nDisallow: /\n";
        assert!(!check(body, "AI2Bot", "/p"));
        assert!(!check(body, "ai2bot", "/p"));
        assert!(!check(body, "googlebot", "/p"));
        assert!(!check(body, "GPTBot", "/p"));
        assert!(check(body, "CCBot", "/p"));
        assert!(!check(body, "Brightbot 1.0", "/p"));
        assert!(
            !check(body, "Brightbot", "/p"),
            "leading run of `Brightbot 1.0`"
        );
        assert!(check(body, "AI", "/p"), "AI2Bot is not `AI` for us");
        assert!(!check(
            "User-agent: GPTBot, CCBot\nDisallow: /\n",
            "gptbot",
            "/p"
        ));
        assert!(!check(
            "User-agent: iaskspider/2.0\nDisallow: /\n",
            "iaskspider/2.0",
            "/p"
        ));
        assert!(
            !check(
                "User-agent: * \nDisallow: /\nUser-agent: *bot\nAllow: /\n",
                "x",
                "/robots"
            ),
            "`*bot` is no global, no name"
        );
    }

    #[test]
    fn bom_utf16_and_html_are_noted() {
        let robots = RobotsTxt::parse(b"\xEF\xBB\xBFUser-agent: *\nDisallow: /a\n");
        assert!(robots.notes.bom);
        assert_eq!(robots.rules.len(), 1);
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                "User-agent: *\nDisallow: /a\n"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        let robots = RobotsTxt::parse(&utf16);
        assert!(robots.notes.utf16);
        assert_eq!(robots.str(&robots.rules[0].raw), "/a");
        let html = RobotsTxt::parse(b"<!DOCTYPE html>\n<html><body>Not found</body></html>");
        assert!(html.notes.html);
        assert!(html.groups.is_empty());
    }

    #[test]
    fn nul_bytes_are_ordinary_octets() {
        // A NUL inside a value is kept and percent-encoded, so it matches
        // only a URL with `%00` there; a NUL inside a key makes the line an
        // unknown record. Neither ends a group or stops the parse.
        let robots =
            RobotsTxt::parse(b"User-agent: *\nDisallow: /a\0b\nDis\0allow: /x\nDisallow: /y\n");
        assert_eq!(robots.rules.len(), 2);
        assert_eq!(robots.pattern(0), b"/a%00b");
        assert_eq!(robots.others.len(), 1);
        assert!(check(
            "User-agent: *\nDisallow: /a\0b\nDis\0allow: /x\nDisallow: /y\n",
            "a",
            "/x"
        ));
        assert!(!check(
            "User-agent: *\nDisallow: /a\0b\nDis\0allow: /x\nDisallow: /y\n",
            "a",
            "/y"
        ));
        assert!(!check("User-agent: *\nDisallow: /a\0b\n", "a", "/a%00b"));
        assert!(check("User-agent: *\nDisallow: /a\0b\n", "a", "/ab"));
    }

    #[test]
    fn truncation_drops_partial_last_line() {
        let mut body = b"User-agent: *\n".to_vec();
        while body.len() < PARSE_LIMIT - 10 {
            body.extend_from_slice(b"Disallow: /filler\n");
        }
        body.truncate(PARSE_LIMIT - 3);
        body.extend_from_slice(b"Allow: /public/only-this\n");
        let robots = RobotsTxt::parse(&body);
        assert!(robots.notes.truncated);
        assert!(
            robots
                .rules
                .iter()
                .all(|r| robots.str(&r.raw) != "/pub" && !r.allow)
        );
        let last = robots.rules.last().unwrap();
        assert_eq!(robots.str(&last.raw), "/filler");
    }

    #[test]
    fn a_prefix_drops_its_partial_last_line() {
        let robots = RobotsTxt::parse_prefix(b"User-agent: *\nDisallow: /a\nAllow: /pub");
        assert!(robots.notes.truncated);
        assert_eq!(robots.rules.len(), 1);
        assert!(!robots.rules[0].allow);
        let whole = RobotsTxt::parse_prefix(b"User-agent: *\nDisallow: /a\n");
        assert_eq!(whole.rules.len(), 1);
        assert!(RobotsTxt::parse_prefix(b"User-agent: *").groups.is_empty());
    }

    #[test]
    fn compile_shares_rule_sets() {
        let robots =
            RobotsTxt::parse(b"User-agent: *\nDisallow: /a\nUser-agent: GPTBot\nDisallow: /\n");
        let keys: Vec<String> = ["gptbot", "ccbot", "claudebot"].map(String::from).into();
        let compiled = robots.compile(&keys);
        assert_eq!(compiled.rule_sets(), 2);
        assert_eq!(compiled.contents(), 2);
        assert_eq!(compiled.content_of(1), compiled.content_of(2));
        assert_eq!(compiled.selection(0), &Selection::Named(vec![1]));
        let verdict = compiled.verdict(1, b"/a/b");
        assert_eq!(robots.rules[verdict.rule.unwrap()].line, 2);
    }
}
