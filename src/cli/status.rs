//! How a command ends: its exit status, and the one mapping from a library
//! error to it.

#[cfg(test)]
use crate::error::ErrorKind;
use crate::error::{Error, ErrorClass};

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Exit 0.
    Success,
    /// Exit 1: a user error (`filter`) or "disallowed" (`check`).
    UserError,
    /// Exit 2: the command failed.
    Failure,
    /// Exit 130: interrupted by SIGINT; finished work was saved.
    Interrupted,
}

impl ExitStatus {
    /// The process exit code.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::UserError => 1,
            ExitStatus::Failure => 2,
            ExitStatus::Interrupted => 130,
        }
    }
}

/// What a command's exit code 1 means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum One {
    /// A user error (`filter`, `audit`, `fetch`, `cache`, `agents`).
    UserError,
    /// A negative answer (`check`: disallowed; `explain`: removed;
    /// `verify`: not verified), so every error exits 2.
    Answer,
}

/// The exit status of a command that stopped with `err`, after saying why
/// on standard error. The one mapping from a library error to an exit code.
pub(crate) fn failed(err: &Error, one: One) -> ExitStatus {
    match err.class() {
        ErrorClass::BrokenPipe => ExitStatus::Success,
        ErrorClass::Interrupted => {
            crate::cli::say!("interrupted: what finished is saved; nothing else was written");
            ExitStatus::Interrupted
        }
        ErrorClass::Usage if one == One::UserError => {
            crate::cli::say!("error: {err}");
            ExitStatus::UserError
        }
        ErrorClass::Usage | ErrorClass::Failure => {
            crate::cli::say!("error: {err}");
            ExitStatus::Failure
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_mapping_for_every_command() {
        let usage = Error::config("bad");
        let failure: Error = ErrorKind::Fetch("down".into()).into();
        let pipe = Error::io("-", std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        let missing = Error::io("in.txt", std::io::Error::from(std::io::ErrorKind::NotFound));
        let interrupted: Error = ErrorKind::Interrupted.into();
        assert_eq!(failed(&usage, One::UserError), ExitStatus::UserError);
        assert_eq!(failed(&missing, One::UserError), ExitStatus::UserError);
        assert_eq!(failed(&usage, One::Answer), ExitStatus::Failure);
        assert_eq!(failed(&failure, One::UserError), ExitStatus::Failure);
        assert_eq!(failed(&pipe, One::Answer), ExitStatus::Success);
        assert_eq!(
            failed(&interrupted, One::UserError),
            ExitStatus::Interrupted
        );
    }
}
