//! Filtering a Parquet file: the URL column of each record batch is
//! decided in parallel ([`Engine::decide_column`]), and the kept rows are
//! written to a Parquet file with the same schema, the same compression and
//! row groups of the input's size. Memory is bounded by a batch.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{
    Array, BooleanArray, LargeStringArray, RecordBatch, StringArray, StringViewArray,
};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::properties::WriterProperties;

use crate::engine::{Engine, Stats};
use crate::error::{Error, ErrorKind, Result};

/// Decoded bytes per batch read: a batch is judged in large slices, host
/// by host, and the more rows a slice holds the more of each host's rows
/// are matched while its rules are in cache; memory is bounded by this.
const BATCH_BYTES: u64 = 128 << 20;

/// Rows per batch, whatever their size: at least enough for parallel
/// slices, at most a million.
const BATCH_ROWS: std::ops::RangeInclusive<usize> = 65_536..=1 << 20;

/// Rows per batch for rows of the columns named `columns` (all when
/// `None`), from the row groups' uncompressed sizes.
fn batch_rows(
    metadata: &parquet::file::metadata::ParquetMetaData,
    columns: Option<&[&str]>,
) -> usize {
    let (mut bytes, mut rows) = (0u64, 0u64);
    for group in metadata.row_groups() {
        rows += u64::try_from(group.num_rows()).unwrap_or(0);
        for column in group.columns() {
            let root = column.column_path().parts().first().map(String::as_str);
            if columns.is_none_or(|names| root.is_some_and(|r| names.contains(&r))) {
                bytes += u64::try_from(column.uncompressed_size()).unwrap_or(0);
            }
        }
    }
    let per_row = (bytes / rows.max(1)).max(1);
    usize::try_from(BATCH_BYTES / per_row)
        .unwrap_or(usize::MAX)
        .clamp(*BATCH_ROWS.start(), *BATCH_ROWS.end())
}

/// Whether a file is Parquet: it starts with `PAR1`.
#[must_use]
pub fn is_parquet(head: &[u8]) -> bool {
    head.starts_with(b"PAR1")
}

/// An error at 1-based `row`, or of the whole file (`row` 0).
fn bad(path: &Path, row: u64, message: impl Into<String>) -> Error {
    let (path, message) = (path.to_owned(), message.into());
    if row == 0 {
        ErrorKind::Corpus { path, message }.into()
    } else {
        ErrorKind::Record {
            path,
            line: row,
            message,
        }
        .into()
    }
}

/// The URL cells of a batch's column, as bytes.
fn cells<'a>(path: &Path, column: &'a dyn Array, first_row: u64) -> Result<Vec<Option<&'a [u8]>>> {
    let any = column.as_any();
    let out: Vec<Option<&[u8]>> = if let Some(a) = any.downcast_ref::<StringArray>() {
        a.iter().map(|v| v.map(str::as_bytes)).collect()
    } else if let Some(a) = any.downcast_ref::<LargeStringArray>() {
        a.iter().map(|v| v.map(str::as_bytes)).collect()
    } else if let Some(a) = any.downcast_ref::<StringViewArray>() {
        a.iter().map(|v| v.map(str::as_bytes)).collect()
    } else {
        return Err(bad(
            path,
            first_row,
            format!(
                "the URL column is {}, not a string column",
                column.data_type()
            ),
        ));
    };
    Ok(out)
}

/// The token counts of a batch's count column: any integer column; a
/// null or negative cell has no count.
fn counts(path: &Path, column: &dyn Array, first_row: u64) -> Result<Vec<Option<u64>>> {
    use arrow_array::{Int32Array, Int64Array, UInt32Array, UInt64Array};
    let any = column.as_any();
    let out = if let Some(a) = any.downcast_ref::<Int64Array>() {
        a.iter()
            .map(|v| v.and_then(|n| u64::try_from(n).ok()))
            .collect()
    } else if let Some(a) = any.downcast_ref::<Int32Array>() {
        a.iter()
            .map(|v| v.and_then(|n| u64::try_from(n).ok()))
            .collect()
    } else if let Some(a) = any.downcast_ref::<UInt64Array>() {
        a.iter().collect()
    } else if let Some(a) = any.downcast_ref::<UInt32Array>() {
        a.iter().map(|v| v.map(u64::from)).collect()
    } else {
        return Err(bad(
            path,
            first_row,
            format!(
                "the token count column is {}, not an integer column",
                column.data_type()
            ),
        ));
    };
    Ok(out)
}

/// The position of `name` in `schema`, or an error naming the columns.
fn column_index(
    path: &Path,
    schema: &arrow_schema::Schema,
    name: &str,
    what: &str,
) -> Result<usize> {
    schema.index_of(name).map_err(|_| {
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        bad(
            path,
            0,
            format!("no {what} column `{name}` (columns: {})", names.join(", ")),
        )
    })
}

/// The distinct origins of a Parquet file's URL column.
///
/// # Errors
///
/// As [`Engine::filter_parquet`].
pub fn scan(input: &Path, column: &str) -> Result<crate::corpus::OriginScan> {
    let builder = open(input)?;
    let metadata = builder.metadata().clone();
    let mask = parquet::arrow::ProjectionMask::columns(builder.parquet_schema(), [column]);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(*BATCH_ROWS.start())
        .build()
        .map_err(|e| bad(input, 0, e.to_string()))?;
    let mut parser = crate::origin::UrlParser::new();
    let mut origins = std::collections::BTreeSet::new();
    let mut scan = crate::corpus::OriginScan::default();
    let mut row = 1;
    let mut reader = reader;
    while let Some(batch) = guarded(|| reader.next()).map_err(|e| bad(input, row, e))? {
        let batch = batch.map_err(|e| corrupt(input, &metadata, row, &e))?;
        if batch.num_columns() == 0 {
            return Err(bad(input, 0, format!("no column `{column}`")));
        }
        for url in cells(input, batch.column(0).as_ref(), row)? {
            scan.rows += 1;
            match url.map(|u| parser.parse_bytes(u)) {
                Some(Ok(url)) => {
                    origins.insert(crate::origin::Origin::of(&url));
                }
                Some(Err(_)) => scan.invalid += 1,
                None => scan.skipped += 1,
            }
        }
        row += batch.num_rows() as u64;
    }
    scan.origins = origins.into_iter().collect();
    Ok(scan)
}

impl Engine {
    /// Filters the Parquet file `input` (URLs in `column`) into `kept`
    /// (`None`: only count, as an audit does), writing removed rows'
    /// records to `removed`.
    ///
    /// # Errors
    ///
    /// When the file is not Parquet, has no such column, or cannot be read
    /// or written.
    pub fn filter_parquet(
        &self,
        input: &Path,
        column: &str,
        kept: Option<File>,
        mut removed: Option<&mut dyn Write>,
        threads: usize,
        observer: &dyn crate::observe::Observer,
    ) -> Result<Stats> {
        let builder = open(input)?;
        let schema = Arc::clone(builder.schema());
        let index = column_index(input, &schema, column, "URL")?;
        let tokens = match self.tokens_field() {
            Some(field) => Some(column_index(input, &schema, field.as_str(), "token count")?),
            None => None,
        };
        let metadata = builder.metadata().clone();
        // Rows are known up front: they are the progress's units.
        observer.start(
            crate::observe::Stage::Judge,
            Some(u64::try_from(metadata.file_metadata().num_rows()).unwrap_or(0)),
        );
        let _finished = super::run::Finished(observer);
        let group_rows = metadata.row_groups().first().map_or(1 << 20, |g| {
            usize::try_from(g.num_rows()).unwrap_or(1 << 20).max(1)
        });
        let compression = metadata
            .row_groups()
            .first()
            .and_then(|g| g.columns().first())
            .map(|c| c.compression());
        let mut properties =
            WriterProperties::builder().set_max_row_group_row_count(Some(group_rows));
        if let Some(compression) = compression {
            properties = properties.set_compression(compression);
        }
        let writer = match kept {
            Some(kept) => Some(
                ArrowWriter::try_new(kept, Arc::clone(&schema), Some(properties.build()))
                    .map_err(|e| bad(input, 0, format!("cannot write Parquet: {e}")))?,
            ),
            None => None,
        };
        // Counting alone reads only the columns it needs: in a corpus such
        // as FineWeb the text column is most of the file.
        let (builder, index, tokens, batch) = if writer.is_none() {
            let mut wanted: Vec<usize> = std::iter::once(index).chain(tokens).collect();
            wanted.sort_unstable();
            wanted.dedup();
            let rank = |i: usize| wanted.iter().position(|&w| w == i).expect("projected");
            let names: Vec<&str> = wanted
                .iter()
                .map(|&i| schema.field(i).name().as_str())
                .collect();
            let batch = batch_rows(&metadata, Some(&names));
            let mask =
                parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), wanted.clone());
            (
                builder.with_projection(mask),
                rank(index),
                tokens.map(rank),
                batch,
            )
        } else {
            (builder, index, tokens, batch_rows(&metadata, None))
        };
        let reader = builder
            .with_batch_size(batch)
            .build()
            .map_err(|e| bad(input, 0, e.to_string()))?;
        let pool = crate::engine::pool(threads, "engine")?;
        let mut stats = Stats::new(self.agents.len());
        let mut row = 1u64;
        // Three stages run at once: the next batch is decoded, this one is
        // judged, the last one's kept rows are encoded and written;
        // otherwise the workers would wait for every decode and write.
        std::thread::scope(|scope| -> Result<()> {
            let (send, batches) = std::sync::mpsc::sync_channel(0);
            std::thread::Builder::new()
                .name("optout-parquet-read".into())
                .spawn_scoped(scope, move || {
                    let mut reader = reader;
                    loop {
                        let batch = match guarded(|| reader.next()) {
                            Ok(None) => break,
                            Ok(Some(batch)) => batch,
                            Err(panic) => Err(arrow_schema::ArrowError::ParquetError(panic)),
                        };
                        let failed = batch.is_err();
                        if send.send(batch).is_err() || failed {
                            break;
                        }
                    }
                })
                .map_err(|e| Error::config(format!("cannot start a reader thread: {e}")))?;
            let (keep, kept) = std::sync::mpsc::sync_channel::<(RecordBatch, Vec<bool>, u64)>(0);
            let written = match writer {
                Some(mut writer) => Some(
                    std::thread::Builder::new()
                        .name("optout-parquet-write".into())
                        .spawn_scoped(scope, move || -> Result<()> {
                            let mut row = 1;
                            for (batch, mask, first) in kept {
                                row = first;
                                let mask = BooleanArray::from(mask);
                                let rows = arrow_select::filter::filter_record_batch(&batch, &mask)
                                    .map_err(|e| bad(input, row, e.to_string()))?;
                                if rows.num_rows() > 0 {
                                    writer.write(&rows).map_err(|e| {
                                        bad(input, row, format!("cannot write Parquet: {e}"))
                                    })?;
                                }
                            }
                            writer.close().map_err(|e| {
                                bad(input, row, format!("cannot write Parquet: {e}"))
                            })?;
                            Ok(())
                        })
                        .map_err(|e| Error::config(format!("cannot start a writer thread: {e}")))?,
                ),
                None => None,
            };
            let mut scratch = super::column::ColumnScratch::default();
            let judged = (|| -> Result<()> {
                for batch in batches {
                    if observer.cancelled() {
                        return Err(crate::ErrorKind::Interrupted.into());
                    }
                    let batch: RecordBatch =
                        batch.map_err(|e| corrupt(input, &metadata, row, &e))?;
                    let urls = cells(input, batch.column(index).as_ref(), row)?;
                    let counts = match tokens {
                        Some(at) => Some(counts(input, batch.column(at).as_ref(), row)?),
                        None => None,
                    };
                    let result = self.decide_column(
                        &urls,
                        counts.as_deref(),
                        row,
                        super::Outputs {
                            kept: false,
                            removed: removed.is_some(),
                            outcomes: false,
                        },
                        &pool,
                        &mut scratch,
                    );
                    if let Some(removed) = removed.as_deref_mut() {
                        removed
                            .write_all(&result.removed)
                            .map_err(|e| Error::io("removed", e))?;
                    }
                    let rows = batch.num_rows() as u64;
                    if written.is_some() && keep.send((batch, result.keep, row)).is_err() {
                        // The writer stopped on an error, which its join
                        // gives below.
                        break;
                    }
                    row += rows;
                    stats += result.stats;
                    observer.progress(crate::observe::Stage::Judge, row - 1, "");
                }
                Ok(())
            })();
            drop(keep);
            let wrote = match written {
                Some(thread) => thread.join().expect("the writer thread does not panic"),
                None => Ok(()),
            };
            judged.and(wrote)
        })?;
        Ok(stats)
    }
}

pub use crate::panic_guard::in_guarded_decode;

/// Opens `input` and reads its footer. The Parquet decoder can panic on a
/// corrupt file: this call, and every later one into it, is caught, and
/// the panic becomes an error naming the file.
fn open(input: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>> {
    let file = File::open(input).map_err(|e| Error::io(input, e))?;
    guarded(|| ParquetRecordBatchReaderBuilder::try_new(file))
        .and_then(|r| r.map_err(|e| e.to_string()))
        .map_err(|e| bad(input, 0, format!("not a readable Parquet file: {e}")))
}

/// Runs `work`, turning a panic into an error message: the Parquet
/// decoder panics on some corrupt files instead of returning an error.
fn guarded<T>(work: impl FnOnce() -> T) -> std::result::Result<T, String> {
    crate::panic_guard::guarded("the Parquet decoder", work)
}

/// The error for a batch that does not decode at `row`, naming its row
/// group.
fn corrupt(
    input: &Path,
    metadata: &parquet::file::metadata::ParquetMetaData,
    row: u64,
    e: &dyn std::fmt::Display,
) -> Error {
    let group = row_group_of(metadata, row);
    bad(
        input,
        row,
        format!("corrupt data in row group {group}: {e}"),
    )
}

/// The row group (0-based) that holds `row` (1-based).
fn row_group_of(metadata: &parquet::file::metadata::ParquetMetaData, row: u64) -> usize {
    let mut end = 0u64;
    for (i, group) in metadata.row_groups().iter().enumerate() {
        end += u64::try_from(group.num_rows()).unwrap_or(0);
        if row <= end {
            return i;
        }
    }
    metadata.num_row_groups()
}
