//! Paths that must agree: `--threads 1` (sequential, no rayon) and parallel
//! runs give byte-identical kept, removed and stats outputs, whatever the
//! chunk size; plain and compressed inputs give the same decisions.

use crate::util::{TestDir, arg, fixture, optout};

/// A deterministic URL list over the fixture hosts, with bad rows mixed in.
pub(crate) fn corpus() -> Vec<u8> {
    let hosts = crate::util::fixture_hosts();
    let paths = [
        "/",
        "/search?q=x",
        "/private/a",
        "/news/1.html",
        "/wp-admin/",
        "/api/v1/x",
        "/a%20b",
        "/login",
        "/tag/rust",
    ];
    let mut out = Vec::new();
    let mut state: u64 = 0x9309;
    for i in 0..40_000u64 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = (state >> 33) as usize;
        match r % 50 {
            0 => out.extend_from_slice(b"not a url\n"),
            1 => out.extend_from_slice(b"\n"),
            2 => out.extend_from_slice(b"https://libgen.is/book/1\n"),
            3 => out.extend_from_slice(format!("https://unknown-{}.example/\n", r % 7).as_bytes()),
            _ => {
                let host = &hosts[r % hosts.len()];
                let path = paths[(r / 7) % paths.len()];
                let scheme = if i % 3 == 0 { "http" } else { "https" };
                out.extend_from_slice(format!("{scheme}://{host}{path}\n").as_bytes());
            }
        }
    }
    out
}

fn run(
    dir: &TestDir,
    input: &str,
    threads: &str,
    chunk: &str,
    tag: &str,
) -> (Vec<u8>, String, String) {
    run_with(dir, input, threads, chunk, tag, true)
}

/// Filters `input`; returns kept rows, removed records (empty unless
/// `removed`) and stats.
fn run_with(
    dir: &TestDir,
    input: &str,
    threads: &str,
    chunk: &str,
    tag: &str,
    removed: bool,
) -> (Vec<u8>, String, String) {
    let removed_path = dir.path(&format!("removed-{tag}.jsonl"));
    let stats = dir.path(&format!("stats-{tag}.json"));
    let mut args = vec![
        "filter".to_owned(),
        input.to_owned(),
        "--robots-dir".to_owned(),
        arg(&fixture("robots/real")),
        "--blocklist".to_owned(),
        format!("piracy={}", arg(&fixture("blocklists/piracy.txt"))),
        "--missing-policy".to_owned(),
        "deny".to_owned(),
        "--threads".to_owned(),
        threads.to_owned(),
        "--chunk-bytes".to_owned(),
        chunk.to_owned(),
        "--stats".to_owned(),
        arg(&stats),
        "--quiet".to_owned(),
    ];
    if removed {
        args.extend(["--removed".to_owned(), arg(&removed_path)]);
    }
    let result = optout(&args, None);
    assert_eq!(result.code, 0, "{result:?}");
    let removed = if removed {
        std::fs::read_to_string(removed_path).unwrap()
    } else {
        String::new()
    };
    (
        result.stdout,
        removed,
        std::fs::read_to_string(stats).unwrap(),
    )
}

#[test]
fn sequential_and_parallel_are_byte_identical() {
    let dir = TestDir::new();
    let input = arg(&dir.write("urls.txt", corpus()));
    let reference = run(&dir, &input, "1", "1048576", "seq");
    assert!(!reference.0.is_empty() && !reference.1.is_empty());
    for (threads, chunk) in [
        ("1", "3000"),
        ("2", "3000"),
        ("2", "65536"),
        ("4", "777"),
        ("2", "1048576"),
    ] {
        let got = run(&dir, &input, threads, chunk, &format!("{threads}-{chunk}"));
        assert!(
            got.0 == reference.0,
            "kept differs with {threads} threads, chunks of {chunk}"
        );
        assert!(
            got.1 == reference.1,
            "removed differs with {threads} threads, chunks of {chunk}"
        );
        assert!(
            got.2 == reference.2,
            "stats differ with {threads} threads, chunks of {chunk}"
        );
    }
}

/// Stats do not depend on whether removed rows are written.
#[test]
fn stats_are_the_same_with_and_without_removed_output() {
    let dir = TestDir::new();
    let input = arg(&dir.write("urls.txt", corpus()));
    let with = run_with(&dir, &input, "2", "65536", "with", true);
    let without = run_with(&dir, &input, "2", "65536", "without", false);
    assert!(with.0 == without.0, "kept rows differ");
    assert!(!with.1.is_empty() && without.1.is_empty());
    assert_eq!(with.2, without.2);
}

#[test]
fn compressed_inputs_decide_the_same() {
    use std::io::Write;
    let dir = TestDir::new();
    let data = corpus();
    let plain = arg(&dir.write("urls.txt", &data));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&data).unwrap();
    let gz = arg(&dir.write("urls.txt.gz", gz.finish().unwrap()));
    let zst = arg(&dir.write("urls.txt.zst", zstd::encode_all(&data[..], 3).unwrap()));
    let want = run(&dir, &plain, "2", "65536", "plain");
    for (tag, input) in [("gz", &gz), ("zst", &zst)] {
        let got = run(&dir, input, "2", "65536", tag);
        assert!(got.0 == want.0 && got.1 == want.1, "{tag} differs");
    }
}

/// The grouped chunk processor and the single-row `decide` reach the same
/// decision, reason, agent and rule for every row.
#[test]
fn chunk_processor_agrees_with_single_row_decisions() {
    use optout::agents::{AgentRule, AgentSet, Purpose, Registry};
    use optout::blocklist::{self, Blocklists};
    use optout::corpus::{Chunk, ChunkReader, Input};
    use optout::engine::UsageOptions;
    use optout::engine::{
        ChunkResult, Decision, Engine, Evidence, MissingPolicy, Outputs, Scratch,
    };
    use optout::policy::PolicySet;
    use optout::signals::usage::{Purpose as UsagePurpose, UnknownPolicy};

    let agents = AgentSet::for_purpose(Registry::builtin(), Purpose::Train).unwrap();
    let (set, _) = PolicySet::load_dir(&fixture("robots/real")).unwrap();
    let lists = Blocklists::new(vec![
        blocklist::load("piracy", &fixture("blocklists/piracy.txt")).unwrap(),
    ]);
    let set = with_usage_hosts(set);
    let drop = UsageOptions {
        unknown: UnknownPolicy::Drop,
        legacy_conservative: true,
        ..UsageOptions::default()
    };
    let search = UsageOptions {
        purpose: UsagePurpose::Search,
        ..UsageOptions::default()
    };
    for (missing, usage, rule) in [
        (
            MissingPolicy::Allow,
            UsageOptions::default(),
            AgentRule::Any,
        ),
        (MissingPolicy::Deny, UsageOptions::default(), AgentRule::Any),
        (MissingPolicy::Allow, drop, AgentRule::Any),
        (MissingPolicy::Deny, search, AgentRule::All),
    ] {
        let mut seen = std::collections::BTreeSet::new();
        let engine = Engine::new(
            set.clone().compile(&agents),
            lists.clone(),
            agents.clone(),
            rule,
            missing,
        )
        .with_usage(usage);
        let mut data = corpus();
        data.extend_from_slice(&usage_corpus());
        let mut reader = ChunkReader::with_chunk_size(
            Input::from_reader("corpus", Box::new(std::io::Cursor::new(data))),
            50_000,
        );
        let (mut chunk, mut result, mut scratch, mut single) = (
            Chunk::default(),
            ChunkResult::default(),
            Scratch::default(),
            Scratch::default(),
        );
        let mut rows = 0;
        while reader.next_chunk(&mut chunk).unwrap() {
            engine.process_chunk(
                &chunk,
                Outputs {
                    kept: true,
                    removed: true,
                    outcomes: false,
                },
                &mut scratch,
                &mut result,
            );
            // Counting alone takes a shorter way for rows whose host pass 2
            // counted: the counts must not change.
            let mut quiet = ChunkResult::default();
            engine.process_chunk(
                &chunk,
                Outputs {
                    kept: true,
                    removed: false,
                    outcomes: false,
                },
                &mut scratch,
                &mut quiet,
            );
            assert_eq!(quiet.stats, result.stats);
            let mut kept = Vec::new();
            let mut removed = result
                .removed
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty());
            for (number, line) in chunk.lines() {
                rows += 1;
                match engine.decide(line, &mut single) {
                    Decision::Keep { .. } => {
                        kept.extend_from_slice(line);
                        kept.push(b'\n');
                    }
                    Decision::Skip(_) => {}
                    Decision::Remove(removal) => {
                        seen.insert(removal.reason.as_str());
                        if let Evidence::Disallow { aware: true, .. } = removal.evidence {
                            seen.insert("aware");
                        }
                        let record: serde_json::Value =
                            serde_json::from_slice(removed.next().expect("a removed record"))
                                .unwrap();
                        assert_eq!(record["row"], number);
                        assert_eq!(record["reason"], removal.reason.as_str(), "row {number}");
                        if let Evidence::Disallow {
                            agent,
                            rule,
                            policy,
                            ..
                        } = removal.evidence
                        {
                            assert_eq!(
                                record["agent"],
                                agents.names()[agent].as_str(),
                                "row {number}"
                            );
                            assert_eq!(
                                record["line"],
                                policy.robots().unwrap().rules[rule].line,
                                "row {number}"
                            );
                        }
                    }
                }
            }
            assert!(removed.next().is_none());
            assert_eq!(result.kept, kept);
        }
        assert_eq!(rows, 40_000 + 4_000);
        let want: &[&str] = match (usage.unknown, usage.purpose) {
            (UnknownPolicy::Drop, _) => &["content-usage", "tdmrep", "usage-unknown", "aware"],
            (_, UsagePurpose::Search) => &["content-usage"],
            _ => &[
                "content-usage",
                "content-signal",
                "tdmrep",
                "ai-txt",
                "aware",
            ],
        };
        for reason in want {
            assert!(seen.contains(reason), "{reason} never decided: {seen:?}");
        }
    }
}

const USAGE_HOSTS: [(&str, &str); 4] = [
    (
        "cu.example",
        "User-agent: *\nAllow: /\nDisallow: /never/\nContent-Usage: train-ai=n\nContent-Usage: /ai-ok/ train-ai=y, search=n\n\nUser-agent: GPTBot\nContent-Usage: ai=n, search=n\nAllow: /\n",
    ),
    (
        "cs.example",
        "User-Agent: *\nContent-signal: search=yes, ai-train=no\nAllow: /\n\nUser-agent: CCBot\nAllow: /\n",
    ),
    (
        "split.example",
        "User-agent: GPTBot\nDisallow: /\n\nUser-agent: GPTBot\nContent-Usage: train-ai=y\nUser-agent: CCBot\nAllow: /private/\n",
    ),
    ("files.example", "User-agent: *\nDisallow: /private/\n"),
];

/// The fixture policies plus hosts whose robots.txt and files carry usage
/// statements.
fn with_usage_hosts(mut set: optout::policy::PolicySet) -> optout::policy::PolicySet {
    use optout::policy::files::FileState;
    use optout::signals::{ai_txt::AiTxt, tdmrep::TdmRepFile};
    use std::sync::Arc;
    for (host, body) in USAGE_HOSTS {
        set.insert_body(host, &format!("https://{host}/robots.txt"), body.as_bytes());
    }
    let mut files = set.get("files.example").unwrap().clone();
    std::sync::Arc::make_mut(&mut files.files).tdmrep = FileState::Read {
        parsed: Arc::new(TdmRepFile::parse(
            br#"[{"location": "/free/*", "tdm-reservation": 0}, {"location": "/*", "tdm-reservation": 1}]"#,
        )),
        source: "https://files.example/.well-known/tdmrep.json".into(),
        sha256: "0".repeat(64),
        fetched_at: Some(1),
        note: String::new(),
    };
    std::sync::Arc::make_mut(&mut files.files).ai_txt = FileState::Read {
        parsed: Arc::new(AiTxt::parse(
            b"User-agent: *\nDisallow: *.jpg\nAllow: *.txt\n",
        )),
        source: "https://files.example/ai.txt".into(),
        sha256: "1".repeat(64),
        fetched_at: Some(1),
        note: String::new(),
    };
    set.insert(files);
    set
}

fn usage_corpus() -> Vec<u8> {
    let paths = [
        "/",
        "/never/x",
        "/ai-ok/a",
        "/free/a.jpg",
        "/free/a.txt",
        "/private/x",
        "/a.txt",
        "/x",
    ];
    let mut out = Vec::new();
    for i in 0..4_000usize {
        let host = USAGE_HOSTS[i % USAGE_HOSTS.len()].0;
        let path = paths[(i / 4) % paths.len()];
        out.extend_from_slice(format!("https://{host}{path}\n").as_bytes());
    }
    out
}

/// The same URLs as a URL list, JSON Lines, CDXJ, a `.warc.gz` (one
/// metadata record per URL: nothing of a stored response speaks) and
/// Parquet: every format reaches the same decision, with the same reason,
/// for every URL.
#[test]
fn every_format_decides_alike() {
    use std::collections::BTreeMap;
    let dir = TestDir::new();
    let hosts = crate::util::fixture_hosts();
    let paths = ["/", "/private/a", "/wp-admin/", "/api/x", "/search?q=1"];
    let urls: Vec<String> = hosts
        .iter()
        .flat_map(|h| paths.iter().map(move |p| format!("https://{h}{p}")))
        .chain(["https://libgen.is/book/1".to_owned()])
        .collect();
    let lines = dir.write("urls.txt", urls.join("\n") + "\n");
    let jsonl: String = urls
        .iter()
        .map(|u| format!("{{\"text\":\"x\",\"url\":\"{u}\"}}\n"))
        .collect();
    let jsonl = dir.write("docs.jsonl", jsonl);
    let cdxj: String = urls
        .iter()
        .map(|u| format!("x,y)/ 20240220011205 {{\"url\": \"{u}\", \"status\": \"200\"}}\n"))
        .collect();
    let cdxj = dir.write("index.cdxj", cdxj);
    let warc: Vec<u8> = urls
        .iter()
        .flat_map(|u| {
            crate::cli_warc::gz(&crate::cli_warc::record(
                "metadata",
                Some(u),
                "fetchTimeMs: 1\r\n",
                "application/warc-fields",
            ))
        })
        .collect();
    let warc = dir.write("crawl.warc.gz", warc);
    let parquet = dir.path("urls.parquet");
    let cells: Vec<Option<String>> = urls.iter().cloned().map(Some).collect();
    crate::cli_parquet::write_parquet(&parquet, &cells, "url", 64);

    let decide = |input: &std::path::Path, tag: &str| -> (u64, String, BTreeMap<String, String>) {
        let removed = dir.path(&format!("{tag}.removed.jsonl"));
        let stats = dir.path(&format!("{tag}.stats.json"));
        let kept = dir.path(&format!("{tag}.kept"));
        let run = optout(
            &[
                "filter",
                &arg(input),
                "--robots-dir",
                &arg(&fixture("robots/real")),
                "--blocklist",
                &format!("piracy={}", arg(&fixture("blocklists/piracy.txt"))),
                "--agents",
                "GPTBot,CCBot",
                "--kept",
                &arg(&kept),
                "--removed",
                &arg(&removed),
                "--stats",
                &arg(&stats),
                "-q",
            ],
            None,
        );
        assert_eq!(run.code, 0, "{tag}: {run:?}");
        let reasons = crate::util::read_jsonl(&removed)
            .into_iter()
            .map(|r| {
                let reason = format!("{} {} {}", r["reason"], r["agent"], r["rule"]);
                (r["url"].as_str().unwrap().to_owned(), reason)
            })
            .collect();
        let stats = crate::util::read_json(&stats);
        let agents = stats["removed_with_agent_disallowed"].to_string();
        (stats["kept"].as_u64().unwrap(), agents, reasons)
    };
    let expected = decide(&lines, "lines");
    assert!(!expected.2.is_empty() && expected.0 > 0);
    assert!(expected.1.contains("\"GPTBot\":"), "{}", expected.1);
    for (input, tag) in [
        (&jsonl, "jsonl"),
        (&cdxj, "cdxj"),
        (&warc, "warc"),
        (&parquet, "parquet"),
    ] {
        assert_eq!(decide(input, tag), expected, "{tag} decides otherwise");
    }
}

/// `explain` reaches, for every URL, the verdict `filter` reaches: the
/// same keep or remove, the same reason code, for every purpose.
#[test]
fn explain_agrees_with_filter_on_every_url() {
    use optout::config::FilterConfig;
    use optout::explain::{ExplainRequest, explain};
    use optout::source::PolicySource;
    use std::collections::HashMap;

    let dir = TestDir::new();
    let robots = fixture("robots/real");
    let blocklist = fixture("blocklists/piracy.txt");
    let urls = std::fs::read(fixture("urls/sample.txt")).unwrap();
    for purpose in ["train", "search", "ai-input"] {
        let removed = dir.path(&format!("removed-{purpose}.jsonl"));
        let run = optout(
            &[
                "filter",
                &arg(&fixture("urls/sample.txt")),
                "--robots-dir",
                &arg(&robots),
                "--blocklist",
                &format!("piracy={}", arg(&blocklist)),
                "--purpose",
                purpose,
                "--missing-policy",
                "deny",
                "--kept",
                "/dev/null",
                "--removed",
                &arg(&removed),
                "-q",
            ],
            None,
        );
        assert_eq!(run.code, 0, "{run:?}");
        let mut reasons: HashMap<u64, String> = HashMap::new();
        for line in std::fs::read_to_string(&removed).unwrap().lines() {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            reasons.insert(
                record["row"].as_u64().unwrap(),
                record["reason"].as_str().unwrap().to_owned(),
            );
        }
        let mut config = FilterConfig::for_purpose(Some(purpose), &[]).unwrap();
        config.missing_policy = "deny".into();
        let mut request = ExplainRequest {
            url: String::new(),
            config,
            source: PolicySource::RobotsDir {
                path: robots.clone(),
                shown_as: None,
            },
            refresh: None,
            page: None,
            blocklists: vec![("piracy".into(), blocklist.clone())],
        };
        let mut compared = 0;
        for (row, line) in (1u64..).zip(urls.split(|&b| b == b'\n')) {
            // Rows that are not text are the row readers' business.
            let Ok(url) = std::str::from_utf8(line) else {
                continue;
            };
            if url.trim().is_empty() {
                continue;
            }
            request.url = url.to_owned();
            let Ok(explanation) = explain(&request, &optout::observe::Quiet) else {
                // Not a URL explain can judge: filter removed or skipped it.
                assert!(
                    reasons.get(&row).is_none_or(|r| r == "invalid-url"),
                    "row {row} `{url}`"
                );
                continue;
            };
            let verdict = &explanation.verdict[purpose];
            assert_eq!(verdict.kept, explanation.kept, "{purpose}");
            assert_eq!(
                verdict.reason.map(str::to_owned),
                reasons.get(&row).cloned(),
                "row {row} `{url}` for {purpose}"
            );
            compared += 1;
        }
        assert!(compared > 300, "{compared}");
    }
}

/// A run over a file loads only the robots.txt files of its input's hosts;
/// over standard input (which cannot be read twice), every file. Both
/// decide every row alike, with the same evidence, even when hosts
/// without a file are kept (`--missing-policy allow`), where a host the
/// scan missed would pass unjudged.
#[test]
fn loading_only_the_inputs_hosts_decides_as_loading_all() {
    let dir = TestDir::new();
    // A part of the sample, which names some of the directory's hosts.
    let body = crate::util::sample_head(40);
    let input = dir.write("part.txt", body.clone());
    let mut outputs = Vec::new();
    for (tag, path, stdin) in [
        ("file", arg(&input), None),
        ("stdin", "-".to_owned(), Some(&body[..])),
    ] {
        let removed = dir.path(&format!("removed-{tag}.jsonl"));
        let stats = dir.path(&format!("stats-{tag}.json"));
        let run = optout(
            &[
                "filter",
                &path,
                "--robots-dir",
                &arg(&fixture("robots/real")),
                "--missing-policy",
                "allow",
                "--removed",
                &arg(&removed),
                "--stats",
                &arg(&stats),
                "-q",
            ],
            stdin,
        );
        assert_eq!(run.code, 0, "{run:?}");
        let stats: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
        outputs.push((
            run.stdout,
            std::fs::read(&removed).unwrap(),
            stats["policies"]["origins"].as_u64().unwrap(),
        ));
    }
    assert_eq!(outputs[0].0, outputs[1].0, "kept rows");
    assert_eq!(outputs[0].1, outputs[1].1, "removed records");
    // Both count the input's origins, though standard input loaded the
    // whole directory (25 files).
    assert_eq!(outputs[0].2, outputs[1].2, "policies counted");
    assert!(outputs[0].2 < 25, "{}", outputs[0].2);
}

/// The origin scan finds the same origins and counts on one thread as on
/// two, whatever the chunk size.
#[test]
fn the_parallel_origin_scan_agrees_with_the_sequential_one() {
    use optout::corpus::{ChunkReader, Input, RowFormat};
    let input = fixture("urls/sample.txt.gz");
    let scan = |threads: usize, chunk: usize| {
        let reader = ChunkReader::with_chunk_size(Input::open(&input).unwrap(), chunk);
        optout::engine::scan::origins(reader, &RowFormat::Lines, threads).unwrap()
    };
    let one = scan(1, 1 << 20);
    assert!(one.origins.len() > 20, "{}", one.origins.len());
    for (threads, chunk) in [(2, 1 << 20), (2, 256), (3, 1000)] {
        let other = scan(threads, chunk);
        assert_eq!(
            other.origins, one.origins,
            "{threads} threads, {chunk} bytes"
        );
        assert_eq!(
            (other.rows, other.invalid, other.skipped),
            (one.rows, one.invalid, one.skipped)
        );
    }
}
