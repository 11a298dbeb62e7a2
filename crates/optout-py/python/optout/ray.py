"""optout on Ray Data: judge a Dataset's URL column where the data is.

:func:`judge` returns the Dataset with ``keep`` (bool) and ``reason``
(string) columns added, and ``evidence`` (the JSON record ``optout filter
--removed`` writes, null for kept rows) with ``evidence=True``, through
``map_batches(batch_format="pyarrow")`` run as tasks. Each worker process
builds its engine once per spec and reuses it. Tasks, not an actor pool:
on a small cluster, actors that hold every CPU starve any shuffle that
runs beside them.

The policy files and blocklists are read from the paths given, which
every node must see (a shared filesystem, or the same files on each).
"""

from __future__ import annotations

from typing import Any, Optional

import optout
from optout import _worker


def judge(
    ds: Any,
    url_col: str = "url",
    *,
    evidence: bool = False,
    row_col: Optional[str] = None,
    batch_size: int = 65_536,
    **filter_kwargs: Any,
) -> Any:
    """``ds`` with ``keep`` and ``reason`` (and ``evidence``) added.

    ``filter_kwargs`` are :class:`optout.Filter`'s (``threads`` defaults
    to 1: Ray runs one task per core already); ``row_col`` names an
    integer column holding each row's number, which evidence records
    carry (without it, rows are numbered within each batch).
    """
    filter_kwargs.setdefault("threads", 1)
    spec = optout.Filter(**filter_kwargs).spec()

    def decide(batch):
        return _worker.judged(batch, spec, url_col, row_col, evidence)

    return ds.map_batches(decide, batch_format="pyarrow", batch_size=batch_size)
