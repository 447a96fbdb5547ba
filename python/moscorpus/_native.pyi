"""Type stub of the native module (Rust, PyO3). Use the functions of ``moscorpus``."""

from os import PathLike
from typing import Optional, Sequence, Union

import pyarrow

__version__: str

class CorpusError(ValueError):
    """A label file, shard or row that cannot be used as given; the message names the
    file (and line) and what is wrong."""

def read(
    paths: Sequence[Union[str, PathLike[str]]],
    corpora: Optional[Sequence[str]] = None,
    unified: bool = False,
) -> pyarrow.Table: ...
def command(argv: Sequence[str]) -> str: ...
def corpora() -> str: ...
def scales() -> str: ...
def run_cli(argv: Sequence[str]) -> int: ...
