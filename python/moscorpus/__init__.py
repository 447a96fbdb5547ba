"""moscorpus for trainers: read verified MOS-corpus shards as one Arrow table, and run
the same ingest, probe and evaluate as the ``moscorpus`` command line.

Every shard of every corpus goes through one loader::

    import moscorpus
    table = moscorpus.read(["lsvq.jsonl", "konvid_150k.jsonl"], unified=True)
    df = table.to_pandas()

Functions
---------
read(paths, *, corpora=None, unified=False) -> pyarrow.Table
ingest(corpus, *, dir=None, full=False, max_rows=None, ...) -> IngestReport
probe(path, *, prober="auto") -> ProbeResult
evaluate(labels, predictions, *, logistic=False, bootstrap=0, split=None, ...) -> Metrics
audit(paths, *, decode=False, ...) -> pyarrow.Table
corpora() -> list[dict]
scales() -> list[dict]

Results are frozen dataclasses (``IngestReport``, ``Metrics``, ``SplitMetrics``,
``ProbeResult``); ``.to_dict()`` gives the JSON the command line prints.
"""

from __future__ import annotations

import glob
import json
import os
import re
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Iterable,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
    get_args,
    overload,
)

from . import _native
from ._native import CorpusError
from ._results import (
    ArchiveSummary,
    BootstrapIntervals,
    ClipSet,
    FailureReason,
    IngestReport,
    Interval,
    LogisticScores,
    Metrics,
    PairAccuracy,
    ChallengeScore,
    ProbeResult,
    Protocol,
    Spread,
    SplitMetrics,
)

if TYPE_CHECKING:
    from typing import TypeAlias

    import pyarrow

__all__ = [
    "ArchiveSummary",
    "BootstrapIntervals",
    "ClipSet",
    "CorpusError",
    "FailureReason",
    "IngestReport",
    "Interval",
    "LogisticScores",
    "Metrics",
    "PairAccuracy",
    "ChallengeScore",
    "ProbeResult",
    "Protocol",
    "Spread",
    "SplitMetrics",
    "add_corpus_file",
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
#: Which rows of a label file with an ``is_test`` column an ingest keeps.
TrainTest: TypeAlias = Literal["train", "test", "all"]
#: LSVQ's held-out sets, for ``evaluate(split=...)``.
HeldOut: TypeAlias = Literal["test", "test_1080p"]
#: Which prober reads clips.
Prober: TypeAlias = Literal["auto", "native", "ffprobe"]

#: The 15 keys every row has, in the table's column order.
FIXED_COLUMNS: Tuple[str, ...] = (
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


def _expand(paths: Union[PathLike, Iterable[PathLike]]) -> List[str]:
    """Paths in the order given; a path with a glob pattern becomes its sorted matches."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    expanded: List[str] = []
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


def _flags(options: Mapping[str, Any]) -> List[str]:
    """Keyword options as CLI flags: ``max_rows=10`` → ``--max-rows=10``; ``True`` → the
    bare flag; ``False``/``None`` → left out; a list → the flag and each value."""
    argv: List[str] = []
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


def _python_wording(message: str) -> str:
    """A command-line parser's message in the words of this module: ``'--max-rows <N>'``
    becomes ``max_rows=``, and the shell's usage and ``--help`` lines go."""
    message = re.sub(
        r"'?--([a-z0-9-]+)(?:[ =]<[^>]+>)?'?",
        lambda m: m.group(1).replace("-", "_") + "=",
        message,
    )
    kept = [
        line
        for line in message.strip().splitlines()
        if line.strip() and not line.startswith(("Usage:", "For more information"))
    ]
    return "\n".join(kept).removeprefix("error: ")


def _command(argv: List[str]) -> Any:
    try:
        answer = _native.command(argv)
    except TypeError as refused:
        raise ValueError(_python_wording(str(refused))) from None
    return json.loads(answer)


def _corpus_label(corpus: str) -> str:
    """``corpus`` if moscorpus knows it, else a ``ValueError`` listing those it does."""
    known = [c["label"] for c in corpora()]
    if corpus not in known:
        raise ValueError(f"unknown corpus {corpus!r}: moscorpus knows {', '.join(known)}")
    return corpus


def _check_int(name: str, value: Optional[int], least: int = 0) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < least:
        raise ValueError(f"{name} must be at least {least}, not {value}")


def _check_number(name: str, value: Optional[float], least: float = 0.0) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if not value >= least:
        raise ValueError(f"{name} must be at least {least}, not {value}")


def _check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}, not {value!r}")


def ingest(
    corpus: str,
    *,
    dir: Optional[PathLike] = None,
    full: bool = False,
    max_rows: Optional[int] = None,
    manifest_csv: Optional[PathLike] = None,
    split: TrainTest = "all",
    shard: Optional[Union[str, Tuple[int, int]]] = None,
    output: Optional[PathLike] = None,
    progress_path: Optional[PathLike] = None,
    clips_subdir: Optional[PathLike] = None,
    clip_suffix: str = ".mp4",
    corpus_version: Optional[str] = None,
    min_csv_rows: Optional[int] = None,
    from_hf: bool = False,
    hf_repo: Optional[str] = None,
    hf_revision: str = "main",
    from_url: Optional[str] = None,
    archives_dir: Optional[PathLike] = None,
    keep_archives: bool = False,
    variant: Optional[str] = None,
    clips_url_base: Optional[str] = None,
    retry_failed: bool = False,
    prober: Prober = "auto",
    ffprobe_bin: Optional[PathLike] = None,
    decode: bool = False,
    ffmpeg: Optional[PathLike] = None,
    keep_damaged: bool = False,
    no_damage_checks: bool = False,
    jobs: Optional[int] = None,
    downloads: int = 8,
    downloads_per_host: int = 8,
    connections_per_file: int = 8,
    download_timeout_s: float = 120.0,
    download_retries: int = 4,
    retry_backoff_ms: int = 1000,
    min_speed_bytes: int = 1024,
    min_speed_window_s: float = 60.0,
    max_clip_bytes: int = 20 << 30,
    max_retry_after_s: float = 120.0,
    attrition_warn_threshold: float = 0.10,
    report_json: Optional[PathLike] = None,
) -> IngestReport:
    """Ingest a corpus, as ``moscorpus ingest CORPUS`` does, and return its report.

    The same run, output and state file as the command line; each argument is the flag
    of the same name (``max_rows`` is ``--max-rows``; the README documents them all).
    The GIL is released while it runs; Ctrl-C stops it the way it stops the CLI
    (finished rows and the state file are written) and raises ``KeyboardInterrupt``;
    running it again goes on.

    Args:
        corpus: one of :func:`corpora`'s labels, e.g. ``"lsvq"``.
        dir: the working folder (labels, clips, state file, output); by default
            ``.workingdir2/<corpus>/``.
        full: every selected row; else the first ``max_rows``.
        max_rows: by default the corpus's laptop-sized 500 (lsvq, youtube-ugc, chug),
            every row for the others.
        split: which rows of a label file with an ``is_test`` column.
        variant: a label variant the corpus declares (:func:`corpora` lists them):
            ``"raw"`` for YouTube-UGC's originals, ``"original"`` for CVD2014's MOS
            before realignment, ``"video_score"`` for KonViD-150k-B; rows read through
            another MOS column carry ``mos_variant``.
        shard: part ``(k, n)`` (or ``"k/n"``) of ``n`` disjoint parts of the rows.
        prober: ``"native"`` (no ffmpeg needed), ``"ffprobe"``, or ``"auto"``.
        jobs: clips hashed and probed at once; by default every core.
        report_json: also write the report as JSON here.

    Raises:
        CorpusError: a label file, state file or clip folder that cannot be used.
        FileNotFoundError: a file named here that does not exist.
        ValueError: an unknown corpus, a value out of range, or arguments that exclude
            each other (``full`` and ``max_rows``).
    """
    # The arguments, before anything else is named here: each is the flag of its name.
    options: Dict[str, Any] = dict(locals())
    del options["corpus"]
    _corpus_label(corpus)
    if full and max_rows is not None:
        raise ValueError("max_rows and full=True exclude each other: give one")
    for name, least, number in [
        ("max_rows", 1, max_rows),
        ("min_csv_rows", 0, min_csv_rows),
        ("jobs", 1, jobs),
        ("downloads", 1, downloads),
        ("downloads_per_host", 1, downloads_per_host),
        ("connections_per_file", 1, connections_per_file),
        ("download_retries", 0, download_retries),
        ("retry_backoff_ms", 0, retry_backoff_ms),
        ("min_speed_bytes", 0, min_speed_bytes),
        ("max_clip_bytes", 1, max_clip_bytes),
    ]:
        _check_int(name, number, least)
    for name, seconds in [
        ("download_timeout_s", download_timeout_s),
        ("min_speed_window_s", min_speed_window_s),
        ("max_retry_after_s", max_retry_after_s),
        ("attrition_warn_threshold", attrition_warn_threshold),
    ]:
        _check_number(name, seconds)
    _check_choice("split", split, get_args(TrainTest))
    if variant is not None and not isinstance(variant, str):
        raise TypeError(f"variant must be a str, not {type(variant).__name__}")
    _check_choice("prober", prober, get_args(Prober))
    if isinstance(shard, tuple):
        part, parts = shard
        options["shard"] = f"{part}/{parts}"
    return IngestReport.from_dict(_command(["ingest", corpus, *_flags(options)]))


def probe(path: PathLike, *, prober: Prober = "auto", ffprobe_bin: Optional[PathLike] = None) -> ProbeResult:
    """Probe one clip, as ``moscorpus probe`` does: ffprobe's answer (``streams`` and
    ``format``), read natively unless ``prober="ffprobe"``.

    Raises:
        FileNotFoundError: no such file.
        CorpusError: a file that is not a clip the prober reads.
    """
    _check_choice("prober", prober, get_args(Prober))
    argv = ["probe", *_flags({"prober": prober, "ffprobe_bin": ffprobe_bin}), "--", os.fspath(path)]
    answers: List[Dict[str, Any]] = _command(argv)
    return ProbeResult.from_dict(answers[0])


@overload
def evaluate(
    labels: Union[PathLike, Sequence[PathLike]],
    predictions: PathLike,
    *,
    logistic: bool = ...,
    bootstrap: int = ...,
    split: Optional[HeldOut] = ...,
    seed: int = ...,
    strict: bool = ...,
    corpus: Optional[str] = ...,
    score: Optional[str] = ...,
    pairs: Optional[Sequence[PathLike]] = ...,
    split_file: None = ...,
    repeat: None = ...,
) -> Metrics: ...
@overload
def evaluate(
    labels: Union[PathLike, Sequence[PathLike]],
    predictions: PathLike,
    *,
    logistic: bool = ...,
    bootstrap: int = ...,
    split: Optional[HeldOut] = ...,
    seed: int = ...,
    strict: bool = ...,
    corpus: Optional[str] = ...,
    score: Optional[str] = ...,
    split_file: PathLike,
    repeat: Optional[Union[int, Literal["all"]]] = ...,
) -> SplitMetrics: ...
def evaluate(
    labels: Union[PathLike, Sequence[PathLike]],
    predictions: PathLike,
    *,
    logistic: bool = False,
    bootstrap: int = 0,
    split: Optional[HeldOut] = None,
    seed: int = 0,
    strict: bool = False,
    corpus: Optional[str] = None,
    score: Optional[str] = None,
    pairs: Optional[Sequence[PathLike]] = None,
    split_file: Optional[PathLike] = None,
    repeat: Optional[Union[int, Literal["all"]]] = None,
) -> Union[Metrics, SplitMetrics]:
    """Score predictions against labels: what ``moscorpus evaluate --json`` prints (n,
    srocc, plcc, krcc, rmse, and the logistic fit and bootstrap intervals when asked).

    Args:
        labels: label file(s): DOVER/FAST-VQA lists, LSVQ CSVs, a manifest or a shard.
        predictions: CSV ``name,score`` or JSONL with ``src``/``name`` and ``score``.
        split: ``"test"`` or ``"test_1080p"`` for LSVQ's held-out sets.
        corpus: the corpus the labels belong to (its name rules key labels and
            predictions), e.g. ``"konvid-1k"``; by default the corpus a shard's rows
            name, else ``"lsvq"``.
        split_file: a ``moscorpus split`` file: score each repeat's test side, and get
            :class:`SplitMetrics` (else :class:`Metrics`).
        repeat: with ``split_file``, one repeat number or ``"all"`` (the default).
        score: one of the corpus's named scores (a corpus file's ``[[score]]``, e.g.
            ``"technical"``) to score instead of the MOS.
        pairs: pairwise rank label files (``video1, video2, rank``; an xlsx with a set
            per sheet, or CSVs): each set's accuracy in ``Metrics.pairs``, and the
            corpus's challenge score (KVQ) in ``Metrics.challenge``.
    """
    if isinstance(labels, (str, os.PathLike)):
        labels = [labels]
    if corpus is not None:
        _corpus_label(corpus)
    if split is not None:
        _check_choice("split", split, get_args(HeldOut))
    _check_int("bootstrap", bootstrap)
    _check_int("seed", seed)
    if repeat is not None and repeat != "all":
        _check_int("repeat", repeat)
    if repeat is not None and split_file is None:
        raise ValueError("repeat is a repeat of split_file: give split_file too")
    if pairs is not None and split_file is not None:
        raise ValueError("pairs are scored on all labels: not with split_file")
    options = {
        "corpus": corpus,
        "score": score,
        "pairs": None if pairs is None else list(pairs),
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
    answer = _command(["evaluate", *_flags(options)])
    if split_file is None:
        return Metrics.from_dict(answer)
    return SplitMetrics.from_dict(answer)


def audit(
    paths: Union[PathLike, Sequence[PathLike]],
    *,
    decode: bool = False,
    clips_dir: Optional[PathLike] = None,
    jobs: Optional[int] = None,
    prober: Prober = "auto",
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
    _check_int("jobs", jobs, 1)
    _check_choice("prober", prober, get_args(Prober))
    options = {"clips_dir": clips_dir, "jobs": jobs, "prober": prober, "decode": decode, "ffmpeg": ffmpeg}
    lines = _command(["audit", *_flags(options), "--", *(os.fspath(p) for p in paths)])
    columns: List[Tuple[str, pyarrow.DataType]] = [
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
    return pyarrow.Table.from_pylist(lines, schema=pyarrow.schema(columns))


def corpora() -> List[Dict[str, Any]]:
    """Every corpus moscorpus ingests: label, version, default folder and output file,
    label files looked for, MOS scale, where it comes from, citation and licence."""
    answer: List[Dict[str, Any]] = json.loads(_native.corpora())
    return answer


def add_corpus_file(path: PathLike) -> str:
    """Adds a corpus of your own, described in a TOML corpus file (the schema is in the
    README, "A corpus of your own, as a file"), to every function of this process, and
    returns its label. Adding the same file again is a no-op; a bad file raises
    ``CorpusError`` (``kind == "corpus_file"``) naming the file, line and key. Files in
    the folder ``MOSCORPUS_CORPUS_DIR`` names are added on their own."""
    return _native.add_corpus_file(os.fspath(path))


def scales() -> List[Dict[str, Any]]:
    """The one scale table: per corpus its native MOS range and the affine map to the
    unified 0–100 axis, ``unified = (mos + offset) * factor``. To bring a prediction
    made on the unified axis back: ``mos = unified / factor - offset``."""
    answer: List[Dict[str, Any]] = json.loads(_native.scales())
    return answer
