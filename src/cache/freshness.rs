//! When a cached robots.txt may be used, and which copy decides: pure
//! functions over fetch times and outcome classes.
//!
//! * A copy younger than the maximum age (24 h by default) is used without
//!   asking the origin again; RFC 9309 §2.4 says a crawler SHOULD NOT use a
//!   cached copy for more than 24 hours. Every finished fetch counts,
//!   whatever its outcome, so that a run killed and started again fetches
//!   only what it had not finished.
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
