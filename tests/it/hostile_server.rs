//! A hostile server: content codings the client must undo or refuse,
//! compression bombs, endless bodies, huge and many headers, redirects
//! into private address space, credentials in URLs. Each case has the
//! outcome it must give, and none may let a disallowing site through.
//! Items 2, 10 and 11 of the hardening issue (#12).

use std::io::Write;

use serde_json::Value;

use crate::cli_fetch::Site;
use crate::server::Reply;
use crate::util::{arg, optout};

const DISALLOW_ALL: &[u8] = b"User-agent: *\nDisallow: /\n";

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn encoded(name: &str, bytes: &[u8]) -> Vec<u8> {
    match name {
        "gzip" | "x-gzip" | "GZIP" | "identity, gzip" | " Gzip " => gzip(bytes),
        "gzip, gzip" => gzip(&gzip(bytes)),
        "deflate" => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(bytes).unwrap();
            e.finish().unwrap()
        }
        "zstd" => zstd::encode_all(bytes, 3).unwrap(),
        "br" => {
            let mut out = Vec::new();
            {
                let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
                w.write_all(bytes).unwrap();
            }
            out
        }
        other => panic!("no encoder for {other}"),
    }
}

/// Fetches `host`'s robots.txt and returns the fetch record and the
/// reason `filter` gives `http://HOST/x` (`None`: kept).
fn fetch_and_judge(site: &Site, host: &str, extra: &[&str]) -> (Value, Option<String>) {
    let origin = format!("http://{host}");
    let run = site.fetch(&[&format!("{origin}/x")], extra);
    assert_eq!(run.code, 0, "{run:?}");
    let record = site.last(&origin);
    let (kept, removed) = site.judge(&[&format!("{origin}/x")], &[]);
    let reason = removed
        .first()
        .map(|r| r["reason"].as_str().unwrap().to_owned());
    assert_eq!(kept.len() + removed.len(), 1);
    (record, reason)
}

/// Item 2: Every coding a server may name is decoded, so the rules apply.
#[test]
fn every_content_coding_is_decoded_or_refused() {
    let site = Site::new();
    let names = [
        "gzip",
        "x-gzip",
        "GZIP",
        " Gzip ",
        "gzip, gzip",
        "identity, gzip",
        "deflate",
        "zstd",
        "br",
    ];
    for (i, name) in names.into_iter().enumerate() {
        let host = format!("enc{i}.test");
        let reply = Reply::new(200, encoded(name, DISALLOW_ALL)).header("Content-Encoding", name);
        site.server.set(&host, reply);
        let (record, reason) = fetch_and_judge(&site, &host, &[]);
        assert_eq!(record["outcome"], "ok", "{name}: {record:#}");
        assert_eq!(
            reason.as_deref(),
            Some("robots-disallow"),
            "{name}: {record:#}"
        );
    }
    // An unknown coding, or a body that does not decode, is unreachable:
    // its URLs are removed, never kept as a file without rules.
    let mut corrupt = gzip(DISALLOW_ALL);
    let n = corrupt.len();
    corrupt[n - 6] ^= 0xFF;
    for (host, body, name) in [
        ("unknown.test", DISALLOW_ALL.to_vec(), "compress"),
        ("corrupt.test", corrupt, "gzip"),
        ("plain-as-gzip.test", DISALLOW_ALL.to_vec(), "gzip"),
    ] {
        site.server
            .set(host, Reply::new(200, body).header("Content-Encoding", name));
        let (record, reason) = fetch_and_judge(&site, host, &[]);
        assert_eq!(record["outcome"], "bad-encoding", "{host}: {record:#}");
        assert_eq!(reason.as_deref(), Some("robots-unreachable"), "{host}");
    }
}

/// Compression bombs in every coding stop at the 500 KiB limit: the body
/// kept is the limit, flagged truncated, and its rules apply.
#[test]
fn compression_bombs_stop_at_the_limit() {
    let site = Site::new();
    let mut bomb = DISALLOW_ALL.to_vec();
    bomb.resize(64 << 20, b'\n');
    for (i, name) in ["gzip", "deflate", "zstd", "br", "gzip, gzip"]
        .into_iter()
        .enumerate()
    {
        let host = format!("bomb{i}.test");
        let body = encoded(name, &bomb);
        assert!(body.len() < 1 << 20, "{name}: a bomb is small");
        site.server.set(
            &host,
            Reply::new(200, body).header("Content-Encoding", name),
        );
        let (record, reason) = fetch_and_judge(&site, &host, &[]);
        assert_eq!(record["outcome"], "ok", "{name}: {record:#}");
        assert_eq!(record["truncated"], true, "{name}");
        assert_eq!(record["body_size"], 512_000, "{name}");
        assert_eq!(reason.as_deref(), Some("robots-disallow"), "{name}");
    }
}

/// An endless body is cut at the limit; many or huge headers make the
/// answer unreadable, which is unreachable (never allowed).
#[test]
fn endless_bodies_and_header_floods_are_bounded() {
    let site = Site::new();
    let (record, reason) = fetch_and_judge(&site, "endless.test", &[]);
    assert_eq!(record["outcome"], "ok", "{record:#}");
    assert_eq!(record["truncated"], true);
    assert_eq!(reason.as_deref(), Some("robots-disallow"));
    for host in ["manyheaders.test", "hugeheader.test"] {
        let (record, reason) = fetch_and_judge(&site, host, &["--retries", "0"]);
        assert!(record["outcome"] != "ok", "{host}: {record:#}");
        assert_eq!(
            reason.as_deref(),
            Some("robots-unreachable"),
            "{host}: {record:#}"
        );
    }
}

/// Item 10: Redirects to loopback literals, `localhost` or another port of
/// this machine are refused as `blocked-address`, and nothing internal is
/// stored; `--allow-private` permits them.
#[test]
fn redirects_into_private_space_are_refused() {
    let site = Site::new();
    let port = site.server.addr.port();
    let internal = "User-agent: *\nAllow: /\n# internal secret\n";
    site.server.set("127.0.0.2", Reply::new(200, internal));
    site.server.set("localhost", Reply::new(200, internal));
    for (host, location) in [
        ("lit.test", format!("http://127.0.0.2:{port}/robots.txt")),
        (
            "mapped.test",
            format!("http://[::ffff:127.0.0.2]:{port}/robots.txt"),
        ),
        ("port.test", format!("http://127.0.0.1:{port}/robots.txt")),
    ] {
        site.server.set(
            host,
            Reply::new(302, Vec::new()).header("Location", &location),
        );
        let (record, reason) = fetch_and_judge(&site, host, &[]);
        assert_eq!(record["outcome"], "blocked-address", "{host}: {record:#}");
        assert_eq!(reason.as_deref(), Some("robots-unreachable"), "{host}");
        let shown = site.show(&format!("http://{host}"));
        assert!(!shown.to_string().contains("internal secret"), "{shown}");
    }
    // `localhost` through the system resolver (answered from /etc/hosts;
    // no query leaves the machine): its loopback answer is refused.
    site.server.set(
        "local.test",
        Reply::new(302, Vec::new())
            .header("Location", &format!("http://localhost:{port}/robots.txt")),
    );
    let list = site.list(&["http://local.test/x"]);
    let cache = arg(&site.cache());
    let resolve = site.server.resolve();
    let args = [
        "fetch",
        &arg(&list),
        "--cache",
        &cache,
        "--resolve",
        &resolve,
        "--files",
        "none",
        "-q",
    ];
    let run = optout(&args, None);
    assert_eq!(run.code, 0, "{run:?}");
    let record = site.last("http://local.test");
    assert_eq!(record["outcome"], "blocked-address", "{record:#}");
    assert_eq!(site.server.hits("127.0.0.1"), 0);
    assert_eq!(site.server.hits("localhost"), 0);
    // Asked for, private addresses are reached.
    site.server.set("127.0.0.1", Reply::new(200, internal));
    let (record, _) = fetch_and_judge(&site, "port.test", &["--allow-private", "--max-age", "0s"]);
    assert_eq!(record["outcome"], "ok", "{record:#}");
    assert_eq!(site.server.hits("127.0.0.1"), 1);
}

/// Item 10: A corpus URL whose host is a private literal is not fetched.
#[test]
fn private_literals_in_a_corpus_are_not_fetched() {
    let site = Site::new();
    let port = site.server.addr.port();
    let origin = format!("http://127.0.0.3:{port}");
    let run = site.fetch(&[&format!("{origin}/x")], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let record = site.last(&origin);
    assert_eq!(record["outcome"], "blocked-address", "{record:#}");
    assert_eq!(site.server.total(), 0, "no request was made");
}

/// Item 11: `explain` never sends the credentials of a URL.
#[test]
fn explain_sends_no_credentials() {
    let site = Site::new();
    let mut args: Vec<String> = vec![
        "explain".into(),
        "http://user:secret@creds.test/page".into(),
    ];
    args.extend(site.net());
    args.push("--json".into());
    let run = optout(&args, None);
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    assert_eq!(site.server.last_header("creds.test", "authorization"), None);
    assert!(site.server.hits("creds.test") > 0);
}

/// Item 10: `--rsl fetch` does not follow a `License:` URL into private space:
/// the document cannot be had, so the content is unlicensed (removed).
#[test]
fn license_urls_into_private_space_are_refused() {
    let site = Site::new();
    let port = site.server.addr.port();
    let robots = format!("User-agent: *\nAllow: /\nLicense: http://127.0.0.1:{port}/license.xml\n");
    site.server
        .set_path("lic.test", "/robots.txt", Reply::new(200, robots));
    let run = site.fetch(&["http://lic.test/a"], &["--rsl", "fetch"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        site.server.hits("127.0.0.1"),
        0,
        "no request went to the literal"
    );
    let (kept, removed) = site.judge(&["http://lic.test/a"], &["--rsl", "fetch"]);
    assert!(kept.is_empty(), "{kept:?}");
    assert_eq!(removed[0]["reason"], "rsl", "{removed:?}");
    let shown = site.show("http://lic.test");
    assert!(shown.to_string().contains("blocked-address"), "{shown}");
}
