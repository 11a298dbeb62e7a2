//! A test HTTP server on 127.0.0.1 that plays many virtual hosts: it
//! dispatches on the `Host` header, so one listener and a `--resolve
//! '*.test=127.0.0.1:PORT'` override stand in for thousands of sites.
//! Nothing here ever connects anywhere.
//!
//! The first label of the host name picks the behaviour (the rest of the
//! name only makes hosts distinct):
//!
//! | label | answer to `/robots.txt` |
//! |---|---|
//! | `ok…` (and anything unknown) | 200, a small robots.txt, `ETag`; 304 to a matching `If-None-Match` |
//! | `s404`, `s401`, `s403`, `s410`, `s500`, `s503`, `s100`… | that status |
//! | `s429` | 429 with `Retry-After: 1` |
//! | `flaky` | 503 to the first request of the host, then as `ok` |
//! | `redirN` | 301 to `redirN-1.<rest>` (cross-host), `redir0` answers as `ok` |
//! | `relredir` | 302 to `/robots-real.txt` on the same host, then 200 |
//! | `loop` | 302 `/a` → 302 `/robots.txt` → … |
//! | `badloc` | 302 without `Location` |
//! | `slow` | headers and a first line, then nothing for 30 s |
//! | `stall` | nothing at all |
//! | `reset` | a TCP reset after reading the request |
//! | `cut` | announces 1,000 bytes, sends 100, closes |
//! | `big` | a 600 KiB robots.txt |
//! | `gzip` | the `ok` body gzip-encoded |
//! | `endless` | `User-agent: *`, `Disallow: /`, then comment lines without end (for at most 10 s) |
//! | `manyheaders` | 200 with 10,000 header lines |
//! | `hugeheader` | 200 with one 1 MiB header line |
//! | `html` | an HTML page as `text/html` |
//! | `bom` | a robots.txt starting with a UTF-8 BOM |
//! | `empty` | 200 with an empty body |
//! | `delay` | as `ok`, after 100 ms |
//! | `tocdn` | 301 to `cdn.<rest>` |
//! | `cdn` | as `ok`, after 20 ms |
//!
//! [`Server::set`] overrides the answer of one host, to change a site
//! between two runs; [`Server::set_path`] the answer of one path of a host,
//! to build a site with a tdmrep.json, an ai.txt or pages that carry
//! signals.

#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The body of `ok` hosts.
pub const OK_BODY: &str = "User-agent: *\nDisallow: /private/\n\nUser-agent: GPTBot\nDisallow: /\n";
/// Its `ETag`.
pub const OK_ETAG: &str = "\"ok-v1\"";

/// A canned answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: body.into(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

#[derive(Default)]
struct HostStats {
    hits: usize,
    in_flight: usize,
    max_in_flight: usize,
    last_headers: HashMap<String, String>,
}

#[derive(Default)]
struct State {
    hosts: Mutex<HashMap<String, HostStats>>,
    overrides: Mutex<HashMap<String, Reply>>,
    /// Answers by host and path, checked before `overrides`.
    paths: Mutex<HashMap<(String, String), Reply>>,
    /// Requests by host and path.
    path_hits: Mutex<HashMap<(String, String), usize>>,
    total: AtomicUsize,
}

/// A running server; it stops with the test process.
pub struct Server {
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl Server {
    /// Starts a server on 127.0.0.1 with a port of its own, on a thread
    /// with its own runtime.
    pub fn start() -> Server {
        Server::start_on("127.0.0.1:0")
    }

    /// Starts a server on `addr`, which must be a loopback address.
    pub fn start_on(addr: &str) -> Server {
        let addr: SocketAddr = addr.parse().expect("an IP:PORT address");
        assert!(
            addr.ip().is_loopback(),
            "the test server serves loopback only"
        );
        let state = Arc::new(State::default());
        let (tx, rx) = std::sync::mpsc::channel();
        let shared = Arc::clone(&state);
        std::thread::Builder::new()
            .name("test-http-server".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    let listener = TcpListener::bind(addr).await.unwrap();
                    tx.send(listener.local_addr().unwrap()).unwrap();
                    loop {
                        let Ok((stream, _)) = listener.accept().await else {
                            continue;
                        };
                        let state = Arc::clone(&shared);
                        tokio::spawn(async move {
                            let _ = serve(stream, state).await;
                        });
                    }
                });
            })
            .unwrap();
        let addr = rx.recv().unwrap();
        assert!(addr.ip().is_loopback());
        Server { addr, state }
    }

    /// The `--resolve` value that sends every `*.test` host here.
    pub fn resolve(&self) -> String {
        format!("*.test={}", self.addr)
    }

    /// Fetch options that send every `*.test` host here and let no other
    /// name resolve.
    pub fn fetch_options(&self) -> optout::fetch::FetchOptions {
        optout::fetch::FetchOptions {
            resolve: vec![
                self.resolve().parse().expect("a valid rule"),
                "*=-".parse().expect("a valid rule"),
            ],
            ..optout::fetch::FetchOptions::default()
        }
    }

    /// Requests served for `host`.
    pub fn hits(&self, host: &str) -> usize {
        self.state
            .hosts
            .lock()
            .unwrap()
            .get(host)
            .map_or(0, |s| s.hits)
    }

    /// The most requests that were in flight at once for `host`.
    pub fn max_in_flight(&self, host: &str) -> usize {
        self.state
            .hosts
            .lock()
            .unwrap()
            .get(host)
            .map_or(0, |s| s.max_in_flight)
    }

    /// A header of the last request for `host` (lower-case name).
    pub fn last_header(&self, host: &str, name: &str) -> Option<String> {
        self.state
            .hosts
            .lock()
            .unwrap()
            .get(host)
            .and_then(|s| s.last_headers.get(name).cloned())
    }

    /// Requests served in all.
    pub fn total(&self) -> usize {
        self.state.total.load(Ordering::SeqCst)
    }

    /// The most requests in flight at once for any one host.
    pub fn max_in_flight_any(&self) -> usize {
        self.state
            .hosts
            .lock()
            .unwrap()
            .values()
            .map(|s| s.max_in_flight)
            .max()
            .unwrap_or(0)
    }

    /// Answers every request for `host` with `reply` from now on.
    pub fn set(&self, host: &str, reply: Reply) {
        self.state
            .overrides
            .lock()
            .unwrap()
            .insert(host.into(), reply);
    }

    /// Sets the answer of one path of one host (the request's path, query
    /// included); other paths of the host answer as before.
    pub fn set_path(&self, host: &str, path: &str, reply: Reply) {
        self.state
            .paths
            .lock()
            .unwrap()
            .insert((host.into(), path.into()), reply);
    }

    /// Requests served for `path` of `host`.
    pub fn path_hits(&self, host: &str, path: &str) -> usize {
        self.state
            .path_hits
            .lock()
            .unwrap()
            .get(&(host.to_owned(), path.to_owned()))
            .copied()
            .unwrap_or(0)
    }
}

struct Request {
    path: String,
    host: String,
    headers: HashMap<String, String>,
}

async fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let mut headers = HashMap::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let host = headers
        .get("host")
        .map(|h| {
            h.rsplit_once(':')
                .map_or(h.as_str(), |(name, _)| name)
                .to_owned()
        })
        .unwrap_or_default();
    Ok(Some(Request {
        path,
        host,
        headers,
    }))
}

fn response(reply: &Reply) -> Vec<u8> {
    let mut out = Vec::new();
    write!(out, "HTTP/1.1 {} X\r\n", reply.status).unwrap();
    for (name, value) in &reply.headers {
        write!(out, "{name}: {value}\r\n").unwrap();
    }
    write!(out, "Content-Length: {}\r\n\r\n", reply.body.len()).unwrap();
    out.extend_from_slice(&reply.body);
    out
}

/// A 600 KiB robots.txt: `Disallow: /`, filler rules, then an `Allow`
/// that lies past the 500 KiB limit.
pub fn big_body() -> Vec<u8> {
    let mut body = b"User-agent: *\nDisallow: /\n".to_vec();
    let mut n = 0;
    while body.len() < 600 * 1024 {
        writeln!(body, "Disallow: /filler-{n:06}/").unwrap();
        n += 1;
    }
    body.extend_from_slice(b"Allow: /past-the-limit/\n");
    body
}

enum Action {
    Reply(Reply),
    Later(Duration, Reply),
    Slow,
    Stall,
    Reset,
    Cut,
    Endless,
    Raw(Vec<u8>),
}

fn ok_reply(req: &Request) -> Reply {
    if req.headers.get("if-none-match").map(String::as_str) == Some(OK_ETAG) {
        return Reply::new(304, Vec::new()).header("ETag", OK_ETAG);
    }
    Reply::new(200, OK_BODY)
        .header("ETag", OK_ETAG)
        .header("Last-Modified", "Mon, 02 Nov 2026 10:00:00 GMT")
}

fn act(req: &Request, hits: usize, state: &State) -> Action {
    let by_path = (req.host.clone(), req.path.clone());
    *state
        .path_hits
        .lock()
        .unwrap()
        .entry(by_path.clone())
        .or_default() += 1;
    if let Some(reply) = state.paths.lock().unwrap().get(&by_path) {
        return Action::Reply(reply.clone());
    }
    if let Some(reply) = state.overrides.lock().unwrap().get(&req.host) {
        return Action::Reply(reply.clone());
    }
    let (label, rest) = req.host.split_once('.').unwrap_or((&req.host, ""));
    let redirect = |status: u16, location: &str| {
        Action::Reply(Reply::new(status, Vec::new()).header("Location", location))
    };
    if let Some(n) = label
        .strip_prefix("redir")
        .and_then(|n| n.parse::<u32>().ok())
    {
        if n == 0 {
            return Action::Reply(ok_reply(req));
        }
        let port = req
            .headers
            .get("host")
            .and_then(|h| h.rsplit_once(':'))
            .map_or(String::new(), |(_, p)| format!(":{p}"));
        return redirect(
            301,
            &format!("http://redir{}.{rest}{port}/robots.txt", n - 1),
        );
    }
    if let Some(code) = label.strip_prefix('s').and_then(|c| c.parse::<u16>().ok()) {
        let reply = Reply::new(code, format!("status {code}\n"));
        return Action::Reply(if code == 429 {
            reply.header("Retry-After", "1")
        } else {
            reply
        });
    }
    // Digits at the end of a label only make hosts distinct.
    match label.trim_end_matches(|c: char| c.is_ascii_digit()) {
        "flaky" if hits == 1 => Action::Reply(Reply::new(503, "try again\n")),
        "relredir" if req.path == "/robots.txt" => redirect(302, "/robots-real.txt"),
        "loop" if req.path == "/robots.txt" => redirect(302, "/a"),
        "loop" => redirect(302, "/robots.txt"),
        "badloc" => Action::Reply(Reply::new(302, Vec::new())),
        "slow" => Action::Slow,
        "stall" => Action::Stall,
        "reset" => Action::Reset,
        "cut" => Action::Cut,
        "big" => Action::Reply(Reply::new(200, big_body())),
        "gzip" => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(OK_BODY.as_bytes()).unwrap();
            let body = encoder.finish().unwrap();
            let accepts = req
                .headers
                .get("accept-encoding")
                .is_some_and(|v| v.contains("gzip"));
            Action::Reply(if accepts {
                Reply::new(200, body).header("Content-Encoding", "gzip")
            } else {
                Reply::new(200, OK_BODY)
            })
        }
        "endless" => Action::Endless,
        "manyheaders" => {
            let mut raw = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n".to_vec();
            for i in 0..10_000 {
                write!(raw, "X-Filler-{i}: x\r\n").unwrap();
            }
            raw.extend_from_slice(b"\r\n");
            Action::Raw(raw)
        }
        "hugeheader" => {
            let mut raw = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Huge: ".to_vec();
            raw.resize(raw.len() + (1 << 20), b'x');
            raw.extend_from_slice(b"\r\n\r\n");
            Action::Raw(raw)
        }
        "html" => Action::Reply(Reply {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: b"<!DOCTYPE html>\n<html><head><title>Home</title></head><body>Welcome</body></html>\n"
                .to_vec(),
        }),
        "bom" => Action::Reply(Reply::new(
            200,
            b"\xEF\xBB\xBFUser-agent: *\nDisallow: /bom/\n".to_vec(),
        )),
        "empty" => Action::Reply(Reply::new(200, Vec::new())),
        "delay" => Action::Later(Duration::from_millis(100), ok_reply(req)),
        "cdn" => Action::Later(Duration::from_millis(20), ok_reply(req)),
        "tocdn" => {
            let port = req
                .headers
                .get("host")
                .and_then(|h| h.rsplit_once(':'))
                .map_or(String::new(), |(_, p)| format!(":{p}"));
            redirect(301, &format!("http://cdn.{rest}{port}/robots.txt"))
        }
        _ => Action::Reply(ok_reply(req)),
    }
}

async fn serve(stream: TcpStream, state: Arc<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    while let Some(req) = read_request(&mut reader).await? {
        state.total.fetch_add(1, Ordering::SeqCst);
        let hits = {
            let mut hosts = state.hosts.lock().unwrap();
            let stats = hosts.entry(req.host.clone()).or_default();
            stats.hits += 1;
            stats.in_flight += 1;
            stats.max_in_flight = stats.max_in_flight.max(stats.in_flight);
            stats.last_headers = req.headers.clone();
            stats.hits
        };
        let action = act(&req, hits, &state);
        let done = |state: &State| {
            if let Some(stats) = state.hosts.lock().unwrap().get_mut(&req.host) {
                stats.in_flight -= 1;
            }
        };
        match action {
            Action::Later(wait, reply) => {
                tokio::time::sleep(wait).await;
                let stream = reader.get_mut();
                let result = stream.write_all(&response(&reply)).await;
                done(&state);
                result?;
            }
            Action::Reply(reply) => {
                let stream = reader.get_mut();
                let result = stream.write_all(&response(&reply)).await;
                done(&state);
                result?;
            }
            Action::Slow => {
                let stream = reader.get_mut();
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\nUser-agent: *\n")
                    .await?;
                tokio::time::sleep(Duration::from_secs(30)).await;
                done(&state);
                return Ok(());
            }
            Action::Stall => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                done(&state);
                return Ok(());
            }
            Action::Reset => {
                done(&state);
                // A zero linger turns the close into a reset.
                reader.get_ref().set_zero_linger()?;
                return Ok(());
            }
            Action::Endless => {
                let stream = reader.get_mut();
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nUser-agent: *\nDisallow: /\n")
                    .await?;
                let line = b"# and so on, and so on, and so on\n".repeat(1000);
                let until = tokio::time::Instant::now() + Duration::from_secs(10);
                // Bounded: the client stops reading, or 10 s pass.
                while tokio::time::Instant::now() < until {
                    if stream.write_all(&line).await.is_err() {
                        break;
                    }
                }
                done(&state);
                return Ok(());
            }
            Action::Raw(raw) => {
                let stream = reader.get_mut();
                let result = stream.write_all(&raw).await;
                done(&state);
                result?;
                return Ok(());
            }
            Action::Cut => {
                let stream = reader.get_mut();
                let mut partial =
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n"
                        .to_vec();
                partial.extend_from_slice(&[b'#'; 100]);
                stream.write_all(&partial).await?;
                stream.flush().await?;
                done(&state);
                return Ok(());
            }
        }
    }
    let _ = reader.read(&mut [0; 1]).await;
    Ok(())
}
