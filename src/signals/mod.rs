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
pub mod content_signal;
pub mod html_meta;
pub mod robots;
pub mod robots_tag;
pub mod rsl;
pub mod tdmrep;
pub mod usage;

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
}

impl ReasonCode {
    /// Every code, in order of precedence.
    pub const ALL: [ReasonCode; 5] = [
        ReasonCode::InvalidUrl,
        ReasonCode::Blocklist,
        ReasonCode::NoPolicy,
        ReasonCode::RobotsUnreachable,
        ReasonCode::RobotsDisallow,
    ];

    /// The stable, kebab-case code.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::InvalidUrl => "invalid-url",
            ReasonCode::Blocklist => "blocklist",
            ReasonCode::NoPolicy => "no-policy",
            ReasonCode::RobotsUnreachable => "robots-unreachable",
            ReasonCode::RobotsDisallow => "robots-disallow",
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
}

impl SkipReason {
    /// Every skip reason.
    pub const ALL: [SkipReason; 2] = [SkipReason::EmptyLine, SkipReason::Comment];

    /// The stable, kebab-case code.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::EmptyLine => "empty-line",
            SkipReason::Comment => "comment",
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
                "robots-disallow"
            ]
        );
        for (i, code) in ReasonCode::ALL.iter().enumerate() {
            assert_eq!(code.index(), i);
        }
        for (i, reason) in SkipReason::ALL.iter().enumerate() {
            assert_eq!(reason.index(), i);
        }
    }
}
