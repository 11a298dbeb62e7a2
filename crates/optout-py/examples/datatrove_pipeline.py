"""A datatrove pipeline that drops what optout removes (run from the repository root)."""

import sys

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter

from optout.datatrove import OptoutFilter

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "out/datatrove"
    LocalPipelineExecutor(
        pipeline=[
            JsonlReader("fixtures/corpus", glob_pattern="*.jsonl"),
            OptoutFilter(
                robots_dir="fixtures/robots/real",
                blocklists={"piracy": "fixtures/blocklists/piracy.txt"},
                missing="deny",
                url_key="url",
                batch_size=10_000,
                # Dropped documents, each with its reason and evidence.
                exclusion_writer=JsonlWriter(f"{out}/removed"),
            ),
            JsonlWriter(f"{out}/kept"),
        ],
        tasks=2,
        logging_dir=f"{out}/logs",
    ).run()
