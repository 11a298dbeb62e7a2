"""optout.datatrove.OptoutFilter in a LocalPipelineExecutor with 2 tasks
decides every document as the command line does."""

from __future__ import annotations

import json

import pytest

from conftest import KWARGS, need


@pytest.mark.timeout(600)
def test_datatrove_pipeline_equals_the_command_line(reference, corpus, tmp_path):
    need("datatrove")
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    from optout.datatrove import OptoutFilter

    kept_dir, removed_dir = tmp_path / "kept", tmp_path / "removed"
    executor = LocalPipelineExecutor(
        pipeline=[
            JsonlReader(str(corpus["jsonl"])),
            OptoutFilter(
                row_key="row",
                batch_size=5_000,
                exclusion_writer=JsonlWriter(str(removed_dir), compression=None),
                **KWARGS,
            ),
            JsonlWriter(str(kept_dir), compression=None),
        ],
        tasks=2,
        workers=1,
        logging_dir=str(tmp_path / "logs"),
    )
    executor.run()
    keep, reason, evidence = {}, {}, {}
    for path in kept_dir.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            row = json.loads(line)["metadata"]["row"]
            keep[row], reason[row] = True, "kept"
    for path in removed_dir.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            metadata = json.loads(line)["metadata"]
            row = metadata["row"]
            keep[row], reason[row] = False, metadata["filter_reason"]
            if "optout_evidence" in metadata:
                evidence[row] = metadata["optout_evidence"]
    reference.check(keep, reason, evidence)


def test_the_step_pickles_without_its_engine():
    need("datatrove")
    import pickle

    from optout.datatrove import OptoutFilter

    step = OptoutFilter(**KWARGS)
    assert step.engine is not None
    again = pickle.loads(pickle.dumps(step))
    assert again._filter is None and again.spec == step.spec


def test_a_document_without_its_row_number_is_named():
    need("datatrove")
    from datatrove.data import Document

    import optout
    from optout.datatrove import OptoutFilter

    step = OptoutFilter(row_key="row", **KWARGS)
    doc = Document(text="x", id="doc-7", metadata={"url": "https://libgen.is/"})
    with pytest.raises(optout.OptoutError, match="doc-7"):
        step.filter_batch([doc])
