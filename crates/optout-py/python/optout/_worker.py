"""What Spark and Ray workers share: one engine per process and spec, and
the columns a judged batch gains."""

from __future__ import annotations

from typing import Any, Optional

import pyarrow as pa

import optout

_FILTERS: dict = {}

#: The columns :func:`judged` adds, in order.
ADDED = ("keep", "reason")


def engine(spec: str) -> optout.Filter:
    """The filter of ``spec``, built once per process."""
    built = _FILTERS.get(spec)
    if built is None:
        built = optout.Filter.from_spec(spec)
        _FILTERS[spec] = built
    return built


def _column(batch: Any, name: str) -> Any:
    column = batch.column(name)
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    return column


def judged(batch: Any, spec: str, url_col: str, row_col: Optional[str], evidence: bool) -> Any:
    """``batch`` (a pyarrow RecordBatch or Table) with ``keep`` and
    ``reason`` added, and ``evidence`` (the removed row's record, else
    null) when asked for."""
    flt = engine(spec)
    urls = _column(batch, url_col)
    rows = _column(batch, row_col) if row_col is not None else None
    if evidence:
        decided, records = flt.judge(urls, evidence=True, rows=rows)
        by_row = dict(zip(records.column("row").to_pylist(), records.column("record").to_pylist()))
        numbers = rows.to_pylist() if rows is not None else range(1, len(urls) + 1)
        evidence_column = pa.array([by_row.get(n) for n in numbers], type=pa.string())
    else:
        decided = flt.judge(urls)
    out = batch.append_column("keep", decided.column("keep"))
    out = out.append_column("reason", decided.column("reason"))
    if evidence:
        out = out.append_column("evidence", evidence_column)
    return out
