//! The library's error type: one boxed [`ErrorKind`] per failure, each naming
//! the place it happened (a path, a line, a byte offset).
//!
//! Row-level problems in a corpus (an unparseable URL, an empty line) are not
//! errors: the engine turns them into removed or skipped rows with a reason,
//! so that a run goes on. This type is for what stops a step: a file that
//! cannot be read, a broken compressed stream, a bad option.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// A specialised `Result` for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error from the optout library. Cheap to move: the details are boxed.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct Error(Box<ErrorKind>);

/// What went wrong, and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading or writing a file failed.
    #[error("`{}`: {source}", path.display())]
    Io {
        /// The file; `-` stands for standard input or output.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A compressed input ended early or is corrupt. Rows before `offset`
    /// (decompressed bytes) were read; nothing after it.
    #[error(
        "`{}`: corrupt or truncated {format} stream after {offset} decompressed bytes (line {line}): {source}",
        path.display()
    )]
    Decompress {
        /// The input file.
        path: PathBuf,
        /// `gzip` or `zstd`.
        format: &'static str,
        /// Decompressed bytes read before the failure.
        offset: u64,
        /// The last complete line read before the failure.
        line: u64,
        /// The decoder's error.
        source: io::Error,
    },
    /// A line of a blocklist could not be used.
    #[error("`{}` line {line}: {message}", path.display())]
    Blocklist {
        /// The list file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// The agent registry or an agent selection is invalid.
    #[error("agents: {0}")]
    Agents(String),
    /// An option or a combination of options is invalid.
    #[error("{0}")]
    Config(String),
    /// The policy cache could not be opened, read or written.
    #[error("cache `{}`: {message}", path.display())]
    Cache {
        /// The cache database.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// A policy snapshot file is malformed.
    #[error("snapshot `{}` line {line}: {message}", path.display())]
    Snapshot {
        /// The snapshot file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// An indexed policy snapshot cannot be used: not one, cut, altered,
    /// or its index disagrees with its data.
    #[error("snapshot index `{}`: {message}", path.display())]
    SnapshotIndex {
        /// The snapshot file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A corpus file cannot be read as its format (a Parquet file without
    /// the URL column, say).
    #[error("`{}`: {message}", path.display())]
    Corpus {
        /// The input.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A row or record of a corpus is not of its format.
    #[error("`{}` line {line}: {message}", path.display())]
    Record {
        /// The input.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// The network client could not be set up.
    #[error("fetch: {0}")]
    Fetch(String),
    /// The run was interrupted (SIGINT); what was finished is saved.
    #[error("interrupted")]
    Interrupted,
}

impl Error {
    /// The kind of error, for matching.
    #[must_use]
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// Whether the error came from reading or writing a file.
    #[must_use]
    pub fn is_io(&self) -> bool {
        matches!(*self.0, ErrorKind::Io { .. })
    }

    /// What kind of failure this is, for callers that map errors to outcomes
    /// (the command line's exit codes do, in one place).
    #[must_use]
    pub fn class(&self) -> ErrorClass {
        match &*self.0 {
            ErrorKind::Interrupted => ErrorClass::Interrupted,
            ErrorKind::Io { source, .. } => match source.kind() {
                io::ErrorKind::BrokenPipe => ErrorClass::BrokenPipe,
                // A path the user named that cannot be used.
                io::ErrorKind::NotFound
                | io::ErrorKind::PermissionDenied
                | io::ErrorKind::IsADirectory
                | io::ErrorKind::NotADirectory
                | io::ErrorKind::InvalidInput
                | io::ErrorKind::AlreadyExists => ErrorClass::Usage,
                _ => ErrorClass::Failure,
            },
            ErrorKind::Config(_)
            | ErrorKind::Agents(_)
            | ErrorKind::Blocklist { .. }
            | ErrorKind::Snapshot { .. }
            | ErrorKind::SnapshotIndex { .. } => ErrorClass::Usage,
            // A file of its format that cannot be read as one is corrupt.
            ErrorKind::Corpus { .. }
            | ErrorKind::Decompress { .. }
            | ErrorKind::Record { .. }
            | ErrorKind::Cache { .. }
            | ErrorKind::Fetch(_) => ErrorClass::Failure,
        }
    }

    /// Whether a broken pipe on output caused the error.
    #[must_use]
    pub fn is_broken_pipe(&self) -> bool {
        matches!(&*self.0, ErrorKind::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }

    /// Whether the run was interrupted by the user (SIGINT).
    #[must_use]
    pub fn is_interrupted(&self) -> bool {
        matches!(*self.0, ErrorKind::Interrupted)
    }

    /// A cache error on `path`.
    pub(crate) fn cache(path: impl AsRef<Path>, message: impl fmt::Display) -> Self {
        ErrorKind::Cache {
            path: path.as_ref().to_path_buf(),
            message: message.to_string(),
        }
        .into()
    }

    /// An indexed snapshot error on `path`.
    pub(crate) fn index(path: impl AsRef<Path>, message: impl fmt::Display) -> Self {
        ErrorKind::SnapshotIndex {
            path: path.as_ref().to_path_buf(),
            message: message.to_string(),
        }
        .into()
    }

    /// An I/O error on `path`.
    pub(crate) fn io(path: impl AsRef<Path>, source: io::Error) -> Self {
        ErrorKind::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
        .into()
    }

    /// An invalid option.
    pub(crate) fn config(message: impl Into<String>) -> Self {
        ErrorKind::Config(message.into()).into()
    }
}

/// What kind of failure an [`Error`] is (see [`Error::class`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// What the user asked for cannot be done as asked: a bad option, an
    /// input, list, directory or snapshot that cannot be used.
    Usage,
    /// The work could not finish: corrupt input, a cache, network or
    /// write failure.
    Failure,
    /// The caller cancelled the work; what finished is saved.
    Interrupted,
    /// The reader of the output went away (`| head`): not a failure.
    BrokenPipe,
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error(Box::new(kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_one_pointer_wide() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn messages_name_the_place() {
        let err: Error = ErrorKind::Blocklist {
            path: "lists/piracy.txt".into(),
            line: 7,
            message: "`a b` is not a domain".into(),
        }
        .into();
        assert_eq!(
            err.to_string(),
            "`lists/piracy.txt` line 7: `a b` is not a domain"
        );
        let err = Error::io(
            "missing.txt",
            io::Error::new(io::ErrorKind::NotFound, "not found"),
        );
        assert!(err.is_io());
        assert!(err.to_string().starts_with("`missing.txt`"));
    }
}
