"""Every public function of ``moscorpus`` called as a user would, for ``mypy --strict``
(scripts/test.sh): the types a caller sees are the ones asserted here. Type-checked,
never run."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, assert_type

import pyarrow

import moscorpus


def uses_every_function(folder: Path) -> None:
    table = moscorpus.read([folder / "lsvq.jsonl", "more/*.parquet"], corpora=["lsvq"], unified=True)
    assert_type(table, pyarrow.Table)

    report = moscorpus.ingest("lsvq", dir=folder, max_rows=10, shard=(1, 4), prober="native")
    assert_type(report, moscorpus.IngestReport)
    assert_type(report.written, int)
    assert_type(report.archives, Optional[moscorpus.ArchiveSummary])
    for reason in report.top_failure_reasons:
        assert_type(reason, moscorpus.FailureReason)
    assert_type(report.to_dict(), Dict[str, Any])
    moscorpus.ingest("konvid-1k", full=True, from_url="http://127.0.0.1:8000/k.zip", jobs=2)

    probed = moscorpus.probe(folder / "clip.mp4", prober="ffprobe", ffprobe_bin="/usr/bin/ffprobe")
    assert_type(probed, moscorpus.ProbeResult)
    assert_type(probed.video, Optional[Dict[str, Any]])

    metrics = moscorpus.evaluate(folder / "lsvq.jsonl", folder / "pred.csv", logistic=True, bootstrap=100)
    assert_type(metrics, moscorpus.Metrics)
    assert_type(metrics.srocc, float)
    assert_type(metrics.bootstrap, Optional[moscorpus.BootstrapIntervals])
    if metrics.bootstrap is not None:
        assert_type(metrics.bootstrap.srocc, moscorpus.Interval)
    if metrics.logistic is not None:
        assert_type(metrics.logistic.params, tuple[float, float, float, float])
    ranked = moscorpus.evaluate("truth.csv", "pred.csv", corpus="kvq", score=None, pairs=["rank-pair-val.xlsx"])
    assert_type(ranked.pairs, Optional[List[moscorpus.PairAccuracy]])
    if ranked.challenge is not None:
        assert_type(ranked.challenge.score, float)
    per_split = moscorpus.evaluate([folder / "a.csv"], "pred.csv", split_file=folder / "split.jsonl", repeat="all")
    assert_type(per_split, moscorpus.SplitMetrics)
    assert_type(per_split.summary["srocc"], moscorpus.Spread)
    assert_type(per_split.per_repeat[0], moscorpus.Metrics)

    audited = moscorpus.audit([folder / "clips"], decode=True, jobs=2)
    assert_type(audited, pyarrow.Table)
    assert_type(moscorpus.corpora(), List[Dict[str, Any]])
    assert_type(moscorpus.scales(), List[Dict[str, Any]])
    assert_type(moscorpus.add_corpus_file("acme.toml"), str)
    assert_type(moscorpus.__version__, str)

    try:
        moscorpus.read("missing.jsonl")
    except moscorpus.CorpusError as error:
        assert_type(error.path, Optional[str])
        assert_type(error.line, Optional[int])
        assert_type(error.kind, str)
