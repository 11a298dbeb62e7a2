//! How much of an input file has been read: a counter on the raw (still
//! compressed) bytes, shared with whoever shows progress, and the file's
//! size when it has one. One atomic add per buffer refill (256 KiB or
//! more), never per row.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Raw bytes read of an input, and its size when known (a regular file).
#[derive(Clone, Debug, Default)]
pub struct ReadMeter {
    read: Arc<AtomicU64>,
    total: Option<u64>,
}

impl ReadMeter {
    /// A meter for an input of `total` bytes, if known.
    #[must_use]
    pub fn new(total: Option<u64>) -> ReadMeter {
        ReadMeter {
            read: Arc::default(),
            total,
        }
    }

    /// Bytes read so far.
    #[must_use]
    pub fn read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    /// The input's size, when known.
    #[must_use]
    pub fn total(&self) -> Option<u64> {
        self.total
    }

    /// `inner`, counting what it reads on this meter.
    pub fn wrap<R: Read>(&self, inner: R) -> Counted<R> {
        Counted {
            inner,
            read: Arc::clone(&self.read),
        }
    }
}

/// A reader that adds what it reads to a [`ReadMeter`].
#[derive(Debug)]
pub struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_is_read() {
        let meter = ReadMeter::new(Some(10));
        let mut reader = meter.wrap(&b"0123456789"[..]);
        let mut buf = [0; 4];
        assert_eq!(reader.read(&mut buf).unwrap(), 4);
        assert_eq!((meter.read(), meter.total()), (4, Some(10)));
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).unwrap();
        assert_eq!(meter.clone().read(), 10);
    }
}
