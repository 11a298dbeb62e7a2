//! Fetching robots.txt: the only network code of optout (tokio + reqwest).
//!
//! A [`Fetcher`] asks each origin for `/robots.txt` with RFC 9309 semantics
//! and turns every answer, or the lack of one, into a [`FetchRecord`]
//! ([`outcome`] documents every outcome and its effect on access):
//!
//! * redirects are followed by hand, at most [`FetchOptions::max_redirects`]
//!   (5, RFC 9309 §2.3.1.2), across hosts and between `http` and `https`;
//!   the chain is recorded and the rules apply to the first origin;
//! * the body is read up to [`FetchOptions::body_limit`] (500 KiB,
//!   §2.5); a longer one is cut and flagged, never refused;
//! * content codings are decoded here ([`encoding`]: gzip, deflate, br,
//!   zstd, chained, any case); an unknown one or a body that does not
//!   decode is `bad-encoding`, never a file without rules; the limit
//!   applies to the decoded bytes, so a compression bomb stops at 500 KiB;
//! * only public addresses are connected to ([`guard`]), unless
//!   `--resolve` names the address or `allow_private` is set; URL
//!   credentials are never sent;
//! * unreachable outcomes (429, 5xx, network failures) are retried with
//!   backoff that honours `Retry-After` ([`retry`]), inside a per-request
//!   timeout and a total deadline per origin;
//! * politeness ([`politeness`]): at most one request in flight per host,
//!   a global limit on origins in flight, one fetch per origin however many
//!   callers ask, DNS answers cached ([`resolve`]).
//!
//! What happens to the records (the cache) is the caller's business:
//! [`Fetcher::run`] sends them into a channel as they finish.

pub mod encoding;
pub mod guard;
pub mod outcome;
pub mod page;
pub mod politeness;
pub mod refresh;
pub mod resolve;
pub mod retry;

use std::error::Error as StdError;
use std::future::Future;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{self, HeaderMap};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use url::Url;

use crate::error::{Error, Result};
use crate::origin::{Origin, SiteFile};
use crate::signals::robots::{PARSE_LIMIT, looks_like_html};
use crate::time;

pub use outcome::{Attempt, FetchRecord, Hop, Outcome, Unreachable, Validators};
pub use politeness::{HostLocks, SingleFlight};
pub use resolve::{ResolveRule, Resolver};
pub use retry::RetryPolicy;

/// The `User-Agent` sent when none is set. It starts with optout's product
/// token (RFC 9309 §2.2.1 asks that the token be part of the string) and
/// says how an operator adds a contact.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "optout/",
    env!("CARGO_PKG_VERSION"),
    " (robots.txt and AI opt-out checker; operator contact not set: use --user-agent 'optout/",
    env!("CARGO_PKG_VERSION"),
    " (+https://your.example/contact)')"
);

/// How a [`Fetcher`] behaves. The defaults follow RFC 9309 and SIGNALS.md
/// §2.
#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Time allowed for one request, from connect to the body's end.
    pub timeout: Duration,
    /// Time allowed for one origin, retries and backoff included.
    pub deadline: Duration,
    /// Origins in flight at once.
    pub concurrency: usize,
    /// Redirects followed; one more is `redirect-limit`.
    pub max_redirects: usize,
    /// Retries of unreachable outcomes.
    pub retry: RetryPolicy,
    /// Body bytes kept; more is `truncated`.
    pub body_limit: usize,
    /// `--resolve` overrides. When there are any, proxies from the
    /// environment (`HTTP_PROXY`, …) are not used.
    pub resolve: Vec<ResolveRule>,
    /// Connect to loopback, private and other non-public addresses too
    /// (see [`guard`]); off by default.
    pub allow_private: bool,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            timeout: Duration::from_secs(10),
            deadline: Duration::from_secs(60),
            concurrency: 256,
            max_redirects: 5,
            retry: RetryPolicy::default(),
            body_limit: PARSE_LIMIT,
            resolve: Vec::new(),
            allow_private: false,
        }
    }
}

/// One origin to fetch: which of its files, each with the validators of
/// its stored copy.
#[derive(Clone, Debug)]
pub struct Job {
    /// The origin.
    pub origin: Origin,
    /// The files, in order; robots.txt, when present, comes first. Each
    /// file's validators are sent as `If-None-Match` / `If-Modified-Since`
    /// when present.
    pub files: Vec<(SiteFile, Validators)>,
    /// The RSL document's URL from the stored robots.txt; a robots.txt
    /// fetched in the job overrides it.
    pub license: Option<String>,
}

impl Job {
    /// A job for the origin's robots.txt only.
    #[must_use]
    pub fn robots(origin: Origin, validators: Validators) -> Job {
        Job {
            origin,
            files: vec![(SiteFile::Robots, validators)],
            license: None,
        }
    }
}

/// How [`Fetcher::run`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunEnd {
    /// Jobs whose records were all handed to the channel.
    pub finished: usize,
    /// Jobs not finished (interrupted, or the channel closed).
    pub unfinished: usize,
    /// The shutdown signal fired.
    pub interrupted: bool,
}

/// Fetches robots.txt files. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Fetcher {
    client: reqwest::Client,
    options: FetchOptions,
    hosts: HostLocks,
    flights: SingleFlight<(Origin, SiteFile), Arc<FetchRecord>>,
    seed: foldhash::fast::RandomState,
}

impl Fetcher {
    /// A fetcher with `options`.
    ///
    /// # Errors
    ///
    /// When the HTTP client cannot be built (bad `User-Agent`, no TLS).
    pub fn new(options: FetchOptions) -> Result<Fetcher> {
        if options.concurrency == 0 {
            return Err(Error::config("the concurrency must be at least 1"));
        }
        let resolver = Resolver::new(options.resolve.clone()).allow_private(options.allow_private);
        let mut builder = reqwest::Client::builder();
        if !options.resolve.is_empty() {
            // Overrides say where to connect: a proxy from the environment
            // would send that traffic elsewhere (and tests to the network).
            builder = builder.no_proxy();
        }
        let client = builder
            .user_agent(options.user_agent.as_str())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .dns_resolver(Arc::new(resolver))
            // Origins are many and one request each: an idle connection
            // per host would only hold a socket and its buffers (20,000
            // hosts kept 350 MB alive in the bench).
            .pool_max_idle_per_host(0)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| crate::ErrorKind::Fetch(error_chain(&e)))?;
        Ok(Fetcher {
            client,
            options,
            hosts: HostLocks::default(),
            flights: SingleFlight::default(),
            seed: foldhash::fast::RandomState::default(),
        })
    }

    /// The options.
    #[must_use]
    pub fn options(&self) -> &FetchOptions {
        &self.options
    }

    /// Fetches `origin`'s robots.txt, with retries, within the origin's
    /// deadline. Concurrent calls for one origin share one fetch.
    pub async fn fetch(&self, origin: &Origin, validators: &Validators) -> Arc<FetchRecord> {
        self.fetch_file(origin, SiteFile::Robots, validators).await
    }

    /// Fetches one of `origin`'s files, with the same rules as robots.txt:
    /// redirects, limits, retries, deadline. A 4xx other than 429 means
    /// the origin has no such file.
    pub async fn fetch_file(
        &self,
        origin: &Origin,
        file: SiteFile,
        validators: &Validators,
    ) -> Arc<FetchRecord> {
        self.fetch_url(origin, file, &origin.file_url(file), validators)
            .await
    }

    /// Fetches `url` as `origin`'s `file` (the RSL document, whose URL
    /// robots.txt gives).
    pub async fn fetch_url(
        &self,
        origin: &Origin,
        file: SiteFile,
        url: &str,
        validators: &Validators,
    ) -> Arc<FetchRecord> {
        let key = (origin.clone(), file);
        self.flights
            .run(&key, || async {
                Arc::new(self.fetch_uncached(origin, file, url, validators).await)
            })
            .await
    }

    /// Fetches a job's files in order; after an unreachable robots.txt the
    /// rest are not asked for: the origin is fully disallowed whatever
    /// they say, and a failing server is not sent more requests.
    pub async fn fetch_job(&self, job: &Job) -> Vec<Arc<FetchRecord>> {
        let mut records = Vec::with_capacity(job.files.len());
        let mut license = job.license.clone();
        for (file, validators) in &job.files {
            let record = match file {
                SiteFile::Rsl => {
                    let Some(url) = &license else { continue };
                    self.fetch_url(&job.origin, *file, url, validators).await
                }
                _ => self.fetch_file(&job.origin, *file, validators).await,
            };
            let stop = *file == SiteFile::Robots && record.outcome.is_unreachable();
            if *file == SiteFile::Robots {
                if let Some(body) = &record.body {
                    license = crate::signals::robots::RobotsTxt::parse(body)
                        .origin_license(&record.url)
                        .map(|(url, _)| url);
                }
            }
            records.push(record);
            if stop {
                break;
            }
        }
        records
    }

    async fn fetch_uncached(
        &self,
        origin: &Origin,
        file: SiteFile,
        url: &str,
        validators: &Validators,
    ) -> FetchRecord {
        let started = time::now();
        let deadline = Instant::now() + self.options.deadline;
        let seed = self.seed.hash_one(origin);
        let mut attempt = 0;
        let mut earlier = Vec::new();
        loop {
            attempt += 1;
            let left = deadline.saturating_duration_since(Instant::now());
            let mut record = match tokio::time::timeout(
                left,
                self.attempt(origin, file, url, validators, started),
            )
            .await
            {
                Ok(record) => record,
                Err(_) => {
                    let mut record = FetchRecord::new(origin, file, started);
                    record.url = url.to_owned();
                    record.final_url = url.to_owned();
                    record.outcome = Outcome::Unreachable(Unreachable::Timeout);
                    record.detail = format!(
                        "no answer within the origin's deadline of {}",
                        humantime::format_duration(self.options.deadline)
                    );
                    record
                }
            };
            record.attempts = attempt;
            record.finished_at = time::now();
            record.earlier.clone_from(&earlier);
            let wait = self.options.retry.wait(
                record.outcome,
                attempt,
                record.retry_after.as_deref(),
                SystemTime::now(),
                seed,
            );
            match wait {
                Some(wait) if Instant::now() + wait < deadline => {
                    earlier.push(Attempt {
                        at: record.finished_at,
                        status: record.status,
                        outcome: record.outcome,
                        detail: record.detail,
                    });
                    tokio::time::sleep(wait).await;
                }
                _ => return record,
            }
        }
    }

    /// One attempt: the request and its redirects.
    async fn attempt(
        &self,
        origin: &Origin,
        file: SiteFile,
        url: &str,
        validators: &Validators,
        started: time::Millis,
    ) -> FetchRecord {
        let mut record = FetchRecord::new(origin, file, started);
        record.url = url.to_owned();
        record.final_url = url.to_owned();
        let Ok(mut url) = Url::parse(&record.url) else {
            record.outcome = Outcome::Unreachable(Unreachable::BadRedirect);
            record.detail = format!("`{}` is not a URL", record.url);
            return record;
        };
        loop {
            strip_credentials(&mut url);
            record.final_url = url.to_string();
            if let Some(why) = self.refused(&url) {
                record.outcome = Outcome::Unreachable(Unreachable::Blocked);
                record.detail = why;
                return record;
            }
            let host = url.host_str().unwrap_or_default().to_owned();
            let _turn = self.hosts.lock(&host).await;
            let mut request = self
                .client
                .get(url.clone())
                .header(header::ACCEPT_ENCODING, encoding::ACCEPT);
            if let Some(etag) = &validators.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(modified) = &validators.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, modified);
            }
            let response = match request.send().await {
                Ok(response) => response,
                Err(e) => {
                    let (why, detail) = classify(&e, false);
                    record.outcome = Outcome::Unreachable(why);
                    record.detail = detail;
                    return record;
                }
            };
            let status = response.status().as_u16();
            record.status = Some(status);
            read_headers(&mut record, response.headers());
            match status {
                304 if !validators.is_empty() => {
                    record.outcome = Outcome::NotModified;
                    record.detail = "not modified: the stored copy is current".into();
                    return record;
                }
                300..=399 if status != 304 => {
                    record.redirects.push(Hop {
                        url: url.to_string(),
                        status,
                    });
                    let Some(next) = redirect_target(&url, response.headers()) else {
                        record.outcome = Outcome::Unreachable(Unreachable::BadRedirect);
                        record.detail = format!("{status} without a usable http(s) `Location`");
                        return record;
                    };
                    if next == url || record.redirects.iter().any(|hop| hop.url == next.as_str()) {
                        record.outcome = Outcome::Unreachable(Unreachable::RedirectLoop);
                        record.detail = format!("redirect loop back to `{next}`");
                        record.final_url = next.to_string();
                        return record;
                    }
                    if record.redirects.len() > self.options.max_redirects {
                        record.outcome = Outcome::Unreachable(Unreachable::RedirectLimit);
                        record.detail = format!(
                            "more than {} redirects (next: `{next}`)",
                            self.options.max_redirects
                        );
                        record.final_url = next.to_string();
                        return record;
                    }
                    url = next;
                }
                200..=299 => {
                    self.read_body(&mut record, response).await;
                    return record;
                }
                429 => {
                    record.outcome = Outcome::Unreachable(Unreachable::RateLimited);
                    record.detail = "429 Too Many Requests".into();
                    return record;
                }
                400..=499 => {
                    record.outcome = Outcome::Unavailable;
                    record.detail = match file {
                        SiteFile::Robots => {
                            format!("{status}: no robots.txt, no restrictions (RFC 9309 §2.3.1.3)")
                        }
                        SiteFile::Rsl => format!(
                            "{status}: the license document cannot be had: unlicensed (RSL 1.0)"
                        ),
                        other => format!("{status}: no {}, no statement", other.name()),
                    };
                    return record;
                }
                500..=599 => {
                    record.outcome = Outcome::Unreachable(Unreachable::ServerError);
                    record.detail = format!("{status} server error");
                    return record;
                }
                _ => {
                    record.outcome = Outcome::Unreachable(Unreachable::UnexpectedStatus);
                    record.detail = format!("unexpected status {status}");
                    return record;
                }
            }
        }
    }

    /// Why `url` may not be fetched, if it may not: an IP literal that is
    /// not a public address (names are checked when they resolve).
    pub(crate) fn refused(&self, url: &Url) -> Option<String> {
        if self.options.allow_private {
            return None;
        }
        let host = url.host()?;
        let why = guard::literal_refused(&host)?;
        // A `--resolve` rule for the literal is the user's own choice.
        let named = self
            .options
            .resolve
            .iter()
            .any(|r| r.addr().is_some() && r.matches(&host.to_string().to_ascii_lowercase()));
        (!named).then(|| {
            let host = host.to_string();
            guard::BlockedAddress { host, why }.to_string()
        })
    }

    async fn read_body(&self, record: &mut FetchRecord, mut response: reqwest::Response) {
        let limit = self.options.body_limit;
        let body = match read_decoded(&mut response, limit).await {
            Ok(decoded) => {
                record.truncated = decoded.truncated;
                decoded.body
            }
            Err((why, detail)) => {
                record.outcome = Outcome::Unreachable(why);
                record.detail = detail;
                return;
            }
        };
        record.outcome = Outcome::Ok;
        let html_type = record
            .content_type
            .as_deref()
            .is_some_and(|t| t.to_ascii_lowercase().starts_with("text/html"));
        record.html = html_type || looks_like_html(&body);
        record.detail = match (record.truncated, body.is_empty()) {
            (true, _) => format!("body longer than {limit} bytes: the first {limit} are kept"),
            (false, true) => "empty body: no rules".into(),
            (false, false) => String::new(),
        };
        record.sha256 = Some(crate::digest::sha256_hex(&body));
        record.body = Some(body);
    }

    /// Fetches every job, at most [`FetchOptions::concurrency`] at once, and
    /// sends each record into `records` as it finishes. Stops early when
    /// `shutdown` completes (fetches in flight are dropped and count as
    /// unfinished) or when `records` is closed.
    pub async fn run(
        self: &Arc<Self>,
        jobs: Vec<Job>,
        records: mpsc::Sender<Arc<FetchRecord>>,
        shutdown: impl Future<Output = ()>,
    ) -> RunEnd {
        let total = jobs.len();
        let mut pending = jobs.into_iter();
        let mut set = JoinSet::new();
        let mut end = RunEnd {
            finished: 0,
            unfinished: 0,
            interrupted: false,
        };
        tokio::pin!(shutdown);
        loop {
            while set.len() < self.options.concurrency {
                let Some(job) = pending.next() else { break };
                let fetcher = Arc::clone(self);
                set.spawn(async move { fetcher.fetch_job(&job).await });
            }
            if set.is_empty() {
                break;
            }
            tokio::select! {
                biased;
                () = &mut shutdown => {
                    end.interrupted = true;
                    break;
                }
                joined = set.join_next() => {
                    let Some(joined) = joined else { break };
                    // A fetch task only ends by returning or by abort.
                    let Ok(done) = joined else { continue };
                    for record in done {
                        if records.send(record).await.is_err() {
                            break;
                        }
                    }
                    end.finished += 1;
                }
            }
        }
        set.abort_all();
        end.unfinished = total - end.finished;
        end
    }
}

/// The body of `response`, its content codings undone, at most `limit`
/// bytes; the error is the unreachable class and its detail. Encoded bytes
/// are read up to 8 times the limit: enough for any body that decodes to
/// less than the limit, bounded whatever the server sends.
async fn read_decoded(
    response: &mut reqwest::Response,
    limit: usize,
) -> std::result::Result<encoding::Decoded, (Unreachable, String)> {
    let named = header_text(response.headers(), header::CONTENT_ENCODING);
    let codings = match named.as_deref().map(encoding::parse) {
        None => Vec::new(),
        Some(Ok(codings)) => codings,
        Some(Err(why)) => return Err((Unreachable::Encoding, why)),
    };
    let raw_limit = if codings.is_empty() {
        limit
    } else {
        limit.saturating_mul(8)
    };
    let mut body = Vec::new();
    let mut cut = false;
    loop {
        match response.chunk().await {
            Ok(Some(bytes)) => {
                let room = raw_limit - body.len();
                if bytes.len() > room {
                    body.extend_from_slice(&bytes[..room]);
                    cut = true;
                    break;
                }
                body.extend_from_slice(&bytes);
            }
            Ok(None) => break,
            Err(e) => {
                let (why, detail) = classify(&e, true);
                return Err((why, format!("after {} body bytes: {detail}", body.len())));
            }
        }
    }
    if codings.is_empty() {
        return Ok(encoding::Decoded {
            body,
            truncated: cut,
        });
    }
    encoding::decode(&body, &codings, limit, !cut).map_err(|why| {
        let named = named.unwrap_or_default();
        (
            Unreachable::Encoding,
            format!("Content-Encoding `{named}`: {why}"),
        )
    })
}

/// Removes `user:password@` from `url`: credentials in a corpus URL or a
/// `Location` are never sent (the client would send them as
/// `Authorization: Basic`).
pub(crate) fn strip_credentials(url: &mut Url) {
    if !url.username().is_empty() || url.password().is_some() {
        let _ = url.set_username("");
        let _ = url.set_password(None);
    }
}

/// Where a redirect from `url` points: its `Location`, resolved, when it
/// is an http(s) URL with a host.
fn redirect_target(url: &Url, headers: &HeaderMap) -> Option<Url> {
    headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|location| url.join(location).ok())
        .filter(|next| matches!(next.scheme(), "http" | "https") && next.host_str().is_some())
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

fn read_headers(record: &mut FetchRecord, headers: &HeaderMap) {
    record.etag = header_text(headers, header::ETAG);
    record.last_modified = header_text(headers, header::LAST_MODIFIED);
    record.content_type = header_text(headers, header::CONTENT_TYPE);
    record.content_encoding = header_text(headers, header::CONTENT_ENCODING);
    record.retry_after = header_text(headers, header::RETRY_AFTER);
}

/// The error and its causes, joined, for the record's detail.
fn error_chain(e: &dyn StdError) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

/// Sorts a transport failure into an unreachable class. `in_body` is true
/// when the answer had started: a failure then is a cut transfer.
fn classify(e: &reqwest::Error, in_body: bool) -> (Unreachable, String) {
    let detail = error_chain(e);
    if e.is_timeout() {
        return (Unreachable::Timeout, detail);
    }
    let mut source: Option<&dyn StdError> = e.source();
    while let Some(cause) = source {
        if cause.is::<resolve::DnsError>() {
            return (Unreachable::Dns, detail);
        }
        if cause.is::<guard::BlockedAddress>() {
            return (Unreachable::Blocked, detail);
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            match io.kind() {
                K::TimedOut => return (Unreachable::Timeout, detail),
                K::ConnectionRefused => return (Unreachable::Connect, detail),
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => {
                    return (Unreachable::Reset, detail);
                }
                _ => {}
            }
        }
        source = cause.source();
    }
    if in_body || e.is_body() || e.is_decode() {
        (Unreachable::TruncatedTransfer, detail)
    } else if e.is_connect() {
        (Unreachable::Connect, detail)
    } else if e.is_request() {
        // Connected, but the answer never came whole: the server closed
        // the connection mid-answer.
        (Unreachable::Reset, detail)
    } else {
        (Unreachable::Network, detail)
    }
}
