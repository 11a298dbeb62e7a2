//! Judging a chunk host by host, writing results in input order.
//!
//! Deciding rows in input order touches a different host's policy on almost
//! every row; with thousands of hosts those policies are cold in cache, and
//! fetching them costs more than matching. So a chunk is judged in three
//! passes:
//!
//! 1. split rows, skip blank and comment rows, parse URLs, and note each
//!    row's host and path (as spans of the chunk, or of a side buffer when
//!    parsing had to rewrite them);
//! 2. sort the parsed rows by a hash of their host, and judge them group by
//!    group: the host is looked up once, and its rules stay in cache while
//!    its rows are matched;
//! 3. walk the rows in input order to count them and write kept rows and
//!    removed records.
//!
//! Every row gets exactly one final state; pass 3 counts each once. The
//! sort uses a fixed-seed hash, but the order in which rows are judged has
//! no effect on any output: outputs are written in pass 3, in input order.

use std::hash::BuildHasher;

use crate::blocklist::HitRef;
use crate::corpus::Chunk;
use crate::engine::decide::{Evidence, HostVerdict, Removal, Scratch, skip_reason, trim};
use crate::engine::stats::Stats;
use crate::engine::{ChunkResult, Engine, MAX_PROBLEMS, MissingPolicy, Outputs};
use crate::origin::InvalidUrl;
use crate::signals::{ReasonCode, SkipReason};

/// Where a host or path lies: in the chunk, or in the side buffer.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Span {
    start: u32,
    len: u32,
    side: bool,
}

/// A row's state through the passes.
#[derive(Debug)]
pub(crate) enum State {
    Skip(SkipReason),
    Invalid(InvalidUrl),
    Parsed,
    Keep { without_policy: bool },
    Blocked(HitRef, Option<u32>),
    NoPolicy,
    Unreachable(u32),
    Disallow { policy: u32, agent: u32, rule: u32 },
}

/// One row of a chunk.
#[derive(Debug)]
pub(crate) struct Row {
    /// The row's bytes in the chunk, line end included.
    raw_start: u32,
    raw_len: u32,
    /// Length without the line end.
    line_len: u32,
    host: Span,
    path: Span,
    state: State,
}

fn span_of(part: &[u8], data: &[u8], side: &mut Vec<u8>) -> Span {
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

fn bytes<'a>(span: Span, data: &'a [u8], side: &'a [u8]) -> &'a [u8] {
    let source = if span.side { side } else { data };
    &source[span.start as usize..(span.start + span.len) as usize]
}

fn host_str<'a>(span: Span, data: &'a [u8], side: &'a [u8]) -> &'a str {
    // Hosts come out of the URL parser as ASCII.
    std::str::from_utf8(bytes(span, data, side)).expect("parsed hosts are ASCII")
}

impl Engine {
    /// Judges every line of `chunk` into `out` (cleared first).
    pub fn process_chunk(
        &self,
        chunk: &Chunk,
        outputs: Outputs,
        scratch: &mut Scratch,
        out: &mut ChunkResult,
    ) {
        out.kept.clear();
        out.removed.clear();
        out.problems.clear();
        out.stats = Stats::new(self.agents.len());
        let data = &chunk.data[..];
        let Scratch {
            parser,
            verdicts,
            rows,
            order,
            side,
            content_hits,
            policy_removed,
        } = scratch;
        rows.clear();
        order.clear();
        side.clear();
        content_hits.clear();
        policy_removed.clear();
        let hasher = foldhash::fast::FixedState::with_seed(0x9309);

        // Pass 1: split and parse.
        let mut offset = 0;
        while offset < data.len() {
            let end =
                memchr::memchr(b'\n', &data[offset..]).map_or(data.len(), |at| offset + at + 1);
            let raw = &data[offset..end];
            let line = raw.strip_suffix(b"\n").unwrap_or(raw);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let mut row = Row {
                raw_start: offset as u32,
                raw_len: raw.len() as u32,
                line_len: line.len() as u32,
                host: Span::default(),
                path: Span::default(),
                state: State::Parsed,
            };
            offset = end;
            let text = trim(line);
            if let Some(reason) = skip_reason(text) {
                row.state = State::Skip(reason);
            } else {
                match parser.parse_bytes(text) {
                    Ok(url) => {
                        row.host = span_of(url.host.as_bytes(), data, side);
                        row.path = span_of(url.path, data, side);
                        order.push((hasher.hash_one(url.host), rows.len() as u32));
                    }
                    Err(err) => row.state = State::Invalid(err),
                }
            }
            rows.push(row);
        }

        // Pass 2: judge host by host.
        order.sort_unstable();
        let mut current: Option<(&[u8], HostVerdict<'_>)> = None;
        for &(_, index) in order.iter() {
            let row = &mut rows[index as usize];
            let host = bytes(row.host, data, side);
            let verdict = match current {
                Some((h, verdict)) if h == host => verdict,
                _ => {
                    let verdict = self.judge_host(host_str(row.host, data, side));
                    current = Some((host, verdict));
                    verdict
                }
            };
            row.state = match verdict {
                HostVerdict::Blocked(hit, policy) => {
                    State::Blocked(hit, policy.map(|p| p.index as u32))
                }
                HostVerdict::Missing => match self.missing {
                    MissingPolicy::Allow => State::Keep {
                        without_policy: true,
                    },
                    MissingPolicy::Deny | MissingPolicy::Error => State::NoPolicy,
                },
                HostVerdict::Unreachable(policy) => State::Unreachable(policy.index as u32),
                HostVerdict::Rules(policy, compiled) => {
                    match self.judge_path(compiled, bytes(row.path, data, side), verdicts) {
                        None => State::Keep {
                            without_policy: false,
                        },
                        Some((agent, rule)) => {
                            for (content, verdict) in verdicts.iter().enumerate() {
                                if !verdict.allowed {
                                    *content_hits
                                        .entry((policy.index as u32, content as u32))
                                        .or_default() += 1;
                                }
                            }
                            State::Disallow {
                                policy: policy.index as u32,
                                agent: agent as u32,
                                rule: rule as u32,
                            }
                        }
                    }
                }
            };
        }

        // Pass 3: count and write, in input order.
        let policies = self.snapshot.policies();
        for (index, row) in rows.iter().enumerate() {
            let number = chunk.first_line + index as u64;
            let raw = &data[row.raw_start as usize..(row.raw_start + row.raw_len) as usize];
            let line = &raw[..row.line_len as usize];
            out.stats.rows += 1;
            let host = || host_str(row.host, data, side);
            let removal = match &row.state {
                State::Skip(reason) => {
                    out.stats.skipped[reason.index()] += 1;
                    continue;
                }
                State::Keep { without_policy } => {
                    out.stats.kept += 1;
                    out.stats.kept_without_policy += u64::from(*without_policy);
                    if outputs.kept {
                        out.kept.extend_from_slice(raw);
                    }
                    continue;
                }
                State::Parsed => unreachable!("pass 2 judges every parsed row"),
                State::Invalid(err) => Removal {
                    reason: ReasonCode::InvalidUrl,
                    host: None,
                    domain: None,
                    evidence: Evidence::InvalidUrl(err.clone()),
                },
                State::Blocked(hit, policy) => Removal {
                    reason: ReasonCode::Blocklist,
                    host: Some(host()),
                    domain: policy.map(|p| &*self.hosts[p as usize].domain),
                    evidence: Evidence::Blocklist(self.blocklists.hit(*hit)),
                },
                State::NoPolicy => Removal {
                    reason: ReasonCode::NoPolicy,
                    host: Some(host()),
                    domain: None,
                    evidence: Evidence::NoPolicy,
                },
                State::Unreachable(policy) => Removal {
                    reason: ReasonCode::RobotsUnreachable,
                    host: Some(host()),
                    domain: Some(&self.hosts[*policy as usize].domain),
                    evidence: Evidence::Unreachable(&policies.policies()[*policy as usize]),
                },
                State::Disallow {
                    policy,
                    agent,
                    rule,
                } => {
                    let policy = self.snapshot.get_index(*policy as usize);
                    self.disallow_removal(host(), policy, *agent as usize, *rule as usize)
                }
            };
            let policy = match row.state {
                State::Blocked(_, Some(p))
                | State::Unreachable(p)
                | State::Disallow { policy: p, .. } => Some(p),
                _ => None,
            };
            if let Some(policy) = policy {
                *policy_removed.entry(policy).or_default() += 1;
            }
            self.count_removal(
                &removal,
                number,
                policy.is_none(),
                &mut out.stats,
                &mut out.problems,
            );
            if outputs.removed {
                self.write_removed(line, number, &removal, &mut out.removed);
            }
        }
        for (&(policy, content), &n) in content_hits.iter() {
            let compiled = self
                .snapshot
                .get_index(policy as usize)
                .compiled
                .expect("disallow implies rules");
            for &agent in compiled.agents_of(content as usize) {
                out.stats.agent_disallowed[usize::from(agent)] += n;
            }
        }
        for (&policy, &n) in policy_removed.iter() {
            let domain = &self.hosts[policy as usize].domain;
            match out.stats.removed_domains.get_mut(&**domain) {
                Some(count) => *count += n,
                None => {
                    out.stats.removed_domains.insert(domain.to_string(), n);
                }
            }
        }
        debug_assert!(out.problems.len() <= MAX_PROBLEMS);
    }
}
