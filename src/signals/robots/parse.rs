//! robots.txt bytes → numbered key/value lines. Forgiving, never fails, no I/O.
//!
//! The lexical rules follow RFC 9309 §2.2 with the leniencies that Google's
//! parser (the reference most sites test against) applies and that RFC 9309
//! §2.2.4 permits:
//!
//! * lines end at CR, LF or CRLF; a CRLF counts as one line;
//! * `#` starts a comment anywhere on a line;
//! * key and value are split at the first `:`; a line without a colon is
//!   accepted when it is exactly two whitespace-separated words
//!   (`Disallow /x`);
//! * keys are matched case-insensitively by prefix, with Google's list of
//!   frequent typos (`useragent`, `user agent`, `dissallow`, `disalow`, ...),
//!   so `Disallowed: /x` reads as `Disallow`.
//!
//! CONFLICT: Google's C++ parser cuts lines at 16,664 bytes and stops a line
//! at a NUL byte (C strings). We keep whole lines and treat NUL as an
//! ordinary octet (it is percent-encoded in patterns), as the `robotstxt`
//! crate does: cutting a long `Allow` line would widen access.

/// What a line's key names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// `User-agent`: starts or extends a group.
    UserAgent,
    /// `Allow`: a rule.
    Allow,
    /// `Disallow`: a rule.
    Disallow,
    /// `Sitemap`: a global record.
    Sitemap,
    /// `Content-Usage` (IETF aipref attach): a usage rule of its group,
    /// and a rule for group boundaries in the aipref-aware reading.
    ContentUsage,
    /// `Content-Signal` (Cloudflare): a usage record of its group that never
    /// ends a group.
    ContentSignal,
    /// `License` (RSL): global before the first group, else the group's.
    License,
    /// Any other key: an "other record" that never ends a group.
    Other,
}

/// One parsed line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// 1-based line number in the file.
    pub number: u32,
    /// What the key names.
    pub key: Key,
    /// The key as written, trimmed.
    pub raw_key: &'a [u8],
    /// The value, trimmed, without comment.
    pub value: &'a [u8],
}

/// Calls `emit` for every line that has a key and a separator, and returns
/// the number of lines in `body` and how many of them held text that could
/// not be read as `key: value`.
pub fn for_each_line<'a>(body: &'a [u8], mut emit: impl FnMut(Line<'a>)) -> LineCounts {
    let mut counts = LineCounts::default();
    let mut start = 0;
    let mut i = 0;
    while i <= body.len() {
        let at_end = i == body.len();
        if at_end || body[i] == b'\n' || body[i] == b'\r' {
            counts.lines += 1;
            match split_line(&body[start..i]) {
                Parsed::KeyValue(raw_key, value) => emit(Line {
                    number: counts.lines,
                    key: classify(raw_key),
                    raw_key,
                    value,
                }),
                Parsed::Unreadable => counts.unreadable += 1,
                Parsed::Blank => {}
            }
            if at_end {
                break;
            }
            if body[i] == b'\r' && body.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            start = i + 1;
        }
        i += 1;
    }
    counts
}

/// Line totals from [`for_each_line`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineCounts {
    /// Lines in the body.
    pub lines: u32,
    /// Lines with text (beyond comments and white space) that is not a
    /// `key: value` pair.
    pub unreadable: u32,
}

enum Parsed<'a> {
    KeyValue(&'a [u8], &'a [u8]),
    Unreadable,
    Blank,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\x0B' | b'\x0C')
}

/// `range` of `s`, without surrounding white space.
pub(crate) fn trim_range(s: &[u8], range: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let part = trim(&s[range.clone()]);
    let start = part.as_ptr() as usize - s.as_ptr() as usize;
    start..start + part.len()
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !is_space(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !is_space(*last) {
            break;
        }
        s = rest;
    }
    s
}

fn split_line(line: &[u8]) -> Parsed<'_> {
    let line = match memchr::memchr(b'#', line) {
        Some(hash) => &line[..hash],
        None => line,
    };
    let line = trim(line);
    if line.is_empty() {
        return Parsed::Blank;
    }
    if let Some(colon) = memchr::memchr(b':', line) {
        let key = trim(&line[..colon]);
        if key.is_empty() {
            return Parsed::Unreadable;
        }
        return Parsed::KeyValue(key, trim(&line[colon + 1..]));
    }
    // No colon: accept exactly two words separated by white space.
    let Some(gap) = line.iter().position(|&b| is_space(b)) else {
        return Parsed::Unreadable;
    };
    let value = trim(&line[gap..]);
    if value.iter().any(|&b| is_space(b)) {
        return Parsed::Unreadable;
    }
    Parsed::KeyValue(&line[..gap], value)
}

fn starts_with_ignore_case(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn classify(key: &[u8]) -> Key {
    let any = |prefixes: &[&[u8]]| prefixes.iter().any(|p| starts_with_ignore_case(key, p));
    if any(&[b"user-agent", b"useragent", b"user agent"]) {
        Key::UserAgent
    } else if any(&[b"allow"]) {
        Key::Allow
    } else if any(&[
        b"disallow",
        b"dissallow",
        b"dissalow",
        b"disalow",
        b"diasllow",
        b"disallaw",
    ]) {
        Key::Disallow
    } else if any(&[b"sitemap", b"site-map"]) {
        Key::Sitemap
    } else if key.eq_ignore_ascii_case(b"content-usage") {
        Key::ContentUsage
    } else if key.eq_ignore_ascii_case(b"content-signal") {
        Key::ContentSignal
    } else if key.eq_ignore_ascii_case(b"license") {
        Key::License
    } else {
        Key::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(body: &str) -> Vec<(u32, Key, String, String)> {
        let mut out = Vec::new();
        for_each_line(body.as_bytes(), |l| {
            out.push((
                l.number,
                l.key,
                String::from_utf8_lossy(l.raw_key).into_owned(),
                String::from_utf8_lossy(l.value).into_owned(),
            ));
        });
        out
    }

    #[test]
    fn line_endings_and_numbers() {
        let got = lines("User-agent: a\r\nDisallow: /x\rAllow: /y\n\nSitemap: s");
        let numbers: Vec<_> = got.iter().map(|l| l.0).collect();
        assert_eq!(numbers, [1, 2, 3, 5]);
        assert_eq!(got[3].1, Key::Sitemap);
    }

    #[test]
    fn comments_colons_and_two_words() {
        let got = lines("Disallow: /a#b\nDisallow /p\nDisallow /p /q\n: x\n# only\n");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].3, "/a");
        assert_eq!((got[1].2.as_str(), got[1].3.as_str()), ("Disallow", "/p"));
        let counts = for_each_line(b"Disallow /p /q\n: x\n# c\nfoo\n", |_| {});
        assert_eq!(
            counts,
            LineCounts {
                lines: 5,
                unreadable: 3
            }
        );
    }

    #[test]
    fn keys_with_typos_and_prefixes() {
        for (key, want) in [
            ("USER-AGENT", Key::UserAgent),
            ("user agent", Key::UserAgent),
            ("useragent", Key::UserAgent),
            ("Disallowed", Key::Disallow),
            ("dissalow", Key::Disallow),
            ("disalow", Key::Disallow),
            ("Allow", Key::Allow),
            ("site-map", Key::Sitemap),
            ("Content-Usage", Key::ContentUsage),
            ("content-signal", Key::ContentSignal),
            ("Content-signal", Key::ContentSignal),
            ("LICENSE", Key::License),
            ("Content-Usages", Key::Other),
            ("Licensed", Key::Other),
            ("crawl-delay", Key::Other),
        ] {
            assert_eq!(classify(key.as_bytes()), want, "{key}");
        }
    }

    #[test]
    fn empty_value_is_kept() {
        let got = lines("Disallow:\nDisallow:   # nothing");
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|l| l.3.is_empty()));
    }
}
