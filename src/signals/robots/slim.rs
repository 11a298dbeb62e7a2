//! A parse cut down to what a run reads once its rules are compiled: the
//! rules (kind, line, group, the pattern as written), the groups' lines,
//! the `License` lines and the notes' flags. Agent lines, other records,
//! normalised patterns, the notes' counts and every byte of text no rule
//! or `License` line points at (comments, keys, `Sitemap:` and agent
//! lines) are dropped.
//!
//! A run holds its parses for its whole length, and most of a parse is
//! there for compiling. Evidence read from a slim parse is byte for byte
//! what the whole one gives: the ranges it reads move with their bytes.
//!
//! Bodies that differ only in what a slim parse drops (a host's own
//! `Sitemap:` line after its rules, a comment that does not move them)
//! have equal slim parses, which a run holds once
//! ([`RobotsTxt::slim_hash`] finds them): memory then follows the distinct
//! rule sets with their line numbers, not the distinct bodies.

use super::{ParseNotes, RobotsTxt, TextRange};

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
            // The counts differ between bodies that are otherwise alike,
            // and nothing a run does reads them (policy notes come from
            // the fetch record): kept, they would keep equal parses apart.
            notes: ParseNotes {
                bytes: 0,
                lines: 0,
                unreadable_lines: 0,
                rules_before_agent: 0,
                ..self.notes
            },
            slim: true,
        })
    }

    /// A hash of what a slim parse holds, for finding equal ones: equal
    /// parses hash alike; parses that hash alike are compared whole.
    ///
    /// # Panics
    ///
    /// When the parse is not slim.
    #[must_use]
    pub fn slim_hash(&self) -> u64 {
        use std::hash::{BuildHasher, Hash, Hasher};
        assert!(self.slim, "only slim parses are held by content");
        let mut h = foldhash::quality::FixedState::default().build_hasher();
        self.text.hash(&mut h);
        for rule in &self.rules {
            (rule.allow, rule.line, rule.group, &rule.raw).hash(&mut h);
        }
        for group in &self.groups {
            (&group.rules, group.line).hash(&mut h);
        }
        for license in &self.licenses {
            (license.line, &license.value, license.group).hash(&mut h);
        }
        let n = &self.notes;
        (n.truncated, n.bom, n.utf16, n.html, n.aipref_divergent).hash(&mut h);
        h.finish()
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
        let notes = &slim.notes;
        assert_eq!(
            (notes.truncated, notes.bom, notes.utf16, notes.html),
            (
                whole.notes.truncated,
                whole.notes.bom,
                whole.notes.utf16,
                whole.notes.html
            )
        );
        assert!(slim.slimmed().is_none(), "slim once");
        let usage = RobotsTxt::parse(b"User-agent: *\nContent-Usage: train-ai=n\nDisallow: /a\n");
        assert!(usage.slimmed().is_none(), "usage lines are read whole");
    }

    #[test]
    fn bodies_that_differ_only_in_what_is_dropped_slim_alike() {
        let slim = |body: &str| RobotsTxt::parse(body.as_bytes()).slimmed().unwrap();
        let base = "User-agent: *\nDisallow: /a\nAllow: /a/b\n";
        let one = slim(&format!("{base}\nSitemap: https://one.test/s.xml\n"));
        let two = slim(&format!(
            "{base}Sitemap: https://two.example/sitemap_index.xml\n"
        ));
        assert_eq!(one, two);
        assert_eq!(one.slim_hash(), two.slim_hash());
        // A comment that moves the rules moves their lines: evidence
        // differs, so the parses do.
        let moved = slim(&format!("# robots.txt for three.test\n{base}"));
        assert_ne!(one, moved);
        assert_ne!(one.slim_hash(), moved.slim_hash());
        // Another rule text, or kind.
        assert_ne!(one, slim("User-agent: *\nDisallow: /b\nAllow: /a/b\n"));
        assert_ne!(one, slim("User-agent: *\nAllow: /a\nAllow: /a/b\n"));
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
