//! Opt-out signals and the stable reason codes that name them.
//!
//! Each signal has its own module that parses bytes into data and does no
//! I/O. This module owns the vocabulary shared by all of them: the
//! [`ReasonCode`] every removed row carries and the [`SkipReason`] of rows
//! that were not URLs at all. Codes are part of optout's interface: they
//! appear in `--removed` files, stats and evidence, so a code is never
//! renamed or reused; new codes are added at the end.

pub mod ai_txt;
pub mod aipref;
pub mod c2pa;
pub mod content_signal;
pub mod html_meta;
pub mod media;
pub mod page;
pub mod robots;
pub mod robots_tag;
pub mod rsl;
pub mod tdmrep;
pub mod usage;
pub mod xmp;

use std::fmt;

/// Why a row was removed. The order of the variants is the order of
/// precedence: when several apply, the first one is reported.
///
/// | code | what it checks | spec |
/// |---|---|---|
/// | `invalid-url` | the row is not an absolute `http`/`https` URL, or not UTF-8 | RFC 3986, WHATWG URL |
/// | `blocklist` | the host is, or is below, an entry of a `--blocklist` | GPAI Code of Practice, Measure 1.2 |
/// | `no-policy` | no robots.txt is known for the host and `--missing-policy` is `deny` or `error` | optout |
/// | `robots-unreachable` | the host's robots.txt could not be read: RFC 9309 says assume complete disallow | RFC 9309 §2.3.1.4 |
/// | `robots-disallow` | robots.txt disallows the URL for a selected agent | RFC 9309 §2.2 |
/// | `content-usage` | an aipref `Content-Usage` statement disallows the enforced purpose | draft-ietf-aipref-attach-05, vocab-07 |
/// | `content-signal` | a Cloudflare `Content-Signal` line disallows it | Cloudflare Content Signals Policy |
/// | `tdmrep` | TDMRep reserves TDM rights (`tdm-reservation: 1`), or tdmrep.json is unreadable | W3C TDMRep CG report (2024) |
/// | `ai-txt` | Spawning's ai.txt disallows the URL, or is unreadable | Spawning ai.txt |
/// | `x-robots-tag` | an `X-Robots-Tag` header says `noai` / `noimageai` | DeviantArt `noai` convention |
/// | `meta-robots` | a robots meta tag says `noai` / `noimageai` | DeviantArt `noai` convention |
/// | `rsl` | the RSL license does not permit the use, or cannot be read | RSL 1.0 |
/// | `usage-unknown` | no statement allows the purpose and `--unknown drop` | optout |
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ReasonCode {
    /// The row is not a URL optout can judge.
    InvalidUrl,
    /// The host is on a blocklist.
    Blocklist,
    /// No robots.txt policy is known for the host.
    NoPolicy,
    /// The host's robots.txt was unreachable or unreadable.
    RobotsUnreachable,
    /// robots.txt disallows the URL for a selected agent.
    RobotsDisallow,
    /// aipref `Content-Usage` disallows the purpose.
    ContentUsage,
    /// Cloudflare `Content-Signal` disallows the purpose.
    ContentSignal,
    /// TDMRep reserves TDM rights.
    TdmRep,
    /// Spawning's ai.txt disallows the URL.
    AiTxt,
    /// An `X-Robots-Tag` header says `noai`.
    XRobotsTag,
    /// A robots meta tag says `noai`.
    MetaRobots,
    /// The RSL license does not permit the purpose.
    Rsl,
    /// No statement allows the purpose, and `--unknown drop`.
    UsageUnknown,
    /// IPTC's `plus:DataMining` in the content's XMP prohibits the
    /// purpose. Last, so that the numbers of the earlier codes stay.
    IptcDataMining,
    /// A C2PA manifest's CAWG training-and-data-mining assertion does not
    /// allow the purpose.
    C2pa,
}

impl ReasonCode {
    /// Every code, in order of precedence.
    pub const ALL: [ReasonCode; 15] = [
        ReasonCode::InvalidUrl,
        ReasonCode::Blocklist,
        ReasonCode::NoPolicy,
        ReasonCode::RobotsUnreachable,
        ReasonCode::RobotsDisallow,
        ReasonCode::ContentUsage,
        ReasonCode::ContentSignal,
        ReasonCode::TdmRep,
        ReasonCode::AiTxt,
        ReasonCode::XRobotsTag,
        ReasonCode::MetaRobots,
        ReasonCode::Rsl,
        ReasonCode::UsageUnknown,
        ReasonCode::IptcDataMining,
        ReasonCode::C2pa,
    ];

    /// The stable, kebab-case code.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ReasonCode::InvalidUrl => "invalid-url",
            ReasonCode::Blocklist => "blocklist",
            ReasonCode::NoPolicy => "no-policy",
            ReasonCode::RobotsUnreachable => "robots-unreachable",
            ReasonCode::RobotsDisallow => "robots-disallow",
            ReasonCode::ContentUsage => "content-usage",
            ReasonCode::ContentSignal => "content-signal",
            ReasonCode::TdmRep => "tdmrep",
            ReasonCode::AiTxt => "ai-txt",
            ReasonCode::XRobotsTag => "x-robots-tag",
            ReasonCode::MetaRobots => "meta-robots",
            ReasonCode::Rsl => "rsl",
            ReasonCode::UsageUnknown => "usage-unknown",
            ReasonCode::IptcDataMining => "iptc-data-mining",
            ReasonCode::C2pa => "c2pa",
        }
    }

    /// The code of a removal by `signal`.
    #[must_use]
    pub fn of_signal(signal: usage::Signal) -> ReasonCode {
        match signal {
            usage::Signal::ContentUsage => ReasonCode::ContentUsage,
            usage::Signal::ContentSignal => ReasonCode::ContentSignal,
            usage::Signal::TdmRep => ReasonCode::TdmRep,
            usage::Signal::AiTxt => ReasonCode::AiTxt,
            usage::Signal::XRobotsTag => ReasonCode::XRobotsTag,
            usage::Signal::MetaRobots => ReasonCode::MetaRobots,
            usage::Signal::Rsl => ReasonCode::Rsl,
            usage::Signal::IptcDataMining => ReasonCode::IptcDataMining,
            usage::Signal::C2pa => ReasonCode::C2pa,
        }
    }

    /// A dense index, for counters kept in arrays.
    #[must_use]
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a row was skipped: it holds no URL, so there is nothing to keep or
/// remove. Skipped rows are counted, never silently dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum SkipReason {
    /// The line is empty or only white space.
    EmptyLine,
    /// The line starts with `#`.
    Comment,
    /// A JSON Lines row that is not one JSON object.
    BadRecord,
    /// A JSON Lines record without a string at `--url-field`.
    NoUrlField,
}

impl SkipReason {
    /// Every skip reason.
    pub const ALL: [SkipReason; 4] = [
        SkipReason::EmptyLine,
        SkipReason::Comment,
        SkipReason::BadRecord,
        SkipReason::NoUrlField,
    ];

    /// The stable, kebab-case code.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            SkipReason::EmptyLine => "empty-line",
            SkipReason::Comment => "comment",
            SkipReason::BadRecord => "bad-record",
            SkipReason::NoUrlField => "no-url-field",
        }
    }

    /// A dense index, for counters kept in arrays.
    #[must_use]
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_ordered_by_precedence() {
        let codes: Vec<_> = ReasonCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            codes,
            [
                "invalid-url",
                "blocklist",
                "no-policy",
                "robots-unreachable",
                "robots-disallow",
                "content-usage",
                "content-signal",
                "tdmrep",
                "ai-txt",
                "x-robots-tag",
                "meta-robots",
                "rsl",
                "usage-unknown",
                "iptc-data-mining",
                "c2pa",
            ]
        );
        for signal in usage::Signal::ALL {
            assert_eq!(ReasonCode::of_signal(signal).as_str(), signal.code());
        }
        for (i, code) in ReasonCode::ALL.iter().enumerate() {
            assert_eq!(code.index(), i);
        }
        for (i, reason) in SkipReason::ALL.iter().enumerate() {
            assert_eq!(reason.index(), i);
        }
    }
}
