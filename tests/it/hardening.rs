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

/// 1. A `.warc.gz` compressed as one gzip stream is read record by record.
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

/// 4. A response whose HTTP head does not parse is skipped and counted,
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

/// 5. A WARC (plain or gzip) on standard input is refused, not read as a
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
