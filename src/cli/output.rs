//! Exit statuses and output files shared by the commands.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

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

/// A data destination: a file, or standard output for `-` or none.
pub(crate) struct Destination {
    pub(crate) path: PathBuf,
    writer: BufWriter<Box<dyn Write>>,
}

impl Destination {
    /// Standard output: line-buffered on a terminal, so a person sees rows
    /// as they come; block-buffered in a pipe, for throughput.
    pub(crate) fn stdout() -> Destination {
        use std::io::IsTerminal;
        let stdout = io::stdout();
        let (inner, capacity): (Box<dyn Write>, usize) = if stdout.is_terminal() {
            (Box::new(io::LineWriter::new(stdout.lock())), 0)
        } else {
            (Box::new(stdout.lock()), 1 << 20)
        };
        Destination {
            path: PathBuf::from("-"),
            writer: BufWriter::with_capacity(capacity, inner),
        }
    }

    pub(crate) fn create(path: &Path) -> Result<Destination> {
        if path == Path::new("-") {
            return Ok(Destination::stdout());
        }
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        Ok(Destination {
            path: path.to_path_buf(),
            writer: BufWriter::with_capacity(1 << 20, Box::new(file)),
        })
    }

    /// The buffered writer, for serialisers that write directly.
    pub(crate) fn writer(&mut self) -> &mut dyn Write {
        &mut self.writer
    }

    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        self.writer
            .write_all(bytes)
            .map_err(|e| Error::io(&self.path, e))
    }

    pub(crate) fn finish(mut self) -> Result<()> {
        self.writer.flush().map_err(|e| Error::io(&self.path, e))
    }
}
