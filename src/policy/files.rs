//! What an origin's other policy files say: `/.well-known/tdmrep.json`
//! (TDMRep) and `/ai.txt` (Spawning). Like robots.txt, each is a fetch
//! outcome turned into data, never an `Option`: a file was not asked for,
//! the server has none (a 4xx other than 429: no statement), it was read,
//! or it could not be read (a 5xx, 429 or network failure). An unreadable
//! file is read the way RFC 9309 reads an unreachable robots.txt: as the
//! most restrictive thing it could have said (training disallowed), never
//! as "nothing said".

use std::sync::Arc;

pub use crate::origin::SiteFile;
use crate::signals::ai_txt::AiTxt;
use crate::signals::rsl::{RslDocument, RslError};
use crate::signals::tdmrep::TdmRepFile;
use crate::time::Millis;

/// What is known about one optional file of an origin.
#[derive(Clone, Debug, Default)]
pub enum FileState<T> {
    /// Not fetched for this origin (not asked for, or not yet): it states
    /// nothing, and `explain` says that it was not looked at.
    #[default]
    NotFetched,
    /// The server has none: no statement.
    Absent {
        /// The URL asked.
        source: String,
        /// The HTTP status.
        status: u16,
        /// When.
        fetched_at: Option<Millis>,
    },
    /// Read and parsed.
    Read {
        /// The parse, shared by origins serving the same bytes.
        parsed: Arc<T>,
        /// The URL asked.
        source: String,
        /// SHA-256 of the body, hex.
        sha256: String,
        /// When.
        fetched_at: Option<Millis>,
        /// A fallback to an older copy, a truncated body.
        note: String,
    },
    /// Could not be read: read as the most restrictive statement.
    Unreachable {
        /// The URL asked.
        source: String,
        /// What went wrong.
        detail: String,
        /// When.
        fetched_at: Option<Millis>,
    },
}

impl<T> FileState<T> {
    /// The URL asked, when the file was fetched.
    #[must_use]
    pub fn source(&self) -> Option<&str> {
        match self {
            FileState::NotFetched => None,
            FileState::Absent { source, .. }
            | FileState::Read { source, .. }
            | FileState::Unreachable { source, .. } => Some(source),
        }
    }

    /// When it was fetched.
    #[must_use]
    pub fn fetched_at(&self) -> Option<Millis> {
        match self {
            FileState::NotFetched => None,
            FileState::Absent { fetched_at, .. }
            | FileState::Read { fetched_at, .. }
            | FileState::Unreachable { fetched_at, .. } => *fetched_at,
        }
    }

    /// Whether the file can say anything: read, or unreadable (read as
    /// the most restrictive statement). An absent file says nothing.
    #[must_use]
    pub fn speaks(&self) -> bool {
        matches!(self, FileState::Read { .. } | FileState::Unreachable { .. })
    }

    /// A short word for outputs: `not-fetched`, `absent`, `read`,
    /// `unreachable`.
    #[must_use]
    pub fn state(&self) -> &'static str {
        match self {
            FileState::NotFetched => "not-fetched",
            FileState::Absent { .. } => "absent",
            FileState::Read { .. } => "read",
            FileState::Unreachable { .. } => "unreachable",
        }
    }
}

/// An origin's optional policy files.
#[derive(Clone, Debug, Default)]
pub struct SiteFiles {
    /// `/.well-known/tdmrep.json`.
    pub tdmrep: FileState<TdmRepFile>,
    /// `/ai.txt`.
    pub ai_txt: FileState<AiTxt>,
    /// The RSL document of robots.txt's `License` line (`--rsl fetch`); a
    /// body that is not RSL is kept as the error.
    pub rsl: FileState<Result<RslDocument, RslError>>,
}

impl SiteFiles {
    /// The files of an origin none of whose files was fetched, shared by
    /// every such policy: most policies hold robots.txt only, and each
    /// would otherwise carry three empty states.
    #[must_use]
    pub fn none() -> Arc<SiteFiles> {
        static NONE: std::sync::LazyLock<Arc<SiteFiles>> =
            std::sync::LazyLock::new(|| Arc::new(SiteFiles::default()));
        Arc::clone(&NONE)
    }

    /// Whether no file was fetched.
    #[must_use]
    pub fn is_none(&self) -> bool {
        matches!(
            (&self.tdmrep, &self.ai_txt, &self.rsl),
            (
                FileState::NotFetched,
                FileState::NotFetched,
                FileState::NotFetched
            )
        )
    }

    /// `files` as a policy holds them: [`SiteFiles::none`] when none was
    /// fetched.
    #[must_use]
    pub fn shared(files: SiteFiles) -> Arc<SiteFiles> {
        if files.is_none() {
            SiteFiles::none()
        } else {
            Arc::new(files)
        }
    }

    /// Whether any file can say anything.
    #[must_use]
    pub fn speak(&self) -> bool {
        // A License line whose document cannot be had still speaks: the
        // asset is unlicensed (RSL 1.0).
        let rsl = !matches!(self.rsl, FileState::NotFetched);
        self.tdmrep.speaks() || self.ai_txt.speaks() || rsl
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absent_file_says_nothing_but_an_absent_license_does() {
        fn absent<T>() -> FileState<T> {
            FileState::Absent {
                source: "u".into(),
                status: 404,
                fetched_at: None,
            }
        }
        let files = SiteFiles {
            tdmrep: absent(),
            ai_txt: absent(),
            rsl: FileState::NotFetched,
        };
        assert!(!files.tdmrep.speaks() && !files.speak());
        let unlicensed = SiteFiles {
            rsl: absent(),
            ..files
        };
        assert!(unlicensed.speak());
    }
}
