"""Type stubs of the extension module; see :mod:`optout` for the API."""

from typing import Any, Optional, Sequence, Union

import pyarrow as pa

class OptoutError(Exception):
    """An error from optout, with the message the command line would print."""

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
    @staticmethod
    def from_spec(spec: str) -> "Filter": ...
    def spec(self) -> str: ...
    def config(self) -> str: ...
    def agents(self) -> list[str]: ...
    def judge(
        self, urls: Any, *, evidence: bool = ..., first_row: int = ..., rows: Any = ...
    ) -> Union[pa.RecordBatch, tuple[pa.RecordBatch, pa.RecordBatch]]: ...

def host_key(url: str) -> Optional[str]: ...
def host_keys(urls: Any) -> pa.Array: ...
def shard_of(host: str, shards: int) -> int: ...
def codes() -> list[str]: ...
def version() -> str: ...
