"""The README's three examples run as written on the bundled fixtures,
and the README shows them as they are in crates/optout-py/examples."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from conftest import ROOT, need

EXAMPLES = ROOT / "crates" / "optout-py" / "examples"


def test_the_readme_shows_the_examples_as_they_are():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    for name in ["datatrove_pipeline.py", "spark_job.py", "ray_job.py"]:
        assert (EXAMPLES / name).read_text() in blocks, name


def run(name: str, out) -> subprocess.CompletedProcess:
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1", RAY_USAGE_STATS_ENABLED="0")
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.mark.timeout(700)
@pytest.mark.parametrize("name,module", [("datatrove_pipeline.py", "datatrove"), ("spark_job.py", "pyspark"), ("ray_job.py", "ray")])
def test_each_example_runs(name, module, tmp_path):
    need(module)
    done = run(name, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    if module == "pyspark":
        assert "robots-disallow" in done.stdout
        assert pq.read_table(tmp_path / "kept").num_rows > 0
    if module == "ray":
        assert "blocklist" in done.stdout or "robots-disallow" in done.stdout
        assert pq.read_table(tmp_path / "kept").num_rows > 0
    if module == "datatrove":
        assert any((tmp_path / "kept").iterdir()) and any((tmp_path / "removed").iterdir())
