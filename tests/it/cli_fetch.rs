//! `optout fetch` against the local virtual-host server: one test per
//! answer a site can give, each checking the outcome recorded in the cache,
//! the reason code `filter` gives its URLs, and the cache record itself.
//! Every host resolves to 127.0.0.1 through `--resolve`, and a final
//! `*=-` rule makes any other name fail without a DNS query.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::server::{self, Reply, Server};
use crate::util::{TestDir, arg, optout};

pub(crate) struct Site {
    pub(crate) server: Server,
    pub(crate) dir: TestDir,
}

impl Site {
    pub(crate) fn new() -> Site {
        Site {
            server: Server::start(),
            dir: TestDir::new(),
        }
    }

    pub(crate) fn cache(&self) -> PathBuf {
        self.dir.path("cache.sqlite")
    }

    pub(crate) fn net(&self) -> Vec<String> {
        [
            "--cache",
            &arg(&self.cache()),
            "--resolve",
            "refused.test=127.0.0.1:1",
            "--resolve",
            "nx.test=-",
            "--resolve",
            &self.server.resolve(),
            "--resolve",
            "*=-",
            "--retry-base",
            "10ms",
            "--timeout",
            "2s",
            "--deadline",
            "20s",
            // These cases are about robots.txt; per-origin files have
            // their own tests (`signals.rs`).
            "--files",
            "none",
        ]
        .map(String::from)
        .to_vec()
    }

    pub(crate) fn list(&self, urls: &[&str]) -> PathBuf {
        self.dir.write("urls.txt", urls.join("\n") + "\n")
    }

    /// `filter --offline` over `list` with the policy `source` options:
    /// the kept output and the removed records.
    pub(crate) fn filter_offline(
        &self,
        list: &Path,
        source: &[&str],
        tag: &str,
    ) -> (Vec<u8>, Vec<u8>) {
        let removed = self.dir.path(&format!("removed-{tag}.jsonl"));
        let mut args: Vec<String> = [
            "filter",
            &arg(list),
            "--offline",
            "--removed",
            &arg(&removed),
            "-q",
        ]
        .map(String::from)
        .to_vec();
        args.extend(source.iter().map(|s| (*s).to_owned()));
        let run = optout(&args, None);
        assert_eq!(run.code, 0, "{tag}: {run:?}");
        (run.stdout, std::fs::read(removed).unwrap())
    }

    /// `optout fetch` over `urls`, with `extra` options.
    pub(crate) fn fetch(&self, urls: &[&str], extra: &[&str]) -> crate::util::Run {
        let list = self.list(urls);
        let mut args: Vec<String> = vec!["fetch".into(), arg(&list), "--json".into(), "-q".into()];
        args.extend(self.net());
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        optout(&args, None)
    }

    /// `optout cache show ORIGIN --json`.
    pub(crate) fn show(&self, origin: &str) -> Value {
        let run = optout(
            &[
                "cache",
                "show",
                origin,
                "--json",
                "--cache",
                &arg(&self.cache()),
            ],
            None,
        );
        assert_eq!(run.code, 0, "{run:?}");
        serde_json::from_slice(&run.stdout).unwrap()
    }

    /// The last fetch record of `origin`.
    pub(crate) fn last(&self, origin: &str) -> Value {
        let shown = self.show(origin);
        shown["fetches"].as_array().unwrap().last().unwrap().clone()
    }

    /// `optout filter --offline` over `urls` for CCBot: kept URLs and
    /// removed records.
    pub(crate) fn judge(&self, urls: &[&str], extra: &[&str]) -> (Vec<String>, Vec<Value>) {
        let list = self.list(urls);
        let removed = self.dir.path("removed.jsonl");
        let mut args: Vec<String> = [
            "filter",
            &arg(&list),
            "--offline",
            "--cache",
            &arg(&self.cache()),
            "--agents",
            "CCBot",
            "--removed",
            &arg(&removed),
            "-q",
        ]
        .map(String::from)
        .to_vec();
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let run = optout(&args, None);
        assert!(run.code == 0 || run.code == 2, "{run:?}");
        let kept = run.stdout_text().lines().map(String::from).collect();
        let removed = std::fs::read_to_string(&removed)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (kept, removed)
    }
}

/// Fetches `http://HOST/` and checks the outcome and what `filter` does
/// with `http://HOST/private/x` (disallowed for `*` by the `ok` body) and
/// `http://HOST/public`. Returns the site and the fetch record.
fn case(host: &str, outcome: &str, extra: &[&str]) -> (Site, Value) {
    let site = Site::new();
    let origin = format!("http://{host}");
    let run = site.fetch(&[&format!("{origin}/page")], extra);
    assert_eq!(run.code, 0, "{run:?}");
    let summary: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(summary["fetched"], 1, "{summary}");
    let record = site.last(&origin);
    assert_eq!(record["outcome"], outcome, "{record:#}");
    assert_eq!(record["origin"], origin.as_str());
    assert_eq!(record["url"], format!("{origin}/robots.txt"));
    assert!(record["fetched_at"].as_i64().unwrap() >= record["started_at"].as_i64().unwrap());
    (site, record)
}

fn reasons(removed: &[Value]) -> Vec<String> {
    removed
        .iter()
        .map(|r| r["reason"].as_str().unwrap().to_owned())
        .collect()
}

/// The URLs of a host are all removed as `robots-unreachable`.
fn assert_unreachable(site: &Site, host: &str) {
    let urls = [
        format!("http://{host}/private/x"),
        format!("http://{host}/public"),
    ];
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let (kept, removed) = site.judge(&urls, &[]);
    assert!(kept.is_empty(), "{kept:?}");
    assert_eq!(
        reasons(&removed),
        ["robots-unreachable", "robots-unreachable"]
    );
    assert_eq!(removed[0]["origin"], format!("http://{host}"));
    assert!(
        removed[0]["detail"]
            .as_str()
            .unwrap()
            .contains("unreachable")
    );
}

/// The URLs of a host are all kept: no restrictions.
fn assert_unrestricted(site: &Site, host: &str) {
    let urls = [
        format!("http://{host}/private/x"),
        format!("http://{host}/public"),
    ];
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let (kept, removed) = site.judge(&urls, &[]);
    assert_eq!(kept.len(), 2, "{removed:?}");
}

/// The `ok` rules apply: `/private/` removed, the rest kept.
fn assert_ok_rules(site: &Site, host: &str) -> Value {
    let urls = [
        format!("http://{host}/private/x"),
        format!("http://{host}/public"),
    ];
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let (kept, removed) = site.judge(&urls, &[]);
    assert_eq!(kept, [format!("http://{host}/public")]);
    assert_eq!(reasons(&removed), ["robots-disallow"]);
    assert_eq!(removed[0]["rule"], "Disallow: /private/");
    assert_eq!(
        removed[0]["policy_sha256"],
        optout::digest::sha256_hex(server::OK_BODY.as_bytes())
    );
    removed[0].clone()
}

#[test]
fn ok_is_parsed_and_its_rules_apply() {
    let (site, record) = case("ok.test", "ok", &[]);
    assert_eq!(record["status"], 200);
    assert_eq!(record["etag"], server::OK_ETAG);
    assert_eq!(record["attempts"], 1);
    assert_eq!(record["body_size"], server::OK_BODY.len());
    assert_eq!(record["truncated"], false);
    assert_eq!(record["html"], false);
    assert_eq!(record["content_type"], "text/plain");
    let removed = assert_ok_rules(&site, "ok.test");
    assert!(removed["fetched_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(removed["policy"], "http://ok.test/robots.txt");
    let agent = site.server.last_header("ok.test", "user-agent").unwrap();
    assert!(agent.starts_with("optout/"), "{agent}");
}

#[test]
fn status_404_means_no_restrictions() {
    let (site, record) = case("s404.test", "unavailable", &[]);
    assert_eq!(record["status"], 404);
    assert!(record["sha256"].is_null());
    assert_unrestricted(&site, "s404.test");
}

#[test]
fn status_401_means_no_restrictions() {
    let (site, record) = case("s401.test", "unavailable", &[]);
    assert_eq!(record["status"], 401);
    assert_unrestricted(&site, "s401.test");
}

#[test]
fn status_403_means_no_restrictions() {
    let (site, record) = case("s403.test", "unavailable", &[]);
    assert_eq!(record["status"], 403);
    assert_unrestricted(&site, "s403.test");
}

#[test]
fn status_429_is_unreachable_and_honours_retry_after() {
    let started = std::time::Instant::now();
    let (site, record) = case("s429.test", "rate-limited", &["--retries", "1"]);
    assert_eq!(record["status"], 429);
    assert_eq!(record["retry_after"], "1");
    assert_eq!(record["attempts"], 2);
    assert_eq!(site.server.hits("s429.test"), 2);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "the retry waited for Retry-After"
    );
    assert_unreachable(&site, "s429.test");
}

#[test]
fn status_500_is_unreachable_after_retries() {
    let (site, record) = case("s500.test", "server-error", &[]);
    assert_eq!(record["status"], 500);
    assert_eq!(record["attempts"], 3, "2 retries by default");
    assert_eq!(site.server.hits("s500.test"), 3);
    assert_unreachable(&site, "s500.test");
}

#[test]
fn status_503_is_unreachable() {
    let (site, record) = case("s503.test", "server-error", &["--retries", "0"]);
    assert_eq!(record["status"], 503);
    assert_eq!(record["attempts"], 1);
    assert_unreachable(&site, "s503.test");
}

#[test]
fn a_server_error_then_success_is_retried_to_success() {
    let (site, record) = case("flaky.test", "ok", &[]);
    assert_eq!(record["attempts"], 2);
    // The failed attempt is kept as evidence beside the final answer.
    assert_eq!(record["earlier"][0]["outcome"], "server-error");
    assert_eq!(record["earlier"][0]["status"], 503);
    assert_ok_rules(&site, "flaky.test");
}

#[test]
fn redirect_chains_of_one_to_five_hops_are_followed_across_hosts() {
    for hops in 1..=5 {
        let host = format!("redir{hops}.chain.test");
        let (site, record) = case(&host, "ok", &[]);
        let chain = record["redirects"].as_array().unwrap();
        assert_eq!(chain.len(), hops, "{record:#}");
        assert_eq!(chain[0]["url"], format!("http://{host}/robots.txt"));
        assert_eq!(chain[0]["status"], 301);
        assert!(
            record["final_url"]
                .as_str()
                .unwrap()
                .starts_with("http://redir0.chain.test"),
            "{record:#}"
        );
        // The rules found apply to the first origin (RFC 9309 §2.3.1.2).
        let removed = assert_ok_rules(&site, &host);
        assert_eq!(removed["origin"], format!("http://{host}"));
        assert!(removed["note"].as_str().unwrap().contains("redirect"));
    }
}

#[test]
fn redirect_chains_of_six_and_seven_hops_are_unreachable() {
    for hops in [6, 7] {
        let host = format!("redir{hops}.chain.test");
        let (site, record) = case(&host, "redirect-limit", &[]);
        assert_eq!(record["redirects"].as_array().unwrap().len(), 6);
        assert_unreachable(&site, &host);
    }
}

#[test]
fn a_redirect_within_the_host_is_followed() {
    let (site, record) = case("relredir.test", "ok", &[]);
    assert_eq!(record["final_url"], "http://relredir.test/robots-real.txt");
    assert_ok_rules(&site, "relredir.test");
}

#[test]
fn a_redirect_loop_is_unreachable() {
    let (site, record) = case("loop.test", "redirect-loop", &[]);
    assert_eq!(record["redirects"].as_array().unwrap().len(), 2);
    assert_eq!(record["attempts"], 1, "a loop is not retried");
    assert_unreachable(&site, "loop.test");
}

#[test]
fn a_redirect_without_location_is_unreachable() {
    let (site, _) = case("badloc.test", "bad-redirect", &[]);
    assert_unreachable(&site, "badloc.test");
}

#[test]
fn a_body_slower_than_the_timeout_is_unreachable() {
    let started = std::time::Instant::now();
    let (site, record) = case(
        "slow.test",
        "timeout",
        &["--timeout", "1s", "--retries", "0"],
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    assert_eq!(record["attempts"], 1);
    assert_unreachable(&site, "slow.test");
}

#[test]
fn a_silent_server_times_out_within_the_deadline() {
    let started = std::time::Instant::now();
    let (site, record) = case(
        "stall.test",
        "timeout",
        &[
            "--timeout",
            "1s",
            "--deadline",
            "2500ms",
            "--retry-base",
            "100ms",
        ],
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    assert!(record["attempts"].as_u64().unwrap() >= 2, "{record:#}");
    assert_unreachable(&site, "stall.test");
}

#[test]
fn a_connection_reset_is_unreachable() {
    let (site, record) = case("reset.test", "reset", &["--retries", "0"]);
    assert!(record["status"].is_null());
    assert_unreachable(&site, "reset.test");
}

#[test]
fn a_cut_transfer_is_unreachable() {
    let (site, record) = case("cut.test", "truncated-transfer", &["--retries", "0"]);
    assert_eq!(record["status"], 200);
    assert!(
        record["sha256"].is_null(),
        "a cut body is never stored as a policy"
    );
    assert_unreachable(&site, "cut.test");
}

#[test]
fn a_refused_connection_is_unreachable() {
    let (site, record) = case("refused.test", "connect", &["--retries", "0"]);
    assert!(
        record["detail"].as_str().unwrap().contains("refused"),
        "{record:#}"
    );
    assert_unreachable(&site, "refused.test");
}

#[test]
fn a_name_that_does_not_resolve_is_unreachable() {
    let (site, record) = case("nx.test", "dns", &[]);
    assert_eq!(record["attempts"], 1, "DNS failures are not retried");
    assert_unreachable(&site, "nx.test");
}

#[test]
fn a_600_kib_body_is_cut_at_500_kib_and_says_so() {
    let (site, record) = case("big.test", "ok", &[]);
    assert_eq!(record["truncated"], true);
    assert_eq!(record["body_size"], 512_000);
    // `Allow: /past-the-limit/` lies after the limit: `Disallow: /` rules.
    let (kept, removed) = site.judge(&["http://big.test/past-the-limit/x"], &[]);
    assert!(kept.is_empty());
    assert_eq!(removed[0]["rule"], "Disallow: /");
    assert!(
        removed[0]["note"]
            .as_str()
            .unwrap()
            .contains("first 512000 bytes")
    );
    let stored = optout(
        &[
            "cache",
            "show",
            "http://big.test",
            "--body",
            "--cache",
            &arg(&site.cache()),
        ],
        None,
    );
    assert_eq!(stored.stdout, server::big_body()[..512_000]);
    let shown = optout(
        &[
            "cache",
            "show",
            "http://big.test",
            "--cache",
            &arg(&site.cache()),
        ],
        None,
    );
    assert!(
        shown.stdout_text().contains("first 512000 bytes"),
        "`cache show` states the truncation: {}",
        shown.stdout_text()
    );
}

#[test]
fn a_gzip_body_is_decoded() {
    let (site, record) = case("gzip.test", "ok", &[]);
    let accepted = site
        .server
        .last_header("gzip.test", "accept-encoding")
        .unwrap();
    assert!(
        accepted.contains("gzip") && accepted.contains("br"),
        "{accepted}"
    );
    assert_eq!(record["content_encoding"], "gzip", "as sent: {record:#}");
    assert_eq!(record["body_size"], server::OK_BODY.len());
    assert_ok_rules(&site, "gzip.test");
}

#[test]
fn an_html_page_is_detected_and_has_no_rules() {
    let (site, record) = case("html.test", "ok", &[]);
    assert_eq!(record["html"], true);
    assert_unrestricted(&site, "html.test");
    let urls = ["http://html.test/x"];
    let list = site.list(&urls);
    let stats = site.dir.path("stats.json");
    let run = optout(
        &[
            "filter",
            &arg(&list),
            "--offline",
            "--cache",
            &arg(&site.cache()),
            "--agents",
            "CCBot",
            "--stats",
            &arg(&stats),
            "-q",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let stats: Value = serde_json::from_str(&site.dir.read("stats.json")).unwrap();
    assert_eq!(stats["policies"]["html"], 1);
    assert_eq!(stats["policies"]["source"], "cache");
}

#[test]
fn a_bom_is_skipped() {
    let (site, _) = case("bom.test", "ok", &[]);
    let (kept, removed) = site.judge(&["http://bom.test/bom/x", "http://bom.test/y"], &[]);
    assert_eq!(kept, ["http://bom.test/y"]);
    assert_eq!(removed[0]["rule"], "Disallow: /bom/");
}

#[test]
fn an_empty_body_means_no_rules() {
    let (site, record) = case("empty.test", "ok", &[]);
    assert_eq!(record["body_size"], 0);
    assert_eq!(
        record["sha256"],
        optout::digest::sha256_hex(b""),
        "an empty body is a policy too"
    );
    assert_unrestricted(&site, "empty.test");
}

#[test]
fn fresh_origins_are_not_fetched_again_and_stale_ones_are_revalidated() {
    let site = Site::new();
    let urls = [
        "http://ok.test/a",
        "http://ok.test/b",
        "http://other.test/c",
    ];
    let first = site.fetch(&urls, &[]);
    assert_eq!(first.code, 0, "{first:?}");
    let summary: Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(
        (summary["origins"].as_u64(), summary["fetched"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(site.server.hits("ok.test"), 1, "one fetch per origin");

    let again = site.fetch(&urls, &[]);
    let summary: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(
        (summary["fresh"].as_u64(), summary["fetched"].as_u64()),
        (Some(2), Some(0))
    );
    assert_eq!(site.server.hits("ok.test"), 1, "fresh: not fetched again");

    let stale = site.fetch(&urls, &["--max-age", "0"]);
    assert_eq!(stale.code, 0, "{stale:?}");
    assert_eq!(site.server.hits("ok.test"), 2);
    assert_eq!(
        site.server
            .last_header("ok.test", "if-none-match")
            .as_deref(),
        Some(server::OK_ETAG)
    );
    let record = site.last("http://ok.test");
    assert_eq!(record["outcome"], "not-modified");
    assert_eq!(record["status"], 304);
    assert_eq!(
        record["sha256"],
        optout::digest::sha256_hex(server::OK_BODY.as_bytes())
    );
    let shown = site.show("http://ok.test");
    assert_eq!(shown["policy"]["used"]["outcome"], "not-modified");
    assert_ok_rules(&site, "ok.test");
}

#[test]
fn an_unreachable_origin_falls_back_to_its_last_good_copy() {
    let site = Site::new();
    assert_eq!(site.fetch(&["http://fb.test/"], &[]).code, 0);
    site.server.set("fb.test", Reply::new(500, "down"));
    assert_eq!(
        site.fetch(&["http://fb.test/"], &["--max-age", "0"]).code,
        0
    );
    assert_eq!(site.last("http://fb.test")["outcome"], "server-error");
    let removed = assert_ok_rules(&site, "fb.test");
    let note = removed["note"].as_str().unwrap();
    assert!(
        note.contains("last good copy") && note.contains("server-error"),
        "{note}"
    );
    let shown = site.show("http://fb.test");
    assert_eq!(shown["policy"]["failed"]["outcome"], "server-error");
}

#[test]
fn as_of_uses_the_copy_current_then() {
    let site = Site::new();
    assert_eq!(site.fetch(&["http://hist.test/"], &[]).code, 0);
    let first = site.last("http://hist.test")["fetched_at"]
        .as_i64()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    site.server.set(
        "hist.test",
        Reply::new(200, "User-agent: *\nDisallow: /v2/\n"),
    );
    assert_eq!(
        site.fetch(&["http://hist.test/"], &["--max-age", "0"]).code,
        0
    );
    let urls = ["http://hist.test/private/x", "http://hist.test/v2/x"];
    let (kept, _) = site.judge(&urls, &[]);
    assert_eq!(kept, ["http://hist.test/private/x"], "now: version 2");
    let then = optout::time::format(first);
    let (kept, removed) = site.judge(&urls, &["--as-of", &then]);
    assert_eq!(kept, ["http://hist.test/v2/x"], "then: version 1");
    assert_eq!(removed[0]["fetched_at"], then);
    // Before the first fetch there was no policy.
    let (_, removed) = site.judge(
        &urls,
        &["--as-of", "2020-01-01", "--missing-policy", "deny"],
    );
    assert_eq!(reasons(&removed), ["no-policy", "no-policy"]);
    // The history view lists both bodies.
    let shown = site.show("http://hist.test");
    assert_eq!(shown["fetches"].as_array().unwrap().len(), 2);
}

#[test]
fn one_request_at_a_time_per_host_even_through_redirects() {
    let site = Site::new();
    let urls: Vec<String> = (0..40)
        .map(|i| format!("http://tocdn{i}.x.test/"))
        .collect();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let run = site.fetch(&urls, &["--concurrency", "64"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(site.server.hits("cdn.x.test"), 40);
    assert_eq!(site.server.max_in_flight("cdn.x.test"), 1);
    assert_eq!(site.server.max_in_flight_any(), 1);
}

#[test]
fn filter_fetches_missing_origins_first_unless_offline() {
    let site = Site::new();
    let list = site.list(&["http://ok.test/private/x", "http://ok.test/y"]);
    let cache = arg(&site.cache());
    let offline = optout(
        &[
            "filter",
            &arg(&list),
            "--offline",
            "--cache",
            &cache,
            "--agents",
            "CCBot",
        ],
        None,
    );
    assert_eq!(offline.code, 1, "no cache yet: {offline:?}");
    let mut args: Vec<String> = ["filter", &arg(&list), "--agents", "CCBot", "-q"]
        .map(String::from)
        .to_vec();
    args.extend(site.net());
    let live = optout(&args, None);
    assert_eq!(live.code, 0, "{live:?}");
    assert_eq!(live.stdout_text(), "http://ok.test/y\n");
    assert_eq!(site.server.hits("ok.test"), 1);
    let stdin = optout(
        &["filter", "-", "--cache", &cache, "--agents", "CCBot"],
        Some(b"http://ok.test/y\n"),
    );
    assert_eq!(stdin.code, 1, "stdin cannot be read twice: {stdin:?}");
    assert!(stdin.stderr.contains("--offline"));
}

#[test]
fn cold_and_warm_cache_runs_decide_alike() {
    let site = Site::new();
    let hosts = ["ok", "s404", "s500", "bom", "redir3.w", "loop"];
    let urls: Vec<String> = hosts
        .iter()
        .flat_map(|h| {
            [
                format!("http://{h}.test/private/x"),
                format!("http://{h}.test/bom/y"),
            ]
        })
        .collect();
    let list = site.list(&urls.iter().map(String::as_str).collect::<Vec<_>>());
    let run = |tag: &str, offline: bool| {
        let removed = site.dir.path(&format!("removed-{tag}.jsonl"));
        let mut args: Vec<String> = ["filter", &arg(&list), "--removed", &arg(&removed), "-q"]
            .map(String::from)
            .to_vec();
        args.extend(site.net());
        args.extend(["--retries".to_owned(), "0".to_owned()]);
        if offline {
            args.push("--offline".into());
        }
        let run = optout(&args, None);
        assert_eq!(run.code, 0, "{run:?}");
        (run.stdout, std::fs::read(removed).unwrap())
    };
    let cold = run("cold", false);
    let hits = site.server.total();
    let warm = run("warm", false);
    assert_eq!(site.server.total(), hits, "a warm cache fetches nothing");
    let offline = run("offline", true);
    assert_eq!(cold, warm);
    assert_eq!(cold, offline);
}

#[test]
fn exported_snapshots_give_byte_identical_decisions_elsewhere() {
    let site = Site::new();
    let hosts = ["ok", "s404", "s503", "big", "bom", "html", "redir2.r"];
    let urls: Vec<String> = hosts
        .iter()
        .flat_map(|h| {
            [
                format!("http://{h}.test/private/x"),
                format!("http://{h}.test/bom/y"),
                format!("http://{h}.test/z"),
            ]
        })
        .collect();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    assert_eq!(site.fetch(&urls, &["--retries", "0"]).code, 0);
    let list = site.list(&urls);
    let snapshot = site.dir.path("policies.jsonl");
    let export = optout(
        &[
            "cache",
            "export",
            &arg(&snapshot),
            "--cache",
            &arg(&site.cache()),
        ],
        None,
    );
    assert_eq!(export.code, 0, "{export:?}");

    let filter = |source: &[&str], tag: &str| site.filter_offline(&list, source, tag);
    let from_cache = filter(&["--cache", &arg(&site.cache())], "cache");
    let from_snapshot = filter(&["--snapshot", &arg(&snapshot)], "snapshot");
    assert!(!from_cache.1.is_empty());
    assert_eq!(from_cache, from_snapshot);

    // A file loads only its origins' policies from the snapshot; standard
    // input, which is read once, loads them all: the same decisions.
    let part: Vec<&str> = urls
        .iter()
        .copied()
        .filter(|u| u.contains("//ok.") || u.contains("//s503."))
        .collect();
    let part = site.dir.write("part.txt", part.join("\n") + "\n");
    let judge = |input: &str, stdin: Option<&[u8]>| {
        let run = optout(
            &["filter", input, "--snapshot", &arg(&snapshot), "-q"],
            stdin,
        );
        assert_eq!(run.code, 0, "{run:?}");
        run.stdout
    };
    let body = std::fs::read(&part).unwrap();
    assert_eq!(judge(&arg(&part), None), judge("-", Some(&body)));

    // Imported into a fresh cache on "another machine": the same again.
    let other = site.dir.path("other.sqlite");
    let import = optout(
        &["cache", "import", &arg(&snapshot), "--cache", &arg(&other)],
        None,
    );
    assert_eq!(import.code, 0, "{import:?}");
    let again = optout(
        &["cache", "import", &arg(&snapshot), "--cache", &arg(&other)],
        None,
    );
    assert_eq!(again.code, 0, "{again:?}");
    // A failed import into a new cache leaves no empty cache behind, and
    // is a user error like a missing snapshot elsewhere (issue 15).
    let never = site.dir.path("never.sqlite");
    let failed = optout(
        &[
            "cache",
            "import",
            &arg(&site.dir.path("nosuch.jsonl")),
            "--cache",
            &arg(&never),
        ],
        None,
    );
    assert_eq!(failed.code, 1, "{failed:?}");
    assert!(failed.stderr.contains("nosuch.jsonl"), "{failed:?}");
    assert!(!never.exists(), "an empty cache was left behind");
    // Each run says what it added: the second, nothing (issue 15).
    let n = hosts.len();
    assert!(
        import.stderr.contains(&format!("({n} origins)"))
            && import
                .stderr
                .contains(&format!(": {n} new fetch records, 0 already held")),
        "{import:?}"
    );
    assert!(
        again
            .stderr
            .contains(&format!(": 0 new fetch records, {n} already held")),
        "{again:?}"
    );
    let stats = optout(&["cache", "stats", "--json", "--cache", &arg(&other)], None);
    let stats: Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert_eq!(stats["origins"], hosts.len(), "{stats:#}");
    assert_eq!(stats["fetches"], hosts.len(), "imports are idempotent");
    let from_import = filter(&["--cache", &arg(&other)], "import");
    assert_eq!(from_cache, from_import);

    // A snapshot whose body was altered is refused, naming the line.
    let text = std::fs::read_to_string(&snapshot).unwrap();
    let tampered = text.replacen("\"body_base64\":\"", "\"body_base64\":\"QUFB", 1);
    let bad = site.dir.write("tampered.jsonl", tampered);
    let run = optout(&["filter", &arg(&list), "--snapshot", &arg(&bad)], None);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("line 2") && run.stderr.contains("SHA-256"),
        "{}",
        run.stderr
    );
}

#[test]
fn cache_stats_and_show_are_readable() {
    let site = Site::new();
    assert_eq!(
        site.fetch(&["http://ok.test/", "http://s404.test/"], &[])
            .code,
        0
    );
    let cache = arg(&site.cache());
    let stats = optout(&["cache", "stats", "--cache", &cache], None);
    assert_eq!(stats.code, 0, "{stats:?}");
    let text = stats.stdout_text();
    assert!(
        text.contains("origins     2") && text.contains("unavailable"),
        "{text}"
    );
    let show = optout(
        &[
            "cache",
            "show",
            "http://ok.test/any/page",
            "--cache",
            &cache,
        ],
        None,
    );
    assert_eq!(show.code, 0, "{show:?}");
    assert!(
        show.stdout_text().contains("policy  ok"),
        "{}",
        show.stdout_text()
    );
    // A bare host names its origin (issue 15): here only http was fetched.
    let bare = optout(&["cache", "show", "ok.test", "--cache", &cache], None);
    assert_eq!(bare.code, 0, "{bare:?}");
    assert!(
        bare.stdout_text().contains("origin  http://ok.test"),
        "{}",
        bare.stdout_text()
    );
    let missing = optout(
        &["cache", "show", "http://nope.test", "--cache", &cache],
        None,
    );
    assert_eq!(missing.code, 1);
    let missing = optout(&["cache", "show", "nope.test", "--cache", &cache], None);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("`nope.test` is not in the cache"),
        "{missing:?}"
    );
    // The database opens with standard tools' SQL.
    let conn = rusqlite_free_check(&site.cache());
    assert!(conn);
}

/// Whether the cache file starts like a SQLite database, for a test that
/// must not depend on a `sqlite3` shell being installed.
fn rusqlite_free_check(path: &Path) -> bool {
    std::fs::read(path)
        .unwrap()
        .starts_with(b"SQLite format 3\0")
}

/// A failed fetch is not fresh for a day: the next run a few minutes later
/// fetches it again (here at once, with `--retry-unreachable 0`), and a run
/// whose origins are mostly unreachable says so, or fails when asked to.
#[test]
fn unreachable_origins_are_retried_soon_and_a_mostly_unreachable_run_says_so() {
    let site = Site::new();
    site.server.set("down.test", Reply::new(503, "down"));
    let urls = ["http://down.test/a", "http://nx.test/b", "http://ok.test/c"];
    let list = site.list(&urls);
    let fetch = |extra: &[&str]| {
        let mut args: Vec<String> = vec!["fetch".into(), arg(&list), "--json".into()];
        args.extend(site.net());
        args.extend(["--retries".into(), "0".into()]);
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        optout(&args, None)
    };
    let loud = "2 of 3 origins (67%) have an unreachable robots.txt";

    let first = fetch(&[]);
    assert_eq!(first.code, 0, "a warning, not a failure: {first:?}");
    assert!(
        first.stderr.contains(&format!("warning: {loud}")),
        "{first:?}"
    );
    assert_eq!(site.server.hits("down.test"), 1);

    let again = fetch(&["--max-unreachable", "0.5"]);
    assert_eq!(again.code, 2, "{again:?}");
    assert!(
        again.stderr.contains(&format!("error: {loud}")),
        "{again:?}"
    );
    let summary: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(
        (&summary["fresh"], &summary["fresh_unreachable"]),
        (&Value::from(3), &Value::from(2)),
        "minutes later: not yet due (the schedule is held by the cache's unit tests)"
    );
    assert!(
        again.stderr.contains("2 of them unreachable, not yet due"),
        "{again:?}"
    );
    assert_eq!(site.server.hits("down.test"), 1);
    assert_eq!(fetch(&["--max-unreachable", "0.7"]).code, 0);

    site.server
        .set("down.test", Reply::new(200, "User-agent: *\nAllow: /\n"));
    let retried = fetch(&["--retry-unreachable", "0"]);
    assert_eq!(retried.code, 0, "{retried:?}");
    assert_eq!(site.server.hits("down.test"), 2, "retried");
    assert_eq!(site.server.hits("ok.test"), 1, "a good copy stays fresh");
    assert!(
        !retried.stderr.contains("warning: 1 of 3"),
        "a third is not most: {retried:?}"
    );

    // filter and audit judge the input's origins alike.
    let run = |command: &str, extra: &[&str]| {
        let mut args: Vec<String> = [command, &arg(&list), "--offline", "--cache"]
            .map(String::from)
            .to_vec();
        args.push(arg(&site.cache()));
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        optout(&args, None)
    };
    let filtered = run("filter", &["--max-unreachable", "0.2"]);
    assert_eq!(filtered.code, 2, "{filtered:?}");
    assert!(
        filtered
            .stderr
            .contains("error: 1 of 3 origins (33%) have an unreachable robots.txt"),
        "{filtered:?}"
    );
    assert_eq!(run("audit", &["--max-unreachable", "0.2"]).code, 2);
    assert_eq!(run("filter", &["--max-unreachable", "0.4"]).code, 0);
    let bad = run("filter", &["--max-unreachable", "2"]);
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(bad.stderr.contains("not a share from 0 to 1"), "{bad:?}");
}
