"""Whole-process bench of the Python paths on a Parquet file of URLs
(`cargo run --release --example parquet_world -- DIR ROWS`, robots from
`bench_world`), to set beside `optout filter` on the same file:

    python benches/python_judge.py filter DIR [THREADS] [BATCH]
    python benches/python_judge.py spark DIR [by-host|as-is]
    python benches/python_judge.py ray DIR

Each reads DIR/urls.parquet, judges every row against DIR/robots with
--missing-policy allow, and prints the rows kept and removed.
"""

import os
import sys
import time

import pyarrow.parquet as pq

import optout


def main() -> None:
    mode, world = sys.argv[1], sys.argv[2]
    kwargs = dict(robots_dir=os.path.join(world, "robots"), missing="allow")
    parquet = os.path.join(world, "urls.parquet")
    start = time.perf_counter()
    if mode == "filter":
        threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
        batch = int(sys.argv[4]) if len(sys.argv) > 4 else 0
        flt = optout.Filter(threads=threads, **kwargs)
        urls = pq.read_table(parquet, columns=["url"]).column("url").combine_chunks()
        size = batch or len(urls)
        kept = 0
        for at in range(0, len(urls), size):
            kept += flt.judge(urls.slice(at, size)).column("keep").true_count
        total = len(urls)
    elif mode == "spark":
        from pyspark.sql import SparkSession

        from optout.spark import judge

        spark = (
            SparkSession.builder.master("local[2]")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .getOrCreate()
        )
        by_host = (sys.argv[3] if len(sys.argv) > 3 else "by-host") == "by-host"
        judged = judge(spark.read.parquet(parquet), by_host=by_host, **kwargs)
        counts = dict(judged.groupBy("keep").count().collect())
        kept, total = counts.get(True, 0), sum(counts.values())
        spark.stop()
    elif mode == "ray":
        import ray

        from optout.ray import judge

        ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
        judged = judge(ray.data.read_parquet(parquet), **kwargs)
        kept = total = 0
        for batch in judged.select_columns(["keep"]).iter_batches(batch_format="pyarrow", batch_size=None):
            kept += batch.column("keep").to_pylist().count(True)
            total += batch.num_rows
        ray.shutdown()
    else:
        raise SystemExit(f"unknown mode {mode}")
    seconds = time.perf_counter() - start
    print(f"{mode}: {total} rows, {kept} kept, {total - kept} removed, {seconds:.2f} s ({total / seconds:,.0f} rows/s)")


if __name__ == "__main__":
    main()
