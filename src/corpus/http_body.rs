//! The body of a stored HTTP response, as far as signals need it: how much
//! of it to keep (the HTML head, or a media file whole up to a limit, for
//! the metadata it embeds), and its bytes without chunked transfer coding.

/// Bytes of a PDF, EPUB, image or video body kept for its embedded
/// metadata. A JPEG's or PNG's XMP is near its start; a PDF's metadata
/// stream may lie anywhere, so most of a typical file is kept. Larger
/// bodies are read this far and flagged.
pub const MEDIA_BODY: usize = 16 << 20;

/// How many body bytes to keep for a response with `headers`.
#[must_use]
pub fn limit(headers: &[(String, String)]) -> usize {
    let media = content_type(headers).is_some_and(|t| {
        t.starts_with("application/pdf")
            || t.starts_with("application/epub+zip")
            || t.starts_with("image/")
            || t.starts_with("video/")
    });
    if media {
        MEDIA_BODY
    } else {
        super::warc::BODY_HEAD
    }
}

/// The `Content-Type` value, lower-cased.
#[must_use]
pub fn content_type(headers: &[(String, String)]) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.trim().to_ascii_lowercase())
}

/// Whether the body is sent with chunked transfer coding.
#[must_use]
pub fn chunked(headers: &[(String, String)]) -> bool {
    headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked")
    })
}

/// `body` without its chunked transfer coding (RFC 9112 §7.1): the chunks'
/// data, as far as they are whole; a body cut inside a chunk gives what
/// came before the cut, and a malformed size line ends the data there.
#[must_use]
pub fn dechunk(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut at = 0;
    while at < body.len() {
        let Some(end) = memchr::memmem::find(&body[at..], b"\r\n") else {
            break;
        };
        let line = &body[at..at + end];
        let size = line.split(|&b| b == b';').next().unwrap_or_default();
        let Some(size) = std::str::from_utf8(size)
            .ok()
            .and_then(|t| usize::from_str_radix(t.trim(), 16).ok())
        else {
            break;
        };
        if size == 0 {
            break;
        }
        let start = at + end + 2;
        let stop = start.saturating_add(size).min(body.len());
        out.extend_from_slice(&body[start..stop]);
        at = stop.saturating_add(2);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_joined_and_a_cut_keeps_what_came() {
        assert_eq!(
            dechunk(b"4\r\nWiki\r\n5;x=1\r\npedia\r\n0\r\n\r\n"),
            b"Wikipedia"
        );
        assert_eq!(dechunk(b"4\r\nWiki\r\nA\r\nped"), b"Wikiped");
        assert_eq!(dechunk(b"zz\r\nWiki"), b"");
        let headers = vec![("Content-Type".to_owned(), "Image/JPEG".to_owned())];
        assert_eq!(limit(&headers), MEDIA_BODY);
        assert_eq!(limit(&[]), crate::corpus::warc::BODY_HEAD);
    }
}
