"""Typed results of the Python API: what ``ingest``, ``evaluate`` and ``probe`` return.

Each is a frozen dataclass read from the JSON the command line prints (``ingest
--report-json``, ``evaluate --json``, ``probe``): the Rust side serialises a result once,
for both. ``.to_dict()`` gives that JSON back as a ``dict``, key for key.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Dict, List, Mapping, Optional, Tuple


def _plain(value: Any) -> Any:
    """A result's value as JSON data: results as dicts, tuples as lists."""
    if isinstance(value, _Result):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


class _Result:
    """What every result shares: ``to_dict()``."""

    __dataclass_fields__: ClassVar[Dict[str, Any]]
    #: Fields the JSON leaves out (rather than writing ``null``) when they are ``None``.
    _absent_when_none: ClassVar[Tuple[str, ...]] = ()

    def to_dict(self) -> Dict[str, Any]:
        """The result as the command line's JSON prints it."""
        return {
            field.name: _plain(getattr(self, field.name))
            for field in dataclasses.fields(self)
            if not (field.name in self._absent_when_none and getattr(self, field.name) is None)
        }


@dataclasses.dataclass(frozen=True)
class FailureReason(_Result):
    """One kind of failure an ingest met: how often, and one example."""

    kind: str
    #: ``"retry"`` (tried again on the next run) or ``"permanent"`` (remembered).
    policy: str
    count: int
    example: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FailureReason:
        return cls(data["kind"], data["policy"], data["count"], data["example"])


@dataclasses.dataclass(frozen=True)
class ArchiveSummary(_Result):
    """What staging a corpus's archives did."""

    ready: int
    failed: int
    bytes_downloaded: int
    files_extracted: int
    members_refused: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ArchiveSummary:
        return cls(
            data["ready"],
            data["failed"],
            data["bytes_downloaded"],
            data["files_extracted"],
            data["members_refused"],
        )


@dataclasses.dataclass(frozen=True)
class IngestReport(_Result):
    """One ingest run, as ``moscorpus ingest --report-json`` writes it."""

    corpus: str
    #: Rows of the label file(s), and those the run took (split, ``max_rows``, shard).
    label_rows: int
    selected: int
    #: Rows written by this run; clips already in the shard; rows rewritten in place.
    written: int
    dedups: int
    updated: int
    skipped_download: int
    skipped_broken: int
    skipped_bad_rows: int
    #: The share of selected rows that got no row.
    attrition: float
    attrition_warning: Optional[str]
    top_failure_reasons: Tuple[FailureReason, ...]
    output: str
    state_file: str
    state_file_bytes_written: int
    label_files: Tuple[str, ...]
    archives: Optional[ArchiveSummary]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IngestReport:
        archives = data["archives"]
        return cls(
            corpus=data["corpus"],
            label_rows=data["label_rows"],
            selected=data["selected"],
            written=data["written"],
            dedups=data["dedups"],
            updated=data["updated"],
            skipped_download=data["skipped_download"],
            skipped_broken=data["skipped_broken"],
            skipped_bad_rows=data["skipped_bad_rows"],
            attrition=data["attrition"],
            attrition_warning=data["attrition_warning"],
            top_failure_reasons=tuple(FailureReason.from_dict(f) for f in data["top_failure_reasons"]),
            output=data["output"],
            state_file=data["state_file"],
            state_file_bytes_written=data["state_file_bytes_written"],
            label_files=tuple(data["label_files"]),
            archives=None if archives is None else ArchiveSummary.from_dict(archives),
        )

    def __repr__(self) -> str:
        skipped = self.skipped_download + self.skipped_broken + self.skipped_bad_rows
        return (
            f"IngestReport({self.corpus}: {self.written} written, {self.dedups} already in, "
            f"{skipped} skipped of {self.selected} selected, "
            f"attrition {self.attrition:.1%}, output={self.output!r})"
        )


@dataclasses.dataclass(frozen=True)
class Interval(_Result):
    """A 95 % bootstrap interval; the JSON writes it as ``[low, high]``."""

    low: float
    high: float

    def to_dict(self) -> Any:
        return [self.low, self.high]

    @classmethod
    def from_list(cls, pair: List[float]) -> Interval:
        low, high = pair
        return cls(low, high)


@dataclasses.dataclass(frozen=True)
class BootstrapIntervals(_Result):
    """Bootstrap intervals of the four numbers."""

    #: Replicates that could be scored (a resample of constant values cannot).
    replicates: int
    seed: int
    srocc: Interval
    plcc: Interval
    krcc: Interval
    rmse: Interval

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BootstrapIntervals:
        return cls(
            data["replicates"],
            data["seed"],
            *(Interval.from_list(data[name]) for name in ("srocc", "plcc", "krcc", "rmse")),
        )


@dataclasses.dataclass(frozen=True)
class LogisticScores(_Result):
    """PLCC and RMSE after the four-parameter logistic fit, with its parameters."""

    plcc: float
    rmse: float
    params: Tuple[float, float, float, float]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LogisticScores:
        b1, b2, b3, b4 = data["params"]
        return cls(data["plcc"], data["rmse"], (b1, b2, b3, b4))


@dataclasses.dataclass(frozen=True)
class ClipSet(_Result):
    """Which clips a result was scored on: a SHA-256 over their sorted hashes (or keys)."""

    by: str
    fingerprint: str
    n: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClipSet:
        return cls(data["by"], data["fingerprint"], data["n"])


@dataclasses.dataclass(frozen=True)
class Protocol(_Result):
    """How a result was computed."""

    corpus: str
    clip_set: Optional[ClipSet]
    split_file: Optional[str]
    repeat: Optional[int]
    logistic: bool
    #: ``evaluate(score=...)``: the named score scored instead of the MOS.
    score: Optional[str] = None

    _absent_when_none: ClassVar[Tuple[str, ...]] = ("score",)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Protocol:
        clip_set = data["clip_set"]
        return cls(
            data["corpus"],
            None if clip_set is None else ClipSet.from_dict(clip_set),
            data["split_file"],
            data["repeat"],
            data["logistic"],
            data.get("score"),
        )


@dataclasses.dataclass(frozen=True)
class PairAccuracy(_Result):
    """One set of pairwise rank labels (``evaluate(pairs=...)``), scored: the share of
    pairs the predictions order as the rank says (a tie is wrong)."""

    set: str
    n: int
    correct: int
    accuracy: float
    #: Pairs left out because a clip has no prediction.
    unpredicted: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PairAccuracy:
        return cls(data["set"], data["n"], data["correct"], data["accuracy"], data["unpredicted"])


@dataclasses.dataclass(frozen=True)
class ChallengeScore(_Result):
    """A corpus's challenge score (KVQ's NTIRE 2024: 0.45·SROCC + 0.45·PLCC + 0.05 of
    each pair set's accuracy)."""

    name: str
    score: float

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChallengeScore:
        return cls(data["name"], data["score"])


@dataclasses.dataclass(frozen=True)
class Metrics(_Result):
    """Predictions scored against labels, as ``moscorpus evaluate --json`` prints them."""

    n: int
    srocc: float
    plcc: float
    krcc: float
    rmse: float
    labels_without_prediction: int
    predictions_without_label: int
    duplicate_predictions: int
    logistic: Optional[LogisticScores]
    bootstrap: Optional[BootstrapIntervals]
    protocol: Protocol
    #: For one repeat of a split file: which, its test clips, and those left unscored.
    repeat: Optional[int] = None
    test_clips: Optional[int] = None
    unscored: Optional[int] = None
    #: ``evaluate(pairs=...)``: each pair set's accuracy.
    pairs: Optional[List[PairAccuracy]] = None
    #: The corpus's challenge score, when it declares one and it could be computed.
    challenge: Optional[ChallengeScore] = None

    _absent_when_none: ClassVar[Tuple[str, ...]] = (
        "repeat",
        "test_clips",
        "unscored",
        "pairs",
        "challenge",
    )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Metrics:
        logistic, bootstrap = data["logistic"], data["bootstrap"]
        return cls(
            n=data["n"],
            srocc=data["srocc"],
            plcc=data["plcc"],
            krcc=data["krcc"],
            rmse=data["rmse"],
            labels_without_prediction=data["labels_without_prediction"],
            predictions_without_label=data["predictions_without_label"],
            duplicate_predictions=data["duplicate_predictions"],
            logistic=None if logistic is None else LogisticScores.from_dict(logistic),
            bootstrap=None if bootstrap is None else BootstrapIntervals.from_dict(bootstrap),
            protocol=Protocol.from_dict(data["protocol"]),
            repeat=data.get("repeat"),
            test_clips=data.get("test_clips"),
            unscored=data.get("unscored"),
            pairs=(
                None
                if "pairs" not in data
                else [PairAccuracy.from_dict(p) for p in data["pairs"]]
            ),
            challenge=(
                None if "challenge" not in data else ChallengeScore.from_dict(data["challenge"])
            ),
        )

    def __repr__(self) -> str:
        repeat = "" if self.repeat is None else f"repeat {self.repeat}, "
        return (
            f"Metrics({repeat}n={self.n}, srocc={self.srocc:.4f}, plcc={self.plcc:.4f}, "
            f"krcc={self.krcc:.4f}, rmse={self.rmse:.4f})"
        )


@dataclasses.dataclass(frozen=True)
class Spread(_Result):
    """Median, mean and standard deviation (ddof 0) of one metric over repeats."""

    median: float
    mean: float
    std: float

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Spread:
        return cls(data["median"], data["mean"], data["std"])


@dataclasses.dataclass(frozen=True)
class SplitMetrics(_Result):
    """Predictions scored on each repeat of a split file, and the spread over repeats."""

    split_file: Optional[str]
    repeats: int
    #: Per metric name (``"srocc"``, ``"plcc"``, …) its spread over the repeats.
    summary: Dict[str, Spread]
    per_repeat: Tuple[Metrics, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SplitMetrics:
        return cls(
            data["split_file"],
            data["repeats"],
            {name: Spread.from_dict(spread) for name, spread in data["summary"].items()},
            tuple(Metrics.from_dict(one) for one in data["per_repeat"]),
        )

    def __repr__(self) -> str:
        srocc = self.summary.get("srocc")
        median = "" if srocc is None else f", median srocc={srocc.median:.4f}"
        return f"SplitMetrics({self.repeats} repeats of {self.split_file}{median})"


@dataclasses.dataclass(frozen=True)
class ProbeResult(_Result):
    """One clip's probe in ffprobe's shape: the first video stream's entries (codec,
    geometry, pixel format, rates, duration) and the container's duration, as
    ``ffprobe -select_streams v:0 -show_entries ...`` prints them."""

    streams: Tuple[Dict[str, Any], ...]
    format: Dict[str, Any]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProbeResult:
        unknown = set(data) - {"streams", "format"}
        if unknown:
            raise ValueError(f"a probe answer with keys this module does not know: {sorted(unknown)}")
        return cls(tuple(data["streams"]), data["format"])

    @property
    def video(self) -> Optional[Dict[str, Any]]:
        """The video stream's entries, or ``None`` for a file without one."""
        return self.streams[0] if self.streams else None

    def __repr__(self) -> str:
        video = self.video
        if video is None:
            return "ProbeResult(no video stream)"
        return (
            f"ProbeResult({video.get('codec_name')} {video.get('width')}x{video.get('height')} "
            f"{video.get('pix_fmt')} {video.get('avg_frame_rate')} fps, "
            f"{self.format.get('duration')} s)"
        )
