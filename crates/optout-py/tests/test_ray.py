"""optout.ray.judge on Ray Data with 2 CPUs decides every row as the
command line does."""

from __future__ import annotations

import os

import pytest

from conftest import KWARGS, need


@pytest.fixture(scope="module")
def ray():
    ray = need("ray")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        object_store_memory=512 * 1024 * 1024,
        log_to_driver=False,
    )
    yield ray
    ray.shutdown()


@pytest.mark.timeout(900)
def test_ray_equals_the_command_line(ray, reference, corpus):
    import ray.data

    from optout.ray import judge

    ds = ray.data.read_parquet(str(corpus["parquet"]))
    judged = judge(ds, url_col="url", row_col="row", evidence=True, batch_size=10_000, **KWARGS)
    table = judged.to_arrow_refs()
    import pyarrow as pa

    table = pa.concat_tables(ray.get(table))
    assert table.column_names == ["row", "url", "keep", "reason", "evidence"]
    rows = table.column("row").to_pylist()
    keep = dict(zip(rows, table.column("keep").to_pylist()))
    reason = dict(zip(rows, table.column("reason").to_pylist()))
    evidence = {r: e for r, e in zip(rows, table.column("evidence").to_pylist()) if e is not None}
    reference.check(keep, reason, evidence)


@pytest.mark.timeout(300)
def test_ray_without_row_numbers_keeps_every_row(ray):
    import ray.data

    from optout.ray import judge

    ds = ray.data.from_items([{"url": u} for u in ["https://libgen.is/x", "nope", "https://unknown-1.example/"]])
    out = judge(ds, **KWARGS).take_all()
    assert sorted(r["reason"] for r in out) == ["blocklist", "invalid-url", "no-policy"]
