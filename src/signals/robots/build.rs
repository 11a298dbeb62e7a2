//! Building a [`RobotsTxt`] from a body's lines: the groups, rules and
//! other records in file order, the normalised patterns, and the notes;
//! and the body's preparation (UTF-16 decoding, the parse limit).

use super::normalize::{self, Side};
use super::parse::{self, Key, Line};
use super::usage::{LicenseRecord, UsageRule};
use super::{
    AgentLine, Group, OtherRecord, PARSE_LIMIT, ParseNotes, PatternAt, RobotsTxt, Rule, TextRange,
};

impl RobotsTxt {
    pub(super) fn build(body: &[u8], mut notes: ParseNotes, aware: bool) -> RobotsTxt {
        let mut builder = Builder {
            body,
            aware,
            ..Builder::default()
        };
        let counts = parse::for_each_line(body, |line| builder.line(line));
        builder.release_licenses();
        notes.lines = counts.lines;
        notes.unreadable_lines = counts.unreadable;
        notes.rules_before_agent = builder.rules_before_agent;
        notes.aipref_divergent = builder.divergent;
        // A parse is held for the whole run, once per distinct body: its
        // vectors are cut to size, not left at their growth capacity.
        RobotsTxt {
            text: body.into(),
            patterns: builder.patterns.into_boxed_slice(),
            agents: shrunk(builder.agents),
            groups: shrunk(builder.groups),
            rules: shrunk(builder.rules),
            pattern_at: shrunk(builder.pattern_at),
            others: shrunk(builder.others),
            usage: shrunk(builder.usage),
            licenses: shrunk(builder.licenses),
            aware: None,
            notes,
            slim: false,
        }
    }
}

/// Cuts a body at [`PARSE_LIMIT`], dropping a trailing partial line.
pub(super) fn cut_at_limit(body: &[u8]) -> &[u8] {
    let head = &body[..PARSE_LIMIT];
    if matches!(body[PARSE_LIMIT], b'\n' | b'\r') {
        return head;
    }
    match memchr::memrchr2(b'\n', b'\r', head) {
        Some(end) => &head[..=end],
        None => &[],
    }
}

/// `v` without spare capacity.
fn shrunk<T>(mut v: Vec<T>) -> Vec<T> {
    v.shrink_to_fit();
    v
}

pub(super) fn decode_utf16(body: &[u8]) -> Option<String> {
    let little = match body {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return None,
    };
    let units = body[2..].chunks_exact(2).map(|pair| {
        if little {
            u16::from_le_bytes([pair[0], pair[1]])
        } else {
            u16::from_be_bytes([pair[0], pair[1]])
        }
    });
    Some(
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}

#[derive(Default)]
struct Builder<'a> {
    body: &'a [u8],
    patterns: Vec<u8>,
    agents: Vec<AgentLine>,
    groups: Vec<Group>,
    rules: Vec<Rule>,
    pattern_at: Vec<PatternAt>,
    others: Vec<OtherRecord>,
    usage: Vec<UsageRule>,
    licenses: Vec<LicenseRecord>,
    /// `Content-Usage` lines are rules (aipref attach) and end groups.
    aware: bool,
    /// A rule was seen since the last `User-agent` line.
    rule_seen: bool,
    /// A `Content-Usage` line was seen since the last `User-agent` line.
    usage_seen: bool,
    /// The file groups differently in the other reading.
    divergent: bool,
    /// `License` lines of the current group that no rule has followed yet.
    pending_licenses: Vec<usize>,
    rules_before_agent: u32,
}

impl Builder<'_> {
    /// `License` lines no rule of their group followed are global.
    fn release_licenses(&mut self) {
        for i in self.pending_licenses.drain(..) {
            self.licenses[i].group = None;
        }
    }

    /// Where `part`, a slice of the body, lies in it.
    fn range(&self, part: &[u8]) -> TextRange {
        let start = part.as_ptr() as usize - self.body.as_ptr() as usize;
        let start = u32::try_from(start).expect("bodies are capped at the parse limit");
        start..start + u32::try_from(part.len()).expect("bodies are capped at the parse limit")
    }

    fn line(&mut self, line: Line<'_>) {
        match line.key {
            Key::UserAgent => {
                if self.usage_seen && !self.rule_seen {
                    self.divergent = true;
                }
                if self.groups.is_empty() || self.rule_seen {
                    self.release_licenses();
                    let (agents, rules) = (self.agents.len(), self.rules.len());
                    let (agents, rules) = (to_u32(agents), to_u32(rules));
                    self.groups.push(Group {
                        agents: agents..agents,
                        rules: rules..rules,
                        line: line.number,
                    });
                    self.rule_seen = false;
                    self.usage_seen = false;
                }
                let at = self.range(line.value);
                self.agents
                    .push(AgentLine::new(line.number, line.value, at));
                self.groups.last_mut().expect("pushed above").agents.end =
                    to_u32(self.agents.len());
            }
            Key::Allow | Key::Disallow => {
                let Some(group_index) = self.groups.len().checked_sub(1) else {
                    self.rules_before_agent += 1;
                    return;
                };
                self.rule_seen = true;
                self.pending_licenses.clear();
                let start = self.patterns.len();
                normalize::normalize_into(line.value, Side::Pattern, &mut self.patterns);
                let raw = self.range(line.value);
                // Most patterns are already in normal form: those are read
                // from the text, and the patterns hold only the others.
                let pattern_in_text = self.patterns[start..] == *line.value;
                let pattern = if pattern_in_text {
                    self.patterns.truncate(start);
                    raw.clone()
                } else {
                    u32::try_from(start).expect("capped")
                        ..u32::try_from(self.patterns.len()).expect("capped")
                };
                self.rules.push(Rule {
                    allow: line.key == Key::Allow,
                    line: line.number,
                    group: u32::try_from(group_index).expect("capped"),
                    raw,
                });
                self.pattern_at.push(PatternAt {
                    range: pattern,
                    in_text: pattern_in_text,
                });
                self.groups[group_index].rules.end = to_u32(self.rules.len());
            }
            Key::ContentUsage | Key::ContentSignal => {
                // Cloudflare's Content-Signal lines are read outside groups
                // too, as speaking to every agent; a Content-Usage rule
                // belongs to a group (attach-05) and is ignored there.
                let group = match self.groups.len().checked_sub(1) {
                    Some(group) => group,
                    None if line.key == Key::ContentSignal => super::usage::GLOBAL,
                    None => {
                        self.rules_before_agent += 1;
                        return;
                    }
                };
                if line.key == Key::ContentUsage {
                    if self.aware {
                        self.rule_seen = true;
                    } else {
                        self.usage_seen = true;
                    }
                }
                let value = self.range(line.value);
                let rule = UsageRule::new(
                    line.number,
                    group,
                    line.key,
                    line.value,
                    value,
                    &mut self.patterns,
                );
                self.usage.push(rule);
                self.pending_licenses.clear();
            }
            Key::License => {
                let value = self.range(line.value);
                let group = self.groups.len().checked_sub(1);
                if group.is_some() {
                    self.pending_licenses.push(self.licenses.len());
                }
                self.licenses.push(LicenseRecord {
                    line: line.number,
                    value,
                    group,
                });
            }
            Key::Sitemap | Key::Other => {
                let (key, value) = (self.range(line.raw_key), self.range(line.value));
                self.others.push(OtherRecord {
                    line: line.number,
                    key,
                    value,
                    group: if line.key == Key::Sitemap {
                        None
                    } else {
                        self.groups.len().checked_sub(1)
                    },
                });
            }
        }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).expect("robots.txt bodies are capped far below 4 GiB")
}
