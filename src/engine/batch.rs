//! Deciding an Arrow array of URLs for callers that hold their data as
//! Arrow (the Python package, Spark's `mapInArrow`, Ray Data): each row
//! gets a keep flag, a code from a fixed dictionary ([`RowCode`]), and for
//! a removal by robots.txt or a usage statement, the deciding agent and
//! (robots.txt) the rule's line; removed rows' evidence, when asked for, is
//! the same JSON Lines `filter --removed` writes, numbered from the
//! caller's first row. The cells are read in place from the array's
//! buffers: `Utf8`, `LargeUtf8`, `Utf8View`, `Binary` and `LargeBinary`.
//!
//! [`host_key`] gives the host optout judges a URL by, so that a
//! distributed job can partition rows by exactly that key.

use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, BinaryArray, BooleanArray, LargeBinaryArray, LargeStringArray, RecordBatch,
    StringArray, StringViewArray, UInt8Array, UInt32Array,
};
use arrow_schema::{DataType, Field, Schema};

use crate::engine::column::ColumnScratch;
pub use crate::engine::row_code::{ROW_CODES, RowCode, RowOutcome};
use crate::engine::{Engine, Outputs, Stats};
use crate::error::{Error, Result};
#[cfg(test)]
use crate::signals::{ReasonCode, SkipReason};

/// What deciding a batch gave.
#[derive(Debug)]
pub struct BatchDecision {
    /// Per row: `keep` (bool), `code` (u8, see [`ROW_CODES`]), `agent`
    /// (utf8, null unless an agent decided) and `line` (u32, null unless a
    /// robots.txt rule decided).
    pub rows: RecordBatch,
    /// The removed rows' evidence as JSON Lines, numbered from the first
    /// row given, when asked for.
    pub removed: Vec<u8>,
    /// Counts.
    pub stats: Stats,
}

/// How every removed record starts: its row number comes first.
const ROW_PREFIX: &[u8] = b"{\"row\":";

/// The row number a removed record starts with, and the bytes it takes
/// after the opening `{"row":`; `None` for a line the engine did not
/// write.
#[must_use]
pub fn record_row(record: &[u8]) -> Option<(u64, usize)> {
    let rest = record.strip_prefix(ROW_PREFIX)?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let row = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
    Some((row, digits))
}

impl BatchDecision {
    /// Numbers the removed rows' evidence by `rows`, the caller's number
    /// of each row of the batch, for a batch decided with `first_row` 1:
    /// a distributed job whose batches hold rows from anywhere in the
    /// corpus numbers them as the whole corpus would.
    ///
    /// # Errors
    ///
    /// When `rows` is shorter than the batch.
    pub fn renumber(&mut self, rows: &[u64]) -> Result<()> {
        use std::io::Write;
        let mut out = Vec::with_capacity(self.removed.len() + self.removed.len() / 8);
        for line in self.removed.split_inclusive(|&b| b == b'\n') {
            let (row, digits) = record_row(line).expect("every removed record starts with its row");
            let number = usize::try_from(row - 1).expect("a row of this batch");
            let given = rows.get(number).ok_or_else(|| {
                Error::config(format!(
                    "row numbers: {} given for a batch of more rows",
                    rows.len()
                ))
            })?;
            out.extend_from_slice(ROW_PREFIX);
            write!(out, "{given}").expect("writing to a Vec");
            out.extend_from_slice(&line[ROW_PREFIX.len() + digits..]);
        }
        self.removed = out;
        Ok(())
    }
}

/// The schema of [`BatchDecision::rows`].
#[must_use]
pub fn decision_schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("keep", DataType::Boolean, false),
        Field::new("code", DataType::UInt8, false),
        Field::new("agent", DataType::Utf8, true),
        Field::new("line", DataType::UInt32, true),
    ]))
}

/// The cells of a string or binary array, read in place; `None` for nulls.
///
/// # Errors
///
/// When the array is of another type.
pub fn cells(array: &dyn Array) -> Result<Vec<Option<&[u8]>>> {
    fn collect<'a, T: AsRef<[u8]> + ?Sized + 'a>(
        values: impl Iterator<Item = Option<&'a T>>,
    ) -> Vec<Option<&'a [u8]>> {
        values.map(|v| v.map(AsRef::as_ref)).collect()
    }
    let any = array.as_any();
    Ok(match array.data_type() {
        DataType::Utf8 => collect(downcast::<StringArray>(any).iter()),
        DataType::LargeUtf8 => collect(downcast::<LargeStringArray>(any).iter()),
        DataType::Utf8View => collect(downcast::<StringViewArray>(any).iter()),
        DataType::Binary => collect(downcast::<BinaryArray>(any).iter()),
        DataType::LargeBinary => collect(downcast::<LargeBinaryArray>(any).iter()),
        other => {
            return Err(Error::config(format!(
                "URLs must be a string or binary array (Utf8, LargeUtf8, Utf8View, Binary, LargeBinary), not {other}"
            )));
        }
    })
}

fn downcast<T: 'static>(any: &dyn std::any::Any) -> &T {
    any.downcast_ref::<T>()
        .expect("the data type says which array it is")
}

/// The host optout judges `url` by: lower case, IDNA (punycode), no
/// trailing dot, IPv6 in brackets; `None` when it is not a URL optout can
/// judge.
#[must_use]
pub fn host_key(url: &[u8]) -> Option<String> {
    let mut parser = crate::origin::UrlParser::new();
    let text = url.trim_ascii();
    parser
        .parse_bytes(text)
        .ok()
        .map(|parts| parts.host.to_owned())
}

/// [`host_key`] of every cell of a string or binary array, as a string
/// array (null for nulls and for what is not a URL).
///
/// # Errors
///
/// When the array is of another type.
pub fn host_keys(array: &dyn Array) -> Result<ArrayRef> {
    let mut parser = crate::origin::UrlParser::new();
    let keys: StringArray = cells(array)?
        .into_iter()
        .map(|cell| {
            let url = cell?.trim_ascii();
            parser
                .parse_bytes(url)
                .ok()
                .map(|parts| parts.host.to_owned())
        })
        .collect();
    Ok(Arc::new(keys))
}

impl Engine {
    /// Decides the URLs of `array` (see the module doc), the first being
    /// row `first_row` (1-based) of the caller's data, on `pool`; with
    /// `evidence`, the removed rows' records too. `scratch` is reused
    /// across calls. Decisions do not depend on how rows are cut into
    /// batches or on the number of threads.
    ///
    /// # Errors
    ///
    /// When the array is not of a string or binary type.
    pub fn decide_batch(
        &self,
        array: &dyn Array,
        first_row: u64,
        evidence: bool,
        pool: &rayon::ThreadPool,
        scratch: &mut ColumnScratch,
    ) -> Result<BatchDecision> {
        let urls = cells(array)?;
        let outputs = Outputs {
            kept: false,
            removed: evidence,
            outcomes: true,
        };
        let result = self.decide_column(&urls, None, first_row, outputs, pool, scratch);
        let names = self.agents.names();
        let code: UInt8Array = result
            .outcomes
            .iter()
            .zip(&urls)
            .map(|(outcome, url)| match url {
                None => RowCode::Null.number(),
                Some(_) => outcome.code.number(),
            })
            .map(Some)
            .collect();
        let agent: StringArray = result
            .outcomes
            .iter()
            .map(|o| o.agent.map(|a| names[usize::from(a)].as_str()))
            .collect();
        let line: UInt32Array = result.outcomes.iter().map(|o| o.line).collect();
        let keep = BooleanArray::from(result.keep);
        let rows = RecordBatch::try_new(
            decision_schema(),
            vec![
                Arc::new(keep),
                Arc::new(code),
                Arc::new(agent),
                Arc::new(line),
            ],
        )
        .expect("the columns match the schema");
        Ok(BatchDecision {
            rows,
            removed: result.removed,
            stats: result.stats,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dictionary_is_fixed() {
        // Appending is allowed; these numbers never change.
        assert_eq!(ROW_CODES[0], "kept");
        assert_eq!(ROW_CODES[1], "invalid-url");
        assert_eq!(ROW_CODES[5], "robots-disallow");
        assert_eq!(ROW_CODES[14], "null");
        assert_eq!(ROW_CODES[15], "empty-line");
        assert_eq!(
            RowCode::Removed(ReasonCode::UsageUnknown).as_str(),
            "usage-unknown"
        );
        assert_eq!(RowCode::Skipped(SkipReason::NoUrlField).number(), 18);
        assert_eq!(ROW_CODES[19], "iptc-data-mining", "added codes come after");
        assert_eq!(RowCode::Removed(ReasonCode::IptcDataMining).number(), 19);
        for (number, name) in ROW_CODES.iter().enumerate() {
            let code = match *name {
                "kept" => RowCode::Kept,
                "null" => RowCode::Null,
                name => ReasonCode::ALL
                    .iter()
                    .find(|r| r.as_str() == name)
                    .map(|r| RowCode::Removed(*r))
                    .or_else(|| {
                        SkipReason::ALL
                            .iter()
                            .find(|s| s.as_str() == name)
                            .map(|s| RowCode::Skipped(*s))
                    })
                    .unwrap(),
            };
            assert_eq!(usize::from(code.number()), number, "{name}");
        }
        assert!(ROW_CODES.iter().all(|n| !n.is_empty()));
    }

    #[test]
    fn evidence_is_renumbered_by_the_callers_rows() {
        let mut decision = BatchDecision {
            rows: RecordBatch::new_empty(decision_schema()),
            removed: b"{\"row\":1,\"url\":\"a\"}\n{\"row\":3,\"url\":\"c\"}\n".to_vec(),
            stats: Stats::new(0),
        };
        decision.renumber(&[10, 20, 30]).unwrap();
        assert_eq!(
            decision.removed,
            b"{\"row\":10,\"url\":\"a\"}\n{\"row\":30,\"url\":\"c\"}\n"
        );
        assert!(decision.renumber(&[1]).is_err());
        assert_eq!(record_row(b"{\"row\":42,\"url\":\"x\"}"), Some((42, 2)));
        assert_eq!(record_row(b"{\"url\":\"x\"}"), None);
    }

    #[test]
    fn host_keys_are_optouts_own() {
        assert_eq!(
            host_key(b"HTTPS://B\xC3\xBCcher.Example./x").as_deref(),
            Some("xn--bcher-kva.example")
        );
        assert_eq!(host_key(b"http://[::1]:8080/").as_deref(), Some("[::1]"));
        assert_eq!(host_key(b"not a url"), None);
        let array = StringArray::from(vec![Some("http://A.example/"), None, Some("x")]);
        let keys = host_keys(&array).unwrap();
        let keys = keys.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(keys.value(0), "a.example");
        assert!(keys.is_null(1) && keys.is_null(2));
    }
}
