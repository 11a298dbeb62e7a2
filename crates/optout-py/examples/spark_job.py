"""A Spark job that judges every row and writes kept rows and evidence (run from the repository root)."""

import sys

from pyspark.sql import SparkSession

from optout.spark import judge, write

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "out/spark"
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    df = spark.read.json("fixtures/corpus/sample.jsonl")
    judged = judge(
        df,
        url_col="url",
        evidence=True,
        robots_dir="fixtures/robots/real",
        blocklists={"piracy": "fixtures/blocklists/piracy.txt"},
        missing="deny",
    )
    judged.groupBy("reason").count().orderBy("reason").show(truncate=False)
    write(judged, f"{out}/kept", f"{out}/removed", mode="overwrite")
    spark.stop()
