//! The code each row of a batch gets (kept, removed for a reason, null or
//! skipped), as a small number with a fixed dictionary: what
//! [`crate::engine::batch`] reports and the Python package and the Spark
//! and Ray jobs carry in their `reason` column.

use crate::signals::{ReasonCode, SkipReason};

/// A row's code: kept, removed for a reason, or skipped. As a number
/// ([`RowCode::number`]) it indexes [`ROW_CODES`], a dictionary that only
/// ever grows at its end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RowCode {
    /// Kept.
    #[default]
    Kept,
    /// Removed, with the reason.
    Removed(ReasonCode),
    /// A null cell: skipped.
    Null,
    /// Skipped, with the reason (an empty cell is `empty-line`).
    Skipped(SkipReason),
}

/// The reason codes of the first dictionary, numbered 1 to 13; reason
/// codes added later are numbered after the skip reasons, so that no
/// number ever changes.
const FIRST_REASONS: usize = 13;

/// The names of the row codes, by number: `kept`, the first thirteen reason
/// codes in their documented order, `null`, the skip reasons, then the
/// reason codes added since.
pub const ROW_CODES: [&str; 1 + ReasonCode::ALL.len() + 1 + SkipReason::ALL.len()] = {
    let mut names = [""; 1 + ReasonCode::ALL.len() + 1 + SkipReason::ALL.len()];
    names[0] = "kept";
    let mut i = 0;
    while i < FIRST_REASONS {
        names[1 + i] = ReasonCode::ALL[i].as_str();
        i += 1;
    }
    names[1 + FIRST_REASONS] = "null";
    let mut j = 0;
    while j < SkipReason::ALL.len() {
        names[2 + FIRST_REASONS + j] = SkipReason::ALL[j].as_str();
        j += 1;
    }
    let mut k = FIRST_REASONS;
    while k < ReasonCode::ALL.len() {
        names[2 + SkipReason::ALL.len() + k] = ReasonCode::ALL[k].as_str();
        k += 1;
    }
    names
};

impl RowCode {
    /// The code's number in [`ROW_CODES`].
    #[must_use]
    pub fn number(self) -> u8 {
        let n = match self {
            RowCode::Kept => 0,
            RowCode::Removed(reason) if reason.index() < FIRST_REASONS => 1 + reason.index(),
            RowCode::Removed(reason) => 2 + SkipReason::ALL.len() + reason.index(),
            RowCode::Null => 1 + FIRST_REASONS,
            RowCode::Skipped(skip) => 2 + FIRST_REASONS + skip.index(),
        };
        u8::try_from(n).expect("fewer than 256 codes")
    }

    /// The code's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        ROW_CODES[usize::from(self.number())]
    }
}

/// One row's outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RowOutcome {
    /// Kept, removed or skipped.
    pub code: RowCode,
    /// The deciding agent (a position in the engine's agent set), for a
    /// removal by robots.txt or a usage statement.
    pub agent: Option<u16>,
    /// The robots.txt line of the deciding rule.
    pub line: Option<u32>,
}
