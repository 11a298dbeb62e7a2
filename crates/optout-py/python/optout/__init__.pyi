"""Type stubs of :mod:`optout`."""

from typing import Any, Optional, Sequence, Union

import pyarrow as pa

from optout._optout import OptoutError as OptoutError
from optout._optout import codes as codes
from optout._optout import host_key as host_key
from optout._optout import shard_of as shard_of
from optout._optout import version as version

__version__: str

def as_url_array(urls: Any) -> Any: ...
def host_keys(urls: Any) -> pa.Array: ...

class Filter:
    def __init__(
        self,
        *,
        snapshot: Optional[str] = ...,
        cache: Optional[str] = ...,
        robots_dir: Optional[str] = ...,
        agents: Optional[Sequence[str]] = ...,
        purpose: Optional[str] = ...,
        blocklists: Optional[dict[str, str]] = ...,
        unknown: str = ...,
        agent_rule: str = ...,
        missing: str = ...,
        threads: Optional[int] = ...,
        legacy_conservative: bool = ...,
        files: Optional[Sequence[str]] = ...,
        redact: str = ...,
        as_of: str = ...,
        aipref_vocab: str = ...,
        model: str = ...,
        signals: Optional[Sequence[str]] = ...,
    ) -> None: ...
    @classmethod
    def from_spec(cls, spec: str) -> "Filter": ...
    def spec(self) -> str: ...
    def config(self) -> dict[str, Any]: ...
    def agents(self) -> list[str]: ...
    def judge(
        self, urls: Any, *, evidence: bool = ..., first_row: int = ..., rows: Any = ...
    ) -> Union[pa.RecordBatch, tuple[pa.RecordBatch, pa.RecordBatch]]: ...
