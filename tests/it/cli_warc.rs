//! WARC corpora: records judged by target URI and by what their stored
//! response says, request/response/metadata kept or removed together, kept
//! records written back as the same gzip members.

use std::io::{Read, Write};

use serde_json::Value;

use crate::util::{TestDir, arg, fixture, optout};

pub(crate) fn record(kind: &str, url: Option<&str>, block: &str, content_type: &str) -> Vec<u8> {
    let target = url.map_or(String::new(), |u| format!("WARC-Target-URI: {u}\r\n"));
    format!(
        "WARC/1.1\r\nWARC-Type: {kind}\r\n{target}WARC-Record-ID: <urn:uuid:{kind}-{}>\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{block}\r\n\r\n",
        url.map_or(0, str::len),
        block.len()
    )
    .into_bytes()
}

pub(crate) fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A capture: request, response (with `headers` and `head`) and metadata
/// records, one gzip member each.
fn capture(url: &str, headers: &str, head: &str) -> Vec<Vec<u8>> {
    let request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_owned();
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n{headers}\r\n<!DOCTYPE html><html><head><title>t</title>{head}</head><body>text</body></html>"
    );
    vec![
        gz(&record(
            "request",
            Some(url),
            &request,
            "application/http; msgtype=request",
        )),
        gz(&record(
            "response",
            Some(url),
            &response,
            "application/http; msgtype=response",
        )),
        gz(&record(
            "metadata",
            Some(url),
            "fetchTimeMs: 12\r\n",
            "application/warc-fields",
        )),
    ]
}

pub(crate) fn warc() -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut members = vec![gz(&record(
        "warcinfo",
        None,
        "software: test\r\n",
        "application/warc-fields",
    ))];
    for (url, headers, head) in [
        ("https://cnn.com/", "", ""),
        ("https://lemonde.fr/", "X-Robots-Tag: noindex, noai\r\n", ""),
        (
            "https://lemonde.fr/a",
            "",
            r#"<meta name="robots" content="NoAI">"#,
        ),
        ("https://lemonde.fr/b", "", ""),
        ("https://lemonde.fr/c", "tdm-reservation: 1\r\n", ""),
    ] {
        members.extend(capture(url, headers, head));
    }
    (members.concat(), members)
}

fn filter(dir: &TestDir, input: &str, extra: &[&str]) -> (crate::util::Run, Vec<Value>, Value) {
    let removed = dir.path("removed.jsonl");
    let stats = dir.path("stats.json");
    let kept = dir.path("kept.warc.gz");
    let mut args: Vec<String> = vec!["filter".into(), input.into()];
    args.extend(crate::audit::gptbot_args());
    args.extend(
        [
            "--kept",
            &arg(&kept),
            "--removed",
            &arg(&removed),
            "--stats",
            &arg(&stats),
        ]
        .map(String::from),
    );
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let mut run = optout(&args, None);
    run.stdout = std::fs::read(&kept).unwrap_or_default();
    let removed = crate::util::read_jsonl(&removed);
    let stats = crate::util::read_json(&stats);
    (run, removed, stats)
}

#[test]
fn records_are_judged_by_uri_and_by_their_own_response() {
    let dir = TestDir::new();
    let (data, members) = warc();
    let input = arg(&dir.write("crawl.warc.gz", &data));
    let (run, removed, stats) = filter(&dir, &input, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    // warcinfo and the plain lemonde.fr/b capture stay, member for member.
    let expected = [
        members[0].clone(),
        members[10].clone(),
        members[11].clone(),
        members[12].clone(),
    ]
    .concat();
    assert!(run.stdout == expected, "kept members differ");
    let reasons: Vec<(String, String)> = removed
        .iter()
        .map(|r| {
            (
                r["url"].as_str().unwrap().to_owned(),
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want = |url: &str, reason: &str| (url.to_owned(), reason.to_owned());
    assert_eq!(
        reasons,
        [
            want("https://cnn.com/", "robots-disallow"),
            want("https://cnn.com/", "robots-disallow"),
            want("https://cnn.com/", "robots-disallow"),
            want("https://lemonde.fr/", "x-robots-tag"),
            want("https://lemonde.fr/", "x-robots-tag"),
            want("https://lemonde.fr/", "x-robots-tag"),
            want("https://lemonde.fr/a", "meta-robots"),
            want("https://lemonde.fr/a", "meta-robots"),
            want("https://lemonde.fr/a", "meta-robots"),
            want("https://lemonde.fr/c", "tdmrep"),
            want("https://lemonde.fr/c", "tdmrep"),
            want("https://lemonde.fr/c", "tdmrep"),
        ]
    );
    assert_eq!(
        removed[3]["source"],
        "header X-Robots-Tag of https://lemonde.fr/"
    );
    assert_eq!(removed[3]["row"], 5);
    assert!(
        removed[3]["record_id"]
            .as_str()
            .unwrap()
            .starts_with("<urn:uuid:request")
    );
    assert_eq!(removed[0]["line"], 42, "the robots.txt rule line");
    assert_eq!(removed[0]["rule"], "Disallow: /");
    assert_eq!(stats["rows"], 16);
    assert_eq!(stats["kept"], 4);
    assert_eq!(stats["removed"], 12);
    assert_eq!(stats["counts_add_up"], true);
}

#[test]
fn a_filter_that_excludes_nothing_gives_back_the_same_records() {
    let dir = TestDir::new();
    let (data, _) = warc();
    let empty = dir.path("empty");
    std::fs::create_dir_all(&empty).unwrap();
    // A plain WARC too: the same records, uncompressed.
    let mut plain = Vec::new();
    flate2::read::MultiGzDecoder::new(&data[..])
        .read_to_end(&mut plain)
        .unwrap();
    for (name, bytes) in [("c.warc.gz", data), ("c.warc", plain)] {
        let input = arg(&dir.write(name, &bytes));
        let kept = dir.path(&format!("kept-{name}"));
        let run = optout(
            &[
                "filter",
                &input,
                "--robots-dir",
                &arg(&empty),
                "--missing-policy",
                "allow",
                "--purpose",
                "search",
                "--kept",
                &arg(&kept),
                "-q",
            ],
            None,
        );
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            std::fs::read(&kept).unwrap() == bytes,
            "{name}: not byte for byte"
        );
    }
}

#[test]
fn a_record_with_a_wrong_length_is_skipped_or_fatal_and_named() {
    let dir = TestDir::new();
    let (_, members) = warc();
    let broken = record(
        "response",
        Some("https://x.example/"),
        "short",
        "application/http",
    );
    let broken = String::from_utf8(broken)
        .unwrap()
        .replace("Content-Length: 5", "Content-Length: 50");
    let data = [
        members[0].clone(),
        gz(broken.as_bytes()),
        members[10].clone(),
    ]
    .concat();
    let input = arg(&dir.write("bad.warc.gz", &data));
    let place = format!("line 2: WARC record 2 at byte {}", members[0].len());
    // Skip (the default): counted, named, and the next member is read.
    let (run, _, stats) = filter(&dir, &input, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(stats["skipped_by_reason"]["bad-record"], 1);
    assert_eq!(stats["rows"], 3);
    assert!(run.stdout == [members[0].clone(), members[10].clone()].concat());
    let dir2 = TestDir::new();
    let input2 = arg(&dir2.write("bad.warc.gz", &data));
    let mut args = vec![
        "filter".to_owned(),
        input2,
        "--robots-dir".into(),
        arg(&fixture("robots/real")),
        "--missing-policy".into(),
        "allow".into(),
    ];
    args.extend(["--kept".into(), arg(&dir2.path("k.warc.gz"))]);
    let warned = optout(&args, None);
    assert!(warned.stderr.contains(&place), "{}", warned.stderr);
    // Fail: exit 2, naming the file, record and offset.
    let (run, _, _) = filter(&dir, &input, &["--on-error", "fail"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(&format!("bad.warc.gz` {place}")),
        "{}",
        run.stderr
    );
}

#[test]
fn a_warc_run_writes_a_manifest_that_verifies_and_catches_tampering() {
    let dir = TestDir::new();
    let (data, _) = warc();
    let input = arg(&dir.write("crawl.warc.gz", &data));
    let manifest = dir.path("m.json");
    let (run, _, _) = filter(&dir, &input, &["--manifest", &arg(&manifest)]);
    assert_eq!(run.code, 0, "{run:?}");
    let verify = optout(&["verify", &arg(&manifest)], None);
    assert_eq!(verify.code, 0, "{verify:?}");
    assert!(
        verify
            .stdout_text()
            .contains("ok        decisions: kept records")
    );
    std::fs::write(dir.path("kept.warc.gz"), b"not the records").unwrap();
    let verify = optout(&["verify", &arg(&manifest)], None);
    assert_eq!(verify.code, 1, "{verify:?}");
}

#[test]
fn an_audit_of_a_warc_counts_what_filter_removes() {
    let dir = TestDir::new();
    let (data, _) = warc();
    let input = arg(&dir.write("crawl.warc.gz", &data));
    let (run, _, stats) = filter(&dir, &input, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let manifest = arg(&dir.path("audit.manifest.json"));
    let mut with_manifest = crate::audit::gptbot_args();
    with_manifest.extend(["--manifest".to_owned(), manifest.clone()]);
    let report = crate::audit::audit_json(&dir, &[&input], &with_manifest);
    crate::audit::assert_report_matches(&report, &stats);
    assert!(report["removed"]["rows"].as_u64().unwrap() > 0);
    assert_eq!(report["bytes"], data.len() as u64, "WARC bytes are counted");
    let check = optout(&["verify", &manifest], None);
    assert_eq!(check.code, 0, "{check:?}");
}

/// A snapshot of `origin` whose robots.txt allows everything and whose
/// tdmrep.json reserves every path.
pub(crate) fn tdm_site(dir: &TestDir, origin: &str) -> std::path::PathBuf {
    let at = 1_700_000_000_000;
    let header = serde_json::json!({
        "format": "optout-snapshot-v1", "tool": "test", "created": "2023-11-14T22:13:20Z",
        "as_of": "2023-11-14T22:13:20Z", "origins": 1, "files": 1,
    });
    let lines = [
        crate::as_of::file_line(
            origin,
            "robots.txt",
            "/robots.txt",
            at,
            "User-agent: *\nAllow: /\n",
        ),
        crate::as_of::file_line(
            origin,
            "tdmrep.json",
            "/.well-known/tdmrep.json",
            at,
            r#"[{"location": "/*", "tdm-reservation": 1}]"#,
        ),
    ];
    dir.write("site.jsonl", format!("{header}\n{}\n", lines.join("\n")))
}

#[test]
fn a_pages_own_tdm_reservation_supersedes_its_sites_tdmrep_json() {
    let dir = TestDir::new();
    let origin = "http://tdm.test";
    let snapshot = tdm_site(&dir, origin);
    let mut members = Vec::new();
    for (path, headers, head) in [
        ("/header-0", "tdm-reservation: 0\r\n", ""),
        ("/plain", "", ""),
        (
            "/meta-0",
            "",
            r#"<meta name="tdm-reservation" content="0">"#,
        ),
        ("/header-1", "tdm-reservation: 1\r\n", ""),
    ] {
        members.extend(capture(&format!("{origin}{path}"), headers, head));
    }
    let input = arg(&dir.write("tdm.warc.gz", members.concat()));
    let removed = dir.path("tdm.removed.jsonl");
    let run = optout(
        &[
            "filter",
            &input,
            "--snapshot",
            &arg(&snapshot),
            "--agents",
            "GPTBot",
            "--kept",
            &arg(&dir.path("tdm.kept.warc.gz")),
            "--removed",
            &arg(&removed),
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let removed = crate::util::read_jsonl(&removed);
    let reasons: std::collections::BTreeSet<(String, String)> = removed
        .iter()
        .map(|r| {
            let url = r["url"].as_str().unwrap();
            (
                url[origin.len()..].to_owned(),
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        reasons.into_iter().collect::<Vec<_>>(),
        [
            ("/header-1".to_owned(), "tdmrep".to_owned()),
            ("/plain".to_owned(), "tdmrep".to_owned()),
        ],
        "the site's file reserves /plain; the pages' own 0 keeps theirs"
    );
}
