//! IETF AI preferences (aipref): the usage-preference vocabulary of
//! draft-ietf-aipref-vocab-07 in its "exemplary format", as carried by the
//! `Content-Usage` robots.txt rule and HTTP header of
//! draft-ietf-aipref-attach-05 (design notes: SIGNALS.md §4). Parsing only:
//! no I/O, and no decision about what `unknown` means, which is the
//! decision model's business.
//!
//! A preference string is an RFC 9651 Structured-Field Dictionary, parsed
//! with the `sfv` crate. Per category (`train-ai`, `search`) the last member
//! decides: the Token `y` allows, the Token `n` disallows, anything else
//! (absent, a Boolean, a String, another Token, an inner list) is unknown,
//! and parameters are ignored. A string that is not a valid Dictionary (an
//! upper-case key, say) makes every category unknown: the draft asks for
//! that, never for an error.
//!
//! Keys of earlier drafts (`ai`, `genai`, `train-genai`, `tdm`, `bots`,
//! `all`, …) are unknown under vocab-07 and ignored for the decision, but
//! recorded, so that the opt-in conservative mapping (SIGNALS.md §4.5) can
//! count their `n` as a `train-ai` disallow. They never count as an allow.

use std::fmt;

/// A preference for one category.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pref {
    /// Nothing was stated (or nothing usable).
    #[default]
    Unknown,
    /// The use is allowed.
    Allowed,
    /// The use is disallowed.
    Disallowed,
}

impl Pref {
    /// Combines two statements about one category (vocab-07 "Combining"):
    /// any disallow wins, else any allow, else unknown.
    #[must_use]
    pub fn combine(self, other: Pref) -> Pref {
        // The variants are ordered from least to most restrictive.
        self.max(other)
    }

    /// `allowed`, `disallowed` or `unknown`, as written in outputs.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Pref::Unknown => "unknown",
            Pref::Allowed => "allowed",
            Pref::Disallowed => "disallowed",
        }
    }
}

impl fmt::Display for Pref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Keys of earlier drafts whose `n` the conservative mapping reads as
/// `train-ai=n` (SIGNALS.md §4.5).
pub const LEGACY_TRAINING_KEYS: [&str; 6] = ["ai", "genai", "train-genai", "tdm", "bots", "all"];

/// What one preference string says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsagePrefs {
    /// `train-ai`: AI model training.
    pub train_ai: Pref,
    /// `search`: search applications.
    pub search: Pref,
    /// Other keys with a `y` or `n` Token, in order: not part of vocab-07,
    /// recorded as evidence.
    pub other: Vec<(String, Pref)>,
    /// The string is not a valid Dictionary: every category is unknown.
    pub malformed: bool,
}

impl UsagePrefs {
    /// Parses a preference string (a header value, or the preference part
    /// of a `Content-Usage` rule). Never fails.
    #[must_use]
    pub fn parse(text: &[u8]) -> UsagePrefs {
        let Ok(dict) = sfv::Parser::new(text).parse::<sfv::Dictionary>() else {
            return UsagePrefs {
                malformed: true,
                ..UsagePrefs::default()
            };
        };
        let mut prefs = UsagePrefs::default();
        for (key, entry) in &dict {
            let pref = match entry {
                sfv::ListEntry::Item(item) => match item.bare_item.as_token().map(|t| t.as_str()) {
                    Some("y") => Pref::Allowed,
                    Some("n") => Pref::Disallowed,
                    _ => Pref::Unknown,
                },
                sfv::ListEntry::InnerList(_) => Pref::Unknown,
            };
            match key.as_str() {
                "train-ai" => prefs.train_ai = pref,
                "search" => prefs.search = pref,
                other if pref != Pref::Unknown => prefs.other.push((other.to_owned(), pref)),
                _ => {}
            }
        }
        prefs
    }

    /// Whether a key of an earlier draft disallows training
    /// ([`LEGACY_TRAINING_KEYS`] with `n`).
    #[must_use]
    pub fn legacy_training_disallowed(&self) -> bool {
        self.other.iter().any(|(key, pref)| {
            *pref == Pref::Disallowed && LEGACY_TRAINING_KEYS.contains(&key.as_str())
        })
    }

    /// `train-ai`, with the conservative legacy mapping when `conservative`.
    #[must_use]
    pub fn train_ai(&self, conservative: bool) -> Pref {
        if conservative && self.legacy_training_disallowed() {
            self.train_ai.combine(Pref::Disallowed)
        } else {
            self.train_ai
        }
    }

    /// Combines with another statement, category by category.
    #[must_use]
    pub fn combine(&self, other: &UsagePrefs) -> UsagePrefs {
        let mut keys = self.other.clone();
        keys.extend(other.other.iter().cloned());
        UsagePrefs {
            train_ai: self.train_ai.combine(other.train_ai),
            search: self.search.combine(other.search),
            other: keys,
            malformed: self.malformed || other.malformed,
        }
    }
}

/// Splits the value of a `Content-Usage` robots.txt rule (comment already
/// removed) into its optional path and its preference string (attach-05
/// §robots.txt): a value starting with `/` holds a path up to the first
/// space or tab; otherwise the whole value is the preference and it
/// applies to every path.
#[must_use]
pub fn split_rule(value: &[u8]) -> (Option<&[u8]>, &[u8]) {
    let value = value.trim_ascii();
    if value.first() != Some(&b'/') {
        return (None, value);
    }
    match value.iter().position(|&b| b == b' ' || b == b'\t') {
        Some(end) => (Some(&value[..end]), value[end..].trim_ascii()),
        None => (Some(value), &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Pref::{Allowed as Y, Disallowed as N, Unknown as U};

    /// (preference string, train-ai, search, malformed, source)
    const CASES: &[(&str, Pref, Pref, bool, &str)] = &[
        ("train-ai=n", N, U, false, "attach-05 example"),
        ("train-ai=y, search=n", Y, N, false, "vocab-07"),
        ("", U, U, false, "an empty Dictionary states nothing"),
        (
            "train-ai=y, train-ai, search=n, search=\"n\"",
            U,
            U,
            false,
            "vocab-07 §format: last member wins; bare key is Boolean, \"n\" a String",
        ),
        (
            "train-ai;allow=n, train-ai=y",
            Y,
            U,
            false,
            "vocab-07: parameters ignored",
        ),
        (
            "TRAIN-AI=n",
            U,
            U,
            true,
            "SIGNALS §4.7 case 4: upper-case key is a parse failure",
        ),
        (
            "Train-AI=n, search=n",
            U,
            U,
            true,
            "a failure voids every category",
        ),
        ("train-ai=\"n\"", U, U, false, "§4.7 case 5: String"),
        ("train-ai=?0", U, U, false, "§4.7 case 5: Boolean"),
        (
            "train-ai",
            U,
            U,
            false,
            "§4.7 case 5: bare key is Boolean true",
        ),
        (
            "train-ai=n;foo=bar",
            N,
            U,
            false,
            "§4.7 case 6: parameters ignored",
        ),
        (
            "train-ai=(n y)",
            U,
            U,
            false,
            "an inner list is not a Token",
        ),
        ("train-ai=no", U, U, false, "only the Tokens y and n count"),
        (
            "ai=n, train-ai=y",
            Y,
            U,
            false,
            "legacy key ignored for the decision",
        ),
        (
            "search=n,  train-ai=n",
            N,
            N,
            false,
            "optional white space after commas",
        ),
        ("train-ai=n,", U, U, true, "a trailing comma is invalid"),
    ];

    #[test]
    fn preference_strings() {
        for &(text, train, search, malformed, source) in CASES {
            let prefs = UsagePrefs::parse(text.as_bytes());
            assert_eq!(
                (prefs.train_ai, prefs.search, prefs.malformed),
                (train, search, malformed),
                "{text:?} ({source})"
            );
        }
    }

    #[test]
    fn legacy_keys_are_recorded_and_only_disallow_when_asked() {
        let prefs = UsagePrefs::parse(b"ai=n, inference=y");
        assert_eq!(prefs.train_ai(false), U);
        assert_eq!(prefs.train_ai(true), N);
        assert_eq!(
            prefs.other,
            [("ai".to_owned(), N), ("inference".to_owned(), Y)]
        );
        let allows = UsagePrefs::parse(b"ai=y, genai=y");
        assert_eq!(allows.train_ai(true), U, "a legacy key never allows");
    }

    #[test]
    fn combining_is_most_restrictive() {
        assert_eq!(Y.combine(N), N);
        assert_eq!(U.combine(Y), Y);
        assert_eq!(U.combine(U), U);
        let header = UsagePrefs::parse(b"train-ai=y");
        let robots = UsagePrefs::parse(b"train-ai=n, search=y");
        let both = header.combine(&robots);
        assert_eq!((both.train_ai, both.search), (N, Y), "§4.7 case 8");
    }

    #[test]
    fn rule_values_split_into_path_and_preference() {
        assert_eq!(split_rule(b"train-ai=n"), (None, &b"train-ai=n"[..]));
        assert_eq!(
            split_rule(b"/ai-ok/ train-ai=y"),
            (Some(&b"/ai-ok/"[..]), &b"train-ai=y"[..])
        );
        assert_eq!(
            split_rule(b" /a/b\t\ttrain-ai=n "),
            (Some(&b"/a/b"[..]), &b"train-ai=n"[..])
        );
        assert_eq!(
            split_rule(b"/only-a-path"),
            (Some(&b"/only-a-path"[..]), &b""[..])
        );
    }
}
