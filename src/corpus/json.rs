//! Finding one field in a JSON Lines record without building the record:
//! a validating walk over the bytes that stops at nothing, keeps nothing
//! but the span of the field asked for, and does not allocate once its
//! scratch buffers are warm. A row of a JSON Lines corpus is kept byte for
//! byte, so only its URL is ever needed.
//!
//! The walk checks that the whole line is one JSON value (RFC 8259): a cut
//! or garbled record is an error with its byte offset, never a row read
//! from half a line. Nesting deeper than [`MAX_DEPTH`] is refused, so a
//! hostile line cannot exhaust the stack. With duplicate keys the last one
//! counts, as `serde_json` and most readers do.

/// Nesting accepted at most.
pub const MAX_DEPTH: usize = 128;

/// A dotted field path (`url`, `metadata.url`), split once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldPath {
    parts: Vec<Box<[u8]>>,
    text: String,
}

impl FieldPath {
    /// Parses `a.b.c`. A key that holds a dot cannot be named: Dolma, C4
    /// and FineWeb keys have none.
    ///
    /// # Errors
    ///
    /// When a part is empty.
    pub fn parse(text: &str) -> Result<FieldPath, String> {
        let parts: Vec<Box<[u8]>> = text.split('.').map(|p| p.as_bytes().into()).collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(format!("field path `{text}` has an empty part"));
        }
        Ok(FieldPath {
            parts,
            text: text.to_owned(),
        })
    }

    /// The path as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// What the field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found<'a> {
    /// The record has no such field (or a part of the path is not an
    /// object).
    Missing,
    /// A string: its content, unescaped.
    String(&'a [u8]),
    /// A number, as written.
    Number(&'a [u8]),
    /// Another kind of value: `null`, a boolean, an object, ...
    Other(&'static str),
}

/// Why a line is not a JSON record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset in the line.
    pub at: usize,
    /// What was wrong.
    pub message: &'static str,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not JSON at byte {}: {}", self.at, self.message)
    }
}

/// Reusable buffers of the walk.
#[derive(Debug, Default)]
pub struct Scratch {
    /// The unescaped field value, when it had escapes.
    value: Vec<u8>,
    /// An unescaped key, when it had escapes.
    key: Vec<u8>,
}

/// Finds `path` in the record `line` (an object), validating the line.
///
/// # Errors
///
/// When the line is not exactly one JSON object.
pub fn find<'a>(
    line: &'a [u8],
    path: &FieldPath,
    scratch: &'a mut Scratch,
) -> Result<Found<'a>, JsonError> {
    let mut walk = Walk {
        s: line,
        i: 0,
        path: &path.parts,
        found: None,
        key: &mut scratch.key,
        value: &mut scratch.value,
    };
    walk.space();
    if walk.peek() != Some(b'{') {
        return Err(walk.error("a record must be an object"));
    }
    walk.value(0, Some(0))?;
    walk.space();
    if walk.i != line.len() {
        return Err(walk.error("text after the record"));
    }
    Ok(match walk.found {
        None => Found::Missing,
        Some(Hit::Other(kind)) => Found::Other(kind),
        Some(Hit::Number(start, end)) => Found::Number(&line[start..end]),
        Some(Hit::Raw(start, end)) => Found::String(&line[start..end]),
        Some(Hit::Unescaped) => Found::String(&scratch.value),
    })
}

/// A count as a JSON number (`1234`, `1.2e3`): the whole part of a
/// non-negative number that fits in 64 bits, else `None`.
#[must_use]
pub fn count(number: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(number).ok()?;
    if let Ok(n) = text.parse::<u64>() {
        return Some(n);
    }
    let n: f64 = text.parse().ok()?;
    // Truncation is the point: a count written as `12.0` is 12.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (n.is_finite() && (0.0..1.8e19).contains(&n)).then_some(n as u64)
}

#[derive(Clone, Copy)]
enum Hit {
    Raw(usize, usize),
    Number(usize, usize),
    Unescaped,
    Other(&'static str),
}

struct Walk<'s, 'p> {
    s: &'s [u8],
    i: usize,
    path: &'p [Box<[u8]>],
    found: Option<Hit>,
    key: &'p mut Vec<u8>,
    value: &'p mut Vec<u8>,
}

impl Walk<'_, '_> {
    fn error(&self, message: &'static str) -> JsonError {
        JsonError {
            at: self.i,
            message,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn expect(&mut self, byte: u8, message: &'static str) -> Result<(), JsonError> {
        self.space();
        if self.peek() == Some(byte) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.error(message))
        }
    }

    /// One value at nesting `depth`; `matched` is how many parts of the
    /// path lead here (`None`: off the path). A value at the path's end is
    /// recorded.
    fn value(&mut self, depth: usize, matched: Option<usize>) -> Result<(), JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.space();
        let at_end = matched == Some(self.path.len());
        if at_end && self.found.is_some() {
            // `{"url": "a", "url": "b"}`: readers differ on which counts
            // (the first, the last, an error), so the record could be
            // judged by one URL and used by another.
            return Err(self.error("the field appears twice (readers differ on which counts)"));
        }
        let kind = match self.peek() {
            None => return Err(self.error("the record ends early")),
            Some(b'{') => {
                self.object(depth, matched.filter(|&m| m < self.path.len()))?;
                "an object"
            }
            Some(b'[') => {
                self.i += 1;
                self.space();
                if self.peek() == Some(b']') {
                    self.i += 1;
                } else {
                    loop {
                        self.value(depth + 1, None)?;
                        self.space();
                        match self.peek() {
                            Some(b',') => self.i += 1,
                            Some(b']') => {
                                self.i += 1;
                                break;
                            }
                            _ => return Err(self.error("expected `,` or `]` in an array")),
                        }
                    }
                }
                "an array"
            }
            Some(b'"') => {
                let (start, end, escaped) = self.string()?;
                if at_end {
                    self.found = Some(if escaped {
                        unescape(&self.s[start..end], self.value).map_err(|at| JsonError {
                            at: start + at,
                            message: "a bad escape",
                        })?;
                        Hit::Unescaped
                    } else {
                        Hit::Raw(start, end)
                    });
                }
                return Ok(());
            }
            Some(b't') => self.literal(b"true", "a boolean")?,
            Some(b'f') => self.literal(b"false", "a boolean")?,
            Some(b'n') => self.literal(b"null", "null")?,
            Some(b'-' | b'0'..=b'9') => {
                let start = self.i;
                self.number()?;
                if at_end {
                    self.found = Some(Hit::Number(start, self.i));
                }
                return Ok(());
            }
            Some(_) => return Err(self.error("not a JSON value")),
        };
        if at_end {
            self.found = Some(Hit::Other(kind));
        }
        Ok(())
    }

    fn literal(&mut self, word: &[u8], kind: &'static str) -> Result<&'static str, JsonError> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(kind)
        } else {
            Err(self.error("not a JSON value"))
        }
    }

    fn number(&mut self) -> Result<(), JsonError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = |w: &mut Self| {
            let from = w.i;
            while matches!(w.peek(), Some(b'0'..=b'9')) {
                w.i += 1;
            }
            w.i > from
        };
        let first = self.i;
        if !digits(self) {
            return Err(self.error("a number without digits"));
        }
        if self.s[first] == b'0' && self.i > first + 1 {
            self.i = first;
            return Err(self.error("a number with a leading zero"));
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !digits(self) {
                return Err(self.error("a number without digits after `.`"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return Err(self.error("a number without an exponent"));
            }
        }
        debug_assert!(self.i > start);
        Ok(())
    }

    /// A string at the cursor: the span of its content and whether it has
    /// escapes. Control characters must be escaped (RFC 8259 §7).
    fn string(&mut self) -> Result<(usize, usize, bool), JsonError> {
        self.i += 1;
        let start = self.i;
        let mut escaped = false;
        loop {
            let Some(rel) = memchr::memchr3(b'"', b'\\', b'\n', &self.s[self.i..]) else {
                self.i = self.s.len();
                return Err(self.error("a string is not closed"));
            };
            self.i += rel;
            match self.s[self.i] {
                b'"' => {
                    let end = self.i;
                    if let Some(at) = self.s[start..end].iter().position(|&b| b < 0x20) {
                        self.i = start + at;
                        return Err(self.error("a raw control character in a string"));
                    }
                    self.i += 1;
                    return Ok((start, end, escaped));
                }
                b'\\' => {
                    escaped = true;
                    self.i += 2;
                    if self.i > self.s.len() {
                        return Err(self.error("a string is not closed"));
                    }
                }
                _ => return Err(self.error("a raw line break in a string")),
            }
        }
    }

    fn object(&mut self, depth: usize, matched: Option<usize>) -> Result<(), JsonError> {
        self.i += 1;
        self.space();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.space();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a key"));
            }
            let (start, end, escaped) = self.string()?;
            let next = match matched {
                Some(m) => {
                    let want = &self.path[m];
                    let same = if escaped {
                        unescape(&self.s[start..end], self.key).map_err(|at| JsonError {
                            at: start + at,
                            message: "a bad escape",
                        })?;
                        self.key.as_slice() == &**want
                    } else {
                        self.s[start..end] == **want
                    };
                    same.then_some(m + 1)
                }
                None => None,
            };
            self.expect(b':', "expected `:` after a key")?;
            self.value(depth + 1, next)?;
            self.space();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.error("expected `,` or `}` in an object")),
            }
        }
    }
}

/// Unescapes a JSON string's content into `out` (cleared first); on error,
/// the offset of the bad escape.
fn unescape(raw: &[u8], out: &mut Vec<u8>) -> Result<(), usize> {
    out.clear();
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let Some(&kind) = raw.get(i + 1) else {
            return Err(i);
        };
        i += 2;
        let simple = match kind {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0C,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let unit = |at: usize| -> Option<u32> {
                    let hex = raw.get(at..at + 4)?;
                    u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
                };
                let Some(mut code) = unit(i) else {
                    return Err(i - 2);
                };
                i += 4;
                if (0xD800..0xDC00).contains(&code) && raw.get(i..i + 2) == Some(b"\\u") {
                    if let Some(low) = unit(i + 2).filter(|l| (0xDC00..0xE000).contains(l)) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                        i += 6;
                    }
                }
                let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
                let mut buffer = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
                continue;
            }
            _ => return Err(i - 2),
        };
        out.push(simple);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(line: &str, path: &str) -> Result<Option<String>, JsonError> {
        let path = FieldPath::parse(path).unwrap();
        let mut scratch = Scratch::default();
        Ok(match find(line.as_bytes(), &path, &mut scratch)? {
            Found::String(s) => Some(String::from_utf8(s.to_vec()).unwrap()),
            Found::Missing => None,
            Found::Other(kind) => Some(format!("<{kind}>")),
            Found::Number(n) => Some(format!("<number {}>", String::from_utf8_lossy(n))),
        })
    }

    #[test]
    fn finds_top_level_and_nested_fields() {
        let line = r#"{"text": "a \"quoted\" {x}", "url": "https://e.com/a", "n": -1.5e3}"#;
        assert_eq!(
            get(line, "url").unwrap().as_deref(),
            Some("https://e.com/a")
        );
        let dolma = r#"{"id":"1","metadata":{"url":"https://e.com/b","len":3},"text":"x"}"#;
        assert_eq!(
            get(dolma, "metadata.url").unwrap().as_deref(),
            Some("https://e.com/b")
        );
        assert_eq!(get(dolma, "url").unwrap(), None);
        assert_eq!(
            get(dolma, "metadata.len").unwrap().as_deref(),
            Some("<number 3>")
        );
        assert_eq!(get(line, "n").unwrap().as_deref(), Some("<number -1.5e3>"));
        assert_eq!(count(b"1234"), Some(1234));
        assert_eq!(count(b"1.5e3"), Some(1500));
        assert_eq!(count(b"12.9"), Some(12));
        assert_eq!(count(b"-1"), None);
        assert_eq!(count(b"1e40"), None);
        assert_eq!(
            get(dolma, "text.url").unwrap(),
            None,
            "a string is not an object"
        );
        assert_eq!(
            get(r#"{"url":null}"#, "url").unwrap().as_deref(),
            Some("<null>")
        );
        // Nested objects with the same key off the path do not count.
        let deep = r#"{"a":{"url":"no"},"b":[{"url":"no"}],"url":"yes"}"#;
        assert_eq!(get(deep, "url").unwrap().as_deref(), Some("yes"));
        // A duplicate of the field is an error: readers differ on which
        // counts, so the record would be judged by one URL and used by
        // another. Duplicates off the path do not matter.
        for line in [
            r#"{"url":"a","url":"b"}"#,
            r#"{"url":"a","x":1,"url":null}"#,
            r#"{"metadata":{"url":"a"},"metadata":{"url":"b"}}"#,
        ] {
            let path = if line.contains("metadata") {
                "metadata.url"
            } else {
                "url"
            };
            let err = get(line, path).unwrap_err();
            assert!(err.to_string().contains("appears twice"), "{line}: {err}");
        }
        assert_eq!(
            get(r#"{"x":1,"x":2,"url":"a"}"#, "url").unwrap().as_deref(),
            Some("a")
        );
    }

    #[test]
    fn escapes_are_decoded() {
        let line = r#"{"url":"https:\/\/e.com\/caf\u00e9?q=\"x\"&e=\ud83d\ude00"}"#;
        assert_eq!(
            get(line, "url").unwrap().as_deref(),
            Some("https://e.com/café?q=\"x\"&e=😀")
        );
        let key = r#"{"u\u0072l":"https://e.com/"}"#;
        assert_eq!(get(key, "url").unwrap().as_deref(), Some("https://e.com/"));
    }

    #[test]
    fn bad_records_name_the_offset() {
        for (line, at) in [
            (r#"{"url": "https://e.com/a""#, 25),
            (r#"{"url": "https://e.com/a"} x"#, 27),
            (r#"["https://e.com/a"]"#, 0),
            (r#"{"url": https://e.com}"#, 8),
            (r#"{"url": "a\x"}"#, 10),
            ("not json", 0),
            ("{\"url\": \"a\u{1}b\"}", 10),
            (r#"{"n": 01}"#, 6),
            (r#"{"n": tru}"#, 6),
        ] {
            let err = get(line, "url").unwrap_err();
            assert_eq!(err.at, at, "{line}: {err}");
        }
    }

    #[test]
    fn hostile_nesting_is_refused_not_a_stack_overflow() {
        let line = format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
        let err = get(&line, "url").unwrap_err();
        assert_eq!(err.message, "nested too deeply");
    }

    #[test]
    fn agrees_with_serde_json_on_valid_records() {
        let records = [
            r#"{"url":"https://a.com/x","meta":{"url":"https://b.com/"},"t":[1,2,{"u":null}]}"#,
            r#"  {"url" : "https://a.com/\u00e9" , "x" : true }  "#,
            r#"{"x":{"y":{"z":"https://deep.example/"}}}"#,
        ];
        for record in records {
            let value: serde_json::Value = serde_json::from_str(record).unwrap();
            for path in ["url", "meta.url", "x.y.z", "t"] {
                let want = path
                    .split('.')
                    .try_fold(&value, |v, k| v.get(k))
                    .map(|v| match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Null => "<null>".into(),
                        serde_json::Value::Array(_) => "<an array>".into(),
                        serde_json::Value::Object(_) => "<an object>".into(),
                        serde_json::Value::Bool(_) => "<a boolean>".into(),
                        serde_json::Value::Number(n) => format!("<number {n}>"),
                    });
                assert_eq!(get(record, path).unwrap(), want, "{record} {path}");
            }
        }
    }
}
