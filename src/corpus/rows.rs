//! What a row of a line-based corpus is, and where its URL is: a URL list
//! (one URL per line) or JSON Lines (one record per line, the URL in a
//! field such as `url` or `metadata.url`). Rows are always kept byte for
//! byte; only the URL is read out of them.

use std::path::Path;

use crate::corpus::json::{self, FieldPath, Found};
use crate::error::{Error, Result};
use crate::signals::SkipReason;

/// The row format of an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowFormat {
    /// One URL per line; blank lines and `#` comments are skipped.
    Lines,
    /// One JSON object per line; the URL is the string at the path.
    JsonLines(FieldPath),
    /// Common Crawl CDXJ index lines: `SURT TIMESTAMP {json}`, the URL in
    /// the JSON's `url`.
    Cdxj(FieldPath),
}

/// Where a row's URL is, or why it has none.
#[derive(Debug)]
pub enum RowUrl<'a> {
    /// The URL text (trimmed, unescaped).
    Url(&'a [u8]),
    /// The row holds no URL, for a reason that is not an error of the
    /// input (a blank line, a comment).
    Skip(SkipReason),
    /// The row is not what the format says: `bad-record` (not JSON) or
    /// `no-url-field` (no string at the path), with what was wrong.
    Bad(SkipReason, String),
}

/// What `--on-error` asks for rows that are not what their format says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnError {
    /// Count them as skipped, name the first ones, and go on.
    #[default]
    Skip,
    /// Stop at the first one (exit 2).
    Fail,
}

impl RowFormat {
    /// The format of `path` for `--format` (`auto`, `lines`, `jsonl`) and
    /// `--url-field`: `auto` goes by the extension under any compression
    /// suffix (`.jsonl`, `.ndjson`, `.json`), then by the first byte of the
    /// decompressed input (`{`).
    ///
    /// # Errors
    ///
    /// When `format` or `field` is not valid.
    pub fn choose(format: &str, field: &str, path: &Path, head: &[u8]) -> Result<RowFormat> {
        let cdxj = || RowFormat::Cdxj(FieldPath::parse("url").expect("a valid path"));
        let jsonl = || {
            FieldPath::parse(field)
                .map(RowFormat::JsonLines)
                .map_err(|e| Error::config(format!("--url-field: {e}")))
        };
        match format {
            "lines" => Ok(RowFormat::Lines),
            "jsonl" => jsonl(),
            "cdxj" => Ok(cdxj()),
            "auto" => {
                let name = path.to_string_lossy().to_ascii_lowercase();
                let name = name
                    .strip_suffix(".gz")
                    .or_else(|| name.strip_suffix(".zst"))
                    .unwrap_or(&name);
                let by_name = [".jsonl", ".ndjson", ".json"]
                    .iter()
                    .any(|ext| name.ends_with(ext));
                let by_content = head.trim_ascii_start().first() == Some(&b'{');
                if name.ends_with(".cdxj") || looks_like_cdxj(head) {
                    Ok(cdxj())
                } else if by_name || by_content {
                    jsonl()
                } else {
                    Ok(RowFormat::Lines)
                }
            }
            other => Err(Error::config(format!(
                "--format `{other}`: expected auto, lines, jsonl or cdxj"
            ))),
        }
    }

    /// [`RowFormat::choose`] for an open input, peeking at its first bytes
    /// without consuming them.
    ///
    /// # Errors
    ///
    /// As [`RowFormat::choose`], or when the input cannot be read.
    pub fn of_input(
        format: &str,
        field: &str,
        input: &mut crate::corpus::Input,
    ) -> Result<RowFormat> {
        let path = input.path.clone();
        let head = input.head()?;
        Self::choose(format, field, &path, head)
    }

    /// The name used in stats.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            RowFormat::Lines => "lines",
            RowFormat::JsonLines(_) => "jsonl",
            RowFormat::Cdxj(_) => "cdxj",
        }
    }

    /// The URL of one row (a line without its line end).
    pub fn url_of<'a>(&self, line: &'a [u8], scratch: &'a mut json::Scratch) -> RowUrl<'a> {
        if line.first() == Some(&0) && line == crate::corpus::lines::OVERLONG {
            return RowUrl::Bad(
                SkipReason::BadRecord,
                format!(
                    "a line longer than {} MiB",
                    crate::corpus::lines::MAX_LINE >> 20
                ),
            );
        }
        let text = line.trim_ascii();
        match self {
            RowFormat::Lines => match text.first() {
                None => RowUrl::Skip(SkipReason::EmptyLine),
                Some(b'#') => RowUrl::Skip(SkipReason::Comment),
                Some(_) => RowUrl::Url(text),
            },
            RowFormat::JsonLines(path) | RowFormat::Cdxj(path) => {
                if text.is_empty() {
                    return RowUrl::Skip(SkipReason::EmptyLine);
                }
                let record = match self {
                    RowFormat::Cdxj(_) => match cdxj_record(text) {
                        Some(record) => record,
                        None => {
                            return RowUrl::Bad(
                                SkipReason::BadRecord,
                                "not a CDXJ line (`SURT TIMESTAMP {json}`)".into(),
                            );
                        }
                    },
                    _ => text,
                };
                match json::find(record, path, scratch) {
                    Ok(Found::String(url)) => RowUrl::Url(url.trim_ascii()),
                    Ok(Found::Missing) => RowUrl::Bad(
                        SkipReason::NoUrlField,
                        format!("no field `{}`", path.as_str()),
                    ),
                    Ok(Found::Number(_)) => RowUrl::Bad(
                        SkipReason::NoUrlField,
                        format!("field `{}` is a number, not a string", path.as_str()),
                    ),
                    Ok(Found::Other(kind)) => RowUrl::Bad(
                        SkipReason::NoUrlField,
                        format!("field `{}` is {kind}, not a string", path.as_str()),
                    ),
                    Err(e) => RowUrl::Bad(SkipReason::BadRecord, e.to_string()),
                }
            }
        }
    }
}

impl RowFormat {
    /// When the row's record was crawled, for formats that say (CDXJ's
    /// timestamp); `None` for other formats and for rows without a valid
    /// one.
    #[must_use]
    pub fn crawl_time(&self, line: &[u8]) -> Option<crate::time::Millis> {
        match self {
            RowFormat::Cdxj(_) => crate::time::parse_crawl(cdxj_parts(line.trim_ascii())?.0),
            RowFormat::Lines | RowFormat::JsonLines(_) => None,
        }
    }

    /// Whether rows of this format say when they were crawled.
    #[must_use]
    pub fn has_crawl_time(&self) -> bool {
        matches!(self, RowFormat::Cdxj(_))
    }
}

/// The timestamp and the JSON part of a CDXJ line: after the SURT key, a
/// 14-digit (or shorter, at least 4-digit) timestamp, then the JSON.
fn cdxj_parts(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let key_end = memchr::memchr(b' ', line)?;
    let rest = &line[key_end + 1..];
    let time_end = memchr::memchr(b' ', rest)?;
    let time = &rest[..time_end];
    if time.len() < 4 || !time.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some((time, &rest[time_end + 1..]))
}

/// The JSON part of a CDXJ line.
fn cdxj_record(line: &[u8]) -> Option<&[u8]> {
    cdxj_parts(line).map(|(_, json)| json)
}

/// Whether the first line of `head` is a CDXJ line.
fn looks_like_cdxj(head: &[u8]) -> bool {
    let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
    cdxj_record(first.trim_ascii()).is_some_and(|json| json.first() == Some(&b'{'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line of Common Crawl's CDXJ index (CC-MAIN-2024-10, shortened).
    const CDXJ: &str = r#"com,example)/a?b=1 20240220011205 {"url": "https://example.com/a?b=1", "mime": "text/html", "status": "200", "digest": "sha1:X", "length": "1234", "offset": "5678", "filename": "crawl-data/x.warc.gz"}"#;

    #[test]
    fn formats_are_chosen_by_name_then_content() {
        let lines =
            |p: &str, head: &[u8]| RowFormat::choose("auto", "url", Path::new(p), head).unwrap();
        assert_eq!(lines("a.jsonl.gz", b"").name(), "jsonl");
        assert_eq!(lines("a.ndjson", b"").name(), "jsonl");
        assert_eq!(lines("a.txt", b"  {\"url\":1}").name(), "jsonl");
        assert_eq!(lines("a.txt", b"https://x/").name(), "lines");
        assert_eq!(lines("-", b"").name(), "lines");
        assert_eq!(lines("cdx-00000.cdxj.gz", b"").name(), "cdxj");
        assert!(RowFormat::choose("jsonl", "a..b", Path::new("x"), b"").is_err());
        assert!(RowFormat::choose("csv", "url", Path::new("x"), b"").is_err());
    }

    #[test]
    fn rows_and_their_urls() {
        let jsonl = RowFormat::choose("jsonl", "meta.url", Path::new("x"), b"").unwrap();
        let mut scratch = json::Scratch::default();
        let mut url =
            |format: &RowFormat, line: &str| match format.url_of(line.as_bytes(), &mut scratch) {
                RowUrl::Url(u) => format!("url {}", String::from_utf8_lossy(u)),
                RowUrl::Skip(r) => format!("skip {r}"),
                RowUrl::Bad(r, why) => format!("bad {r}: {why}"),
            };
        assert_eq!(
            url(&jsonl, r#"{"meta":{"url":" https://e.com/ "}}"#),
            "url https://e.com/"
        );
        assert_eq!(url(&jsonl, "   "), "skip empty-line");
        assert_eq!(
            url(&jsonl, r#"{"meta":{}}"#),
            "bad no-url-field: no field `meta.url`"
        );
        assert_eq!(
            url(&jsonl, r#"{"meta":{"url":3}}"#),
            "bad no-url-field: field `meta.url` is a number, not a string"
        );
        assert!(url(&jsonl, r#"{"meta":"#).starts_with("bad bad-record: not JSON at byte 8"));
        let cdxj = RowFormat::choose("auto", "url", Path::new("x"), CDXJ.as_bytes()).unwrap();
        assert_eq!(cdxj.name(), "cdxj");
        assert_eq!(url(&cdxj, CDXJ), "url https://example.com/a?b=1");
        assert_eq!(
            cdxj.crawl_time(CDXJ.as_bytes()).map(crate::time::format),
            Some("2024-02-20T01:12:05.000Z".into())
        );
        assert_eq!(jsonl.crawl_time(CDXJ.as_bytes()), None);
        assert!(url(&cdxj, "com,example)/ x {}").starts_with("bad bad-record: not a CDXJ line"));
        assert_eq!(url(&RowFormat::Lines, " # c"), "skip comment");
        assert_eq!(
            url(&RowFormat::Lines, " https://e.com/ "),
            "url https://e.com/"
        );
    }
}
