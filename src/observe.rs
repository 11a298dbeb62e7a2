//! How a long library call tells its caller how far it is, says what a
//! person should know, and learns that it should stop.
//!
//! Every run-level function of the library (a filter or audit run, a
//! verify, an explain, a cache refresh) takes an [`Observer`]. The library
//! never prints: the command line's observer draws progress bars and
//! writes messages to standard error; the Python package's stays
//! [`Quiet`]; a test's records what it is told. Cancellation is asked for,
//! not forced: the work checks [`Observer::cancelled`] between units (a
//! batch of chunks, a fetch), saves what finished and returns
//! [`crate::ErrorKind::Interrupted`] or a result that says it was cut.

/// A stage of a run, for progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Fetching policies into the cache; units are origins.
    Fetch,
    /// Judging rows; units are rows.
    Judge,
    /// Reading the input for the origins it names; no units.
    Scan,
    /// Loading policies; no units.
    Load,
}

impl Stage {
    /// The stage's name, as progress shows it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Fetch => "fetch",
            Stage::Judge => "judge",
            Stage::Scan => "scan",
            Stage::Load => "load",
        }
    }
}

/// How much a message matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Something the run did that a person may want to know.
    Note,
    /// Something was skipped or is probably not what was meant.
    Warning,
}

/// Receives a run's progress and messages and answers whether to stop.
/// Every method has a default that does nothing, so an observer implements
/// only what it shows. Methods are called from the run's threads: they
/// must be cheap (the engine calls them once per batch of chunks, never
/// per row).
pub trait Observer: Sync {
    /// `stage` begins, with `total` units when known.
    fn start(&self, stage: Stage, total: Option<u64>) {
        let _ = (stage, total);
    }

    /// `done` units of `stage` are finished in all; `status` says more
    /// (counts by outcome, say), or is empty.
    fn progress(&self, stage: Stage, done: u64, status: &str) {
        let _ = (stage, done, status);
    }

    /// `read` bytes of the input are read in all, of `total` when known
    /// (the file's size, compressed as it is on disk): what an ETA is
    /// reckoned from.
    fn read(&self, stage: Stage, read: u64, total: Option<u64>) {
        let _ = (stage, read, total);
    }

    /// `stage` is over.
    fn finish(&self, stage: Stage) {
        let _ = stage;
    }

    /// A message for the person running the work.
    fn message(&self, level: Level, text: &str) {
        let _ = (level, text);
    }

    /// Whether the caller asks the work to stop.
    fn cancelled(&self) -> bool {
        false
    }
}

/// An observer that shows nothing and never cancels.
#[derive(Clone, Copy, Debug, Default)]
pub struct Quiet;

impl Observer for Quiet {}
