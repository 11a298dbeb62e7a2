"""optout: keep opted-out and pirated web content out of AI training data.

:class:`Filter` judges Arrow arrays of URLs exactly as ``optout filter``
does (the same library underneath): every row is kept or removed with a
stable reason code, and removed rows carry the evidence ``optout filter
--removed`` writes. :mod:`optout.datatrove`, :mod:`optout.spark` and
:mod:`optout.ray` run it where the data is.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from optout._optout import Filter as _Filter
from optout._optout import OptoutError, codes, host_key, shard_of, version
from optout._optout import host_keys as _host_keys

__all__ = [
    "Filter",
    "OptoutError",
    "codes",
    "host_key",
    "host_keys",
    "shard_of",
    "as_url_array",
    "version",
]
__version__ = version()


def as_url_array(urls: Any) -> Any:
    """``urls`` as an object with ``__arrow_c_array__``.

    Arrow arrays (pyarrow, polars, DuckDB, nanoarrow) pass as they are; a
    chunked array or stream is combined; a list or tuple of ``str`` becomes
    a string array (of ``bytes``, a binary array; ``None`` is null).
    """
    if hasattr(urls, "__arrow_c_array__"):
        return urls
    if isinstance(urls, (list, tuple)):
        if any(isinstance(u, (bytes, bytearray)) for u in urls):
            return pa.array(urls, type=pa.binary())
        return pa.array(urls, type=pa.string())
    if hasattr(urls, "__arrow_c_stream__"):
        return pa.chunked_array(urls).combine_chunks()
    raise TypeError(
        "urls must be an Arrow array (with __arrow_c_array__), a chunked array or a list of str, "
        f"not {type(urls).__name__}"
    )


class Filter:
    """Judges URLs as ``optout filter`` does.

    Exactly one policy source: ``snapshot=`` (a file from ``optout cache
    export``), ``cache=`` (the SQLite cache, read as it is: nothing is
    fetched) or ``robots_dir=`` (one ``<host>.txt`` per host). ``agents``,
    ``purpose`` (``train``, ``search``, ``ai-input``, ``control-only``),
    ``blocklists`` (``{name: path}``), ``unknown`` (``keep``/``drop``),
    ``agent_rule`` (``any``/``all``), ``missing`` (``allow``/``deny``/
    ``error``; in a batch, ``error`` removes as ``no-policy`` like
    ``deny``), ``threads``, ``legacy_conservative``, ``files``, ``redact``,
    ``as_of`` (``now`` or a date), ``aipref_vocab`` (``08``/``07``),
    ``model`` (``generative``/``non-generative``) and ``signals`` (a list of
    signal codes) are the command line's options.

    A filter pickles as its :meth:`spec`; a worker that unpickles it
    rebuilds the engine from the same files.
    """

    __slots__ = ("_inner",)

    def __init__(self, **kwargs: Any) -> None:
        self._inner = _Filter(**kwargs)

    @classmethod
    def from_spec(cls, spec: str) -> "Filter":
        """A filter from the JSON :meth:`spec` gives."""
        made = cls.__new__(cls)
        made._inner = _Filter.from_spec(spec)
        return made

    def spec(self) -> str:
        """The policy source, configuration, blocklists and threads, as JSON."""
        return self._inner.spec()

    def config(self) -> dict:
        """The configuration, as the manifest of the same ``optout filter`` run records it."""
        return json.loads(self._inner.config())

    def agents(self) -> "list[str]":
        """The agents enforced, in the order evidence uses."""
        return self._inner.agents()

    def judge(self, urls: Any, *, evidence: bool = False, first_row: int = 1, rows: Any = None):
        """Judges ``urls``: any Arrow string or binary array, or a list of ``str``.

        Returns a ``pyarrow.RecordBatch`` with one row per URL: ``keep``
        (bool), ``code`` (uint8, see :func:`codes`), ``reason`` (the code's
        name), ``agent`` (the deciding agent, or null) and ``line`` (the
        deciding robots.txt line, or null). With ``evidence=True``, a pair
        of it and a batch of the removed rows' ``row`` and ``record`` (the
        JSON line ``optout filter --removed`` writes). Rows are numbered
        from ``first_row``, or by ``rows``, one positive integer per URL.
        The GIL is released while deciding.
        """
        if rows is not None and not hasattr(rows, "__arrow_c_array__"):
            rows = pa.array(rows, type=pa.uint64())
        return self._inner.judge(as_url_array(urls), evidence=evidence, first_row=first_row, rows=rows)

    def __reduce__(self):
        return (Filter.from_spec, (self.spec(),))

    def __repr__(self) -> str:
        return f"optout.Filter.from_spec({self.spec()!r})"


def host_keys(urls: Any) -> pa.Array:
    """The host optout judges each URL by (null where there is none)."""
    return _host_keys(as_url_array(urls))
