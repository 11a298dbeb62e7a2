//! Host name resolution for the fetcher: `--resolve` overrides in the
//! spirit of curl's, and a cache of system DNS answers so that thousands
//! of origins on a few hosts do not ask the system resolver thousands of
//! times.
//!
//! An override is `PATTERN=ADDR:PORT`, or `PATTERN=-` for hosts that must
//! not resolve (they fail as `dns`, and no query is sent). `PATTERN` is a
//! host name, `*.suffix` (any host under `suffix`, not `suffix` itself) or
//! `*` (every host); the first matching override wins. The connection goes to `ADDR:PORT` unless
//! the URL names a port itself, which then replaces `PORT`, as a resolver
//! knows addresses, not services. Tests point every host at a server on
//! 127.0.0.1 this way, so no traffic leaves the machine.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::error::{Error, Result};

/// How long a system DNS answer is reused. Robots fetching runs for minutes
/// to hours; a site moving within that window is not worth a lookup per
/// origin.
const DNS_TTL: Duration = Duration::from_secs(300);

/// Above this many cached answers, expired ones are dropped on insert, so
/// the cache stays bounded by the hosts of the last few minutes.
const DNS_CACHE_SWEEP: usize = 65_536;

/// How long a failed lookup is remembered, so that one dead domain with
/// many origins (`http`, `https`, ports) costs one lookup.
const DNS_NEGATIVE_TTL: Duration = Duration::from_secs(60);

/// One `--resolve` override.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolveRule {
    /// Lower-case pattern: `host`, `*.suffix` or `*`.
    pattern: String,
    /// Where matching hosts connect; `None`: they do not resolve.
    addr: Option<SocketAddr>,
}

impl ResolveRule {
    /// Whether `host` (lower case) matches the pattern.
    #[must_use]
    pub fn matches(&self, host: &str) -> bool {
        match self.pattern.strip_prefix('*') {
            Some("") => true,
            Some(suffix) => host.len() > suffix.len() && host.ends_with(suffix),
            None => self.pattern == host,
        }
    }

    /// The address matching hosts connect to; `None` when they must not
    /// resolve.
    #[must_use]
    pub fn addr(&self) -> Option<SocketAddr> {
        self.addr
    }
}

impl FromStr for ResolveRule {
    type Err = Error;

    fn from_str(text: &str) -> Result<ResolveRule> {
        let bad = |why: &str| {
            Error::config(format!(
                "`--resolve {text}`: {why}; expected `PATTERN=ADDR:PORT`, e.g. `*.test=127.0.0.1:8080`"
            ))
        };
        let (pattern, addr) = text.split_once('=').ok_or_else(|| bad("no `=`"))?;
        let pattern = pattern.trim().to_ascii_lowercase();
        let valid_pattern = !pattern.is_empty()
            && (pattern == "*"
                || pattern
                    .strip_prefix("*.")
                    .unwrap_or(&pattern)
                    .split('.')
                    .all(|l| {
                        !l.is_empty()
                            && l.bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                    }));
        if !valid_pattern {
            return Err(bad("the pattern is not a host name, `*.suffix` or `*`"));
        }
        let addr = match addr.trim() {
            "-" => None,
            addr => Some(
                addr.parse()
                    .map_err(|_| bad("the address is not `IP:PORT` or `-`"))?,
            ),
        };
        Ok(ResolveRule { pattern, addr })
    }
}

/// A lookup failure, kept as a distinct type so that the fetcher can tell
/// DNS failures from other connection errors.
#[derive(Debug, thiserror::Error)]
#[error("DNS lookup of `{host}` failed: {message}")]
pub struct DnsError {
    host: String,
    message: String,
}

type Answer = std::result::Result<Arc<[SocketAddr]>, String>;
type DnsCache = Mutex<HashMap<String, (Instant, Answer)>>;

/// The fetcher's resolver: overrides first, then the system resolver with
/// a cache. Cheap to clone; clones share the cache.
#[derive(Clone, Debug, Default)]
pub struct Resolver {
    rules: Arc<[ResolveRule]>,
    cache: Arc<DnsCache>,
    /// Answers of the system resolver may be non-public addresses.
    allow_private: bool,
}

impl Resolver {
    /// A resolver with `rules`, tried in order.
    #[must_use]
    pub fn new(rules: Vec<ResolveRule>) -> Resolver {
        Resolver {
            rules: rules.into(),
            cache: Arc::default(),
            allow_private: false,
        }
    }

    /// Whether system DNS answers may be loopback, private or other
    /// non-public addresses (see [`crate::fetch::guard`]); by default they
    /// are dropped, and a name with no public address fails as
    /// `blocked-address`. Overrides are never checked.
    #[must_use]
    pub fn allow_private(mut self, allow: bool) -> Resolver {
        self.allow_private = allow;
        self
    }

    /// The override for `host`, if any: `Some(None)` when the host must
    /// not resolve.
    #[must_use]
    pub fn override_for(&self, host: &str) -> Option<Option<SocketAddr>> {
        let host = host.to_ascii_lowercase();
        self.rules
            .iter()
            .find(|r| r.matches(&host))
            .map(ResolveRule::addr)
    }
}

fn cached(cache: &DnsCache, host: &str) -> Option<Answer> {
    let cache = cache.lock().expect("DNS cache lock");
    let (at, answer) = cache.get(host)?;
    let ttl = if answer.is_ok() {
        DNS_TTL
    } else {
        DNS_NEGATIVE_TTL
    };
    (at.elapsed() < ttl).then(|| answer.clone())
}

fn to_addrs(
    answer: Answer,
    host: String,
) -> std::result::Result<Addrs, Box<dyn std::error::Error + Send + Sync>> {
    match answer {
        // The iterator owns the shared answer: no copy of the addresses.
        Ok(addrs) => Ok(Box::new((0..addrs.len()).map(move |i| addrs[i]))),
        Err(message) => Err(Box::new(DnsError { host, message })),
    }
}

/// The public addresses of a system answer; an error naming the first
/// refused one when there are none.
fn public_only(
    answer: Answer,
    host: String,
) -> std::result::Result<Addrs, Box<dyn std::error::Error + Send + Sync>> {
    let addrs = match answer {
        Ok(addrs) => addrs,
        Err(message) => return Err(Box::new(DnsError { host, message })),
    };
    let public: Vec<SocketAddr> = addrs
        .iter()
        .copied()
        .filter(|a| crate::fetch::guard::is_public(a.ip()))
        .collect();
    if public.is_empty() {
        let why = format!("it resolves to {}, not a public address", addrs[0].ip());
        return Err(Box::new(crate::fetch::guard::BlockedAddress { host, why }));
    }
    Ok(Box::new(public.into_iter()))
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_ascii_lowercase();
        match self.override_for(&host) {
            Some(Some(addr)) => {
                let addrs: Addrs = Box::new(std::iter::once(addr));
                return Box::pin(std::future::ready(Ok(addrs)));
            }
            Some(None) => {
                let refused = Err("does not resolve (--resolve PATTERN=-)".to_owned());
                return Box::pin(std::future::ready(to_addrs(refused, host)));
            }
            None => {}
        }
        let finish = if self.allow_private {
            to_addrs
        } else {
            public_only
        };
        if let Some(answer) = cached(&self.cache, &host) {
            return Box::pin(std::future::ready(finish(answer, host)));
        }
        let cache = Arc::clone(&self.cache);
        Box::pin(async move {
            let answer: Answer = match tokio::net::lookup_host((host.as_str(), 0)).await {
                Ok(addrs) => {
                    let addrs: Arc<[SocketAddr]> = addrs.collect();
                    if addrs.is_empty() {
                        Err("no addresses".to_owned())
                    } else {
                        Ok(addrs)
                    }
                }
                Err(e) => Err(e.to_string()),
            };
            let mut cache = cache.lock().expect("DNS cache lock");
            if cache.len() >= DNS_CACHE_SWEEP {
                cache.retain(|_, (at, answer)| {
                    at.elapsed()
                        < if answer.is_ok() {
                            DNS_TTL
                        } else {
                            DNS_NEGATIVE_TTL
                        }
                });
            }
            cache.insert(host.clone(), (Instant::now(), answer.clone()));
            drop(cache);
            finish(answer, host)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let rule: ResolveRule = "*.test=127.0.0.1:8080".parse().unwrap();
        assert!(rule.matches("a.test"));
        assert!(rule.matches("b.a.test"));
        assert!(!rule.matches("test"));
        assert!(!rule.matches("atest"));
        let exact: ResolveRule = "Example.COM=127.0.0.1:80".parse().unwrap();
        assert!(exact.matches("example.com"));
        assert!(!exact.matches("www.example.com"));
        let all: ResolveRule = "*=[::1]:8080".parse().unwrap();
        assert!(all.matches("anything.example"));
        assert_eq!(all.addr().unwrap().port(), 8080);
        let blocked: ResolveRule = "*.invalid=-".parse().unwrap();
        assert_eq!(blocked.addr(), None);
        for bad in [
            "*.test",
            "=127.0.0.1:1",
            "a b=127.0.0.1:1",
            "x=127.0.0.1",
            "x=host:80",
        ] {
            assert!(bad.parse::<ResolveRule>().is_err(), "{bad}");
        }
        let resolver = Resolver::new(vec![exact, rule]);
        assert_eq!(
            resolver
                .override_for("EXAMPLE.com")
                .unwrap()
                .unwrap()
                .port(),
            80,
            "first match wins, case-insensitively"
        );
        assert!(resolver.override_for("other.org").is_none());
    }
}
