"""optout.spark.judge on Spark local[2] decides every row as the command
line does, and write() saves kept rows and evidence as Parquet."""

from __future__ import annotations

import os
import sys

import pyarrow.parquet as pq
import pytest

from conftest import KWARGS, java, need, required


@pytest.fixture(scope="module")
def spark():
    need("pyspark")
    # Spark talks to itself on loopback only.
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    # Spark's Python workers run this interpreter, which has optout.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if not java() and not required():
        pytest.skip("no Java on this machine")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("optout-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.mark.timeout(900)
def test_spark_equals_the_command_line(spark, reference, corpus, tmp_path):
    from optout.spark import judge, write

    df = spark.read.parquet(str(corpus["parquet"]))
    judged = judge(df, url_col="url", row_col="row", evidence=True, **KWARGS)
    assert judged.columns == ["row", "url", "keep", "reason", "evidence"]
    table = judged.toArrow()
    rows = table.column("row").to_pylist()
    keep = dict(zip(rows, table.column("keep").to_pylist()))
    reason = dict(zip(rows, table.column("reason").to_pylist()))
    evidence = {r: e for r, e in zip(rows, table.column("evidence").to_pylist()) if e is not None}
    reference.check(keep, reason, evidence)

    write(judged, str(tmp_path / "kept"), str(tmp_path / "removed"))
    kept = pq.read_table(tmp_path / "kept")
    assert kept.column_names == ["row", "url"]
    assert set(kept.column("row").to_pylist()) == reference.kept
    removed = pq.read_table(tmp_path / "removed")
    assert "evidence" in removed.column_names and removed.num_rows == len(reference.urls) - len(reference.kept)


@pytest.mark.timeout(300)
def test_bad_urls_do_not_raise(spark):
    from optout.spark import judge

    df = spark.createDataFrame([("http://[::1",), ("::::",), (None,), ("https://libgen.is/x",)], "url string")
    out = {r["url"]: r["reason"] for r in judge(df, **KWARGS).collect()}
    assert out == {"http://[::1": "invalid-url", "::::": "invalid-url", None: "null", "https://libgen.is/x": "blocklist"}
