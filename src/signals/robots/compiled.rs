//! The compiled form of a robots.txt for a fixed list of agents: what the
//! engine matches billions of paths against.
//!
//! Three things make it fast, each measured (see the closing notes of the
//! issue that introduced it):
//!
//! * **Rule sets shared by content.** Agents that select the same groups
//!   share a rule set, and rule sets with the same rules (`Disallow: /` in 30
//!   separate AI-bot groups) share one matcher, so a path is matched once per
//!   distinct content, not once per agent.
//! * **Priority order.** Rules are sorted longest first, `Allow` before
//!   `Disallow` on a tie: the first rule that matches is the one RFC 9309
//!   picks, so matching stops there.
//! * **A first-byte index.** Rules whose pattern is `/` plus a literal byte
//!   are bucketed by that byte; a path only tests its bucket and the rules
//!   that can match any path (`/`, `/*...`, `*...`), merged in priority order.
//! * **Inline prefixes.** Each rule keeps the first 16 literal bytes of its
//!   pattern in a `u128`; a candidate whose prefix differs from the path's is
//!   rejected without touching the pattern bytes, and a short literal
//!   pattern is decided by the prefix alone. With thousands of hosts the
//!   pattern bytes are cold in cache, so this saves a memory access per
//!   candidate. (A normalised pattern never holds a raw NUL, so padding a
//!   short path with zeros cannot make a false match.)
//! * **A prefilter for wildcards.** Rules such as `/*?` or `/*.pdf$` have
//!   no bucket and an inline prefix of one byte, so every path used to run
//!   the glob matcher on each of them (2 of the 3.7 candidates per content
//!   on the bench world, 97% of them failing). Each such rule keeps the set
//!   of bytes it needs (folded into 64 bits) and, when anchored, its last
//!   literal bytes; a path whose [`Probe`] lacks one of those bytes, or ends
//!   otherwise, is rejected without reading the pattern. Both are necessary
//!   conditions only: whatever passes still runs the matcher.
//!
//! Evidence is not lost to sharing: each selection keeps, per position of its
//! content, the index of its own rule in [`RobotsTxt::rules`].

use std::ops::Range;

use super::{RobotsTxt, Selection};

/// A pattern, prepared once.
#[derive(Clone, Copy, Debug)]
struct CompiledRule {
    /// The first `prefix_len` (at most 16) bytes before any `*`, little
    /// endian, zero-padded.
    prefix: u128,
    prefix_len: u8,
    /// The prefix is the whole pattern: a prefix match is a match.
    prefix_decides: bool,
    anchored: bool,
    wildcard: bool,
    allow: bool,
    /// Bytes every matching path holds (see [`byte_set`]).
    needs: u64,
    /// The last `tail_len` (at most 8) literal bytes of an anchored
    /// pattern, last byte lowest (see [`tail_of`]); a matching path ends
    /// with them.
    tail: u64,
    tail_len: u8,
    /// The pattern without its end anchor, in the arena.
    start: u32,
    end: u32,
}

/// The set of bytes in `bytes`, each folded to bit `byte % 64`: a subset
/// test on these sets can only reject a path that truly lacks a byte
/// (bytes 64 apart share a bit, which lets some paths through, never
/// keeps one out).
#[inline]
fn byte_set(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |set, &b| set | 1 << (b & 63))
}

/// The last (at most 8) bytes of `bytes`, the last byte in the lowest
/// position, zero-padded above.
#[inline]
fn tail_of(bytes: &[u8]) -> u64 {
    if let Some(last) = bytes.last_chunk::<8>() {
        u64::from_be_bytes(*last)
    } else {
        bytes.iter().fold(0, |tail, &b| tail << 8 | u64::from(b))
    }
}

/// The mask of the lowest `len` (at most 8) bytes.
#[inline]
fn tail_mask(len: u8) -> u64 {
    // The low 8 bytes of the prefix mask of as many bytes.
    prefix_mask(len.min(8)) as u64
}

/// A normalised path, prepared once for matching against every content
/// of a policy.
#[derive(Clone, Copy, Debug)]
pub struct Probe<'a> {
    path: &'a [u8],
    head: u128,
    bytes: u64,
    tail: u64,
    /// `/robots.txt` is always allowed (RFC 9309 §2.5).
    robots_txt: bool,
}

impl<'a> Probe<'a> {
    /// Prepares `path` (normalised, see [`super::normalize`], URL side).
    #[must_use]
    #[inline]
    pub fn new(path: &'a [u8]) -> Probe<'a> {
        Probe {
            path,
            head: head(path),
            bytes: byte_set(path),
            tail: tail_of(path),
            robots_txt: path == b"/robots.txt",
        }
    }
}

/// How many pattern bytes are kept inline. Real rules share long
/// prefixes (`/wiki/Special:`, `/search?q=`): 8 bytes left many candidates
/// to check against the (cold) pattern bytes, 16 leave few.
const INLINE: usize = 16;

/// The mask of the first `len` (at most [`INLINE`]) bytes.
#[inline]
fn prefix_mask(len: u8) -> u128 {
    match len {
        0 => 0,
        16.. => u128::MAX,
        n => (1u128 << (8 * u32::from(n))) - 1,
    }
}

/// The first 16 bytes of `bytes`, little endian, zero-padded.
#[inline]
fn head(bytes: &[u8]) -> u128 {
    if let Some(first) = bytes.first_chunk::<INLINE>() {
        return u128::from_le_bytes(*first);
    }
    let mut buffer = [0u8; INLINE];
    buffer[..bytes.len()].copy_from_slice(bytes);
    u128::from_le_bytes(buffer)
}

/// A distinct list of rules in priority order, with its first-byte index.
#[derive(Clone, Debug)]
struct Content {
    rules: Range<u32>,
    /// Byte after the leading `/` → bucket number + 1 (0: no bucket).
    bucket_of: Box<[u8; 256]>,
    /// Positions (relative to `rules`) per bucket, ascending.
    buckets: Box<[Range<u32>]>,
    /// Positions of rules that may match any path, ascending.
    always: Range<u32>,
    /// The agents matched against this content, ascending.
    agents: Range<u32>,
    /// The first of them whose own group (not `*`) applies.
    first_named: Option<u16>,
}

/// The groups one or more agents select, and their rules.
#[derive(Clone, Debug)]
struct RuleSet {
    selection: Selection,
    content: u32,
    /// Per position of the content: the index in [`RobotsTxt::rules`].
    rule_of: Box<[u32]>,
}

/// The rules of a [`RobotsTxt`] that apply to a fixed list of agents,
/// prepared for fast matching. Cheap to share across threads.
#[derive(Clone, Debug)]
pub struct CompiledRobots {
    arena: Box<[u8]>,
    rules: Box<[CompiledRule]>,
    positions: Box<[u32]>,
    contents: Box<[Content]>,
    sets: Box<[RuleSet]>,
    by_agent: Box<[u16]>,
    /// Agents per content, see [`Content::agents`].
    agents: Box<[u16]>,
}

/// The verdict for one agent on one path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the agent may fetch the path.
    pub allowed: bool,
    /// The deciding rule, an index into [`RobotsTxt::rules`]; `None` when
    /// no rule matched (or the path is `/robots.txt`).
    pub rule: Option<usize>,
}

/// The outcome of matching one content: the position of the deciding rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentVerdict {
    /// Whether the path is allowed.
    pub allowed: bool,
    /// Position of the deciding rule in the content, if any.
    position: Option<u32>,
}

impl ContentVerdict {
    const ALLOWED: ContentVerdict = ContentVerdict {
        allowed: true,
        position: None,
    };
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).expect("robots.txt bodies are capped far below 4 GiB")
}

impl CompiledRobots {
    /// The bytes these rules hold on the heap: what a cache of compiled
    /// policies counts against its bound.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of_val;
        size_of_val(&*self.arena)
            + size_of_val(&*self.rules)
            + size_of_val(&*self.positions)
            + size_of_val(&*self.contents)
            + self
                .contents
                .iter()
                .map(|c| size_of_val(&*c.bucket_of) + size_of_val(&*c.buckets))
                .sum::<usize>()
            + size_of_val(&*self.sets)
            + size_of_val(&*self.by_agent)
            + size_of_val(&*self.agents)
            + std::mem::size_of::<Self>()
    }

    pub(super) fn new(robots: &RobotsTxt, agent_keys: &[String]) -> CompiledRobots {
        match Self::bounded(robots, agent_keys, usize::MAX) {
            Ok(compiled) => compiled,
            Err(_) => unreachable!("no size is over usize::MAX"),
        }
    }

    /// As [`CompiledRobots::new`], unless the distinct selections hold
    /// more than `limit` rules in all: then their count.
    pub(super) fn bounded(
        robots: &RobotsTxt,
        agent_keys: &[String],
        limit: usize,
    ) -> Result<CompiledRobots, usize> {
        let mut selections: Vec<Selection> = Vec::new();
        let mut by_agent = Vec::with_capacity(agent_keys.len());
        for key in agent_keys {
            let selection = robots.select(key);
            let index = selections
                .iter()
                .position(|s| *s == selection)
                .unwrap_or_else(|| {
                    selections.push(selection);
                    selections.len() - 1
                });
            by_agent.push(u16::try_from(index).expect("fewer than 65,536 agents"));
        }

        let size: usize = selections
            .iter()
            .map(|selection| match selection {
                Selection::Named(groups) | Selection::Global(groups) => {
                    groups.iter().map(|&g| robots.groups[g].rules.len()).sum()
                }
                Selection::None => 0,
            })
            .sum();
        if size > limit {
            return Err(size);
        }
        let mut compiled = CompiledRobots {
            arena: Box::default(),
            rules: Box::default(),
            positions: Box::default(),
            contents: Box::default(),
            sets: Box::default(),
            by_agent: by_agent.into_boxed_slice(),
            agents: Box::default(),
        };
        let mut arena = Vec::new();
        let mut rules = Vec::new();
        let mut positions = Vec::new();
        let mut contents: Vec<Content> = Vec::new();
        // The content of each distinct rule list, to find repeats.
        let mut keys: Vec<Vec<(&[u8], bool)>> = Vec::new();
        let mut sets = Vec::with_capacity(selections.len());
        for selection in selections {
            let groups = match &selection {
                Selection::Named(g) | Selection::Global(g) => g.as_slice(),
                Selection::None => &[],
            };
            let mut list: Vec<usize> = groups
                .iter()
                .flat_map(|&g| super::span(&robots.groups[g].rules))
                .filter(|&r| !robots.pattern(r).is_empty())
                .collect();
            // Priority order; equal rules keep the first in file order.
            list.sort_by(|&a, &b| {
                let (ra, rb) = (&robots.rules[a], &robots.rules[b]);
                let (pa, pb) = (robots.pattern(a), robots.pattern(b));
                pb.len()
                    .cmp(&pa.len())
                    .then(rb.allow.cmp(&ra.allow))
                    .then(pa.cmp(pb))
                    .then(a.cmp(&b))
            });
            list.dedup_by(|b, a| {
                robots.pattern(*a) == robots.pattern(*b)
                    && robots.rules[*a].allow == robots.rules[*b].allow
            });
            let key: Vec<(&[u8], bool)> = list
                .iter()
                .map(|&r| (robots.pattern(r), robots.rules[r].allow))
                .collect();
            let content = match keys.iter().position(|k| *k == key) {
                Some(c) => c,
                None => {
                    contents.push(build_content(&key, &mut arena, &mut rules, &mut positions));
                    keys.push(key);
                    contents.len() - 1
                }
            };
            sets.push(RuleSet {
                selection,
                content: to_u32(content),
                rule_of: list.into_iter().map(to_u32).collect(),
            });
        }
        compiled.arena = arena.into_boxed_slice();
        compiled.rules = rules.into_boxed_slice();
        compiled.positions = positions.into_boxed_slice();
        let mut agents = Vec::with_capacity(compiled.by_agent.len());
        for (c, content) in contents.iter_mut().enumerate() {
            let start = to_u32(agents.len());
            for (agent, &set) in compiled.by_agent.iter().enumerate() {
                let set: &RuleSet = &sets[usize::from(set)];
                if set.content as usize == c {
                    let agent = u16::try_from(agent).expect("fewer than 65,536 agents");
                    agents.push(agent);
                    if content.first_named.is_none() && matches!(set.selection, Selection::Named(_))
                    {
                        content.first_named = Some(agent);
                    }
                }
            }
            content.agents = start..to_u32(agents.len());
        }
        compiled.agents = agents.into_boxed_slice();
        compiled.contents = contents.into_boxed_slice();
        compiled.sets = sets.into_boxed_slice();
        Ok(compiled)
    }

    /// The number of rules compiled, over all contents.
    #[must_use]
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// The number of distinct rule contents: how many matches a path costs.
    #[must_use]
    pub fn contents(&self) -> usize {
        self.contents.len()
    }

    /// The agents (positions in the compiled list) matched against content
    /// `content`, ascending.
    #[must_use]
    pub fn agents_of(&self, content: usize) -> &[u16] {
        let range = &self.contents[content].agents;
        &self.agents[range.start as usize..range.end as usize]
    }

    /// The first agent of content `content` whose own group applies (rather
    /// than the `*` groups), if any.
    #[must_use]
    pub fn first_named_agent(&self, content: usize) -> Option<usize> {
        self.contents[content].first_named.map(usize::from)
    }

    /// The number of distinct group selections among the agents.
    #[must_use]
    pub fn rule_sets(&self) -> usize {
        self.sets.len()
    }

    /// The content agent `agent` (its position in the compiled list) is
    /// matched against.
    #[must_use]
    pub fn content_of(&self, agent: usize) -> usize {
        self.sets[usize::from(self.by_agent[agent])].content as usize
    }

    /// Which groups apply to agent `agent`.
    #[must_use]
    pub fn selection(&self, agent: usize) -> &Selection {
        &self.sets[usize::from(self.by_agent[agent])].selection
    }

    /// Matches a normalised path (see [`super::normalize`], URL side)
    /// against content `content`. Does not allocate.
    #[must_use]
    pub fn match_content(&self, content: usize, path: &[u8]) -> ContentVerdict {
        self.match_probe(content, &Probe::new(path))
    }

    /// [`CompiledRobots::match_content`] for a prepared path: a path
    /// matched against several contents is prepared once.
    #[must_use]
    pub fn match_probe(&self, content: usize, probe: &Probe<'_>) -> ContentVerdict {
        if probe.robots_txt {
            return ContentVerdict::ALLOWED;
        }
        let path = probe.path;
        let content = &self.contents[content];
        let bucket = match path.get(1) {
            Some(&b) => match content.bucket_of[b as usize] {
                0 => 0..0,
                n => content.buckets[usize::from(n) - 1].clone(),
            },
            None => 0..0,
        };
        let bucket = &self.positions[bucket.start as usize..bucket.end as usize];
        let always = &self.positions[content.always.start as usize..content.always.end as usize];
        let rules = &self.rules[content.rules.start as usize..content.rules.end as usize];
        let test = |position: u32| {
            let rule = &rules[position as usize];
            (probe.head & prefix_mask(rule.prefix_len) == rule.prefix
                && (rule.prefix_decides
                    || (rule.needs & !probe.bytes == 0
                        && probe.tail & tail_mask(rule.tail_len) == rule.tail
                        && self.matches(rule, path))))
            .then_some(ContentVerdict {
                allowed: rule.allow,
                position: Some(position),
            })
        };
        // Merge the two ascending position lists; the first match wins.
        let (mut b, mut a) = (0, 0);
        while b < bucket.len() && a < always.len() {
            let position = if bucket[b] < always[a] {
                b += 1;
                bucket[b - 1]
            } else {
                a += 1;
                always[a - 1]
            };
            if let Some(verdict) = test(position) {
                return verdict;
            }
        }
        bucket[b..]
            .iter()
            .chain(&always[a..])
            .find_map(|&position| test(position))
            .unwrap_or(ContentVerdict::ALLOWED)
    }

    fn matches(&self, rule: &CompiledRule, path: &[u8]) -> bool {
        let body = &self.arena[rule.start as usize..rule.end as usize];
        super::matcher::matches(body, rule.anchored, rule.wildcard, path)
    }

    /// The full verdict for agent `agent`, given the verdict of its content.
    #[must_use]
    pub fn resolve(&self, agent: usize, verdict: ContentVerdict) -> Verdict {
        let set = &self.sets[usize::from(self.by_agent[agent])];
        Verdict {
            allowed: verdict.allowed,
            rule: verdict.position.map(|p| set.rule_of[p as usize] as usize),
        }
    }

    /// The verdict for agent `agent` on a normalised path.
    #[must_use]
    pub fn verdict(&self, agent: usize, path: &[u8]) -> Verdict {
        self.resolve(agent, self.match_content(self.content_of(agent), path))
    }
}

/// Whether a pattern can only match paths whose second byte is `pattern[1]`.
fn bucket_byte(pattern: &[u8]) -> Option<u8> {
    match pattern {
        [b'/', b'*', ..] => None,
        [b'/', b'$'] => None,
        [b'/', second, ..] => Some(*second),
        _ => None,
    }
}

fn build_content(
    key: &[(&[u8], bool)],
    arena: &mut Vec<u8>,
    rules: &mut Vec<CompiledRule>,
    positions: &mut Vec<u32>,
) -> Content {
    let first = to_u32(rules.len());
    for &(pattern, allow) in key {
        let (body, anchored) = match pattern.split_last() {
            Some((b'$', body)) => (body, true),
            _ => (pattern, false),
        };
        let start = to_u32(arena.len());
        arena.extend_from_slice(body);
        let literal = memchr::memchr(b'*', body).map_or(body, |star| &body[..star]);
        let prefix_len = literal.len().min(INLINE);
        let wildcard = literal.len() < body.len();
        // With an end anchor, the bytes after the last `*` end the path.
        let last = match memchr::memrchr(b'*', body) {
            Some(star) => &body[star + 1..],
            None => body,
        };
        let tail = if anchored {
            &last[last.len().saturating_sub(8)..]
        } else {
            &[]
        };
        rules.push(CompiledRule {
            needs: body
                .iter()
                .filter(|&&b| b != b'*')
                .fold(0, |set, &b| set | 1 << (b & 63)),
            tail: tail_of(tail),
            tail_len: u8::try_from(tail.len()).expect("at most 8"),
            prefix: head(&literal[..prefix_len]),
            prefix_len: u8::try_from(prefix_len).expect("at most 16"),
            prefix_decides: !wildcard && !anchored && prefix_len == body.len(),
            anchored,
            wildcard,
            allow,
            start,
            end: to_u32(arena.len()),
        });
    }
    let mut bucket_of = Box::new([0u8; 256]);
    let mut by_byte: Vec<(u8, Vec<u32>)> = Vec::new();
    let mut always = Vec::new();
    for (position, &(pattern, _)) in key.iter().enumerate() {
        let position = to_u32(position);
        match bucket_byte(pattern) {
            Some(byte) => match by_byte.iter_mut().find(|(b, _)| *b == byte) {
                Some((_, list)) => list.push(position),
                None => by_byte.push((byte, vec![position])),
            },
            None => always.push(position),
        }
    }
    let mut buckets = Vec::with_capacity(by_byte.len());
    for (n, (byte, list)) in by_byte.into_iter().enumerate() {
        bucket_of[byte as usize] =
            u8::try_from(n + 1).expect("at most 255 distinct bytes after `/`... and 256 fit");
        let start = to_u32(positions.len());
        positions.extend(list);
        buckets.push(start..to_u32(positions.len()));
    }
    let start = to_u32(positions.len());
    positions.extend(always);
    Content {
        rules: first..to_u32(rules.len()),
        bucket_of,
        buckets: buckets.into_boxed_slice(),
        always: start..to_u32(positions.len()),
        agents: 0..0,
        first_named: None,
    }
}
