//! Policies loaded a window at a time (`--policy-window`,
//! `--policy-cache-mb`): over a realistic world's indexed snapshot, kept
//! output, removed records (evidence included), stats and audit reports
//! are byte-identical to a run that loads every origin at once, at one
//! and two threads, in random and host-grouped order, however small the
//! windows and the compiled-rules cache.

use std::path::{Path, PathBuf};

use crate::util::{TestDir, arg, optout};

/// A world of hosts built from the real robots.txt fixtures, with its
/// indexed snapshot and its URLs in random and grouped order.
fn world() -> TestDir {
    let dir = TestDir::new();
    let summary = crate::realistic::write_world(dir.path("").as_path(), 600, 5_000, true)
        .expect("the world is written");
    assert!(summary.contains("distinct bodies"), "{summary}");
    dir
}

/// Kept output, removed records and stats of a filter run.
fn filter(dir: &TestDir, input: &Path, threads: &str, extra: &[&str]) -> [Vec<u8>; 3] {
    let removed = dir.path("removed.jsonl");
    let stats = dir.path("stats.json");
    let mut args: Vec<String> = [
        "filter",
        &arg(input),
        "--snapshot",
        &arg(&dir.path("policies.db")),
        "--threads",
        threads,
        "--removed",
        &arg(&removed),
        "--stats",
        &arg(&stats),
    ]
    .map(String::from)
    .to_vec();
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let run = optout(&args, None);
    assert_eq!(run.code, 0, "{args:?}: {run:?}");
    let windowed = run.stderr.contains("at a time as the input names them");
    let asked = extra.first() != Some(&"--policy-window") || extra[1] != "100000000";
    assert_eq!(windowed, asked, "{args:?}: {}", run.stderr);
    [
        run.stdout,
        std::fs::read(removed).unwrap(),
        std::fs::read(stats).unwrap(),
    ]
}

#[test]
fn windows_decide_as_a_whole_load_does() {
    let dir = world();
    for name in ["urls.txt", "urls-grouped.txt"] {
        let input: PathBuf = dir.path(name);
        let whole = filter(&dir, &input, "2", &["--policy-window", "100000000"]);
        assert!(!whole[0].is_empty() && !whole[1].is_empty());
        for threads in ["1", "2"] {
            for (window, cache) in [("1", "0"), ("150", "1"), ("1000", "256")] {
                let got = filter(
                    &dir,
                    &input,
                    threads,
                    &[
                        "--policy-window",
                        window,
                        "--policy-cache-mb",
                        cache,
                        "--chunk-bytes",
                        "8192",
                    ],
                );
                for (what, (a, b)) in ["kept", "removed", "stats"]
                    .iter()
                    .zip(whole.iter().zip(&got))
                {
                    assert!(
                        a == b,
                        "{name}: {what} differs with a window of {window}, cache {cache} MiB, {threads} threads"
                    );
                }
            }
        }
    }
}

#[test]
fn audits_by_window_report_as_a_whole_load_does() {
    let dir = world();
    let report = |extra: &[&str]| -> Vec<u8> {
        let path = dir.path("report.json");
        let mut args: Vec<String> = [
            "audit",
            &arg(&dir.path("urls.txt")),
            "--snapshot",
            &arg(&dir.path("policies.db")),
            "--report",
            &arg(&path),
        ]
        .map(String::from)
        .to_vec();
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let run = optout(&args, None);
        assert_eq!(run.code, 0, "{run:?}");
        std::fs::read(path).unwrap()
    };
    let whole = report(&["--policy-window", "100000000"]);
    let windows = report(&["--policy-window", "100", "--chunk-bytes", "8192"]);
    assert!(whole == windows, "the audit reports differ");
}

#[test]
fn a_window_over_a_shard_that_lacks_the_hosts_is_an_error_naming_it() {
    let dir = world();
    let shards = dir.path("shards.db");
    let run = optout(
        &[
            "cache",
            "convert",
            &arg(&dir.path("policies.db")),
            &arg(&shards),
            "--indexed",
            "--shards",
            "2",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let shard = std::fs::read_dir(dir.path(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("-of-00002"))
        .expect("a shard");
    let run = optout(
        &[
            "filter",
            &arg(&dir.path("urls.txt")),
            "--snapshot",
            &arg(&shard),
            "--policy-window",
            "50",
            "-q",
        ],
        None,
    );
    assert_ne!(run.code, 0, "{run:?}");
    let name = shard.file_name().unwrap().to_string_lossy().into_owned();
    assert!(run.stderr.contains(&name), "{}", run.stderr);
    assert!(
        run.stdout.is_empty(),
        "no row is judged by a window that failed to load"
    );
}

#[test]
fn runs_by_window_verify_by_window_or_whole() {
    let dir = world();
    let manifest = dir.path("run.manifest.json");
    let run = optout(
        &[
            "filter",
            &arg(&dir.path("urls-grouped.txt")),
            "--snapshot",
            &arg(&dir.path("policies.db")),
            "--policy-window",
            "100",
            "--kept",
            &arg(&dir.path("kept.txt")),
            "--removed",
            &arg(&dir.path("removed.jsonl")),
            "--manifest",
            &arg(&manifest),
            "-q",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    for extra in [
        &["--full", "--policy-window", "100"][..],
        &["--sample", "300", "--policy-window", "100"],
        &["--full", "--policy-window", "100000000"],
        &["--sample", "300"],
    ] {
        let mut args = vec!["verify".to_owned(), arg(&manifest), "--json".into()];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let verify = optout(&args, None);
        assert_eq!(verify.code, 0, "{extra:?}: {verify:?}");
        let report: serde_json::Value = serde_json::from_slice(&verify.stdout).unwrap();
        let decided = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["what"].as_str().unwrap().starts_with("decisions"))
            .count();
        assert!(decided > 0, "{extra:?}: {report:#}");
    }
    // A removed record whose reason changed is caught by a windowed sample.
    let removed = std::fs::read_to_string(dir.path("removed.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(removed.lines().next().unwrap()).unwrap();
    let row = first["row"].as_u64().unwrap();
    let changed = removed.replacen("\"robots-disallow\"", "\"blocklist\"", 1);
    assert_ne!(changed, removed);
    std::fs::write(dir.path("removed.jsonl"), changed).unwrap();
    let verify = optout(
        &[
            "verify",
            &arg(&manifest),
            "--sample",
            "100000",
            "--policy-window",
            "100",
            "--json",
        ],
        None,
    );
    assert_eq!(verify.code, 1, "{verify:?}");
    assert!(
        verify.stdout_text().contains(&format!("row {row}:")),
        "{}",
        verify.stdout_text()
    );
}

#[test]
fn a_cache_loaded_on_threads_decides_as_its_snapshot_does() {
    let dir = world();
    let cache = dir.path("cache.sqlite");
    let run = optout(
        &[
            "cache",
            "import",
            &arg(&dir.path("policies.db")),
            "--cache",
            &arg(&cache),
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let input = dir.path("urls.txt");
    let [kept, removed, _] = filter(&dir, &input, "2", &["--policy-window", "100000000"]);
    for threads in ["1", "2"] {
        let removed_path = dir.path("removed-cache.jsonl");
        let run = optout(
            &[
                "filter",
                &arg(&input),
                "--offline",
                "--cache",
                &arg(&cache),
                "--threads",
                threads,
                "--removed",
                &arg(&removed_path),
                "-q",
            ],
            None,
        );
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout == kept, "kept differs on {threads} threads");
        assert!(
            std::fs::read(&removed_path).unwrap() == removed,
            "removed differs on {threads} threads"
        );
    }
}
