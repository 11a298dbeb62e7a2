//! RSL, Really Simple Licensing 1.0 (design notes SIGNALS.md §8): the
//! license documents that robots.txt `License:` lines point to. Parsing and
//! the `ai-train` question only; fetching the document is `fetch`'s.
//!
//! A document is `<rsl xmlns="https://rslstandard.org/rsl">` with
//! `<content url="…">` elements, each with `<license>` elements holding
//! `<permits type="usage">`, `<prohibits type="usage">` and `<payment>`.
//! For a URL, the most specific matching `<content>` applies (its `url` is
//! a full URL or an RFC 9309 path pattern; longest pattern wins). For
//! training, within that content:
//!
//! * a `prohibits` usage of `ai-train`, `ai-all` or `all` prohibits;
//! * a `permits` usage list is closed: when there is one and it names none
//!   of those, training is not licensed (SIGNALS.md §8.3 case 3);
//! * otherwise training is licensed, free when there is no `<payment>` or
//!   its type is `free`, else only under a license of that payment type;
//! * several licenses combine to the most restrictive.
//!
//! Tokens are space- or comma-separated (some generators use commas); the
//! non-standard `train-ai` is read as `ai-train` and flagged. A document
//! that cannot be read as RSL makes the asset unlicensed, as the spec asks
//! when an asset declares a license that cannot be obtained.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::signals::robots::matcher::Pattern;
use crate::signals::robots::normalize::{self, Side};

/// The RSL namespace.
pub const NAMESPACE: &str = "https://rslstandard.org/rsl";

/// What an RSL document says about AI training of an asset, from most to
/// least permissive.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Training {
    /// Licensed, free of charge.
    Permitted,
    /// Licensed under a paid license of this payment type (`purchase`,
    /// `subscription`, `training`, …).
    NeedsLicense(String),
    /// Not in the closed `permits` list.
    NotLicensed,
    /// Explicitly prohibited.
    Prohibited,
}

/// One `<license>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct License {
    /// `permits type="usage"` tokens; `None` when there is no such element.
    pub permits: Option<Vec<String>>,
    /// `prohibits type="usage"` tokens.
    pub prohibits: Vec<String>,
    /// The `payment` type, when there is a payment element.
    pub payment: Option<String>,
}

/// One `<content>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Content {
    /// The `url` attribute as written.
    pub url: String,
    /// Its path pattern in robots.txt normal form.
    pattern: Vec<u8>,
    /// The `server` attribute (a license server: a token is needed).
    pub server: Option<String>,
    /// The licenses.
    pub licenses: Vec<License>,
}

/// A parsed RSL document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RslDocument {
    /// The `<content>` elements, in order.
    pub contents: Vec<Content>,
    /// `max-age` in days (default 30).
    pub max_age_days: u32,
    /// Non-standard forms read leniently (comma lists, `train-ai`).
    pub notes: Vec<String>,
}

/// Why a body is not a usable RSL document.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a usable RSL document: {0}")]
pub struct RslError(pub String);

const TRAINING_TOKENS: [&str; 3] = ["ai-train", "ai-all", "all"];

fn attr(element: &BytesStart<'_>, name: &str) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name.as_bytes())
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// The path part of a `<content url>`: the pattern itself, or the path of
/// a full URL.
fn path_of(url: &str) -> String {
    if url.starts_with('/') || url.starts_with('*') {
        return url.to_owned();
    }
    match url::Url::parse(url) {
        Ok(parsed) => {
            let mut path = parsed.path().to_owned();
            if let Some(query) = parsed.query() {
                path.push('?');
                path.push_str(query);
            }
            path
        }
        Err(_) => url.to_owned(),
    }
}

impl RslDocument {
    /// Parses a document.
    ///
    /// # Errors
    ///
    /// [`RslError`] when the body is not XML, its root is not `<rsl>` in
    /// the RSL namespace, or it has no `<content>`.
    pub fn parse(body: &[u8]) -> Result<RslDocument, RslError> {
        let text = String::from_utf8_lossy(body);
        let mut reader = Reader::from_str(&text);
        reader.config_mut().trim_text(true);
        let mut doc = RslDocument {
            max_age_days: 30,
            ..RslDocument::default()
        };
        let mut stack: Vec<String> = Vec::new();
        // The element whose text is being read: (permits?, type).
        let mut reading: Option<(bool, String)> = None;
        let mut saw_root = false;
        loop {
            let event = reader.read_event().map_err(|e| {
                RslError(format!(
                    "XML error at byte {}: {e}",
                    reader.buffer_position()
                ))
            })?;
            match event {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    let empty = matches!(event, Event::Empty(_));
                    match (stack.last().map(String::as_str), name.as_str()) {
                        (None, "rsl") => {
                            saw_root = true;
                            if attr(e, "xmlns").as_deref() != Some(NAMESPACE) {
                                return Err(RslError(format!(
                                    "the root is not in the namespace `{NAMESPACE}`"
                                )));
                            }
                            if let Some(days) =
                                attr(e, "max-age").and_then(|d| d.trim().parse().ok())
                            {
                                doc.max_age_days = days;
                            }
                        }
                        (None, other) => {
                            return Err(RslError(format!("the root is `<{other}>`, not `<rsl>`")));
                        }
                        (Some("rsl"), "content") => {
                            let url = attr(e, "url")
                                .ok_or_else(|| RslError("a `<content>` without `url`".into()))?;
                            let mut pattern = Vec::new();
                            normalize::normalize_into(
                                path_of(&url).as_bytes(),
                                Side::Pattern,
                                &mut pattern,
                            );
                            doc.contents.push(Content {
                                url,
                                pattern,
                                server: attr(e, "server"),
                                licenses: Vec::new(),
                            });
                        }
                        (Some("content"), "license") => {
                            if let Some(content) = doc.contents.last_mut() {
                                content.licenses.push(License::default());
                            }
                        }
                        (Some("license"), kind @ ("permits" | "prohibits")) => {
                            let of = attr(e, "type").unwrap_or_else(|| "usage".into());
                            reading = Some((kind == "permits", of));
                        }
                        (Some("license"), "payment") => {
                            let kind = attr(e, "type").unwrap_or_else(|| "free".into());
                            if let Some(license) =
                                doc.contents.last_mut().and_then(|c| c.licenses.last_mut())
                            {
                                license.payment = Some(kind);
                            }
                        }
                        _ => {}
                    }
                    if empty {
                        if let Some((permits, of)) = reading.take() {
                            doc.tokens(permits, &of, "");
                        }
                    } else {
                        stack.push(name);
                    }
                }
                Event::Text(t) => {
                    if let Some((permits, of)) = reading.take() {
                        let text = t.decode().map_err(|e| RslError(e.to_string()))?;
                        doc.tokens(permits, &of, &text);
                    }
                }
                Event::End(_) => {
                    if let Some((permits, of)) = reading.take() {
                        doc.tokens(permits, &of, "");
                    }
                    stack.pop();
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if !saw_root {
            return Err(RslError("no `<rsl>` root".into()));
        }
        if doc.contents.is_empty() {
            return Err(RslError("no `<content>`".into()));
        }
        Ok(doc)
    }

    /// Records the tokens of a `permits` or `prohibits` element.
    fn tokens(&mut self, permits: bool, of: &str, text: &str) {
        if of != "usage" {
            return;
        }
        if text.contains(',') {
            self.notes
                .push("comma-separated tokens (the spec separates by spaces)".into());
        }
        let mut tokens: Vec<String> = Vec::new();
        for token in text
            .split([' ', ',', '\t', '\n', '\r'])
            .filter(|t| !t.is_empty())
        {
            let token = token.to_ascii_lowercase();
            if token == "train-ai" {
                self.notes
                    .push("`train-ai` read as `ai-train` (non-standard)".into());
                tokens.push("ai-train".into());
            } else {
                tokens.push(token);
            }
        }
        let Some(license) = self.contents.last_mut().and_then(|c| c.licenses.last_mut()) else {
            return;
        };
        if permits {
            license.permits.get_or_insert_with(Vec::new).extend(tokens);
        } else {
            license.prohibits.extend(tokens);
        }
    }

    /// The most specific `<content>` for `path` (robots.txt normal form).
    #[must_use]
    pub fn content_for(&self, path: &[u8]) -> Option<&Content> {
        self.contents
            .iter()
            .filter(|c| Pattern::new(&c.pattern).matches(path))
            .max_by_key(|c| c.pattern.len())
    }

    /// What the document says about AI training of `path`; `None` when no
    /// `<content>` covers it.
    #[must_use]
    pub fn training(&self, path: &[u8]) -> Option<Training> {
        let content = self.content_for(path)?;
        let training = |license: &License| {
            let names =
                |tokens: &[String]| tokens.iter().any(|t| TRAINING_TOKENS.contains(&t.as_str()));
            if names(&license.prohibits) {
                return Training::Prohibited;
            }
            if license.permits.as_deref().is_some_and(|p| !names(p)) {
                return Training::NotLicensed;
            }
            match license.payment.as_deref() {
                None | Some("free") => Training::Permitted,
                Some(kind) => Training::NeedsLicense(kind.to_owned()),
            }
        };
        Some(
            content
                .licenses
                .iter()
                .map(training)
                .max()
                .unwrap_or(Training::Permitted),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(contents: &str) -> String {
        format!(r#"<?xml version="1.0"?><rsl xmlns="https://rslstandard.org/rsl">{contents}</rsl>"#)
    }

    fn training(contents: &str, path: &str) -> Option<Training> {
        RslDocument::parse(doc(contents).as_bytes())
            .unwrap()
            .training(path.as_bytes())
    }

    #[test]
    fn usage_decisions() {
        let cases: &[(&str, Option<Training>, &str)] = &[
            (
                r#"<content url="/"><license><prohibits type="usage">ai-train</prohibits></license></content>"#,
                Some(Training::Prohibited),
                "explicit prohibition",
            ),
            (
                r#"<content url="/"><license><permits type="usage">search</permits></license></content>"#,
                Some(Training::NotLicensed),
                "§8.3 case 3: permits is a closed list",
            ),
            (
                r#"<content url="/"><license><permits type="usage">search</permits><prohibits type="usage">ai-all</prohibits></license></content>"#,
                Some(Training::Prohibited),
                "§8.3 case 4: ai-all prohibited",
            ),
            (
                r#"<content url="/"><license><permits type="usage">ai-train search</permits></license></content>"#,
                Some(Training::Permitted),
                "permitted, free",
            ),
            (
                r#"<content url="/"><license><permits type="usage">all</permits><payment type="training"><amount currency="USD">10</amount></payment></license></content>"#,
                Some(Training::NeedsLicense("training".into())),
                "paid license",
            ),
            (
                r#"<content url="/"><license><payment type="free"/></license></content>"#,
                Some(Training::Permitted),
                "free, no usage list",
            ),
            (
                r#"<content url="/"><license><permits type="usage">search, train-ai</permits></license></content>"#,
                Some(Training::Permitted),
                "§8.3 case 8: comma list and train-ai, flagged",
            ),
            (
                r#"<content url="/"><license><permits type="user">commercial</permits></license></content>"#,
                Some(Training::Permitted),
                "user permits do not close the usage list",
            ),
            (
                r#"<content url="/a/"><license/></content>"#,
                None,
                "no content for the path",
            ),
        ];
        for (contents, expected, source) in cases {
            assert_eq!(&training(contents, "/x"), expected, "{source}");
        }
    }

    #[test]
    fn the_most_specific_content_wins() {
        // §8.3 case 5.
        let contents = r#"<content url="/"><license><permits type="usage">all</permits></license></content>
            <content url="/premium/*"><license><prohibits type="usage">ai-train</prohibits></license></content>"#;
        assert_eq!(training(contents, "/free/a"), Some(Training::Permitted));
        assert_eq!(training(contents, "/premium/a"), Some(Training::Prohibited));
        let full = r#"<content url="https://example.com/docs/"><license><prohibits type="usage">all</prohibits></license></content>"#;
        assert_eq!(
            training(full, "/docs/x"),
            Some(Training::Prohibited),
            "full URLs match by path"
        );
    }

    #[test]
    fn lenient_forms_are_noted() {
        let body = doc(
            r#"<content url="/"><license><permits type="usage">search, train-ai</permits></license></content>"#,
        );
        let parsed = RslDocument::parse(body.as_bytes()).unwrap();
        assert_eq!(parsed.notes.len(), 2, "{:?}", parsed.notes);
        let strict = doc(
            r#"<content url="/"><license><permits type="usage">search ai-train</permits></license></content>"#,
        );
        assert!(
            RslDocument::parse(strict.as_bytes())
                .unwrap()
                .notes
                .is_empty()
        );
    }

    #[test]
    fn licenses_combine_to_the_most_restrictive() {
        let contents = r#"<content url="/"><license><permits type="usage">all</permits></license>
            <license><prohibits type="usage">ai-train</prohibits></license></content>"#;
        assert_eq!(training(contents, "/x"), Some(Training::Prohibited));
    }

    #[test]
    fn unusable_documents() {
        for body in [
            "not xml at all <",
            r#"<rsl><content url="/"/></rsl>"#,
            r#"<license xmlns="https://rslstandard.org/rsl"/>"#,
            r#"<rsl xmlns="https://rslstandard.org/rsl"></rsl>"#,
            "",
        ] {
            assert!(RslDocument::parse(body.as_bytes()).is_err(), "{body:?}");
        }
        let parsed =
            RslDocument::parse(doc(r#"<content url="/"><license/></content>"#).as_bytes()).unwrap();
        assert_eq!(parsed.max_age_days, 30, "§8.3 case 7: default max-age");
    }
}
