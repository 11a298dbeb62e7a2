//! Opening an input and undoing its compression, detected from the magic
//! bytes (and, for an empty or unreadable head, the file extension).
//!
//! gzip inputs may hold several members (as `cat a.gz b.gz` makes, and as
//! WARC files do); all are read.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

/// How an input is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed.
    None,
    /// gzip (RFC 1952), one or more members.
    Gzip,
    /// Zstandard.
    Zstd,
}

impl Compression {
    /// The format's name, as used in messages.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "plain",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    /// Detects the compression from the first bytes, falling back to the
    /// extension of `path` when there are too few bytes to tell.
    #[must_use]
    pub fn detect(path: &Path, head: &[u8]) -> Compression {
        if head.starts_with(&[0x1F, 0x8B]) {
            return Compression::Gzip;
        }
        if head.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
            return Compression::Zstd;
        }
        if head.len() < 4 {
            match path.extension().and_then(|e| e.to_str()) {
                Some("gz") if !head.is_empty() => return Compression::Gzip,
                Some("zst") if !head.is_empty() => return Compression::Zstd,
                _ => {}
            }
        }
        Compression::None
    }
}

/// An opened input: decompressed bytes and where they come from.
pub struct Input {
    /// The path as given; `-` for standard input.
    pub path: PathBuf,
    /// The detected compression.
    pub compression: Compression,
    /// The decompressed bytes.
    pub reader: Box<dyn BufRead + Send>,
    /// Raw bytes read so far, and the file's size, for progress.
    pub meter: super::ReadMeter,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("path", &self.path)
            .field("compression", &self.compression)
            .finish_non_exhaustive()
    }
}

const BUFFER: usize = 256 * 1024;

impl Input {
    /// Opens `path`, or standard input for `-`.
    ///
    /// # Errors
    ///
    /// When the file cannot be opened or its first bytes cannot be read.
    pub fn open(path: impl AsRef<Path>) -> Result<Input> {
        let path = path.as_ref();
        let (raw, meter): (Box<dyn Read + Send>, _) = if path == Path::new("-") {
            let meter = super::ReadMeter::new(None);
            (Box::new(meter.wrap(io::stdin())), meter)
        } else {
            let file = File::open(path).map_err(|e| Error::io(path, e))?;
            let size = file
                .metadata()
                .ok()
                .filter(std::fs::Metadata::is_file)
                .map(|m| m.len());
            let meter = super::ReadMeter::new(size);
            (Box::new(meter.wrap(file)), meter)
        };
        let mut raw = BufReader::with_capacity(BUFFER, raw);
        let head = raw.fill_buf().map_err(|e| Error::io(path, e))?;
        let compression = Compression::detect(path, head);
        let reader: Box<dyn BufRead + Send> = match compression {
            Compression::None => Box::new(raw),
            Compression::Gzip => Box::new(BufReader::with_capacity(
                BUFFER,
                flate2::bufread::MultiGzDecoder::new(raw),
            )),
            Compression::Zstd => Box::new(BufReader::with_capacity(
                BUFFER,
                zstd::stream::read::Decoder::with_buffer(raw).map_err(|e| Error::io(path, e))?,
            )),
        };
        Ok(Input {
            path: path.to_path_buf(),
            compression,
            reader,
            meter,
        })
    }
}

impl Input {
    /// An input of bytes already decompressed (in memory, say), named
    /// `path` in errors; its size is not known to progress.
    pub fn from_reader(path: impl Into<PathBuf>, reader: Box<dyn BufRead + Send>) -> Input {
        Input {
            path: path.into(),
            compression: Compression::None,
            reader,
            meter: super::ReadMeter::default(),
        }
    }

    /// The first decompressed bytes, left unread. A decoder error names
    /// the file and its format (a corrupt or cut compressed file).
    ///
    /// # Errors
    ///
    /// When the input cannot be read or decompressed.
    pub fn head(&mut self) -> Result<&[u8]> {
        let (path, compression) = (&self.path, self.compression);
        self.reader.fill_buf().map_err(|source| match compression {
            Compression::None => Error::io(path, source),
            compression => ErrorKind::Decompress {
                path: path.clone(),
                format: compression.as_str(),
                offset: 0,
                line: 0,
                source,
            }
            .into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection() {
        let p = Path::new("x.txt");
        assert_eq!(
            Compression::detect(p, &[0x1F, 0x8B, 8, 0]),
            Compression::Gzip
        );
        assert_eq!(
            Compression::detect(p, &[0x28, 0xB5, 0x2F, 0xFD]),
            Compression::Zstd
        );
        assert_eq!(Compression::detect(p, b"http://a/"), Compression::None);
        assert_eq!(
            Compression::detect(Path::new("x.gz"), b""),
            Compression::None
        );
        assert_eq!(
            Compression::detect(Path::new("x.gz"), b"\x1f"),
            Compression::Gzip
        );
        // A plain file named .gz is read as plain: the bytes win.
        assert_eq!(
            Compression::detect(Path::new("x.gz"), b"http://a/"),
            Compression::None
        );
    }
}
