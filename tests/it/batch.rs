//! `Engine::decide_batch` over Arrow arrays agrees with `optout filter`:
//! the same keep decision and reason for every row, and the same removed
//! evidence, whatever the array type, the number of threads and how the
//! rows are cut into batches.

use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, BinaryArray, BooleanArray, LargeBinaryArray, LargeStringArray, StringArray,
    StringViewArray, UInt8Array, UInt32Array,
};
use optout::agents::{AgentRule, AgentSet, Purpose, Registry};
use optout::blocklist::{self, Blocklists};
use optout::engine::batch::ROW_CODES;
use optout::engine::column::ColumnScratch;
use optout::engine::{Engine, MissingPolicy};
use optout::policy::PolicySet;

use crate::util::{TestDir, arg, fixture, optout};

/// The equivalence corpus three times over: 120,000 rows.
fn rows() -> Vec<String> {
    let corpus = String::from_utf8(crate::equivalence::corpus()).unwrap();
    let lines: Vec<&str> = corpus.lines().collect();
    (0..3)
        .flat_map(|_| lines.iter().map(|l| (*l).to_owned()))
        .collect()
}

fn engine() -> Engine {
    let agents = AgentSet::for_purpose(Registry::builtin(), Purpose::Train).unwrap();
    let (set, _) = PolicySet::load_dir(&fixture("robots/real")).unwrap();
    let lists = Blocklists::new(vec![
        blocklist::load("piracy", &fixture("blocklists/piracy.txt")).unwrap(),
    ]);
    Engine::new(
        set.compile(&agents),
        lists,
        agents,
        AgentRule::Any,
        MissingPolicy::Deny,
    )
}

fn arrays(rows: &[String]) -> Vec<ArrayRef> {
    let strs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let bytes: Vec<&[u8]> = rows.iter().map(String::as_bytes).collect();
    vec![
        Arc::new(StringArray::from(strs.clone())),
        Arc::new(LargeStringArray::from(strs.clone())),
        Arc::new(StringViewArray::from(strs)),
        Arc::new(BinaryArray::from(bytes.clone())),
        Arc::new(LargeBinaryArray::from(bytes)),
    ]
}

/// Column `i` of `batch`, as its array type.
fn column<T: 'static>(batch: &arrow_array::RecordBatch, i: usize) -> &T {
    batch.column(i).as_any().downcast_ref::<T>().unwrap()
}

/// What a batch said of each row: code, agent, rule line.
type Said = (&'static str, Option<String>, Option<u32>);

/// Codes and evidence of `array` decided in batches of `size` rows.
fn decide(engine: &Engine, array: &dyn Array, size: usize, threads: usize) -> (Vec<Said>, Vec<u8>) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let mut scratch = ColumnScratch::default();
    let (mut codes, mut removed) = (Vec::new(), Vec::new());
    let mut start = 0;
    while start < array.len() {
        let len = size.min(array.len() - start);
        let slice = array.slice(start, len);
        let decided = engine
            .decide_batch(slice.as_ref(), start as u64 + 1, true, &pool, &mut scratch)
            .unwrap();
        let keep: &BooleanArray = column(&decided.rows, 0);
        let code: &UInt8Array = column(&decided.rows, 1);
        let agent: &StringArray = column(&decided.rows, 2);
        let line: &UInt32Array = column(&decided.rows, 3);
        for i in 0..len {
            let name = ROW_CODES[usize::from(code.value(i))];
            assert_eq!(keep.value(i), name == "kept", "row {}", start + i + 1);
            let agent = agent.is_valid(i).then(|| agent.value(i).to_owned());
            codes.push((name, agent, line.is_valid(i).then(|| line.value(i))));
        }
        removed.extend_from_slice(&decided.removed);
        start += len;
    }
    (codes, removed)
}

#[test]
fn batches_agree_with_the_command_line() {
    let dir = TestDir::new();
    let rows = rows();
    let input = dir.write("corpus.txt", rows.join("\n") + "\n");
    let removed_path = dir.path("removed.jsonl");
    let run = optout(
        &[
            "filter",
            &arg(&input),
            "--robots-dir",
            &arg(&fixture("robots/real")),
            "--blocklist",
            &format!("piracy={}", arg(&fixture("blocklists/piracy.txt"))),
            "--missing-policy",
            "deny",
            "--removed",
            &arg(&removed_path),
            "--kept",
            "/dev/null",
            "-q",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let cli_removed = std::fs::read(&removed_path).unwrap();
    let mut expected: Vec<Said> = vec![("kept", None, None); rows.len()];
    for record in crate::util::read_jsonl(&removed_path) {
        let row = record["row"].as_u64().unwrap() as usize;
        let reason = ROW_CODES
            .iter()
            .find(|c| **c == record["reason"].as_str().unwrap())
            .unwrap();
        let agent = record["agent"].as_str().map(str::to_owned);
        // The evidence names the rule's line for robots.txt only.
        let line = (*reason == "robots-disallow")
            .then(|| record["line"].as_u64().map(|l| l as u32))
            .flatten();
        expected[row - 1] = (reason, agent, line);
    }
    for (row, line) in rows.iter().enumerate() {
        if line.trim().is_empty() {
            expected[row].0 = "empty-line";
        }
    }
    assert!(
        expected
            .iter()
            .any(|e| e.0 == "robots-disallow" && e.1.is_some() && e.2.is_some())
    );
    let engine = engine();
    for array in arrays(&rows) {
        for (size, threads) in [(rows.len(), 1), (rows.len(), 2), (7_001, 2)] {
            let (codes, removed) = decide(&engine, array.as_ref(), size, threads);
            let what = format!(
                "{} in batches of {size} on {threads} threads",
                array.data_type()
            );
            let differ = codes.iter().zip(&expected).position(|(a, b)| a != b);
            assert_eq!(
                differ,
                None,
                "{what}: first difference at row {:?}",
                differ.map(|r| r + 1)
            );
            assert!(removed == cli_removed, "{what}: the evidence differs");
        }
    }
}

#[test]
fn nulls_agents_and_lines_are_reported() {
    let engine = engine();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let array = StringArray::from(vec![
        None,
        Some(""),
        Some("not a url"),
        Some("https://libgen.is/book/1"),
    ]);
    let decided = engine
        .decide_batch(&array, 101, false, &pool, &mut ColumnScratch::default())
        .unwrap();
    let code: &UInt8Array = column(&decided.rows, 1);
    let names: Vec<&str> = code
        .values()
        .iter()
        .map(|&c| ROW_CODES[usize::from(c)])
        .collect();
    assert_eq!(names, ["null", "empty-line", "invalid-url", "blocklist"]);
    assert!(decided.removed.is_empty(), "no evidence unless asked");
    let wrong = engine.decide_batch(
        &UInt8Array::from(vec![1u8]),
        1,
        false,
        &pool,
        &mut ColumnScratch::default(),
    );
    assert!(wrong.unwrap_err().to_string().contains("string or binary"));
}
