"""moscorpus for trainers: read verified MOS-corpus shards as one Arrow table, and run
the same ingest, probe and evaluate as the ``moscorpus`` command line.

Every shard of every corpus goes through one loader::

    import moscorpus
    table = moscorpus.read(["lsvq.jsonl", "konvid_150k.jsonl"], unified=True)
    df = table.to_pandas()

Functions
---------
read(paths, *, corpora=None, unified=False) -> pyarrow.Table
ingest(corpus, **options) -> dict
probe(path, *, prober="auto") -> dict
evaluate(labels, predictions, *, logistic=False, bootstrap=0, split=None, ...) -> dict
corpora() -> list[dict]
scales() -> list[dict]
"""

from __future__ import annotations

import glob
import json
import os
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Sequence, Union

from . import _native
from ._native import CorpusError

if TYPE_CHECKING:
    import pyarrow

__all__ = [
    "CorpusError",
    "audit",
    "corpora",
    "evaluate",
    "ingest",
    "probe",
    "read",
    "scales",
    "__version__",
]

__version__: str = _native.__version__

PathLike = Union[str, "os.PathLike[str]"]

#: The 15 keys every row has, in the table's column order.
FIXED_COLUMNS: tuple = (
    "src",
    "src_sha256",
    "src_size_bytes",
    "width",
    "height",
    "framerate",
    "duration_s",
    "pix_fmt",
    "encoder_upstream",
    "mos",
    "mos_std_dev",
    "n_ratings",
    "corpus",
    "corpus_version",
    "ingested_at_utc",
)


def _expand(paths: Union[PathLike, Iterable[PathLike]]) -> list:
    """Paths in the order given; a path with a glob pattern becomes its sorted matches."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    expanded = []
    for path in paths:
        text = os.fspath(path)
        if glob.has_magic(text):
            matches = sorted(glob.glob(text))
            if not matches:
                raise FileNotFoundError(f"{text}: no file matches this pattern")
            expanded.extend(matches)
        else:
            expanded.append(text)
    if not expanded:
        raise ValueError("no input files given")
    return expanded


def read(
    paths: Union[PathLike, Iterable[PathLike]],
    *,
    corpora: Optional[Sequence[str]] = None,
    unified: bool = False,
) -> "pyarrow.Table":
    """Read JSONL shards and/or Parquet files (globs accepted) into one ``pyarrow.Table``.

    Every row is checked against the schema: the 15 fixed keys with their types
    (``src`` … ``ingested_at_utc``), then each corpus's extra keys as nullable
    columns. A row that breaks it raises :class:`CorpusError` naming ``file:line`` and
    the key. Rows keep the files' order.

    Args:
        paths: a path, a glob pattern, or a list of them.
        corpora: keep only rows whose ``corpus`` is one of these (e.g. ``["lsvq"]``).
        unified: add ``mos_unified`` (0–100) and ``mos_std_dev_unified`` from the one
            scale table (:func:`scales`); null for a corpus without a scale or a MOS
            outside its published range.
    """
    if isinstance(corpora, str):
        corpora = [corpora]
    return _native.read(
        _expand(paths),
        None if corpora is None else list(corpora),
        bool(unified),
    )


def _flags(options: Mapping[str, Any]) -> list:
    """Keyword options as CLI flags: ``max_rows=10`` → ``--max-rows=10``; ``True`` → the
    bare flag; ``False``/``None`` → left out; a list → the flag and each value."""
    argv = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            argv.append(flag)
        elif isinstance(value, (list, tuple)):
            argv.append(flag)
            argv.extend(os.fspath(v) if isinstance(v, os.PathLike) else str(v) for v in value)
        else:
            text = os.fspath(value) if isinstance(value, os.PathLike) else str(value)
            argv.append(f"{flag}={text}")
    return argv


def _command(argv: list) -> Any:
    return json.loads(_native.command(argv))


def ingest(corpus: str, **options: Any) -> dict:
    """Run ``moscorpus ingest <corpus>`` and return its ``--report-json`` content.

    Options are the CLI's flags with underscores (``dir=``, ``max_rows=``, ``full=True``,
    ``from_hf=True``, ``archives_dir=``, ``jobs=``, ``report_json=`` …): the same run,
    the same output and state file. The GIL is released while it runs; Ctrl-C stops it
    the way it stops the CLI (finished rows and the state file are written) and raises
    ``KeyboardInterrupt``; running it again goes on. An unknown option raises
    ``TypeError`` with the CLI's message.
    """
    return _command(["ingest", corpus, *_flags(options)])


def probe(path: PathLike, *, prober: str = "auto", ffprobe_bin: Optional[PathLike] = None) -> dict:
    """Probe one clip; the answer has ffprobe's shape (``streams``, ``format``), as
    ``moscorpus probe`` prints it."""
    argv = ["probe", *_flags({"prober": prober, "ffprobe_bin": ffprobe_bin}), "--", os.fspath(path)]
    return _command(argv)[0]


def evaluate(
    labels: Union[PathLike, Sequence[PathLike]],
    predictions: PathLike,
    *,
    logistic: bool = False,
    bootstrap: int = 0,
    split: Optional[str] = None,
    seed: int = 0,
    strict: bool = False,
    corpus: Optional[str] = None,
    split_file: Optional[PathLike] = None,
    repeat: Optional[Union[int, str]] = None,
) -> dict:
    """Score predictions against labels: what ``moscorpus evaluate --json`` prints (n,
    srocc, plcc, krcc, rmse, and the logistic fit and bootstrap intervals when asked).

    Args:
        labels: label file(s): DOVER/FAST-VQA lists, LSVQ CSVs, a manifest or a shard.
        predictions: CSV ``name,score`` or JSONL with ``src``/``name`` and ``score``.
        split: ``"test"`` or ``"test_1080p"`` for LSVQ's held-out sets.
        corpus: the corpus the labels belong to (its name rules key labels and
            predictions), e.g. ``"konvid-1k"``; by default the corpus a shard's rows
            name, else ``"lsvq"``.
        split_file: a ``moscorpus split`` file: score each repeat's test side.
        repeat: with ``split_file``, one repeat number or ``"all"`` (the default).
    """
    if isinstance(labels, (str, os.PathLike)):
        labels = [labels]
    options = {
        "corpus": corpus,
        "split_file": split_file,
        "repeat": repeat,
        "labels": list(labels),
        "predictions": predictions,
        "split": split,
        "logistic": logistic,
        "strict": strict,
        "bootstrap": bootstrap,
        "seed": seed,
        "json": True,
    }
    return _command(["evaluate", *_flags(options)])


def audit(
    paths: Union[PathLike, Sequence[PathLike]],
    *,
    decode: bool = False,
    clips_dir: Optional[PathLike] = None,
    jobs: Optional[int] = None,
    prober: str = "auto",
    ffmpeg: Optional[PathLike] = None,
) -> "pyarrow.Table":
    """Check clips' bytes for damage, as ``moscorpus audit`` does: one row a clip
    (``src``, ``src_sha256``, ``size_bytes``, ``verdict``, ``container_frames``,
    ``frames_present``, ``decoded_frames``, ``checks``, ``first_problem``), in order.

    Args:
        paths: clips, folders of clips, ``.txt`` file lists, or shards (their clips
            under ``clips_dir``).
        decode: also decode each clip with ffmpeg (``ffmpeg=`` names the binary).
    """
    import pyarrow

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    options = {"clips_dir": clips_dir, "jobs": jobs, "prober": prober, "decode": decode, "ffmpeg": ffmpeg}
    lines = _command(["audit", *_flags(options), "--", *(os.fspath(p) for p in paths)])
    schema = pyarrow.schema(
        [
            ("src", pyarrow.string()),
            ("src_sha256", pyarrow.string()),
            ("size_bytes", pyarrow.int64()),
            ("verdict", pyarrow.string()),
            ("container_frames", pyarrow.int64()),
            ("frames_present", pyarrow.int64()),
            ("decoded_frames", pyarrow.int64()),
            ("checks", pyarrow.list_(pyarrow.string())),
            ("first_problem", pyarrow.string()),
        ]
    )
    return pyarrow.Table.from_pylist(lines, schema=schema)


def corpora() -> list:
    """Every corpus moscorpus ingests: label, version, default folder and output file,
    label files looked for, MOS scale, where it comes from, citation and licence."""
    return json.loads(_native.corpora())


def scales() -> list:
    """The one scale table: per corpus its native MOS range and the affine map to the
    unified 0–100 axis, ``unified = (mos + offset) * factor``. To bring a prediction
    made on the unified axis back: ``mos = unified / factor - offset``."""
    return json.loads(_native.scales())
