//! A parse cut down to what a run reads once its rules are compiled: the
//! rules (kind, line, group, the pattern as written), the groups' lines,
//! the `License` lines and the notes. Agent lines, other records,
//! normalised patterns and every byte of text no rule or `License` line
//! points at (comments, keys, `Sitemap:` and agent lines) are dropped.
//!
//! A run holds one parse per distinct body for its whole length, and most
//! of a parse is there for compiling. Evidence read from a slim parse is
//! byte for byte what the whole one gives: the ranges it reads move with
//! their bytes.

use super::{RobotsTxt, TextRange};

impl RobotsTxt {
    /// The slim form of this parse (see the module documentation), or
    /// `None` when it cannot be cut: its usage lines are read by agent at
    /// decision time from the whole parse, and so is an aipref-aware
    /// reading.
    #[must_use]
    pub fn slimmed(&self) -> Option<RobotsTxt> {
        if self.slim || !self.usage.is_empty() || self.aware.is_some() {
            return None;
        }
        let kept: usize = self.rules.iter().map(|r| r.raw.len()).sum::<usize>()
            + self.licenses.iter().map(|l| l.value.len()).sum::<usize>();
        let mut text = Vec::with_capacity(kept);
        let mut keep = |range: &TextRange| -> TextRange {
            let start = u32::try_from(text.len()).expect("a part of a capped body");
            text.extend_from_slice(&self.text[range.start as usize..range.end as usize]);
            start..u32::try_from(text.len()).expect("a part of a capped body")
        };
        let rules = self
            .rules
            .iter()
            .map(|rule| {
                let mut rule = rule.clone();
                rule.raw = keep(&rule.raw);
                rule
            })
            .collect();
        let licenses = self
            .licenses
            .iter()
            .map(|license| {
                let mut license = license.clone();
                license.value = keep(&license.value);
                license
            })
            .collect();
        let groups = self
            .groups
            .iter()
            .map(|group| {
                let mut group = group.clone();
                group.agents = 0..0;
                group
            })
            .collect();
        Some(RobotsTxt {
            text: text.into_boxed_slice(),
            patterns: Box::default(),
            agents: Vec::new(),
            groups,
            rules,
            pattern_at: Vec::new(),
            others: Vec::new(),
            usage: Vec::new(),
            licenses,
            aware: None,
            notes: self.notes,
            slim: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slim_parse_gives_the_same_evidence() {
        let body = b"# a comment\nSitemap: https://x.test/s.xml\nUser-agent: GPTBot\nUser-agent: CCBot\nDisallow: /private  # why\nAllow: /private/ok%7E\n\nUser-agent: *\nDisallow: /x*$\nLicense: https://x.test/license.xml\n";
        let whole = RobotsTxt::parse(body);
        let slim = whole.slimmed().unwrap();
        assert!(
            slim.text.len() < whole.text.len() / 2,
            "{}",
            slim.text.len()
        );
        assert_eq!(slim.rules.len(), whole.rules.len());
        for (a, b) in whole.rules.iter().zip(&slim.rules) {
            assert_eq!(whole.rule_text(a), slim.rule_text(b));
            assert_eq!(a.line, b.line);
            assert_eq!(whole.group_of(a).line(), slim.group_of(b).line());
        }
        for (a, b) in whole.licenses.iter().zip(&slim.licenses) {
            assert_eq!(whole.str(&a.value), slim.str(&b.value));
        }
        assert_eq!(whole.notes, slim.notes);
        assert!(slim.slimmed().is_none(), "slim once");
        let usage = RobotsTxt::parse(b"User-agent: *\nContent-Usage: train-ai=n\nDisallow: /a\n");
        assert!(usage.slimmed().is_none(), "usage lines are read whole");
    }

    #[test]
    #[should_panic(expected = "slim parse")]
    fn a_slim_parse_cannot_be_compiled() {
        let slim = RobotsTxt::parse(b"User-agent: *\nDisallow: /a\n")
            .slimmed()
            .unwrap();
        let _ = slim.compile(&["gptbot".to_owned()]);
    }
}
