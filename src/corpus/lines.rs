//! Cutting a byte stream into chunks of whole lines, for parallel work.
//!
//! A chunk is about [`ChunkReader::chunk_size`] bytes and always ends at a
//! line end (or at the end of the input), so every line lies in exactly one
//! chunk and chunks can be judged independently and written out in order.

use std::io::{self, Read};
use std::path::PathBuf;

use crate::corpus::Input;
use crate::error::{Error, ErrorKind, Result};

/// A run of whole lines and the number of the first one.
#[derive(Debug, Default)]
pub struct Chunk {
    /// The bytes, ending with `\n` except for the last chunk of an input
    /// whose last line has none.
    pub data: Vec<u8>,
    /// 1-based number of the first line.
    pub first_line: u64,
    /// Byte offset of the chunk in the decompressed input.
    pub offset: u64,
}

impl Chunk {
    /// The lines, with their numbers; the line end (`\n` or `\r\n`) is cut.
    pub fn lines(&self) -> impl Iterator<Item = (u64, &[u8])> {
        let data = self.data.strip_suffix(b"\n").unwrap_or(&self.data);
        let empty = self.data.is_empty();
        data.split(|&b| b == b'\n')
            .filter(move |_| !empty)
            .zip(self.first_line..)
            .map(|(line, number)| (number, line.strip_suffix(b"\r").unwrap_or(line)))
    }
}

/// Reads an [`Input`] chunk by chunk.
pub struct ChunkReader {
    input: Input,
    chunk_size: usize,
    /// Bytes read past the last line end of the previous chunk.
    carry: Vec<u8>,
    next_line: u64,
    offset: u64,
    done: bool,
}

impl std::fmt::Debug for ChunkReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkReader")
            .field("input", &self.input)
            .field("next_line", &self.next_line)
            .finish_non_exhaustive()
    }
}

impl ChunkReader {
    /// Default chunk size: large enough to amortise scheduling, small
    /// enough that a few chunks per thread stay in cache-friendly memory.
    pub const DEFAULT_CHUNK: usize = 8 << 20;

    /// A reader of `input` with the default chunk size.
    #[must_use]
    pub fn new(input: Input) -> Self {
        Self::with_chunk_size(input, Self::DEFAULT_CHUNK)
    }

    /// A reader of `input` with chunks of about `chunk_size` bytes.
    #[must_use]
    pub fn with_chunk_size(input: Input, chunk_size: usize) -> Self {
        ChunkReader {
            input,
            chunk_size: chunk_size.max(1),
            carry: Vec::new(),
            next_line: 1,
            offset: 0,
            done: false,
        }
    }

    /// The input's path.
    #[must_use]
    pub fn path(&self) -> &PathBuf {
        &self.input.path
    }

    /// The chunk size.
    #[must_use]
    pub fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// Fills `chunk` with the next lines; `false` at the end of the input.
    /// Reuses the chunk's buffer.
    ///
    /// # Errors
    ///
    /// A read or decompression error, naming the input, the decompressed
    /// byte offset and the last complete line. Lines before it were
    /// returned in earlier chunks; a partial line is not.
    pub fn next_chunk(&mut self, chunk: &mut Chunk) -> Result<bool> {
        chunk.data.clear();
        if self.done && self.carry.is_empty() {
            return Ok(false);
        }
        chunk.data.append(&mut self.carry);
        while !self.done && chunk.data.len() < self.chunk_size {
            let start = chunk.data.len();
            chunk.data.resize(start + self.chunk_size.max(64 * 1024), 0);
            match self.input.reader.read(&mut chunk.data[start..]) {
                Ok(0) => {
                    chunk.data.truncate(start);
                    self.done = true;
                }
                Ok(n) => chunk.data.truncate(start + n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => chunk.data.truncate(start),
                Err(e) => {
                    chunk.data.truncate(start);
                    self.done = true;
                    return Err(self.read_error(chunk, e));
                }
            }
        }
        if !self.done {
            // Keep the partial last line for the next chunk.
            let cut = memchr::memrchr(b'\n', &chunk.data).map_or(0, |at| at + 1);
            self.carry.extend_from_slice(&chunk.data[cut..]);
            chunk.data.truncate(cut);
            if cut == 0 {
                // One line longer than a chunk: read on until it ends.
                return self.next_chunk_long_line(chunk);
            }
        }
        self.finish(chunk);
        Ok(true)
    }

    fn next_chunk_long_line(&mut self, chunk: &mut Chunk) -> Result<bool> {
        std::mem::swap(&mut chunk.data, &mut self.carry);
        loop {
            let start = chunk.data.len();
            chunk.data.resize(start + self.chunk_size.max(64 * 1024), 0);
            match self.input.reader.read(&mut chunk.data[start..]) {
                Ok(0) => {
                    chunk.data.truncate(start);
                    self.done = true;
                    break;
                }
                Ok(n) => {
                    chunk.data.truncate(start + n);
                    if let Some(at) = memchr::memchr(b'\n', &chunk.data[start..]) {
                        let cut = start + at + 1;
                        self.carry.extend_from_slice(&chunk.data[cut..]);
                        chunk.data.truncate(cut);
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => chunk.data.truncate(start),
                Err(e) => {
                    chunk.data.truncate(start);
                    self.done = true;
                    return Err(self.read_error(chunk, e));
                }
            }
        }
        self.finish(chunk);
        Ok(!chunk.data.is_empty())
    }

    fn finish(&mut self, chunk: &mut Chunk) {
        chunk.first_line = self.next_line;
        chunk.offset = self.offset;
        let newlines = memchr::memchr_iter(b'\n', &chunk.data).count() as u64;
        let unterminated = u64::from(chunk.data.last().is_some_and(|&b| b != b'\n'));
        self.next_line += newlines + unterminated;
        self.offset += chunk.data.len() as u64;
    }

    /// A read error during `chunk`: the complete lines read so far stay in
    /// the chunk to be judged; the partial last one is dropped.
    fn read_error(&mut self, chunk: &mut Chunk, source: io::Error) -> Error {
        let cut = memchr::memrchr(b'\n', &chunk.data).map_or(0, |at| at + 1);
        chunk.data.truncate(cut);
        self.finish(chunk);
        self.carry.clear();
        let complete_lines = self.next_line - 1;
        match self.input.compression {
            super::Compression::None => Error::io(&self.input.path, source),
            compression => ErrorKind::Decompress {
                path: self.input.path.clone(),
                format: compression.as_str(),
                offset: self.offset,
                line: complete_lines,
                source,
            }
            .into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Compression;
    use std::io::Cursor;

    fn reader(data: &[u8], size: usize) -> ChunkReader {
        ChunkReader::with_chunk_size(
            Input {
                path: "test".into(),
                compression: Compression::None,
                reader: Box::new(Cursor::new(data.to_vec())),
            },
            size,
        )
    }

    fn all_lines(data: &[u8], size: usize) -> Vec<(u64, Vec<u8>)> {
        let mut r = reader(data, size);
        let mut chunk = Chunk::default();
        let mut out = Vec::new();
        while r.next_chunk(&mut chunk).unwrap() {
            assert!(chunk.data.ends_with(b"\n") || !data.ends_with(b"\n"));
            out.extend(chunk.lines().map(|(n, l)| (n, l.to_vec())));
        }
        out
    }

    #[test]
    fn every_line_once_whatever_the_chunk_size() {
        let data = b"a\nbb\r\n\nccc\nlast";
        let want: Vec<(u64, Vec<u8>)> = vec![
            (1, b"a".to_vec()),
            (2, b"bb".to_vec()),
            (3, b"".to_vec()),
            (4, b"ccc".to_vec()),
            (5, b"last".to_vec()),
        ];
        for size in [1, 2, 3, 5, 8, 100] {
            assert_eq!(all_lines(data, size), want, "chunk size {size}");
        }
        assert!(all_lines(b"", 4).is_empty());
        assert_eq!(all_lines(b"\n", 4), vec![(1, b"".to_vec())]);
    }
}
