//! Filtering a WARC file: every record with a target URI is judged by its
//! URI as `filter` judges a URL (blocklists, robots.txt, the origin's usage
//! statements), and a `response` record also by what the stored response
//! itself says: its `X-Robots-Tag`, `tdm-reservation` and `Content-Usage`
//! headers and the meta tags of its HTML head (see
//! [`crate::signals::page`]); a response's own `tdm-reservation`
//! supersedes the site's tdmrep.json. Records that share a target URI and follow
//! each other (Common Crawl's request, response and metadata records) are
//! kept or removed together, by the verdict of the group. `warcinfo`
//! records (no target URI) are kept. Kept records are written back as they
//! lay in the file: for `.warc.gz`, the same gzip members.
//!
//! Records are read one at a time, so memory is bounded by one group of
//! records. The run is sequential: a `.warc.gz` must be decompressed
//! member by member to find where each ends.

use std::io::Write;

use serde::Serialize;

use crate::corpus::warc::{Record, WarcReader};
use crate::engine::{Decision, Engine, Evidence, Scratch, Stats, UsageOptions};
use crate::error::{Error, Result};
use crate::signals::ReasonCode;
use crate::signals::aipref::Pref;
use crate::signals::page::PageSignals;
use crate::signals::tdmrep::Reservation;

/// The most records of one target URI judged as one group: a longer run
/// (a hostile file repeating one URI) is split into groups of this many,
/// each judged on its own, so memory stays bounded.
pub const MAX_GROUP_RECORDS: usize = 1_000;

/// The most bytes of records held as one group, likewise.
pub const MAX_GROUP_BYTES: u64 = 1 << 30;

/// A record removed by what its own response said.
#[derive(Serialize)]
struct PageRemoval<'a> {
    row: u64,
    offset: u64,
    url: &'a str,
    reason: &'static str,
    purpose: &'static str,
    statement: &'static str,
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    record_id: Option<&'a str>,
}

/// What filtering a WARC file did.
#[derive(Debug)]
pub struct WarcOutcome {
    /// Counts: one row per record.
    pub stats: Stats,
    /// The first malformed record skipped (its number and what is wrong),
    /// for a message.
    pub first_bad: Option<(u64, String)>,
}

/// Captures judged between two questions to the observer.
const OBSERVE_EVERY: u64 = 256;

impl Engine {
    /// Filters the WARC `reader` into `kept` (records as they were) and,
    /// when given, `removed` (one JSON line per removed record, with its
    /// number, offset and evidence). `observer` hears the records judged
    /// and is asked whether to stop every few hundred captures.
    ///
    /// # Errors
    ///
    /// When a record is malformed (the error names it) or writing fails.
    pub fn filter_warc(
        &self,
        reader: &mut WarcReader,
        kept: &mut dyn Write,
        mut removed: Option<&mut dyn Write>,
        observer: &dyn crate::observe::Observer,
    ) -> Result<WarcOutcome> {
        observer.start(crate::observe::Stage::Judge, None);
        let _finished = super::run::Finished(observer);
        let meter = reader.meter().clone();
        let mut stats = Stats::new(self.agents.len());
        let mut scratch = Scratch::default();
        let mut group: Vec<Record> = Vec::new();
        let mut next = reader.next_record()?;
        let mut out = Vec::new();
        let mut first_bad: Option<(u64, String)> = None;
        let mut group_bytes = 0u64;
        let mut groups = 0u64;
        loop {
            let done = next.is_none();
            let same = match (&next, group.first()) {
                (Some(record), Some(first)) => {
                    record.target().is_some()
                        && record.target() == first.target()
                        && group.len() < MAX_GROUP_RECORDS
                        && group_bytes + record.raw.len() as u64 <= MAX_GROUP_BYTES
                }
                _ => false,
            };
            if !group.is_empty() && !same {
                out.clear();
                let write = removed.is_some();
                let keep =
                    self.judge_group(&group, &mut scratch, &mut stats, write.then_some(&mut out));
                for record in &group {
                    stats.rows += 1;
                    stats.bytes += record.raw.len() as u64;
                    if keep {
                        stats.kept += 1;
                        stats.kept_bytes += record.raw.len() as u64;
                        kept.write_all(&record.raw).map_err(|e| Error::io("-", e))?;
                    }
                }
                if let Some(removed) = removed.as_deref_mut() {
                    removed.write_all(&out).map_err(|e| Error::io("-", e))?;
                }
                group.clear();
                group_bytes = 0;
                groups += 1;
                if groups % OBSERVE_EVERY == 0 {
                    if observer.cancelled() {
                        return Err(crate::ErrorKind::Interrupted.into());
                    }
                    observer.progress(crate::observe::Stage::Judge, stats.rows, "");
                    observer.read(crate::observe::Stage::Judge, meter.read(), meter.total());
                }
            }
            if done {
                return Ok(WarcOutcome { stats, first_bad });
            }
            let record = next.take().expect("checked above");
            next = reader.next_record()?;
            if let Some(message) = &record.bad {
                // Under `--on-error skip` a malformed record is counted and
                // left out; under `fail` the run stops at it.
                if self.on_error == crate::corpus::OnError::Fail {
                    return Err(crate::error::ErrorKind::Record {
                        path: reader.path().to_owned(),
                        line: record.number,
                        message: format!("{message} (--on-error fail)"),
                    }
                    .into());
                }
                stats.rows += 1;
                stats.bytes += record.raw.len() as u64;
                stats.skipped[crate::signals::SkipReason::BadRecord.index()] += 1;
                if first_bad.is_none() {
                    first_bad = Some((record.number, message.clone()));
                }
                continue;
            }
            group_bytes += record.raw.len() as u64;
            group.push(record);
        }
    }

    /// Decides a group of records with one target URI (or a lone record
    /// without one); writes the removed records' lines into `out`, when
    /// they are asked for.
    fn judge_group(
        &self,
        group: &[Record],
        scratch: &mut Scratch,
        stats: &mut Stats,
        mut out: Option<&mut Vec<u8>>,
    ) -> bool {
        let Some(url) = group[0].target() else {
            return true;
        };
        let response = group
            .iter()
            .find(|r| r.kind().eq_ignore_ascii_case("response"));
        // The response's date is the crawl's; a group without one goes by
        // its first record's.
        let at = if self.by_crawl_time() {
            response
                .or(group.first())
                .and_then(|r| r.header("WARC-Date"))
                .and_then(|d| crate::time::parse_crawl(d.trim().as_bytes()))
        } else {
            None
        };
        let records = group.len() as u64;
        let mut page = response.map(page_of);
        let options = self.page_usage_options(page.as_ref().map(|(page, _)| page));
        let mut decision = self.decide_with(url.as_bytes(), at, &options, scratch);
        // What a media file embeds (a signature check costs about a
        // millisecond) is read only where it can change the outcome: for a
        // kept row, and for one the site's tdmrep.json removed, which the
        // file's own reservation supersedes in TDMRep's order.
        let by_file = matches!(&decision, Decision::Remove(r) if r.reason == ReasonCode::TdmRep);
        let open = matches!(decision, Decision::Keep { .. }) || by_file;
        if let (true, Some((page, _)), Some(response)) = (open, page.as_mut(), response) {
            self.read_media(page, response);
            if by_file && page.supersedes_tdm_file() {
                let options = self.page_usage_options(Some(page));
                decision = self.decide_with(url.as_bytes(), at, &options, scratch);
            }
        }
        let removal = match decision {
            Decision::Keep { without_policy, .. } => {
                stats.kept_without_policy += u64::from(without_policy);
                if without_policy {
                    // The key of the URL just decided, as the row path
                    // notes it.
                    let origin = std::str::from_utf8(&scratch.key).expect("origin keys are ASCII");
                    stats.note_without_policy(origin);
                }
                if let Some(crawl) = self.crawl_of(url.as_bytes(), at, scratch) {
                    stats.crawl_time[crawl.time.index()] += records;
                }
                match page.and_then(|(page, image)| self.page_removal(url, &page, image)) {
                    None => return true,
                    Some((reason, source)) => {
                        let bytes: u64 = group.iter().map(|r| r.raw.len() as u64).sum();
                        let shown = self.redaction().apply(url);
                        for record in group {
                            stats.removed[reason.index()] += 1;
                            let line = PageRemoval {
                                row: record.number,
                                offset: record.offset,
                                url: &shown,
                                reason: reason.as_str(),
                                purpose: self.usage.purpose.as_str(),
                                statement: Pref::Disallowed.as_str(),
                                source: &source,
                                record_id: record.header("WARC-Record-ID"),
                            };
                            if let Some(out) = out.as_deref_mut() {
                                serde_json::to_writer(&mut *out, &line).expect("JSON to a Vec");
                                out.push(b'\n');
                            }
                        }
                        stats.removed_bytes[reason.index()] += bytes;
                        return false;
                    }
                }
            }
            Decision::Skip(_) => return true,
            Decision::Remove(removal) => removal,
        };
        if let Some(crawl) = removal.crawl {
            stats.crawl_time[crawl.time.index()] += records;
        }
        let mut problems = Vec::new();
        for record in group {
            self.count_removal(&removal, record.number, true, stats, &mut problems);
            stats.removed_bytes[removal.reason.index()] += record.raw.len() as u64;
            if let Some(out) = out.as_deref_mut() {
                self.write_removed(url.as_bytes(), record.number, &removal, out);
            }
        }
        let disallow = match removal.evidence {
            Evidence::Disallow {
                policy,
                agent,
                aware,
                ..
            } => Some((policy.index, agent, aware)),
            _ => None,
        };
        // Every agent robots.txt disallowed is counted, as the chunk
        // processor counts them: from the verdict of each rule content,
        // which judging the path left in the scratch.
        if let Some((policy, agent, aware)) = disallow {
            match self.snapshot.get_index(policy).compiled.filter(|_| !aware) {
                Some(compiled) => {
                    for (content, verdict) in scratch.verdicts.iter().enumerate() {
                        if !verdict.allowed {
                            for &agent in compiled.agents_of(content) {
                                stats.agent_disallowed[usize::from(agent)] += records;
                            }
                        }
                    }
                }
                None => stats.agent_disallowed[agent] += records,
            }
        }
        false
    }

    /// Reads what a stored response's content embeds into `page`, when it
    /// is a PDF, EPUB, image or video and the run reads a signal it can
    /// carry (`--signals`).
    fn read_media(&self, page: &mut PageSignals, response: &Record) {
        use crate::signals::usage::Signal;
        let signals = self.usage.signals;
        if ![Signal::TdmRep, Signal::IptcDataMining, Signal::C2pa]
            .into_iter()
            .any(|s| signals.contains(s))
        {
            return;
        }
        let headers = &response.http_headers;
        let declared = crate::corpus::http_body::content_type(headers);
        if declared.as_deref().is_some_and(|t| t.contains("html")) {
            return;
        }
        let dechunked;
        let body = if crate::corpus::http_body::chunked(headers) {
            dechunked = crate::corpus::http_body::dechunk(&response.body_head);
            &dechunked[..]
        } else {
            &response.body_head[..]
        };
        page.read_media(
            declared.as_deref(),
            body,
            response.body_truncated,
            signals.contains(Signal::C2pa),
        );
    }

    /// The usage options for a URL whose page says `page`: a page's own
    /// tdm-reservation supersedes its site's tdmrep.json (TDMRep's
    /// precedence), so the site's file is then not read.
    pub(crate) fn page_usage_options(&self, page: Option<&PageSignals>) -> UsageOptions {
        match page {
            Some(page) if page.supersedes_tdm_file() => UsageOptions {
                tdmrep_file: false,
                ..self.usage
            },
            _ => self.usage,
        }
    }

    /// Decides one URL with what its page says (`page`, and whether its
    /// content is an image), as a WARC response record is decided: the
    /// row's decision (the site's tdmrep.json not read when the page's own
    /// tdm-reservation supersedes it), then, for a
    /// kept row, the page's own statements against the enforced purpose.
    pub fn decide_page(
        &self,
        url: &str,
        page: Option<(&PageSignals, bool)>,
        scratch: &mut Scratch,
    ) -> PageDecision {
        let options = self.page_usage_options(page.map(|(page, _)| page));
        match self.decide_with(url.as_bytes(), None, &options, scratch) {
            Decision::Keep { usage, .. } => {
                match page.and_then(|(page, image)| self.page_removal(url, page, image)) {
                    Some((reason, source)) => PageDecision::Removed {
                        reason,
                        pref: Pref::Disallowed,
                        page: Some(source),
                    },
                    None => PageDecision::Kept { usage },
                }
            }
            Decision::Remove(removal) => PageDecision::Removed {
                reason: removal.reason,
                pref: match removal.evidence {
                    Evidence::Usage { pref, .. } => pref,
                    _ => Pref::Disallowed,
                },
                page: None,
            },
            Decision::Skip(reason) => PageDecision::Skipped(reason),
        }
    }

    /// What a stored response says against the enforced purpose: the
    /// reason and the statement's source, when it disallows.
    fn page_removal(
        &self,
        url: &str,
        page: &PageSignals,
        image: bool,
    ) -> Option<(ReasonCode, String)> {
        let statements = page.statements(
            url,
            self.agents.keys(),
            self.usage.purpose,
            Reservation::Unset,
            image,
            self.usage.aipref(),
        );
        statements
            .into_iter()
            .filter(|s| self.usage.signals.contains(s.signal))
            .find(|s| s.pref == Pref::Disallowed)
            .map(|s| (ReasonCode::of_signal(s.signal), s.source))
    }
}

/// A URL decided with its page ([`Engine::decide_page`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageDecision {
    /// Kept; what the usage statements say about the enforced purpose
    /// (allowed, or unknown kept).
    Kept {
        /// The usage verdict.
        usage: Pref,
    },
    /// Removed, for `reason`.
    Removed {
        /// The reason code.
        reason: ReasonCode,
        /// The usage verdict behind it: disallowed, or unknown dropped.
        pref: Pref,
        /// The page statement's source, when the page removed it.
        page: Option<String>,
    },
    /// Not a URL at all.
    Skipped(crate::signals::SkipReason),
}

/// What a stored response says, and whether its content is an image.
fn page_of(response: &Record) -> (PageSignals, bool) {
    let content_type = |test: fn(&str) -> bool| {
        response
            .http_headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("content-type") && test(&v.to_ascii_lowercase()))
    };
    let html = content_type(|v| v.contains("html"));
    let image = content_type(|v| v.starts_with("image/"));
    let page = PageSignals::read(
        response
            .http_headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str())),
        html.then_some(&response.body_head[..]),
    );
    (page, image)
}
