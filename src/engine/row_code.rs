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

/// The names of the row codes, by number: `kept`, the reason codes in
/// their documented order, `null`, then the skip reasons.
pub const ROW_CODES: [&str; 1 + ReasonCode::ALL.len() + 1 + SkipReason::ALL.len()] = {
    let mut names = [""; 1 + ReasonCode::ALL.len() + 1 + SkipReason::ALL.len()];
    names[0] = "kept";
    let mut i = 0;
    while i < ReasonCode::ALL.len() {
        names[1 + i] = ReasonCode::ALL[i].as_str();
        i += 1;
    }
    names[1 + ReasonCode::ALL.len()] = "null";
    let mut j = 0;
    while j < SkipReason::ALL.len() {
        names[2 + ReasonCode::ALL.len() + j] = SkipReason::ALL[j].as_str();
        j += 1;
    }
    names
};

impl RowCode {
    /// The code's number in [`ROW_CODES`].
    #[must_use]
    pub fn number(self) -> u8 {
        let n = match self {
            RowCode::Kept => 0,
            RowCode::Removed(reason) => 1 + reason.index(),
            RowCode::Null => 1 + ReasonCode::ALL.len(),
            RowCode::Skipped(skip) => 2 + ReasonCode::ALL.len() + skip.index(),
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
