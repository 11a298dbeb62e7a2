"""A Ray Data job that judges every row and writes the kept ones (run from the repository root)."""

import sys
from collections import Counter

import ray

from optout.ray import judge

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "out/ray"
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1")
    ds = ray.data.read_json("fixtures/corpus/sample.jsonl")
    judged = judge(
        ds,
        url_col="url",
        robots_dir="fixtures/robots/real",
        blocklists={"piracy": "fixtures/blocklists/piracy.txt"},
        missing="deny",
    ).materialize()
    print(sorted(Counter(row["reason"] for row in judged.select_columns(["reason"]).iter_rows()).items()))
    judged.filter(lambda row: row["keep"]).drop_columns(["keep", "reason"]).write_parquet(f"{out}/kept")
    ray.shutdown()
