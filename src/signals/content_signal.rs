//! Cloudflare Content Signals (`Content-Signal:` lines of robots.txt;
//! contentsignals.org, draft-romm-aipref-contentsignals-00; design notes
//! SIGNALS.md §5). Parsing only.
//!
//! A value is a comma-separated list of `key=value` pairs with the keys
//! `search`, `ai-input` and `ai-train` and the values `yes` and `no`; an
//! absent key states nothing. Parsing is lenient where the documents are
//! silent, and says so:
//!
//! * keys and values are read case-insensitively, with spaces around `=`
//!   and empty items (a trailing comma) ignored;
//! * `y`/`n` and `true`/`false` are read as `yes`/`no` and flagged
//!   `nonstandard`;
//! * a key given twice combines to the most restrictive value (the spec is
//!   silent; SIGNALS.md §5.4 case 3);
//! * `use=` (Cloudflare's managed files since 2026-09-15; SIGNALS.md
//!   §14.2) is an ordered key, `immediate` < `reference` < `full`: how
//!   much of the content may be used. Training needs the full content, so
//!   a `use` below `full` is no training permission: `ai-train` then reads
//!   as `no` whatever it says, and the evidence says why. Given twice, the
//!   lower level holds;
//! * other keys are kept as evidence and ignored for the decision;
//! * a leading `/path` scopes the line like an aipref `Content-Usage` path;
//!   the form is used in the wild but is not in Cloudflare's documents, so
//!   it is flagged `path_scope`.
//!
//! A Content-Signal line never changes access (Allow/Disallow) nor group
//! boundaries: it is an "other record" of its group.

use crate::signals::aipref::{Pref, split_rule};

/// How much of the content a `use=` item lets be used, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UseLevel {
    /// Use now, store nothing.
    Immediate,
    /// Index, excerpt and link.
    Reference,
    /// The whole content.
    Full,
}

impl UseLevel {
    /// The value as written.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            UseLevel::Immediate => "immediate",
            UseLevel::Reference => "reference",
            UseLevel::Full => "full",
        }
    }

    fn from_value(value: &[u8]) -> Option<UseLevel> {
        match value {
            b"immediate" => Some(UseLevel::Immediate),
            b"reference" => Some(UseLevel::Reference),
            b"full" => Some(UseLevel::Full),
            _ => None,
        }
    }
}

/// What one `Content-Signal` value says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContentSignals {
    /// `search`: search indexes and results with links and short excerpts.
    pub search: Pref,
    /// `ai-input`: use as input to AI answers (RAG, grounding).
    pub ai_input: Pref,
    /// `ai-train`: training or fine-tuning AI models.
    pub ai_train: Pref,
    /// The path scope, when the value starts with `/` (non-standard).
    pub path: Option<Vec<u8>>,
    /// `use=`: how much of the content may be used.
    pub use_level: Option<UseLevel>,
    /// Items that are not `search`, `ai-input` or `ai-train` with a
    /// yes/no value, nor `use` with a level, as written.
    pub other: Vec<String>,
    /// A value other than `yes`/`no` was read leniently (`y`, `true`, …).
    pub nonstandard: bool,
}

impl ContentSignals {
    /// Parses the value of a `Content-Signal` line (comment removed).
    /// Never fails.
    #[must_use]
    pub fn parse(value: &[u8]) -> ContentSignals {
        let (path, list) = split_rule(value);
        let mut signals = ContentSignals {
            path: path.map(<[u8]>::to_vec),
            ..ContentSignals::default()
        };
        for item in list.split(|&b| b == b',') {
            let item = item.trim_ascii();
            if item.is_empty() {
                continue;
            }
            let written = || String::from_utf8_lossy(item).into_owned();
            let Some(eq) = item.iter().position(|&b| b == b'=') else {
                signals.other.push(written());
                continue;
            };
            let key = item[..eq].trim_ascii().to_ascii_lowercase();
            let value = item[eq + 1..].trim_ascii().to_ascii_lowercase();
            if key == b"use" {
                match UseLevel::from_value(&value) {
                    Some(level) => {
                        signals.use_level =
                            Some(signals.use_level.map_or(level, |held| held.min(level)));
                    }
                    None => signals.other.push(written()),
                }
                continue;
            }
            let pref = match value.as_slice() {
                b"yes" => Pref::Allowed,
                b"no" => Pref::Disallowed,
                b"y" | b"true" => {
                    signals.nonstandard = true;
                    Pref::Allowed
                }
                b"n" | b"false" => {
                    signals.nonstandard = true;
                    Pref::Disallowed
                }
                _ => {
                    signals.other.push(written());
                    continue;
                }
            };
            let slot = match key.as_slice() {
                b"search" => &mut signals.search,
                b"ai-input" => &mut signals.ai_input,
                b"ai-train" => &mut signals.ai_train,
                _ => {
                    signals.other.push(written());
                    continue;
                }
            };
            *slot = slot.combine(pref);
        }
        if signals.limits_training() {
            signals.ai_train = signals.ai_train.combine(Pref::Disallowed);
        }
        signals
    }

    /// Whether `use=` allows less than the full content, which training
    /// needs: then `ai-train` reads as `no`.
    #[must_use]
    pub fn limits_training(&self) -> bool {
        self.use_level.is_some_and(|level| level < UseLevel::Full)
    }

    /// Whether the line is scoped to a path (a non-standard form).
    #[must_use]
    pub fn path_scope(&self) -> bool {
        self.path.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Pref::{Allowed as Y, Disallowed as N, Unknown as U};

    /// (value, search, ai-input, ai-train, nonstandard, source)
    const CASES: &[(&str, Pref, Pref, Pref, bool, &str)] = &[
        (
            "search=yes, ai-train=no",
            Y,
            U,
            N,
            false,
            "Cloudflare managed default",
        ),
        (
            "search=yes,ai-train=no,use=reference",
            Y,
            U,
            N,
            false,
            "Cloudflare managed default since 2026-09-15 (no spaces)",
        ),
        (
            "search=yes, ai-train=yes, use=full",
            Y,
            U,
            Y,
            false,
            "§14.2: full content allows training",
        ),
        (
            "ai-train=yes,use=reference",
            U,
            U,
            N,
            false,
            "§14.2: a use below full is no training permission",
        ),
        (
            "search=yes,use=immediate",
            Y,
            U,
            N,
            false,
            "§14.2: immediate < reference < full",
        ),
        (
            "ai-train=yes, use=full, use=reference",
            U,
            U,
            N,
            false,
            "use given twice: the lower level holds",
        ),
        (
            "ai-train=yes, USE = Full",
            U,
            U,
            Y,
            false,
            "case and spaces as for the other keys",
        ),
        ("ai-input=no", U, N, U, false, "contentsignals.org"),
        ("", U, U, U, false, "nothing stated"),
        (
            "ai-train=yes, ai-train=no",
            U,
            U,
            N,
            false,
            "SIGNALS §5.4 case 3: most restrictive",
        ),
        ("search = yes", Y, U, U, false, "§5.4 case 5: spaces"),
        ("search=yes,", Y, U, U, false, "§5.4 case 5: trailing comma"),
        (
            "SEARCH=YES, AI-Train=No",
            Y,
            U,
            N,
            false,
            "§5.4 case 5: upper case",
        ),
        ("ai-train=n", U, U, N, true, "lenient y/n, flagged"),
        (
            "ai-train=true",
            U,
            U,
            Y,
            true,
            "lenient true/false, flagged",
        ),
        ("ai-train=maybe", U, U, U, false, "unknown value: ignored"),
        ("ai-train", U, U, U, false, "no value: ignored"),
        (
            "train-ai=no",
            U,
            U,
            U,
            false,
            "aipref's key is not a Content Signal",
        ),
    ];

    #[test]
    fn values() {
        for &(value, search, input, train, nonstandard, source) in CASES {
            let s = ContentSignals::parse(value.as_bytes());
            assert_eq!(
                (s.search, s.ai_input, s.ai_train, s.nonstandard),
                (search, input, train, nonstandard),
                "{value:?} ({source})"
            );
            assert!(!s.path_scope());
        }
    }

    #[test]
    fn unknown_items_are_kept_as_evidence() {
        let s = ContentSignals::parse(
            b"search=yes, use=reference, ai-train=maybe, junk, use=most, x=1",
        );
        assert_eq!(s.other, ["ai-train=maybe", "junk", "use=most", "x=1"]);
        assert_eq!(s.use_level, Some(UseLevel::Reference));
        assert!(s.limits_training());
        assert!(!ContentSignals::parse(b"use=full").limits_training());
        assert!(!ContentSignals::parse(b"search=yes").limits_training());
    }

    #[test]
    fn a_path_scope_is_read_and_flagged() {
        let s = ContentSignals::parse(b"/blog/ ai-train=no, search=yes");
        assert_eq!(s.path.as_deref(), Some(&b"/blog/"[..]));
        assert!(s.path_scope());
        assert_eq!((s.search, s.ai_train), (Y, N));
    }
}
