//! Content hashes for evidence: the SHA-256 of a robots.txt body or a
//! blocklist, as lower-case hex, is what lets a third party check later that
//! a decision rested on exactly those bytes.

use sha2::{Digest, Sha256};

/// A SHA-256 computed as bytes pass, with their count.
#[derive(Clone, Debug, Default)]
pub struct Running {
    hasher: Sha256,
    bytes: u64,
}

impl Running {
    /// Adds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
        self.bytes += bytes.len() as u64;
    }

    /// The digest as hex, and the byte count.
    #[must_use]
    pub fn finish(self) -> (String, u64) {
        (hex(&self.hasher.finalize()), self.bytes)
    }
}

fn hex(digest: &[u8]) -> String {
    use std::fmt::Write;
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The SHA-256 of a file's bytes, as hex, and its size.
///
/// # Errors
///
/// When the file cannot be read.
pub fn file_sha256(path: &std::path::Path) -> crate::Result<(String, u64)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| crate::Error::io(path, e))?;
    let mut running = Running::default();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| crate::Error::io(path, e))?;
        if n == 0 {
            return Ok(running.finish());
        }
        running.update(&buffer[..n]);
    }
}

/// The SHA-256 of `bytes`.
#[must_use]
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// `bytes` as lower-case hex.
#[must_use]
pub fn to_hex(bytes: &[u8]) -> String {
    hex(bytes)
}

/// The SHA-256 of `bytes`, as 64 lower-case hex digits.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_digests() {
        assert_eq!(
            super::sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            super::sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
