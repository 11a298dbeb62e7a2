"""Shared fixtures: the repository's fixtures, the `optout` binary, a
generated corpus of 120,000 rows in three formats, and the command line's
own decisions on it, which every other path must equal."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import optout

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "fixtures"
ROBOTS = FIXTURES / "robots" / "real"
PIRACY = FIXTURES / "blocklists" / "piracy.txt"
#: Options every path is given, as keyword arguments and as flags.
KWARGS = dict(robots_dir=str(ROBOTS), blocklists={"piracy": str(PIRACY)}, missing="deny")
FLAGS = ["--robots-dir", str(ROBOTS), "--blocklist", f"piracy={PIRACY}", "--missing-policy", "deny"]
#: The corpus size; at least 100,000 rows.
ROWS = 120_000


def required() -> bool:
    """Whether a missing integration fails the run (CI) instead of skipping."""
    return os.environ.get("OPTOUT_REQUIRE_INTEGRATIONS") == "1"


def need(module: str):
    """Imports ``module``, or skips (fails, when integrations are required)."""
    if required():
        return importlib.import_module(module)
    return pytest.importorskip(module)


@pytest.fixture(scope="session")
def optout_bin() -> Path:
    """The `optout` binary: $OPTOUT_BIN, or the workspace's debug build."""
    given = os.environ.get("OPTOUT_BIN")
    if given:
        return Path(given)
    binary = ROOT / "target" / "debug" / "optout"
    if not binary.exists():
        subprocess.run(["cargo", "build", "--bin", "optout"], cwd=ROOT, check=True)
    return binary


def generate() -> list:
    """A deterministic corpus over the fixture hosts, with bad rows mixed
    in: invalid URLs, empty cells, blocklisted and policy-less hosts."""
    hosts = sorted(p.name[: -len(".txt")] for p in ROBOTS.glob("*.txt"))
    paths = ["/", "/search?q=x", "/private/a", "/news/1.html", "/wp-admin/", "/api/v1/x", "/a%20b", "/login", "/tag/rust"]
    urls = []
    state = 0x9309
    for i in range(ROWS):
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        r = state >> 33
        kind = r % 50
        if kind == 0:
            urls.append("not a url")
        elif kind == 1:
            urls.append("")
        elif kind == 2:
            urls.append("https://libgen.is/book/1")
        elif kind == 3:
            urls.append(f"https://unknown-{r % 7}.example/")
        else:
            scheme = "http" if i % 3 == 0 else "https"
            urls.append(f"{scheme}://{hosts[r % len(hosts)]}{paths[(r // 7) % len(paths)]}")
    return urls


class Reference:
    """What `optout filter` decided for each row of the corpus."""

    def __init__(self, urls: list, kept: set, removed: dict, skipped: int):
        self.urls = urls
        #: Row numbers (1-based) kept.
        self.kept = kept
        #: Row number to its `--removed` record (the JSON line).
        self.removed = removed
        #: Rows skipped (neither kept nor removed).
        self.skipped = skipped

    def reason(self, row: int) -> str:
        if row in self.kept:
            return "kept"
        record = self.removed.get(row)
        return json.loads(record)["reason"] if record else "skipped"

    def check(self, keep: dict, reason: dict, evidence: dict) -> None:
        """Asserts that a path's per-row decisions equal the command
        line's: ``keep`` and ``reason`` by row number, ``evidence`` the
        removed records by row number. A row the command line skipped
        must carry a skip code (``null`` and after, in the dictionary)."""
        codes = optout.codes()
        skips = set(codes[codes.index("null"):])
        assert len(keep) == len(self.urls)
        assert {row for row, k in keep.items() if k} == self.kept
        for row, name in reason.items():
            expected = self.reason(row)
            if expected == "skipped":
                assert name in skips, (row, name)
            else:
                assert name == expected, (row, self.urls[row - 1], name, expected)
        assert sum(1 for r in reason.values() if r in skips) == self.skipped
        assert evidence == self.removed


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> dict:
    """The corpus as a URL list, a Parquet file (``row``, ``url``) and
    JSON Lines split in two files (``text``, ``url``, ``row``)."""
    out = tmp_path_factory.mktemp("corpus")
    urls = generate()
    (out / "urls.txt").write_text("".join(u + "\n" for u in urls))
    table = pa.table({"row": pa.array(range(1, ROWS + 1), type=pa.int64()), "url": pa.array(urls, type=pa.string())})
    pq.write_table(table, out / "urls.parquet", row_group_size=25_000)
    jsonl = out / "jsonl"
    jsonl.mkdir()
    half = ROWS // 2
    for part, (start, end) in enumerate([(0, half), (half, ROWS)]):
        with open(jsonl / f"part-{part}.jsonl", "w") as f:
            for i in range(start, end):
                f.write(json.dumps({"text": f"doc {i + 1}", "url": urls[i], "row": i + 1}) + "\n")
    return {"dir": out, "urls": urls, "parquet": out / "urls.parquet", "jsonl": jsonl, "lines": out / "urls.txt"}


@pytest.fixture(scope="session")
def reference(corpus, optout_bin, tmp_path_factory) -> Reference:
    """The command line on the corpus's Parquet file: kept rows, removed
    records, skipped count."""
    out = tmp_path_factory.mktemp("cli")
    kept, removed, stats = out / "kept.parquet", out / "removed.jsonl", out / "stats.json"
    subprocess.run(
        [str(optout_bin), "filter", str(corpus["parquet"]), *FLAGS, "--kept", str(kept), "--removed", str(removed),
         "--stats", str(stats), "--quiet"],
        check=True,
    )
    kept_rows = set(pq.read_table(kept).column("row").to_pylist())
    records = {}
    for line in removed.read_text().splitlines():
        records[json.loads(line)["row"]] = line
    counts = json.loads(stats.read_text())
    skipped = counts["skipped"]
    assert counts["counts_add_up"] and counts["removed"] == len(records) and counts["kept"] == len(kept_rows)
    assert len(kept_rows) + len(records) + skipped == ROWS
    # The command line's URL-list path decides the same rows alike.
    lines_kept = out / "kept.txt"
    subprocess.run([str(optout_bin), "filter", str(corpus["lines"]), *FLAGS, "--kept", str(lines_kept), "--quiet"], check=True)
    expected = "".join(corpus["urls"][r - 1] + "\n" for r in sorted(kept_rows))
    assert lines_kept.read_text() == expected
    return Reference(corpus["urls"], kept_rows, records, skipped)


def decisions(batch, evidence, rows) -> tuple:
    """A judged batch's per-row keep and reason, and its evidence, by row."""
    keep = dict(zip(rows, batch.column("keep").to_pylist()))
    reason = dict(zip(rows, batch.column("reason").to_pylist()))
    records = dict(zip(evidence.column("row").to_pylist(), evidence.column("record").to_pylist()))
    return keep, reason, records


def java() -> bool:
    return shutil.which("java") is not None
