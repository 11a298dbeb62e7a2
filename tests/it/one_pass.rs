//! A source small beside its input (a robots directory of a few hosts,
//! 60 KB of URLs) is loaded whole and the input read once, instead of
//! scanned for its origins first: kept rows and removed records are those
//! of every other way of running, and the stats count the policies of the
//! origins the input names, as a run that scans first does, not every
//! policy of the directory.

use crate::util::{TestDir, arg, optout};

/// A directory of four hosts' files, of which the input names three (one
/// of them blocklisted), and `lines` rows over them with unusable ones.
fn world(lines: usize) -> TestDir {
    let dir = TestDir::new();
    dir.write("robots/a.test.txt", "User-agent: *\nDisallow: /private\n");
    dir.write("robots/b.test.txt", "User-agent: *\nAllow: /\n");
    dir.write("robots/c.test.txt", "User-agent: *\nDisallow: /\n");
    dir.write("robots/d.test.txt", "User-agent: *\nDisallow: /\n");
    dir.write("block.txt", "c.test\n");
    let mut rows = String::new();
    for i in 0..lines {
        rows.push_str(&format!(
            "https://a.test/private/{i}\nhttps://a.test/open/{i}\nhttps://b.test/{i}\nhttp://c.test/x{i}\nnot a url {i}\n"
        ));
    }
    dir.write("urls.txt", rows);
    dir
}

/// Kept rows, removed records and stats of a run over `urls.txt`, from the
/// file or from standard input.
fn run(dir: &TestDir, stdin: bool) -> (Vec<u8>, Vec<u8>, serde_json::Value) {
    let input = if stdin {
        "-".to_owned()
    } else {
        arg(&dir.path("urls.txt"))
    };
    let args = [
        "filter".to_owned(),
        input,
        "--robots-dir".into(),
        arg(&dir.path("robots")),
        "--blocklist".into(),
        format!("list={}", arg(&dir.path("block.txt"))),
        "--removed".into(),
        arg(&dir.path("removed.jsonl")),
        "--stats".into(),
        arg(&dir.path("stats.json")),
        "--threads".into(),
        "2".into(),
    ];
    let urls = std::fs::read(dir.path("urls.txt")).unwrap();
    let out = optout(&args, stdin.then_some(urls.as_slice()));
    assert_eq!(out.code, 0, "{out:?}");
    let stats = serde_json::from_str(&dir.read("stats.json")).unwrap();
    (
        out.stdout,
        std::fs::read(dir.path("removed.jsonl")).unwrap(),
        stats,
    )
}

#[test]
fn a_small_source_loaded_whole_counts_the_policies_the_input_names() {
    // 600 × 5 rows: large beside four files, so the directory loads whole.
    let big = world(600);
    let (kept, removed, stats) = run(&big, false);
    assert_eq!(stats["rows"], 3000, "{stats}");
    assert_eq!(stats["policies"]["origins"], 3, "{stats}");
    // Standard input cannot be read twice: it loads whole too, and counts
    // the input's origins, not the fourth file it never names.
    let (stdin_kept, stdin_removed, stdin_stats) = run(&big, true);
    assert_eq!(kept, stdin_kept);
    assert_eq!(removed, stdin_removed);
    assert_eq!(stdin_stats["policies"]["origins"], 3, "{stdin_stats}");
    // Two rows per kind: small beside the files, so the input is scanned
    // first and only its origins' policies load. Same count.
    let small = world(2);
    let (_, small_removed, small_stats) = run(&small, false);
    assert_eq!(small_stats["policies"]["origins"], 3, "{small_stats}");
    let lines = |bytes: &[u8]| bytes.iter().filter(|&&b| b == b'\n').count();
    assert_eq!(lines(&removed), 600 * 3);
    assert_eq!(lines(&small_removed), 2 * 3);
    assert_eq!(
        stats["removed"],
        small_stats["removed"].as_u64().unwrap() * 300,
        "{stats}"
    );
}

/// The audit's Origins table counts the input's origins, from a file or
/// from standard input, never the rest of the source.
#[test]
fn the_audit_counts_the_input_origins_only() {
    let dir = world(2);
    let urls = std::fs::read(dir.path("urls.txt")).unwrap();
    for (input, stdin) in [
        (arg(&dir.path("urls.txt")), None),
        ("-".to_owned(), Some(&urls[..])),
    ] {
        let out = optout(
            &[
                "audit",
                &input,
                "--robots-dir",
                &arg(&dir.path("robots")),
                "--report-format",
                "json",
            ],
            stdin,
        );
        assert_eq!(out.code, 0, "{out:?}");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let origins: u64 = report["origins"]
            .as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum();
        assert_eq!(origins, 3, "{input}: {report}");
    }
}
