//! Every opt-out signal end to end, against sites the local test server
//! plays: robots.txt usage lines, `/.well-known/tdmrep.json`, `/ai.txt`,
//! and pages with `X-Robots-Tag`, `tdm-reservation` and `Content-Usage`
//! headers and robots / TDMRep meta tags. `filter` and `explain` must name
//! the signal, its source and its line.

use serde_json::Value;

use crate::server::{Reply, Server};
use crate::util::{TestDir, arg, optout};

struct Sites {
    server: Server,
    dir: TestDir,
}

const TDMREP: &str = r#"[{"location": "/free/*", "tdm-reservation": 0}, {"location": "/*", "tdm-reservation": 1, "tdm-policy": "https://tdm.sig.test/policy.json"}]"#;

impl Sites {
    /// The server, with a site per signal. Files a site does not serve
    /// answer 404.
    fn new() -> Sites {
        let server = Server::start();
        let robots = |host: &str, body: &str| {
            server.set_path(host, "/robots.txt", Reply::new(200, body));
        };
        let none = |host: &str, path: &str| server.set_path(host, path, Reply::new(404, "no\n"));
        for host in [
            "cu.sig.test",
            "cs.sig.test",
            "tdm.sig.test",
            "ai.sig.test",
            "page.sig.test",
            "split.sig.test",
            "plain.sig.test",
            "tdm500.sig.test",
        ] {
            none(host, "/.well-known/tdmrep.json");
            none(host, "/ai.txt");
        }
        robots(
            "cu.sig.test",
            "User-Agent: *\nAllow: /\nDisallow: /never/\nContent-Usage: train-ai=n\nContent-Usage: /ai-ok/ train-ai=y\n",
        );
        robots(
            "cs.sig.test",
            "User-Agent: *\nContent-signal: search=yes, ai-train=no\nAllow: /\n",
        );
        robots("tdm.sig.test", "User-agent: *\nDisallow: /private/\n");
        server.set_path(
            "tdm.sig.test",
            "/.well-known/tdmrep.json",
            Reply::new(200, TDMREP).header("Content-Type", "application/json"),
        );
        robots("tdm500.sig.test", "User-agent: *\nDisallow: /private/\n");
        server.set_path(
            "tdm500.sig.test",
            "/.well-known/tdmrep.json",
            Reply::new(500, "oops\n"),
        );
        robots("ai.sig.test", "User-agent: *\nDisallow: /private/\n");
        server.set_path(
            "ai.sig.test",
            "/ai.txt",
            Reply::new(
                200,
                "# Spawning AI\nUser-Agent: *\nDisallow: *.jpg\nAllow: *.txt\n",
            ),
        );
        robots(
            "page.sig.test",
            "User-agent: *\nContent-Usage: train-ai=y\nDisallow: /private/\n",
        );
        server.set_path(
            "page.sig.test",
            "/.well-known/tdmrep.json",
            Reply::new(200, r#"[{"location": "/*", "tdm-reservation": 1}]"#),
        );
        let html = |head: &str| {
            format!(
                "<!DOCTYPE html><html><head><title>t</title>{head}</head><body>text</body></html>"
            )
        };
        let page = |path: &str, reply: Reply| server.set_path("page.sig.test", path, reply);
        page(
            "/xrt",
            Reply::new(200, html("")).header("X-Robots-Tag", "noindex, NoAI"),
        );
        page(
            "/gptbot-only",
            Reply::new(200, html("")).header("X-Robots-Tag", "gptbot: noai"),
        );
        page(
            "/meta",
            Reply::new(
                200,
                html(r#"<meta name="robots" content="noai, noimageai">"#),
            )
            .header("Content-Type", "text/html"),
        );
        page(
            "/tdm0",
            Reply::new(200, html("")).header("tdm-reservation", "0"),
        );
        page(
            "/cu-header",
            Reply::new(200, html("")).header("Content-Usage", "train-ai=n"),
        );
        page("/quiet", Reply::new(200, html("")));
        robots(
            "split.sig.test",
            "User-agent: GPTBot\nContent-Usage: train-ai=n\nUser-agent: CCBot\nDisallow: /\n",
        );
        robots("plain.sig.test", "User-agent: *\nDisallow: /private/\n");
        Sites {
            server,
            dir: TestDir::new(),
        }
    }

    fn net(&self) -> Vec<String> {
        [
            "--cache",
            &arg(&self.dir.path("cache.sqlite")),
            "--resolve",
            &self.server.resolve(),
            "--resolve",
            "*=-",
            "--retries",
            "0",
            "--timeout",
            "5s",
        ]
        .map(String::from)
        .to_vec()
    }

    /// `filter` (fetching first) over `urls` for `agents`: the run, kept
    /// URLs and removed records.
    fn filter(&self, urls: &[&str], extra: &[&str]) -> (Vec<String>, Vec<Value>, Value) {
        let list = self.dir.write("urls.txt", urls.join("\n") + "\n");
        let removed = self.dir.path("removed.jsonl");
        let stats = self.dir.path("stats.json");
        let mut args: Vec<String> = vec![
            "filter".into(),
            arg(&list),
            "--removed".into(),
            arg(&removed),
            "--stats".into(),
            arg(&stats),
            "-q".into(),
        ];
        args.extend(self.net());
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let run = optout(&args, None);
        assert_eq!(run.code, 0, "{run:?}");
        let removed = std::fs::read_to_string(&removed)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let stats = serde_json::from_str(&std::fs::read_to_string(stats).unwrap()).unwrap();
        (
            run.stdout_text().lines().map(String::from).collect(),
            removed,
            stats,
        )
    }

    /// `explain --json URL`: the exit code and the explanation.
    fn explain(&self, url: &str, extra: &[&str]) -> (i32, Value) {
        let mut args: Vec<String> = vec!["explain".into(), url.into(), "--json".into()];
        args.extend(self.net());
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let run = optout(&args, None);
        assert!(run.code == 0 || run.code == 1, "{run:?}");
        (run.code, serde_json::from_slice(&run.stdout).unwrap())
    }
}

fn by_url<'a>(removed: &'a [Value], url: &str) -> &'a Value {
    removed
        .iter()
        .find(|r| r["url"] == url)
        .unwrap_or_else(|| panic!("{url} not removed: {removed:?}"))
}

#[test]
fn content_usage_in_robots_txt_decides_training_by_longest_path() {
    let sites = Sites::new();
    let urls = [
        "http://cu.sig.test/a",
        "http://cu.sig.test/ai-ok/a",
        "http://cu.sig.test/never/a",
    ];
    let (kept, removed, stats) = sites.filter(&urls, &["--agents", "CCBot"]);
    assert_eq!(kept, ["http://cu.sig.test/ai-ok/a"]);
    let a = by_url(&removed, "http://cu.sig.test/a");
    assert_eq!(a["reason"], "content-usage");
    assert_eq!(a["purpose"], "train");
    assert_eq!(a["statement"], "disallowed");
    assert_eq!(a["line"], 4);
    assert_eq!(a["rule"], "Content-Usage: train-ai=n");
    assert_eq!(a["policy"], "http://cu.sig.test/robots.txt");
    // §4.7 case 9: a disallowed path has no preference; access decides.
    assert_eq!(
        by_url(&removed, "http://cu.sig.test/never/a")["reason"],
        "robots-disallow"
    );
    assert_eq!(stats["usage"]["purpose"], "train");
    assert_eq!(stats["usage_verdicts"]["allowed"], 1);
    assert_eq!(stats["usage_verdicts"]["disallowed"], 1);
    // For search nothing is said: unknown, kept by default, dropped when
    // asked, and never counted as allowed.
    let (kept, _, stats) = sites.filter(&urls[..2], &["--agents", "CCBot", "--purpose", "search"]);
    assert_eq!(kept.len(), 2);
    assert_eq!(stats["usage_verdicts"]["unknown"], 2);
    assert_eq!(stats["usage_verdicts"]["allowed"], 0);
    let (kept, removed, _) = sites.filter(
        &urls[..2],
        &[
            "--agents",
            "CCBot",
            "--purpose",
            "search",
            "--unknown",
            "drop",
        ],
    );
    assert!(kept.is_empty());
    assert!(removed.iter().all(|r| r["reason"] == "usage-unknown"));
}

#[test]
fn content_signal_of_the_star_group_applies_per_purpose() {
    let sites = Sites::new();
    let urls = ["http://cs.sig.test/post"];
    let (kept, removed, _) = sites.filter(&urls, &["--agents", "CCBot"]);
    assert!(kept.is_empty());
    assert_eq!(removed[0]["reason"], "content-signal");
    assert_eq!(
        removed[0]["rule"],
        "Content-Signal: search=yes, ai-train=no"
    );
    let (kept, _, stats) = sites.filter(&urls, &["--agents", "CCBot", "--purpose", "search"]);
    assert_eq!(kept, urls);
    assert_eq!(stats["usage_verdicts"]["allowed"], 1);
}

#[test]
fn tdmrep_json_is_fetched_cached_and_read_first_match() {
    let sites = Sites::new();
    let urls = ["http://tdm.sig.test/free/a", "http://tdm.sig.test/b"];
    let (kept, removed, stats) = sites.filter(&urls, &["--agents", "CCBot"]);
    assert_eq!(kept, ["http://tdm.sig.test/free/a"]);
    let b = by_url(&removed, "http://tdm.sig.test/b");
    assert_eq!(b["reason"], "tdmrep");
    assert_eq!(b["source"], "http://tdm.sig.test/.well-known/tdmrep.json");
    assert!(
        b["rule"]
            .as_str()
            .unwrap()
            .contains("tdm-reservation 1, tdm-policy https://tdm.sig.test/policy.json"),
        "{b}"
    );
    assert_eq!(stats["fetch"]["files"]["tdmrep.json"]["ok"], 1);
    assert_eq!(stats["policies"]["files"]["tdmrep.json"]["read"], 1);
    assert_eq!(stats["policies"]["files"]["ai.txt"]["absent"], 1);
    // A warm, offline run decides the same without a request.
    let hits = sites
        .server
        .path_hits("tdm.sig.test", "/.well-known/tdmrep.json");
    let (kept_again, removed_again, _) = sites.filter(&urls, &["--agents", "CCBot", "--offline"]);
    assert_eq!((kept_again, removed_again.len()), (kept, 1));
    assert_eq!(
        sites
            .server
            .path_hits("tdm.sig.test", "/.well-known/tdmrep.json"),
        hits
    );
    // A 404 states nothing.
    let (kept, _, _) = sites.filter(&["http://plain.sig.test/b"], &["--agents", "CCBot"]);
    assert_eq!(kept.len(), 1);
}

#[test]
fn an_unreachable_tdmrep_json_reserves_like_an_unreachable_robots_txt() {
    let sites = Sites::new();
    let (kept, removed, _) = sites.filter(&["http://tdm500.sig.test/b"], &["--agents", "CCBot"]);
    assert!(kept.is_empty());
    assert_eq!(removed[0]["reason"], "tdmrep");
    assert!(
        removed[0]["rule"]
            .as_str()
            .unwrap()
            .starts_with("unreachable"),
        "{}",
        removed[0]
    );
}

#[test]
fn files_are_not_asked_for_when_robots_txt_is_unreachable() {
    let sites = Sites::new();
    let (_, removed, _) = sites.filter(&["http://s503.sig.test/a"], &["--agents", "CCBot"]);
    assert_eq!(removed[0]["reason"], "robots-unreachable");
    assert_eq!(sites.server.path_hits("s503.sig.test", "/robots.txt"), 1);
    assert_eq!(
        sites
            .server
            .path_hits("s503.sig.test", "/.well-known/tdmrep.json"),
        0
    );
    assert_eq!(sites.server.path_hits("s503.sig.test", "/ai.txt"), 0);
    // Nor later, while that unreachable answer is fresh.
    let (_, _, stats) = sites.filter(&["http://s503.sig.test/a"], &["--agents", "CCBot"]);
    assert_eq!(sites.server.path_hits("s503.sig.test", "/robots.txt"), 1);
    assert_eq!(sites.server.path_hits("s503.sig.test", "/ai.txt"), 0);
    assert_eq!(stats["policies"]["files"]["ai.txt"]["not-fetched"], 1);
}

#[test]
fn ai_txt_disallows_by_pattern_and_states_nothing_elsewhere() {
    let sites = Sites::new();
    let urls = [
        "http://ai.sig.test/img/a.jpg",
        "http://ai.sig.test/a.txt",
        "http://ai.sig.test/page.html",
    ];
    let (kept, removed, stats) = sites.filter(&urls, &["--agents", "CCBot"]);
    assert_eq!(
        kept,
        ["http://ai.sig.test/a.txt", "http://ai.sig.test/page.html"]
    );
    assert_eq!(removed[0]["reason"], "ai-txt");
    assert_eq!(removed[0]["line"], 3);
    assert_eq!(removed[0]["rule"], "Disallow: *.jpg");
    assert_eq!(removed[0]["source"], "http://ai.sig.test/ai.txt");
    assert_eq!(stats["usage_verdicts"]["allowed"], 1, "Allow: *.txt");
    assert_eq!(
        stats["usage_verdicts"]["unknown"], 1,
        "no rule matches the page"
    );
}

#[test]
fn a_content_usage_line_that_splits_a_group_is_read_both_ways() {
    let sites = Sites::new();
    // RFC 9309 reading: one group {GPTBot, CCBot} with `Disallow: /`. The
    // aipref reading gives GPTBot a group of its own without access rules.
    // The stricter (RFC) reading decides access.
    let (kept, removed, _) = sites.filter(&["http://split.sig.test/a"], &["--agents", "GPTBot"]);
    assert!(kept.is_empty());
    assert_eq!(removed[0]["reason"], "robots-disallow");
    assert_eq!(removed[0]["line"], 4);
}

#[test]
fn explain_reads_headers_and_meta_tags_of_the_page() {
    let sites = Sites::new();
    let agents = ["--agents", "CCBot"];
    let (code, e) = sites.explain("http://page.sig.test/xrt", &agents);
    assert_eq!(code, 1, "{e:#}");
    assert_eq!(e["verdict"]["train"]["reason"], "tdmrep", "{e:#}");
    let statements = &e["agents"][0]["purposes"]["train"]["statements"];
    let signals: Vec<&str> = statements
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["signal"].as_str().unwrap())
        .collect();
    assert_eq!(
        signals,
        ["content-usage", "tdmrep", "x-robots-tag"],
        "{e:#}"
    );
    assert_eq!(statements[0]["says"], "allowed");
    assert_eq!(statements[0]["line"], 2);
    assert_eq!(
        statements[2]["source"],
        "header X-Robots-Tag of http://page.sig.test/xrt"
    );
    assert_eq!(e["page"]["status"], 200);
    assert_eq!(e["files"]["tdmrep.json"]["state"], "read");
    assert_eq!(e["files"]["ai.txt"]["state"], "absent");

    let (_, e) = sites.explain("http://page.sig.test/meta", &agents);
    let statements = e["agents"][0]["purposes"]["train"]["statements"].to_string();
    assert!(statements.contains("meta-robots"), "{e:#}");

    // Agent-scoped header: GPTBot only.
    let (_, e) = sites.explain(
        "http://page.sig.test/gptbot-only",
        &["--agents", "GPTBot,CCBot"],
    );
    let says = |i: usize| e["agents"][i]["purposes"]["train"]["statements"].to_string();
    assert!(
        says(0).contains("x-robots-tag") && !says(1).contains("x-robots-tag"),
        "{e:#}"
    );

    // TDMRep: a page header `0` supersedes the site file's `1`; then
    // robots.txt's Content-Usage `train-ai=y` allows.
    let (code, e) = sites.explain("http://page.sig.test/tdm0", &agents);
    assert_eq!(code, 0, "{e:#}");
    assert_eq!(e["verdict"]["train"]["verdict"], "allowed");
    let statements = e["agents"][0]["purposes"]["train"]["statements"].to_string();
    assert!(
        statements.contains("header tdm-reservation"),
        "{statements}"
    );
    assert!(!statements.contains("tdmrep.json"), "{statements}");

    // §4.7 case 8: header and robots.txt disagree: disallow wins.
    let (code, e) = sites.explain("http://page.sig.test/cu-header", &agents);
    assert_eq!(code, 1);
    let statements = e["agents"][0]["purposes"]["train"]["statements"].to_string();
    assert!(statements.contains("header Content-Usage"), "{statements}");

    // A page robots.txt closes to optout is not fetched.
    let (code, e) = sites.explain("http://page.sig.test/private/x", &agents);
    assert_eq!(code, 1);
    assert_eq!(e["page"]["fetched"], false);
    assert_eq!(e["verdict"]["train"]["reason"], "robots-disallow");
    assert_eq!(e["agents"][0]["access"]["line"], 3);
}

#[test]
fn explain_offline_uses_the_cache_and_fetches_nothing() {
    let sites = Sites::new();
    let (_, online) = sites.explain("http://cu.sig.test/a", &["--agents", "CCBot"]);
    let before = sites.server.total();
    let (code, offline) =
        sites.explain("http://cu.sig.test/a", &["--agents", "CCBot", "--offline"]);
    assert_eq!(sites.server.total(), before, "nothing fetched");
    assert_eq!(code, 1);
    assert_eq!(offline["verdict"], online["verdict"]);
    assert_eq!(offline["robots"]["sha256"], online["robots"]["sha256"]);
    assert_eq!(offline["page"]["fetched"], false);
    // Text output names the deciding line.
    let mut args: Vec<String> = vec![
        "explain".into(),
        "http://cu.sig.test/a".into(),
        "--offline".into(),
    ];
    args.extend(sites.net());
    args.extend(["--agents".into(), "CCBot".into()]);
    let run = optout(&args, None);
    let text = run.stdout_text();
    assert!(text.contains("content-usage disallowed: http://cu.sig.test/robots.txt line 4 `Content-Usage: train-ai=n`"), "{text}");
}

#[test]
fn legacy_keys_count_only_with_legacy_conservative() {
    let sites = Sites::new();
    sites.server.set_path(
        "legacy.sig.test",
        "/robots.txt",
        Reply::new(200, "User-agent: *\nContent-Usage: ai=n\nAllow: /\n"),
    );
    for path in ["/.well-known/tdmrep.json", "/ai.txt"] {
        sites
            .server
            .set_path("legacy.sig.test", path, Reply::new(404, ""));
    }
    let urls = ["http://legacy.sig.test/a"];
    let (kept, _, _) = sites.filter(&urls, &["--agents", "CCBot"]);
    assert_eq!(kept.len(), 1);
    let (kept, removed, _) = sites.filter(
        &urls,
        &["--agents", "CCBot", "--legacy-conservative", "--offline"],
    );
    assert!(kept.is_empty());
    assert_eq!(removed[0]["reason"], "content-usage");
}

/// An RSL document with one free and one prohibited content.
const RSL_DOC: &str = r#"<rsl xmlns="https://rslstandard.org/rsl">
  <content url="/">
    <license><permits type="usage">all</permits></license>
  </content>
  <content url="/premium/*">
    <license><prohibits type="usage">ai-train</prohibits></license>
  </content>
</rsl>"#;

#[test]
fn rsl_licenses_are_fetched_only_when_asked_and_decide_training() {
    let sites = Sites::new();
    for (host, license) in [
        ("rsl.sig.test", "License: http://licenses.sig.test/rsl.xml"),
        ("rsl404.sig.test", "License: /missing.xml"),
    ] {
        sites.server.set_path(
            host,
            "/robots.txt",
            Reply::new(200, format!("{license}\nUser-agent: *\nAllow: /\n")),
        );
        for path in ["/.well-known/tdmrep.json", "/ai.txt", "/missing.xml"] {
            sites.server.set_path(host, path, Reply::new(404, ""));
        }
    }
    sites.server.set_path(
        "licenses.sig.test",
        "/rsl.xml",
        Reply::new(200, RSL_DOC).header("Content-Type", "application/rsl+xml"),
    );
    let urls = [
        "http://rsl.sig.test/free",
        "http://rsl.sig.test/premium/a",
        "http://rsl404.sig.test/a",
    ];
    // Recorded only: nothing fetched, nothing removed.
    let (kept, _, _) = sites.filter(&urls, &["--agents", "CCBot"]);
    assert_eq!(kept.len(), 3);
    assert_eq!(sites.server.path_hits("licenses.sig.test", "/rsl.xml"), 0);
    // Fetched: the prohibited content and the license that cannot be had
    // (a 404: unlicensed, SIGNALS.md §8.3 case 6) are removed.
    let (kept, removed, stats) = sites.filter(&urls, &["--agents", "CCBot", "--rsl", "fetch"]);
    assert_eq!(kept, ["http://rsl.sig.test/free"]);
    assert_eq!(sites.server.path_hits("licenses.sig.test", "/rsl.xml"), 1);
    let premium = by_url(&removed, "http://rsl.sig.test/premium/a");
    assert_eq!(premium["reason"], "rsl");
    assert_eq!(premium["source"], "http://licenses.sig.test/rsl.xml");
    assert!(
        premium["rule"]
            .as_str()
            .unwrap()
            .contains("prohibits ai-train"),
        "{premium}"
    );
    let missing = by_url(&removed, "http://rsl404.sig.test/a");
    assert_eq!(missing["reason"], "rsl");
    assert_eq!(
        missing["source"], "http://rsl404.sig.test/missing.xml",
        "a relative URL is resolved"
    );
    assert_eq!(stats["fetch"]["files"]["rsl"]["ok"], 1);
    // explain lists the License line and the document.
    let (code, e) = sites.explain(
        "http://rsl.sig.test/premium/a",
        &["--agents", "CCBot", "--rsl", "fetch", "--offline"],
    );
    assert_eq!(code, 1);
    assert_eq!(e["licenses"][0]["url"], "http://licenses.sig.test/rsl.xml");
    assert_eq!(e["licenses"][0]["scope"], "global");
    assert_eq!(e["files"]["rsl"]["state"], "read");
    assert_eq!(e["verdict"]["train"]["reason"], "rsl");
}

#[test]
fn a_run_reads_only_the_files_it_was_asked_for() {
    let sites = Sites::new();
    let urls = ["http://tdm.sig.test/b"];
    let (_, removed, _) = sites.filter(&urls, &["--agents", "CCBot"]);
    assert_eq!(removed[0]["reason"], "tdmrep");
    // The cache holds tdmrep.json, but `--files none` does not read it.
    let (kept, _, _) = sites.filter(
        &urls,
        &["--agents", "CCBot", "--offline", "--files", "none"],
    );
    assert_eq!(kept, urls);
}

#[test]
fn snapshots_carry_the_files_and_decide_alike_elsewhere() {
    let sites = Sites::new();
    let urls = [
        "http://tdm.sig.test/b",
        "http://tdm.sig.test/free/a",
        "http://ai.sig.test/a.jpg",
        "http://cu.sig.test/a",
    ];
    let (kept, removed, _) = sites.filter(&urls, &["--agents", "CCBot"]);
    let snapshot = sites.dir.path("snap.jsonl");
    let run = optout(
        &[
            "cache",
            "export",
            &arg(&snapshot),
            "--cache",
            &arg(&sites.dir.path("cache.sqlite")),
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let header: Value = serde_json::from_str(
        std::fs::read_to_string(&snapshot)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["origins"], 3);
    assert_eq!(header["files"], 6, "tdmrep.json and ai.txt of each origin");
    let (kept_elsewhere, removed_elsewhere, _) =
        sites.filter(&urls, &["--agents", "CCBot", "--snapshot", &arg(&snapshot)]);
    assert_eq!(kept_elsewhere, kept);
    assert_eq!(removed_elsewhere, removed);
    assert_eq!(
        removed
            .iter()
            .map(|r| r["reason"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["tdmrep", "ai-txt", "content-usage"]
    );
}

#[test]
fn json_lines_corpora_are_fetched_for_and_judged_by_their_url_field() {
    let sites = Sites::new();
    let list = sites.dir.write(
        "corpus.jsonl",
        "{\"metadata\":{\"url\":\"http://tdm.sig.test/b\"},\"text\":\"x\"}\n{\"metadata\":{\"url\":\"http://tdm.sig.test/free/a\"}}\n",
    );
    let removed = sites.dir.path("removed.jsonl");
    let mut args: Vec<String> = vec![
        "filter".into(),
        arg(&list),
        "--url-field".into(),
        "metadata.url".into(),
        "--agents".into(),
        "CCBot".into(),
        "--removed".into(),
        arg(&removed),
        "-q".into(),
    ];
    args.extend(sites.net());
    let run = optout(&args, None);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout_text(),
        "{\"metadata\":{\"url\":\"http://tdm.sig.test/free/a\"}}\n"
    );
    let removed: Value = serde_json::from_str(&std::fs::read_to_string(removed).unwrap()).unwrap();
    assert_eq!(removed["url"], "http://tdm.sig.test/b");
    assert_eq!(removed["reason"], "tdmrep");
}

#[test]
fn a_cache_run_writes_its_policies_beside_the_manifest_and_verifies() {
    let sites = Sites::new();
    let urls = [
        "http://tdm.sig.test/b",
        "http://tdm.sig.test/free/a",
        "http://cu.sig.test/a",
    ];
    let manifest = sites.dir.path("run.manifest.json");
    let (_, removed, _) =
        sites.filter(&urls, &["--agents", "CCBot", "--manifest", &arg(&manifest)]);
    assert_eq!(removed.len(), 2);
    let value: Value = serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    assert_eq!(value["policies"]["kind"], "snapshot");
    assert!(value["policies"]["exported_at"].is_string());
    let snapshot = sites.dir.path("run.manifest.json.policies.jsonl");
    let text = std::fs::read_to_string(&snapshot).unwrap();
    assert!(
        text.contains("\"file\":\"tdmrep.json\""),
        "the files are evidence too"
    );
    let run = optout(&["verify", &arg(&manifest), "--full"], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout_text().ends_with("verified\n"));
}

/// aipref vocab-08 (draft-ietf-aipref-vocab-08 §4.1-§4.3, SIGNALS.md
/// §14.1) on a robots directory: `ai-use` decides the ai-input purpose
/// (not under `--aipref-vocab 07`), `train-ai` does not decide for a
/// non-generative model while other signals still do, and a removal names
/// the vocabulary and carries the row's whole preference vector.
#[test]
fn aipref_vocab_08_reads_ai_use_and_records_the_vector() {
    let dir = crate::util::TestDir::new();
    dir.write(
        "robots/a.test.txt",
        "User-agent: *\nAllow: /\nContent-Usage: train-ai=n, ai-use=n, search=y\nContent-Usage: /open/ train-ai=y\n",
    );
    dir.write(
        "robots/b.test.txt",
        "User-agent: *\nAllow: /\nContent-Usage: train-ai=n\nContent-Signal: search=yes,ai-train=no,use=reference\n",
    );
    let list = dir.write(
        "urls.txt",
        "https://a.test/x\nhttps://a.test/open/y\nhttps://b.test/z\n",
    );
    let robots = arg(&dir.path("robots"));
    let run = |extra: &[&str]| {
        let mut args = vec![
            "filter".to_owned(),
            arg(&list),
            "--robots-dir".into(),
            robots.clone(),
            "--agents".into(),
            "GPTBot".into(),
            "--removed".into(),
            arg(&dir.path("removed.jsonl")),
            "-q".into(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let out = optout(&args, None);
        assert_eq!(out.code, 0, "{out:?}");
        let removed = crate::util::read_jsonl(&dir.path("removed.jsonl"));
        (out.stdout_text(), removed)
    };
    let (kept, removed) = run(&[]);
    assert_eq!(kept, "https://a.test/open/y\n");
    let a = &removed[0];
    assert_eq!(
        (&a["reason"], &a["vocab"]),
        (
            &Value::from("content-usage"),
            &Value::from("aipref-vocab-08")
        )
    );
    let vector: Vec<(String, String)> = a["preferences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["category"].as_str().unwrap().to_owned(),
                p["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        vector,
        [
            ("train-ai".to_owned(), "disallowed".to_owned()),
            ("ai-use".to_owned(), "disallowed".to_owned()),
            ("search".to_owned(), "allowed".to_owned()),
        ]
    );
    assert_eq!(a["preferences"][1]["line"], 3);

    let (kept, removed) = run(&["--purpose", "ai-input", "--agents", "GPTBot"]);
    assert!(!kept.contains("https://a.test/x"), "§4.2: ai-use=n: {kept}");
    assert!(
        removed
            .iter()
            .any(|r| r["url"] == "https://a.test/x" && r["reason"] == "content-usage")
    );
    let (kept, _) = run(&["--purpose", "ai-input", "--aipref-vocab", "07"]);
    assert!(
        kept.contains("https://a.test/x"),
        "vocab-07 has no ai-use: {kept}"
    );

    // A classifier: train-ai does not speak to it; Content-Signal does.
    let (kept, removed) = run(&["--model", "non-generative"]);
    assert_eq!(kept, "https://a.test/x\nhttps://a.test/open/y\n");
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["reason"], "content-signal");
    let bad = optout(
        &[
            "filter",
            &arg(&list),
            "--robots-dir",
            &robots,
            "--model",
            "llm",
        ],
        None,
    );
    assert_eq!(bad.code, 1, "{bad:?}");
}

/// Cloudflare's Content-Signal `use=` (SIGNALS.md §14.2; the managed file
/// since 2026-09-15: `search=yes,ai-train=no,use=reference`, no spaces): a
/// `use` below `full` is no training permission and the evidence says so;
/// a line before every group speaks to every agent.
#[test]
fn content_signal_use_below_full_does_not_allow_training() {
    let dir = crate::util::TestDir::new();
    dir.write(
        "robots/managed.test.txt",
        "User-agent: *\nContent-Signal: search=yes,ai-train=no,use=reference\nAllow: /\n",
    );
    dir.write(
        "robots/reference.test.txt",
        "Content-Signal: ai-train=yes,use=reference\n\nUser-agent: *\nAllow: /\n",
    );
    dir.write(
        "robots/full.test.txt",
        "Content-Signal: ai-train=yes, use=full\nUser-agent: GPTBot\nAllow: /\n",
    );
    let list = dir.write(
        "urls.txt",
        "https://managed.test/a\nhttps://reference.test/b\nhttps://full.test/c\n",
    );
    let removed = dir.path("removed.jsonl");
    let out = optout(
        &[
            "filter",
            &arg(&list),
            "--robots-dir",
            &arg(&dir.path("robots")),
            "--agents",
            "GPTBot",
            "--removed",
            &arg(&removed),
            "-q",
        ],
        None,
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout_text(), "https://full.test/c\n");
    let removed = crate::util::read_jsonl(&removed);
    assert!(
        removed.iter().all(|r| r["reason"] == "content-signal"),
        "{removed:?}"
    );
    let reference = removed
        .iter()
        .find(|r| r["url"] == "https://reference.test/b")
        .unwrap();
    assert_eq!(reference["line"], 1, "read before every group: {reference}");
    assert!(
        reference["detail"]
            .as_str()
            .unwrap()
            .contains("use=reference allows less than the full content"),
        "{reference}"
    );
}

/// `--signals` chooses the usage protocols a run reads (SIGNALS.md §14.4:
/// a signatory matches the Commission's list when it is published); the
/// stats and manifest record the list, verify re-decides under it, and
/// explain names it.
#[test]
fn signals_select_the_protocols_a_run_reads() {
    let dir = crate::util::TestDir::new();
    dir.write(
        "robots/cu.test.txt",
        "User-agent: *\nAllow: /\nContent-Usage: train-ai=n\n",
    );
    dir.write(
        "robots/cs.test.txt",
        "User-agent: *\nAllow: /\nContent-Signal: ai-train=no\n",
    );
    let list = dir.write("urls.txt", "https://cu.test/a\nhttps://cs.test/b\n");
    let robots = arg(&dir.path("robots"));
    let run = |signals: &str| {
        let manifest = dir.path(&format!("m-{signals}.json"));
        let out = optout(
            &[
                "filter",
                &arg(&list),
                "--robots-dir",
                &robots,
                "--agents",
                "GPTBot",
                "--signals",
                signals,
                "--kept",
                &arg(&dir.path(&format!("kept-{signals}.txt"))),
                "--stats",
                &arg(&dir.path("stats.json")),
                "--manifest",
                &arg(&manifest),
                "-q",
            ],
            None,
        );
        assert_eq!(out.code, 0, "{out:?}");
        let stats = crate::util::read_json(&dir.path("stats.json"));
        let kept = dir.read(&format!("kept-{signals}.txt"));
        (kept, stats, manifest)
    };
    let (kept, stats, _) = run("all");
    assert_eq!(kept, "", "both removed");
    assert_eq!(
        stats["usage"]["signals"].as_array().unwrap().len(),
        optout::signals::usage::Signal::ALL.len()
    );
    let (kept, stats, manifest) = run("content-signal,tdmrep");
    assert_eq!(kept, "https://cu.test/a\n", "Content-Usage is not read");
    assert_eq!(
        stats["usage"]["signals"],
        serde_json::json!(["content-signal", "tdmrep"])
    );
    let recorded = crate::util::read_json(&manifest);
    assert_eq!(recorded["config"]["signals"], stats["usage"]["signals"]);
    let verified = optout(&["verify", &arg(&manifest), "--full", "-q"], None);
    assert_eq!(verified.code, 0, "{verified:?}");
    let (kept, _, _) = run("none");
    assert_eq!(
        kept, "https://cu.test/a\nhttps://cs.test/b\n",
        "access only"
    );

    let explained = optout(
        &[
            "explain",
            "https://cu.test/a",
            "--robots-dir",
            &robots,
            "--agents",
            "GPTBot",
            "--signals",
            "content-signal",
        ],
        None,
    );
    assert_eq!(explained.code, 0, "kept: {explained:?}");
    assert!(
        explained
            .stdout_text()
            .contains("signals read (--signals): content-signal"),
        "{explained:?}"
    );
    let bad = optout(
        &[
            "filter",
            &arg(&list),
            "--robots-dir",
            &robots,
            "--signals",
            "c2pa-x",
        ],
        None,
    );
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(bad.stderr.contains("unknown signal `c2pa-x`"), "{bad:?}");
}
