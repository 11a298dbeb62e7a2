"""A datatrove filter: drops documents whose URL optout removes.

``OptoutFilter`` takes :class:`optout.Filter`'s keyword arguments plus
``url_key`` (the metadata key holding the URL), ``batch_size``,
``exclusion_writer`` and ``row_key``. Documents are judged in batches
(``filter_batch``); a dropped document carries its reason code as
``filter_reason`` (what datatrove's exclusion writers record) and, for a
removal, the evidence record ``optout filter --removed`` writes, under
``metadata["optout_evidence"]``. A document without a URL is dropped as
``null``, as the command line skips a row without one.

The engine is built lazily, in the worker that runs the step, from the
filter's spec; the step itself pickles small.
"""

from __future__ import annotations

from typing import Any, Optional

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

import optout


class OptoutFilter(BaseFilter):
    """Drops what optout removes; see the module doc."""

    name = "🚫 optout"

    def __init__(
        self,
        *,
        url_key: str = "url",
        batch_size: int = 10_000,
        exclusion_writer: Optional[DiskWriter] = None,
        row_key: Optional[str] = None,
        **filter_kwargs: Any,
    ) -> None:
        super().__init__(exclusion_writer=exclusion_writer, batch_size=batch_size)
        # Built once here to refuse bad arguments at construction; only the
        # spec travels to the workers.
        self.spec = optout.Filter(**filter_kwargs).spec()
        self.url_key = url_key
        self.row_key = row_key
        self._filter: Optional[optout.Filter] = None
        self._next_row = 1

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_filter"] = None
        return state

    @property
    def engine(self) -> optout.Filter:
        """The filter, built on first use in this process."""
        if self._filter is None:
            self._filter = optout.Filter.from_spec(self.spec)
        return self._filter

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        urls = []
        for doc in batch:
            url = doc.metadata.get(self.url_key)
            urls.append(url if isinstance(url, (str, bytes)) else None)
        if self.row_key is None:
            rows = list(range(self._next_row, self._next_row + len(batch)))
            self._next_row += len(batch)
        else:
            rows = []
            for doc in batch:
                row = doc.metadata.get(self.row_key)
                if not isinstance(row, int) or isinstance(row, bool) or row < 1:
                    raise optout.OptoutError(
                        f"document `{doc.id}`: metadata `{self.row_key}` must hold its row number "
                        f"(an integer of at least 1), not {row!r}"
                    )
                rows.append(row)
        decided, evidence = self.engine.judge(urls, evidence=True, rows=rows)
        records = dict(zip(evidence.column("row").to_pylist(), evidence.column("record").to_pylist()))
        results: list[bool | tuple[bool, str]] = []
        for doc, row, keep, reason in zip(
            batch, rows, decided.column("keep").to_pylist(), decided.column("reason").to_pylist()
        ):
            if keep:
                results.append(True)
                continue
            record = records.get(row)
            if record is not None:
                doc.metadata["optout_evidence"] = record
            results.append((False, reason))
        return results
