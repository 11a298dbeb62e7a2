//! Content codings of a response body (RFC 9110 §8.4), decoded here rather
//! than by the HTTP client, so that every coding a server may name is
//! either decoded or refused, and never stored still encoded as if it were
//! the file: a robots.txt read as gzip bytes has no rules, which would
//! allow everything.
//!
//! `Content-Encoding` lists the codings in the order they were applied;
//! they are undone in reverse. Names compare case-insensitively;
//! `x-gzip` is `gzip` (RFC 9110 §8.4.1.3); `identity` is no coding.
//! `deflate` is the zlib format, and a raw deflate stream (which some
//! servers send) is accepted too. Any other name is refused.
//!
//! Output is bounded: decoding stops at the caller's limit, so a
//! compression bomb costs at most that many bytes.

use std::io::Read;

/// One content coding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    /// gzip (and `x-gzip`).
    Gzip,
    /// zlib, or raw deflate.
    Deflate,
    /// Brotli (`br`).
    Brotli,
    /// Zstandard (`zstd`).
    Zstd,
}

/// The value sent as `Accept-Encoding`: every coding decoded here.
pub const ACCEPT: &str = "gzip, br, zstd, deflate";

/// The codings a `Content-Encoding` value names, in the order applied.
///
/// # Errors
///
/// An unknown coding, by name.
pub fn parse(value: &str) -> Result<Vec<Coding>, String> {
    let mut codings = Vec::new();
    for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let coding = match name.to_ascii_lowercase().as_str() {
            "identity" => continue,
            "gzip" | "x-gzip" => Coding::Gzip,
            "deflate" => Coding::Deflate,
            "br" => Coding::Brotli,
            "zstd" => Coding::Zstd,
            _ => return Err(format!("unknown content coding `{name}`")),
        };
        codings.push(coding);
    }
    if codings.len() > 4 {
        return Err(format!("{} content codings: more than 4", codings.len()));
    }
    Ok(codings)
}

/// What decoding gave: the bytes, and whether they were cut at the limit
/// (or the encoded body itself was cut, so only a prefix could be had).
#[derive(Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The decoded bytes, at most the limit.
    pub body: Vec<u8>,
    /// More would have followed.
    pub truncated: bool,
}

/// Undoes `codings` on `raw`, keeping at most `limit` bytes. `complete`
/// says whether `raw` is the whole body; when it is not, a stream that
/// ends early gives the prefix it decoded, flagged truncated.
///
/// # Errors
///
/// When a complete body is not valid in its coding.
pub fn decode(
    raw: &[u8],
    codings: &[Coding],
    limit: usize,
    complete: bool,
) -> Result<Decoded, String> {
    let mut data = raw.to_vec();
    let mut truncated = !complete;
    for (i, coding) in codings.iter().enumerate().rev() {
        // Inner layers may hold more than the limit (a compressed stream
        // of compressed data): they are bounded at a multiple of it.
        let cap = if i == 0 {
            limit
        } else {
            limit.saturating_mul(8)
        };
        let step = decode_one(&data, *coding, cap, !truncated)?;
        truncated |= step.truncated;
        data = step.body;
    }
    Ok(Decoded {
        body: data,
        truncated,
    })
}

fn decode_one(raw: &[u8], coding: Coding, limit: usize, complete: bool) -> Result<Decoded, String> {
    let reader: Box<dyn Read + '_> = match coding {
        Coding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(raw)),
        Coding::Deflate => {
            // A zlib stream starts with a header whose check bits make its
            // first two bytes a multiple of 31; a raw stream usually not.
            let zlib = raw.len() >= 2
                && raw[0] & 0x0F == 8
                && (u16::from(raw[0]) << 8 | u16::from(raw[1])) % 31 == 0;
            if zlib {
                Box::new(flate2::read::ZlibDecoder::new(raw))
            } else {
                Box::new(flate2::read::DeflateDecoder::new(raw))
            }
        }
        Coding::Brotli => Box::new(brotli_decompressor::Decompressor::new(raw, 16 << 10)),
        Coding::Zstd => Box::new(
            zstd::stream::read::Decoder::with_buffer(raw).map_err(|e| format!("zstd: {e}"))?,
        ),
    };
    let mut body = Vec::new();
    let read = reader.take(limit as u64 + 1).read_to_end(&mut body);
    let truncated = body.len() > limit;
    body.truncate(limit);
    match read {
        Ok(_) => Ok(Decoded { body, truncated }),
        // A cut body decodes to a prefix; a whole one must decode whole.
        Err(_) if !complete || truncated => Ok(Decoded {
            body,
            truncated: true,
        }),
        Err(e) => Err(format!("{coding:?} body does not decode: {e}").to_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn all(bytes: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(bytes).unwrap();
        let mut raw =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(bytes).unwrap();
        let mut br = Vec::new();
        brotli_encode(bytes, &mut br);
        vec![
            ("gzip", gzip(bytes)),
            ("x-gzip", gzip(bytes)),
            ("GZIP", gzip(bytes)),
            ("deflate", zlib.finish().unwrap()),
            ("Deflate", raw.finish().unwrap()),
            ("br", br),
            ("zstd", zstd::encode_all(bytes, 3).unwrap()),
            ("gzip, gzip", gzip(&gzip(bytes))),
            ("identity, gzip", gzip(bytes)),
            ("identity", bytes.to_vec()),
        ]
    }

    /// A stored brotli stream: a metablock header per 64 KiB is beyond a
    /// test's needs, so the encoder is the dev-dependency's.
    fn brotli_encode(bytes: &[u8], out: &mut Vec<u8>) {
        let mut writer = brotli::CompressorWriter::new(out, 4096, 5, 22);
        writer.write_all(bytes).unwrap();
    }

    #[test]
    fn every_coding_a_server_may_name_is_decoded() {
        let text = b"User-agent: *\nDisallow: /\n".repeat(10);
        for (name, encoded) in all(&text) {
            let codings = parse(name).unwrap();
            let decoded = decode(&encoded, &codings, 1 << 20, true).unwrap();
            assert_eq!(decoded.body, text, "{name}");
            assert!(!decoded.truncated, "{name}");
        }
    }

    #[test]
    fn unknown_codings_and_corrupt_bodies_are_errors() {
        assert!(parse("compress").is_err());
        assert!(parse("gzip, foo").is_err());
        assert!(parse("gzip,gzip,gzip,gzip,gzip").is_err());
        let mut bad = gzip(b"User-agent: *\nDisallow: /\n");
        let n = bad.len();
        bad[n - 6] ^= 0xFF; // the CRC
        assert!(decode(&bad, &[Coding::Gzip], 1000, true).is_err());
        assert!(decode(b"not gzip", &[Coding::Gzip], 1000, true).is_err());
    }

    #[test]
    fn bombs_stop_at_the_limit() {
        let zeros = vec![0u8; 50 << 20];
        for (name, encoded) in all(&zeros) {
            if name == "identity" {
                continue;
            }
            let decoded = decode(&encoded, &parse(name).unwrap(), 500 << 10, true).unwrap();
            assert_eq!(decoded.body.len(), 500 << 10, "{name}");
            assert!(decoded.truncated, "{name}");
        }
    }

    #[test]
    fn a_cut_body_gives_its_prefix() {
        let text = b"User-agent: *\nDisallow: /private\n".repeat(1000);
        let encoded = gzip(&text);
        let cut = &encoded[..encoded.len() / 2];
        let decoded = decode(cut, &[Coding::Gzip], 1 << 20, false).unwrap();
        assert!(decoded.truncated);
        assert!(!decoded.body.is_empty() && text.starts_with(&decoded.body));
    }
}
