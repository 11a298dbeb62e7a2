//! The Python extension module `optout._optout`: [`Filter`] judges Arrow
//! arrays of URLs through the same library API the command line uses
//! ([`optout::config::FilterConfig`], [`optout::source::PolicySource`],
//! [`optout::engine::Engine::decide_batch`]), so that Python, datatrove,
//! Spark and Ray decide every row exactly as `optout filter` does.
//!
//! A filter is described by a [`Spec`]: plain data, which is what it
//! pickles as and what a worker rebuilds it from.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use arrow_array::{Array, ArrayRef, RecordBatch, StringArray, UInt64Array, make_array};
use arrow_pyarrow::{FromPyArrow, ToPyArrow};
use arrow_schema::{DataType, Field, Schema};
use optout::blocklist::{self, Blocklists};
use optout::config::{AsOf, FilterConfig};
use optout::engine::Engine;
use optout::engine::batch::{BatchDecision, ROW_CODES};
use optout::engine::column::ColumnScratch;
use optout::source::PolicySource;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use serde::{Deserialize, Serialize};

pyo3::create_exception!(
    _optout,
    OptoutError,
    pyo3::exceptions::PyException,
    "An error from optout, with the message the command line would print."
);

fn optout_err(err: &optout::Error) -> PyErr {
    OptoutError::new_err(err.to_string())
}

/// Everything a filter is built from: where policies come from, the
/// decision configuration (what a manifest records), the blocklists and
/// the worker threads.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Where the policies come from.
    pub source: PolicySource,
    /// The decision configuration.
    pub config: FilterConfig,
    /// Blocklists by name.
    pub blocklists: BTreeMap<String, PathBuf>,
    /// Worker threads (`None`: all cores).
    pub threads: Option<usize>,
}

impl Spec {
    /// The engine and thread pool the spec describes.
    fn build(&self) -> optout::Result<(Engine, rayon::ThreadPool)> {
        if self.config.as_of == "crawl" {
            return Err(config_error(
                "as_of=\"crawl\" needs each record's crawl time, which an array of URLs does not have",
            ));
        }
        let as_of = AsOf::parse(&self.config.as_of)?;
        let threads = self.threads.unwrap_or_else(optout::run::default_threads);
        let agents = self.config.resolve()?.agents;
        let opened = self
            .source
            .open_with(as_of, None, threads.max(1), Some(&agents))?;
        let mut lists = Vec::new();
        for (name, path) in &self.blocklists {
            lists.push(blocklist::load(name, path)?);
        }
        let engine = self.config.build_compiled(
            opened.set,
            opened.compiled,
            Blocklists::new(lists),
            threads.max(1),
        )?;
        let mut pool = rayon::ThreadPoolBuilder::new();
        if let Some(threads) = self.threads {
            if threads == 0 {
                return Err(config_error("threads must be at least 1"));
            }
            pool = pool.num_threads(threads);
        }
        let pool = pool
            .build()
            .map_err(|e| config_error(format!("threads: {e}")))?;
        Ok((engine, pool))
    }
}

/// Judges URLs as `optout filter` does: keep what may enter AI training
/// data, and give every removal a reason code and its evidence.
///
/// Exactly one policy source: ``snapshot`` (a file from ``optout cache
/// export``), ``cache`` (the SQLite cache, as it is: nothing is fetched)
/// or ``robots_dir`` (one ``<host>.txt`` per host). The other arguments
/// are the command line's options of the same names.
#[pyclass(module = "optout._optout", frozen)]
pub struct Filter {
    spec: Spec,
    engine: Engine,
    pool: rayon::ThreadPool,
    /// Reused across calls; a call that finds it taken uses its own.
    scratch: Mutex<ColumnScratch>,
}

/// A string argument that may be absent.
type Opt<'a> = Option<&'a str>;

#[pymethods]
impl Filter {
    #[new]
    #[pyo3(signature = (
        *, snapshot=None, cache=None, robots_dir=None, agents=None, purpose=None,
        blocklists=None, unknown="keep", agent_rule="any", missing="error",
        threads=None, legacy_conservative=false, files=None, redact="userinfo", as_of="now",
        aipref_vocab="08", model="generative", signals=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        snapshot: Option<PathBuf>,
        cache: Option<PathBuf>,
        robots_dir: Option<PathBuf>,
        agents: Option<Vec<String>>,
        purpose: Opt<'_>,
        blocklists: Option<BTreeMap<String, PathBuf>>,
        unknown: &str,
        agent_rule: &str,
        missing: &str,
        threads: Option<usize>,
        legacy_conservative: bool,
        files: Option<Vec<String>>,
        redact: &str,
        as_of: &str,
        aipref_vocab: &str,
        model: &str,
        signals: Option<Vec<String>>,
    ) -> PyResult<Filter> {
        let source = match (snapshot, cache, robots_dir) {
            (Some(path), None, None) => PolicySource::Snapshot { path },
            (None, Some(path), None) => PolicySource::Cache { path },
            (None, None, Some(path)) => PolicySource::RobotsDir {
                path,
                shown_as: None,
            },
            _ => {
                return Err(PyValueError::new_err(
                    "give exactly one policy source: snapshot=, cache= or robots_dir=",
                ));
            }
        };
        let agents = agents.unwrap_or_default();
        let mut config = FilterConfig::for_purpose(purpose, &agents).map_err(|e| optout_err(&e))?;
        config.unknown = unknown.to_owned();
        config.agent_rule = agent_rule.to_owned();
        config.missing_policy = missing.to_owned();
        config.legacy_conservative = legacy_conservative;
        config.aipref_vocab = optout::signals::aipref::Vocab::from_name(aipref_vocab)
            .ok_or_else(|| {
                PyValueError::new_err(format!("aipref_vocab `{aipref_vocab}`: expected 08 or 07"))
            })?
            .as_str()
            .to_owned();
        config.model = model.to_owned();
        if let Some(signals) = signals {
            config.signals = optout::signals::usage::SignalSet::from_names(&signals)
                .map_err(PyValueError::new_err)?
                .names();
        }
        if let Some(files) = files {
            config.files = files.into_iter().filter(|f| f != "none").collect();
        }
        config.redact = optout::redact::Redaction::parse(redact)
            .map_err(|e| optout_err(&e))?
            .names();
        config.as_of = match AsOf::parse(as_of) {
            Ok(at) => at.name(),
            Err(e) => return Err(optout_err(&e)),
        };
        let spec = Spec {
            source,
            config,
            blocklists: blocklists.unwrap_or_default(),
            threads,
        };
        Filter::from_spec_data(spec)
    }

    /// A filter from the JSON :meth:`spec` gives.
    #[staticmethod]
    fn from_spec(spec: &str) -> PyResult<Filter> {
        let spec: Spec = serde_json::from_str(spec)
            .map_err(|e| OptoutError::new_err(format!("not a filter spec: {e}")))?;
        Filter::from_spec_data(spec)
    }

    /// The filter's description as JSON: the policy source, the
    /// configuration a manifest records, the blocklists and the threads.
    /// Pickling ships this; :meth:`from_spec` rebuilds the filter.
    fn spec(&self) -> String {
        serde_json::to_string(&self.spec).expect("a spec serialises")
    }

    /// The configuration, as the manifest of an ``optout filter`` run
    /// with the same options records it (JSON).
    fn config(&self) -> String {
        serde_json::to_string(&self.spec.config).expect("a configuration serialises")
    }

    /// Judges ``urls``, an Arrow array of strings or binaries (anything
    /// with ``__arrow_c_array__``: pyarrow, polars, DuckDB, ...). Returns
    /// a ``pyarrow.RecordBatch`` with one row per URL: ``keep`` (bool),
    /// ``code`` (uint8, see :func:`codes`), ``reason`` (the code's name),
    /// ``agent`` (the deciding agent, or null) and ``line`` (the deciding
    /// robots.txt line, or null).
    ///
    /// With ``evidence=True`` it returns ``(decisions, evidence)``:
    /// ``evidence`` is a RecordBatch of the removed rows, ``row`` (uint64)
    /// and ``record`` (the JSON line ``optout filter --removed`` writes).
    /// Rows are numbered from ``first_row``, or by ``rows`` (an integer
    /// array, one number per URL) when given. The GIL is released while
    /// deciding.
    #[pyo3(signature = (urls, *, evidence=false, first_row=1, rows=None))]
    fn judge<'py>(
        &self,
        py: Python<'py>,
        urls: &Bound<'py, PyAny>,
        evidence: bool,
        first_row: u64,
        rows: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let array = url_array(urls)?;
        let numbers = match rows {
            Some(rows) => Some(row_numbers(rows, array.len())?),
            None => None,
        };
        if first_row == 0 {
            return Err(PyValueError::new_err("first_row is 1-based"));
        }
        let first = if numbers.is_some() { 1 } else { first_row };
        let decided: optout::Result<BatchDecision> = py.detach(|| {
            let mut own = None;
            let mut guard = self.scratch.try_lock().ok();
            let scratch = match guard.as_deref_mut() {
                Some(scratch) => scratch,
                None => own.insert(ColumnScratch::default()),
            };
            let mut decided =
                self.engine
                    .decide_batch(array.as_ref(), first, evidence, &self.pool, scratch)?;
            if let Some(numbers) = &numbers {
                decided.renumber(numbers)?;
            }
            Ok(decided)
        });
        let decided = decided.map_err(|e| optout_err(&e))?;
        let batch = with_reasons(&decided.rows).map_err(|e| optout_err(&e))?;
        let batch = batch.to_pyarrow(py)?;
        if !evidence {
            return Ok(batch);
        }
        let records = evidence_batch(&decided.removed).map_err(|e| optout_err(&e))?;
        Ok(PyTuple::new(py, [batch, records.to_pyarrow(py)?])?.into_any())
    }

    /// The agents enforced, in the order evidence uses.
    fn agents(&self) -> Vec<String> {
        self.engine.agents().names().to_vec()
    }
}

impl Filter {
    fn from_spec_data(spec: Spec) -> PyResult<Filter> {
        let (engine, pool) = spec.build().map_err(|e| optout_err(&e))?;
        Ok(Filter {
            spec,
            engine,
            pool,
            scratch: Mutex::new(ColumnScratch::default()),
        })
    }
}

/// The Arrow array behind `urls`, refused with `TypeError` unless it holds
/// strings or binaries.
fn url_array(urls: &Bound<'_, PyAny>) -> PyResult<ArrayRef> {
    if !urls.hasattr("__arrow_c_array__")? {
        return Err(PyTypeError::new_err(format!(
            "urls must be an Arrow array (with __arrow_c_array__) or a list of str, not {}",
            urls.get_type().name()?
        )));
    }
    let data = arrow_data_of(urls).map_err(|e| PyTypeError::new_err(e.to_string()))?;
    match data.data_type() {
        DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Binary
        | DataType::LargeBinary => Ok(data),
        other => Err(PyTypeError::new_err(format!(
            "urls must be a string or binary array (utf8, large_utf8, string_view, binary, large_binary), not {other}"
        ))),
    }
}

fn arrow_data_of(value: &Bound<'_, PyAny>) -> PyResult<ArrayRef> {
    let data = arrow_data::ArrayData::from_pyarrow_bound(value)?;
    Ok(make_array(data))
}

/// One row number per URL, from an integer array.
fn row_numbers(rows: &Bound<'_, PyAny>, len: usize) -> PyResult<Vec<u64>> {
    let array = arrow_data_of(rows)?;
    let array = arrow_cast_u64(&array)?;
    if array.len() != len || array.null_count() > 0 || array.values().contains(&0) {
        return Err(PyValueError::new_err(format!(
            "rows must hold one number per URL ({len}), each at least 1, without nulls"
        )));
    }
    Ok(array.values().to_vec())
}

fn arrow_cast_u64(array: &ArrayRef) -> PyResult<UInt64Array> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Int32Type, Int64Type, UInt32Type, UInt64Type};
    let wrong = || PyTypeError::new_err("rows must be an array of positive integers");
    let positive = |n: i64| u64::try_from(n).ok().filter(|&n| n > 0);
    Ok(match array.data_type() {
        DataType::UInt64 => array.as_primitive::<UInt64Type>().clone(),
        DataType::UInt32 => array
            .as_primitive::<UInt32Type>()
            .iter()
            .map(|v| v.map(u64::from))
            .collect(),
        DataType::Int64 => array
            .as_primitive::<Int64Type>()
            .iter()
            .map(|v| v.map(|n| positive(n).ok_or_else(wrong)).transpose())
            .collect::<PyResult<_>>()?,
        DataType::Int32 => array
            .as_primitive::<Int32Type>()
            .iter()
            .map(|v| {
                v.map(|n| positive(i64::from(n)).ok_or_else(wrong))
                    .transpose()
            })
            .collect::<PyResult<_>>()?,
        _ => return Err(wrong()),
    })
}

/// The decision columns with each code's name beside it.
fn with_reasons(rows: &RecordBatch) -> optout::Result<RecordBatch> {
    let codes = rows
        .column(1)
        .as_any()
        .downcast_ref::<arrow_array::UInt8Array>()
        .expect("the code column is uint8");
    let reasons: StringArray = codes
        .values()
        .iter()
        .map(|&c| Some(ROW_CODES[usize::from(c)]))
        .collect();
    let schema = rows.schema();
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.insert(2, Field::new("reason", DataType::Utf8, false));
    let mut columns: Vec<ArrayRef> = rows.columns().to_vec();
    columns.insert(2, Arc::new(reasons));
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| config_error(format!("decision batch: {e}")))
}

/// The removed rows' JSON lines as a batch of `row` and `record`.
fn evidence_batch(removed: &[u8]) -> optout::Result<RecordBatch> {
    let text = std::str::from_utf8(removed)
        .map_err(|e| config_error(format!("evidence is not UTF-8: {e}")))?;
    let mut rows = Vec::new();
    let mut records = Vec::new();
    for line in text.lines() {
        let (row, _) = optout::engine::batch::record_row(line.as_bytes())
            .ok_or_else(|| config_error("an evidence record without its row"))?;
        rows.push(row);
        records.push(line);
    }
    let schema = Schema::new(vec![
        Field::new("row", DataType::UInt64, false),
        Field::new("record", DataType::Utf8, false),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(UInt64Array::from(rows)),
            Arc::new(StringArray::from(records)),
        ],
    )
    .map_err(|e| config_error(format!("evidence batch: {e}")))
}

/// The host optout judges ``url`` by (lower case, IDNA, no trailing dot,
/// IPv6 in brackets), or None when it is not a URL optout can judge.
#[pyfunction]
fn host_key(url: &str) -> Option<String> {
    optout::engine::batch::host_key(url.as_bytes())
}

/// :func:`host_key` of every URL of an Arrow string or binary array, as a
/// ``pyarrow`` string array (null where there is no host).
#[pyfunction]
fn host_keys<'py>(py: Python<'py>, urls: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let array = url_array(urls)?;
    let keys = py
        .detach(|| optout::engine::batch::host_keys(array.as_ref()))
        .map_err(|e| optout_err(&e))?;
    keys.to_data().to_pyarrow(py)
}

/// The shard of ``host`` among ``shards`` in an indexed snapshot exported
/// with ``--shards``: the first 8 bytes of the SHA-256 of the lower-case
/// host, big-endian, modulo ``shards``. Partition rows by
/// ``shard_of(host_key(url), n)`` to give each worker the shard file of
/// its hosts.
#[pyfunction]
fn shard_of(host: &str, shards: u32) -> PyResult<u32> {
    if shards == 0 {
        return Err(PyValueError::new_err("shards must be at least 1"));
    }
    Ok(optout::cache::indexed::shard_of(host, shards))
}

/// The reason code dictionary: ``codes()[code]`` is the name of a
/// ``code`` that :meth:`Filter.judge` gives. Numbers never change; new
/// codes are appended.
#[pyfunction]
fn codes() -> Vec<&'static str> {
    ROW_CODES.to_vec()
}

/// The optout version this extension was built from.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _optout(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Filter>()?;
    m.add("OptoutError", m.py().get_type::<OptoutError>())?;
    m.add_function(wrap_pyfunction!(host_key, m)?)?;
    m.add_function(wrap_pyfunction!(host_keys, m)?)?;
    m.add_function(wrap_pyfunction!(shard_of, m)?)?;
    m.add_function(wrap_pyfunction!(codes, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    Ok(())
}

fn config_error(message: impl Into<String>) -> optout::Error {
    optout::ErrorKind::Config(message.into()).into()
}
