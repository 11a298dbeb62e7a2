//! Parquet corpora: the URL column decided in parallel, kept rows written
//! with the input's schema, values and row-group size; the same decisions
//! as the same URLs in a list; a file without the column named.

use std::sync::Arc;

use arrow_array::{Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::properties::WriterProperties;
use serde_json::Value;

use crate::util::{TestDir, arg, fixture, fixture_hosts, optout};

fn urls() -> Vec<Option<String>> {
    let paths = ["/", "/private/a", "/wp-admin/", "/api/x", "/search?q=é"];
    let mut out = Vec::new();
    for (i, host) in fixture_hosts().iter().enumerate() {
        for (j, path) in paths.iter().enumerate() {
            out.push(Some(format!("https://{host}{path}")));
            if (i + j) % 17 == 0 {
                out.push(None);
            }
        }
    }
    out
}

pub(crate) fn write_parquet(
    path: &std::path::Path,
    urls: &[Option<String>],
    column: &str,
    group: usize,
) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new(column, DataType::Utf8, true),
        Field::new("text", DataType::Utf8, false),
    ]));
    let ids = Int64Array::from_iter_values(0..urls.len() as i64);
    let text = StringArray::from_iter_values((0..urls.len()).map(|i| format!("document {i}")));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(ids),
            Arc::new(StringArray::from(urls.to_vec())),
            Arc::new(text),
        ],
    )
    .unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(group))
        .build();
    let mut writer =
        ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, Some(props)).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

fn read_parquet(path: &std::path::Path) -> (Vec<RecordBatch>, Vec<i64>) {
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap()).unwrap();
    let groups = builder
        .metadata()
        .row_groups()
        .iter()
        .map(|g| g.num_rows())
        .collect();
    (
        builder.build().unwrap().map(Result::unwrap).collect(),
        groups,
    )
}

fn filter(
    dir: &TestDir,
    input: &str,
    robots: &str,
    extra: &[&str],
) -> (crate::util::Run, Vec<Value>, Value) {
    let removed = dir.path("removed.jsonl");
    let stats = dir.path("stats.json");
    let mut args: Vec<String> = [
        "filter",
        input,
        "--robots-dir",
        robots,
        "--missing-policy",
        "allow",
        "--agents",
        "GPTBot",
        "--removed",
        &arg(&removed),
        "--stats",
        &arg(&stats),
        "-q",
    ]
    .map(String::from)
    .to_vec();
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let run = optout(&args, None);
    let removed = crate::util::read_jsonl(&removed);
    let stats = crate::util::read_json(&stats);
    (run, removed, stats)
}

#[test]
fn a_filter_that_excludes_nothing_gives_back_schema_values_and_row_groups() {
    let dir = TestDir::new();
    let input = dir.path("c.parquet");
    let urls: Vec<Option<String>> = urls().into_iter().filter(Option::is_some).collect();
    write_parquet(&input, &urls, "url", 40);
    let empty = dir.path("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let kept = dir.path("kept.parquet");
    let (run, _, stats) = filter(
        &dir,
        &arg(&input),
        &arg(&empty),
        &["--kept", &arg(&kept), "--threads", "2"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(stats["kept"], urls.len());
    let (want, want_groups) = read_parquet(&input);
    let (got, got_groups) = read_parquet(&kept);
    assert_eq!(got[0].schema(), want[0].schema());
    let concat =
        |b: &[RecordBatch]| arrow_select::concat::concat_batches(&b[0].schema(), b).unwrap();
    assert_eq!(concat(&got), concat(&want));
    assert_eq!(got_groups, want_groups, "row groups of the input's size");
}

#[test]
fn parquet_and_url_lists_decide_alike_and_nulls_are_skipped() {
    let dir = TestDir::new();
    let urls = urls();
    let list: Vec<&str> = urls.iter().flatten().map(String::as_str).collect();
    let list_path = arg(&dir.write("urls.txt", list.join("\n") + "\n"));
    let robots = arg(&fixture("robots/real"));
    let (plain, removed_plain, _) = filter(&dir, &list_path, &robots, &[]);
    assert_eq!(plain.code, 0, "{plain:?}");
    let input = dir.path("c.parquet");
    write_parquet(&input, &urls, "page_url", 1000);
    let kept = dir.path("kept.parquet");
    for threads in ["1", "2"] {
        let (run, removed, stats) = filter(
            &dir,
            &arg(&input),
            &robots,
            &[
                "--url-column",
                "page_url",
                "--kept",
                &arg(&kept),
                "--threads",
                threads,
            ],
        );
        assert_eq!(run.code, 0, "{run:?}");
        let pairs = |r: &[Value]| -> Vec<(Value, Value)> {
            r.iter()
                .map(|r| (r["url"].clone(), r["reason"].clone()))
                .collect()
        };
        assert_eq!(pairs(&removed), pairs(&removed_plain));
        let nulls = urls.iter().filter(|u| u.is_none()).count();
        assert_eq!(stats["skipped_by_reason"]["no-url-field"], nulls);
        assert_eq!(stats["counts_add_up"], true);
        let (got, _) = read_parquet(&kept);
        let kept_urls: Vec<String> = got
            .iter()
            .flat_map(|b| {
                let column = b.column(1).as_any().downcast_ref::<StringArray>().unwrap();
                (0..column.len())
                    .map(|i| column.value(i).to_owned())
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(
            kept_urls.join("\n") + "\n",
            plain.stdout_text(),
            "threads {threads}"
        );
    }
}

#[test]
fn a_parquet_file_without_the_column_is_named() {
    let dir = TestDir::new();
    let input = dir.path("c.parquet");
    write_parquet(&input, &[Some("https://a.example/".into())], "link", 10);
    let (run, _, _) = filter(
        &dir,
        &arg(&input),
        &arg(&fixture("robots/real")),
        &["--kept", &arg(&dir.path("k.parquet"))],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("c.parquet"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("no URL column `url` (columns: id, link, text)"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_parquet_run_writes_a_manifest_that_verifies() {
    let dir = TestDir::new();
    let input = dir.path("c.parquet");
    write_parquet(&input, &urls(), "url", 50);
    let manifest = dir.path("m.json");
    let kept = dir.path("kept.parquet");
    let (run, removed, _) = filter(
        &dir,
        &arg(&input),
        &arg(&fixture("robots/real")),
        &["--kept", &arg(&kept), "--manifest", &arg(&manifest)],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!removed.is_empty());
    let run = optout(&["verify", &arg(&manifest)], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout_text().contains("ok        output removed"),
        "{}",
        run.stdout_text()
    );
}

#[test]
fn an_audit_of_parquet_counts_what_filter_removes() {
    let dir = TestDir::new();
    let input = dir.path("data.parquet");
    write_parquet(&input, &urls(), "url", 50);
    let input = arg(&input);
    let robots = arg(&fixture("robots/real"));
    let kept = arg(&dir.path("kept.parquet"));
    let (run, _, stats) = filter(&dir, &input, &robots, &["--kept", &kept]);
    assert_eq!(run.code, 0, "{run:?}");
    let report = crate::audit::audit_json(&dir, &[&input], &crate::audit::gptbot_args());
    crate::audit::assert_report_matches(&report, &stats);
    let skipped = report["skipped"]["rows"].as_u64().unwrap();
    assert!(skipped > 0, "null cells");
    // The `id` column (0, 1, 2, ...) stands in for a token count.
    let mut args = crate::audit::gptbot_args();
    args.extend(["--tokens-field".to_owned(), "id".to_owned()]);
    let report = crate::audit::audit_json(&dir, &[&input], &args);
    let rows = urls().len() as u64;
    let tokens = &report["tokens"];
    let total = tokens["total"].as_u64().unwrap();
    assert_eq!(
        total + skipped_ids(&urls()),
        rows * (rows - 1) / 2,
        "every judged row's id is counted once"
    );
    let kept = tokens["kept"]["tokens"].as_u64().unwrap();
    assert_eq!(kept + tokens["removed"]["tokens"].as_u64().unwrap(), total);
    let last = args.len() - 1;
    args[last] = "text".into();
    let mut all = vec!["audit".to_owned(), input];
    all.extend(args);
    let run = optout(&all, None);
    assert_eq!(run.code, 2, "a text column is no count: {run:?}");
    assert!(run.stderr.contains("not an integer column"), "{run:?}");
}

/// The ids of null URL cells (skipped rows: their counts are not read).
fn skipped_ids(urls: &[Option<String>]) -> u64 {
    urls.iter()
        .enumerate()
        .filter(|(_, u)| u.is_none())
        .map(|(i, _)| i as u64)
        .sum()
}

#[test]
fn one_thread_and_two_give_the_same_rows_records_and_counts() {
    let dir = TestDir::new();
    let input = dir.path("big.parquet");
    // Enough rows for a batch to be cut into a slice per thread.
    let urls: Vec<Option<String>> = (0..300).flat_map(|_| urls()).collect();
    assert!(urls.len() > 2 * 16_384);
    write_parquet(&input, &urls, "url", 4096);
    let input = arg(&input);
    let robots = arg(&fixture("robots/real"));
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let kept = dir.path(&format!("kept{threads}.parquet"));
        let (run, removed, mut stats) = filter(
            &dir,
            &input,
            &robots,
            &["--kept", &arg(&kept), "--threads", threads],
        );
        assert_eq!(run.code, 0, "{run:?}");
        stats["input"] = Value::Null;
        let (batches, groups) = read_parquet(&kept);
        outputs.push((removed, stats, batches, groups));
    }
    assert!(!outputs[0].0.is_empty());
    assert!(outputs[0] == outputs[1], "threads 1 and 2 differ");
}

/// The Markdown and HTML audits walk the same sections (skipped rows, usage
/// statements and tokens included); Parquet rows count no bytes, so no
/// bytes column is printed; and every chart is on one scale, a bar's
/// length its share of all rows.
#[test]
fn markdown_and_html_audits_have_the_same_sections_and_charts_share_one_scale() {
    let dir = TestDir::new();
    let input = dir.path("data.parquet");
    write_parquet(&input, &urls(), "url", 50);
    let input = arg(&input);
    let mut args = crate::audit::gptbot_args();
    args.extend(["--tokens-field".to_owned(), "id".to_owned()]);
    let report = crate::audit::audit_json(&dir, &[&input], &args);
    let render = |format: &str| {
        let mut all = vec!["audit".to_owned(), input.clone(), "--report-format".into()];
        all.push(format.to_owned());
        all.extend(args.iter().cloned());
        let run = optout(&all, None);
        assert_eq!(run.code, 0, "{run:?}");
        run.stdout_text()
    };
    let markdown = render("markdown");
    let html = render("html");
    let md_titles: Vec<&str> = markdown
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .collect();
    let html_titles: Vec<&str> = html
        .split("<h2>")
        .skip(1)
        .map(|part| part.split("</h2>").next().unwrap())
        .collect();
    assert_eq!(md_titles, html_titles);
    for title in [
        "Rows",
        "Skipped, by reason",
        "What sites say about this use",
        "Origins",
        "Tokens",
    ] {
        assert!(md_titles.contains(&title), "{title}: {md_titles:?}");
    }
    assert!(
        !markdown.contains("bytes"),
        "Parquet counts no bytes: {markdown}"
    );
    assert!(!html.contains("<th>bytes</th>"), "{html}");
    // The first chart (Rows) draws `kept` first, at 4 px per percent.
    let kept = report["kept"]["share_rows"].as_f64().unwrap();
    assert!(kept > 0.0 && kept < 50.0, "{report}");
    let width: f64 = html
        .split("<rect ")
        .nth(1)
        .and_then(|r| r.split("width=\"").nth(1))
        .and_then(|w| w.split('"').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!((width - kept * 4.0).abs() < 0.06, "{width} for {kept}%");
    assert!(
        html.contains("share of all rows read (0 to 100%)"),
        "{html}"
    );
    assert!(html.contains(">100%</text>"), "an axis with its scale");
}
