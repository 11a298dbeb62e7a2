//! When a cached robots.txt may be used, and which copy decides: pure
//! functions over fetch times and outcome classes.
//!
//! * A copy younger than the maximum age (24 h by default) is used without
//!   asking the origin again; RFC 9309 §2.4 says a crawler SHOULD NOT use a
//!   cached copy for more than 24 hours. Every finished fetch counts,
//!   whatever its outcome, so that a run killed and started again fetches
//!   only what it had not finished.
//! * A fetch that found the file unreachable is fresh for much less: 5
//!   minutes after the first such fetch, four times longer after each
//!   further one in a row (20 min, 80 min, 5 h 20 min, 21 h 20 min), never longer than
//!   the maximum age, and never shorter than the server's `Retry-After`
//!   (also capped at the maximum age). A broken network or a passing
//!   outage is thus retried by the next run a few minutes later, while an
//!   origin down for days is asked about a few times a day.
//! * An older copy is revalidated: the validators of the stored body are
//!   sent (`If-None-Match`, `If-Modified-Since`) and a 304 refreshes it.
//! * The copy that decides at a time `t` is the last fetch finished by `t`.
//!   When that fetch found the origin unreachable, the last good copy
//!   (a 2xx or 304) is used instead if it is younger than 30 days at `t`:
//!   RFC 9309 §2.3.1.4 allows a cached copy while a file is unreachable,
//!   and Google keeps its last good copy for 30 days. Without one, the
//!   origin stays unreachable: complete disallow.
//!
//! `Cache-Control` is not consulted: a robots.txt served with `max-age=0`
//! would be fetched on every run, and 24 h is already the RFC's ceiling.

use std::time::Duration;

use crate::time::Millis;

/// How long a last good copy stands in for an unreachable robots.txt.
pub const FALLBACK_WINDOW: Duration = Duration::from_secs(30 * 86_400);

/// The default maximum age of a cached fetch.
pub const MAX_AGE: Duration = Duration::from_secs(86_400);

/// How long an unreachable outcome stays fresh after the first one in a
/// row (see [`fresh_for`]).
pub const UNREACHABLE_RETRY: Duration = Duration::from_secs(300);

/// When stored fetches are fetched again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// The age at which any fetch is stale (RFC 9309 §2.4: at most 24 h).
    pub max_age: Duration,
    /// How long the first unreachable outcome in a row stays fresh.
    pub unreachable_retry: Duration,
}

impl Schedule {
    /// The default schedule: 24 hours, unreachable outcomes after 5 minutes.
    #[must_use]
    pub fn new(max_age: Duration) -> Schedule {
        Schedule {
            max_age,
            unreachable_retry: UNREACHABLE_RETRY,
        }
    }
}

/// How long a fetch stays fresh: `max_age` for a body or an absent file;
/// for the `streak`-th unreachable fetch in a row (1 for the first),
/// `unreachable_retry` × 4^(streak − 1), at least the `retry_after` the
/// server asked for, both capped at `max_age`. `retry_after` is the
/// header's text, read relative to `fetched_at`.
#[must_use]
pub fn fresh_for(
    said: Said,
    streak: u32,
    retry_after: Option<&str>,
    fetched_at: Millis,
    max_age: Duration,
    unreachable_retry: Duration,
) -> Duration {
    if said != Said::Unreachable {
        return max_age;
    }
    let backoff = unreachable_retry.saturating_mul(4u32.saturating_pow(streak.saturating_sub(1)));
    let at = std::time::UNIX_EPOCH + Duration::from_millis(u64::try_from(fetched_at).unwrap_or(0));
    let asked = retry_after
        .and_then(|v| crate::fetch::retry::parse_retry_after(v, at))
        .unwrap_or(Duration::ZERO);
    backoff.max(asked).min(max_age)
}

fn millis(d: Duration) -> Millis {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Whether an origin last fetched at `last` (if ever) must be fetched at
/// `now`.
#[must_use]
pub fn needs_fetch(last: Option<Millis>, now: Millis, max_age: Duration) -> bool {
    match last {
        None => true,
        Some(at) => now.saturating_sub(at) >= millis(max_age) || at > now,
    }
}

/// What a fetch said about access, for choosing the deciding copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Said {
    /// A body (2xx, or 304 for a stored one).
    Body,
    /// No robots.txt (4xx).
    Unavailable,
    /// Unreachable.
    Unreachable,
}

/// Which copy decides at time `at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// The last fetch decides as it is.
    Latest,
    /// The last fetch was unreachable; the last good copy decides.
    Fallback,
    /// The last fetch was unreachable and no good copy is recent enough.
    Unreachable,
}

/// Chooses the deciding copy at `at`, given what the last fetch said and
/// when the last good copy (a body) was fetched, both no later than `at`.
#[must_use]
pub fn choose(latest: Said, last_good: Option<Millis>, at: Millis, window: Duration) -> Choice {
    match latest {
        Said::Body | Said::Unavailable => Choice::Latest,
        Said::Unreachable => match last_good {
            Some(good) if at.saturating_sub(good) < millis(window) => Choice::Fallback,
            _ => Choice::Unreachable,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: Millis = 3_600_000;
    const D: Millis = 24 * H;

    #[test]
    fn freshness() {
        assert!(needs_fetch(None, 0, MAX_AGE));
        assert!(!needs_fetch(Some(10 * D), 10 * D + 23 * H, MAX_AGE));
        assert!(needs_fetch(Some(10 * D), 11 * D, MAX_AGE));
        assert!(
            needs_fetch(Some(10 * D), 10 * D, Duration::ZERO),
            "max age 0 refetches"
        );
        assert!(
            needs_fetch(Some(11 * D), 10 * D, MAX_AGE),
            "a fetch from the future is not trusted"
        );
    }

    #[test]
    fn unreachable_is_retried_sooner_and_backs_off() {
        let m = |n: u64| Duration::from_secs(60 * n);
        let fresh = |said, streak, retry_after| {
            fresh_for(
                said,
                streak,
                retry_after,
                10 * D,
                MAX_AGE,
                UNREACHABLE_RETRY,
            )
        };
        assert_eq!(fresh(Said::Body, 1, None), MAX_AGE);
        assert_eq!(fresh(Said::Unavailable, 3, None), MAX_AGE);
        assert_eq!(fresh(Said::Unreachable, 1, None), m(5));
        assert_eq!(fresh(Said::Unreachable, 2, None), m(20));
        assert_eq!(fresh(Said::Unreachable, 3, None), m(80));
        assert_eq!(fresh(Said::Unreachable, 4, None), m(320));
        assert_eq!(fresh(Said::Unreachable, 5, None), m(1280));
        assert_eq!(fresh(Said::Unreachable, 6, None), MAX_AGE, "capped");
        assert_eq!(fresh(Said::Unreachable, 40, None), MAX_AGE, "no overflow");
        assert_eq!(
            fresh(Said::Unreachable, 1, Some("3600")),
            m(60),
            "Retry-After is waited for"
        );
        assert_eq!(fresh(Said::Unreachable, 3, Some("60")), m(80));
        assert_eq!(
            fresh(Said::Unreachable, 1, Some("604800")),
            MAX_AGE,
            "a week's Retry-After is capped at the maximum age"
        );
        let date = httpdate::fmt_http_date(
            std::time::UNIX_EPOCH + Duration::from_millis(10 * D as u64) + m(30),
        );
        assert_eq!(fresh(Said::Unreachable, 1, Some(&date)), m(30));
        assert_eq!(fresh(Said::Unreachable, 1, Some("later")), m(5));
        assert_eq!(
            fresh_for(Said::Unreachable, 2, None, 0, MAX_AGE, Duration::ZERO),
            Duration::ZERO,
            "a zero base retries at every run"
        );
    }

    #[test]
    fn fallback_within_thirty_days_only() {
        let at = 100 * D;
        assert_eq!(
            choose(Said::Body, None, at, FALLBACK_WINDOW),
            Choice::Latest
        );
        assert_eq!(
            choose(Said::Unavailable, Some(at), at, FALLBACK_WINDOW),
            Choice::Latest
        );
        assert_eq!(
            choose(Said::Unreachable, Some(at - 29 * D), at, FALLBACK_WINDOW),
            Choice::Fallback
        );
        assert_eq!(
            choose(Said::Unreachable, Some(at - 30 * D), at, FALLBACK_WINDOW),
            Choice::Unreachable
        );
        assert_eq!(
            choose(Said::Unreachable, None, at, FALLBACK_WINDOW),
            Choice::Unreachable
        );
    }
}
