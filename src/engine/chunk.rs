//! Judging a chunk host by host, writing results in input order.
//!
//! Deciding rows in input order touches a different host's policy on almost
//! every row; with thousands of hosts those policies are cold in cache, and
//! fetching them costs more than matching. So a chunk is judged in three
//! passes:
//!
//! 1. split rows, skip blank and comment rows, parse URLs, give each
//!    distinct host of the chunk a dense id (its bytes copied once into a
//!    small arena while they are hot), and note each row's path (a span of
//!    the chunk, or of a side buffer when parsing rewrote it);
//! 2. sort the parsed rows by host id (a counting sort: ids are dense),
//!    and judge them host by host:
//!    the host is looked up once, and its rules stay in cache while its rows
//!    are matched; the sorted entries carry what pass 2 reads, so it reads
//!    them in order;
//! 3. walk the rows in input order to count them and write kept rows and
//!    removed records.
//!
//! Every row gets exactly one final state; pass 3 counts each once. The
//! order in which rows are judged has no effect on any output: outputs are
//! written in pass 3, in input order.

use crate::corpus::Chunk;
use crate::corpus::RowUrl;
use crate::engine::as_of;
use crate::engine::decide::{Evidence, HostVerdict, Removal, Scratch};
use crate::engine::hosts::HostTable;
use crate::engine::prefetch::prefetch;
use crate::engine::rows::{Parsed, Pending, Row, State, bytes, sort_by_host, span_of};
use crate::engine::stats::Stats;
use crate::engine::usage::UsagePlan;
use crate::engine::{ChunkResult, Engine, MAX_PROBLEMS, MissingPolicy, Outputs};
use crate::signals::{ReasonCode, SkipReason};

/// Running totals of pass 2 for the host being judged.
#[derive(Default)]
struct Group<'a> {
    /// The host's policy, when it has one.
    policy: Option<crate::policy::PolicyRef<'a>>,
    /// Removed rows of the host.
    removed: u64,
    /// Disallowed rows per rule content of the policy.
    hits: Vec<u64>,
}

impl<'a> Group<'a> {
    fn start(&mut self, verdict: HostVerdict<'a>) {
        self.removed = 0;
        self.hits.clear();
        self.policy = match verdict {
            HostVerdict::Blocked(_, policy) => policy,
            HostVerdict::Unreachable(policy) => Some(policy),
            HostVerdict::Rules(policy, compiled) => {
                self.hits.resize(compiled.contents(), 0);
                Some(policy)
            }
            HostVerdict::Missing => None,
        };
    }
}

impl Engine {
    /// Adds a finished host's totals to `stats`.
    fn flush(&self, group: &mut Group<'_>, stats: &mut Stats) {
        let Some(policy) = group.policy.take() else {
            return;
        };
        if group.removed > 0 {
            let domain = &self.hosts[policy.index].domain;
            match stats.removed_domains.get_mut(&**domain) {
                Some(count) => *count += group.removed,
                None => {
                    stats
                        .removed_domains
                        .insert(domain.to_string(), group.removed);
                }
            }
        }
        if let Some(compiled) = policy.compiled {
            for (content, &hits) in group.hits.iter().enumerate().filter(|(_, h)| **h > 0) {
                for &agent in compiled.agents_of(content) {
                    stats.agent_disallowed[usize::from(agent)] += hits;
                }
            }
        }
    }
}

/// Parsed rows interned together: their hosts' slots are prefetched as
/// each is parsed, and looked up once the block is full, by which time
/// they are in cache (see [`crate::engine::hosts`]).
const BLOCK: usize = 16;

/// How many sorted rows ahead pass 2 prefetches.
const AHEAD: usize = 8;

/// Gives the rows of `block` their host ids and queues them for pass 2.
fn intern_block(
    block: &mut Vec<Parsed>,
    keys: &mut Vec<u8>,
    hosts: &mut HostTable,
    rows: &mut [Row],
    order: &mut Vec<Pending>,
) {
    for parsed in block.iter() {
        let key = &keys[parsed.key.0 as usize..parsed.key.1 as usize];
        let host = hosts.intern(key, parsed.tag, parsed.hash);
        rows[parsed.row as usize].host = host;
        order.push(Pending {
            key: u64::from(host) << 32 | u64::from(parsed.row),
            path: parsed.path,
        });
    }
    block.clear();
    keys.clear();
}

/// The rows of a unit of work: the lines of a chunk, or the cells of a
/// column (a Parquet batch's URLs).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Rows<'a> {
    /// Lines, each with its line end.
    Lines(&'a [u8]),
    /// Cells back to back in `data`: per row, its span, `None` for a null
    /// cell (skipped as `no-url-field`); `tokens`, per row, its token
    /// count when tokens are counted.
    Cells {
        data: &'a [u8],
        spans: &'a [Option<(u32, u32)>],
        tokens: Option<&'a [Option<u64>]>,
    },
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
        self.judge_rows(
            Rows::Lines(&chunk.data),
            chunk.first_line,
            outputs,
            scratch,
            out,
        );
    }

    /// Judges `rows`, the first numbered `first_row`, into `out` (cleared
    /// first). For cells, `out.keep` gets each row's verdict instead of
    /// kept bytes, and no bytes are counted: a cell is not the row.
    pub(crate) fn judge_rows(
        &self,
        source: Rows<'_>,
        first_row: u64,
        outputs: Outputs,
        scratch: &mut Scratch,
        out: &mut ChunkResult,
    ) {
        out.kept.clear();
        out.keep.clear();
        out.outcomes.clear();
        out.removed.clear();
        out.problems.clear();
        out.first_bad = None;
        out.stats = Stats::new(self.agents.len());
        let (data, cells) = match source {
            Rows::Lines(data) => (data, None),
            Rows::Cells {
                data,
                spans,
                tokens,
            } => (data, Some((spans, tokens))),
        };
        let Scratch {
            parser,
            verdicts,
            aware_verdicts,
            rows,
            order,
            side,
            sorted,
            starts,
            hosts,
            block,
            keys,
            invalid,
            json,
            bad,
            ..
        } = scratch;
        invalid.clear();
        bad.clear();
        rows.clear();
        order.clear();
        side.clear();
        hosts.clear();

        // Pass 1: split and parse.
        let mut offset = 0;
        let mut cell = 0;
        loop {
            let (mut row, line) = match cells {
                None if offset < data.len() => {
                    let end = memchr::memchr(b'\n', &data[offset..])
                        .map_or(data.len(), |at| offset + at + 1);
                    let raw = &data[offset..end];
                    let line = raw.strip_suffix(b"\n").unwrap_or(raw);
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    let row = Row {
                        raw_start: offset as u32,
                        raw_len: raw.len() as u32,
                        line_len: line.len() as u32,
                        host: 0,
                        state: State::Parsed,
                    };
                    offset = end;
                    (row, line)
                }
                Some((spans, _)) if cell < spans.len() => {
                    let span = spans[cell];
                    cell += 1;
                    let (start, len) = span.unwrap_or((0, 0));
                    let mut row = Row {
                        raw_start: start,
                        raw_len: len,
                        line_len: len,
                        host: 0,
                        state: State::Parsed,
                    };
                    if span.is_none() {
                        row.state = State::Skip(SkipReason::NoUrlField);
                        rows.push(row);
                        continue;
                    }
                    (row, &data[start as usize..(start + len) as usize])
                }
                _ => break,
            };
            match self.format.url_of(line, json) {
                RowUrl::Skip(reason) => row.state = State::Skip(reason),
                RowUrl::Bad(reason, message) => {
                    let at = if bad.len() < MAX_PROBLEMS {
                        bad.push(message);
                        bad.len() as u32 - 1
                    } else {
                        u32::MAX
                    };
                    row.state = State::Bad(reason, at);
                }
                RowUrl::Url(text) => match parser.parse_bytes(text) {
                    Ok(url) => {
                        let start = keys.len();
                        crate::origin::push_origin_key(&url, keys);
                        let key = &keys[start..];
                        let tag = if self.by_crawl_time() {
                            let origin = std::str::from_utf8(key).expect("origin keys are ASCII");
                            let (tag, crawl) =
                                self.policy_tag(origin, self.format.crawl_time(line));
                            if let Some(crawl) = crawl {
                                out.stats.crawl_time[crawl.time.index()] += 1;
                            }
                            tag
                        } else {
                            as_of::CURRENT
                        };
                        let hash = hosts.hash(key, tag);
                        hosts.prefetch(hash);
                        block.push(Parsed {
                            row: rows.len() as u32,
                            key: (start as u32, keys.len() as u32),
                            tag,
                            hash,
                            path: span_of(url.path, data, side),
                        });
                    }
                    Err(err) => {
                        row.state = State::Invalid(invalid.len() as u32);
                        invalid.push(err);
                    }
                },
            }
            rows.push(row);
            if block.len() == BLOCK {
                intern_block(block, keys, hosts, rows, order);
            }
        }
        intern_block(block, keys, hosts, rows, order);

        // Pass 2: judge host by host. Counts that belong to the host (removed
        // rows per domain, disallowed rows per agent) are kept in running
        // totals and added to the stats when the host changes.
        sort_by_host(order, sorted, starts, hosts.len());
        let mut current: Option<(u32, HostVerdict<'_>, Option<&UsagePlan>)> = None;
        let mut group = Group::default();
        for (at, pending) in sorted.iter().enumerate() {
            // Rows sorted by host lie at random places in the chunk: start
            // loading a later row's path and state while this one is judged.
            if let Some(ahead) = sorted.get(at + AHEAD) {
                if let Some(byte) = bytes(ahead.path, data, side).first() {
                    prefetch(byte);
                }
                prefetch(&rows[ahead.key as u32 as usize]);
            }
            let (host, index) = ((pending.key >> 32) as u32, pending.key as u32);
            let (verdict, plan) = match current {
                Some((id, verdict, plan)) if id == host => (verdict, plan),
                _ => {
                    self.flush(&mut group, &mut out.stats);
                    let key = hosts.get(host);
                    let verdict = match hosts.tag(host) {
                        as_of::CURRENT => self.judge_host(key),
                        as_of::NONE => self.judge_host_with(key, None),
                        index => {
                            self.judge_host_with(key, Some(self.snapshot.get_index(index as usize)))
                        }
                    };
                    let plan = match verdict {
                        HostVerdict::Rules(policy, _) => self.plan_of(Some(policy)),
                        _ => None,
                    };
                    if matches!(verdict, HostVerdict::Missing) {
                        // Kept rows name their origin too (`--missing-policy
                        // allow`): reports count every origin without one.
                        out.stats.note_without_policy(key);
                    }
                    current = Some((host, verdict, plan));
                    group.start(verdict);
                    (verdict, plan)
                }
            };
            let usage = |policy: Option<crate::policy::PolicyRef<'_>>, path: &[u8]| match self
                .judge_usage(plan, path)
            {
                Ok(usage) => State::Keep {
                    without_policy: policy.is_none(),
                    usage,
                },
                Err((pref, hit)) => State::Usage {
                    policy: policy.map_or(u32::MAX, |p| p.index as u32),
                    pref,
                    hit,
                },
            };
            let state = match verdict {
                HostVerdict::Blocked(hit, policy) => {
                    State::Blocked(hit, policy.map(|p| p.index as u32))
                }
                HostVerdict::Missing => match self.missing {
                    MissingPolicy::Allow => usage(None, bytes(pending.path, data, side)),
                    MissingPolicy::Deny | MissingPolicy::Error => State::NoPolicy,
                },
                HostVerdict::Unreachable(policy) => State::Unreachable(policy.index as u32),
                HostVerdict::Rules(policy, compiled) => {
                    let path = bytes(pending.path, data, side);
                    match self.judge_access(policy, compiled, path, verdicts, aware_verdicts) {
                        None => usage(Some(policy), path),
                        Some((agent, rule, aware)) => {
                            if aware {
                                // The aware reading's contents differ from
                                // the hit counters'; count the named agent.
                                out.stats.agent_disallowed[agent] += 1;
                            } else {
                                for (hits, verdict) in group.hits.iter_mut().zip(verdicts.iter()) {
                                    *hits += u64::from(!verdict.allowed);
                                }
                            }
                            State::Disallow {
                                policy: policy.index as u32,
                                agent: agent as u32,
                                rule: rule as u32,
                                aware,
                            }
                        }
                    }
                }
            };
            if !matches!(state, State::Keep { .. }) {
                group.removed += 1;
            }
            rows[index as usize].state = state;
        }
        self.flush(&mut group, &mut out.stats);

        // Pass 3: count and write, in input order.
        let policies = self.snapshot.policies();
        let counting_tokens = self.tokens_field().is_some()
            && matches!(self.format, crate::corpus::RowFormat::JsonLines(_));
        let cell_tokens = cells.and_then(|(_, tokens)| tokens);
        let tokens_of = |index: usize, line: &[u8], json: &mut crate::corpus::json::Scratch| {
            match cell_tokens {
                Some(tokens) => tokens[index],
                None => self.tokens_of(line, json),
            }
        };
        let counting_tokens = counting_tokens || cell_tokens.is_some();
        for (index, row) in rows.iter().enumerate() {
            let number = first_row + index as u64;
            let raw = &data[row.raw_start as usize..(row.raw_start + row.raw_len) as usize];
            let line = &raw[..row.line_len as usize];
            out.stats.rows += 1;
            if cells.is_some() {
                out.keep.push(matches!(row.state, State::Keep { .. }));
                if outputs.outcomes {
                    out.outcomes.push(self.outcome_of(&row.state));
                }
            } else {
                out.stats.bytes += u64::from(row.raw_len);
            }
            let origin = || hosts.get(row.host);
            let host = || super::decide::host_of(origin());
            // What every removed row adds, whichever way it is counted.
            let mut tally = |reason: ReasonCode, stats: &mut Stats| {
                if cells.is_none() {
                    stats.removed_bytes[reason.index()] += u64::from(row.raw_len);
                }
                if counting_tokens {
                    stats.count_tokens(tokens_of(index, line, json), Some(reason));
                }
            };
            // Rows of hosts with a policy had their domain counted in pass 2.
            let counted = matches!(
                row.state,
                State::Blocked(_, Some(_)) | State::Unreachable(_) | State::Disallow { .. }
            ) || matches!(row.state, State::Usage { policy, .. } if policy != u32::MAX);
            if counted && !outputs.removed && !self.by_crawl_time() {
                // Such a row, unwritten, needs only its reason counted:
                // building its removal would read its host's key and policy
                // for nothing.
                let reason = match row.state {
                    State::Blocked(..) => ReasonCode::Blocklist,
                    State::Unreachable(_) => ReasonCode::RobotsUnreachable,
                    State::Usage { pref, hit, .. } => {
                        out.stats.count_usage(pref);
                        super::usage::usage_reason(hit)
                    }
                    State::Disallow { .. } => ReasonCode::RobotsDisallow,
                    _ => unreachable!("only the states counted above"),
                };
                out.stats.removed[reason.index()] += 1;
                tally(reason, &mut out.stats);
                continue;
            }
            let mut removal = match &row.state {
                State::Skip(reason) => {
                    out.stats.skipped[reason.index()] += 1;
                    continue;
                }
                State::Bad(reason, at) => {
                    out.stats.skipped[reason.index()] += 1;
                    if let Some(message) = bad.get(*at as usize) {
                        let problem = super::RowProblem {
                            line: number,
                            message: message.clone(),
                            skipped: Some(*reason),
                        };
                        if out.first_bad.is_none() {
                            out.first_bad = Some(problem.clone());
                        }
                        if out.problems.len() < MAX_PROBLEMS {
                            out.problems.push(problem);
                        }
                    }
                    continue;
                }
                State::Keep {
                    without_policy,
                    usage,
                } => {
                    if counting_tokens {
                        out.stats.count_tokens(tokens_of(index, line, json), None);
                    }
                    out.stats.kept += 1;
                    if cells.is_none() {
                        out.stats.kept_bytes += u64::from(row.raw_len);
                    }
                    out.stats.kept_without_policy += u64::from(*without_policy);
                    out.stats.count_usage(*usage);
                    if outputs.kept {
                        out.kept.extend_from_slice(raw);
                    }
                    continue;
                }
                State::Parsed => unreachable!("pass 2 judges every parsed row"),
                State::Invalid(at) => Removal {
                    reason: ReasonCode::InvalidUrl,
                    host: None,
                    origin: None,
                    domain: None,
                    evidence: Evidence::InvalidUrl(invalid[*at as usize].clone()),
                    crawl: None,
                },
                State::Blocked(hit, policy) => Removal {
                    reason: ReasonCode::Blocklist,
                    host: Some(host()),
                    origin: Some(origin()),
                    domain: policy.map(|p| &*self.hosts[p as usize].domain),
                    evidence: Evidence::Blocklist(self.blocklists.hit(*hit)),
                    crawl: None,
                },
                State::NoPolicy => Removal {
                    reason: ReasonCode::NoPolicy,
                    host: Some(host()),
                    origin: Some(origin()),
                    domain: None,
                    evidence: Evidence::NoPolicy,
                    crawl: None,
                },
                State::Unreachable(policy) => Removal {
                    reason: ReasonCode::RobotsUnreachable,
                    host: Some(host()),
                    origin: Some(origin()),
                    domain: Some(&self.hosts[*policy as usize].domain),
                    evidence: Evidence::Unreachable(policies.policy(*policy as usize)),
                    crawl: None,
                },
                State::Disallow {
                    policy,
                    agent,
                    rule,
                    aware,
                } => {
                    let policy = self.snapshot.get_index(*policy as usize);
                    self.disallow_removal(origin(), policy, *agent as usize, *rule as usize, *aware)
                }
                State::Usage { policy, pref, hit } => {
                    out.stats.count_usage(*pref);
                    let policy = Some(*policy as usize).filter(|&p| p != u32::MAX as usize);
                    let policy = policy.map(|p| self.snapshot.get_index(p));
                    self.usage_removal(origin(), policy, *pref, *hit)
                }
            };
            if self.by_crawl_time() && removal.origin.is_some() {
                removal.crawl = self.policy_at(origin(), self.format.crawl_time(line)).1;
            }
            tally(removal.reason, &mut out.stats);
            self.count_removal(
                &removal,
                number,
                !counted,
                &mut out.stats,
                &mut out.problems,
            );
            if outputs.removed {
                let url = match self.format.url_of(line, json) {
                    RowUrl::Url(url) => url,
                    _ => line,
                };
                self.write_removed(url, number, &removal, &mut out.removed);
            }
        }
        debug_assert!(out.problems.len() <= MAX_PROBLEMS);
    }
}
