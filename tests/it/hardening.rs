//! Regression tests for hostile inputs and careless use: each test is one
//! way a corpus, a server or a command line could make optout keep what
//! was opted out, lose rows or destroy a file. Numbers refer to the items
//! of the hardening issue (#12).

use serde_json::Value;

use crate::cli_warc::{gz, record};
use crate::util::{TestDir, arg, optout, read_json};

/// A robots directory where `a.example` disallows `/private` for all.
fn robots(dir: &TestDir) -> String {
    dir.write(
        "robots/a.example.txt",
        "User-agent: *\nDisallow: /private\n",
    );
    arg(&dir.path("robots"))
}

fn response(url: &str, http_headers: &str) -> Vec<u8> {
    let block =
        format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n{http_headers}\r\n<html></html>");
    record(
        "response",
        Some(url),
        &block,
        "application/http; msgtype=response",
    )
}

fn four_records() -> Vec<u8> {
    [
        response("http://a.example/1", ""),
        response("http://a.example/private/2", ""),
        response("http://a.example/3", ""),
        response("http://a.example/private/4", ""),
    ]
    .concat()
}

fn stats(dir: &TestDir) -> Value {
    read_json(&dir.path("stats.json"))
}

fn filter(dir: &TestDir, input: &str, extra: &[&str]) -> crate::util::Run {
    let mut args = vec![
        "filter".to_owned(),
        input.to_owned(),
        "--robots-dir".into(),
        robots(dir),
        "--missing-policy".into(),
        "allow".into(),
        "--stats".into(),
        arg(&dir.path("stats.json")),
        "-q".into(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    optout(&args, None)
}

/// Item 1: A `.warc.gz` compressed as one gzip stream is read record by record.
#[test]
fn warc_gzip_as_one_stream_is_judged_record_by_record() {
    let dir = TestDir::new();
    let input = dir.write("crawl.warc.gz", gz(&four_records()));
    let kept = dir.path("kept.warc.gz");
    for on_error in ["skip", "fail"] {
        let run = filter(
            &dir,
            &arg(&input),
            &["--kept", &arg(&kept), "--on-error", on_error],
        );
        assert_eq!(run.code, 0, "{run:?}");
        let stats = stats(&dir);
        assert_eq!(stats["rows"], 4, "{stats}");
        assert_eq!(stats["kept"], 2, "{stats}");
        assert_eq!(stats["removed_by_reason"]["robots-disallow"], 2, "{stats}");
        // The kept file is a valid WARC of the two kept records.
        let mut plain = Vec::new();
        use std::io::Read;
        flate2::read::MultiGzDecoder::new(std::fs::File::open(&kept).unwrap())
            .read_to_end(&mut plain)
            .unwrap();
        let text = String::from_utf8(plain).unwrap();
        assert!(text.contains("http://a.example/1") && text.contains("http://a.example/3"));
        assert!(!text.contains("private"), "{text}");
    }
    let args = [
        "--robots-dir",
        &robots(&dir),
        "--missing-policy",
        "allow",
        "-q",
    ]
    .map(String::from);
    let report = crate::audit::audit_json(&dir, &[&arg(&input)], &args);
    assert_eq!(report["rows"], 4, "{report}");
    assert_eq!(report["removed"]["rows"], 2, "{report}");
}

/// Item 4: A response whose HTTP head does not parse is skipped and counted,
/// never kept as if it carried no page signals.
#[test]
fn warc_response_with_unreadable_http_head_is_not_kept() {
    let dir = TestDir::new();
    // The HTTP header block runs to the block's end without a blank line.
    let block = "HTTP/1.1 200 OK\r\nX-Robots-Tag: noai\r\n";
    let bad = record(
        "response",
        Some("http://a.example/x"),
        block,
        "application/http; msgtype=response",
    );
    let input = dir.write(
        "crawl.warc",
        [bad, response("http://a.example/1", "")].concat(),
    );
    let kept = dir.path("kept.warc");
    let run = filter(&dir, &arg(&input), &["--kept", &arg(&kept)]);
    assert_eq!(run.code, 0, "{run:?}");
    let stats = stats(&dir);
    assert_eq!(stats["rows"], 2, "{stats}");
    assert_eq!(stats["kept"], 1, "{stats}");
    assert_eq!(stats["skipped_by_reason"]["bad-record"], 1, "{stats}");
    assert!(!std::fs::read_to_string(&kept).unwrap().contains("/x"));
    let run = filter(
        &dir,
        &arg(&input),
        &["--kept", &arg(&kept), "--on-error", "fail"],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("crawl.warc") && run.stderr.contains("WARC record 1"),
        "{run:?}"
    );
}

/// Item 5: A WARC (plain or gzip) on standard input is refused, not read as a
/// URL list.
#[test]
fn warc_on_standard_input_is_refused() {
    let dir = TestDir::new();
    let body = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhttp://a.example/from-a-body\n";
    let warc = record(
        "response",
        Some("http://a.example/1"),
        body,
        "application/http",
    );
    for input in [warc.clone(), gz(&warc)] {
        let args = [
            "filter",
            "-",
            "--robots-dir",
            &robots(&dir),
            "--missing-policy",
            "allow",
        ];
        let run = optout(&args, Some(&input));
        assert_eq!(run.code, 1, "a usage error: {run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
        assert!(run.stderr.contains("WARC"), "{run:?}");
    }
}

fn url_list(dir: &TestDir) -> std::path::PathBuf {
    dir.write("in.txt", "http://a.example/1\nhttp://a.example/private/2\n")
}

/// Item 7: No output may be an input (by name, through a link, as a hard link)
/// or another output; the input is left as it was.
#[test]
fn outputs_that_alias_an_input_or_each_other_are_refused() {
    let dir = TestDir::new();
    let input = url_list(&dir);
    let before = std::fs::read(&input).unwrap();
    let link = dir.path("link.txt");
    std::os::unix::fs::symlink(&input, &link).unwrap();
    for option in [
        "--kept",
        "--removed",
        "--stats",
        "--manifest",
        "--missing-origins",
    ] {
        for target in [&input, &link] {
            let run = filter(&dir, &arg(&input), &[option, &arg(target)]);
            assert_eq!(run.code, 1, "{option} {run:?}");
            assert!(run.stderr.contains("never overwrites an input"), "{run:?}");
            assert_eq!(std::fs::read(&input).unwrap(), before, "{option}");
        }
    }
    let same = arg(&dir.path("out.txt"));
    let run = filter(&dir, &arg(&input), &["--kept", &same, "--removed", &same]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("are one file"), "{run:?}");
    assert!(!dir.path("out.txt").exists());
    // The blocklist is an input too.
    let list = dir.write("block.txt", "b.example\n");
    let run = filter(
        &dir,
        &arg(&input),
        &[
            "--blocklist",
            &format!("p={}", arg(&list)),
            "--removed",
            &arg(&list),
        ],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(std::fs::read_to_string(&list).unwrap(), "b.example\n");
}

/// Item 7: A run that fails leaves no output under its name: what it wrote
/// before a read error is kept as `NAME.partial`.
#[test]
fn a_failed_run_leaves_no_output_that_looks_complete() {
    let dir = TestDir::new();
    let kept = dir.path("kept.jsonl");
    let removed = dir.path("removed.jsonl");
    std::fs::write(&kept, "an older, complete output\n").unwrap();
    let input = dir.write(
        "in.jsonl",
        "{\"url\":\"http://a.example/1\"}\nnot json\n{\"url\":\"http://a.example/3\"}\n",
    );
    let run = filter(
        &dir,
        &arg(&input),
        &[
            "--kept",
            &arg(&kept),
            "--removed",
            &arg(&removed),
            "--on-error",
            "fail",
        ],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        std::fs::read_to_string(&kept).unwrap(),
        "an older, complete output\n"
    );
    assert!(!removed.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // A cut gzip input: the rows before the cut are in NAME.partial.
    let mut gz = crate::cli_warc::gz(&"http://a.example/1\n".repeat(5000).into_bytes());
    gz.truncate(gz.len() / 2);
    let cut = dir.write("cut.txt.gz", gz);
    let run = filter(&dir, &arg(&cut), &["--kept", &arg(&kept)]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        std::fs::read_to_string(&kept).unwrap(),
        "an older, complete output\n"
    );
    assert!(dir.path("kept.jsonl.partial").exists(), "{run:?}");
    assert!(run.stderr.contains("kept.jsonl.partial"), "{run:?}");
}

/// Item 8: `cache export` follows a link and writes a FIFO in place instead
/// of replacing either.
#[test]
fn cache_export_keeps_links_and_fifos() {
    let site = crate::server::Server::start();
    site.set(
        "a.test",
        crate::server::Reply::new(200, "User-agent: *\nDisallow: /x\n"),
    );
    let dir = TestDir::new();
    let cache = arg(&dir.path("cache.sqlite"));
    let list = dir.write("urls.txt", "http://a.test/\n");
    fetch_into(&site, &list, &cache, "none");
    let target = dir.write("real.jsonl", "");
    let link = dir.path("link.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let run = optout(&["cache", "export", &arg(&link), "--cache", &cache], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(std::fs::read_to_string(&target).unwrap().contains("a.test"));
    let fifo = dir.path("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let run = optout(&["cache", "export", &arg(&fifo), "--cache", &cache], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(reader.join().unwrap().contains("a.test"));
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    let run = optout(&["cache", "export", "/dev/null", "--cache", &cache], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        std::fs::symlink_metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

/// Fetches the origins of the URL list `list` from `site` into the cache
/// at `cache`, with the per-origin `files`.
fn fetch_into(site: &crate::server::Server, list: &std::path::Path, cache: &str, files: &str) {
    let resolve = site.resolve();
    let args = [
        "fetch",
        list.to_str().unwrap(),
        "--cache",
        cache,
        "--resolve",
        &resolve,
        "--resolve",
        "*=-",
        "--files",
        files,
        "-q",
    ];
    let run = optout(&args, None);
    assert_eq!(run.code, 0, "{run:?}");
}

/// Item 9: A SQLite database that is not an optout cache is refused untouched.
#[test]
fn a_foreign_sqlite_file_is_refused_untouched() {
    let dir = TestDir::new();
    let path = dir.path("app.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);
             CREATE VIEW history AS SELECT x FROM t; CREATE VIEW latest AS SELECT x FROM t;",
        )
        .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let input = url_list(&dir);
    for args in [
        vec!["cache", "stats", "--cache", path.to_str().unwrap()],
        vec![
            "filter",
            input.to_str().unwrap(),
            "--offline",
            "--cache",
            path.to_str().unwrap(),
        ],
    ] {
        let run = optout(&args, None);
        assert_ne!(run.code, 0, "{run:?}");
        assert!(run.stderr.contains("not an optout cache"), "{run:?}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "the file is unchanged"
        );
        assert!(!dir.path("app.sqlite-wal").exists());
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete");
}

/// Item 13: A line over the 64 MiB limit is skipped as `bad-record` naming its
/// line, and the rows after it are judged; it is never held whole.
#[test]
fn an_overlong_line_is_skipped_and_named() {
    let dir = TestDir::new();
    let mut data = b"{\"url\":\"http://a.example/1\"}\n{\"url\":\"http://a.example/".to_vec();
    data.resize(data.len() + (65 << 20), b'x');
    data.extend_from_slice(
        b"\"}\n{\"url\":\"http://a.example/private/3\"}\n{\"url\":\"http://a.example/4\"}\n",
    );
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut encoder, &data).unwrap();
    let input = dir.write("big.jsonl.gz", encoder.finish().unwrap());
    drop(data);
    let kept = dir.path("kept.jsonl");
    let run = filter(&dir, &arg(&input), &["--kept", &arg(&kept)]);
    assert_eq!(run.code, 0, "{run:?}");
    let stats = stats(&dir);
    assert_eq!(stats["rows"], 4, "{stats}");
    assert_eq!(stats["kept"], 2, "{stats}");
    assert_eq!(stats["skipped_by_reason"]["bad-record"], 1, "{stats}");
    assert_eq!(stats["removed_by_reason"]["robots-disallow"], 1, "{stats}");
    let run = filter(
        &dir,
        &arg(&input),
        &["--kept", &arg(&kept), "-q", "--on-error", "fail"],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("line 2") && run.stderr.contains("64 MiB"),
        "{run:?}"
    );
}

/// Item 14: A Parquet file with a flipped byte anywhere gives a clear error
/// naming the file (never a panic), and no kept file is left.
#[test]
fn a_corrupt_parquet_file_is_an_error_not_a_panic() {
    let dir = TestDir::new();
    let urls: Vec<Option<String>> = (0..2000)
        .map(|i| {
            Some(format!(
                "http://a.example/{}/{i}",
                if i % 3 == 0 { "private" } else { "p" }
            ))
        })
        .collect();
    let good = dir.path("good.parquet");
    crate::cli_parquet::write_parquet(&good, &urls, "url", 500);
    let bytes = std::fs::read(&good).unwrap();
    let kept = dir.path("kept.parquet");
    let mut outcomes = std::collections::BTreeMap::new();
    // Some 250 places spread over the file: headers, pages, statistics,
    // the footer; and every byte of the footer's last 64.
    let step = bytes.len() / 250;
    let places = (0..bytes.len())
        .step_by(step)
        .chain(bytes.len() - 64..bytes.len());
    for at in places {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x5A;
        let input = dir.write("flipped.parquet", &flipped);
        let run = filter(&dir, &arg(&input), &["--kept", &arg(&kept)]);
        assert!(matches!(run.code, 0..=2), "byte {at}: {run:?}");
        assert!(!run.stderr.contains("panicked"), "byte {at}: {run:?}");
        if run.code != 0 {
            assert!(run.stderr.contains("flipped.parquet"), "byte {at}: {run:?}");
            assert!(
                !kept.exists(),
                "byte {at}: a failed run leaves no kept file"
            );
        } else {
            let stats = stats(&dir);
            assert_eq!(stats["counts_add_up"], true, "byte {at}: {stats}");
        }
        *outcomes.entry(run.code).or_insert(0) += 1;
        let _ = std::fs::remove_file(&kept);
    }
    assert!(outcomes.get(&2).copied().unwrap_or(0) > 0, "{outcomes:?}");
}

/// Item 6: A cache whose stored body was rewritten is refused by `filter`, not
/// used silently.
#[test]
fn a_tampered_cache_body_is_refused() {
    let site = crate::server::Server::start();
    site.set(
        "a.test",
        crate::server::Reply::new(200, "User-agent: *\nDisallow: /\n"),
    );
    let dir = TestDir::new();
    let cache = dir.path("cache.sqlite");
    let list = dir.write("urls.txt", "http://a.test/x\n");
    fetch_into(&site, &list, cache.to_str().unwrap(), "none");
    {
        let conn = rusqlite::Connection::open(&cache).unwrap();
        conn.execute(
            "UPDATE bodies SET body = CAST('User-agent: *\nAllow: /\n' AS BLOB)",
            [],
        )
        .unwrap();
    }
    let cache_arg = arg(&cache);
    let args = [
        "filter",
        list.to_str().unwrap(),
        "--offline",
        "--cache",
        &cache_arg,
        "-q",
    ];
    let run = optout(&args, None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.is_empty(), "nothing kept: {run:?}");
    assert!(run.stderr.contains("changed outside optout"), "{run:?}");
}

/// Item 3: A tdmrep.json over the size limit keeps its first rules, and a
/// broken one reserves what its readable rules do not decide: neither is
/// read as "no reservation". The origin is counted as `unreadable`.
#[test]
fn oversized_and_broken_tdmrep_files_do_not_fail_open() {
    let site = crate::server::Server::start();
    let mut big = br#"[{"location": "/*", "tdm-reservation": 1}"#.to_vec();
    while big.len() < 600_000 {
        big.extend_from_slice(br#", {"location": "/x", "tdm-reservation": 0}"#);
    }
    big.push(b']');
    let broken = br#"[{"location": "/free/", "tdm-reservation": 0}, {"location": "/a" "tdm"#;
    let tdmrep = "/.well-known/tdmrep.json";
    site.set_path("huge.test", tdmrep, crate::server::Reply::new(200, big));
    site.set_path(
        "broken.test",
        tdmrep,
        crate::server::Reply::new(200, broken.to_vec()),
    );
    site.set_path(
        "notjson.test",
        tdmrep,
        crate::server::Reply::new(200, "<html>Not found</html>"),
    );
    let dir = TestDir::new();
    let cache = arg(&dir.path("cache.sqlite"));
    let urls = [
        "http://huge.test/x",
        "http://broken.test/free/x",
        "http://broken.test/other",
        "http://notjson.test/a",
    ];
    let list = dir.write("urls.txt", urls.join("\n") + "\n");
    fetch_into(&site, &list, &cache, "tdmrep.json");
    let removed = dir.path("removed.jsonl");
    let stats_path = dir.path("stats.json");
    let args = [
        "filter",
        list.to_str().unwrap(),
        "--offline",
        "--cache",
        &cache,
        "--agents",
        "CCBot",
        "--removed",
        &arg(&removed),
        "--stats",
        &arg(&stats_path),
    ];
    let run = optout(&args, None);
    assert_eq!(run.code, 0, "{run:?}");
    // An HTML page at the path is no tdmrep.json (SIGNALS.md §6.8: only a
    // file that starts as an array and breaks is read as reserved).
    assert_eq!(
        run.stdout_text(),
        "http://broken.test/free/x\nhttp://notjson.test/a\n",
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("warning: 2 origins serve a tdmrep.json that cannot be read"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains(
            "note: 1 origins answer /.well-known/tdmrep.json with something that is not one"
        ),
        "{run:?}"
    );
    let explain = |url: &str| {
        optout(
            &[
                "explain",
                url,
                "--offline",
                "--cache",
                &cache,
                "--agents",
                "CCBot",
                "--json",
            ],
            None,
        )
    };
    let broken = explain("http://broken.test/other");
    assert_eq!(broken.code, 1, "removed: {broken:?}");
    let broken: serde_json::Value = serde_json::from_slice(&broken.stdout).unwrap();
    assert_eq!(
        broken["files"]["tdmrep.json"]["state"], "unreadable",
        "{broken}"
    );
    let explained = explain("http://notjson.test/a");
    assert_eq!(explained.code, 0, "kept: {explained:?}");
    let explained: serde_json::Value = serde_json::from_slice(&explained.stdout).unwrap();
    let file = &explained["files"]["tdmrep.json"];
    assert_eq!(file["state"], "invalid", "{file}");
    assert!(
        file["note"].as_str().unwrap().contains("not a tdmrep.json"),
        "{file}"
    );
    let removed = crate::util::read_jsonl(&removed);
    assert_eq!(removed.len(), 2, "{removed:?}");
    assert!(
        removed.iter().all(|r| r["reason"] == "tdmrep"),
        "{removed:?}"
    );
    let other = removed
        .iter()
        .find(|r| r["url"] == "http://broken.test/other")
        .unwrap();
    assert!(other.to_string().contains("unreadable"), "{other}");
    let stats = read_json(&stats_path);
    assert_eq!(
        stats["policies"]["files"]["tdmrep.json"]["unreadable"], 2,
        "{stats}"
    );
    assert_eq!(
        stats["policies"]["files"]["tdmrep.json"]["invalid"], 1,
        "{stats}"
    );
}

/// Item 11: Evidence never keeps a URL's credentials unless asked; the query
/// can be redacted too; the manifest says which, and `verify` agrees.
#[test]
fn evidence_redacts_credentials_and_optionally_queries() {
    let dir = TestDir::new();
    let input = dir.write(
        "in.txt",
        "http://user:secret@a.example/private/x?token=abc#top\nhttp://a.example/1\n",
    );
    let removed = dir.path("removed.jsonl");
    let manifest = dir.path("run.manifest.json");
    for (redact, shown) in [
        (None, "http://REDACTED@a.example/private/x?token=abc#top"),
        (
            Some("userinfo,query"),
            "http://REDACTED@a.example/private/x?REDACTED#top",
        ),
        (
            Some("none"),
            "http://user:secret@a.example/private/x?token=abc#top",
        ),
    ] {
        let kept = dir.path("kept.txt");
        let mut extra = vec![
            "--kept",
            kept.to_str().unwrap(),
            "--removed",
            removed.to_str().unwrap(),
            "--manifest",
            manifest.to_str().unwrap(),
        ];
        if let Some(redact) = redact {
            extra.extend(["--redact", redact]);
        }
        let run = filter(&dir, &arg(&input), &extra);
        assert_eq!(run.code, 0, "{run:?}");
        let records = crate::util::read_jsonl(&removed);
        assert_eq!(records[0]["url"], shown, "{redact:?}");
        let written = read_json(&manifest);
        let expected: Vec<&str> = match redact {
            None => vec!["userinfo"],
            Some("none") => vec![],
            Some(_) => vec!["userinfo", "query"],
        };
        assert_eq!(
            written["config"]["redact"],
            serde_json::json!(expected),
            "{written}"
        );
        let run = optout(&["verify", manifest.to_str().unwrap(), "--full"], None);
        assert_eq!(run.code, 0, "{redact:?}: {run:?}");
    }
}

/// Item 16: A snapshot that lists one origin twice is refused, naming the line.
#[test]
fn a_snapshot_listing_an_origin_twice_is_refused() {
    let site = crate::server::Server::start();
    let dir = TestDir::new();
    let cache = arg(&dir.path("cache.sqlite"));
    let list = dir.write("urls.txt", "http://a.test/x\nhttp://b.test/x\n");
    fetch_into(&site, &list, &cache, "none");
    let snapshot = dir.path("snap.jsonl");
    let run = optout(
        &[
            "cache",
            "export",
            snapshot.to_str().unwrap(),
            "--cache",
            &cache,
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let text = std::fs::read_to_string(&snapshot).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    // The second origin's line again, under the first origin's name, and
    // the header counting three: the file is not cut, only doubled.
    let mut header: Value = serde_json::from_str(lines[0]).unwrap();
    header["origins"] = 3.into();
    let twice = lines[2].replace("http://b.test", "http://a.test");
    let doubled = [header.to_string().as_str(), lines[1], lines[2], &twice].join("\n") + "\n";
    let doubled_path = dir.write("doubled.jsonl", doubled);
    let run = optout(
        &[
            "filter",
            list.to_str().unwrap(),
            "--snapshot",
            doubled_path.to_str().unwrap(),
            "-q",
        ],
        None,
    );
    assert_ne!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("listed twice") && run.stderr.contains("line 4"),
        "{run:?}"
    );
}

/// A robots.txt whose rules, shared by every agent's groups, compile to
/// more than the limit: 24,000 wildcard rules for all agents, and a group
/// of one rule per agent, so that every agent's merged rules differ.
fn pathological_robots(agents: &[&str]) -> String {
    let mut body = String::new();
    for agent in agents {
        body.push_str(&format!("User-agent: {agent}\n"));
    }
    for i in 0..24_000 {
        body.push_str(&format!("Disallow: /*a*{i}\n"));
    }
    for (i, agent) in agents.iter().enumerate() {
        body.push_str(&format!("\nUser-agent: {agent}\nDisallow: /only-{i}\n"));
    }
    body
}

/// Item 12: A robots.txt over the compiled-size limit is read as unreachable
/// (complete disallow, with the reason), in bounded time and memory; real
/// files stay far below the limit.
#[test]
fn a_pathological_robots_txt_is_bounded_and_disallows() {
    let agents = [
        "GPTBot",
        "CCBot",
        "ClaudeBot",
        "Google-Extended",
        "Bytespider",
    ];
    let body = pathological_robots(&agents);
    assert!(body.len() < 512_000, "{}", body.len());
    let dir = TestDir::new();
    dir.write("robots/a.example.txt", &body);
    let long = format!("http://a.example/{}", "ab".repeat(5_000));
    let input = dir.write("in.txt", format!("http://a.example/1\n{long}\n"));
    let removed = dir.path("removed.jsonl");
    let started = std::time::Instant::now();
    let run = optout(
        &[
            "filter",
            &arg(&input),
            "--robots-dir",
            &arg(&dir.path("robots")),
            "--agents",
            &agents.join(","),
            "--removed",
            &arg(&removed),
            "-q",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.is_empty(), "nothing kept: {run:?}");
    let records = crate::util::read_jsonl(&removed);
    assert_eq!(records.len(), 2);
    for record in &records {
        assert_eq!(record["reason"], "robots-unreachable", "{record}");
        assert!(
            record["detail"].as_str().unwrap().contains("too complex"),
            "{record}"
        );
    }
    // A hang guard, not a performance assertion: before the limit this
    // took minutes.
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

/// The compiled size of every real robots.txt bundled, for the default
/// training agents, is far below the limit.
#[test]
fn real_robots_files_compile_far_below_the_limit() {
    let registry = optout::agents::Registry::builtin();
    let agents =
        optout::agents::AgentSet::for_purpose(registry, optout::agents::Purpose::Train).unwrap();
    let mut largest = 0;
    for entry in std::fs::read_dir(crate::util::fixture("robots/real")).unwrap() {
        let body = std::fs::read(entry.unwrap().path()).unwrap();
        let robots = optout::signals::robots::RobotsTxt::parse(&body);
        // Under a tenth of the limit, each of them.
        let limit = optout::signals::robots::MAX_COMPILED_RULES / 10;
        let compiled = robots.compile_bounded(agents.keys(), limit);
        assert!(compiled.is_ok(), "{compiled:?}");
        largest = largest.max(compiled.unwrap().rule_count());
    }
    assert!(largest > 100, "{largest}");
}
