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
