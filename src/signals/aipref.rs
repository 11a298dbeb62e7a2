//! IETF AI preferences (aipref): the usage-preference vocabulary of
//! draft-ietf-aipref-vocab-08 (read by default) or -07, in its "exemplary
//! format", as carried by the `Content-Usage` robots.txt rule and HTTP
//! header of draft-ietf-aipref-attach-05 (design notes: SIGNALS.md §4 and
//! §14.1). Parsing only: no I/O, and no decision about what `unknown`
//! means, which is the decision model's business.
//!
//! The two vocabularies share their syntax and combination; they differ in
//! their categories. vocab-07 has `train-ai` and `search`; vocab-08 (§4)
//! has `train-ai` (§4.1), `ai-use` (§4.2: input to a generative model that
//! the user did not supply) and `search` (§4.3). Both define `train-ai` as
//! training of *generative* models: a [`Reading`] says whether the run
//! trains one, and by default (conservatively) it does.
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

/// The aipref vocabulary a run reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Vocab {
    /// draft-ietf-aipref-vocab-07 (19 Aug 2026): `train-ai`, `search`.
    V07,
    /// draft-ietf-aipref-vocab-08 (14 Sep 2026): `train-ai`, `ai-use`,
    /// `search`.
    #[default]
    V08,
}

impl Vocab {
    /// The name configurations and evidence record: `aipref-vocab-08`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Vocab::V07 => "aipref-vocab-07",
            Vocab::V08 => "aipref-vocab-08",
        }
    }

    /// The vocabulary of a name [`Vocab::as_str`] gives, or of its short
    /// form (`07`, `08`).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Vocab> {
        match name {
            "aipref-vocab-07" | "07" => Some(Vocab::V07),
            "aipref-vocab-08" | "08" => Some(Vocab::V08),
            _ => None,
        }
    }
}

/// The kind of model a training run trains, which decides whether aipref's
/// `train-ai` (generative models only, vocab-07 §3 and vocab-08 §4.1)
/// speaks to it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ModelKind {
    /// A generative model, or one that may become one: `train-ai` applies.
    /// The default, being the conservative reading.
    #[default]
    Generative,
    /// A model used only to classify, rank or score: `train-ai` does not
    /// apply and says nothing about it; other signals still do.
    NonGenerative,
}

impl ModelKind {
    /// `generative` or `non-generative`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Generative => "generative",
            ModelKind::NonGenerative => "non-generative",
        }
    }

    /// The kind of a name [`ModelKind::as_str`] gives.
    #[must_use]
    pub fn from_name(name: &str) -> Option<ModelKind> {
        match name {
            "generative" => Some(ModelKind::Generative),
            "non-generative" => Some(ModelKind::NonGenerative),
            _ => None,
        }
    }
}

/// A category of the vocabulary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// `train-ai`.
    TrainAi,
    /// `ai-use` (vocab-08 only).
    AiUse,
    /// `search`.
    Search,
}

impl Category {
    /// The label as written.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Category::TrainAi => "train-ai",
            Category::AiUse => "ai-use",
            Category::Search => "search",
        }
    }
}

/// How a run reads aipref statements: which vocabulary, for which model,
/// with or without the conservative legacy mapping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Reading {
    /// The vocabulary.
    pub vocab: Vocab,
    /// The model a training run trains.
    pub model: ModelKind,
    /// Legacy keys' `n` read as `train-ai=n` (SIGNALS.md §4.5).
    pub conservative: bool,
}

impl Reading {
    /// The categories of this vocabulary, in the order evidence lists them.
    #[must_use]
    pub fn categories(self) -> &'static [Category] {
        match self.vocab {
            Vocab::V07 => &[Category::TrainAi, Category::Search],
            Vocab::V08 => &[Category::TrainAi, Category::AiUse, Category::Search],
        }
    }

    /// The category that speaks to `purpose`, or `None` when aipref says
    /// nothing about it under this reading: AI input before vocab-08, and
    /// training of a non-generative model.
    #[must_use]
    pub fn category(self, purpose: crate::signals::usage::Purpose) -> Option<Category> {
        use crate::signals::usage::Purpose;
        match purpose {
            Purpose::Train if self.model == ModelKind::NonGenerative => None,
            Purpose::Train => Some(Category::TrainAi),
            Purpose::Search => Some(Category::Search),
            Purpose::AiInput if self.vocab == Vocab::V07 => None,
            Purpose::AiInput => Some(Category::AiUse),
        }
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
    /// `ai-use` (vocab-08 §4.2): input to a generative model that the user
    /// did not supply. Parsed always; a vocab-07 reading ignores it.
    pub ai_use: Pref,
    /// Other keys with a `y` or `n` Token, in order: not part of the
    /// vocabularies, recorded as evidence.
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
                "ai-use" => prefs.ai_use = pref,
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

    /// What the string says about `category`, with the conservative
    /// legacy mapping for `train-ai` when `conservative`.
    #[must_use]
    pub fn get(&self, category: Category, conservative: bool) -> Pref {
        match category {
            Category::TrainAi => self.train_ai(conservative),
            Category::AiUse => self.ai_use,
            Category::Search => self.search,
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
            ai_use: self.ai_use.combine(other.ai_use),
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

    /// vocab-08 §4 (categories), §6.4 (unknown labels ignored), §6.5.1
    /// (last duplicate wins): (string, train-ai, ai-use, search).
    const VOCAB_08: &[(&str, Pref, Pref, Pref, &str)] = &[
        ("ai-use=n", U, N, U, "§4.2: the new category"),
        ("train-ai=y, ai-use=n, search=y", Y, N, Y, "§4: all three"),
        (
            "ai-use=y, ai-use=n",
            U,
            N,
            U,
            "§6.5.1: the last member wins",
        ),
        (
            "train-genai=n, all=n, bots=n, ai-output=n",
            U,
            U,
            U,
            "§6.4: old labels ignored",
        ),
        ("ai-use=\"n\"", U, U, U, "a String is not a Token"),
        (
            "ai-use;reason=x=n",
            U,
            U,
            U,
            "not a Dictionary member: a parse failure",
        ),
    ];

    #[test]
    fn vocab_08_categories() {
        for &(text, train, ai_use, search, source) in VOCAB_08 {
            let prefs = UsagePrefs::parse(text.as_bytes());
            assert_eq!(
                (prefs.train_ai, prefs.ai_use, prefs.search),
                (train, ai_use, search),
                "{text:?} ({source})"
            );
        }
    }

    #[test]
    fn readings_choose_the_category_of_a_purpose() {
        use crate::signals::usage::Purpose;
        let v08 = Reading::default();
        let v07 = Reading {
            vocab: Vocab::V07,
            ..v08
        };
        let classifier = Reading {
            model: ModelKind::NonGenerative,
            ..v08
        };
        assert_eq!(v08.category(Purpose::AiInput), Some(Category::AiUse));
        assert_eq!(
            v07.category(Purpose::AiInput),
            None,
            "vocab-07 has no ai-use"
        );
        assert_eq!(v08.category(Purpose::Train), Some(Category::TrainAi));
        assert_eq!(
            classifier.category(Purpose::Train),
            None,
            "§4.1: train-ai is about generative models"
        );
        assert_eq!(classifier.category(Purpose::Search), Some(Category::Search));
        assert_eq!(v07.categories().len(), 2);
        assert_eq!(Vocab::from_name("08"), Some(Vocab::V08));
        assert_eq!(Vocab::from_name(Vocab::V07.as_str()), Some(Vocab::V07));
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
