//! `optout check`: verdicts with the deciding line; exit 0 all allowed,
//! 1 any disallowed, 2 error.

use serde_json::Value;

use crate::util::{TestDir, arg, optout};

const ROBOTS: &str =
    "User-agent: *\nDisallow: /private\nAllow: /private/ok\n\nUser-agent: AI2Bot\nDisallow: /\n";

#[test]
fn allowed_and_disallowed_with_lines() {
    let dir = TestDir::new();
    let robots = dir.write("robots.txt", ROBOTS);
    let run = optout(
        &[
            "check",
            "--robots",
            &arg(&robots),
            "--agent",
            "GPTBot",
            "https://x.org/private/a",
            "https://x.org/private/ok/1",
            "/public",
        ],
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    let lines: Vec<String> = run.stdout_text().lines().map(String::from).collect();
    assert_eq!(
        lines[0],
        "disallowed\thttps://x.org/private/a\tGPTBot\tline 2: Disallow: /private"
    );
    assert_eq!(
        lines[1],
        "allowed\thttps://x.org/private/ok/1\tGPTBot\tline 3: Allow: /private/ok"
    );
    assert_eq!(lines[2], "allowed\t/public\tGPTBot\tno matching rule");
    let ok = optout(
        &[
            "check",
            "--robots",
            &arg(&robots),
            "--agent",
            "GPTBot",
            "https://x.org/a",
            "https://x.org/robots.txt",
        ],
        None,
    );
    assert_eq!(ok.code, 0, "{ok:?}");
}

#[test]
fn several_agents_and_json() {
    let dir = TestDir::new();
    let robots = dir.write("robots.txt", ROBOTS);
    let run = optout(
        &[
            "check",
            "--robots",
            &arg(&robots),
            "--agent",
            "GPTBot,AI2Bot",
            "--json",
            "https://x.org/a",
        ],
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    let records: Vec<Value> = run
        .stdout_text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["allowed"], true);
    assert_eq!(records[0]["reason"], "no matching rule");
    assert_eq!(records[1]["agent"], "AI2Bot");
    assert_eq!(records[1]["allowed"], false);
    assert_eq!(records[1]["line"], 6);
    assert_eq!(records[1]["group"], 5);
}

#[test]
fn robots_from_stdin_and_notes() {
    let html = b"<!DOCTYPE html><html><body>404</body></html>";
    let run = optout(
        &[
            "check",
            "--robots",
            "-",
            "--agent",
            "GPTBot",
            "https://x.org/a",
        ],
        Some(html),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("looks like an HTML page"), "{run:?}");
}

#[test]
fn errors_exit_2() {
    let dir = TestDir::new();
    let robots = dir.write("robots.txt", ROBOTS);
    let missing = optout(
        &[
            "check",
            "--robots",
            &arg(&dir.path("none.txt")),
            "--agent",
            "GPTBot",
            "https://x.org/",
        ],
        None,
    );
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(missing.stderr.contains("none.txt"));
    let bad_url = optout(
        &[
            "check",
            "--robots",
            &arg(&robots),
            "--agent",
            "GPTBot",
            "ftp://x.org/",
        ],
        None,
    );
    assert_eq!(bad_url.code, 2, "{bad_url:?}");
    let no_agent = optout(
        &["check", "--robots", &arg(&robots), "https://x.org/"],
        None,
    );
    assert_eq!(no_agent.code, 2, "{no_agent:?}");
}
