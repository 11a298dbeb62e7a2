//! Timestamps as the cache and the evidence keep them: milliseconds since
//! the Unix epoch (UTC), written as RFC 3339 for people.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// The current time.
#[must_use]
pub fn now() -> Millis {
    from_system(SystemTime::now())
}

/// A `SystemTime` as milliseconds since the epoch (0 before it).
#[must_use]
pub fn from_system(t: SystemTime) -> Millis {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// RFC 3339 in UTC with millisecond precision, e.g.
/// `2026-11-23T09:30:00.125Z`.
#[must_use]
pub fn format(ms: Millis) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_millis(t).to_string()
}

/// Parses a point in time given by a person: RFC 3339
/// (`2026-11-23T09:30:00Z`), or a bare date (`2026-11-23`), which means the
/// end of that day in UTC, so that "as of a day" includes the whole day.
///
/// # Errors
///
/// A configuration error naming the text when it is neither.
pub fn parse(text: &str) -> Result<Millis> {
    let bad = || {
        Error::config(format!(
            "`{text}` is not a date: use `YYYY-MM-DD` or RFC 3339 (`2026-11-23T09:30:00Z`)"
        ))
    };
    let is_date = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    if is_date {
        let start = humantime::parse_rfc3339(&format!("{text}T00:00:00Z")).map_err(|_| bad())?;
        return Ok(from_system(start) + 86_400_000 - 1);
    }
    humantime::parse_rfc3339_weak(text.trim_end_matches('Z'))
        .map(from_system)
        .map_err(|_| bad())
}

/// Parses a duration given by a person: `90s`, `10m`, `24h`, `30d`, or a
/// plain number of seconds.
///
/// # Errors
///
/// A configuration error naming the text.
pub fn parse_duration(text: &str) -> Result<Duration> {
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(text).map_err(|e| {
        Error::config(format!(
            "`{text}` is not a duration ({e}): use e.g. `10s`, `24h`, `30d`"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_dates() {
        let t = parse("2026-11-23T09:30:00.125Z").unwrap();
        assert_eq!(format(t), "2026-11-23T09:30:00.125Z");
        let day = parse("2026-11-23").unwrap();
        assert_eq!(format(day), "2026-11-23T23:59:59.999Z");
        assert!(parse("23/11/2026").is_err());
        assert!(parse("2026-13-01").is_err());
        assert_eq!(parse_duration("24h").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert!(parse_duration("soon").is_err());
    }
}
