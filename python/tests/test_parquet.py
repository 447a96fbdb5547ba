"""`moscorpus export parquet`: the same rows as the JSONL through pandas, polars, DuckDB
and moscorpus.read, with the documented schema, zstd and statistics."""

from __future__ import annotations

import json
import math

import duckdb
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

import moscorpus
from conftest import run_cli


@pytest.fixture()
def exported(two_corpora, cli, tmp_path):
    out = tmp_path / "corpus.parquet"
    done = run_cli(cli, "export", "parquet", "--inputs", *map(str, two_corpora), "--output", str(out))
    assert "70 rows, 16 columns" in done.stdout
    expected = [json.loads(line) for p in two_corpora for line in p.read_text().splitlines()]
    return out, expected


def same(rows: list, expected: list) -> None:
    assert len(rows) == len(expected)
    for got, want in zip(rows, expected):
        got = {k: v for k, v in got.items() if not (v is None or (isinstance(v, float) and math.isnan(v)) and k == "is_test")}
        assert got == want
        assert {k: type(v) for k, v in got.items()} == {k: type(v) for k, v in want.items()}


def test_pandas(exported):
    out, expected = exported
    frame = pd.read_parquet(out)
    rows = [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in frame.to_dict("records")]
    rows = [{k: v for k, v in r.items() if not (k == "is_test" and v is None)} for r in rows]
    same(rows, expected)


def test_polars(exported):
    out, expected = exported
    same(pl.read_parquet(out).to_dicts(), expected)


def test_duckdb(exported):
    out, expected = exported
    con = duckdb.connect()
    cursor = con.execute(f"SELECT * FROM read_parquet('{out}')")
    names = [d[0] for d in cursor.description]
    same([dict(zip(names, r)) for r in cursor.fetchall()], expected)
    count = con.execute(f"SELECT count(*) FROM read_parquet('{out}') WHERE corpus = 'lsvq'").fetchone()
    assert count == (40,)


def test_read_back_by_moscorpus_and_file_properties(exported, two_corpora):
    out, _ = exported
    assert moscorpus.read(out).equals(moscorpus.read(list(two_corpora)))
    meta = pq.ParquetFile(out).metadata
    assert meta.num_rows == 70
    column = meta.row_group(0).column(9)
    assert column.path_in_schema == "mos"
    assert column.compression == "ZSTD"
    width = meta.row_group(0).column(3)
    assert width.statistics.has_min_max and (width.statistics.min, width.statistics.max) == (640, 1920)
    # pyarrow does not show the float columns' min/max from this writer; DuckDB reads them.
    mos_values = [json.loads(line)["mos"] for p in two_corpora for line in p.read_text().splitlines()]
    stats = duckdb.sql(
        f"SELECT stats_min_value, stats_max_value FROM parquet_metadata('{out}') "
        "WHERE path_in_schema = 'mos'"
    ).fetchall()
    assert stats == [(repr(min(mos_values)), repr(max(mos_values)))]


def test_export_refuses_a_bad_row_and_an_existing_output(two_corpora, cli, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(two_corpora[0].read_text().replace('"mos": 21.37', '"mos": "21.37"', 1))
    out = tmp_path / "x.parquet"
    done = run_cli(cli, "export", "parquet", "--inputs", str(bad), "--output", str(out), check=False)
    assert done.returncode == 2
    assert f"{bad}:2" in done.stderr and '"mos"' in done.stderr
    assert not out.exists()
    out.write_text("keep me")
    done = run_cli(cli, "export", "parquet", "--inputs", str(two_corpora[0]), "--output", str(out), check=False)
    assert done.returncode == 2 and "exists" in done.stderr
    assert out.read_text() == "keep me"
