"""Corpora others can load (#27): ``export croissant`` iterated by ``mlcroissant``, the
Croissant reference library, and ``export hf`` loaded by ``datasets.load_dataset``, each
record for record equal to the rows and their splits."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path

import datasets
import mlcroissant as mlc
import pytest

import moscorpus
from conftest import run_cli


def croissant_records(path: Path) -> list[dict]:
    """The ``clips`` records as mlcroissant gives them, with its bytes made text."""
    records = []
    for record in mlc.Dataset(jsonld=str(path)).records("clips"):
        records.append({
            key.removeprefix("clips/"): value.decode() if isinstance(value, bytes) else value
            for key, value in record.items()
        })
    return records


def split_sides(split_file: Path, repeat: int = 0) -> dict[str, str]:
    lines = [json.loads(line) for line in split_file.read_text().splitlines()[1:]]
    return {line["src"]: line["split"] for line in lines if line["repeat"] == repeat}


@pytest.fixture(scope="module")
def published(cli: str, demo_dir: Path, tmp_path_factory) -> Path:
    """A copy of the demo's rows and clips with a split file, as a lab would publish."""
    folder = tmp_path_factory.mktemp("publish") / "lsvq"
    folder.mkdir()
    shutil.copy(demo_dir / "lsvq.jsonl", folder / "lsvq.jsonl")
    shutil.copytree(demo_dir / "clips", folder / "clips")
    run_cli(cli, "split", "--inputs", str(folder / "lsvq.jsonl"), "--output", str(folder / "split.json"),
            "--repeats", "2")
    return folder


def test_mlcroissant_iterates_every_row_with_its_split(cli, published, tmp_path):
    out = tmp_path / "meta" / "croissant.json"
    out.parent.mkdir()
    run_cli(cli, "export", "croissant", "--inputs", str(published / "lsvq.jsonl"),
            "--output", str(out), "--split-file", str(published / "split.json"), "--repeat", "1")
    document = json.loads(out.read_text())
    assert document["conformsTo"] == "http://mlcommons.org/croissant/1.1"

    rows = moscorpus.read(published / "lsvq.jsonl").to_pylist()
    records = croissant_records(out)
    assert len(records) == len(rows) > 0
    by_src = {r["src"]: r for r in records}
    sides = split_sides(published / "split.json", repeat=1)
    for row in rows:
        record = by_src[row["src"]]
        assert record.pop("split") == sides[row["src"]]
        assert record.pop("ingested_at_utc").isoformat() == row.pop("ingested_at_utc")
        expected = {k: v for k, v in row.items() if k != "ingested_at_utc"}
        # mlcroissant reads JSON lines with pandas, whose fast float parser may miss the
        # nearest double by one unit in the last place (19.798 → 19.798000000000002);
        # the shard holds the exact text, and a Parquet shard compares exactly below.
        assert record.keys() == expected.keys()
        for key, value in expected.items():
            if isinstance(value, float):
                assert math.isclose(record[key], value, rel_tol=1e-15), (key, record[key], value)
            else:
                assert record[key] == value, key
    assert {r["split"] for r in croissant_records(out)} == {"train", "test"}

    # The file objects promise the clips' and the shard's real bytes, relative to the file.
    objects = {o["@id"]: o for o in document["distribution"]}
    clip = objects[f"clip/{rows[0]['src']}"]
    on_disk = (out.parent / clip["contentUrl"]).resolve()
    assert on_disk == (published / "clips" / rows[0]["src"]).resolve()
    assert clip["sha256"] == rows[0]["src_sha256"] and clip["encodingFormat"] == "video/mp4"
    shard = next(o for o in document["distribution"] if o["@id"].startswith("shard/"))
    shard_bytes = (out.parent / shard["contentUrl"]).read_bytes()
    assert shard["sha256"] == hashlib.sha256(shard_bytes).hexdigest()
    assert shard["contentSize"] == f"{len(shard_bytes)} B"


def test_a_parquet_shard_is_described_too(cli, published, tmp_path):
    parquet = tmp_path / "lsvq.parquet"
    run_cli(cli, "export", "parquet", "--inputs", str(published / "lsvq.jsonl"), "--output", str(parquet))
    out = tmp_path / "croissant.json"
    run_cli(cli, "export", "croissant", "--inputs", str(parquet), "--output", str(out), "--no-clips",
            "--name", "In-house look-alike", "--url", "https://example.org/corpus")
    document = json.loads(out.read_text())
    assert document["name"] == "In-house look-alike" and document["url"] == "https://example.org/corpus"
    assert not [o for o in document["distribution"] if o["@id"].startswith("clip/")]
    records = croissant_records(out)
    rows = moscorpus.read(parquet).to_pylist()
    assert [r["src"] for r in records] == [r["src"] for r in rows]
    assert [r["mos"] for r in records] == [r["mos"] for r in rows]


def test_a_missing_clip_is_refused_and_nothing_is_written(cli, published, tmp_path):
    clips = tmp_path / "clips"
    shutil.copytree(published / "clips", clips)
    first = moscorpus.read(published / "lsvq.jsonl").column("src")[0].as_py()
    (clips / first).unlink()
    out = tmp_path / "croissant.json"
    done = run_cli(cli, "export", "croissant", "--inputs", str(published / "lsvq.jsonl"), "--output", str(out),
                   "--clips", str(clips), check=False)
    assert done.returncode == 2, done.stderr
    assert first in done.stderr and "no such clip" in done.stderr and "--no-clips" in done.stderr
    assert not out.exists()


def test_datasets_loads_the_hub_folder_with_its_splits(cli, published, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = tmp_path / "hub"
    run_cli(cli, "export", "hf", "--inputs", str(published / "lsvq.jsonl"), "--output", str(out),
            "--split-file", str(published / "split.json"))
    loaded = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    assert sorted(loaded) == ["test", "train"]

    rows = {r["src"]: r for r in moscorpus.read(published / "lsvq.jsonl").to_pylist()}
    sides = split_sides(published / "split.json")
    seen = 0
    for split in ("train", "test"):
        for record in loaded[split]:
            row = dict(rows[record["src"]])
            assert sides[record["src"]] == split
            assert record.pop("file_name") == f"videos/{row['src']}"
            assert (out / "videos" / row["src"]).read_bytes() == (published / "clips" / row["src"]).read_bytes()
            assert record.pop("ingested_at_utc").isoformat() == row.pop("ingested_at_utc")
            assert record == row
            seen += 1
    assert seen == len(rows)
    card = (out / "README.md").read_text()
    assert card.startswith("---\n") and "path: data/test.parquet" in card and "Patch-VQ" in card

    # The folder must be new: a second export into it is refused and changes nothing.
    again = run_cli(cli, "export", "hf", "--inputs", str(published / "lsvq.jsonl"), "--output", str(out),
                    "--no-clips", check=False)
    assert again.returncode == 2 and "exists" in again.stderr
    assert (out / "data" / "test.parquet").exists()
