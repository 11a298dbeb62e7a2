//! Page-level signals: what one HTTP response says about the use of its
//! content, from its headers and the head of its HTML. This is the API the
//! corpus readers (WARC responses) and `optout explain` call; it does no
//! I/O.
//!
//! | source | signal | purpose |
//! |---|---|---|
//! | `X-Robots-Tag` / `robots-tag` header: `noai`, `noimageai`, `noarchive` (without `nocache`), also `gptbot: noai` | `x-robots-tag` | train |
//! | `<meta name="robots">` and agent-named meta tags, same directives | `meta-robots` | train |
//! | `tdm-reservation` header, then `<meta name="tdm-reservation">` (TDMRep: the later source that sets a value wins) | `tdmrep` | train |
//! | `Content-Usage` header (aipref, RFC 9651 dictionary) | `content-usage` | train, search, ai-input (vocab-08 `ai-use`) |
//! | TDMRep in the content: PDF XMP, EPUB package metadata (after meta in TDMRep's order) | `tdmrep` | train |
//! | IPTC `plus:DataMining` in the content's XMP | `iptc-data-mining` | train, search, ai-input |
//! | C2PA manifest, CAWG training-and-data-mining assertion | `c2pa` | train, ai-input |
//!
//! `noimageai` disallows training only for an image (`image`); the page's
//! own HTML is not an image. Directives scoped to an agent apply when the
//! agent is among those a run enforces. Several headers of one name are
//! read as one comma-separated list, as RFC 9110 §5.3 allows.

use crate::signals::aipref::{Pref, UsagePrefs};
use crate::signals::html_meta::PageMeta;
use crate::signals::robots_tag::{self, Directive, TrainingDirectives};
use crate::signals::tdmrep::Reservation;
use crate::signals::usage::{Purpose, Signal, Statement, TdmSource, tdm_pref, tdm_supersede};

/// What one response says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageSignals {
    /// Directives of `X-Robots-Tag` (and `robots-tag`) headers.
    pub header_directives: Vec<Directive>,
    /// The `tdm-reservation` header.
    pub tdm_header: Option<Reservation>,
    /// The `tdm-policy` header.
    pub tdm_policy_header: Option<String>,
    /// The `Content-Usage` header(s), combined.
    pub content_usage: Option<UsagePrefs>,
    /// The HTML head, when the body is HTML.
    pub meta: PageMeta,
    /// `Link: <…>; rel="license"` targets, for RSL.
    pub license_links: Vec<String>,
    /// What the content's own metadata says (PDF, EPUB, images, video).
    pub media: crate::signals::media::MediaSignals,
}

impl PageSignals {
    /// Reads response headers (name, value; any case, repeated names
    /// allowed) and, for an HTML body, its head. Never fails.
    #[must_use]
    pub fn read<'a>(
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        html: Option<&[u8]>,
    ) -> PageSignals {
        let mut page = PageSignals::default();
        let mut usage: Vec<&str> = Vec::new();
        for (name, value) in headers {
            let name = name.trim();
            if name.eq_ignore_ascii_case("x-robots-tag") || name.eq_ignore_ascii_case("robots-tag")
            {
                page.header_directives
                    .extend(robots_tag::parse_header(value));
            } else if name.eq_ignore_ascii_case("tdm-reservation") {
                page.tdm_header = Some(Reservation::from_text(value));
            } else if name.eq_ignore_ascii_case("tdm-policy") {
                page.tdm_policy_header = Some(value.trim().to_owned());
            } else if name.eq_ignore_ascii_case("content-usage") {
                usage.push(value);
            } else if name.eq_ignore_ascii_case("link") {
                page.license_links.extend(license_links(value));
            }
        }
        if !usage.is_empty() {
            // Field lines of one name combine into one comma-separated
            // value (RFC 9110 §5.3), which RFC 9651 then parses whole.
            page.content_usage = Some(UsagePrefs::parse(usage.join(", ").as_bytes()));
        }
        if let Some(html) = html {
            page.meta = PageMeta::parse(html);
        }
        page
    }

    /// Reads the content itself (`body`, cut when `truncated`) for the
    /// signals it embeds, when `content_type` or its bytes say it is a
    /// PDF, an EPUB, an image or a video; its C2PA manifest only when
    /// `c2pa`.
    pub fn read_media(
        &mut self,
        content_type: Option<&str>,
        body: &[u8],
        truncated: bool,
        c2pa: bool,
    ) {
        self.media = crate::signals::media::MediaSignals::read(content_type, body, truncated, c2pa);
    }

    /// The statements the page makes about `purpose` for the agents with
    /// keys `agents` (see [`crate::signals::robots::agent_key`]), given a
    /// TDMRep value from the site's tdmrep.json (`file`) that header and
    /// meta supersede. `image`: the content is an image.
    #[must_use]
    pub fn statements(
        &self,
        url: &str,
        agents: &[String],
        purpose: Purpose,
        file: Reservation,
        image: bool,
        reading: crate::signals::aipref::Reading,
    ) -> Vec<Statement> {
        let mut out = Vec::new();
        let statement = |pref, signal, source: &str| Statement {
            purpose,
            pref,
            signal,
            source: format!("{source} of {url}"),
            line: None,
        };
        if let (Some(prefs), Some(category)) = (&self.content_usage, reading.category(purpose)) {
            out.push(statement(
                prefs.get(category, reading.conservative),
                Signal::ContentUsage,
                "header Content-Usage",
            ));
        }
        if let Some(value) = self.media.data_mining() {
            let pref = data_mining_pref(value, purpose, reading.model);
            if pref != Pref::Unknown {
                out.push(statement(
                    pref,
                    Signal::IptcDataMining,
                    &self.media_source(&format!(
                        "{} XMP plus:DataMining {}",
                        self.media.kind.map_or("content", |k| k.as_str()),
                        value.id()
                    )),
                ));
            }
        }
        if let Some(c2pa) = &self.media.c2pa {
            if let Some((pref, text)) = c2pa_pref(c2pa, purpose, reading.model) {
                let kind = self.media.kind.map_or("content", |k| k.as_str());
                out.push(statement(
                    pref,
                    Signal::C2pa,
                    &self.media_source(&format!("{kind} C2PA {text}")),
                ));
            }
        }
        if purpose != Purpose::Train {
            return out;
        }
        let header = TrainingDirectives::of(&self.header_directives, agents);
        if header.disallows(image) {
            out.push(statement(
                Pref::Disallowed,
                Signal::XRobotsTag,
                "header X-Robots-Tag",
            ));
        }
        let meta = TrainingDirectives::of(&self.meta.robots, agents);
        if meta.disallows(image) {
            out.push(statement(
                Pref::Disallowed,
                Signal::MetaRobots,
                "meta robots",
            ));
        }
        let tdm = [
            (TdmSource::File, file),
            (
                TdmSource::Header,
                self.tdm_header.unwrap_or(Reservation::Unset),
            ),
            (
                TdmSource::Meta,
                self.meta.tdm_reservation.unwrap_or(Reservation::Unset),
            ),
            (
                TdmSource::Embedded,
                self.media.tdm().map_or(Reservation::Unset, |(r, _)| r),
            ),
        ];
        // Only a header or meta value is the page's own statement; the
        // file's is the site's, stated by its own source.
        if let (
            reservation,
            Some(source @ (TdmSource::Header | TdmSource::Meta | TdmSource::Embedded)),
        ) = tdm_supersede(&tdm)
        {
            let name = match source {
                TdmSource::Header => "header tdm-reservation".to_owned(),
                TdmSource::Meta => "meta tdm-reservation".to_owned(),
                _ => self.media_source(&self.media.tdm().map(|(_, s)| s).unwrap_or_default()),
            };
            out.push(statement(tdm_pref(reservation), Signal::TdmRep, &name));
        }
        out
    }

    /// A media statement's source, saying when the file was read only in
    /// part (what lies past the cut is unread).
    fn media_source(&self, text: &str) -> String {
        if self.media.truncated {
            format!("{text} (the file was read in part: it goes on past the reader's limit)")
        } else {
            text.to_owned()
        }
    }

    /// Whether the page overrides the site's tdmrep.json: a header or meta
    /// `tdm-reservation` supersedes the file (TDMRep's precedence).
    #[must_use]
    pub fn supersedes_tdm_file(&self) -> bool {
        self.media.tdm().is_some()
            || self.tdm_header.is_some_and(|r| r != Reservation::Unset)
            || self
                .meta
                .tdm_reservation
                .is_some_and(|r| r != Reservation::Unset)
    }
}

/// What a C2PA manifest's training-and-data-mining entries say about
/// `purpose`, and the evidence: training reads `ai_training`, and
/// `ai_generative_training` for a generative model; AI input reads
/// `ai_inference`; both read `data_mining`; search reads none. The most
/// restrictive entry decides; `notAllowed` and `constrained` refuse even
/// from a manifest that did not validate, `allowed` counts only from one
/// that did.
#[must_use]
pub fn c2pa_pref(
    c2pa: &crate::signals::c2pa::C2paSignals,
    purpose: Purpose,
    model: crate::signals::aipref::ModelKind,
) -> Option<(Pref, String)> {
    use crate::signals::aipref::ModelKind;
    use crate::signals::c2pa::{Entry, Use};
    let kinds: &[Entry] = match (purpose, model) {
        (Purpose::Train, ModelKind::Generative) => &[
            Entry::GenerativeTraining,
            Entry::Training,
            Entry::DataMining,
        ],
        (Purpose::Train, ModelKind::NonGenerative) => &[Entry::Training, Entry::DataMining],
        (Purpose::AiInput, _) => &[Entry::Inference, Entry::DataMining],
        (Purpose::Search, _) => &[],
    };
    let (entry, use_) = c2pa.use_of(kinds)?;
    let pref = match use_ {
        Use::NotAllowed | Use::Constrained => Pref::Disallowed,
        Use::Allowed if c2pa.validated() => Pref::Allowed,
        Use::Allowed => Pref::Unknown,
    };
    let text = format!(
        "{} {}.{}: {} (manifest {}, {})",
        c2pa.assertion.as_deref().unwrap_or("training-mining"),
        if c2pa.assertion.as_deref() == Some("c2pa.training-mining") {
            "c2pa"
        } else {
            "cawg"
        },
        entry.name(),
        use_.as_str(),
        c2pa.manifest.as_deref().unwrap_or("unnamed"),
        c2pa.validation
    );
    Some((pref, text))
}

/// What a `plus:DataMining` value says about `purpose` (IPTC Photo
/// Metadata Standard 2023.1, PLUS `DMI-` vocabulary). Prohibiting all data
/// mining, or all but search indexing, refuses training and AI input
/// (search is allowed by the latter); prohibiting AI/ML training refuses
/// training only, and generative training only a generative model's; a
/// prohibition "see constraint" or "see rights expression" is read as a
/// prohibition, since optout does not read the constraint.
#[must_use]
pub fn data_mining_pref(
    value: &crate::signals::xmp::DataMining,
    purpose: Purpose,
    model: crate::signals::aipref::ModelKind,
) -> Pref {
    use crate::signals::aipref::ModelKind;
    use crate::signals::xmp::DataMining as D;
    match (value, purpose) {
        (D::Allowed, _) => Pref::Allowed,
        (D::Prohibited | D::ProhibitedSee(_), _) => Pref::Disallowed,
        (D::ProhibitedExceptSearch, Purpose::Search) => Pref::Allowed,
        (D::ProhibitedExceptSearch, _) => Pref::Disallowed,
        (D::ProhibitedAiTraining, Purpose::Train) => Pref::Disallowed,
        (D::ProhibitedGenAiTraining, Purpose::Train) if model == ModelKind::Generative => {
            Pref::Disallowed
        }
        _ => Pref::Unknown,
    }
}

/// The targets of `rel="license"` links in one `Link` header value.
fn license_links(value: &str) -> Vec<String> {
    value
        .split(',')
        .filter_map(|link| {
            let (target, params) = link.trim().split_once('>')?;
            let target = target.trim().strip_prefix('<')?;
            let rel = params.split(';').any(|p| {
                let p = p.trim().to_ascii_lowercase();
                p == "rel=license" || p == "rel=\"license\""
            });
            rel.then(|| target.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IPTC 2023.1 `plus:DataMining` values against each purpose:
    /// (value, train, search, ai-input).
    #[test]
    fn data_mining_values_per_purpose() {
        use crate::signals::aipref::ModelKind;
        use crate::signals::xmp::DataMining as D;
        use Pref::{Allowed as Y, Disallowed as N, Unknown as U};
        let cases = [
            (D::Allowed, Y, Y, Y),
            (D::Unspecified, U, U, U),
            (D::Prohibited, N, N, N),
            (D::ProhibitedExceptSearch, N, Y, N),
            (D::ProhibitedAiTraining, N, U, U),
            (D::ProhibitedGenAiTraining, N, U, U),
            (
                D::ProhibitedSee("DMI-PROHIBITED-SEECONSTRAINT".into()),
                N,
                N,
                N,
            ),
            (D::Other("DMI-MAYBE".into()), U, U, U),
        ];
        for (value, train, search, input) in cases {
            let got = [Purpose::Train, Purpose::Search, Purpose::AiInput]
                .map(|p| data_mining_pref(&value, p, ModelKind::Generative));
            assert_eq!(got, [train, search, input], "{value:?}");
        }
        assert_eq!(
            data_mining_pref(
                &D::ProhibitedGenAiTraining,
                Purpose::Train,
                ModelKind::NonGenerative
            ),
            U,
            "a classifier is not generative training"
        );
        assert_eq!(
            data_mining_pref(
                &D::ProhibitedAiTraining,
                Purpose::Train,
                ModelKind::NonGenerative
            ),
            N
        );
    }
    use Pref::{Allowed as Y, Disallowed as N};

    fn train(headers: &[(&str, &str)], html: &str, agents: &[&str]) -> Vec<(Signal, Pref)> {
        let page = PageSignals::read(headers.iter().copied(), Some(html.as_bytes()));
        let agents: Vec<String> = agents.iter().map(|a| a.to_ascii_lowercase()).collect();
        page.statements(
            "u",
            &agents,
            Purpose::Train,
            Reservation::Unset,
            false,
            crate::signals::aipref::Reading::default(),
        )
        .into_iter()
        .map(|s| (s.signal, s.pref))
        .collect()
    }

    /// SIGNALS.md §7.8 cases that meet at the page level, and §6.8 case 5.
    #[test]
    fn page_level_cases() {
        // noai in a header, any case, in a comma list.
        assert_eq!(
            train(&[("X-Robots-Tag", "noindex, NoAI")], "", &["gptbot"]),
            [(Signal::XRobotsTag, N)]
        );
        // Agent-scoped: only for that agent.
        let scoped = [("x-robots-tag", "gptbot: noai")];
        assert_eq!(train(&scoped, "", &["gptbot"]), [(Signal::XRobotsTag, N)]);
        assert!(train(&scoped, "", &["ccbot"]).is_empty());
        // Several headers.
        assert_eq!(
            train(
                &[("X-Robots-Tag", "noindex"), ("X-Robots-Tag", "noai")],
                "",
                &["ccbot"]
            ),
            [(Signal::XRobotsTag, N)]
        );
        // noimageai alone does not disallow a page's text.
        assert!(train(&[("X-Robots-Tag", "noimageai")], "", &["ccbot"]).is_empty());
        // Meta tags, robots and agent-named.
        let meta = r#"<html><head><meta name="robots" content="noai"></head></html>"#;
        assert_eq!(train(&[], meta, &["ccbot"]), [(Signal::MetaRobots, N)]);
        let named = r#"<html><head><meta name="GPTBot" content="noai"></head></html>"#;
        assert_eq!(train(&[], named, &["gptbot"]), [(Signal::MetaRobots, N)]);
        assert!(train(&[], named, &["ccbot"]).is_empty());
        // TDMRep: meta 1 overrides header 0.
        let tdm_meta = r#"<head><meta name="tdm-reservation" content="1"></head>"#;
        assert_eq!(
            train(&[("tdm-reservation", "0")], tdm_meta, &["x"]),
            [(Signal::TdmRep, N)]
        );
        assert_eq!(
            train(&[("tdm-reservation", "0")], "", &["x"]),
            [(Signal::TdmRep, Y)]
        );
        // Content-Usage header, split over two lines.
        assert_eq!(
            train(
                &[
                    ("Content-Usage", "search=y"),
                    ("content-usage", "train-ai=n")
                ],
                "",
                &["x"]
            ),
            [(Signal::ContentUsage, N)]
        );
    }

    #[test]
    fn a_header_overrides_the_file_but_silence_does_not() {
        let page = PageSignals::read([("tdm-reservation", "0")], None);
        let s = page.statements(
            "u",
            &[],
            Purpose::Train,
            Reservation::Reserved,
            false,
            crate::signals::aipref::Reading::default(),
        );
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].signal, s[0].pref), (Signal::TdmRep, Y));
        assert!(page.supersedes_tdm_file());
        let silent = PageSignals::read([("content-type", "text/html")], None);
        assert!(
            silent
                .statements(
                    "u",
                    &[],
                    Purpose::Train,
                    Reservation::Reserved,
                    false,
                    crate::signals::aipref::Reading::default()
                )
                .is_empty(),
            "the file's own statement is not repeated as the page's"
        );
        assert!(!silent.supersedes_tdm_file());
    }

    #[test]
    fn license_links_are_collected() {
        let page = PageSignals::read(
            [(
                "Link",
                r#"<https://e.com/l.xml>; rel="license"; type="application/rsl+xml", </style.css>; rel=stylesheet"#,
            )],
            None,
        );
        assert_eq!(page.license_links, ["https://e.com/l.xml"]);
    }
}
