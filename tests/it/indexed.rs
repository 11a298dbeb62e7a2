//! Indexed snapshots (`cache export --indexed`, `cache convert`): the same
//! decisions and evidence as the JSON Lines form and the cache they came
//! from, whole or in shards; and every way one can be cut, altered or
//! mixed up is an error naming the file, never a policy read as allowed.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli_fetch::Site;
use crate::util::{arg, optout};

/// Hosts of the local server with a robots.txt, none, a server error, an
/// oversized body, a byte-order mark, an HTML page and redirects.
const HOSTS: [&str; 7] = ["ok", "s404", "s503", "big", "bom", "html", "redir2.r"];

fn urls() -> Vec<String> {
    HOSTS
        .iter()
        .flat_map(|h| {
            [
                format!("http://{h}.test/private/x"),
                format!("http://{h}.test/bom/y"),
                format!("http://{h}.test/z"),
            ]
        })
        .collect()
}

/// A site whose cache holds every host, with its JSON Lines export.
fn fetched() -> (Site, PathBuf, PathBuf) {
    let site = Site::new();
    let urls = urls();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    assert_eq!(site.fetch(&urls, &["--retries", "0"]).code, 0);
    let list = site.list(&urls);
    let jsonl = site.dir.path("policies.jsonl");
    let export = optout(
        &[
            "cache",
            "export",
            &arg(&jsonl),
            "--history",
            "--cache",
            &arg(&site.cache()),
        ],
        None,
    );
    assert_eq!(export.code, 0, "{export:?}");
    (site, list, jsonl)
}

fn run_ok(args: &[&str]) -> crate::util::Run {
    let run = optout(args, None);
    assert_eq!(run.code, 0, "{args:?}: {run:?}");
    run
}

#[test]
fn indexed_snapshots_decide_as_the_cache_and_json_lines_do() {
    let (site, list, jsonl) = fetched();
    let cache = arg(&site.cache());
    let indexed = site.dir.path("policies.db");
    run_ok(&[
        "cache",
        "export",
        &arg(&indexed),
        "--indexed",
        "--history",
        "--cache",
        &cache,
    ]);
    let converted = site.dir.path("converted.db");
    run_ok(&[
        "cache",
        "convert",
        &arg(&jsonl),
        &arg(&converted),
        "--indexed",
    ]);

    let from_cache = site.filter_offline(&list, &["--cache", &cache], "cache");
    assert!(!from_cache.1.is_empty());
    for (tag, file) in [
        ("jsonl", &jsonl),
        ("indexed", &indexed),
        ("converted", &converted),
    ] {
        for threads in ["1", "2"] {
            let got = site.filter_offline(
                &list,
                &["--snapshot", &arg(file), "--threads", threads],
                tag,
            );
            assert_eq!(got, from_cache, "{tag} on {threads} threads");
        }
    }
    // Standard input loads every origin of the snapshot: the same again.
    let body = std::fs::read(&list).unwrap();
    let stdin = optout(
        &["filter", "-", "--snapshot", &arg(&indexed), "-q"],
        Some(&body),
    );
    assert_eq!(stdin.code, 0, "{stdin:?}");
    assert_eq!(stdin.stdout, from_cache.0);

    // `explain` reads one origin from either form alike.
    for url in [
        "http://ok.test/private/x",
        "http://s503.test/z",
        "http://bom.test/bom/y",
    ] {
        let explain = |file: &Path| {
            let run = optout(&["explain", url, "--snapshot", &arg(file), "--json"], None);
            assert!(run.code <= 1, "{run:?}");
            run.stdout
        };
        assert_eq!(explain(&jsonl), explain(&indexed), "{url}");
    }

    // Back to JSON Lines: every line after the header is the original's.
    let back = site.dir.path("back.jsonl");
    run_ok(&["cache", "convert", &arg(&converted), &arg(&back)]);
    let lines = |p: &Path| -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .skip(1)
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(lines(&back), lines(&jsonl));

    // Info: the form, the counts, and each distinct body once.
    let info = run_ok(&["cache", "info", &arg(&indexed), "--json"]);
    let info: Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(info["form"], "indexed", "{info:#}");
    assert_eq!(info["origins"], HOSTS.len(), "{info:#}");
    assert_eq!(info["index"]["shards"], 1);
    let info = run_ok(&["cache", "info", &arg(&jsonl)]);
    assert!(
        info.stdout_text().contains("json-lines snapshot"),
        "{info:?}"
    );

    // Imported into a fresh cache: the same decisions.
    let other = site.dir.path("other.sqlite");
    run_ok(&["cache", "import", &arg(&indexed), "--cache", &arg(&other)]);
    assert_eq!(
        site.filter_offline(&list, &["--cache", &arg(&other)], "import"),
        from_cache
    );
}

#[test]
fn shards_split_by_host_and_together_decide_as_the_whole() {
    let (site, list, jsonl) = fetched();
    let whole = site.filter_offline(&list, &["--snapshot", &arg(&jsonl)], "whole");
    let base = site.dir.path("policies.db");
    run_ok(&[
        "cache",
        "convert",
        &arg(&jsonl),
        &arg(&base),
        "--indexed",
        "--shards",
        "3",
    ]);
    let shards: Vec<PathBuf> = (0..3)
        .map(|i| site.dir.path(&format!("policies-{i:05}-of-00003.db")))
        .collect();
    let mut origins = 0;
    let mut kept = Vec::new();
    let mut removed = Vec::new();
    let all = std::fs::read_to_string(&list).unwrap();
    for (i, shard) in shards.iter().enumerate() {
        let info = run_ok(&["cache", "info", &arg(shard), "--json"]);
        let info: Value = serde_json::from_slice(&info.stdout).unwrap();
        assert_eq!(info["index"]["shard"], i, "{info:#}");
        origins += info["origins"].as_u64().unwrap();
        // The shard's own hosts, as a host-partitioned job gives them.
        let mine: Vec<&str> = all
            .lines()
            .filter(|url| {
                let host = url.split('/').nth(2).unwrap();
                optout_shard(host, 3) == i as u32
            })
            .collect();
        if mine.is_empty() {
            continue;
        }
        let part = site
            .dir
            .write(&format!("part-{i}.txt"), mine.join("\n") + "\n");
        let (k, r) =
            site.filter_offline(&part, &["--snapshot", &arg(shard)], &format!("shard-{i}"));
        kept.extend(String::from_utf8(k).unwrap().lines().map(str::to_owned));
        removed.extend(String::from_utf8(r).unwrap().lines().map(str::to_owned));
    }
    assert_eq!(origins, HOSTS.len() as u64, "every origin is in one shard");
    // Row numbers count within each part; the rest is the same.
    let unnumbered = |line: &str| -> String {
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(mut record)) => {
                record.remove("row");
                Value::Object(record).to_string()
            }
            _ => line.to_owned(),
        }
    };
    let sorted = |lines: Vec<String>| {
        let mut lines: Vec<String> = lines.iter().map(|l| unnumbered(l)).collect();
        lines.sort();
        lines
    };
    let text = |bytes: &[u8]| -> Vec<String> {
        String::from_utf8(bytes.to_vec())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(sorted(kept), sorted(text(&whole.0)));
    assert_eq!(sorted(removed), sorted(text(&whole.1)));

    // A worker given the wrong shard is told so, not given "no policy".
    let run = optout(
        &[
            "filter",
            &arg(&list),
            "--offline",
            "--snapshot",
            &arg(&shards[0]),
        ],
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("belongs to shard")
            && run.stderr.contains("policies-00000-of-00003.db"),
        "{}",
        run.stderr
    );
}

/// The documented shard function: the first 8 bytes of the SHA-256 of
/// the lower-case host, big-endian, modulo the shard count.
fn optout_shard(host: &str, shards: u64) -> u32 {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(host.to_ascii_lowercase().as_bytes());
    (u64::from_be_bytes(digest[..8].try_into().unwrap()) % shards) as u32
}

/// Runs `filter` over `list` with the snapshot `file` and returns its
/// error message, requiring exit 1 and that the file is named.
fn refused(list: &Path, file: &Path) -> String {
    let run = optout(
        &["filter", &arg(list), "--offline", "--snapshot", &arg(file)],
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.is_empty(), "nothing is kept: {run:?}");
    assert!(run.stderr.contains(&arg(file)), "{}", run.stderr);
    run.stderr
}

#[test]
fn an_altered_or_cut_indexed_snapshot_is_refused_naming_the_file() {
    let (site, list, jsonl) = fetched();
    let good = site.dir.path("good.db");
    run_ok(&["cache", "convert", &arg(&jsonl), &arg(&good), "--indexed"]);
    let altered = |name: &str, sql: &str| -> PathBuf {
        let path = site.dir.path(name);
        std::fs::copy(&good, &path).unwrap();
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(sql).unwrap();
        drop(conn);
        path
    };

    // A body changed after export (recompressed, so it still decodes).
    let other = zstd::bulk::compress(b"User-agent: *\nAllow: /\n", 3).unwrap();
    let path = site.dir.path("body.db");
    std::fs::copy(&good, &path).unwrap();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE bodies SET zstd = ?1, size = ?2 WHERE id = 1",
            rusqlite::params![other, 23],
        )
        .unwrap();
    }
    let err = refused(&list, &path);
    assert!(err.contains("SHA-256"), "{err}");

    // The last entry dropped: the tables no longer match `meta`.
    let path = altered(
        "cut.db",
        "DELETE FROM entries WHERE seq = (SELECT max(seq) FROM entries)",
    );
    let err = refused(&list, &path);
    assert!(err.contains("cut or altered"), "{err}");

    // The index says one host, the record another.
    let path = altered(
        "index.db",
        "UPDATE entries SET origin = 'http://ok.test' WHERE origin = 'http://s404.test'",
    );
    let err = refused(&list, &path);
    assert!(err.contains("does not match its data"), "{err}");

    // A record's body swapped for another origin's.
    let path = altered(
        "swap.db",
        "UPDATE entries SET body = (SELECT max(id) FROM bodies) WHERE body = 1",
    );
    let err = refused(&list, &path);
    assert!(err.contains("SHA-256"), "{err}");

    // An entry dropped from the middle: a run that reads the whole file
    // (standard input) counts what its hosts hold.
    let path = altered("middle.db", "DELETE FROM entries WHERE seq = 2");
    let body = std::fs::read(&list).unwrap();
    let run = optout(
        &["filter", "-", "--offline", "--snapshot", &arg(&path)],
        Some(&body),
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.is_empty(), "nothing is kept: {run:?}");
    assert!(
        run.stderr.contains("cut or altered") && run.stderr.contains(&arg(&path)),
        "{}",
        run.stderr
    );

    // Not a snapshot at all, and a SQLite file of another kind.
    let text = site.dir.write("junk.db", "not a database");
    let run = optout(
        &[
            "filter",
            &arg(&list),
            "--offline",
            "--snapshot",
            &arg(&text),
        ],
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    let path = altered("meta.db", "DELETE FROM meta WHERE key = 'format'");
    let err = refused(&list, &path);
    assert!(err.contains("not a whole indexed snapshot"), "{err}");
}

#[test]
fn runs_over_an_indexed_snapshot_verify_and_catch_a_changed_file() {
    let (site, list, jsonl) = fetched();
    let indexed = site.dir.path("policies.db");
    run_ok(&[
        "cache",
        "convert",
        &arg(&jsonl),
        &arg(&indexed),
        "--indexed",
    ]);
    let manifest = site.dir.path("run.manifest.json");
    let kept = site.dir.path("kept.txt");
    let removed = site.dir.path("removed.jsonl");
    run_ok(&[
        "filter",
        &arg(&list),
        "--offline",
        "--snapshot",
        &arg(&indexed),
        "--kept",
        &arg(&kept),
        "--removed",
        &arg(&removed),
        "--manifest",
        &arg(&manifest),
        "-q",
    ]);
    let verify = optout(&["verify", &arg(&manifest), "--full", "-q"], None);
    assert_eq!(verify.code, 0, "{verify:?}");
    // Any change to the file, even one its reader would not notice, fails
    // the manifest's digest.
    let conn = rusqlite::Connection::open(&indexed).unwrap();
    conn.execute(
        "UPDATE meta SET value = 'someone else' WHERE key = 'tool'",
        [],
    )
    .unwrap();
    drop(conn);
    let verify = optout(&["verify", &arg(&manifest), "-q"], None);
    assert_eq!(verify.code, 1, "{verify:?}");
}
