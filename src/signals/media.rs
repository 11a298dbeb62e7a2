//! Rights reservations embedded in a response's content (SIGNALS.md
//! §14.4, the EU shortlist's media signals): TDMRep in PDF XMP and in EPUB
//! package metadata, and IPTC's `plus:DataMining` in image XMP (also read
//! in PDF and video XMP, where it is as explicit). Parsing only: the
//! caller hands over the body bytes it holds.
//!
//! | content | where | property |
//! |---|---|---|
//! | PDF (`%PDF-`) | XMP metadata streams | `tdm:reservation`, `tdm:policy` (namespace `…/ns/tdmrep/`); `plus:DataMining` |
//! | EPUB (`application/epub+zip`) | the package document (OPF) `container.xml` names | `<meta property="tdm:reservation">` with `prefix="tdm: …/ns/tdmrep#"` (EPUB 3), `<meta name="tdm:reservation" content>` (EPUB 2) |
//! | images (`image/*`: JPEG, PNG, WebP, …), MP4 | XMP packets | `plus:DataMining` (and TDMRep, if present) |
//!
//! A body cut at the reader's limit is read as far as it goes and flagged:
//! a reservation past the cut cannot be seen, which the evidence says.

use std::io::Read;

use crate::signals::tdmrep::Reservation;
use crate::signals::xmp::{DataMining, TDMREP_EPUB, TDMREP_PDF, XmpSignals};

/// Bytes of an EPUB's `container.xml` and package document read at most.
const MAX_EPUB_PART: u64 = 1 << 20;

/// What kind of content a body is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaKind {
    /// A PDF file.
    Pdf,
    /// An EPUB publication.
    Epub,
    /// An image.
    Image,
    /// A video (MP4 and other ISO BMFF files).
    Video,
}

impl MediaKind {
    /// The kind of a body, from its declared type and its first bytes; `None`
    /// for content that carries none of these signals (HTML, text, JSON).
    #[must_use]
    pub fn detect(content_type: Option<&str>, body: &[u8]) -> Option<MediaKind> {
        let declared = content_type.map(|t| t.trim().to_ascii_lowercase());
        let declared = declared.as_deref().unwrap_or("");
        let head = &body[..body.len().min(1024)];
        if declared.starts_with("application/pdf") || head.starts_with(b"%PDF-") {
            Some(MediaKind::Pdf)
        } else if declared.starts_with("application/epub+zip")
            || (body.starts_with(b"PK\x03\x04")
                && body.get(30..58) == Some(&b"mimetypeapplication/epub+zip"[..]))
        {
            Some(MediaKind::Epub)
        } else if declared.starts_with("image/")
            || head.starts_with(&[0xFF, 0xD8, 0xFF])
            || head.starts_with(b"\x89PNG\r\n\x1a\n")
            || (head.starts_with(b"RIFF") && head.get(8..12) == Some(&b"WEBP"[..]))
        {
            Some(MediaKind::Image)
        } else if declared.starts_with("video/") || head.get(4..8) == Some(&b"ftyp"[..]) {
            Some(MediaKind::Video)
        } else {
            None
        }
    }

    /// `pdf`, `epub`, `image` or `video`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Pdf => "pdf",
            MediaKind::Epub => "epub",
            MediaKind::Image => "image",
            MediaKind::Video => "video",
        }
    }
}

/// What a body's embedded metadata says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MediaSignals {
    /// The kind of content, when it is one that embeds signals.
    pub kind: Option<MediaKind>,
    /// Its XMP packets (PDF, images, video).
    pub xmp: XmpSignals,
    /// TDMRep in an EPUB package document.
    pub epub_tdm: Option<Reservation>,
    /// `tdm:policy` in an EPUB package document.
    pub epub_policy: Option<String>,
    /// A C2PA manifest store, when the content embeds one.
    pub c2pa: Option<crate::signals::c2pa::C2paSignals>,
    /// The body was cut before its end: what lies past the cut is unread.
    pub truncated: bool,
    /// What could not be read (a broken EPUB container), when something
    /// could not.
    pub unreadable: Option<String>,
}

impl MediaSignals {
    /// Reads the body of a response declared as `content_type`; `truncated`
    /// says the caller cut it; its C2PA manifest is read (and validated)
    /// only when `c2pa`. Never fails.
    #[must_use]
    pub fn read(
        content_type: Option<&str>,
        body: &[u8],
        truncated: bool,
        c2pa: bool,
    ) -> MediaSignals {
        let kind = MediaKind::detect(content_type, body);
        let mut out = MediaSignals {
            kind,
            truncated,
            ..MediaSignals::default()
        };
        match kind {
            Some(MediaKind::Epub) => {
                // The archive is hostile input: a panic in the zip reader is
                // an unreadable EPUB, never a crash of the run.
                if let Err(panicked) =
                    crate::panic_guard::guarded("the EPUB reader", || out.read_epub(body))
                {
                    out.unreadable = Some(panicked);
                }
            }
            Some(kind) => {
                out.xmp = XmpSignals::scan(body);
                if let Some(format) = c2pa_format(kind, content_type, body).filter(|_| c2pa) {
                    out.c2pa = crate::signals::c2pa::C2paSignals::read(format, body);
                }
            }
            None => {}
        }
        if out.unreadable.is_none() {
            out.unreadable.clone_from(&out.xmp.unreadable);
        }
        out
    }

    /// TDMRep's embedded value, with its source as evidence names it.
    #[must_use]
    pub fn tdm(&self) -> Option<(Reservation, String)> {
        let source = |place: &str| {
            format!(
                "{} {place} tdm:reservation",
                self.kind.map_or("content", MediaKind::as_str)
            )
        };
        match (self.epub_tdm, self.xmp.tdm_reservation) {
            (Some(r), _) => Some((r, source("package metadata"))),
            // The EPUB namespace in XMP is read leniently (SIGNALS.md §6.8
            // case 8), and the evidence says so.
            (None, Some(r)) if self.xmp.tdm_namespace_flagged() => Some((
                r,
                format!(
                    "{} (in the EPUB namespace `{TDMREP_EPUB}`, read leniently)",
                    source("XMP")
                ),
            )),
            (None, Some(r)) => Some((r, source("XMP"))),
            (None, None) => None,
        }
        .filter(|(r, _)| *r != Reservation::Unset)
    }

    /// IPTC's data-mining value, when one is stated.
    #[must_use]
    pub fn data_mining(&self) -> Option<&DataMining> {
        self.xmp.data_mining.as_ref()
    }

    fn read_epub(&mut self, body: &[u8]) {
        let mut archive = match zip::ZipArchive::new(std::io::Cursor::new(body)) {
            Ok(archive) => archive,
            Err(e) => {
                self.unreadable = Some(format!("EPUB container: {e}"));
                return;
            }
        };
        let mut read = |name: &str| -> Result<String, String> {
            let file = archive
                .by_name(name)
                .map_err(|e| format!("`{name}`: {e}"))?;
            let mut text = String::new();
            file.take(MAX_EPUB_PART)
                .read_to_string(&mut text)
                .map_err(|e| format!("`{name}`: {e}"))?;
            Ok(text)
        };
        let package = read("META-INF/container.xml").and_then(|container| {
            let path = rootfile(&container)
                .ok_or_else(|| "`META-INF/container.xml` names no package document".to_owned())?;
            read(&path)
        });
        match package {
            Ok(opf) => {
                let (reservation, policy) = epub_tdm(&opf);
                self.epub_tdm = reservation;
                self.epub_policy = policy;
            }
            Err(e) => self.unreadable = Some(format!("EPUB: {e}")),
        }
    }
}

/// The MIME type the `c2pa` crate reads `body` as, from its bytes first
/// (a declared type can be wrong), else as declared.
fn c2pa_format(kind: MediaKind, declared: Option<&str>, body: &[u8]) -> Option<&'static str> {
    let by_bytes = if body.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if body.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if body.starts_with(b"RIFF") && body.get(8..12) == Some(&b"WEBP"[..]) {
        Some("image/webp")
    } else if body.get(4..8) == Some(&b"ftyp"[..]) {
        Some("video/mp4")
    } else if body.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    };
    by_bytes.or(
        match (kind, declared.map(str::to_ascii_lowercase).as_deref()) {
            (MediaKind::Image, Some(t)) if t.starts_with("image/tiff") => Some("image/tiff"),
            (MediaKind::Image, Some(t)) if t.starts_with("image/avif") => Some("image/avif"),
            (MediaKind::Image, Some(t)) if t.starts_with("image/heic") => Some("image/heic"),
            _ => None,
        },
    )
}

/// The package document's path in `container.xml`.
fn rootfile(container: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_str(container);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e))
                if e.local_name().as_ref() == b"rootfile" =>
            {
                return attribute(&e, b"full-path");
            }
            Ok(quick_xml::events::Event::Eof) | Err(_) => return None,
            _ => {}
        }
    }
}

fn attribute(e: &quick_xml::events::BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.trim().to_owned())
        })
}

/// TDMRep in a package document: EPUB 3 `<meta property="P:reservation">`
/// where the package's `prefix` binds P to TDMRep's namespace (either form;
/// `tdm` itself when unbound, leniently), and EPUB 2 `<meta
/// name="tdm:reservation" content="…">`.
fn epub_tdm(opf: &str) -> (Option<Reservation>, Option<String>) {
    let mut reader = quick_xml::Reader::from_str(opf);
    let mut prefixes: Vec<String> = Vec::new();
    let mut open: Option<&'static str> = None;
    let (mut reservation, mut policy) = (None, None);
    let is_tdm = |prefixes: &[String], value: &str, local: &str| {
        value
            .split_once(':')
            .is_some_and(|(p, l)| l == local && (p == "tdm" || prefixes.iter().any(|q| q == p)))
    };
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
                let local = e.local_name();
                if local.as_ref() == b"package" {
                    if let Some(declared) = attribute(&e, b"prefix") {
                        let words: Vec<&str> = declared.split_whitespace().collect();
                        for pair in words.windows(2) {
                            if matches!(pair[1], TDMREP_EPUB | TDMREP_PDF) {
                                prefixes.push(pair[0].trim_end_matches(':').to_owned());
                            }
                        }
                    }
                } else if local.as_ref() == b"meta" {
                    let property = attribute(&e, b"property");
                    let name = attribute(&e, b"name");
                    open = None;
                    for key in [property.as_deref(), name.as_deref()].into_iter().flatten() {
                        if is_tdm(&prefixes, key, "reservation") {
                            open = Some("reservation");
                        } else if is_tdm(&prefixes, key, "policy") {
                            open = Some("policy");
                        }
                    }
                    if let (Some(which), Some(content)) = (open, attribute(&e, b"content")) {
                        set(which, &content, &mut reservation, &mut policy);
                        open = None;
                    }
                }
            }
            Ok(quick_xml::events::Event::Text(t)) => {
                if let (Some(which), Ok(text)) = (open, t.decode()) {
                    set(which, &text, &mut reservation, &mut policy);
                }
            }
            Ok(quick_xml::events::Event::End(_)) => open = None,
            Ok(quick_xml::events::Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    (reservation, policy)
}

fn set(
    which: &str,
    value: &str,
    reservation: &mut Option<Reservation>,
    policy: &mut Option<String>,
) {
    if which == "reservation" {
        let read = Reservation::from_text(value);
        if *reservation != Some(Reservation::Reserved) {
            *reservation = Some(read);
        }
    } else if policy.is_none() {
        *policy = Some(value.trim().to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// An EPUB (a zip whose first entry is the stored `mimetype`) with the
    /// package document `opf`.
    pub(crate) fn epub(opf: &str) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("mimetype", stored).unwrap();
        zip.write_all(b"application/epub+zip").unwrap();
        zip.start_file("META-INF/container.xml", deflated).unwrap();
        zip.write_all(br#"<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>"#).unwrap();
        zip.start_file("OEBPS/content.opf", deflated).unwrap();
        zip.write_all(opf.as_bytes()).unwrap();
        zip.finish().unwrap();
        out.into_inner()
    }

    /// TDMRep report, "TDM Reservation in EPUB" (package metadata, EPUB 3
    /// with the `tdm` prefix bound to `…/ns/tdmrep#`; EPUB 2 `meta name`).
    #[test]
    fn tdmrep_in_epub_package_metadata() {
        let epub3 = epub(&format!(
            r#"<package xmlns="http://www.idpf.org/2007/opf" version="3.0" prefix="tdm: {TDMREP_EPUB}"><metadata><meta property="tdm:reservation">1</meta><meta property="tdm:policy">https://e.com/p.json</meta></metadata></package>"#
        ));
        let media = MediaSignals::read(Some("application/epub+zip"), &epub3, false, true);
        assert_eq!(media.kind, Some(MediaKind::Epub));
        assert_eq!(media.epub_tdm, Some(Reservation::Reserved));
        assert_eq!(media.epub_policy.as_deref(), Some("https://e.com/p.json"));
        assert_eq!(
            media.tdm(),
            Some((
                Reservation::Reserved,
                "epub package metadata tdm:reservation".to_owned()
            ))
        );
        let epub2 = epub(
            r#"<package xmlns="http://www.idpf.org/2007/opf" version="2.0"><metadata><meta name="tdm:reservation" content="0"/></metadata></package>"#,
        );
        let media = MediaSignals::read(None, &epub2, false, true);
        assert_eq!(media.kind, Some(MediaKind::Epub), "told by its bytes");
        assert_eq!(media.epub_tdm, Some(Reservation::NotReserved));
        let other = epub(
            r#"<package prefix="x: http://example.com/"><metadata><meta property="x:reservation">1</meta></metadata></package>"#,
        );
        assert_eq!(MediaSignals::read(None, &other, false, true).epub_tdm, None);
        let broken =
            MediaSignals::read(Some("application/epub+zip"), b"PK\x03\x04 cut", true, true);
        assert!(broken.unreadable.is_some() && broken.truncated);
    }

    #[test]
    fn the_epub_namespace_in_pdf_xmp_is_read_and_said() {
        let body = format!(
            "%PDF-1.7\n<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description xmlns:tdm=\"{TDMREP_EPUB}\" tdm:reservation=\"1\"/></rdf:RDF></x:xmpmeta>"
        );
        let (reservation, source) = MediaSignals::read(None, body.as_bytes(), false, false)
            .tdm()
            .unwrap();
        assert_eq!(reservation, Reservation::Reserved);
        assert!(source.contains("read leniently"), "{source}");
    }

    #[test]
    fn kinds_are_told_by_type_or_bytes() {
        assert_eq!(MediaKind::detect(None, b"%PDF-1.7\n"), Some(MediaKind::Pdf));
        assert_eq!(
            MediaKind::detect(Some("image/webp"), b""),
            Some(MediaKind::Image)
        );
        assert_eq!(
            MediaKind::detect(None, &[0xFF, 0xD8, 0xFF, 0xE1]),
            Some(MediaKind::Image)
        );
        assert_eq!(
            MediaKind::detect(None, b"\0\0\0\x18ftypmp42"),
            Some(MediaKind::Video)
        );
        assert_eq!(MediaKind::detect(Some("text/html"), b"<html>"), None);
    }
}
