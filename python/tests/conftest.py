"""Shared fixtures: the installed console script, look-alike shards written the way the
Python adapters write them (``json.dumps(row, sort_keys=True)``), and a demo corpus
built by ``moscorpus demo`` (real clips, real loopback downloads)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def cli() -> str:
    """The ``moscorpus`` console script installed beside this interpreter."""
    script = Path(sys.executable).with_name("moscorpus")
    assert script.exists(), f"the wheel did not install the console script at {script}"
    return str(script)


def run_cli(cli: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([cli, *args], capture_output=True, text=True, timeout=300)
    if check and done.returncode != 0:
        raise AssertionError(f"moscorpus {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done


def look_alike_row(corpus: str, index: int, mos: float, std: float, **extra) -> dict:
    """A row with the 15 keys and made-up values (never a real clip's or label's)."""
    row = {
        "src": f"batch{index % 3}/{1000 + index}.mp4",
        "src_sha256": f"{index:064x}",
        "src_size_bytes": 50_000 + index,
        "width": 640 if index % 2 else 1920,
        "height": 360 if index % 2 else 1080,
        "framerate": 30000 / 1001 if index % 2 else 25.0,
        "duration_s": 7.5 + index / 100,
        "pix_fmt": "yuv420p" if index % 4 else "yuvj420p",
        "encoder_upstream": "h264" if index % 5 else "vp9",
        "mos": mos,
        "mos_std_dev": std,
        "n_ratings": index % 7,
        "corpus": corpus,
        "corpus_version": {"lsvq": "lsvq-2021", "konvid-150k": "konvid-150k-2019"}.get(corpus, "x-1"),
        "ingested_at_utc": "2026-05-08T10:00:00+00:00",
    }
    row.update(extra)
    return row


def write_shard(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows), encoding="ascii")
    return path


@pytest.fixture()
def two_corpora(tmp_path: Path) -> tuple:
    """An LSVQ-like shard (0–100 MOS, an extra key in some rows) and a KonViD-150k-like
    shard (1–5 MOS, a shared clip with the first shard)."""
    lsvq = [
        look_alike_row("lsvq", i, mos=round(20 + i * 1.37, 3), std=round(5 + i / 10, 2))
        for i in range(40)
    ]
    lsvq[3]["is_test"] = True
    lsvq[7]["is_test"] = False
    konvid = [
        look_alike_row("konvid-150k", 100 + i, mos=round(1.2 + i * 0.09, 4), std=round(0.3 + i / 200, 3))
        for i in range(30)
    ]
    konvid[5]["src_sha256"] = lsvq[2]["src_sha256"]  # one clip in both corpora
    return (
        write_shard(tmp_path / "lsvq.jsonl", lsvq),
        write_shard(tmp_path / "konvid_150k.jsonl", konvid),
    )


@pytest.fixture(scope="session")
def demo_dir(cli: str, tmp_path_factory) -> Path:
    """A demo corpus: 1,200 label rows, clips on disk after the demo's own ingest."""
    folder = tmp_path_factory.mktemp("demo") / "demo"
    run_cli(cli, "demo", "--dir", str(folder), "--full", "--log-level", "warn")
    return folder


def local_copy(demo: Path, target: Path, rows: int = 60, url_base: str = "") -> Path:
    """A fresh working folder with the demo's first ``rows`` clips that exist, their
    labels, and (with ``url_base``) URLs under it instead of the demo's dead server."""
    lines = (demo / "manifest.csv").read_text().splitlines()
    kept = [lines[0]]
    for line in lines[1:]:
        name, url, mos = line.split(",")
        clip = demo / "clips" / f"{name}.mp4"
        if clip.is_file():
            kept.append(f"{name},{url_base + '/' + name + '.mp4' if url_base else url},{mos}")
        if len(kept) > rows:
            break
    target.mkdir(parents=True)
    (target / "manifest.csv").write_text("\n".join(kept) + "\n")
    if not url_base:
        for line in kept[1:]:
            name = line.split(",")[0]
            dest = target / "clips" / f"{name}.mp4"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(demo / "clips" / f"{name}.mp4", dest)
    return target


def rows_without_time(path: Path) -> list:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for row in rows:
        row.pop("ingested_at_utc")
    return rows

