//! Checking URLs against one robots.txt file by hand, as `optout check`
//! does (the check Google's `robots_main` made familiar): for each URL and
//! agent, allowed or not, and the line that decides or why none does.

use serde::Serialize;

use crate::agents::AgentSet;
use crate::error::{Error, Result};
use crate::origin::UrlParser;
use crate::signals::robots::{CompiledRobots, RobotsTxt, Selection};

/// One robots.txt compiled for some agents, ready to check URLs.
pub struct RobotsCheck {
    robots: RobotsTxt,
    compiled: CompiledRobots,
    agents: AgentSet,
    parser: UrlParser,
}

/// The verdict for one URL and agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckVerdict {
    /// The URL, as given.
    pub url: String,
    /// The agent.
    pub agent: String,
    /// Whether the agent may fetch it.
    pub allowed: bool,
    /// The deciding rule's line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The deciding rule, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The line of the group the rule belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<u32>,
    /// `rule`, or why no rule decides: `robots.txt is always allowed`,
    /// `no group applies`, `no matching rule`.
    pub reason: &'static str,
}

impl RobotsCheck {
    /// Parses `body` and compiles it for `agents`.
    #[must_use]
    pub fn new(body: &[u8], agents: AgentSet) -> RobotsCheck {
        let robots = RobotsTxt::parse(body);
        let compiled = robots.compile(agents.keys());
        RobotsCheck {
            robots,
            compiled,
            agents,
            parser: UrlParser::new(),
        }
    }

    /// The parsed file, for its notes (HTML, truncated, unreadable lines).
    #[must_use]
    pub fn robots(&self) -> &RobotsTxt {
        &self.robots
    }

    /// Every agent's verdict for `url` (an absolute URL, or a path
    /// starting with `/`).
    ///
    /// # Errors
    ///
    /// When `url` is not a URL optout can judge.
    pub fn check(&mut self, url: &str) -> Result<Vec<CheckVerdict>> {
        let absolute = if url.starts_with('/') {
            format!("http://robots.invalid{url}")
        } else {
            url.to_owned()
        };
        let path = self
            .parser
            .parse(&absolute)
            .map_err(|e| Error::config(format!("`{url}`: {e}")))?
            .path
            .to_vec();
        let robots = &self.robots;
        Ok(self
            .agents
            .names()
            .iter()
            .enumerate()
            .map(|(index, agent)| {
                let verdict = self.compiled.verdict(index, &path);
                let rule = verdict.rule.map(|r| &robots.rules[r]);
                let reason = match (rule, self.compiled.selection(index)) {
                    (Some(_), _) => "rule",
                    (None, _) if path == b"/robots.txt" => "robots.txt is always allowed",
                    (None, Selection::None) => "no group applies",
                    (None, _) => "no matching rule",
                };
                CheckVerdict {
                    url: url.to_owned(),
                    agent: agent.clone(),
                    allowed: verdict.allowed,
                    line: rule.map(|r| r.line),
                    rule: rule.map(|r| robots.rule_text(r)),
                    group: rule.map(|r| robots.group_of(r).line()),
                    reason,
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_verdict_names_its_line_or_why_none_decides() {
        let agents = AgentSet::from_names(&["GPTBot".to_owned(), "CCBot".to_owned()]).unwrap();
        let mut check = RobotsCheck::new(b"User-agent: GPTBot\nDisallow: /private/\n", agents);
        let verdicts = check.check("/private/a").unwrap();
        assert!(!verdicts[0].allowed);
        assert_eq!(verdicts[0].line, Some(2));
        assert_eq!(verdicts[0].reason, "rule");
        assert!(verdicts[1].allowed);
        assert_eq!(verdicts[1].reason, "no group applies");
        assert_eq!(
            check.check("/robots.txt").unwrap()[0].reason,
            "robots.txt is always allowed"
        );
        assert!(check.check("http://[bad").is_err());
    }
}
