//! The README against the repository: it says how to install the
//! binary, and what its commands write in a fresh clone stays out of
//! version control (issue 15).

use crate::util::root;

/// The files the README's first fixture command writes in the working
/// directory: the arguments of `--removed`, `--stats`, `--manifest` and
/// `>`.
fn written_by(command: &str) -> Vec<String> {
    let words: Vec<&str> = command.split_whitespace().collect();
    words
        .windows(2)
        .filter(|w| matches!(w[0], "--removed" | "--stats" | "--manifest" | ">"))
        .map(|w| w[1].to_owned())
        .collect()
}

#[test]
fn the_readme_s_example_outputs_are_ignored_by_git() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let command = readme
        .lines()
        .find(|l| l.starts_with("cargo run --release -- filter fixtures/"))
        .expect("the README's fixture command");
    let written = written_by(command);
    assert!(written.len() >= 3, "{written:?}");
    let ignore = std::fs::read_to_string(root().join(".gitignore")).unwrap();
    let ignored: Vec<&str> = ignore.lines().map(str::trim).collect();
    for file in &written {
        assert!(
            ignored.contains(&format!("/{file}").as_str()),
            "`{file}`, which the README's command writes, is not in .gitignore"
        );
    }
}

#[test]
fn the_readme_says_how_to_install_and_how_long_the_first_build_takes() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let install = readme
        .split("\n## ")
        .find(|section| section.starts_with("Install"))
        .expect("an Install section");
    assert!(install.contains("cargo install --path ."), "{install}");
    assert!(install.contains("~/.cargo/bin"), "{install}");
    assert!(install.contains("several minutes"), "{install}");
    // It comes before the commands that use the binary.
    assert!(readme.find("## Install") < readme.find("## Commands"));
}

/// `--flag` words of `text`, `--help` and `--version` left out.
fn flags(text: &str) -> std::collections::BTreeSet<String> {
    let bytes = text.as_bytes();
    let mut out = std::collections::BTreeSet::new();
    let mut i = 0;
    while let Some(at) = text[i..].find("--") {
        let start = i + at;
        let mut end = start + 2;
        while end < bytes.len()
            && (bytes[end].is_ascii_lowercase()
                || bytes[end].is_ascii_digit()
                || bytes[end] == b'-')
        {
            end += 1;
        }
        // A flag starts with a letter and follows no word character.
        let starts_word =
            start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'-');
        if starts_word && end > start + 2 && bytes[start + 2].is_ascii_lowercase() {
            let flag = text[start..end].trim_end_matches('-');
            if flag != "--help" && flag != "--version" {
                out.insert(flag.to_owned());
            }
        }
        i = end.max(start + 2);
    }
    out
}

/// The README's section of each command: from its `### \`optout NAME`
/// heading to the next heading of that level or above.
fn sections(readme: &str) -> std::collections::BTreeMap<String, String> {
    let commands = readme
        .split("\n## Commands\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Commands section");
    commands
        .split("\n### `optout ")
        .skip(1)
        .map(|section| {
            let name = section.split([' ', '`']).next().unwrap().to_owned();
            (name, section.to_owned())
        })
        .collect()
}

fn help_flags(command: &[&str]) -> std::collections::BTreeSet<String> {
    let mut args = command.to_vec();
    args.push("--help");
    let run = crate::util::optout(&args, None);
    assert_eq!(run.code, 0, "{command:?}: {run:?}");
    flags(&run.stdout_text())
}

/// Every option `--help` lists is documented in the README, and every
/// option a command's README table lists is one its `--help` lists.
/// Options several commands share are documented once: the network
/// options in `fetch`'s table ("the network options are those of
/// `filter`"), the corpus and policy options in `filter`'s (audit: "the
/// same options and policy sources"; explain: "those of `filter`").
#[test]
fn the_readme_and_help_list_the_same_options() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let sections = sections(&readme);
    let shares: &[(&[&str], &[&str])] = &[
        (&["filter"], &["filter", "fetch"]),
        (&["fetch"], &["fetch", "filter"]),
        (&["audit"], &["audit", "filter", "fetch"]),
        (&["explain"], &["explain", "filter", "fetch"]),
        (&["verify"], &["verify"]),
        (&["check"], &["check"]),
        (&["agents"], &["agents"]),
        (&["cache", "stats"], &["cache"]),
        (&["cache", "show"], &["cache"]),
        (&["cache", "export"], &["cache"]),
        (&["cache", "convert"], &["cache"]),
        (&["cache", "info"], &["cache"]),
        (&["cache", "import"], &["cache"]),
    ];
    let mut missing = Vec::new();
    for (command, documented_in) in shares {
        let mut documented = std::collections::BTreeSet::new();
        for name in *documented_in {
            let section = sections
                .get(*name)
                .unwrap_or_else(|| panic!("no README section for `optout {name}`"));
            documented.extend(flags(section));
        }
        for flag in help_flags(command) {
            if !documented.contains(&flag) {
                missing.push(format!("{} {flag}", command.join(" ")));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "in --help, not in the README: {missing:?}"
    );

    // The other way: the options a section's tables list (first column).
    let mut unknown = Vec::new();
    for (name, section) in &sections {
        let known: std::collections::BTreeSet<String> = shares
            .iter()
            .filter(|(command, _)| command[0] == name)
            .flat_map(|(command, _)| help_flags(command))
            .collect();
        for row in section.lines().filter(|l| l.starts_with("| `--")) {
            let first = row.split(" | ").next().unwrap();
            for flag in flags(first) {
                if !known.contains(&flag) {
                    unknown.push(format!("{name} {flag}"));
                }
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "in the README's tables, not in --help: {unknown:?}"
    );
}

/// Every command that reads a corpus says, in its help, that it reads
/// every format; verify says it checks audits too.
#[test]
fn help_names_every_input_format() {
    // Help wraps to the terminal: compare with whitespace collapsed.
    let help = |args: &[&str]| {
        let text = crate::util::optout(args, None).stdout_text();
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    for command in ["filter", "audit"] {
        let text = help(&[command, "--help"]);
        for format in ["URL list", "JSON Lines", "CDXJ", "WARC", "Parquet"] {
            assert!(text.contains(format), "{command} --help: {format}");
        }
        assert!(
            text.contains("WARC and Parquet files are told"),
            "{command} --format"
        );
    }
    let top = help(&["--help"]);
    assert!(top.contains("Filter a corpus (URL list, JSON Lines, CDXJ, WARC or Parquet)"));
    assert!(top.contains("every origin of a corpus"), "{top}");
    assert!(top.contains("Verify a `filter` or `audit` run"), "{top}");
    assert!(help(&["verify", "--help"]).contains("`audit --manifest`"));
    assert!(
        !help(&["audit", "--help"]).contains("--kept"),
        "audit writes no dataset"
    );
}
