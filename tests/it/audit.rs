//! `optout audit`: the report over the bundled fixture corpus, in JSON,
//! Markdown and HTML, agreeing with `filter`'s own counts.

use serde_json::Value;

use crate::util::{TestDir, arg, fixture, optout};

fn common() -> Vec<String> {
    [
        "--robots-dir",
        &arg(&fixture("robots/real")),
        "--blocklist",
        &format!("piracy={}", arg(&fixture("blocklists/piracy.txt"))),
        "--missing-policy",
        "allow",
        "-q",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn the_report_agrees_with_filter_and_renders_in_three_formats() {
    let dir = TestDir::new();
    let input = arg(&fixture("urls/sample.txt.gz"));
    let stats = dir.path("stats.json");
    let mut args = vec![
        "filter".to_owned(),
        input.clone(),
        "--stats".into(),
        arg(&stats),
    ];
    args.extend(common());
    let run = optout(&args, None);
    assert_eq!(run.code, 0, "{run:?}");
    let stats: Value = serde_json::from_str(&std::fs::read_to_string(stats).unwrap()).unwrap();

    let report_path = dir.path("report.json");
    let mut args = vec![
        "audit".to_owned(),
        input.clone(),
        "--report".into(),
        arg(&report_path),
    ];
    args.extend(common());
    let run = optout(&args, None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.is_empty(), "no dataset is written");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    assert_eq!(report["rows"], stats["rows"]);
    assert_eq!(report["kept"]["rows"], stats["kept"]);
    assert_eq!(report["removed"]["rows"], stats["removed"]);
    let by_reason: Vec<(String, Value)> = report["removed_by_reason"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["name"].as_str().unwrap().to_owned(), l["rows"].clone()))
        .collect();
    for (reason, rows) in &by_reason {
        assert_eq!(&stats["removed_by_reason"][reason], rows, "{reason}");
    }
    let shares: f64 = ["kept", "removed", "skipped"]
        .iter()
        .map(|k| report[k]["share_rows"].as_f64().unwrap())
        .sum();
    assert!((shares - 100.0).abs() < 0.05, "shares add up: {shares}");
    let bytes: u64 = ["kept", "removed", "skipped"]
        .iter()
        .map(|k| report[k]["bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(bytes, report["bytes"].as_u64().unwrap());
    assert_eq!(
        report["top_removed_domains"][0]["name"],
        stats["top_removed_domains"][0]["domain"]
    );
    assert_eq!(report["origins"]["robots.txt, no usage statements"], 25);

    // Two inputs: twice the rows.
    let mut args = vec![
        "audit".to_owned(),
        input.clone(),
        input.clone(),
        "--report-format".into(),
        "json".into(),
    ];
    args.extend(common());
    let run = optout(&args, None);
    let twice: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(
        twice["rows"].as_u64().unwrap(),
        2 * report["rows"].as_u64().unwrap()
    );

    // Markdown and a self-contained HTML page.
    let mut args = vec!["audit".to_owned(), input.clone()];
    args.extend(common());
    let markdown = optout(&args, None).stdout_text();
    assert!(markdown.starts_with("# optout audit"));
    assert!(markdown.contains("| robots-disallow |"), "{markdown}");
    let page = dir.path("report.html");
    let mut args = vec!["audit".to_owned(), input, "--report".into(), arg(&page)];
    args.extend(common());
    assert_eq!(optout(&args, None).code, 0);
    let html = std::fs::read_to_string(page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg"));
    assert!(
        !html.contains("src=") && !html.contains("href="),
        "nothing to fetch: it opens offline"
    );
}

#[test]
fn an_audit_writes_a_manifest_that_verifies() {
    let dir = TestDir::new();
    let input = arg(&fixture("urls/sample.txt.gz"));
    let report = dir.path("report.md");
    let manifest = dir.path("audit.manifest.json");
    let mut args = vec![
        "audit".to_owned(),
        input.clone(),
        input,
        "--report".into(),
        arg(&report),
        "--manifest".into(),
        arg(&manifest),
    ];
    args.extend(common());
    let run = optout(&args, None);
    assert_eq!(run.code, 0, "{run:?}");
    let value: Value = serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    assert_eq!(value["command"], "audit");
    assert_eq!(value["more_inputs"].as_array().unwrap().len(), 1);
    assert_eq!(value["outputs"]["report"]["path"], arg(&report));
    let run = optout(&["verify", &arg(&manifest)], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout_text().contains("decisions: the audit's counts"));
    std::fs::write(&report, "# edited\n").unwrap();
    let run = optout(&["verify", &arg(&manifest)], None);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout_text().contains("MISMATCH  output report"),
        "{}",
        run.stdout_text()
    );
}

#[test]
fn row_outputs_are_refused_not_ignored() {
    for flag in ["--kept", "--removed", "--stats", "--missing-origins"] {
        let mut args = vec![
            "audit".to_owned(),
            arg(&fixture("urls/sample.txt.gz")),
            flag.into(),
            "k.txt".into(),
        ];
        args.extend(common());
        let run = optout(&args, None);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr
                .contains(&format!("unexpected argument '{flag}'")),
            "{}",
            run.stderr
        );
    }
    // Nor does its help list them (issue 15); `filter`'s does.
    let audit = optout(&["audit", "--help"], None).stdout_text();
    let filter = optout(&["filter", "--help"], None).stdout_text();
    for flag in [
        "--kept",
        "--removed",
        "--stats",
        "--missing-origins",
        "--redact",
    ] {
        let listed = |help: &str| help.lines().any(|l| l.trim_start().starts_with(flag));
        assert!(!listed(&audit), "audit --help lists {flag}");
        assert!(listed(&filter), "filter --help lacks {flag}");
    }
}

/// The JSON report of `optout audit` over `inputs` with `args`.
pub(crate) fn audit_json(dir: &TestDir, inputs: &[&str], args: &[String]) -> Value {
    let report = dir.path("audit.json");
    let mut all = vec!["audit".to_owned()];
    all.extend(inputs.iter().map(|s| (*s).to_owned()));
    all.extend(["--report".to_owned(), arg(&report)]);
    all.extend(args.iter().cloned());
    let run = optout(&all, None);
    assert_eq!(run.code, 0, "{run:?}");
    crate::util::read_json(&report)
}

/// What an audit report says about rows, next to `filter --stats`.
pub(crate) fn assert_report_matches(report: &Value, stats: &Value) {
    assert_eq!(report["rows"], stats["rows"]);
    assert_eq!(report["kept"]["rows"], stats["kept"]);
    assert_eq!(report["removed"]["rows"], stats["removed"]);
    assert_eq!(report["skipped"]["rows"], stats["skipped"]);
    for line in report["removed_by_reason"].as_array().unwrap() {
        let name = line["name"].as_str().unwrap();
        assert_eq!(line["rows"], stats["removed_by_reason"][name], "{name}");
    }
}

/// Audit options matching the WARC and Parquet tests' `filter` runs: the
/// fixture robots.txt files, GPTBot, origins without policy kept.
pub(crate) fn gptbot_args() -> Vec<String> {
    [
        "--robots-dir",
        &arg(&fixture("robots/real")),
        "--missing-policy",
        "allow",
        "--agents",
        "GPTBot",
        "-q",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn redaction_is_refused_not_ignored() {
    let mut args = vec![
        "audit".to_owned(),
        arg(&fixture("urls/sample.txt.gz")),
        "--redact".into(),
        "query".into(),
    ];
    args.extend(common());
    let run = optout(&args, None);
    assert_eq!(run.code, 1, "audit writes no evidence URLs: {run:?}");
    assert!(
        run.stderr.contains("unexpected argument '--redact'"),
        "{}",
        run.stderr
    );
}
