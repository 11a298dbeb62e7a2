//! Rights reservations embedded in stored media (SIGNALS.md §14.4): a WARC
//! of PDFs, JPEGs and EPUBs whose own metadata reserves or allows, each
//! with an "allowed" twin. `filter` removes exactly the reserved ones with
//! the protocol's reason code and names where it read the reservation;
//! `audit` counts them per protocol; `--signals` and the purpose narrow
//! what speaks. The files are built here, shaped as the specs describe:
//! the TDMRep report's PDF XMP and EPUB package forms, and IPTC 2023.1's
//! `plus:DataMining` in a JPEG APP1 XMP segment.

use std::io::Write;

use serde_json::Value;

use crate::util::{TestDir, arg, optout, read_jsonl};

const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

fn xmp(description: &str) -> String {
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"{RDF}\">{description}</rdf:RDF></x:xmpmeta>\n<?xpacket end=\"w\"?>"
    )
}

/// A PDF whose document metadata stream carries TDMRep's XMP.
fn pdf(reservation: &str) -> Vec<u8> {
    let packet = xmp(&format!(
        "<rdf:Description rdf:about=\"\" xmlns:tdm=\"http://www.w3.org/ns/tdmrep/\" tdm:reservation=\"{reservation}\" tdm:policy=\"https://media.test/policy.json\"/>"
    ));
    format!(
        "%PDF-1.7\n%\u{e2}\u{e3}\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /Metadata 3 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n3 0 obj\n<< /Type /Metadata /Subtype /XML /Length {} >>\nstream\n{packet}\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
        packet.len()
    )
    .into_bytes()
}

/// A JPEG: SOI, an APP1 XMP segment with IPTC's data-mining property,
/// some scan bytes, EOI.
fn jpeg(value: &str) -> Vec<u8> {
    let packet = xmp(&format!(
        "<rdf:Description rdf:about=\"\" xmlns:plus=\"http://ns.useplus.org/ldf/xmp/1.0/\"><plus:DataMining rdf:resource=\"http://ns.useplus.org/ldf/vocab/{value}\"/></rdf:Description>"
    ));
    let mut segment = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    segment.extend_from_slice(packet.as_bytes());
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&u16::try_from(segment.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(&segment);
    out.extend_from_slice(&[0xFF, 0xDA, 0, 2, 0x12, 0x34, 0xFF, 0xD9]);
    out
}

/// An EPUB 3 whose package document carries TDMRep.
fn epub(reservation: &str) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/epub+zip").unwrap();
    zip.start_file("META-INF/container.xml", deflated).unwrap();
    zip.write_all(br#"<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="EPUB/package.opf" media-type="application/oebps-package+xml"/></rootfiles></container>"#).unwrap();
    zip.start_file("EPUB/package.opf", deflated).unwrap();
    write!(
        zip,
        r#"<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id" prefix="tdm: http://www.w3.org/ns/tdmrep#"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">urn:uuid:1</dc:identifier><dc:title>T</dc:title><meta property="tdm:reservation">{reservation}</meta></metadata></package>"#
    )
    .unwrap();
    zip.finish().unwrap();
    out.into_inner()
}

/// A response record for `url` with `body` of `content_type`, chunked when
/// asked (as crawlers store many responses).
fn response(url: &str, content_type: &str, body: &[u8], chunked: bool) -> Vec<u8> {
    let mut block = format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n").into_bytes();
    if chunked {
        block.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
        for part in body.chunks(100) {
            block.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
            block.extend_from_slice(part);
            block.extend_from_slice(b"\r\n");
        }
        block.extend_from_slice(b"0\r\n\r\n");
    } else {
        block.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        block.extend_from_slice(body);
    }
    let mut record = format!(
        "WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\nWARC-Record-ID: <urn:uuid:{}>\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: {}\r\n\r\n",
        url.len(),
        block.len()
    )
    .into_bytes();
    record.extend_from_slice(&block);
    record.extend_from_slice(b"\r\n\r\n");
    crate::cli_warc::gz(&record)
}

/// A signed C2PA fixture (fixtures/c2pa/SOURCES.md).
fn c2pa(name: &str) -> Vec<u8> {
    std::fs::read(crate::util::fixture(&format!("c2pa/{name}"))).unwrap()
}

fn world() -> (TestDir, String, String) {
    let dir = TestDir::new();
    dir.write("robots/media.test.txt", "User-agent: *\nAllow: /\n");
    let warc: Vec<u8> = [
        response(
            "http://media.test/reserved.pdf",
            "application/pdf",
            &pdf("1"),
            false,
        ),
        response(
            "http://media.test/free.pdf",
            "application/pdf",
            &pdf("0"),
            false,
        ),
        response(
            "http://media.test/no-ai.jpg",
            "image/jpeg",
            &jpeg("DMI-PROHIBITED-AIMLTRAINING"),
            true,
        ),
        response(
            "http://media.test/ok.jpg",
            "image/jpeg",
            &jpeg("DMI-ALLOWED"),
            true,
        ),
        response(
            "http://media.test/reserved.epub",
            "application/epub+zip",
            &epub("1"),
            false,
        ),
        response(
            "http://media.test/free.epub",
            "application/epub+zip",
            &epub("0"),
            false,
        ),
        response(
            "http://media.test/c2pa-refused.jpg",
            "image/jpeg",
            &c2pa("generative-not-allowed.jpg"),
            false,
        ),
        response(
            "http://media.test/c2pa-allowed.jpg",
            "image/jpeg",
            &c2pa("allowed.jpg"),
            true,
        ),
        response(
            "http://media.test/c2pa-tampered.jpg",
            "image/jpeg",
            &c2pa("allowed-tampered.jpg"),
            false,
        ),
    ]
    .concat();
    let input = arg(&dir.write("media.warc.gz", warc));
    let robots = arg(&dir.path("robots"));
    (dir, input, robots)
}

fn filter(dir: &TestDir, input: &str, robots: &str, extra: &[&str]) -> (Vec<String>, Vec<Value>) {
    let removed = dir.path("removed.jsonl");
    let mut args = vec![
        "filter",
        input,
        "--robots-dir",
        robots,
        "--agents",
        "GPTBot",
        "--kept",
    ];
    let kept = arg(&dir.path("kept.warc.gz"));
    args.push(&kept);
    let removed_arg = arg(&removed);
    args.extend(["--removed", &removed_arg, "-q"]);
    args.extend_from_slice(extra);
    let run = optout(&args, None);
    assert_eq!(run.code, 0, "{run:?}");
    let removed = read_jsonl(&removed);
    let urls = removed
        .iter()
        .map(|r| r["url"].as_str().unwrap().to_owned())
        .collect();
    (urls, removed)
}

#[test]
fn embedded_reservations_remove_exactly_the_reserved_media() {
    let (dir, input, robots) = world();
    let (urls, removed) = filter(&dir, &input, &robots, &[]);
    assert_eq!(
        urls,
        [
            "http://media.test/reserved.pdf",
            "http://media.test/no-ai.jpg",
            "http://media.test/reserved.epub",
            "http://media.test/c2pa-refused.jpg",
        ]
    );
    let reasons: Vec<&str> = removed
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["tdmrep", "iptc-data-mining", "tdmrep", "c2pa"]);
    let sources: Vec<&str> = removed
        .iter()
        .map(|r| r["source"].as_str().unwrap())
        .collect();
    assert!(
        sources[0].starts_with("pdf XMP tdm:reservation"),
        "{sources:?}"
    );
    assert!(
        sources[1].starts_with("image XMP plus:DataMining DMI-PROHIBITED-AIMLTRAINING"),
        "{sources:?}"
    );
    assert!(
        sources[2].starts_with("epub package metadata tdm:reservation"),
        "{sources:?}"
    );
    assert!(
        sources[3].starts_with(
            "image C2PA cawg.training-mining cawg.ai_generative_training: notAllowed (manifest "
        ) && sources[3].contains(", valid)"),
        "the assertion, the entry and whether the manifest validated: {sources:?}"
    );

    // The audit counts them per protocol, as filter does.
    let audit = optout(
        &[
            "audit",
            &input,
            "--robots-dir",
            &robots,
            "--agents",
            "GPTBot",
            "--report-format",
            "json",
            "-q",
        ],
        None,
    );
    assert_eq!(audit.code, 0, "{audit:?}");
    let report: Value = serde_json::from_slice(&audit.stdout).unwrap();
    let by_reason: Vec<(String, u64)> = report["removed_by_reason"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["name"].as_str().unwrap().to_owned(),
                l["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by_reason,
        [
            ("tdmrep".to_owned(), 2),
            ("iptc-data-mining".to_owned(), 1),
            ("c2pa".to_owned(), 1)
        ]
    );
}

/// C2PA: a classifier is not generative training (the refusing fixture
/// allows `ai_training`); an `allowed` counts only from a manifest that
/// validated, and a refusal counts whatever the signature says.
#[test]
fn c2pa_allows_only_from_a_manifest_that_validated() {
    use optout::signals::aipref::ModelKind;
    use optout::signals::aipref::Pref;
    use optout::signals::c2pa::C2paSignals;
    use optout::signals::page::c2pa_pref;
    use optout::signals::usage::Purpose;
    let (dir, input, robots) = world();
    let (urls, _) = filter(&dir, &input, &robots, &["--model", "non-generative"]);
    assert!(!urls.iter().any(|u| u.contains("c2pa")), "{urls:?}");
    let read = |name: &str| C2paSignals::read("image/jpeg", &c2pa(name)).unwrap();
    let pref = |name: &str, purpose, model| c2pa_pref(&read(name), purpose, model).map(|p| p.0);
    let g = ModelKind::Generative;
    assert_eq!(pref("allowed.jpg", Purpose::Train, g), Some(Pref::Allowed));
    assert_eq!(
        pref("allowed-tampered.jpg", Purpose::Train, g),
        Some(Pref::Unknown),
        "not validated: no allow"
    );
    assert_eq!(
        pref("generative-not-allowed.jpg", Purpose::Train, g),
        Some(Pref::Disallowed)
    );
    assert_eq!(
        pref(
            "generative-not-allowed.jpg",
            Purpose::Train,
            ModelKind::NonGenerative
        ),
        Some(Pref::Allowed)
    );
    assert_eq!(
        pref("allowed.jpg", Purpose::Search, g),
        None,
        "no entry speaks to search"
    );
    // A refusal whose manifest no longer validates still refuses.
    let mut refused = read("generative-not-allowed.jpg");
    refused.validation = "invalid (assertion.dataHash.mismatch)".into();
    assert_eq!(
        c2pa_pref(&refused, Purpose::Train, g).map(|p| p.0),
        Some(Pref::Disallowed)
    );
}

#[test]
fn the_protocol_list_and_the_purpose_narrow_what_embedded_metadata_says() {
    let (dir, input, robots) = world();
    let (urls, _) = filter(&dir, &input, &robots, &["--signals", "tdmrep"]);
    assert!(
        !urls.iter().any(|u| u.ends_with(".jpg")),
        "IPTC not read: {urls:?}"
    );
    assert_eq!(urls.len(), 2);
    // Prohibiting AI/ML training says nothing about search; TDMRep only
    // speaks to training.
    let (urls, _) = filter(
        &dir,
        &input,
        &robots,
        &["--purpose", "search", "--agents", "GPTBot"],
    );
    assert!(urls.is_empty(), "{urls:?}");
}

/// The C2PA fixtures (fixtures/c2pa/SOURCES.md) as the reader sees them.
#[test]
fn c2pa_manifests_are_read_with_their_validation() {
    use optout::signals::c2pa::{C2paSignals, Entry, Use};
    let read = |name: &str| {
        let bytes = std::fs::read(crate::util::fixture(&format!("c2pa/{name}"))).unwrap();
        C2paSignals::read("image/jpeg", &bytes).expect("a manifest")
    };
    let refused = read("generative-not-allowed.jpg");
    assert_eq!(refused.assertion.as_deref(), Some("cawg.training-mining"));
    assert!(refused.validated(), "{refused:?}");
    assert_eq!(
        refused.use_of(&[Entry::GenerativeTraining, Entry::Training]),
        Some((Entry::GenerativeTraining, Use::NotAllowed))
    );
    let allowed = read("allowed.jpg");
    assert!(allowed.validated(), "{allowed:?}");
    let tampered = read("allowed-tampered.jpg");
    assert!(!tampered.validated(), "{tampered:?}");
    assert!(tampered.validation.starts_with("invalid ("), "{tampered:?}");
    let base = std::fs::read(crate::util::fixture("c2pa/base.jpg")).unwrap();
    assert_eq!(C2paSignals::read("image/jpeg", &base), None, "no manifest");
}

/// TDMRep's order puts the content's own metadata after the site's
/// tdmrep.json: a PDF whose XMP says `0` is kept where the site's file
/// reserves everything, and one that says nothing stays reserved.
#[test]
fn a_files_own_reservation_supersedes_its_sites_tdmrep_json() {
    let dir = TestDir::new();
    let origin = "http://tdm.test";
    let snapshot = crate::cli_warc::tdm_site(&dir, origin);
    let plain = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n".to_vec();
    let warc: Vec<u8> = [
        response(
            &format!("{origin}/free.pdf"),
            "application/pdf",
            &pdf("0"),
            false,
        ),
        response(
            &format!("{origin}/plain.pdf"),
            "application/pdf",
            &plain,
            false,
        ),
        response(
            &format!("{origin}/reserved.pdf"),
            "application/pdf",
            &pdf("1"),
            false,
        ),
    ]
    .concat();
    let input = arg(&dir.write("tdm.warc.gz", warc));
    let removed = dir.path("removed.jsonl");
    let run = optout(
        &[
            "filter",
            &input,
            "--snapshot",
            &arg(&snapshot),
            "--agents",
            "GPTBot",
            "--kept",
            &arg(&dir.path("kept.warc.gz")),
            "--removed",
            &arg(&removed),
            "-q",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let removed = read_jsonl(&removed);
    let urls: Vec<&str> = removed.iter().map(|r| r["url"].as_str().unwrap()).collect();
    assert_eq!(
        urls,
        [
            format!("{origin}/plain.pdf"),
            format!("{origin}/reserved.pdf")
        ]
    );
    assert!(
        removed.iter().all(|r| r["reason"] == "tdmrep"),
        "{removed:?}"
    );
}

/// A media body past the reader's limit (16 MiB) is read that far, and the
/// evidence of what it said says the file was read in part.
#[test]
fn a_file_read_in_part_says_so() {
    let dir = TestDir::new();
    dir.write("robots/media.test.txt", "User-agent: *\nAllow: /\n");
    let mut big = pdf("1");
    big.resize(big.len() + (17 << 20), b'0');
    let input = arg(&dir.write(
        "big.warc.gz",
        response("http://media.test/big.pdf", "application/pdf", &big, false),
    ));
    let robots = arg(&dir.path("robots"));
    let (urls, removed) = filter(&dir, &input, &robots, &[]);
    assert_eq!(urls, ["http://media.test/big.pdf"]);
    let source = removed[0]["source"].as_str().unwrap();
    assert!(source.contains("the file was read in part"), "{source}");
}

/// Hostile media never crash a run: a signed JPEG cut at every 97th byte
/// or with a byte flipped there is read as a manifest that validates, one
/// that does not, or none, never a panic; a cut EPUB is unreadable, said so.
#[test]
fn corrupt_media_are_read_without_a_panic() {
    use optout::signals::c2pa::C2paSignals;
    use optout::signals::media::MediaSignals;
    let signed = c2pa("allowed.jpg");
    for at in (0..signed.len()).step_by(97) {
        let _ = C2paSignals::read("image/jpeg", &signed[..at]);
        let mut flipped = signed.clone();
        flipped[at] ^= 0x5A;
        let read = C2paSignals::read("image/jpeg", &flipped);
        if let Some(read) = read {
            assert!(
                read.validated() || read.validation.starts_with("invalid"),
                "{read:?}"
            );
        }
    }
    let book = epub("1");
    for at in (0..book.len()).step_by(53) {
        let media = MediaSignals::read(Some("application/epub+zip"), &book[..at], true, true);
        // A cut archive has lost its central directory: unreadable, said.
        assert!(media.unreadable.is_some(), "cut at {at}: {media:?}");
    }
}
