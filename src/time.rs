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

/// A record's crawl time as an archive writes it, without allocating: a
/// 14-digit timestamp (`20240220011205`, CDX and CDXJ, and shorter
/// prefixes of it down to the year: the start of that period), or a WARC
/// `WARC-Date` (`2024-02-20T01:12:05Z`, fractions of a second allowed).
/// `None` when the text is neither or names no real time.
#[must_use]
pub fn parse_crawl(text: &[u8]) -> Option<Millis> {
    // Digits of the date and time, with the WARC form's separators where
    // that form puts them; a fraction or the zone ends them.
    let mut digits = [0u8; 14];
    let mut n = 0;
    let separated = text.get(4) == Some(&b'-');
    for &b in text {
        match b {
            b'0'..=b'9' if n < 14 => {
                digits[n] = b - b'0';
                n += 1;
            }
            b'-' | b'T' | b':' if separated && matches!(n, 4 | 6 | 8 | 10 | 12) => {}
            b'.' | b'Z' if separated && n == 14 => break,
            _ => {
                return None;
            }
        }
    }
    if n < 4 || n % 2 != 0 {
        return None;
    }
    let field = |at: usize, len: usize, default: i64| -> i64 {
        if at + len > n {
            return default;
        }
        digits[at..at + len]
            .iter()
            .fold(0, |acc, &d| acc * 10 + i64::from(d))
    };
    let (year, month, day) = (field(0, 4, 0), field(4, 2, 1), field(6, 2, 1));
    let (hour, minute, second) = (field(8, 2, 0), field(10, 2, 0), field(12, 2, 0));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day < 1 || day > days_in_month || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Days from the epoch of a proleptic Gregorian date (H. Hinnant's
    // `days_from_civil`).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000)
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

    #[test]
    fn crawl_times_of_cdxj_and_warc() {
        let t = |s: &str| parse_crawl(s.as_bytes()).map(format);
        let noon = Some("2024-02-20T01:12:05.000Z".to_owned());
        assert_eq!(t("20240220011205"), noon);
        assert_eq!(t("2024-02-20T01:12:05Z"), noon);
        assert_eq!(t("2024-02-20T01:12:05.123456Z"), noon);
        assert_eq!(t("2024"), Some("2024-01-01T00:00:00.000Z".into()));
        assert_eq!(t("202402"), Some("2024-02-01T00:00:00.000Z".into()));
        assert_eq!(t("20240229"), Some("2024-02-29T00:00:00.000Z".into()));
        assert_eq!(t("19700101000000"), Some("1970-01-01T00:00:00.000Z".into()));
        for bad in [
            "",
            "202",
            "20230229",
            "20241301",
            "2024022",
            "2024-02-20 01",
            "x2024",
            "20240220251205",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
        // Against the RFC 3339 parser over many days.
        for day in (0..20_000_i64).step_by(37) {
            let ms = day * 86_400_000 + 3_723_000;
            let text = format(ms);
            assert_eq!(parse_crawl(text.as_bytes()), Some(ms), "{text}");
            let compact: String = text[..19].chars().filter(char::is_ascii_digit).collect();
            assert_eq!(parse_crawl(compact.as_bytes()), Some(ms), "{compact}");
        }
    }
}
