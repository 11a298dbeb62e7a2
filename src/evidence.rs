//! The run manifest: what a third party needs to check a `filter` run
//! without trusting whoever ran it. It names every file the run read and
//! wrote with its SHA-256 and size, the whole resolved configuration, the
//! agent registry version, each blocklist's hash, the policy source (a
//! snapshot file, which a cache run writes beside the manifest, or a
//! robots directory) and the counts. `optout verify` recomputes the
//! hashes and the decisions from it.
//!
//! Everything in a manifest but `created` is a function of the inputs, the
//! policies and the configuration, so two runs over the same inputs and
//! snapshot write the same manifest, that line aside.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

/// The manifest format.
pub const FORMAT: &str = "optout-manifest-v1";

/// A file and its content hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    /// The path as given on the command line (`-`: a standard stream).
    pub path: String,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

impl FileDigest {
    /// The digest of the file at `path`.
    ///
    /// # Errors
    ///
    /// When it cannot be read.
    pub fn of_file(path: &Path) -> Result<FileDigest> {
        let (sha256, bytes) = crate::digest::file_sha256(path)?;
        Ok(FileDigest {
            path: path.display().to_string(),
            sha256,
            bytes,
        })
    }
}

/// Where the policies came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PolicySource {
    /// A snapshot file (given with `--snapshot`, or written by the run
    /// from the cache).
    Snapshot {
        /// The file.
        file: FileDigest,
        /// Written by this run from the cache at this time (`None`: given).
        exported_at: Option<String>,
    },
    /// A directory of robots.txt files.
    RobotsDir {
        /// The directory.
        path: String,
        /// SHA-256 over the sorted `host sha256` lines of its files.
        digest: String,
        /// Files read.
        files: usize,
    },
}

/// A blocklist as the run read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlocklistDigest {
    /// Its name.
    pub name: String,
    /// Its file.
    pub file: FileDigest,
}

/// A run's manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// `optout VERSION`.
    pub tool: String,
    /// When the run ended (the one field that differs between identical
    /// runs).
    pub created: String,
    /// The command: `filter` or `audit`.
    pub command: String,
    /// The input (the first, for an audit of several).
    pub input: FileDigest,
    /// The other inputs of an audit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_inputs: Vec<FileDigest>,
    /// Outputs by role: `kept`, `removed`, `stats` (`filter`); `report`
    /// (`audit`).
    pub outputs: std::collections::BTreeMap<String, FileDigest>,
    /// The configuration.
    pub config: crate::config::FilterConfig,
    /// The agent registry version.
    pub registry_version: String,
    /// The blocklists.
    pub blocklists: Vec<BlocklistDigest>,
    /// The policies.
    pub policies: PolicySource,
    /// The counts (as in `--stats`).
    pub counts: serde_json::Value,
}

impl Manifest {
    /// Reads a manifest.
    ///
    /// # Errors
    ///
    /// When the file cannot be read or is not a manifest of this format.
    pub fn read(path: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
            Error::from(ErrorKind::Config(format!(
                "`{}` is not a manifest: {e}",
                path.display()
            )))
        })?;
        if manifest.format != FORMAT {
            return Err(Error::config(format!(
                "`{}`: format `{}` is not `{FORMAT}`",
                path.display(),
                manifest.format
            )));
        }
        Ok(manifest)
    }

    /// A path of the manifest, resolved against the manifest's directory
    /// when relative and not found from the working directory.
    #[must_use]
    pub fn resolve(manifest: &Path, path: &str) -> PathBuf {
        let given = PathBuf::from(path);
        if given.is_absolute() || given.exists() {
            return given;
        }
        manifest
            .parent()
            .map_or_else(|| given.clone(), |dir| dir.join(&given))
    }
}

/// The digest of a robots directory: SHA-256 over the sorted `host sha256`
/// lines of the policies read from it.
#[must_use]
pub fn robots_dir_digest<'a>(policies: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut lines: Vec<String> = policies.map(|(h, s)| format!("{h} {s}\n")).collect();
    lines.sort_unstable();
    crate::digest::sha256_hex(lines.concat().as_bytes())
}
