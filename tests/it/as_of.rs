//! `--as-of crawl`: each record of a WARC or CDXJ input judged by the
//! policy its origin had when the record was crawled, from the cache's
//! history (or a snapshot exported with `--history`), with records
//! outside the history flagged, and the run verifiable from its manifest.

use std::io::Write;

use serde_json::Value;

use crate::util::{TestDir, arg, optout, read_json, read_jsonl};

/// 2023-01-01 and 2024-01-01, UTC.
const V1_AT: i64 = 1_672_531_200_000;
const V2_AT: i64 = 1_704_067_200_000;
const V1: &str = "User-agent: *\nDisallow: /a/\n";
const V2: &str = "User-agent: *\nDisallow: /b/\n";

/// A snapshot line: robots.txt of `origin` fetched at `at` with `body`.
fn line(origin: &str, at: i64, body: &str) -> String {
    file_line(origin, "robots.txt", "/robots.txt", at, body)
}

/// A snapshot line: `file` (at `path`) of `origin` fetched at `at`.
pub(crate) fn file_line(origin: &str, file: &str, path: &str, at: i64, body: &str) -> String {
    use base64::Engine as _;
    let used = serde_json::json!({
        "origin": origin, "file": file, "started_at": at, "fetched_at": at,
        "url": format!("{origin}{path}"), "final_url": format!("{origin}{path}"),
        "redirects": [], "status": 200, "outcome": "ok", "detail": "", "attempts": 1,
        "etag": null, "last_modified": null, "content_type": "text/plain",
        "content_encoding": null, "retry_after": null,
        "sha256": optout::digest::sha256_hex(body.as_bytes()),
        "body_size": body.len(), "truncated": false, "html": false, "source": "fetch",
    });
    serde_json::json!({
        "used": used, "failed": null,
        "body_base64": base64::engine::general_purpose::STANDARD.encode(body),
    })
    .to_string()
}

/// A cache where `http://h.test` served V1 from 2023 and V2 from 2024:
/// two snapshots imported one after the other.
fn cache(dir: &TestDir) -> String {
    let cache = arg(&dir.path("cache.sqlite"));
    for (name, at, body) in [("v1.jsonl", V1_AT, V1), ("v2.jsonl", V2_AT, V2)] {
        let header = serde_json::json!({
            "format": "optout-snapshot-v1", "tool": "test", "created": "2024-01-01T00:00:00Z",
            "as_of": optout::time::format(at), "origins": 1, "files": 0,
        });
        let path = dir.write(
            name,
            format!("{header}\n{}\n", line("http://h.test", at, body)),
        );
        let run = optout(&["cache", "import", &arg(&path), "--cache", &cache], None);
        assert_eq!(run.code, 0, "{run:?}");
    }
    cache
}

/// CDXJ rows: (URL, crawl timestamp).
const ROWS: [(&str, &str); 5] = [
    ("http://h.test/a/1", "20230615000000"), // v1 in force: removed
    ("http://h.test/b/1", "20230615000000"), // v1 in force: kept
    ("http://h.test/a/2", "20240615000000"), // v2 in force: kept
    ("http://h.test/b/2", "20240615000000"), // v2 in force: removed
    ("http://h.test/b/3", "20220101000000"), // before the history: v1, flagged
];

fn cdxj(dir: &TestDir) -> std::path::PathBuf {
    let mut text = String::new();
    for (url, at) in ROWS {
        text.push_str(&format!(
            "test,h)/x {at} {{\"url\": \"{url}\", \"status\": \"200\"}}\n"
        ));
    }
    dir.write("index.cdxj", text)
}

fn run(dir: &TestDir, input: &str, tag: &str, extra: &[&str]) -> (Vec<Value>, Value) {
    let removed = dir.path(&format!("{tag}.removed.jsonl"));
    let stats = dir.path(&format!("{tag}.stats.json"));
    let mut args = vec![
        "filter",
        input,
        "--agents",
        "GPTBot",
        "--offline",
        "-q",
        "--kept",
    ];
    let kept = arg(&dir.path(&format!("{tag}.kept")));
    let (removed_arg, stats_arg) = (arg(&removed), arg(&stats));
    args.extend([
        kept.as_str(),
        "--removed",
        &removed_arg,
        "--stats",
        &stats_arg,
    ]);
    args.extend(extra);
    let run = optout(&args, None);
    assert_eq!(run.code, 0, "{run:?}");
    (read_jsonl(&removed), read_json(&stats))
}

fn urls(removed: &[Value]) -> Vec<&str> {
    removed.iter().map(|r| r["url"].as_str().unwrap()).collect()
}

#[test]
fn cdxj_records_are_judged_by_the_policy_at_their_crawl_time() {
    let dir = TestDir::new();
    let cache = cache(&dir);
    let input = arg(&cdxj(&dir));
    let (now, stats) = run(&dir, &input, "now", &["--cache", &cache]);
    assert_eq!(
        urls(&now),
        [
            "http://h.test/b/1",
            "http://h.test/b/2",
            "http://h.test/b/3"
        ],
        "now: V2 for every record"
    );
    assert_eq!(stats["as_of"], "now");
    assert!(stats.get("crawl_time").is_none());

    let crawl = ["--cache", &cache, "--as-of", "crawl"];
    let (removed, stats) = run(&dir, &input, "crawl", &crawl);
    assert_eq!(
        urls(&removed),
        ["http://h.test/a/1", "http://h.test/b/2"],
        "crawl: V1 for 2023, V2 for 2024, V1 (the earliest) for 2022"
    );
    assert_eq!(stats["as_of"], "crawl");
    assert_eq!(
        stats["crawl_time"],
        serde_json::json!({"in-force": 4, "later-policy": 1, "undated": 0})
    );
    assert_eq!(stats["kept"], 3);
    assert_eq!(stats["policies"]["earlier"], 2);
    // The evidence names the copy in force and the record's time.
    assert_eq!(removed[0]["fetched_at"], optout::time::format(V1_AT));
    assert_eq!(removed[0]["crawled_at"], "2023-06-15T00:00:00.000Z");
    assert_eq!(removed[0]["policy_time"], "in-force");
    assert_eq!(removed[1]["fetched_at"], optout::time::format(V2_AT));
    // The flagged record is kept under V1, and said so in the counts only.
    let kept = dir.read("crawl.kept");
    assert!(kept.contains("http://h.test/b/3"), "{kept}");

    // Sequential and parallel runs agree, chunk by chunk.
    let mut small = crawl.to_vec();
    small.extend(["--threads", "2", "--chunk-bytes", "64"]);
    let (parallel, _) = run(&dir, &input, "small", &small);
    assert_eq!(parallel, removed);

    // A snapshot exported with its history decides the same way.
    let snapshot = arg(&dir.path("history.jsonl"));
    let export = optout(
        &["cache", "export", &snapshot, "--history", "--cache", &cache],
        None,
    );
    assert_eq!(export.code, 0, "{export:?}");
    let (from_snapshot, _) = run(
        &dir,
        &input,
        "snap",
        &["--snapshot", &snapshot, "--as-of", "crawl"],
    );
    assert_eq!(from_snapshot, removed);
    // One without history cannot serve.
    let plain = arg(&dir.path("plain.jsonl"));
    let export = optout(&["cache", "export", &plain, "--cache", &cache], None);
    assert_eq!(export.code, 0, "{export:?}");
    let refused = optout(
        &["filter", &input, "--snapshot", &plain, "--as-of", "crawl"],
        None,
    );
    assert_eq!(refused.code, 1, "a user error");
    assert!(refused.stderr.contains("--history"), "{refused:?}");
}

#[test]
fn crawl_time_needs_records_that_carry_it() {
    let dir = TestDir::new();
    let cache = cache(&dir);
    let list = dir.write("urls.txt", "http://h.test/a/1\n");
    let run = optout(
        &["filter", &arg(&list), "--cache", &cache, "--as-of", "crawl"],
        None,
    );
    assert_eq!(run.code, 1, "a user error");
    assert!(run.stderr.contains("WARC or CDXJ"), "{run:?}");
}

fn warc_record(url: &str, date: Option<&str>) -> Vec<u8> {
    let date = date.map_or(String::new(), |d| format!("WARC-Date: {d}\r\n"));
    let block = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello";
    let record = format!(
        "WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\n{date}Content-Type: application/http; msgtype=response\r\nContent-Length: {}\r\n\r\n{block}\r\n\r\n",
        block.len()
    );
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(record.as_bytes()).unwrap();
    e.finish().unwrap()
}

#[test]
fn warc_records_are_judged_at_their_warc_date_and_verify() {
    let dir = TestDir::new();
    let cache = cache(&dir);
    let mut warc = Vec::new();
    for (url, date) in [
        ("http://h.test/a/1", Some("2023-06-15T00:00:00Z")),
        ("http://h.test/b/1", Some("2024-06-15T00:00:00Z")),
        ("http://h.test/a/2", None),
    ] {
        warc.extend(warc_record(url, date));
    }
    let input = arg(&dir.write("crawl.warc.gz", warc));
    let manifest = arg(&dir.path("run.manifest.json"));
    let (removed, stats) = run(
        &dir,
        &input,
        "warc",
        &[
            "--cache",
            &cache,
            "--as-of",
            "crawl",
            "--manifest",
            &manifest,
        ],
    );
    assert_eq!(urls(&removed), ["http://h.test/a/1", "http://h.test/b/1"]);
    assert_eq!(
        stats["crawl_time"],
        serde_json::json!({"in-force": 2, "later-policy": 0, "undated": 1}),
        "the record without a WARC-Date is judged by today's policy (V2), flagged"
    );
    let value = read_json(std::path::Path::new(&manifest));
    assert_eq!(value["config"]["as_of"], "crawl");
    let check = optout(&["verify", &manifest, "--json"], None);
    assert_eq!(check.code, 0, "{}", String::from_utf8_lossy(&check.stdout));
}

#[test]
fn an_audit_by_crawl_time_sets_todays_verdicts_beside() {
    let dir = TestDir::new();
    let cache = cache(&dir);
    let input = arg(&cdxj(&dir));
    let args: Vec<String> = [
        "--agents",
        "GPTBot",
        "--offline",
        "-q",
        "--cache",
        &cache,
        "--as-of",
        "crawl",
    ]
    .map(String::from)
    .to_vec();
    let report = crate::audit::audit_json(&dir, &[&input], &args);
    assert_eq!(report["as_of"], "crawl");
    assert_eq!(report["removed"]["rows"], 2, "at crawl time");
    assert_eq!(report["now"]["removed"]["rows"], 3, "by today's policies");
    assert_eq!(report["crawl_time"]["later-policy"], 1);
    let markdown = dir.path("audit.md");
    let mut md = vec!["audit".to_owned(), input, "--report".into(), arg(&markdown)];
    md.extend(args);
    let run = optout(&md, None);
    assert_eq!(run.code, 0, "{run:?}");
    let text = std::fs::read_to_string(&markdown).unwrap();
    assert!(
        text.contains("| robots-disallow | 2 | 40.00 | 3 | 60.00 |"),
        "{text}"
    );
}
