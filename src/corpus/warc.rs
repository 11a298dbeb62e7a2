//! WARC 1.0/1.1 files (ISO 28500), plain or `.warc.gz` with one gzip
//! member per record, as Common Crawl writes them: read record by record
//! with bounded memory, each with its raw bytes (the gzip member as it lies
//! in the file, so a kept record is written back unchanged), its WARC
//! headers and, for `response` records, the HTTP status, headers and the
//! first bytes of the body (enough for the HTML head).
//!
//! A record whose `Content-Length` runs past the end of the file, a member
//! that is not gzip, or a block not followed by its CRLF CRLF is an error
//! naming the file, the record number and its offset.

use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::bufread::GzDecoder;

use crate::error::{Error, ErrorKind, Result};

/// Bytes of a response body kept for page signals: the HTML head.
pub const BODY_HEAD: usize = crate::signals::html_meta::HEAD_LIMIT;

/// A record larger than this is refused: a corrupt length must not make
/// optout allocate gigabytes.
pub const MAX_RECORD: u64 = 1 << 30;

/// One record.
#[derive(Debug, Default)]
pub struct Record {
    /// 1-based record number in the file.
    pub number: u64,
    /// Offset of the record (or its gzip member) in the file.
    pub offset: u64,
    /// The record as it lies in the file: its gzip member for `.warc.gz`.
    pub raw: Vec<u8>,
    /// WARC header fields, in order (names as written).
    pub headers: Vec<(String, String)>,
    /// For `response` records: the HTTP status.
    pub http_status: Option<u16>,
    /// For `response` records: the HTTP headers.
    pub http_headers: Vec<(String, String)>,
    /// For `response` records: the first [`BODY_HEAD`] bytes of the body,
    /// or of a PDF, EPUB, image or video the first
    /// [`super::http_body::MEDIA_BODY`], for the metadata they embed.
    pub body_head: Vec<u8>,
    /// The body goes on past `body_head`.
    pub body_truncated: bool,
    /// The record inside a sound gzip member is malformed (a wrong
    /// length, no CRLF CRLF): what is wrong, naming the record. The member
    /// can be skipped and the next one read.
    pub bad: Option<String>,
}

impl Record {
    /// A WARC header's value (names compare case-insensitively).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `WARC-Type`.
    #[must_use]
    pub fn kind(&self) -> &str {
        self.header("WARC-Type").unwrap_or_default()
    }

    /// `WARC-Target-URI`, without the angle brackets WARC 1.0 allowed.
    #[must_use]
    pub fn target(&self) -> Option<&str> {
        self.header("WARC-Target-URI")
            .map(|t| t.trim().trim_start_matches('<').trim_end_matches('>'))
    }
}

/// Reads records one by one.
pub struct WarcReader {
    path: PathBuf,
    gzip: bool,
    /// The file, between gzip members (or a plain file); `None` while a
    /// member holding several records is being read.
    file: Option<Raw>,
    /// A gzip member that holds more than one record (a file compressed
    /// as one stream), and the offset it starts at.
    member: Option<(Member, u64)>,
    number: u64,
    meter: crate::corpus::ReadMeter,
}

/// The file's bytes, as read.
type Raw = Tee<BufReader<Box<dyn Read + Send>>>;
/// One gzip member's decompressed bytes.
type Member = Tee<BufReader<GzDecoder<Raw>>>;

impl std::fmt::Debug for WarcReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WarcReader")
            .field("path", &self.path)
            .field("number", &self.number)
            .finish_non_exhaustive()
    }
}

/// A reader that keeps what it hands out (when `keep` is set), so the
/// bytes of one record (or gzip member) can be taken as they were.
struct Tee<R> {
    inner: R,
    taken: Vec<u8>,
    keep: bool,
    offset: u64,
}

impl<R> Tee<R> {
    fn new(inner: R) -> Tee<R> {
        Tee {
            inner,
            taken: Vec::new(),
            keep: true,
            offset: 0,
        }
    }
}

impl<R: BufRead> Read for Tee<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Tee<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        if self.keep {
            if let Ok(buffer) = self.inner.fill_buf() {
                self.taken.extend_from_slice(&buffer[..n.min(buffer.len())]);
            }
        }
        self.offset += n as u64;
        self.inner.consume(n);
    }
}

/// Whether a file is WARC: by name, or a first record that starts with
/// `WARC/` (in a gzip member or not).
#[must_use]
pub fn is_warc(path: &Path, decompressed_head: &[u8]) -> bool {
    let name = path.to_string_lossy().to_ascii_lowercase();
    name.ends_with(".warc") || name.ends_with(".warc.gz") || decompressed_head.starts_with(b"WARC/")
}

impl WarcReader {
    /// Opens a WARC file.
    ///
    /// # Errors
    ///
    /// When it cannot be opened.
    pub fn open(path: &Path) -> Result<WarcReader> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let meter = crate::corpus::ReadMeter::new(file.metadata().ok().map(|m| m.len()));
        let file: Box<dyn Read + Send> = Box::new(meter.wrap(file));
        let mut inner = BufReader::with_capacity(1 << 20, file);
        let head = inner.fill_buf().map_err(|e| Error::io(path, e))?;
        let gzip = head.starts_with(&[0x1F, 0x8B]);
        Ok(WarcReader {
            path: path.to_owned(),
            gzip,
            file: Some(Tee::new(inner)),
            member: None,
            number: 0,
            meter,
        })
    }

    /// How much of the file has been read.
    #[must_use]
    pub fn meter(&self) -> &crate::corpus::ReadMeter {
        &self.meter
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file is gzip-compressed.
    #[must_use]
    pub fn gzip(&self) -> bool {
        self.gzip
    }

    fn bad(&self, offset: u64, message: impl Into<String>) -> Error {
        ErrorKind::Record {
            path: self.path.clone(),
            line: self.number,
            message: format!(
                "WARC record {} at byte {offset}: {}",
                self.number,
                message.into()
            ),
        }
        .into()
    }

    /// The next record, or `None` at the end of the file.
    ///
    /// # Errors
    ///
    /// When a record is malformed or the file cannot be read.
    pub fn next_record(&mut self) -> Result<Option<Record>> {
        if let Some(record) = self.next_in_member()? {
            return Ok(Some(record));
        }
        let Some(file) = self.file.as_mut() else {
            unreachable!("the file is back once its member ended")
        };
        let at_end = file
            .fill_buf()
            .map_err(|e| Error::io(&self.path, e))?
            .is_empty();
        if at_end {
            return Ok(None);
        }
        self.number += 1;
        let offset = file.offset;
        file.taken.clear();
        let mut record = Record {
            number: self.number,
            offset,
            ..Record::default()
        };
        if !self.gzip {
            let parsed = parse(file, &mut record, false);
            record.raw = std::mem::take(&mut file.taken);
            parsed.map_err(|e| self.bad(offset, e.to_string()))?;
            return Ok(Some(record));
        }
        let file = self.file.take().expect("checked above");
        let mut member = Tee::new(BufReader::with_capacity(16 << 10, GzDecoder::new(file)));
        // A member usually holds one record, kept as its compressed bytes:
        // the decompressed ones are only counted, not copied.
        member.keep = false;
        let parsed = parse(&mut member, &mut record, true);
        let more = member.fill_buf().map(|rest| !rest.is_empty());
        if parsed.is_ok() && matches!(more, Ok(true)) {
            // The member holds more records: a WARC compressed as one
            // stream. Each record is read from the member in turn and
            // written back as a gzip member of its own; the member's own
            // bytes are not kept (they would be the whole file). The first
            // record's bytes are decoded again from what was read.
            let length = usize::try_from(member.offset).expect("a record is under 1 GiB");
            let file = member.inner.get_mut().get_mut();
            let first = decode_prefix(&file.taken, length);
            file.keep = false;
            file.taken = Vec::new();
            let Some(first) = first else {
                return Err(self.bad(offset, "the gzip member does not decode again"));
            };
            record.raw = gzip_member(&first);
            member.keep = true;
            member.taken.clear();
            self.member = Some((member, offset));
            return Ok(Some(record));
        }
        // Read the member to its end so the file position is past it,
        // whatever its record said: a bad record inside a sound member can
        // be skipped, and the next member read.
        let drained = discard(&mut member);
        let decoder = member.inner.into_inner();
        let gzip_header = decoder.header().is_some();
        self.file = Some(decoder.into_inner());
        if let Err(e) = drained {
            return Err(self.bad(offset, e.to_string()));
        }
        if !gzip_header {
            return Err(self.bad(offset, "not a gzip member"));
        }
        if let Err(e) = parsed {
            record.bad = Some(format!("WARC record {} at byte {offset}: {e}", self.number));
        }
        let file = self.file.as_mut().expect("put back above");
        record.raw = std::mem::take(&mut file.taken);
        Ok(Some(record))
    }

    /// The next record of a member that holds several, or `None` when
    /// there is none (the member ended, and the file is back).
    fn next_in_member(&mut self) -> Result<Option<Record>> {
        let Some((member, member_offset)) = self.member.as_mut() else {
            return Ok(None);
        };
        let member_offset = *member_offset;
        let rest = member.fill_buf();
        let ended = match rest {
            Ok(rest) => rest.is_empty(),
            Err(e) => {
                let message = e.to_string();
                self.number += 1;
                return Err(self.bad(member_offset, message));
            }
        };
        if ended {
            let (member, _) = self.member.take().expect("checked above");
            let mut file = member.inner.into_inner().into_inner();
            file.keep = true;
            file.taken.clear();
            self.file = Some(file);
            return Ok(None);
        }
        self.number += 1;
        member.taken.clear();
        let mut record = Record {
            number: self.number,
            offset: member_offset,
            ..Record::default()
        };
        // Inside a stream there is no member boundary to resume at: a
        // malformed record stops the file, as in a plain WARC.
        let parsed = parse(member, &mut record, false);
        record.raw = gzip_member(&member.taken);
        parsed
            .map_err(|e| self.bad(member_offset, format!("in a multi-record gzip member: {e}")))?;
        Ok(Some(record))
    }
}

/// The first `length` decompressed bytes of the gzip bytes `compressed`
/// (the start of a member), or `None` when they do not give that many.
fn decode_prefix(compressed: &[u8], length: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(length);
    // The member goes on past `compressed`: reading may end in an error
    // once its bytes are used up, after what is needed was decoded.
    let _ = GzDecoder::new(compressed)
        .take(length as u64)
        .read_to_end(&mut out);
    (out.len() == length).then_some(out)
}

/// `bytes` as one gzip member (deterministic: no name, no time).
fn gzip_member(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    // Level 1: every record of a stream is compressed again, kept or
    // not, and the fast level costs a third of the default's time.
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 3 + 64),
        flate2::Compression::fast(),
    );
    encoder.write_all(bytes).expect("writing to a Vec");
    encoder.finish().expect("writing to a Vec")
}

/// Reads `reader` to its end without copying what it reads: bodies are
/// most of a WARC, and only their first bytes are looked at.
fn discard(reader: &mut impl BufRead) -> io::Result<u64> {
    let mut skipped = 0u64;
    loop {
        let n = reader.fill_buf()?.len();
        if n == 0 {
            return Ok(skipped);
        }
        reader.consume(n);
        skipped += n as u64;
    }
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

/// The longest line read in a header block: a header line longer than
/// this is malformed, and reading it must not hold gigabytes.
pub const MAX_HEADER_LINE: usize = 64 << 10;

/// Reads a CRLF (or LF) terminated line without its line end, holding at
/// most `limit` bytes: a longer line is an error.
fn line(reader: &mut impl BufRead, out: &mut Vec<u8>, limit: usize) -> io::Result<bool> {
    out.clear();
    let mut read = 0;
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            break;
        }
        let (take, done) = match memchr::memchr(b'\n', buffer) {
            Some(at) => (at + 1, true),
            None => (buffer.len(), false),
        };
        if out.len() + take > limit + 2 {
            return Err(invalid(format!("a header line longer than {limit} bytes")));
        }
        out.extend_from_slice(&buffer[..take]);
        reader.consume(take);
        read += take;
        if done {
            break;
        }
    }
    if out.ends_with(b"\n") {
        out.pop();
        if out.ends_with(b"\r") {
            out.pop();
        }
    }
    Ok(read > 0)
}

/// Header lines up to a blank line.
fn headers(reader: &mut impl BufRead, limit: usize) -> io::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut buffer = Vec::new();
    let mut read = 0;
    loop {
        if !line(reader, &mut buffer, limit.min(MAX_HEADER_LINE))? {
            return Err(invalid("the headers end early"));
        }
        read += buffer.len() + 2;
        if read > limit {
            return Err(invalid(format!("headers longer than {} KiB", limit >> 10)));
        }
        if buffer.is_empty() {
            return Ok(out);
        }
        let text = String::from_utf8_lossy(&buffer);
        if let Some((name, value)) = text.split_once(':') {
            out.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
}

/// Parses one record from `reader` into `record`: the version line, the
/// headers, and the block (for responses: HTTP status, headers, body head).
fn parse(reader: &mut impl BufRead, record: &mut Record, member: bool) -> io::Result<()> {
    let mut version = Vec::new();
    // Tolerate blank lines between records of a plain file.
    loop {
        if !line(reader, &mut version, MAX_HEADER_LINE)? {
            return Err(invalid("empty record"));
        }
        if member || !version.is_empty() {
            break;
        }
    }
    if !version.starts_with(b"WARC/") {
        return Err(invalid(format!(
            "expected `WARC/1.x`, found `{}`",
            String::from_utf8_lossy(&version[..version.len().min(40)])
        )));
    }
    record.headers = headers(reader, 64 << 10)?;
    let length: u64 = record
        .header("Content-Length")
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| invalid("no valid Content-Length"))?;
    if length > MAX_RECORD {
        return Err(invalid(format!("Content-Length {length} is over 1 GiB")));
    }
    let mut block = reader.take(length);
    let is_response = record.kind().eq_ignore_ascii_case("response");
    let http = is_response
        && record
            .header("Content-Type")
            .is_none_or(|t| t.to_ascii_lowercase().contains("application/http"));
    if http {
        let mut buffered = BufReader::with_capacity(8 << 10, &mut block);
        let mut status = Vec::new();
        // A response whose HTTP head cannot be read may carry page
        // signals that would be lost: it is flagged bad (skipped and
        // counted, never kept as if it said nothing).
        let unreadable = |record: &mut Record, what: String| {
            record.bad = Some(format!(
                "WARC record {} at byte {}: the HTTP response's {what}",
                record.number, record.offset
            ));
        };
        match line(&mut buffered, &mut status, MAX_HEADER_LINE) {
            Ok(true) => {
                record.http_status = String::from_utf8_lossy(&status)
                    .split_whitespace()
                    .nth(1)
                    .and_then(|s| s.parse().ok());
                if record.http_status.is_none() {
                    let shown = String::from_utf8_lossy(&status[..status.len().min(40)]);
                    unreadable(record, format!("status line `{shown}` does not parse"));
                }
                match headers(&mut buffered, 256 << 10) {
                    Ok(headers) => record.http_headers = headers,
                    Err(e) => unreadable(record, format!("headers do not parse: {e}")),
                }
                let limit = super::http_body::limit(&record.http_headers);
                (&mut buffered)
                    .take(limit as u64 + 1)
                    .read_to_end(&mut record.body_head)?;
                if record.body_head.len() > limit {
                    record.body_head.truncate(limit);
                    record.body_truncated = true;
                }
            }
            Ok(false) => {}
            Err(e) => unreadable(record, format!("status line does not parse: {e}")),
        }
        // What the small buffer holds is past what was needed: dropped
        // with it; the rest is skipped from the block itself.
        drop(buffered);
    }
    let skipped = discard(&mut block)?;
    if block.limit() > 0 {
        return Err(invalid(format!(
            "Content-Length {length} runs past the end of the record ({} bytes missing)",
            block.limit()
        )));
    }
    let _ = skipped;
    let mut end = [0u8; 4];
    let mut filled = 0;
    while filled < 4 {
        let n = reader.read(&mut end[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    if &end[..filled] != b"\r\n\r\n" {
        return Err(invalid(
            "the block is not followed by CRLF CRLF (a wrong Content-Length?)",
        ));
    }
    Ok(())
}

/// The distinct origins of a WARC file's target URIs.
///
/// # Errors
///
/// When the file cannot be read or a record is malformed.
pub fn scan(path: &Path) -> Result<crate::corpus::OriginScan> {
    let mut reader = WarcReader::open(path)?;
    let mut parser = crate::origin::UrlParser::new();
    let mut origins = std::collections::BTreeSet::new();
    let mut scan = crate::corpus::OriginScan::default();
    while let Some(record) = reader.next_record()? {
        scan.rows += 1;
        let Some(target) = record.target() else {
            scan.skipped += 1;
            continue;
        };
        match parser.parse(target) {
            Ok(url) => {
                origins.insert(crate::origin::Origin::of(&url));
            }
            Err(_) => scan.invalid += 1,
        }
    }
    scan.origins = origins.into_iter().collect();
    Ok(scan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn response(url: &str, extra_header: &str, body: &str) -> Vec<u8> {
        let http =
            format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n{extra_header}\r\n{body}");
        format!(
            "WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: {}\r\n\r\n{http}\r\n\r\n",
            http.len()
        )
        .into_bytes()
    }

    fn gz(record: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(record).unwrap();
        e.finish().unwrap()
    }

    fn read_all(path: &Path) -> Result<Vec<Record>> {
        let mut reader = WarcReader::open(path)?;
        let mut out = Vec::new();
        while let Some(record) = reader.next_record()? {
            out.push(record);
        }
        Ok(out)
    }

    #[test]
    fn gzip_members_are_read_and_kept_as_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let a = gz(&response(
            "http://a.example/",
            "X-Robots-Tag: noai\r\n",
            "<html><head></head></html>",
        ));
        let b = gz(&response("<http://b.example/x>", "", "hello"));
        let path = dir.path().join("t.warc.gz");
        std::fs::write(&path, [a.clone(), b.clone()].concat()).unwrap();
        let records = read_all(&path).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].raw, a, "the member, byte for byte");
        assert_eq!(records[1].raw, b);
        assert_eq!(records[1].offset, a.len() as u64);
        assert_eq!(records[0].target(), Some("http://a.example/"));
        assert_eq!(records[1].target(), Some("http://b.example/x"));
        assert_eq!(records[0].http_status, Some(200));
        assert_eq!(
            records[0].http_headers[1],
            ("X-Robots-Tag".into(), "noai".into())
        );
        assert_eq!(records[1].body_head, b"hello");
    }

    #[test]
    fn plain_records_are_read_and_kept_as_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let a = response("http://a.example/", "", "x");
        let path = dir.path().join("t.warc");
        std::fs::write(&path, [a.clone(), a.clone()].concat()).unwrap();
        let records = read_all(&path).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].raw, a);
    }

    #[test]
    fn a_bad_record_in_a_sound_member_can_be_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let good = gz(&response("http://a.example/", "", "x"));
        let text = String::from_utf8(response("http://b.example/", "", "body"))
            .unwrap()
            .replace("Content-Length: ", "Content-Length: 1");
        let path = dir.path().join("t.warc.gz");
        std::fs::write(
            &path,
            [good.clone(), gz(text.as_bytes()), good.clone()].concat(),
        )
        .unwrap();
        let records = read_all(&path).unwrap();
        assert_eq!(records.len(), 3);
        assert!(records[0].bad.is_none() && records[2].bad.is_none());
        let bad = records[1].bad.as_deref().unwrap();
        assert!(
            bad.contains(&format!("WARC record 2 at byte {}", good.len())),
            "{bad}"
        );
    }

    #[test]
    fn a_wrong_length_names_the_record_and_offset() {
        let dir = tempfile::tempdir().unwrap();
        let good = response("http://a.example/", "", "x");
        let text = String::from_utf8(response("http://b.example/", "", "body"))
            .unwrap()
            .replace("Content-Length: ", "Content-Length: 1");
        let path = dir.path().join("t.warc");
        std::fs::write(&path, [good.clone(), text.into_bytes()].concat()).unwrap();
        let err = read_all(&path).unwrap_err().to_string();
        assert!(
            err.contains(&format!("WARC record 2 at byte {}", good.len())),
            "{err}"
        );
        assert!(err.contains("t.warc"), "{err}");
    }

    #[test]
    fn a_file_compressed_as_one_stream_gives_every_record() {
        let dir = tempfile::tempdir().unwrap();
        let records: Vec<Vec<u8>> = (0..4)
            .map(|i| response(&format!("http://a.example/{i}"), "", "body"))
            .collect();
        let path = dir.path().join("t.warc.gz");
        // One stream, then a member of its own: both kinds in one file.
        let single = gz(&response("http://b.example/", "", "x"));
        std::fs::write(&path, [gz(&records.concat()), single.clone()].concat()).unwrap();
        let read = read_all(&path).unwrap();
        assert_eq!(read.len(), 5);
        for (i, record) in read.iter().take(4).enumerate() {
            assert_eq!(
                record.target(),
                Some(format!("http://a.example/{i}").as_str())
            );
            assert!(record.bad.is_none());
            assert_eq!(record.offset, 0, "the offset of the member");
            // Each record is written back as a gzip member of its own.
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&record.raw[..])
                .read_to_end(&mut plain)
                .unwrap();
            assert_eq!(plain, records[i]);
        }
        assert_eq!(read[4].raw, single, "a member of its own is kept as it was");
    }

    #[test]
    fn a_bad_record_inside_a_stream_stops_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let good = response("http://a.example/", "", "x");
        let bad = String::from_utf8(response("http://b.example/", "", "body"))
            .unwrap()
            .replace("Content-Length: ", "Content-Length: 1");
        let path = dir.path().join("t.warc.gz");
        std::fs::write(&path, gz(&[good.clone(), good, bad.into_bytes()].concat())).unwrap();
        let err = read_all(&path).unwrap_err().to_string();
        assert!(err.contains("WARC record 3 at byte 0"), "{err}");
    }

    #[test]
    fn an_unreadable_http_head_is_flagged_bad() {
        let dir = tempfile::tempdir().unwrap();
        // The HTTP header block never ends before the block does.
        let http = "HTTP/1.1 200 OK\r\nX-Robots-Tag: noai\r\n";
        let record = format!(
            "WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: http://a.example/\r\nContent-Length: {}\r\n\r\n{http}\r\n\r\n",
            http.len()
        );
        let garbage = response("http://b.example/", "", "x");
        let garbage = String::from_utf8(garbage)
            .unwrap()
            .replace("HTTP/1.1 200 OK", "XXXXXXXXXXXXXXX");
        let path = dir.path().join("t.warc");
        std::fs::write(&path, [record.into_bytes(), garbage.into_bytes()].concat()).unwrap();
        let read = read_all(&path).unwrap();
        let bad = read[0].bad.as_deref().unwrap();
        assert!(
            bad.contains("WARC record 1 at byte 0") && bad.contains("headers"),
            "{bad}"
        );
        assert!(read[1].bad.as_deref().unwrap().contains("status line"));
    }

    #[test]
    fn a_header_line_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let long = "x".repeat(MAX_HEADER_LINE + 10);
        let record = format!("WARC/1.1\r\nWARC-Type: {long}\r\nContent-Length: 0\r\n\r\n\r\n\r\n");
        let path = dir.path().join("t.warc");
        std::fs::write(&path, record).unwrap();
        let err = read_all(&path).unwrap_err().to_string();
        assert!(err.contains("longer than 65536"), "{err}");
    }
}
