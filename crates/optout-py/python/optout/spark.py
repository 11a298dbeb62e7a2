"""optout on PySpark: judge a DataFrame's URL column where the data is.

:func:`judge` returns the DataFrame with ``keep`` (boolean) and ``reason``
(string) columns added, and ``evidence`` (the JSON record ``optout filter
--removed`` writes, null for kept rows) with ``evidence=True``. Rows are
partitioned by optout's own host key (:func:`optout.host_keys`, never
Spark's ``parse_url``, which raises on bad URLs in Spark 4), so that each
host's rules are read by one task, and judged with ``mapInArrow``. The
policy files (snapshot, robots directory or cache) and blocklists are
shipped to the executors with ``SparkContext.addFile``.

:func:`write` saves the kept rows and the evidence as Parquet.
"""

from __future__ import annotations

import json
import os
from typing import Any, Optional

import pyarrow as pa

import optout
from optout import _worker

_HOST = "__optout_host"


def _ship(spark: Any, spec: dict) -> dict:
    """Adds every file the spec reads to the Spark job and rewrites its
    paths as ``spark-file:NAME``, resolved on the executor."""
    sc = spark.sparkContext
    shipped: dict = {}

    def ship(path: str) -> str:
        path = os.path.abspath(path)
        name = os.path.basename(path.rstrip("/"))
        if shipped.get(name, path) != path:
            raise optout.OptoutError(
                f"two files named `{name}` ({shipped[name]} and {path}): Spark ships files by name"
            )
        if name not in shipped:
            sc.addFile(path, recursive=os.path.isdir(path))
            shipped[name] = path
        return "spark-file:" + name

    spec = json.loads(json.dumps(spec))
    if spec["source"]["kind"] == "robots-dir":
        # Evidence names each robots.txt by the path the caller gave.
        spec["source"].setdefault("shown_as", spec["source"]["path"])
    spec["source"]["path"] = ship(spec["source"]["path"])
    spec["blocklists"] = {name: ship(path) for name, path in spec["blocklists"].items()}
    return spec


def _resolve(spec: dict) -> str:
    from pyspark import SparkFiles

    def local(path: str) -> str:
        return SparkFiles.get(path[len("spark-file:"):]) if path.startswith("spark-file:") else path

    spec = json.loads(json.dumps(spec))
    spec["source"]["path"] = local(spec["source"]["path"])
    spec["blocklists"] = {name: local(path) for name, path in spec["blocklists"].items()}
    return json.dumps(spec)


def judge(
    df: Any,
    url_col: str = "url",
    *,
    evidence: bool = False,
    row_col: Optional[str] = None,
    partitions: Optional[int] = None,
    by_host: bool = True,
    **filter_kwargs: Any,
) -> Any:
    """``df`` with ``keep`` and ``reason`` (and ``evidence``) added.

    ``filter_kwargs`` are :class:`optout.Filter`'s (``threads`` defaults
    to 1: Spark runs one task per core already); ``row_col`` names an
    integer column holding each row's number, which evidence records
    carry (without it, rows are numbered within each batch);
    ``partitions`` is the number of host partitions (default: Spark's
    shuffle partitions); ``by_host=False`` judges the partitions as they
    are, without the shuffle (each task then reads the rules of every host
    it meets: cheaper when rows are few per partition or already grouped).
    """
    from pyspark.sql.types import BooleanType, StringType, StructField, StructType

    spark = df.sparkSession
    filter_kwargs.setdefault("threads", 1)
    spec = _ship(spark, json.loads(optout.Filter(**filter_kwargs).spec()))
    fields = list(df.schema.fields)
    with_host = StructType(fields + [StructField(_HOST, StringType(), True)])
    added = [StructField("keep", BooleanType(), False), StructField("reason", StringType(), False)]
    if evidence:
        added.append(StructField("evidence", StringType(), True))
    out_schema = StructType(fields + [StructField(_HOST, StringType(), True)] + added)

    def add_host(batches):
        for batch in batches:
            yield batch.append_column(_HOST, optout.host_keys(batch.column(url_col)))

    def decide(batches):
        resolved = _resolve(spec)
        for batch in batches:
            yield _worker.judged(batch, resolved, url_col, row_col, evidence)

    if not by_host:
        plain = StructType(fields + added)
        return df.mapInArrow(decide, plain)
    keyed = df.mapInArrow(add_host, with_host)
    keyed = keyed.repartition(partitions, _HOST) if partitions else keyed.repartition(_HOST)
    return keyed.mapInArrow(decide, out_schema).drop(_HOST)


def write(judged: Any, kept_path: str, evidence_path: Optional[str] = None, mode: str = "error") -> None:
    """Writes the kept rows of a :func:`judge` result (without the added
    columns) to ``kept_path``, and with ``evidence_path`` the removed rows'
    ``reason`` and ``evidence`` (and every input column), as Parquet."""
    from pyspark.sql import functions as F

    added = [c for c in _worker.ADDED + ("evidence",) if c in judged.columns]
    judged.filter(F.col("keep")).drop(*added).write.mode(mode).parquet(kept_path)
    if evidence_path is not None:
        judged.filter(~F.col("keep")).drop("keep").write.mode(mode).parquet(evidence_path)
