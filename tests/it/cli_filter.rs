//! `optout filter` end to end: every option, bad input, exit codes, and the
//! rule that every row read is kept, removed or skipped.

use serde_json::Value;

use crate::util::{TestDir, arg, fixture, optout};

const ROBOTS: &str = "User-agent: GPTBot\nDisallow: /private/\n\nUser-agent: CCBot\nDisallow: /\n\nUser-agent: *\nDisallow: /admin\n";

/// A small world: two hosts with policies, a blocklist, a URL list.
fn world(dir: &TestDir) -> (String, String) {
    dir.write("robots/example.com.txt", ROBOTS);
    dir.write("robots/open.org.txt", "User-agent: *\nAllow: /\n");
    let list = dir.write(
        "piracy.txt",
        "# piracy\nlibgen.is\n0.0.0.0 1337x.to\n||annas.example^\n",
    );
    (arg(&dir.path("robots")), format!("piracy={}", arg(&list)))
}

fn stats(dir: &TestDir) -> Value {
    serde_json::from_str(&dir.read("stats.json")).unwrap()
}

fn removed(dir: &TestDir) -> Vec<Value> {
    dir.read("removed.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn bundled_fixtures_run_end_to_end() {
    let dir = TestDir::new();
    let run = optout(
        &[
            "filter",
            &arg(&fixture("urls/sample.txt.gz")),
            "--robots-dir",
            &arg(&fixture("robots/real")),
            "--blocklist",
            &format!("piracy={}", arg(&fixture("blocklists/piracy.txt"))),
            "--removed",
            &arg(&dir.path("removed.jsonl")),
            "--stats",
            &arg(&dir.path("stats.json")),
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let stats = stats(&dir);
    assert_eq!(stats["counts_add_up"], true);
    let rows = stats["rows"].as_u64().unwrap();
    let (kept, gone, skipped) = (
        stats["kept"].as_u64().unwrap(),
        stats["removed"].as_u64().unwrap(),
        stats["skipped"].as_u64().unwrap(),
    );
    assert_eq!(rows, kept + gone + skipped);
    let lines = std::fs::read(fixture("urls/sample.txt"))
        .unwrap()
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    assert_eq!(rows, lines as u64);
    assert_eq!(run.stdout_text().lines().count() as u64, kept);
    assert_eq!(removed(&dir).len() as u64, gone);
    for reason in ["blocklist", "robots-disallow", "invalid-url"] {
        assert!(
            stats["removed_by_reason"][reason].as_u64().unwrap() > 0,
            "{reason}"
        );
    }
    assert!(stats["agents"].as_array().unwrap().len() >= 15);
    assert!(run.stderr.contains("rows:"), "{run:?}");
}

#[test]
fn reasons_evidence_and_order() {
    let dir = TestDir::new();
    let (robots, list) = world(&dir);
    let input = dir.write(
        "urls.txt",
        "https://example.com/private/a\nhttps://example.com/public\nhttps://www.libgen.is/book\nhttp://open.org/x\nnot a url\n\nhttps://example.com/admin/x\n# comment\nhttps://EXAMPLE.com:443/private/b\n",
    );
    let run = optout(
        &[
            "filter",
            &arg(&input),
            "--robots-dir",
            &robots,
            "--blocklist",
            &list,
            "--agents",
            "GPTBot",
            "--agent-token",
            "OtherBot",
            "--removed",
            &arg(&dir.path("removed.jsonl")),
            "--stats",
            &arg(&dir.path("stats.json")),
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout_text(),
        "https://example.com/public\nhttp://open.org/x\n"
    );
    let removed = removed(&dir);
    let rows: Vec<u64> = removed.iter().map(|r| r["row"].as_u64().unwrap()).collect();
    assert_eq!(rows, [1, 3, 5, 7, 9]);
    assert_eq!(removed[0]["reason"], "robots-disallow");
    assert_eq!(removed[0]["agent"], "GPTBot");
    assert_eq!(removed[0]["group"], 1);
    assert_eq!(removed[0]["line"], 2);
    assert_eq!(removed[0]["rule"], "Disallow: /private/");
    assert_eq!(removed[0]["policy_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(removed[1]["reason"], "blocklist");
    assert_eq!(removed[1]["list"], "piracy");
    assert_eq!(removed[1]["entry"], "libgen.is");
    assert_eq!(removed[1]["line"], 2);
    assert_eq!(removed[1]["domain"], "libgen.is");
    assert_eq!(removed[2]["reason"], "invalid-url");
    // GPTBot's own group shadows `*`; OtherBot falls back to it.
    assert_eq!(removed[3]["rule"], "Disallow: /admin");
    assert_eq!(removed[3]["agent"], "OtherBot");
    assert_eq!(removed[3]["group"], 7);
    let stats = stats(&dir);
    assert_eq!(stats["skipped_by_reason"]["empty-line"], 1);
    assert_eq!(stats["skipped_by_reason"]["comment"], 1);
    assert_eq!(stats["removed_with_agent_disallowed"]["GPTBot"], 2);
    assert_eq!(stats["removed_with_agent_disallowed"]["OtherBot"], 1);
    assert!(run.stderr.contains("line 5: not a URL"), "{run:?}");
}

#[test]
fn agent_rule_any_and_all() {
    let dir = TestDir::new();
    let (robots, _) = world(&dir);
    let input = dir.write(
        "urls.txt",
        "https://example.com/private/a\nhttps://example.com/x\n",
    );
    let any = optout(
        &[
            "filter",
            &arg(&input),
            "--robots-dir",
            &robots,
            "--agents",
            "GPTBot,CCBot",
        ],
        None,
    );
    assert_eq!(any.code, 0, "{any:?}");
    assert_eq!(any.stdout_text(), "");
    let all = optout(
        &[
            "filter",
            &arg(&input),
            "--robots-dir",
            &robots,
            "--agents",
            "GPTBot,CCBot",
            "--agent-rule",
            "all",
        ],
        None,
    );
    assert_eq!(all.stdout_text(), "https://example.com/x\n", "{all:?}");
    let bad = optout(
        &[
            "filter",
            &arg(&input),
            "--robots-dir",
            &robots,
            "--agent-rule",
            "some",
        ],
        None,
    );
    assert_eq!(bad.code, 1, "{bad:?}");
}

#[test]
fn purpose_selects_registry_agents() {
    let dir = TestDir::new();
    dir.write(
        "robots/s.org.txt",
        "User-agent: OAI-SearchBot\nDisallow: /\n",
    );
    let input = dir.write("urls.txt", "https://s.org/a\n");
    let robots = arg(&dir.path("robots"));
    let train = optout(&["filter", &arg(&input), "--robots-dir", &robots], None);
    assert_eq!(
        train.stdout_text(),
        "https://s.org/a\n",
        "OAI-SearchBot is not a training agent: {train:?}"
    );
    let search = optout(
        &[
            "filter",
            &arg(&input),
            "--robots-dir",
            &robots,
            "--purpose",
            "search",
        ],
        None,
    );
    assert_eq!(search.stdout_text(), "", "{search:?}");
    let bad = optout(
        &[
            "filter",
            &arg(&input),
            "--robots-dir",
            &robots,
            "--purpose",
            "fun",
        ],
        None,
    );
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("unknown purpose `fun`"), "{bad:?}");
    // A misspelt agent is refused with the names it may mean (issue 15):
    // enforced by a name no robots.txt uses, it would keep everything.
    let misspelt = optout(
        &[
            "filter",
            &arg(&input),
            "--robots-dir",
            &robots,
            "--agents",
            "GPTBot,GTPBot",
        ],
        None,
    );
    assert_eq!(misspelt.code, 1, "{misspelt:?}");
    assert!(misspelt.stdout.is_empty());
    assert!(
        misspelt
            .stderr
            .contains("`GTPBot` is not in the agent registry")
            && misspelt.stderr.contains("did you mean GPTBot")
            && misspelt.stderr.contains("--agent-token GTPBot"),
        "{misspelt:?}"
    );
    // A token of the user's own is enforced by name when vouched for.
    let custom = optout(
        &[
            "filter",
            &arg(&input),
            "--robots-dir",
            &robots,
            "--agent-token",
            "MyCrawler",
        ],
        None,
    );
    assert!(
        custom
            .stderr
            .contains("not in the agent registry (matched by name only): MyCrawler"),
        "{custom:?}"
    );
    let explain = optout(
        &["explain", "https://open.org/", "--agents", "CCbott"],
        None,
    );
    assert_eq!(explain.code, 2, "{explain:?}");
    assert!(explain.stderr.contains("did you mean CCBot"), "{explain:?}");
}

#[test]
fn missing_policy_modes() {
    let dir = TestDir::new();
    let (robots, _) = world(&dir);
    let input = dir.write(
        "urls.txt",
        "https://nowhere.net/a\nhttps://open.org/b\nhttps://sub.nowhere.net/c\n",
    );
    let error = optout(
        &[
            "filter",
            &arg(&input),
            "--robots-dir",
            &robots,
            "--missing-origins",
            &arg(&dir.path("missing.txt")),
            "--stats",
            &arg(&dir.path("stats.json")),
        ],
        None,
    );
    assert_eq!(error.code, 2, "{error:?}");
    assert!(
        error.stderr.contains("2 origins have no robots.txt policy"),
        "{error:?}"
    );
    // The hint fits the source: a robots directory is added to, not
    // fetched into (issue 15).
    assert!(
        error.stderr.contains("add their robots.txt files to")
            && error.stderr.contains("as <host>.txt")
            && !error.stderr.contains("optout fetch"),
        "{error:?}"
    );
    assert_eq!(error.stdout_text(), "https://open.org/b\n");
    assert_eq!(
        dir.read("missing.txt"),
        "https://nowhere.net\nhttps://sub.nowhere.net\n",
        "origins, in a form `optout fetch` reads"
    );
    assert_eq!(stats(&dir)["removed_by_reason"]["no-policy"], 2);
    let deny = optout(
        &[
            "filter",
            &arg(&input),
            "--robots-dir",
            &robots,
            "--missing-policy",
            "deny",
        ],
        None,
    );
    assert_eq!(deny.code, 0, "{deny:?}");
    assert_eq!(deny.stdout_text(), "https://open.org/b\n");
    let allow = optout(
        &[
            "filter",
            &arg(&input),
            "--robots-dir",
            &robots,
            "--missing-policy",
            "allow",
            "--stats",
            &arg(&dir.path("stats.json")),
            "--missing-origins",
            &arg(&dir.path("missing-allowed.txt")),
        ],
        None,
    );
    assert_eq!(allow.code, 0);
    assert_eq!(allow.stdout_text().lines().count(), 3);
    assert!(allow.stderr.contains("kept without a policy"), "{allow:?}");
    // Kept or not, the origins without a policy are counted and listed
    // (issue 15: under allow they used to count 0).
    assert_eq!(stats(&dir)["origins_without_policy"], 2);
    assert_eq!(
        dir.read("missing-allowed.txt"),
        "https://nowhere.net\nhttps://sub.nowhere.net\n"
    );
    let audit = optout(
        &[
            "audit",
            &arg(&input),
            "--robots-dir",
            &robots,
            "--missing-policy",
            "allow",
        ],
        None,
    );
    assert_eq!(audit.code, 0, "{audit:?}");
    assert!(
        audit.stdout_text().contains("| no policy known | 2 |"),
        "{}",
        audit.stdout_text()
    );
    // Under the default `--missing-policy error`, audit fails as filter
    // does, after writing its report (issue 15: it ignored the mode).
    let strict = optout(&["audit", &arg(&input), "--robots-dir", &robots], None);
    assert_eq!(strict.code, 2, "{strict:?}");
    assert!(
        strict.stdout_text().contains("| no policy known | 2 |")
            && strict
                .stderr
                .contains("2 origins have no robots.txt policy"),
        "{strict:?}"
    );
}

#[test]
fn stdin_kept_file_and_compressed_inputs_agree() {
    let dir = TestDir::new();
    let (robots, list) = world(&dir);
    let text = "https://example.com/private/a\nhttps://example.com/public\nhttps://libgen.is/x\n";
    let plain = dir.write("urls.txt", text);
    let gz = {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(text.as_bytes()).unwrap();
        dir.write("urls.txt.gz", enc.finish().unwrap())
    };
    let zst = dir.write("urls.zst", zstd::encode_all(text.as_bytes(), 3).unwrap());
    let base = [
        "--robots-dir",
        &robots,
        "--blocklist",
        &list,
        "--agents",
        "GPTBot",
    ];
    let want = optout(&[&["filter", &arg(&plain)][..], &base].concat(), None);
    assert_eq!(
        want.stdout_text(),
        "https://example.com/public\n",
        "{want:?}"
    );
    for input in [&gz, &zst] {
        let got = optout(&[&["filter", &arg(input)][..], &base].concat(), None);
        assert_eq!(got.stdout, want.stdout, "{}", input.display());
    }
    let piped = optout(
        &[&["filter", "-"][..], &base].concat(),
        Some(text.as_bytes()),
    );
    assert_eq!(piped.stdout, want.stdout);
    let to_file = optout(
        &[
            &[
                "filter",
                &arg(&plain),
                "--kept",
                &arg(&dir.path("kept.txt")),
            ][..],
            &base,
        ]
        .concat(),
        None,
    );
    assert!(to_file.stdout.is_empty());
    assert_eq!(dir.read("kept.txt").as_bytes(), &want.stdout[..]);
}

#[test]
fn truncated_gzip_judges_what_was_read_and_fails() {
    let dir = TestDir::new();
    let (robots, _) = world(&dir);
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(&format!("https://open.org/page/{i}\n"));
    }
    let bytes = {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(text.as_bytes()).unwrap();
        enc.finish().unwrap()
    };
    let cut = dir.write("urls.txt.gz", &bytes[..bytes.len() / 2]);
    for threads in ["1", "2"] {
        let run = optout(
            &[
                "filter",
                &arg(&cut),
                "--robots-dir",
                &robots,
                "--threads",
                threads,
                "--stats",
                &arg(&dir.path("stats.json")),
                "--chunk-bytes",
                "4096",
            ],
            None,
        );
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains("urls.txt.gz"), "{run:?}");
        assert!(run.stderr.contains("gzip"), "{run:?}");
        let stats = stats(&dir);
        assert_eq!(stats["counts_add_up"], true);
        let rows = stats["rows"].as_u64().unwrap();
        assert!(rows > 1000 && rows < 20_000, "{rows}");
        assert_eq!(run.stdout_text().lines().count() as u64, rows);
        assert!(stats["read_error"].as_str().unwrap().contains("truncated"));
    }
}

#[test]
fn non_utf8_row_is_removed_losslessly() {
    let dir = TestDir::new();
    let (robots, _) = world(&dir);
    let input = dir.write(
        "urls.txt",
        b"https://open.org/caf\xe9\nhttps://open.org/ok\n",
    );
    let run = optout(
        &[
            "filter",
            &arg(&input),
            "--robots-dir",
            &robots,
            "--removed",
            &arg(&dir.path("removed.jsonl")),
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout_text(), "https://open.org/ok\n");
    let removed = removed(&dir);
    assert_eq!(removed[0]["url_base64"], "aHR0cHM6Ly9vcGVuLm9yZy9jYWbp");
    assert!(removed[0].get("url").is_none());
    assert!(run.stderr.contains("line 1: not UTF-8"), "{run:?}");
}

#[test]
fn junk_in_robots_dir_and_bad_blocklist_lines_are_reported() {
    let dir = TestDir::new();
    let (robots, _) = world(&dir);
    dir.write("robots/notes.md", "hello");
    dir.write("robots/bad host.txt", "x");
    let list = dir.write(
        "list.txt",
        "good.com\nthis is not a domain\nhttp://x.com/p\n",
    );
    let input = dir.write("urls.txt", "https://good.com/a\nhttps://open.org/b\n");
    let run = optout(
        &[
            "filter",
            &arg(&input),
            "--robots-dir",
            &robots,
            "--blocklist",
            &format!("mine={}", arg(&list)),
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("notes.md"), "{run:?}");
    assert!(run.stderr.contains("bad host.txt"), "{run:?}");
    assert!(run.stderr.contains("list.txt` line 2"), "{run:?}");
    assert!(run.stderr.contains("list.txt` line 3"), "{run:?}");
    assert_eq!(run.stdout_text(), "https://open.org/b\n");
}

#[test]
fn user_errors_exit_1() {
    let dir = TestDir::new();
    let (robots, _) = world(&dir);
    let input = dir.write("urls.txt", "https://open.org/b\n");
    let cases: Vec<Vec<String>> = vec![
        vec![
            "filter".into(),
            arg(&dir.path("missing.txt")),
            "--robots-dir".into(),
            robots.clone(),
        ],
        vec![
            "filter".into(),
            arg(&input),
            "--robots-dir".into(),
            arg(&dir.path("nope")),
        ],
        vec![
            "filter".into(),
            arg(&input),
            "--blocklist".into(),
            "noequals".into(),
        ],
        vec![
            "filter".into(),
            arg(&input),
            "--blocklist".into(),
            format!("x={}", arg(&dir.path("none.txt"))),
        ],
        vec![
            "filter".into(),
            arg(&input),
            "--missing-policy".into(),
            "maybe".into(),
        ],
        vec!["filter".into(), arg(&input), "--threads".into(), "0".into()],
        vec!["filter".into(), arg(&input), "--agents".into(), " ".into()],
        vec!["filter".into(), "--no-such-flag".into()],
    ];
    for args in cases {
        let run = optout(&args, None);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(run.stdout.is_empty());
        assert!(run.stderr.contains("error"), "{args:?}: {run:?}");
    }
    let missing = optout(
        &[
            "filter",
            &arg(&dir.path("missing.txt")),
            "--robots-dir",
            &robots,
        ],
        None,
    );
    assert!(
        missing.stderr.contains("missing.txt"),
        "errors name the file: {missing:?}"
    );
}

#[test]
fn agents_command_lists_the_registry() {
    let all = optout(&["agents"], None);
    assert_eq!(all.code, 0);
    assert!(all.stdout_text().lines().count() > 150);
    let train = optout(&["agents", "--purpose", "train", "--json"], None);
    let doc: Value = serde_json::from_slice(&train.stdout).unwrap();
    let names: Vec<&str> = doc["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"GPTBot") && names.contains(&"Google-Extended"));
    assert!(!names.contains(&"ChatGPT-User"));
    assert!(doc["version"].is_string());
}

#[test]
fn quiet_prints_nothing_on_a_clean_run() {
    let dir = TestDir::new();
    let (robots, list) = world(&dir);
    let input = dir.write("urls.txt", "https://open.org/a\nhttps://libgen.is/b\n");
    let run = optout(
        &[
            "filter",
            &arg(&input),
            "--robots-dir",
            &robots,
            "--blocklist",
            &list,
            "--quiet",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stderr, "");
    assert_eq!(run.stdout_text(), "https://open.org/a\n");
    let loud = optout(
        &[
            "filter",
            &arg(&input),
            "--robots-dir",
            &robots,
            "--blocklist",
            &list,
        ],
        None,
    );
    assert!(
        loud.stderr.contains("2 rows: 1 kept, 1 removed"),
        "{loud:?}"
    );
}

#[test]
fn broken_pipe_exits_0() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = TestDir::new();
    let (robots, _) = world(&dir);
    let rows: String = (0..300_000)
        .map(|i| format!("https://open.org/page/{i}\n"))
        .collect();
    let input = dir.write("urls.txt", rows);
    let mut child = Command::new(env!("CARGO_BIN_EXE_optout"))
        .args([
            "filter",
            &arg(&input),
            "--robots-dir",
            &robots,
            "--threads",
            "2",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first, "https://open.org/page/0\n");
    // The reader is dropped: the pipe is closed with most rows unwritten.
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn an_input_with_no_url_to_judge_says_what_its_rows_are() {
    // Issue 15: every row invalid used to end with 0 kept, exit 0 and no
    // word on why.
    let dir = TestDir::new();
    let (robots, _) = world(&dir);
    let input = dir.write(
        "names.txt",
        "example.com
open.org/page
# a comment
",
    );
    let run = optout(&["filter", &arg(&input), "--robots-dir", &robots], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("hint: no row of")
            && run.stderr.contains("(2 not URLs, 1 skipped")
            && run.stderr.contains("one http(s) URL per line"),
        "{run:?}"
    );
    // An input with one URL among them gets no such hint.
    let input = dir.write(
        "mixed.txt",
        "example.com
https://open.org/page
",
    );
    let run = optout(&["filter", &arg(&input), "--robots-dir", &robots], None);
    assert!(!run.stderr.contains("hint: no row of"), "{run:?}");
    // The usage line speaks plainly.
    assert!(
        run.stderr
            .contains("what the sites say about this use of their content")
            && run.stderr.contains("1 say nothing"),
        "{run:?}"
    );
}

/// `explain` on the bundled fixtures: an origin without a policy is
/// neither allowed nor disallowed per agent (the row follows
/// --missing-policy, as in `filter`), and a known one cites its line.
#[test]
fn explain_reads_a_robots_dir_and_does_not_contradict_itself_without_a_policy() {
    let robots = arg(&fixture("robots/real"));
    let explain = |url: &str, extra: &[&str]| {
        let mut args = vec![
            "explain",
            url,
            "--robots-dir",
            &robots,
            "--agents",
            "GPTBot",
        ];
        args.extend_from_slice(extra);
        optout(&args, None)
    };
    let none = explain("https://nosuch.example/a", &[]);
    assert_eq!(none.code, 1, "removed as no-policy by default: {none:?}");
    let text = none.stdout_text();
    assert!(text.contains("train     removed (no-policy)"), "{text}");
    assert!(text.contains("aipref-vocab-08, generative model"), "{text}");
    assert!(text.contains("access unknown (no policy)"), "{text}");
    assert!(!text.contains("access allowed"), "{text}");
    let json = explain("https://nosuch.example/a", &["--json"]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["agents"][0]["access"]["state"], "no-policy");
    assert_eq!(value["agents"][0]["access"]["allowed"], false);
    assert_eq!(
        value["agents"][0]["purposes"]["train"]["verdict"],
        "no-policy"
    );
    let allowed = explain("https://nosuch.example/a", &["--missing-policy", "allow"]);
    assert_eq!(allowed.code, 0, "{allowed:?}");
    assert!(
        allowed
            .stdout_text()
            .contains("train     kept (no policy: --missing-policy allow)"),
        "{allowed:?}"
    );
    let known = explain("https://cnn.com/a", &[]);
    assert_eq!(known.code, 1, "{known:?}");
    let text = known.stdout_text();
    assert!(
        text.contains("train     removed (robots-disallow)"),
        "{text}"
    );
    assert!(
        text.contains("GPTBot                 access disallowed by line 42 `Disallow: /`"),
        "{text}"
    );
}

/// Runs `optout ARGS` under a pseudo-terminal (util-linux `script`), the
/// way a person at a terminal runs it: what it printed, escapes removed.
fn on_a_terminal(dir: &TestDir, args: &[&str]) -> String {
    let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_optout"))
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    let output = std::process::Command::new("script")
        .args(["-qec", &quoted.join(" "), "/dev/null"])
        .current_dir(dir.path("."))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("util-linux `script` runs commands under a pseudo-terminal");
    let text = String::from_utf8_lossy(&output.stdout);
    let mut plain = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters final-byte.
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        plain.push(c);
    }
    plain
}

/// filter and verify show rows, bytes read, rows per second and an ETA on
/// a terminal, within 80 columns; never with -q, never in a pipe.
#[test]
fn progress_shows_on_a_terminal_only() {
    let dir = TestDir::new();
    let rows: String = (0..20_000)
        .map(|i| format!("https://cnn.com/story/{i}\n"))
        .collect();
    let input = dir.write("urls.txt", &rows);
    let robots = arg(&fixture("robots/real"));
    let args = |extra: &[&'static str]| -> Vec<String> {
        let mut args: Vec<String> = [
            "filter",
            &arg(&input),
            "--robots-dir",
            &robots,
            "--threads",
            "1",
            "--chunk-bytes",
            "2048",
            "--kept",
            "/dev/null",
        ]
        .map(String::from)
        .to_vec();
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    };
    let shown = on_a_terminal(
        &dir,
        &args(&["--manifest", "m.json"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(
        shown.contains("judge") && shown.contains("rows/s") && shown.contains("ETA"),
        "{shown}"
    );
    assert!(
        shown.contains("/20,000 rows") || shown.contains(" rows "),
        "{shown}"
    );
    assert!(
        shown.contains(" KiB ") || shown.contains(" MiB "),
        "bytes read: {shown}"
    );
    for line in shown.split(['\r', '\n']) {
        assert!(line.trim_end().chars().count() <= 80, "`{line}`");
    }
    let verified = on_a_terminal(&dir, &["verify", "m.json"]);
    assert!(verified.contains("verified"), "{verified}");
    assert!(
        verified.contains("rows/s"),
        "verify shows progress: {verified}"
    );

    let quiet = on_a_terminal(
        &dir,
        &args(&["-q"]).iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(!quiet.contains("rows/s"), "{quiet}");
    let piped = optout(&args(&[]), None);
    assert_eq!(piped.code, 0, "{piped:?}");
    assert!(!piped.stderr.contains("rows/s"), "{piped:?}");
}
