//! JSON Lines corpora: rows kept byte for byte, the URL read from a
//! (dotted) field, the same decisions as the same URLs in a URL list, and
//! records that are not JSON named, counted and skipped, or fatal under
//! `--on-error fail`.

use std::io::Write;

use serde_json::Value;

use crate::util::{TestDir, arg, fixture, optout};

/// Filters `input` against the fixture robots.txt files; returns the run,
/// kept bytes, removed records and stats.
fn filter(dir: &TestDir, input: &str, extra: &[&str]) -> (crate::util::Run, Vec<Value>, Value) {
    let removed = dir.path("removed.jsonl");
    let stats = dir.path("stats.json");
    let mut args: Vec<String> = [
        "filter",
        input,
        "--robots-dir",
        &arg(&fixture("robots/real")),
        "--missing-policy",
        "allow",
        "--removed",
        &arg(&removed),
        "--stats",
        &arg(&stats),
    ]
    .map(String::from)
    .to_vec();
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let run = optout(&args, None);
    let removed = crate::util::read_jsonl(&removed);
    let stats = crate::util::read_json(&stats);
    (run, removed, stats)
}

/// URLs over the fixture hosts: some disallowed for GPTBot, some not.
fn urls() -> Vec<String> {
    let hosts = crate::util::fixture_hosts();
    let paths = [
        "/",
        "/search?q=é",
        "/private/a",
        "/wp-admin/",
        "/api/x",
        "/tag/a b",
    ];
    let mut out = Vec::new();
    for (i, host) in hosts.iter().enumerate() {
        for (j, path) in paths.iter().enumerate() {
            let scheme = if (i + j) % 3 == 0 { "http" } else { "https" };
            out.push(format!("{scheme}://{host}{path}"));
        }
    }
    out
}

/// The URLs as JSON Lines in the shapes real corpora use: C4/FineWeb
/// (`url` beside `text`), escaped slashes, CRLF line ends, keys in any
/// order; `field` nests the URL (`metadata.url`) when asked.
fn jsonl(urls: &[String], nested: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let quoted = serde_json::to_string(url).unwrap();
        let quoted = if i % 4 == 1 {
            quoted.replace('/', "\\/")
        } else {
            quoted
        };
        let line = if nested {
            format!(
                r#"{{"id":{i},"text":"t {{\"url\": \"no\"}}","metadata":{{"url":{quoted},"n":[1,2]}}}}"#
            )
        } else if i % 2 == 0 {
            format!(r#"{{"url":{quoted},"text":"row {i}","timestamp":"2019-04-25T12:57:54Z"}}"#)
        } else {
            format!(r#"{{"text":"row {i} é","url" : {quoted} }}"#)
        };
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(if i % 5 == 0 { b"\r\n" } else { b"\n" });
    }
    out
}

#[test]
fn a_filter_that_excludes_nothing_gives_back_the_input_byte_for_byte() {
    let dir = TestDir::new();
    let mut data = jsonl(&urls(), false);
    data.extend_from_slice(b"{\"url\":\"https://unknown.example/last\"}");
    let input = arg(&dir.write("c4.jsonl", &data));
    let empty = dir.path("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let run = optout(
        &[
            "filter",
            &input,
            "--robots-dir",
            &arg(&empty),
            "--missing-policy",
            "allow",
            "-q",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout == data, "kept rows differ from the input");
}

#[test]
fn json_lines_and_url_lists_decide_alike() {
    let dir = TestDir::new();
    let urls = urls();
    let list = arg(&dir.write("urls.txt", urls.join("\n") + "\n"));
    let (plain, removed_plain, _) = filter(&dir, &list, &["--agents", "GPTBot,CCBot"]);
    assert_eq!(plain.code, 0, "{plain:?}");
    assert!(!removed_plain.is_empty() && !plain.stdout.is_empty());
    let data = jsonl(&urls, false);
    let nested = jsonl(&urls, true);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&data).unwrap();
    let inputs = [
        (arg(&dir.write("c.jsonl", &data)), vec![]),
        (arg(&dir.write("c.jsonl.gz", gz.finish().unwrap())), vec![]),
        (
            arg(&dir.write("c.jsonl.zst", zstd::encode_all(&data[..], 3).unwrap())),
            vec![],
        ),
        (
            arg(&dir.write("dolma.json", &nested)),
            vec!["--url-field", "metadata.url"],
        ),
        // No telling extension: the first byte says JSON.
        (arg(&dir.write("records.txt", &data)), vec![]),
    ];
    for (input, extra) in inputs {
        let mut args = vec!["--agents", "GPTBot,CCBot"];
        args.extend(extra.iter().copied());
        let (run, removed, stats) = filter(&dir, &input, &args);
        assert_eq!(run.code, 0, "{input}: {run:?}");
        assert_eq!(stats["input_format"], "jsonl", "{input}");
        let strip = |r: &Value| {
            let mut r = r.clone();
            r.as_object_mut().unwrap().remove("policy");
            r
        };
        assert_eq!(
            removed.iter().map(strip).collect::<Vec<_>>(),
            removed_plain.iter().map(strip).collect::<Vec<_>>(),
            "{input}: removed records name the same URLs, reasons and lines"
        );
        // Kept records are the input's own lines, for the same URLs.
        let kept_urls: Vec<String> = run
            .stdout_text()
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                let v = if v.get("metadata").is_some() {
                    &v["metadata"]["url"]
                } else {
                    &v["url"]
                };
                v.as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(kept_urls.join("\n") + "\n", plain.stdout_text(), "{input}");
    }
}

#[test]
fn records_that_are_not_json_are_named_counted_and_skipped() {
    let dir = TestDir::new();
    let data = concat!(
        "{\"url\":\"https://a.example/1\"}\n",
        "{\"url\":\"https://a.example/2\"\n",
        "\n",
        "{\"text\":\"no url\"}\n",
        "{\"url\":42}\n",
        "not json at all\n",
        "{\"url\":\"https://a.example/3\"}\n",
    );
    let input = arg(&dir.write("bad.jsonl", data));
    let (run, _, stats) = filter(&dir, &input, &["--agents", "GPTBot"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout_text().lines().count(), 2);
    assert_eq!(stats["rows"], 7);
    assert_eq!(stats["kept"], 2);
    assert_eq!(stats["skipped_by_reason"]["bad-record"], 2);
    assert_eq!(stats["skipped_by_reason"]["no-url-field"], 2);
    assert_eq!(stats["skipped_by_reason"]["empty-line"], 1);
    assert_eq!(stats["counts_add_up"], true);
    assert!(
        run.stderr.contains("bad.jsonl` line 2: not JSON at byte 28: expected `,` or `}` in an object (row skipped as bad-record)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "line 5: field `url` is a number, not a string (row skipped as no-url-field)"
        ),
        "{}",
        run.stderr
    );

    // --on-error fail: exit 2, naming the file and line; nothing of the
    // chunk with the bad record is written.
    let (run, _, _) = filter(&dir, &input, &["--agents", "GPTBot", "--on-error", "fail"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("bad.jsonl` line 2: not JSON at byte 28"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn a_truncated_zst_json_lines_file_fails_naming_the_place() {
    let dir = TestDir::new();
    let data = jsonl(&urls(), false);
    let mut zst = zstd::encode_all(&data[..], 3).unwrap();
    zst.truncate(zst.len() / 2);
    let input = arg(&dir.write("cut.jsonl.zst", zst));
    let (run, _, _) = filter(&dir, &input, &["--agents", "GPTBot"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("cut.jsonl.zst"), "{}", run.stderr);
}

#[test]
fn cdxj_index_lines_decide_like_the_same_urls() {
    let dir = TestDir::new();
    let urls = urls();
    let list = arg(&dir.write("urls.txt", urls.join("\n") + "\n"));
    let (plain, removed_plain, _) = filter(&dir, &list, &["--agents", "GPTBot"]);
    let mut cdxj = String::new();
    for (i, url) in urls.iter().enumerate() {
        let key = url
            .split("://")
            .nth(1)
            .unwrap()
            .replace('/', ")/")
            .replace(' ', "%20");
        cdxj.push_str(&format!(
            "{key} 2024022001{:04} {{\"url\": {}, \"mime\": \"text/html\", \"status\": \"200\", \"length\": \"{i}\"}}\n",
            i % 10_000,
            serde_json::to_string(url).unwrap()
        ));
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(cdxj.as_bytes()).unwrap();
    let input = arg(&dir.write("cdx-00000.gz", gz.finish().unwrap()));
    let (run, removed, stats) = filter(&dir, &input, &["--agents", "GPTBot"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        stats["input_format"], "cdxj",
        "detected from the first line"
    );
    let reasons = |r: &[Value]| -> Vec<(Value, Value, Value)> {
        r.iter()
            .map(|r| (r["row"].clone(), r["url"].clone(), r["reason"].clone()))
            .collect()
    };
    assert_eq!(reasons(&removed), reasons(&removed_plain));
    assert_eq!(
        run.stdout_text().lines().count(),
        plain.stdout_text().lines().count()
    );
    assert!(
        run.stdout_text().lines().all(|l| cdxj.contains(l)),
        "kept lines are the input's"
    );
}

#[test]
fn tokens_are_counted_per_reason_and_add_up() {
    let dir = TestDir::new();
    let urls = urls();
    let mut text = String::new();
    let mut total = 0u64;
    for (i, url) in urls.iter().enumerate() {
        // Every seventh record has no count; the rest count i + 1 tokens,
        // some written as floats.
        match i % 7 {
            0 => text.push_str(&format!("{{\"url\":\"{url}\",\"meta\":{{}}}}\n")),
            1 => {
                total += i as u64 + 1;
                text.push_str(&format!(
                    "{{\"url\":\"{url}\",\"meta\":{{\"tokens\":{}.0}}}}\n",
                    i + 1
                ));
            }
            _ => {
                total += i as u64 + 1;
                text.push_str(&format!(
                    "{{\"url\":\"{url}\",\"meta\":{{\"tokens\":{}}}}}\n",
                    i + 1
                ));
            }
        }
    }
    let input = arg(&dir.write("docs.jsonl", &text));
    let tokens = ["--agents", "GPTBot", "--tokens-field", "meta.tokens"];
    let (run, removed, stats) = filter(&dir, &input, &tokens);
    assert_eq!(run.code, 0, "{run:?}");
    let counts = &stats["tokens"];
    assert_eq!(counts["total"], total);
    assert_eq!(
        counts["kept"].as_u64().unwrap() + counts["removed"].as_u64().unwrap(),
        total
    );
    assert_eq!(counts["rows_without_count"], urls.len().div_ceil(7));
    // The removed tokens are those of the removed rows.
    let removed_tokens: u64 = removed
        .iter()
        .map(|r| r["row"].as_u64().unwrap() - 1)
        .filter(|i| i % 7 != 0)
        .map(|i| i + 1)
        .sum();
    assert_eq!(counts["removed"], removed_tokens);
    let by_reason: u64 = counts["removed_by_reason"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_reason, removed_tokens);
    // The audit reports the same tokens, with shares.
    let mut args = vec![
        "--robots-dir".to_owned(),
        arg(&fixture("robots/real")),
        "--missing-policy".into(),
        "allow".into(),
    ];
    args.extend(tokens.map(String::from));
    let report = crate::audit::audit_json(&dir, &[&input], &args);
    assert_eq!(report["tokens"]["total"], total);
    assert_eq!(report["tokens"]["removed"]["tokens"], removed_tokens);
    // A URL list has no token counts to read.
    let list = arg(&dir.write("urls.txt", urls.join("\n")));
    let (run, _, _) = filter(&dir, &list, &tokens);
    assert_eq!(run.code, 1, "{run:?}");
}
