"""optout.Filter against the command line, and its Python contract:
array types, pickling, errors."""

from __future__ import annotations

import pickle

import pyarrow as pa
import pytest

import optout
from conftest import KWARGS, ROBOTS, decisions


def judge_in_batches(flt, urls, size):
    keep, reason, evidence = {}, {}, {}
    for start in range(0, len(urls), size):
        part = urls.slice(start, size) if isinstance(urls, pa.Array) else urls[start : start + size]
        batch, records = flt.judge(part, evidence=True, first_row=start + 1)
        k, r, e = decisions(batch, records, range(start + 1, start + 1 + len(part)))
        keep.update(k), reason.update(r), evidence.update(e)
    return keep, reason, evidence


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("size", [None, 7_001])
def test_judge_equals_the_command_line(reference, corpus, threads, size):
    flt = optout.Filter(threads=threads, **KWARGS)
    urls = pa.array(corpus["urls"], type=pa.string())
    reference.check(*judge_in_batches(flt, urls, size or len(urls)))


@pytest.mark.parametrize(
    "kind",
    [pa.string(), pa.large_string(), pa.string_view(), pa.binary(), pa.large_binary()],
)
def test_every_array_type_and_a_list_decide_alike(reference, corpus, kind):
    flt = optout.Filter(**KWARGS)
    urls = corpus["urls"][:20_000]
    expected = flt.judge(urls)
    got = flt.judge(pa.array(urls, type=kind))
    assert got.column("code") == expected.column("code")
    assert got.column("agent") == expected.column("agent")
    chunked = pa.chunked_array([urls[:5], urls[5:100]])
    assert flt.judge(chunked).column("code").to_pylist() == expected.column("code").to_pylist()[:100]


def test_rows_number_the_evidence():
    flt = optout.Filter(**KWARGS)
    _, records = flt.judge(["https://libgen.is/a", "not a url", None], evidence=True, rows=[7, 9, 11])
    assert records.column("row").to_pylist() == [7, 9]
    assert records.column("record")[0].as_py().startswith('{"row":7,"url":"https://libgen.is/a","reason":"blocklist"')
    with pytest.raises(ValueError):
        flt.judge(["https://a.example/"], rows=[1, 2])
    with pytest.raises(ValueError):
        flt.judge(["https://a.example/"], rows=pa.array([0], type=pa.uint32()))
    with pytest.raises(TypeError):
        flt.judge(["https://a.example/"], rows=pa.array(["x"]))


def test_nulls_and_codes():
    flt = optout.Filter(**KWARGS)
    batch = flt.judge(pa.array([None, "", "https://libgen.is/x"], type=pa.string()))
    assert batch.schema.names == ["keep", "code", "reason", "agent", "line"]
    assert batch.column("reason").to_pylist() == ["null", "empty-line", "blocklist"]
    assert [optout.codes()[c] for c in batch.column("code").to_pylist()] == batch.column("reason").to_pylist()
    assert batch.column("keep").to_pylist() == [False, False, False]


def test_a_filter_pickles_by_its_configuration():
    flt = optout.Filter(purpose="search", agents=["GPTBot"], **KWARGS)
    again = pickle.loads(pickle.dumps(flt))
    assert again.spec() == flt.spec()
    assert len(pickle.dumps(flt)) < 10_000
    urls = ["https://lemonde.fr/", "https://facebook.com/x", "https://libgen.is/"]
    assert again.judge(urls).to_pydict() == flt.judge(urls).to_pydict()
    config = flt.config()
    assert config["purpose"] == "search" and "GPTBot" in config["agents"]


def test_errors_are_python_exceptions(tmp_path):
    with pytest.raises(ValueError):
        optout.Filter(robots_dir=str(ROBOTS), snapshot="x")
    with pytest.raises(optout.OptoutError, match="nope"):
        optout.Filter(snapshot=str(tmp_path / "nope.jsonl"))
    with pytest.raises(optout.OptoutError, match="unknown"):
        optout.Filter(robots_dir=str(ROBOTS), unknown="perhaps")
    with pytest.raises(optout.OptoutError, match="purpose"):
        optout.Filter(robots_dir=str(ROBOTS), purpose="nap")
    with pytest.raises(optout.OptoutError, match="crawl"):
        optout.Filter(robots_dir=str(ROBOTS), as_of="crawl")
    flt = optout.Filter(**KWARGS)
    with pytest.raises(TypeError):
        flt.judge(pa.array([1, 2]))
    with pytest.raises(TypeError):
        flt.judge(42)
    with pytest.raises(optout.OptoutError, match="not a filter spec"):
        optout.Filter.from_spec('{"source": 1}')


def test_shards_are_the_documented_function_of_the_host():
    import hashlib

    for host in ["a.example", "xn--bcher-kva.example", "[::1]", "h123.tumblr.com"]:
        digest = hashlib.sha256(host.encode()).digest()
        for n in [1, 2, 8, 1000]:
            assert optout.shard_of(host, n) == int.from_bytes(digest[:8], "big") % n
    assert optout.shard_of("A.Example", 8) == optout.shard_of("a.example", 8)
    with pytest.raises(ValueError):
        optout.shard_of("a.example", 0)


def test_host_keys_are_optouts_own():
    assert optout.host_key("HTTPS://B\u00fccher.Example./x") == "xn--bcher-kva.example"
    assert optout.host_key("not a url") is None
    keys = optout.host_keys(["http://[::1]:8080/", None, "x", "http://A.example/"])
    assert keys.to_pylist() == ["[::1]", None, None, "a.example"]


def test_aipref_vocab_and_model_are_options(tmp_path):
    """vocab-08's ai-use decides the ai-input purpose (not under vocab-07);
    train-ai says nothing about a non-generative model."""
    robots = tmp_path / "robots"
    robots.mkdir()
    (robots / "a.test.txt").write_text(
        "User-agent: *\nAllow: /\nContent-Usage: train-ai=n, ai-use=n\n"
    )
    urls = ["https://a.test/x"]

    def kept(**kwargs):
        flt = optout.Filter(robots_dir=str(robots), agents=["GPTBot"], **kwargs)
        batch = flt.judge(urls)
        return batch.column("keep").to_pylist()

    assert kept(purpose="ai-input") == [False]
    assert kept(purpose="ai-input", aipref_vocab="07") == [True]
    assert kept() == [False]
    assert kept(model="non-generative") == [True]
    assert kept(signals=["content-signal"]) == [True]
    config = optout.Filter(robots_dir=str(robots), aipref_vocab="07").config()
    assert config["aipref_vocab"] == "aipref-vocab-07"
    with pytest.raises(ValueError):
        optout.Filter(robots_dir=str(robots), aipref_vocab="09")
