//! Spawning's `/ai.txt` (design notes SIGNALS.md §7.7): a file in
//! robots.txt syntax that says whether a site's media may be used for AI
//! training, typically by file extension (`Disallow: *.jpg`). Parsing only.
//!
//! The name is shared with unrelated formats (Markdown "ai.txt" context
//! files, `/.well-known/ai.txt` of draft-car-ai-txt-wellknown) and with the
//! HTML page an SPA serves for any path, so the body is sniffed first: only
//! a body with robots.txt groups is read as Spawning's format; anything
//! else is recorded as "not an ai.txt" and states nothing (SIGNALS.md §7.8
//! case 7).
//!
//! Reading is robots.txt's (RFC 9309 groups and longest match, with
//! patterns that start with `*`, as Google's matcher allows), but the
//! result is a usage statement, not access: a matching `Disallow`
//! disallows training, a matching `Allow` allows it, and a path no rule
//! matches gets no statement (`unknown`), where robots.txt would say
//! "allowed". An absent file is no statement either.

use crate::signals::aipref::Pref;
use crate::signals::robots::{RobotsTxt, agent_key, looks_like_html};

/// What a body served as `/ai.txt` is.
#[derive(Clone, Debug)]
pub enum AiTxt {
    /// Spawning's format: robots.txt groups.
    Spawning(Box<RobotsTxt>),
    /// Something else, with what it looked like; it states nothing.
    Other(&'static str),
}

impl AiTxt {
    /// Sniffs and parses a body. Never fails.
    #[must_use]
    pub fn parse(body: &[u8]) -> AiTxt {
        if looks_like_html(body) {
            return AiTxt::Other("an HTML page");
        }
        let text = body
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(body)
            .trim_ascii_start();
        if text.starts_with(b"---") {
            return AiTxt::Other("a Markdown/YAML document");
        }
        let robots = RobotsTxt::parse(body);
        if robots.groups.is_empty() || robots.rules.is_empty() {
            return AiTxt::Other("no robots.txt-style groups and rules");
        }
        AiTxt::Spawning(Box::new(robots))
    }

    /// The training statement for `path` (robots.txt normal form) and
    /// the agent named `agent`, with the deciding rule's index. It compiles
    /// the rules on each call: for one-off questions (`explain`); a filter
    /// run compiles once per agent set.
    #[must_use]
    pub fn training(&self, agent: &str, path: &[u8]) -> (Pref, Option<usize>) {
        let AiTxt::Spawning(robots) = self else {
            return (Pref::Unknown, None);
        };
        let compiled = robots.compile(&[agent_key(agent)]);
        let verdict = compiled.verdict(0, path);
        match verdict.rule {
            None => (Pref::Unknown, None),
            Some(rule) if robots.rules[rule].allow => (Pref::Allowed, Some(rule)),
            Some(rule) => (Pref::Disallowed, Some(rule)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file as Spawning's generator writes it.
    const GENERATED: &str = "# Spawning AI\n# Prevent datasets from using the following file types\n\nUser-Agent: *\nDisallow: *.jpg\nDisallow: *.jpeg\nDisallow: *.png\nDisallow: *.mp3\nAllow: *.txt\n";

    fn training(body: &str, path: &str) -> Pref {
        AiTxt::parse(body.as_bytes())
            .training("CCBot", path.as_bytes())
            .0
    }

    #[test]
    fn extension_patterns() {
        assert_eq!(training(GENERATED, "/images/cat.jpg"), Pref::Disallowed);
        assert_eq!(training(GENERATED, "/a/notes.txt"), Pref::Allowed);
        assert_eq!(
            training(GENERATED, "/page.html"),
            Pref::Unknown,
            "no rule: no statement"
        );
        let everything = "User-Agent: *\nDisallow: /\n";
        assert_eq!(training(everything, "/x"), Pref::Disallowed);
    }

    #[test]
    fn named_groups_apply_to_their_agent_only() {
        let body = "User-Agent: OtherBot\nDisallow: /\n";
        assert_eq!(training(body, "/x"), Pref::Unknown);
        let named = "User-Agent: CCBot\nDisallow: *.png\nUser-Agent: *\nDisallow: /\n";
        assert_eq!(
            training(named, "/a.jpg"),
            Pref::Unknown,
            "CCBot's own group shadows `*`"
        );
    }

    #[test]
    fn other_formats_state_nothing() {
        for (body, kind) in [
            (
                "<!DOCTYPE html><html><body>app</body></html>",
                "an HTML page",
            ),
            (
                "---\ntitle: About us\n---\n# Facts for AI assistants\n",
                "a Markdown/YAML document",
            ),
            (
                "# Company facts\nWe sell shoes.\n",
                "no robots.txt-style groups and rules",
            ),
            ("", "no robots.txt-style groups and rules"),
        ] {
            let parsed = AiTxt::parse(body.as_bytes());
            assert!(matches!(parsed, AiTxt::Other(k) if k == kind), "{body:?}");
            assert_eq!(parsed.training("CCBot", b"/x.jpg").0, Pref::Unknown);
        }
    }
}
