//! Usage statements and how they combine into one verdict per purpose: the
//! pure core of the decision model of SIGNALS.md §11, steps 3–5. Access
//! (blocklists, robots.txt Allow/Disallow) comes before this and is the
//! engine's; here, every signal that says something about a use becomes a
//! [`Statement`] (allow, disallow or unknown, with where it was found), and
//! statements combine as aipref's vocab-07 asks: any disallow wins, else
//! any allow, else unknown.
//!
//! TDMRep keeps its own order first (file → header → meta: a later source
//! that says something supersedes an earlier one; one that says nothing
//! does not reset it), and only its result joins the combination. A `1`
//! (reserved) disallows training; a `0` allows it.
//!
//! `unknown` is never folded into "allowed": [`UnknownPolicy`] decides
//! what it does to a row, and outputs keep it distinct.

use std::fmt;

use crate::signals::aipref::Pref;
use crate::signals::tdmrep::Reservation;

/// A use a statement can be about. Not [`crate::agents::Purpose`], which
/// classes crawlers by what their operators say they do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Purpose {
    /// Training AI models (aipref `train-ai`, Content-Signal `ai-train`,
    /// TDMRep, `noai`, ai.txt, RSL `ai-train`).
    Train,
    /// Search indexes and results (aipref and Content-Signal `search`).
    Search,
    /// Input to AI answers: RAG, grounding (Content-Signal `ai-input`).
    AiInput,
}

impl Purpose {
    /// Every purpose.
    pub const ALL: [Purpose; 3] = [Purpose::Train, Purpose::Search, Purpose::AiInput];

    /// The name used on the command line and in outputs.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Train => "train",
            Purpose::Search => "search",
            Purpose::AiInput => "ai-input",
        }
    }

    /// The purpose of a name [`Purpose::as_str`] gives.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Purpose> {
        [Purpose::Train, Purpose::Search, Purpose::AiInput]
            .into_iter()
            .find(|p| p.as_str() == name)
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signal a statement comes from; its code is the reason code a
/// removal by it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    /// aipref `Content-Usage` (robots.txt rule or HTTP header).
    ContentUsage,
    /// Cloudflare `Content-Signal`.
    ContentSignal,
    /// TDMRep (file, header or meta).
    TdmRep,
    /// Spawning `ai.txt`.
    AiTxt,
    /// `X-Robots-Tag` / `robots-tag` header directives.
    XRobotsTag,
    /// Robots meta tag directives.
    MetaRobots,
    /// An RSL license.
    Rsl,
    /// IPTC's `plus:DataMining` in the content's XMP.
    IptcDataMining,
    /// A C2PA manifest's CAWG training-and-data-mining assertion.
    C2pa,
}

impl Signal {
    /// Every signal, in the order outputs list them.
    pub const ALL: [Signal; 9] = [
        Signal::ContentUsage,
        Signal::ContentSignal,
        Signal::TdmRep,
        Signal::AiTxt,
        Signal::XRobotsTag,
        Signal::MetaRobots,
        Signal::Rsl,
        Signal::IptcDataMining,
        Signal::C2pa,
    ];

    /// The signal of a code [`Signal::code`] gives.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Signal> {
        Signal::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The stable code.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Signal::ContentUsage => "content-usage",
            Signal::ContentSignal => "content-signal",
            Signal::TdmRep => "tdmrep",
            Signal::AiTxt => "ai-txt",
            Signal::XRobotsTag => "x-robots-tag",
            Signal::MetaRobots => "meta-robots",
            Signal::Rsl => "rsl",
            Signal::IptcDataMining => "iptc-data-mining",
            Signal::C2pa => "c2pa",
        }
    }
}

/// The usage signals a run reads (`--signals`): a signatory can match a
/// published list of generally agreed protocols. robots.txt access is not
/// among them: it is always read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignalSet(u16);

impl Default for SignalSet {
    /// Every supported signal.
    fn default() -> Self {
        SignalSet::all()
    }
}

impl SignalSet {
    /// Every supported signal.
    #[must_use]
    pub fn all() -> SignalSet {
        Signal::ALL.into_iter().fold(SignalSet(0), SignalSet::with)
    }

    /// No usage signal: robots.txt access only.
    #[must_use]
    pub fn none() -> SignalSet {
        SignalSet(0)
    }

    /// This set and `signal`.
    #[must_use]
    pub fn with(self, signal: Signal) -> SignalSet {
        SignalSet(self.0 | 1 << signal as u16)
    }

    /// Whether the set holds `signal`.
    #[must_use]
    #[inline]
    pub fn contains(self, signal: Signal) -> bool {
        self.0 & 1 << signal as u16 != 0
    }

    /// The codes of the set, in [`Signal::ALL`] order.
    #[must_use]
    pub fn names(self) -> Vec<String> {
        Signal::ALL
            .into_iter()
            .filter(|s| self.contains(*s))
            .map(|s| s.code().to_owned())
            .collect()
    }

    /// Reads codes (`all` for every signal, `none` for none).
    ///
    /// # Errors
    ///
    /// An unknown code, naming the known ones.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<SignalSet, String> {
        let mut set = SignalSet::none();
        for name in names {
            match name.as_ref().trim() {
                "all" => set = SignalSet::all(),
                "none" => {}
                code => {
                    let signal = Signal::from_code(code).ok_or_else(|| {
                        format!(
                            "unknown signal `{code}` (expected all, none or a list of {})",
                            Signal::ALL.map(Signal::code).join(", ")
                        )
                    })?;
                    set = set.with(signal);
                }
            }
        }
        Ok(set)
    }
}

/// One signal's statement about one purpose, with where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// The purpose.
    pub purpose: Purpose,
    /// What it says.
    pub pref: Pref,
    /// The signal.
    pub signal: Signal,
    /// Where: a file URL, `header <name>` or `meta`.
    pub source: String,
    /// The line in the source file, when it has lines.
    pub line: Option<u32>,
}

/// What `unknown` does to a row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnknownPolicy {
    /// Keep it: the EU exception is opt-out, so no reservation means no
    /// reservation (the default).
    #[default]
    Keep,
    /// Drop it: only rows with an explicit allow are kept.
    Drop,
}

/// Where a TDMRep value was found, in supersession order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TdmSource {
    /// `/.well-known/tdmrep.json`.
    File,
    /// The `tdm-reservation` response header.
    Header,
    /// The `tdm-reservation` meta tag.
    Meta,
    /// The content's own metadata: PDF XMP, EPUB package metadata
    /// (TDMRep's in-content techniques, as the meta tag is for HTML).
    Embedded,
}

/// TDMRep's own precedence: the last source, in file → header → meta
/// order, that sets a value wins; unset values do not reset earlier ones
/// (TDMRep §"Processing", SIGNALS.md §6.5). Returns the value and its
/// source; `(Unset, None)` when no source sets one.
#[must_use]
pub fn tdm_supersede(values: &[(TdmSource, Reservation)]) -> (Reservation, Option<TdmSource>) {
    let mut ordered: Vec<&(TdmSource, Reservation)> = values.iter().collect();
    ordered.sort_by_key(|(source, _)| *source);
    ordered
        .into_iter()
        .rev()
        .find(|(_, r)| *r != Reservation::Unset)
        .map_or((Reservation::Unset, None), |&(source, r)| (r, Some(source)))
}

/// A TDMRep result as a training statement: reserved disallows, not
/// reserved allows, unset states nothing.
#[must_use]
pub fn tdm_pref(reservation: Reservation) -> Pref {
    match reservation {
        Reservation::Reserved => Pref::Disallowed,
        Reservation::NotReserved => Pref::Allowed,
        Reservation::Unset => Pref::Unknown,
    }
}

/// The combined verdict for `purpose` and the statement that decided it:
/// the first disallow, else the first allow; `(Unknown, None)` when no
/// statement says anything.
#[must_use]
pub fn combine(statements: &[Statement], purpose: Purpose) -> (Pref, Option<&Statement>) {
    let about = || statements.iter().filter(move |s| s.purpose == purpose);
    if let Some(s) = about().find(|s| s.pref == Pref::Disallowed) {
        return (Pref::Disallowed, Some(s));
    }
    if let Some(s) = about().find(|s| s.pref == Pref::Allowed) {
        return (Pref::Allowed, Some(s));
    }
    (Pref::Unknown, None)
}

/// Whether a row with `verdict` is kept under `unknown`.
#[must_use]
pub fn keeps(verdict: Pref, unknown: UnknownPolicy) -> bool {
    match verdict {
        Pref::Allowed => true,
        Pref::Disallowed => false,
        Pref::Unknown => unknown == UnknownPolicy::Keep,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Reservation::{NotReserved as Free, Reserved as Res, Unset};

    fn statement(purpose: Purpose, pref: Pref, signal: Signal) -> Statement {
        Statement {
            purpose,
            pref,
            signal,
            source: "test".into(),
            line: None,
        }
    }

    #[test]
    fn tdmrep_supersession() {
        use TdmSource::{File, Header, Meta};
        // SIGNALS §6.8 case 5: header 0 overrides file 1; meta 1 overrides header 0.
        assert_eq!(
            tdm_supersede(&[(File, Res), (Header, Free)]),
            (Free, Some(Header))
        );
        assert_eq!(
            tdm_supersede(&[(Meta, Res), (File, Res), (Header, Free)]),
            (Res, Some(Meta)),
            "order of the slice does not matter"
        );
        assert_eq!(
            tdm_supersede(&[(File, Res), (Header, Unset), (Meta, Unset)]),
            (Res, Some(File)),
            "absence does not reset"
        );
        assert_eq!(tdm_supersede(&[]), (Unset, None));
        assert_eq!(tdm_pref(Res), Pref::Disallowed);
        assert_eq!(tdm_pref(Free), Pref::Allowed);
        assert_eq!(tdm_pref(Unset), Pref::Unknown);
    }

    #[test]
    fn any_disallow_wins_and_names_its_source() {
        let statements = [
            statement(Purpose::Train, Pref::Allowed, Signal::ContentUsage),
            statement(Purpose::Search, Pref::Disallowed, Signal::ContentSignal),
            statement(Purpose::Train, Pref::Disallowed, Signal::XRobotsTag),
            statement(Purpose::Train, Pref::Unknown, Signal::TdmRep),
        ];
        let (verdict, by) = combine(&statements, Purpose::Train);
        assert_eq!(verdict, Pref::Disallowed);
        assert_eq!(by.unwrap().signal, Signal::XRobotsTag);
        let (search, by) = combine(&statements, Purpose::Search);
        assert_eq!(
            (search, by.unwrap().signal),
            (Pref::Disallowed, Signal::ContentSignal)
        );
        assert_eq!(
            combine(&statements, Purpose::AiInput),
            (Pref::Unknown, None)
        );
        let allow = [statement(Purpose::Train, Pref::Allowed, Signal::Rsl)];
        assert_eq!(combine(&allow, Purpose::Train).0, Pref::Allowed);
    }

    #[test]
    fn unknown_stays_distinct() {
        assert!(keeps(Pref::Unknown, UnknownPolicy::Keep));
        assert!(!keeps(Pref::Unknown, UnknownPolicy::Drop));
        assert!(keeps(Pref::Allowed, UnknownPolicy::Drop));
        assert!(!keeps(Pref::Disallowed, UnknownPolicy::Keep));
    }

    #[test]
    fn signal_sets_read_and_name_their_codes() {
        let set = SignalSet::from_names(&["tdmrep", "content-usage"]).unwrap();
        assert!(set.contains(Signal::TdmRep) && set.contains(Signal::ContentUsage));
        assert!(!set.contains(Signal::AiTxt));
        assert_eq!(set.names(), ["content-usage", "tdmrep"]);
        assert_eq!(SignalSet::from_names(&["all"]).unwrap(), SignalSet::all());
        assert_eq!(SignalSet::from_names(&["none"]).unwrap().names().len(), 0);
        assert_eq!(SignalSet::all().names().len(), Signal::ALL.len());
        let err = SignalSet::from_names(&["c2pa-typo"]).unwrap_err();
        assert!(err.contains("c2pa-typo") && err.contains("tdmrep"), "{err}");
    }

    #[test]
    fn codes_are_unique() {
        let all = Signal::ALL;
        let mut codes: Vec<_> = all.iter().map(|s| s.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }
}
