//! What the policies a run judged by were: how many origins, in which
//! state, what their files said. Stats and audit reports print it. A run
//! that holds all its policies at once tallies them at the end; a run that
//! loads them a window at a time adds each origin the first time a window
//! holds it, so the two give the same tally.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use crate::policy::files::FileState;
use crate::policy::{Access, OriginPolicy, PolicySet};

/// Counts over the distinct origins whose policies judged a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PolicyTally {
    /// Origins (or hosts, for a robots directory) with a policy.
    pub origins: usize,
    /// Of them, without a robots.txt (4xx).
    pub unavailable: usize,
    /// Of them, unreachable or unreadable (read as complete disallow).
    pub unreachable: usize,
    /// Whose robots.txt looked like an HTML page.
    pub html: usize,
    /// Whose robots.txt was cut at the size limit.
    pub truncated: usize,
    /// Earlier policies held, for runs by crawl time.
    pub earlier: usize,
    /// Per file: origins by state (`read`, `absent`, `unreachable`,
    /// `not-fetched`, and for a tdmrep.json `unreadable` when broken past
    /// its first rules, `invalid` when it is no tdmrep.json at all).
    pub files: BTreeMap<&'static str, BTreeMap<&'static str, usize>>,
    /// Origins by what they state (see [`PolicyTally::kind`]).
    pub kinds: BTreeMap<&'static str, usize>,
}

impl PolicyTally {
    /// The tally of every current policy of `set`.
    #[must_use]
    pub fn of(set: &PolicySet) -> PolicyTally {
        let mut tally = PolicyTally {
            earlier: set.history_len(),
            ..PolicyTally::default()
        };
        for policy in set.policies() {
            tally.add(policy, 0);
        }
        tally
    }

    /// Counts `policy`, which has `earlier` earlier versions.
    pub fn add(&mut self, policy: &OriginPolicy, earlier: usize) {
        self.origins += 1;
        self.earlier += earlier;
        match &policy.access {
            Access::Rules(robots) => {
                self.html += usize::from(robots.notes.html);
                self.truncated += usize::from(robots.notes.truncated);
            }
            Access::Unavailable { .. } => self.unavailable += 1,
            Access::Unreachable { .. } => self.unreachable += 1,
        }
        let tdmrep = match &policy.files.tdmrep {
            FileState::Read { parsed, .. } if parsed.unreadable.is_some() => "unreadable",
            FileState::Read { parsed, .. } if parsed.invalid.is_some() => "invalid",
            state => state.state(),
        };
        for (name, state) in [
            ("tdmrep.json", tdmrep),
            ("ai.txt", policy.files.ai_txt.state()),
            ("rsl", policy.files.rsl.state()),
        ] {
            *self
                .files
                .entry(name)
                .or_default()
                .entry(state)
                .or_default() += 1;
        }
        *self.kinds.entry(Self::kind(policy)).or_default() += 1;
    }

    /// What an origin states, as audit reports group origins.
    #[must_use]
    pub fn kind(policy: &OriginPolicy) -> &'static str {
        match &policy.access {
            Access::Rules(robots) => {
                let says = !robots.usage_reading().usage.is_empty() || policy.files.speak();
                if says {
                    "robots.txt with usage statements or files"
                } else {
                    "robots.txt, no usage statements"
                }
            }
            Access::Unavailable { .. } if policy.files.speak() => {
                "no robots.txt, files state something"
            }
            // Nothing at all: no robots.txt and no file that says anything.
            Access::Unavailable { .. } => "no signal at all",
            Access::Unreachable { .. } => "robots.txt unreachable",
        }
    }
}

/// A tally over windows: each origin counted the first time a window
/// holds it. Origins are remembered by a 64-bit hash of their key (8 bytes
/// each, not the key): two of ten million origins share a hash with odds
/// of about three in a million, and would then be counted once.
#[derive(Debug, Default)]
pub struct WindowTally {
    seen: HashSet<u64, foldhash::fast::FixedState>,
    tally: PolicyTally,
}

impl WindowTally {
    /// Counts the policies of `set` not counted before.
    pub fn add(&mut self, set: &PolicySet) {
        use std::hash::BuildHasher;
        // Fixed seeds: the tally of a run does not depend on chance.
        let hash = foldhash::quality::FixedState::with_seed(0x6f70_746f_7574);
        for policy in set.policies() {
            if self.seen.insert(hash.hash_one(policy.key.as_str())) {
                self.tally.add(policy, set.history_of(&policy.key));
            }
        }
    }

    /// The tally so far.
    #[must_use]
    pub fn tally(&self) -> &PolicyTally {
        &self.tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_count_each_origin_once_and_agree_with_a_whole_tally() {
        let mut whole = PolicySet::new();
        let mut first = PolicySet::new();
        let mut second = PolicySet::new();
        let bodies: [&[u8]; 3] = [
            b"User-agent: *\nDisallow: /\n",
            b"<html><body>not found</body></html>",
            b"User-agent: GPTBot\nContent-Usage: train-ai=n\n",
        ];
        for (i, body) in bodies.iter().enumerate() {
            let host = format!("h{i}.example");
            whole.insert_body(&host, "test", body);
            // Host 1 is in both windows.
            if i <= 1 {
                first.insert_body(&host, "test", body);
            }
            if i >= 1 {
                second.insert_body(&host, "test", body);
            }
        }
        let mut windows = WindowTally::default();
        windows.add(&first);
        windows.add(&second);
        windows.add(&first);
        let expected = PolicyTally::of(&whole);
        assert_eq!(windows.tally(), &expected);
        assert_eq!(expected.origins, 3);
        assert_eq!(expected.html, 1);
        assert_eq!(expected.kinds.values().sum::<usize>(), 3);
    }
}
