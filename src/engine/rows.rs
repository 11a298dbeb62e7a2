//! The chunk processor's row table: each row's place in the chunk, its
//! host id and its state through the passes, the parsed rows waiting for
//! their host ids, and the spans that locate hosts and paths; and what a
//! judged row reports in a batch ([`crate::engine::batch`]). Kept apart
//! from the passes (`chunk.rs`) so that the per-thread scratch
//! (`decide.rs`) can hold these tables without the two importing each
//! other.

use crate::blocklist::HitRef;
use crate::engine::Engine;
use crate::engine::row_code::{RowCode, RowOutcome};
use crate::engine::usage::UsageHit;
use crate::signals::aipref::Pref;
use crate::signals::{ReasonCode, SkipReason};

/// Where a host or path lies: in the chunk, or in the side buffer.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Span {
    pub(super) start: u32,
    pub(super) len: u32,
    pub(super) side: bool,
}

/// A row's state through the passes. `Copy`, so that pass 2's scattered
/// writes are plain stores (no drop of the old value to read first).
#[derive(Clone, Copy, Debug)]
pub(crate) enum State {
    Skip(SkipReason),
    /// Not a row of its format; the index of its message in the chunk's
    /// list, `u32::MAX` past the first [`crate::engine::MAX_PROBLEMS`].
    Bad(SkipReason, u32),
    /// Index into the chunk's list of invalid rows.
    Invalid(u32),
    Parsed,
    Keep {
        without_policy: bool,
        usage: Pref,
    },
    Blocked(HitRef, Option<u32>),
    NoPolicy,
    Unreachable(u32),
    Disallow {
        policy: u32,
        agent: u32,
        rule: u32,
        aware: bool,
    },
    /// Removed by the usage stage; `policy` is `u32::MAX` for a host
    /// without one.
    Usage {
        policy: u32,
        pref: Pref,
        hit: Option<UsageHit>,
    },
}

/// One row of a chunk.
#[derive(Debug)]
pub(crate) struct Row {
    /// The row's bytes in the chunk, line end included.
    pub(super) raw_start: u32,
    pub(super) raw_len: u32,
    /// Length without the line end.
    pub(super) line_len: u32,
    /// The host's id in the chunk's host table.
    pub(super) host: u32,
    pub(super) state: State,
}

/// A parsed row waiting for pass 2: `key` is (host id << 32 | row).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pending {
    pub(super) key: u64,
    pub(super) path: Span,
}

/// Counting sort of `order` by host id into `sorted`: O(rows + hosts), and
/// stable, so a host's rows stay in input order.
pub(super) fn sort_by_host(
    order: &[Pending],
    sorted: &mut Vec<Pending>,
    starts: &mut Vec<u32>,
    hosts: usize,
) {
    starts.clear();
    starts.resize(hosts + 1, 0);
    for pending in order {
        starts[(pending.key >> 32) as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    sorted.clear();
    sorted.resize(
        order.len(),
        Pending {
            key: 0,
            path: Span::default(),
        },
    );
    for pending in order {
        let slot = &mut starts[(pending.key >> 32) as usize];
        sorted[*slot as usize] = *pending;
        *slot += 1;
    }
}

pub(super) fn span_of(part: &[u8], data: &[u8], side: &mut Vec<u8>) -> Span {
    let base = data.as_ptr() as usize;
    let at = part.as_ptr() as usize;
    let len = u32::try_from(part.len()).expect("chunks are far below 4 GiB");
    if at >= base && at + part.len() <= base + data.len() {
        Span {
            start: u32::try_from(at - base).expect("chunks are far below 4 GiB"),
            len,
            side: false,
        }
    } else {
        let start = u32::try_from(side.len()).expect("chunks are far below 4 GiB");
        side.extend_from_slice(part);
        Span {
            start,
            len,
            side: true,
        }
    }
}

pub(super) fn bytes<'a>(span: Span, data: &'a [u8], side: &'a [u8]) -> &'a [u8] {
    let source = if span.side { side } else { data };
    &source[span.start as usize..(span.start + span.len) as usize]
}

/// A parsed row waiting in pass 1's block for its host id.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Parsed {
    pub(super) row: u32,
    /// The origin key's range in the block's key buffer.
    pub(super) key: (u32, u32),
    pub(super) tag: u32,
    pub(super) hash: u64,
    pub(super) path: Span,
}

impl Engine {
    /// What a judged row's state reports in a batch: its code, and for a
    /// removal by robots.txt or a usage statement, the agent (and for
    /// robots.txt, the rule's line).
    pub(super) fn outcome_of(&self, state: &State) -> RowOutcome {
        let reason = |reason: ReasonCode| RowOutcome {
            code: RowCode::Removed(reason),
            agent: None,
            line: None,
        };
        match *state {
            State::Keep { .. } => RowOutcome::default(),
            State::Skip(skip) | State::Bad(skip, _) => RowOutcome {
                code: RowCode::Skipped(skip),
                agent: None,
                line: None,
            },
            State::Invalid(_) => reason(ReasonCode::InvalidUrl),
            State::Blocked(..) => reason(ReasonCode::Blocklist),
            State::NoPolicy => reason(ReasonCode::NoPolicy),
            State::Unreachable(_) => reason(ReasonCode::RobotsUnreachable),
            State::Disallow {
                policy,
                agent,
                rule,
                aware,
            } => {
                let policy = self.snapshot.get_index(policy as usize);
                let robots = policy.robots();
                let robots = robots.map(|r| if aware { r.usage_reading() } else { r });
                RowOutcome {
                    code: RowCode::Removed(ReasonCode::RobotsDisallow),
                    agent: u16::try_from(agent).ok(),
                    line: robots
                        .and_then(|r| r.rules.get(rule as usize))
                        .map(|r| r.line),
                }
            }
            State::Usage { hit, .. } => RowOutcome {
                code: RowCode::Removed(crate::engine::usage::usage_reason(hit)),
                agent: hit.map(|h| h.agent),
                line: None,
            },
            State::Parsed => unreachable!("pass 2 judges every parsed row"),
        }
    }
}
