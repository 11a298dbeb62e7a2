//! Evidence: `filter --manifest` and `optout verify`. A manifest checks
//! out against the files it names; a tampered output, snapshot or robots
//! file is caught; identical runs write identical manifests but for their
//! `created` time.

use serde_json::Value;

use crate::util::{TestDir, arg, fixture, optout};

fn run_with_manifest(dir: &TestDir, tag: &str, policies: &[String]) -> (String, Value) {
    let manifest = dir.path(&format!("{tag}.manifest.json"));
    let mut args: Vec<String> = [
        "filter",
        &arg(&fixture("urls/sample.txt.gz")),
        "--kept",
        &arg(&dir.path(&format!("{tag}.kept.txt"))),
        "--removed",
        &arg(&dir.path(&format!("{tag}.removed.jsonl"))),
        "--stats",
        &arg(&dir.path(&format!("{tag}.stats.json"))),
        "--manifest",
        &arg(&manifest),
        "--blocklist",
        &format!("piracy={}", arg(&fixture("blocklists/piracy.txt"))),
        "--missing-policy",
        "allow",
        "-q",
    ]
    .map(String::from)
    .to_vec();
    args.extend(policies.iter().cloned());
    let run = optout(&args, None);
    assert_eq!(run.code, 0, "{run:?}");
    let value = serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    (arg(&manifest), value)
}

fn verify(manifest: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["verify", manifest, "--json"];
    args.extend(extra);
    let run = optout(&args, None);
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    (run.code, serde_json::from_slice(&run.stdout).unwrap())
}

fn failed(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["what"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_manifest_verifies_and_names_everything_the_run_used() {
    let dir = TestDir::new();
    let robots = vec!["--robots-dir".to_owned(), arg(&fixture("robots/real"))];
    let (manifest, value) = run_with_manifest(&dir, "a", &robots);
    assert_eq!(value["format"], "optout-manifest-v1");
    assert_eq!(value["policies"]["kind"], "robots-dir");
    assert_eq!(value["blocklists"][0]["name"], "piracy");
    assert_eq!(value["config"]["agent_rule"], "any");
    assert_eq!(value["counts"]["rows"], 331);
    let (code, report) = verify(&manifest, &[]);
    assert_eq!(code, 0, "{report:#}");
    let (code, report) = verify(&manifest, &["--full"]);
    assert_eq!(code, 0, "{report:#}");

    // The same inputs give the same manifest, `created` aside.
    let (_, again) = run_with_manifest(&dir, "a", &robots);
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("created");
        v
    };
    assert_eq!(strip(again), strip(value));
}

#[test]
fn a_tampered_output_is_caught() {
    let dir = TestDir::new();
    let robots = vec!["--robots-dir".to_owned(), arg(&fixture("robots/real"))];
    let (manifest, _) = run_with_manifest(&dir, "t", &robots);
    let kept = dir.path("t.kept.txt");
    let mut text = std::fs::read_to_string(&kept).unwrap();
    text.push_str("https://smuggled.example/\n");
    std::fs::write(&kept, text).unwrap();
    let (code, report) = verify(&manifest, &[]);
    assert_eq!(code, 1);
    assert_eq!(failed(&report), ["output kept"]);
}

#[test]
fn a_tampered_robots_file_changes_decisions_and_is_caught() {
    let dir = TestDir::new();
    let copy = dir.path("robots");
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(fixture("robots/real")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
    }
    let robots = vec!["--robots-dir".to_owned(), arg(&copy)];
    let (manifest, _) = run_with_manifest(&dir, "r", &robots);
    // Open one site to everyone after the run.
    std::fs::write(copy.join("cnn.com.txt"), "User-agent: *\nAllow: /\n").unwrap();
    let (code, report) = verify(&manifest, &[]);
    assert_eq!(code, 1);
    let failed = failed(&report);
    assert!(
        failed.contains(&"robots directory".to_owned()),
        "{failed:?}"
    );
    assert!(
        failed.iter().any(|f| f.starts_with("decisions")),
        "{failed:?}"
    );
    assert!(
        report["mismatches"][0]
            .as_str()
            .unwrap()
            .contains("now kept or skipped, the run robots-disallow"),
        "{report:#}"
    );
}

#[test]
fn a_snapshot_run_verifies_and_a_tampered_snapshot_is_caught() {
    // A snapshot from the fixture robots files, through a cache import.
    let dir = TestDir::new();
    let (set, _) = optout::policy::PolicySet::load_dir(&fixture("robots/real")).unwrap();
    let mut lines = Vec::new();
    let now = 1_800_000_000_000i64;
    for policy in set.policies() {
        let body = std::fs::read(&policy.source).unwrap();
        let origin = format!("https://{}", policy.key);
        let used = serde_json::json!({
            "origin": origin, "file": "robots.txt", "started_at": now, "fetched_at": now,
            "url": format!("{origin}/robots.txt"), "final_url": format!("{origin}/robots.txt"),
            "redirects": [], "status": 200, "outcome": "ok", "detail": "", "attempts": 1,
            "etag": null, "last_modified": null, "content_type": "text/plain",
            "content_encoding": null, "retry_after": null, "sha256": policy.sha256,
            "body_size": body.len(), "truncated": false, "html": false, "source": "fetch",
        });
        use base64::Engine as _;
        lines.push(
            serde_json::json!({
                "used": used, "failed": null,
                "body_base64": base64::engine::general_purpose::STANDARD.encode(&body),
            })
            .to_string(),
        );
    }
    let header = serde_json::json!({
        "format": "optout-snapshot-v1", "tool": "test", "created": "2027-01-15T08:00:00.000Z",
        "as_of": "2027-01-15T08:00:00.000Z", "origins": lines.len(), "files": 0,
    });
    let snapshot = dir.write(
        "policies.jsonl",
        format!("{header}\n{}\n", lines.join("\n")),
    );
    let policies = vec!["--snapshot".to_owned(), arg(&snapshot)];
    let (manifest, value) = run_with_manifest(&dir, "s", &policies);
    assert_eq!(value["policies"]["kind"], "snapshot");
    let (code, report) = verify(&manifest, &["--full"]);
    assert_eq!(code, 0, "{report:#}");
    // Swap one body for another one's bytes: its hash no longer matches.
    let text = std::fs::read_to_string(&snapshot).unwrap();
    let mut rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let other = rows[2]["body_base64"].clone();
    rows[1]["body_base64"] = other;
    let tampered: Vec<String> = rows.iter().map(Value::to_string).collect();
    std::fs::write(&snapshot, tampered.join("\n") + "\n").unwrap();
    let (code, report) = verify(&manifest, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        failed(&report),
        ["policy snapshot", "policy snapshot contents"]
    );
    assert!(
        report["checks"]
            .to_string()
            .contains("does not match its SHA-256"),
        "{report:#}"
    );
}

/// A manifest whose configuration holds a value optout never writes, or a
/// removed file whose `row` is 0 or missing, is an error naming it, not
/// a default (hardening issue #12, item 15).
#[test]
fn a_manifest_is_read_strictly() {
    let dir = TestDir::new();
    let robots = vec!["--robots-dir".to_owned(), arg(&fixture("robots/real"))];
    let (manifest, value) = run_with_manifest(&dir, "s", &robots);
    let edits: [(&str, Value); 5] = [
        ("purpose", "trian".into()),
        ("unknown", "Drop".into()),
        ("missing_policy", "maybe".into()),
        ("on_error", "ignore".into()),
        ("surprise", true.into()),
    ];
    for (field, bad) in edits {
        let mut edited = value.clone();
        edited["config"][field] = bad;
        std::fs::write(&manifest, serde_json::to_vec(&edited).unwrap()).unwrap();
        let run = optout(&["verify", &manifest, "--json"], None);
        assert!(run.code != 0, "{field}: {run:?}");
        assert!(run.stderr.contains(field), "{field}: {run:?}");
    }
    std::fs::write(&manifest, serde_json::to_vec(&value).unwrap()).unwrap();
    let removed = dir.path("s.removed.jsonl");
    let text = std::fs::read_to_string(&removed).unwrap();
    for row in ["0", "null"] {
        let first = text.lines().next().unwrap();
        let mut record: Value = serde_json::from_str(first).unwrap();
        record["row"] = serde_json::from_str(row).unwrap();
        let edited = text.replacen(first, &record.to_string(), 1);
        std::fs::write(&removed, edited).unwrap();
        let run = optout(&["verify", &manifest, "--json"], None);
        assert!(run.code != 0, "row {row}: {run:?}");
        assert!(
            run.stderr.contains("line 1") && run.stderr.contains("row"),
            "{run:?}"
        );
    }
}

#[test]
fn a_run_without_removed_records_verifies_by_its_kept_output() {
    let dir = TestDir::new();
    let manifest = arg(&dir.path("m.json"));
    let kept = dir.path("kept.txt");
    let run = optout(
        &[
            "filter",
            &arg(&fixture("urls/sample.txt.gz")),
            "--robots-dir",
            &arg(&fixture("robots/real")),
            "--missing-policy",
            "allow",
            "--kept",
            &arg(&kept),
            "--manifest",
            &manifest,
            "-q",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    // The default (a sample) has no removed records to check against, so
    // it re-decides every row and compares the kept output.
    let (code, report) = verify(&manifest, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["what"] == "decisions: kept rows" && c["ok"] == true),
        "{report:#}"
    );
    let mut text = std::fs::read_to_string(&kept).unwrap();
    text.push_str("https://added.example/\n");
    std::fs::write(&kept, text).unwrap();
    let (code, report) = verify(&manifest, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert!(
        failed(&report).contains(&"output kept".to_owned()),
        "{report:#}"
    );
}

#[test]
fn a_manifest_recording_the_whole_robots_directory_still_verifies() {
    // Runs over a file record the files of its input's hosts; manifests
    // written before that recorded the whole directory, which verify
    // accepts too.
    let dir = TestDir::new();
    let robots = arg(&fixture("robots/real"));
    let filter = |input: &std::path::Path, tag: &str| -> (String, serde_json::Value) {
        let manifest = dir.path(&format!("{tag}.json"));
        let run = optout(
            &[
                "filter",
                &arg(input),
                "--robots-dir",
                &robots,
                "--missing-policy",
                "allow",
                "--kept",
                &arg(&dir.path(&format!("{tag}.kept"))),
                "--removed",
                &arg(&dir.path(&format!("{tag}.removed"))),
                "--manifest",
                &arg(&manifest),
                "-q",
            ],
            None,
        );
        assert_eq!(run.code, 0, "{run:?}");
        let value = serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
        (arg(&manifest), value)
    };
    let part = dir.write("part.txt", crate::util::sample_head(20));
    let (part_manifest, mut part_value) = filter(&part, "part");
    let (_, whole) = filter(&fixture("urls/sample.txt"), "whole");
    assert!(
        part_value["policies"]["files"].as_u64() < whole["policies"]["files"].as_u64(),
        "the part's run loads fewer files"
    );
    let (code, report) = verify(&part_manifest, &[]);
    assert_eq!(code, 0, "{report:#}");
    part_value["policies"] = whole["policies"].clone();
    std::fs::write(
        &part_manifest,
        serde_json::to_vec_pretty(&part_value).unwrap(),
    )
    .unwrap();
    let (code, report) = verify(&part_manifest, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert!(
        report.to_string().contains("the whole directory"),
        "{report:#}"
    );
    // A digest of neither is caught.
    part_value["policies"]["digest"] = serde_json::Value::String("0".repeat(64));
    std::fs::write(
        &part_manifest,
        serde_json::to_vec_pretty(&part_value).unwrap(),
    )
    .unwrap();
    let (code, report) = verify(&part_manifest, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert!(
        failed(&report).contains(&"robots directory".to_owned()),
        "{report:#}"
    );
}
