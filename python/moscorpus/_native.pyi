"""Type stub of the native module (Rust, PyO3). Use the functions of ``moscorpus``."""

from os import PathLike
from typing import Optional, Sequence, Union

import pyarrow

__all__ = ["CorpusError", "read", "command", "corpora", "scales", "add_corpus_file", "run_cli", "__version__"]

__version__: str

class CorpusError(ValueError):
    """A label file, shard or row that cannot be used as given; the message names the
    file (and line) and what is wrong."""

    path: Optional[str]
    """The file at fault, when one is."""
    line: Optional[int]
    """The 1-based line at fault, when one is."""
    kind: str
    """What is wrong, as a name: ``"missing_column"``, ``"no_header"``, ``"csv"``,
    ``"row"`` (a shard row), ``"bad_archive"``, ``"corpus_file"``, ``"input"`` (no finer kind yet), …
    A missing input file raises ``FileNotFoundError`` instead."""
    key: Optional[str]
    """For a shard row: the key whose value is missing or of the wrong type."""

def read(
    paths: Sequence[Union[str, PathLike[str]]],
    corpora: Optional[Sequence[str]] = None,
    unified: bool = False,
) -> pyarrow.Table: ...
def command(argv: Sequence[str]) -> str: ...
def corpora() -> str: ...
def scales() -> str: ...
def add_corpus_file(path: Union[str, PathLike[str]]) -> str: ...
def run_cli(argv: Sequence[str]) -> int: ...
