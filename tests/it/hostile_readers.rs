//! Hostile input into every reader that is not covered by `hostile.rs`:
//! WARC (gzip members, one gzip stream, plain), the JSON walk (compared
//! with serde_json on generated records), CDXJ rows, snapshots,
//! tdmrep.json, ai.txt, RSL, header values, HTML heads and content
//! codings. Each property asserts that nothing panics, that what is read
//! adds up, and that errors name their position.
//!
//! The number of cases is `OPTOUT_SOAK_CASES` when set (the README's soak
//! command), else a default sized for CI.

use std::io::Write;
use std::sync::Arc;

use optout::corpus::json::{FieldPath, Found, Scratch, find};
use optout::corpus::warc::WarcReader;
use optout::corpus::{RowFormat, RowUrl};
use proptest::prelude::*;
use serde_json::{Map, Value};

pub(crate) fn cases(default: u32) -> u32 {
    std::env::var("OPTOUT_SOAK_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn config(default: u32) -> ProptestConfig {
    ProptestConfig {
        cases: cases(default),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn record(url: &str, http: &str) -> Vec<u8> {
    format!(
        "WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: {}\r\n\r\n{http}\r\n\r\n",
        http.len()
    )
    .into_bytes()
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Records with headers and bodies drawn from hostile pieces.
fn warc_records() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let header = prop::sample::select(vec![
        "X-Robots-Tag: noai\r\n",
        "tdm-reservation: 1\r\n",
        "Content-Usage: train-ai=n\r\n",
        "Content-Type: text/html\r\n",
        "X: \u{1}\u{7f}\r\n",
        "no colon\r\n",
        ": empty name\r\n",
    ]);
    let body = prop::sample::select(vec![
        "",
        "<html><head><meta name=robots content=noai></head>",
        "<meta name=\"tdm-reservation\" content=\"1\">",
        "\u{0}\u{ff}binary",
    ]);
    let one =
        (0..50u32, prop::collection::vec(header, 0..4), body).prop_map(|(n, headers, body)| {
            let http = format!("HTTP/1.1 200 OK\r\n{}\r\n{body}", headers.concat());
            record(&format!("http://a{n}.example/p"), &http)
        });
    prop::collection::vec(one, 1..6)
}

#[derive(Debug)]
enum Layout {
    Plain,
    Members,
    Stream,
}

fn lay_out(records: &[Vec<u8>], layout: &Layout) -> Vec<u8> {
    match layout {
        Layout::Plain => records.concat(),
        Layout::Members => records.iter().flat_map(|r| gz(r)).collect(),
        Layout::Stream => gz(&records.concat()),
    }
}

/// What a record read as: its target, HTTP headers and whether it is bad.
type ReadRecord = (Option<String>, Vec<(String, String)>, bool);

/// Every record of a file, or the error that stopped it.
fn read_warc(bytes: &[u8]) -> (Vec<ReadRecord>, Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fuzz.warc.gz");
    std::fs::write(&path, bytes).unwrap();
    let mut reader = WarcReader::open(&path).unwrap();
    let mut out = Vec::new();
    let mut last = 0;
    loop {
        match reader.next_record() {
            Ok(Some(record)) => {
                assert_eq!(record.number, last + 1, "records are numbered in order");
                last = record.number;
                out.push((
                    record.target().map(str::to_owned),
                    record.http_headers.clone(),
                    record.bad.is_some(),
                ));
            }
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e.to_string())),
        }
    }
}

/// Arbitrary bytes (up to `len`), or up to `count` of `tokens` joined:
/// pieces of the format, so that deep states are reached often.
fn bytes_or_tokens(
    len: usize,
    tokens: Vec<&'static [u8]>,
    count: usize,
) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..len),
        prop::collection::vec(prop::sample::select(tokens), 0..count).prop_map(|p| p.concat()),
    ]
}

/// A JSON value for the walk: strings with escapes and non-ASCII, numbers,
/// nesting; keys unique per object (serde_json's map).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[ -~é\u{1F600}\"\\\\/\n\t\u{1}]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,3}|url", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// What the walk finds at `path`, in serde_json's terms.
fn expected(record: &Value, path: &[&str]) -> Option<Value> {
    let mut at = record;
    for part in path {
        at = at.as_object()?.get(*part)?;
    }
    Some(at.clone())
}

proptest! {
    #![proptest_config(config(64))]

    /// Well-formed records read alike in all three layouts; a mutated
    /// file never panics, and its error names the file's record.
    #[test]
    fn warc_layouts_agree_and_damage_is_named(
        records in warc_records(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        cut in any::<prop::sample::Index>(),
    ) {
        let layouts = [Layout::Plain, Layout::Members, Layout::Stream];
        let read: Vec<_> = layouts.iter().map(|l| read_warc(&lay_out(&records, l))).collect();
        for (layout, (got, error)) in layouts.iter().zip(&read) {
            prop_assert!(error.is_none(), "{layout:?}: {error:?}");
            prop_assert_eq!(got, &read[0].0, "{:?}", layout);
        }
        for layout in &layouts {
            let mut bytes = lay_out(&records, layout);
            for (at, byte) in &flips {
                let i = at.index(bytes.len());
                bytes[i] ^= byte | 1;
            }
            if flips.is_empty() {
                bytes.truncate(cut.index(bytes.len()));
            }
            let (got, error) = read_warc(&bytes);
            if let Some(error) = error {
                prop_assert!(error.contains("fuzz.warc.gz") && error.contains("WARC record"), "{}", error);
            }
            prop_assert!(got.len() <= records.len() * 2 + 1);
        }
    }

    /// The walk finds what serde_json finds, on compact and spaced
    /// serialisations of generated records.
    #[test]
    fn the_json_walk_agrees_with_serde_json(
        fields in prop::collection::btree_map("[a-z]{1,3}|url|meta", json_value(), 0..5),
        nested in any::<bool>(),
    ) {
        let record = Value::Object(fields.into_iter().collect());
        let path: &[&str] = if nested { &["meta", "url"] } else { &["url"] };
        let field = FieldPath::parse(&path.join(".")).unwrap();
        for text in [serde_json::to_string(&record).unwrap(), serde_json::to_string_pretty(&record).unwrap().replace('\n', " ")] {
            let mut scratch = Scratch::default();
            let found = find(text.as_bytes(), &field, &mut scratch);
            let want = expected(&record, path);
            match (found, want) {
                (Ok(Found::Missing), None) => {}
                (Ok(Found::String(s)), Some(Value::String(w))) => prop_assert_eq!(s, w.as_bytes()),
                (Ok(Found::Number(n)), Some(Value::Number(w))) => {
                    let n: f64 = std::str::from_utf8(n).unwrap().parse().unwrap();
                    prop_assert!((n - w.as_f64().unwrap()).abs() <= f64::EPSILON * n.abs().max(1.0));
                }
                (Ok(Found::Other(_)), Some(w)) => prop_assert!(!w.is_string() && !w.is_number()),
                (Ok(Found::Missing), Some(w)) => {
                    // Only when a step of the path is not an object.
                    prop_assert!(nested && !record["meta"].is_object(), "{w}");
                }
                (got, want) => prop_assert!(false, "{text}: walk {got:?}, serde_json {want:?}"),
            }
        }
    }

    /// Arbitrary bytes as JSON Lines and CDXJ rows: no panic, and an
    /// error's offset lies in the line.
    #[test]
    fn rows_of_any_bytes_are_read_or_named(
        line in bytes_or_tokens(200, vec![
            &b"{"[..], b"}", b"\"url\"", b":", b"\"http://a/\"", b",", b"[", b"]",
            b"\\u00e9", b"\\ud83d", b"\\", b"\"", b" ", b"1e999", b"-", b"null",
            b"com,example)/ 20240101000000 ",
        ], 30),
    ) {
        let field = FieldPath::parse("url").unwrap();
        let mut scratch = Scratch::default();
        if let Err(e) = find(&line, &field, &mut scratch) {
            prop_assert!(e.at <= line.len(), "{e}");
        }
        let path = std::path::Path::new("x");
        for format in ["jsonl", "cdxj", "lines"] {
            let format = RowFormat::choose(format, "url", path, b"").unwrap();
            let mut scratch = Scratch::default();
            match format.url_of(&line, &mut scratch) {
                RowUrl::Url(url) => prop_assert!(!url.is_empty()),
                RowUrl::Skip(_) | RowUrl::Bad(..) => {}
            }
            let _ = format.crawl_time(&line);
        }
    }

    /// Signal files and header values of any bytes parse without panic,
    /// and a tdmrep.json's reservation is consistent with its rules.
    #[test]
    fn signal_readers_take_any_bytes(
        body in bytes_or_tokens(300, vec![
                &b"["[..], b"]", b"{", b"}", b"\"location\"", b"\"tdm-reservation\"", b":", b",",
                b"1", b"0", b"\"/*\"", b"\"/a$\"", b"User-Agent: *\n", b"Disallow: *.jpg\n",
                b"<rsl xmlns=\"https://rslstandard.org/rsl\">", b"<content url=\"/\">",
                b"<license>", b"<permits type=\"usage\">ai-train</permits>", b"</license>",
                b"</content>", b"</rsl>", b"<html><head>", b"<meta name=\"robots\" content=\"noai\">",
                b"<meta name=tdm-reservation content=1>", b"noai", b", ", b"train-ai=n",
                b"search=yes", b"\xEF\xBB\xBF", b"\0",
            ], 40),
        path in "/[a-z/.*$]{0,12}",
    ) {
        let tdm = optout::signals::tdmrep::TdmRepFile::parse(&body);
        let reservation = tdm.reservation(path.as_bytes());
        if tdm.rule_for(path.as_bytes()).is_none() {
            let expected = if tdm.unreadable.is_some() {
                optout::signals::tdmrep::Reservation::Reserved
            } else {
                optout::signals::tdmrep::Reservation::Unset
            };
            prop_assert_eq!(reservation, expected);
        }
        prop_assert!(tdm.invalid.is_none() || (tdm.rules.is_empty() && tdm.unreadable.is_none()));
        let _ = optout::signals::ai_txt::AiTxt::parse(&body).training("GPTBot", path.as_bytes());
        let _ = optout::signals::rsl::RslDocument::parse(&body);
        let _ = optout::signals::html_meta::PageMeta::parse(&body);
        let _ = optout::signals::aipref::UsagePrefs::parse(&body);
        let _ = optout::signals::content_signal::ContentSignals::parse(&body);
        let text = String::from_utf8_lossy(&body);
        let _ = optout::signals::robots_tag::parse_header(&text);
        let _ = optout::signals::robots_tag::parse_meta("robots", &text);
        let headers = [("X-Robots-Tag", &*text), ("tdm-reservation", &*text), ("Content-Usage", &*text)];
        let _ = optout::signals::page::PageSignals::read(headers, Some(&body));
    }

    /// Any body under any coding decodes or fails cleanly, never past the
    /// limit.
    #[test]
    fn content_codings_take_any_bytes(
        body in prop::collection::vec(any::<u8>(), 0..400),
        coding in prop::sample::select(vec!["gzip", "deflate", "br", "zstd", "gzip, br", "x-gzip"]),
        complete in any::<bool>(),
    ) {
        use optout::fetch::encoding::{decode, parse};
        let codings = parse(coding).unwrap();
        if let Ok(decoded) = decode(&body, &codings, 100, complete) {
            prop_assert!(decoded.body.len() <= 100);
        }
    }
}

/// A small real snapshot: two origins' robots.txt, exported from a cache.
fn snapshot_bytes() -> Vec<u8> {
    use optout::origin::{Origin, SiteFile};
    let dir = tempfile::tempdir().unwrap();
    let mut cache = optout::cache::Cache::open(&dir.path().join("c.sqlite")).unwrap();
    let now = optout::time::now();
    let mut records = Vec::new();
    for host in ["a.example", "b.example"] {
        let origin = Origin::parse_key(&format!("https://{host}")).unwrap();
        let mut record = optout::fetch::FetchRecord::new(&origin, SiteFile::Robots, now);
        let body = b"User-agent: *\nDisallow: /private\n".to_vec();
        record.status = Some(200);
        record.outcome = optout::fetch::Outcome::Ok;
        record.sha256 = Some(optout::digest::sha256_hex(&body));
        record.body = Some(body);
        record.finished_at = now;
        records.push(Arc::new(record));
    }
    cache.insert(&records, "test").unwrap();
    let mut out = Vec::new();
    let origins = cache.origins().unwrap();
    optout::cache::snapshot::export_origins(
        &cache,
        &origins,
        now,
        false,
        &mut out,
        std::path::Path::new("s"),
    )
    .unwrap();
    out
}

proptest! {
    #![proptest_config(config(32))]

    /// A damaged snapshot is refused with its line, or read whole; never
    /// a panic, never half.
    #[test]
    fn damaged_snapshots_are_refused_with_their_line(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = snapshot_bytes();
        for (at, byte) in &flips {
            let i = at.index(bytes.len());
            bytes[i] ^= byte | 1;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        std::fs::write(&path, &bytes).unwrap();
        match optout::cache::snapshot::load(&path) {
            Ok((_, set)) => prop_assert_eq!(set.len(), 2),
            Err(e) => {
                let text = e.to_string();
                prop_assert!(text.contains("s.jsonl"), "{}", text);
            }
        }
    }
}

/// A snapshot line over the 64 MiB limit is refused with its number,
/// never read whole.
#[test]
fn an_overlong_snapshot_line_is_named() {
    let bytes = snapshot_bytes();
    let header_end = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    let mut long = bytes[..header_end].to_vec();
    long.extend(std::iter::repeat_n(b'x', (64 << 20) + 10));
    long.push(b'\n');
    long.extend_from_slice(&bytes[header_end..]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.jsonl");
    std::fs::write(&path, &long).unwrap();
    let err = optout::cache::snapshot::load(&path)
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 2") && err.contains("64 MiB"), "{err}");
}
