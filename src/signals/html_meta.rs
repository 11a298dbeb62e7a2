//! Opt-out signals in an HTML document's `<head>`: robots meta tags
//! (`<meta name="robots" content="noai">`, agent-named ones such as
//! `<meta name="GPTBot" content="noai">`) and TDMRep's
//! `<meta name="tdm-reservation" content="1">` and `tdm-policy`. Parsing
//! only: the corpus readers hand documents in.
//!
//! Most pages carry none of these, so a byte pre-scan comes first: without
//! a `<meta` and one of the words the tags need (`noai`, `noimageai`,
//! `noarchive`, `tdm-`), the document is not parsed at all. Otherwise the
//! head (the bytes before `</head>`, at most [`HEAD_LIMIT`]) is parsed with
//! `scraper`, an HTML5 parser, so that comments, scripts and odd markup are
//! read as a browser would: a `noai` inside a comment or a script is not a
//! tag.

use memchr::memmem;
use scraper::{Html, Selector};

use crate::signals::robots_tag::{self, Directive};
use crate::signals::tdmrep::Reservation;

/// Bytes of a document read at most: heads are small, and a page without
/// `</head>` must not make optout parse megabytes.
pub const HEAD_LIMIT: usize = 256 * 1024;

/// What a document's head says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageMeta {
    /// Robots directives from `robots` and agent-named meta tags.
    pub robots: Vec<Directive>,
    /// `tdm-reservation`; the last tag wins, as for later sources in
    /// TDMRep's precedence.
    pub tdm_reservation: Option<Reservation>,
    /// `tdm-policy`.
    pub tdm_policy: Option<String>,
    /// The document was parsed (the pre-scan found candidates).
    pub parsed: bool,
}

/// Case-insensitive search of an ASCII `needle` (given in lower case):
/// candidates are found with `memchr` on the first byte's two cases, so a
/// page costs about one vectorised scan per needle.
fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    memchr::memchr2_iter(first, first.to_ascii_uppercase(), haystack).any(|at| {
        haystack
            .get(at + 1..at + needle.len())
            .is_some_and(|tail| tail.eq_ignore_ascii_case(rest))
    })
}

/// The part of `html` that can hold the head.
fn head(html: &[u8]) -> &[u8] {
    let html = &html[..html.len().min(HEAD_LIMIT)];
    // `</head>` in any case: search the common spellings quickly, then
    // fall back to a case-insensitive scan.
    let end = memmem::find(html, b"</head>")
        .or_else(|| memmem::find(html, b"</HEAD>"))
        .or_else(|| {
            html.windows(7)
                .position(|w| w.eq_ignore_ascii_case(b"</head>"))
        });
    end.map_or(html, |end| &html[..end + 7])
}

/// Whether the head can hold a signal at all: the pre-scan.
#[must_use]
pub fn may_have_signals(html: &[u8]) -> bool {
    let head = head(html);
    contains_ignore_case(head, b"<meta")
        && [&b"noai"[..], b"noimageai", b"noarchive", b"tdm-"]
            .iter()
            .any(|word| contains_ignore_case(head, word))
}

impl PageMeta {
    /// Reads the signals of an HTML document. Never fails.
    #[must_use]
    pub fn parse(html: &[u8]) -> PageMeta {
        if !may_have_signals(html) {
            return PageMeta::default();
        }
        let text = String::from_utf8_lossy(head(html));
        let document = Html::parse_document(&text);
        let selector = Selector::parse("head meta[name]").expect("a valid selector");
        let mut meta = PageMeta {
            parsed: true,
            ..PageMeta::default()
        };
        for element in document.select(&selector) {
            let value = element.value();
            let (Some(name), Some(content)) = (value.attr("name"), value.attr("content")) else {
                continue;
            };
            match name.trim().to_ascii_lowercase().as_str() {
                "tdm-reservation" => meta.tdm_reservation = Some(Reservation::from_text(content)),
                "tdm-policy" => meta.tdm_policy = Some(content.trim().to_owned()),
                // Other meta names (description, viewport, …) are not
                // robots tags, but agent-named ones are; any name that is
                // a product token may be one.
                _ => meta.robots.extend(robots_tag::parse_meta(name, content)),
            }
        }
        meta
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::robots_tag::TrainingDirectives;

    fn noai(html: &str, agent: &str) -> bool {
        let meta = PageMeta::parse(html.as_bytes());
        TrainingDirectives::of(&meta.robots, &[agent.to_ascii_lowercase()]).noai
    }

    #[test]
    fn robots_meta() {
        let page = r#"<!doctype html><html><head><title>x</title>
            <meta name="robots" content="noai, noimageai"></head><body>hi</body></html>"#;
        assert!(noai(page, "GPTBot"));
        let upper = r#"<HTML><HEAD><META NAME="ROBOTS" CONTENT="NoAI"></HEAD></HTML>"#;
        assert!(noai(upper, "GPTBot"), "§7.8 case 2");
        let named = r#"<html><head><meta name="GPTBot" content="noai"></head></html>"#;
        assert!(noai(named, "GPTBot"));
        assert!(
            !noai(named, "CCBot"),
            "agent-named tags apply to that agent only"
        );
    }

    #[test]
    fn tdmrep_meta() {
        let page = r#"<html><head><meta name="tdm-reservation" content="1">
            <meta name="tdm-policy" content="https://example.com/policy.json"></head></html>"#;
        let meta = PageMeta::parse(page.as_bytes());
        assert_eq!(meta.tdm_reservation, Some(Reservation::Reserved));
        assert_eq!(
            meta.tdm_policy.as_deref(),
            Some("https://example.com/policy.json")
        );
        let bad = PageMeta::parse(br#"<head><meta name="tdm-reservation" content="yes"></head>"#);
        assert_eq!(
            bad.tdm_reservation,
            Some(Reservation::Unset),
            "protocol error"
        );
    }

    #[test]
    fn look_alikes_are_not_tags() {
        for page in [
            "<html><head><!-- <meta name=\"robots\" content=\"noai\"> --></head></html>",
            "<html><head><script>var m = '<meta name=\"robots\" content=\"noai\">';</script></head></html>",
            "<html><head><title>noai</title></head><body><meta name=\"robots\" content=\"noai\"></body></html>",
        ] {
            assert!(!noai(page, "GPTBot"), "{page}");
        }
    }

    #[test]
    fn the_prescan_skips_pages_without_candidates() {
        let plain = "<html><head><meta charset=\"utf-8\"><title>Shop</title></head><body>noai</body></html>";
        assert!(
            !may_have_signals(plain.as_bytes()),
            "words after </head> do not count"
        );
        assert!(!PageMeta::parse(plain.as_bytes()).parsed);
        let mut long = b"<html><head>".to_vec();
        long.resize(HEAD_LIMIT + 10, b' ');
        long.extend_from_slice(b"<meta name=\"robots\" content=\"noai\">");
        assert!(!may_have_signals(&long), "past the head limit");
    }
}
