//! What one robots.txt fetch produced, as data: the outcome class, the
//! redirect chain, the validators and the body. Never `Option`: every way a
//! fetch can end has a variant and a documented effect on access
//! (RFC 9309 §2.3.1; design notes SIGNALS.md §1.2).
//!
//! | outcome | when | effect |
//! |---|---|---|
//! | `ok` | 2xx after at most 5 redirects | the body's rules apply |
//! | `not-modified` | 304 to a conditional request | the stored body's rules apply |
//! | `unavailable` | 4xx other than 429 | no restrictions (§2.3.1.3) |
//! | `rate-limited` | 429 | unreachable: complete disallow |
//! | `server-error` | 5xx | unreachable |
//! | `unexpected-status` | 1xx, a 3xx that is not a redirect, 304 unasked | unreachable |
//! | `redirect-limit` | more than 5 redirects | unreachable |
//! | `redirect-loop` | a redirect back to a URL of the chain | unreachable |
//! | `bad-redirect` | a 3xx without a usable `Location` | unreachable |
//! | `dns` | the host name does not resolve | unreachable |
//! | `connect` | connection refused or failed | unreachable |
//! | `reset` | connection reset or closed mid-answer | unreachable |
//! | `timeout` | no complete answer within the request timeout or the origin's deadline | unreachable |
//! | `truncated-transfer` | the body ended before its announced end | unreachable |
//! | `network` | any other transport failure (TLS, protocol) | unreachable |
//! | `blocked-address` | the host, or a redirect, leads to a loopback, private or other non-public address (`--allow-private` permits them) | unreachable |
//! | `bad-encoding` | the body's `Content-Encoding` is unknown, or the body does not decode in it | unreachable |
//!
//! Unreachable outcomes are retried with backoff (see `retry`); the one
//! recorded is the last attempt's. A body longer than the parse limit is
//! not an error: its first 500 KiB are kept and `truncated` is set.

use std::fmt;

use serde::Serialize;

use crate::origin::{Origin, SiteFile};
use crate::time::Millis;

/// How a fetch ended. Serialised as its [`Outcome::code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// 2xx: the body is the robots.txt.
    Ok,
    /// 304 to a conditional request: the stored body is still current.
    NotModified,
    /// 4xx other than 429: there is no robots.txt; no restrictions.
    Unavailable,
    /// The robots.txt could not be obtained: complete disallow.
    Unreachable(Unreachable),
}

/// Why a robots.txt is unreachable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unreachable {
    /// 429 Too Many Requests.
    RateLimited,
    /// 5xx.
    ServerError,
    /// A status that is neither success, redirect, 4xx nor 5xx.
    UnexpectedStatus,
    /// More redirects than allowed.
    RedirectLimit,
    /// A redirect back to a URL already in the chain.
    RedirectLoop,
    /// A redirect without a usable `Location`.
    BadRedirect,
    /// The host name did not resolve.
    Dns,
    /// The connection could not be made.
    Connect,
    /// The connection was reset or closed mid-answer.
    Reset,
    /// The request timeout or the origin's deadline passed.
    Timeout,
    /// The body ended before its announced length.
    TruncatedTransfer,
    /// Any other transport failure.
    Network,
    /// The address is not public: refused before connecting.
    Blocked,
    /// The body is in a content coding that is unknown or does not decode.
    Encoding,
}

impl Outcome {
    /// Every outcome code, in the order of the table above.
    pub const ALL: [Outcome; 17] = [
        Outcome::Ok,
        Outcome::NotModified,
        Outcome::Unavailable,
        Outcome::Unreachable(Unreachable::RateLimited),
        Outcome::Unreachable(Unreachable::ServerError),
        Outcome::Unreachable(Unreachable::UnexpectedStatus),
        Outcome::Unreachable(Unreachable::RedirectLimit),
        Outcome::Unreachable(Unreachable::RedirectLoop),
        Outcome::Unreachable(Unreachable::BadRedirect),
        Outcome::Unreachable(Unreachable::Dns),
        Outcome::Unreachable(Unreachable::Connect),
        Outcome::Unreachable(Unreachable::Reset),
        Outcome::Unreachable(Unreachable::Timeout),
        Outcome::Unreachable(Unreachable::TruncatedTransfer),
        Outcome::Unreachable(Unreachable::Network),
        Outcome::Unreachable(Unreachable::Blocked),
        Outcome::Unreachable(Unreachable::Encoding),
    ];

    /// The stable code, as stored in the cache and shown in reports.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::NotModified => "not-modified",
            Outcome::Unavailable => "unavailable",
            Outcome::Unreachable(u) => match u {
                Unreachable::RateLimited => "rate-limited",
                Unreachable::ServerError => "server-error",
                Unreachable::UnexpectedStatus => "unexpected-status",
                Unreachable::RedirectLimit => "redirect-limit",
                Unreachable::RedirectLoop => "redirect-loop",
                Unreachable::BadRedirect => "bad-redirect",
                Unreachable::Dns => "dns",
                Unreachable::Connect => "connect",
                Unreachable::Reset => "reset",
                Unreachable::Timeout => "timeout",
                Unreachable::TruncatedTransfer => "truncated-transfer",
                Unreachable::Network => "network",
                Unreachable::Blocked => "blocked-address",
                Unreachable::Encoding => "bad-encoding",
            },
        }
    }

    /// The outcome of a stable code.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.code() == code)
    }

    /// What the outcome means for access: `ok` (a body decides),
    /// `unavailable` (no restrictions) or `unreachable` (complete disallow).
    #[must_use]
    pub fn class(self) -> &'static str {
        match self {
            Outcome::Ok | Outcome::NotModified => "ok",
            Outcome::Unavailable => "unavailable",
            Outcome::Unreachable(_) => "unreachable",
        }
    }

    /// Whether the outcome is unreachable (complete disallow).
    #[must_use]
    pub fn is_unreachable(self) -> bool {
        matches!(self, Outcome::Unreachable(_))
    }

    /// Whether trying again later may give another answer.
    #[must_use]
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Outcome::Unreachable(
                Unreachable::RateLimited
                    | Unreachable::ServerError
                    | Unreachable::Connect
                    | Unreachable::Reset
                    | Unreachable::Timeout
                    | Unreachable::TruncatedTransfer
                    | Unreachable::Network
            )
        )
    }
}

impl Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Outcome {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Outcome::from_code(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown fetch outcome `{code}`")))
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One redirect of a chain: the URL that answered with a 3xx.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Hop {
    /// The URL requested.
    pub url: String,
    /// Its 3xx status.
    pub status: u16,
}

/// An attempt that was retried: what it got, kept as evidence beside the
/// final answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Attempt {
    /// When the attempt ended (ms since the epoch).
    pub at: Millis,
    /// Its HTTP status, when an answer came.
    pub status: Option<u16>,
    /// Its outcome.
    pub outcome: Outcome,
    /// What went wrong.
    pub detail: String,
}

/// The validators of a stored copy, sent to revalidate it (RFC 9110
/// §13.1: `If-None-Match`, `If-Modified-Since`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Validators {
    /// The stored `ETag`.
    pub etag: Option<String>,
    /// The stored `Last-Modified`.
    pub last_modified: Option<String>,
}

impl Validators {
    /// Whether there is anything to send.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// Everything known about one fetch of an origin's robots.txt: what the
/// cache stores for every attempt, and what evidence cites.
#[derive(Clone, Debug)]
pub struct FetchRecord {
    /// The origin the rules apply to (the first URL's, whatever the
    /// redirects: RFC 9309 §2.3.1.2).
    pub origin: Origin,
    /// When the first request was sent.
    pub started_at: Millis,
    /// When the outcome was known.
    pub finished_at: Millis,
    /// Which file of the origin.
    pub file: SiteFile,
    /// The URL first requested: the origin's file.
    pub url: String,
    /// The URL that gave the final answer.
    pub final_url: String,
    /// The redirects followed, in order.
    pub redirects: Vec<Hop>,
    /// The final HTTP status; `None` when no answer came.
    pub status: Option<u16>,
    /// How the fetch ended.
    pub outcome: Outcome,
    /// A human explanation (the error, the status text).
    pub detail: String,
    /// How many attempts were made (1 + retries).
    pub attempts: u32,
    /// The attempts before the last one, oldest first.
    pub earlier: Vec<Attempt>,
    /// `ETag` of the final answer.
    pub etag: Option<String>,
    /// `Last-Modified` of the final answer.
    pub last_modified: Option<String>,
    /// `Content-Type` of the final answer.
    pub content_type: Option<String>,
    /// `Content-Encoding` of the final answer, as sent. The stored body is
    /// always decoded: a coding that cannot be undone makes the fetch
    /// `bad-encoding`.
    pub content_encoding: Option<String>,
    /// `Retry-After` of the final answer, as sent.
    pub retry_after: Option<String>,
    /// The (decoded) body, for `ok` outcomes; at most the parse limit.
    pub body: Option<Vec<u8>>,
    /// SHA-256 of `body`, hex.
    pub sha256: Option<String>,
    /// The body was longer than the limit and was cut.
    pub truncated: bool,
    /// The body looks like an HTML page, or was served as `text/html`.
    pub html: bool,
}

impl FetchRecord {
    /// A record with nothing filled in but the request.
    #[must_use]
    pub fn new(origin: &Origin, file: SiteFile, started_at: Millis) -> FetchRecord {
        let url = origin.file_url(file);
        FetchRecord {
            origin: origin.clone(),
            file,
            started_at,
            finished_at: started_at,
            final_url: url.clone(),
            url,
            redirects: Vec::new(),
            status: None,
            outcome: Outcome::Unreachable(Unreachable::Network),
            detail: String::new(),
            attempts: 0,
            earlier: Vec::new(),
            etag: None,
            last_modified: None,
            content_type: None,
            content_encoding: None,
            retry_after: None,
            body: None,
            sha256: None,
            truncated: false,
            html: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut codes: Vec<_> = Outcome::ALL.iter().map(|o| o.code()).collect();
        for o in Outcome::ALL {
            assert_eq!(Outcome::from_code(o.code()), Some(o));
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Outcome::ALL.len());
        assert_eq!(Outcome::Unavailable.class(), "unavailable");
        assert!(!Outcome::Unavailable.is_retryable());
        assert!(!Outcome::Unreachable(Unreachable::RedirectLoop).is_retryable());
        assert!(Outcome::Unreachable(Unreachable::RateLimited).is_retryable());
    }
}
