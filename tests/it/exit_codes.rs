//! The README's table of exit codes, held command by command: every code
//! each command documents, produced by one invocation each (130, SIGINT,
//! is held by `resume.rs`). Nothing here touches the network: fetches
//! fail at name resolution (`--resolve '*=-'`).

use crate::util::{TestDir, arg, fixture, optout};

/// One cell of the table: a command line and the code it must exit with.
struct Case {
    what: &'static str,
    args: Vec<String>,
    code: i32,
}

fn case(what: &'static str, args: &[&str], code: i32) -> Case {
    Case {
        what,
        args: args.iter().map(|s| (*s).to_owned()).collect(),
        code,
    }
}

#[test]
fn every_command_exits_as_the_readme_s_table_says() {
    let readme = std::fs::read_to_string(crate::util::root().join("README.md")).unwrap();
    let table = readme
        .split("\n## Exit codes\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("an Exit codes section");
    let header = table.lines().find(|l| l.starts_with("| code")).unwrap();
    for command in [
        "filter", "audit", "fetch", "cache", "agents", "check", "explain", "verify",
    ] {
        assert!(
            header.contains(&format!("`{command}`")),
            "{command}: {header}"
        );
    }

    let dir = TestDir::new();
    let robots = arg(&fixture("robots/real"));
    let sample = arg(&fixture("urls/sample.txt"));
    let missing = arg(&dir.path("nosuch.txt"));
    let cache = arg(&dir.path("cache.sqlite"));
    let junk = arg(&dir.write("junk.sqlite", "not a database, not at all, not at all"));
    let one = arg(&dir.write("one.txt", "https://a.test/x\n"));
    let cut = {
        let whole = std::fs::read(fixture("urls/sample.txt.gz")).unwrap();
        arg(&dir.write("cut.txt.gz", &whole[..whole.len() / 2]))
    };
    let parquet = dir.path("data.parquet");
    crate::cli_parquet::write_parquet(&parquet, &[Some("https://cnn.com/a".into())], "url", 10);
    let parquet = arg(&parquet);
    let robots_file = arg(&fixture("robots/real/cnn.com.txt"));
    let manifest = arg(&dir.path("m.json"));
    let kept = arg(&dir.path("kept.txt"));
    let allow = ["--robots-dir", &robots, "--missing-policy", "allow", "-q"];
    let with = |head: &[&str], tail: &[&str]| -> Vec<String> {
        head.iter().chain(tail).map(|s| (*s).to_owned()).collect()
    };
    let nowhere = ["--cache", &cache, "--resolve", "*=-", "-q"];

    let cases = vec![
        // filter: 0 success, 1 user error, 2 failure.
        Case {
            what: "filter: a run",
            args: with(
                &["filter", &sample, "--kept", &kept, "--manifest", &manifest],
                &allow,
            ),
            code: 0,
        },
        case(
            "filter: a missing input",
            &["filter", &missing, "--robots-dir", &robots],
            1,
        ),
        case(
            "filter: a bad option",
            &[
                "filter",
                &sample,
                "--robots-dir",
                &robots,
                "--unknown",
                "maybe",
            ],
            1,
        ),
        case(
            "filter: a missing snapshot",
            &["filter", &sample, "--snapshot", &missing],
            1,
        ),
        case(
            "filter: an unknown agent",
            &[
                "filter",
                &sample,
                "--robots-dir",
                &robots,
                "--agents",
                "GTPBot",
            ],
            1,
        ),
        case(
            "filter: Parquet without --kept",
            &["filter", &parquet, "--robots-dir", &robots],
            1,
        ),
        Case {
            what: "filter: a cut gzip input",
            args: with(&["filter", &cut], &allow),
            code: 2,
        },
        case(
            "filter: origins without policy",
            &["filter", &sample, "--robots-dir", &robots, "-q"],
            2,
        ),
        // audit: the same.
        Case {
            what: "audit: a report",
            args: with(&["audit", &sample], &allow),
            code: 0,
        },
        case(
            "audit: a missing input",
            &["audit", &missing, "--robots-dir", &robots],
            1,
        ),
        case(
            "audit: origins without policy",
            &["audit", &sample, "--robots-dir", &robots, "-q"],
            2,
        ),
        // fetch: 0, 1, 2.
        Case {
            what: "fetch: a fetch (whose origin does not resolve)",
            args: with(&["fetch", &one], &nowhere),
            code: 0,
        },
        case(
            "fetch: a missing input",
            &["fetch", &missing, "--cache", &cache],
            1,
        ),
        Case {
            what: "fetch: more unreachable than --max-unreachable",
            args: with(
                &[
                    "fetch",
                    &one,
                    "--max-unreachable",
                    "0",
                    "--retry-unreachable",
                    "0",
                ],
                &nowhere,
            ),
            code: 2,
        },
        Case {
            what: "fetch: a cache that is not one",
            args: vec![
                "fetch".into(),
                one.clone(),
                "--cache".into(),
                junk.clone(),
                "-q".into(),
            ],
            code: 2,
        },
        // cache: 0, 1, 2.
        case("cache: stats", &["cache", "stats", "--cache", &cache], 0),
        case(
            "cache: import of a missing snapshot",
            &["cache", "import", &missing, "--cache", &cache],
            1,
        ),
        case(
            "cache: a cache that is not one",
            &["cache", "stats", "--cache", &junk],
            2,
        ),
        // agents: 0, 1.
        case("agents: the list", &["agents"], 0),
        case(
            "agents: an unknown purpose",
            &["agents", "--purpose", "foo"],
            1,
        ),
        // check: 0 every URL allowed, 1 some disallowed, 2 any error.
        case(
            "check: allowed",
            &[
                "check",
                "--robots",
                &robots_file,
                "--agent",
                "Googlebot",
                "https://cnn.com/",
            ],
            0,
        ),
        case(
            "check: disallowed",
            &[
                "check",
                "--robots",
                &robots_file,
                "--agent",
                "GPTBot",
                "https://cnn.com/",
            ],
            1,
        ),
        case(
            "check: a missing robots file",
            &[
                "check",
                "--robots",
                &missing,
                "--agent",
                "GPTBot",
                "https://cnn.com/",
            ],
            2,
        ),
        case(
            "check: a bad option (an error: 1 means disallowed)",
            &["check", "--robots", &robots_file],
            2,
        ),
        // explain: 0 kept, 1 removed, 2 any error.
        case(
            "explain: kept",
            &[
                "explain",
                "https://nosuch.example/",
                "--robots-dir",
                &robots,
                "--missing-policy",
                "allow",
            ],
            0,
        ),
        case(
            "explain: removed",
            &["explain", "https://cnn.com/a", "--robots-dir", &robots],
            1,
        ),
        case(
            "explain: not a URL",
            &["explain", "not a url", "--robots-dir", &robots],
            2,
        ),
        case(
            "explain: a bad option (an error: 1 means removed)",
            &["explain", "https://cnn.com/", "--bogus"],
            2,
        ),
        // verify: 0 verified, 1 a mismatch, 2 cannot check.
        case("verify: verified", &["verify", &manifest, "-q"], 0),
        case("verify: a missing manifest", &["verify", &missing], 2),
        case(
            "verify: a bad option (an error: 1 means a mismatch)",
            &["verify", &manifest, "--bogus"],
            2,
        ),
    ];
    let mut wrong = Vec::new();
    for case in &cases {
        let run = optout(&case.args, None);
        if run.code != case.code {
            wrong.push(format!(
                "{}: exit {} (README: {})\n  {}",
                case.what,
                run.code,
                case.code,
                run.stderr.trim()
            ));
        }
    }
    // A mismatch, last: it changes the run's kept output.
    std::fs::write(dir.path("kept.txt"), "https://tampered.example/\n").unwrap();
    let run = optout(&["verify", &manifest, "-q"], None);
    if run.code != 1 {
        wrong.push(format!("verify: a tampered output: exit {}", run.code));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
