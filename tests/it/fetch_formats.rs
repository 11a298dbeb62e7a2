//! `optout fetch` reads every input format as `filter` does: the origins
//! of a WARC file's records and of a Parquet column, not their bytes as
//! lines. Every name fails to resolve here (`--resolve *=-`), so nothing
//! leaves the machine; the summary counts the origins asked for.

use serde_json::Value;

use crate::util::{TestDir, arg, optout};

fn fetch(dir: &TestDir, input: &std::path::Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "fetch".to_owned(),
        arg(input),
        "--json".into(),
        "-q".into(),
        "--cache".into(),
        arg(&dir.path("cache.sqlite")),
        "--resolve".into(),
        "*=-".into(),
        "--retries".into(),
        "0".into(),
        "--files".into(),
        "none".into(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let run = optout(&args, None);
    assert_eq!(run.code, 0, "{run:?}");
    serde_json::from_slice(&run.stdout).unwrap()
}

#[test]
fn fetch_reads_the_origins_of_warc_records() {
    let dir = TestDir::new();
    let input = dir.path("crawl.warc.gz");
    std::fs::write(&input, crate::cli_warc::warc().0).unwrap();
    let summary = fetch(&dir, &input, &[]);
    // cnn.com and lemonde.fr, over https.
    assert_eq!(summary["origins"], 2, "{summary:#}");
    assert_eq!(summary["fetched"], 2, "{summary:#}");
}

#[test]
fn fetch_reads_the_origins_of_a_parquet_column() {
    let dir = TestDir::new();
    let input = dir.path("rows.parquet");
    let urls: Vec<Option<String>> = (0..50)
        .map(|i| Some(format!("https://h{}.example/p/{i}", i % 7)))
        .chain([None, Some("not a url".into())])
        .collect();
    crate::cli_parquet::write_parquet(&input, &urls, "link", 16);
    let summary = fetch(&dir, &input, &["--url-column", "link"]);
    assert_eq!(summary["origins"], 7, "{summary:#}");
}
