#!/usr/bin/env python3
"""Write fixtures/urls/sample.txt: a URL list over the hosts of
fixtures/robots/real, with paths taken from their own rules (so that some are
disallowed for AI agents), a few blocklisted hosts, and the bad rows a real
list has (blank lines, a comment, junk, a non-UTF-8 line). Deterministic."""
import os
import random
import re

random.seed(9309)
root = os.path.join(os.path.dirname(__file__), "..")
robots_dir = os.path.join(root, "fixtures/robots/real")
rows = []
for name in sorted(os.listdir(robots_dir)):
    host = name[: -len(".txt")]
    text = open(os.path.join(robots_dir, name), "rb").read().decode("utf-8", "replace")
    paths = []
    for line in text.splitlines():
        m = re.match(r"\s*(dis)?allow\s*:\s*(/\S*)", line, re.I)
        if m:
            p = m.group(2).replace("*", "x").rstrip("$")
            paths.append(p)
    random.shuffle(paths)
    picks = paths[:12] + ["/", "/about", "/news/2025/article-%d.html" % random.randint(1, 999)]
    for p in picks:
        scheme = random.choice(["https", "https", "http"])
        rows.append(f"{scheme}://{host}{p}")
blocked = [
    "https://libgen.is/book/index.php?md5=0123",
    "https://www.libgen.is/search.php?req=rust",
    "http://1337x.to/torrent/123/",
    "https://thepiratebay.org/description.php?id=42",
    "https://mirror.annas-archive.example/md5/abc",
]
rows += blocked
random.shuffle(rows)
bad = [
    "",
    "# exported from the crawl frontier, 2026-11-01",
    "not a url",
    "ftp://files.example.com/pub/",
    "/relative/path/only",
    "   ",
]
for b in bad:
    rows.insert(random.randint(0, len(rows)), b)
out = "\n".join(rows).encode() + b"\n"
# A row that is not UTF-8 (Latin-1 bytes), as real exports sometimes have.
out += b"https://www.lemonde.fr/caf\xe9\n"
open(os.path.join(root, "fixtures/urls/sample.txt"), "wb").write(out)
print(len(rows) + 1, "rows")
