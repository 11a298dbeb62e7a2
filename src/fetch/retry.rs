//! When to try an unreachable robots.txt again, and how long to wait:
//! exponential backoff from a base delay, replaced by the server's
//! `Retry-After` when it sends one (RFC 9110 §10.2.3), all within a bounded
//! number of attempts and the origin's deadline. Pure functions; the
//! fetcher sleeps.

use std::time::{Duration, SystemTime};

use super::outcome::Outcome;

/// How failed fetches are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// The first backoff delay; each retry doubles it.
    pub base: Duration,
    /// The longest wait optout accepts, from backoff or `Retry-After`. A
    /// server asking for more is recorded as unreachable at once: waiting
    /// hours for one origin would stall a run.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 2,
            base: Duration::from_secs(1),
            max_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`, after attempt `attempt`
    /// (1-based) ended with `outcome`; `None` when there is no retry.
    /// `retry_after` is the header of the answer, `seed` spreads retries of
    /// different origins apart.
    #[must_use]
    pub fn wait(
        &self,
        outcome: Outcome,
        attempt: u32,
        retry_after: Option<&str>,
        now: SystemTime,
        seed: u64,
    ) -> Option<Duration> {
        if !outcome.is_retryable() || attempt > self.retries {
            return None;
        }
        let wait = match retry_after.and_then(|v| parse_retry_after(v, now)) {
            Some(asked) => asked,
            None => {
                let backoff = self.base.saturating_mul(1 << (attempt - 1).min(16));
                // Up to half the delay again, so that origins failing
                // together do not retry together.
                let spread = backoff.as_millis() as u64 / 2;
                let jitter = if spread == 0 { 0 } else { seed % spread };
                backoff + Duration::from_millis(jitter)
            }
        };
        (wait <= self.max_wait).then_some(wait)
    }
}

/// Parses a `Retry-After` value: delay seconds or an HTTP date.
#[must_use]
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::outcome::Unreachable;

    const FAIL: Outcome = Outcome::Unreachable(Unreachable::ServerError);

    #[test]
    fn backoff_doubles_and_stops() {
        let policy = RetryPolicy {
            retries: 3,
            base: Duration::from_millis(100),
            max_wait: Duration::from_secs(10),
        };
        let now = SystemTime::now();
        let w1 = policy.wait(FAIL, 1, None, now, 0).unwrap();
        let w2 = policy.wait(FAIL, 2, None, now, 0).unwrap();
        assert_eq!(
            (w1, w2),
            (Duration::from_millis(100), Duration::from_millis(200))
        );
        let jittered = policy.wait(FAIL, 1, None, now, 37).unwrap();
        assert_eq!(jittered, Duration::from_millis(137));
        assert!(
            policy.wait(FAIL, 4, None, now, 0).is_none(),
            "attempts are bounded"
        );
        assert!(policy.wait(Outcome::Unavailable, 1, None, now, 0).is_none());
        assert!(policy.wait(Outcome::Ok, 1, None, now, 0).is_none());
    }

    #[test]
    fn retry_after_wins_within_the_cap() {
        let policy = RetryPolicy::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let limited = Outcome::Unreachable(Unreachable::RateLimited);
        assert_eq!(
            policy.wait(limited, 1, Some("3"), now, 0),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            policy.wait(limited, 1, Some("3600"), now, 0),
            None,
            "too long: give up"
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(5));
        assert_eq!(
            policy.wait(limited, 1, Some(&date), now, 0),
            Some(Duration::from_secs(5))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
