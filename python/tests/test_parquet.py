"""`moscorpus export parquet`: the same rows as the JSONL through pandas, polars, DuckDB
and moscorpus.read, with the documented schema, zstd and statistics."""

from __future__ import annotations

import hashlib
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


def as_row_text(value):
    """A reader's UTC timestamp as the text a row holds (`isoformat` writes `+00:00`)."""
    assert value.utcoffset().total_seconds() == 0, value
    return value.isoformat()


def same(rows: list, expected: list) -> None:
    assert len(rows) == len(expected)
    for got, want in zip(rows, expected):
        got = {**got, "ingested_at_utc": as_row_text(got["ingested_at_utc"])}
        got = {k: v for k, v in got.items() if not (v is None or (isinstance(v, float) and math.isnan(v)) and k == "is_test")}
        assert got == want
        assert {k: type(v) for k, v in got.items()} == {k: type(v) for k, v in want.items()}


def test_pandas(exported):
    out, expected = exported
    frame = pd.read_parquet(out)
    assert str(frame["ingested_at_utc"].dtype) == "datetime64[ms, UTC]"
    rows = [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in frame.to_dict("records")]
    rows = [{k: v for k, v in r.items() if not (k == "is_test" and v is None)} for r in rows]
    same(rows, expected)


def test_polars(exported):
    out, expected = exported
    frame = pl.read_parquet(out)
    assert frame.schema["ingested_at_utc"] == pl.Datetime("ms", "UTC")
    same(frame.to_dicts(), expected)


def test_duckdb(exported):
    out, expected = exported
    con = duckdb.connect()
    kind = con.execute(f"SELECT typeof(ingested_at_utc) FROM read_parquet('{out}') LIMIT 1").fetchone()
    assert kind == ("TIMESTAMP WITH TIME ZONE",)
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


def test_provenance_is_key_value_metadata_every_reader_sees(two_corpora, cli, tmp_path):
    """#27: corpus, version, label file and its SHA-256, tool version and command in the
    file's key-value metadata, as pyarrow, polars and DuckDB read it."""
    labels = tmp_path / "labels.csv"
    labels.write_bytes(b"name,mos\na,50\n")
    out = tmp_path / "with-labels.parquet"
    inputs = list(map(str, two_corpora))
    run_cli(cli, "export", "parquet", "--inputs", *inputs, "--output", str(out), "--labels", str(labels))
    want = {
        "moscorpus.corpus": "konvid-150k,lsvq",
        "moscorpus.corpus_version": ",".join(
            sorted({json.loads(line)["corpus_version"] for p in two_corpora for line in p.read_text().splitlines()})
        ),
        "moscorpus.tool_version": moscorpus.__version__,
        "moscorpus.command": f"moscorpus export parquet --inputs {' '.join(inputs)} --output {out} --labels {labels}",
        "moscorpus.label_file": "labels.csv",
        "moscorpus.label_file_sha256": hashlib.sha256(labels.read_bytes()).hexdigest(),
    }
    by_pyarrow = {
        k.decode(): v.decode() for k, v in pq.read_metadata(out).metadata.items() if k.startswith(b"moscorpus.")
    }
    assert by_pyarrow == want
    by_polars = {k: v for k, v in pl.read_parquet_metadata(out).items() if k.startswith("moscorpus.")}
    assert by_polars == want
    by_duckdb = {
        k.decode(): v.decode()
        for k, v in duckdb.sql(f"SELECT key, value FROM parquet_kv_metadata('{out}')").fetchall()
        if k.startswith(b"moscorpus.")
    }
    assert by_duckdb == want
    assert pq.ParquetFile(out).metadata.num_row_groups == 1
    done = run_cli(cli, "export", "parquet", "--inputs", *inputs, "--output", str(tmp_path / "n.parquet"),
                   "--labels", str(tmp_path / "gone.csv"), check=False)
    assert done.returncode == 2 and "gone.csv" in done.stderr
    assert not (tmp_path / "n.parquet").exists()


def test_timestamps_rewritten_by_other_tools_read_back_as_the_row_text(exported, two_corpora, tmp_path):
    """The typed timestamp, rewritten by polars (ms), DuckDB (us) and pandas (ns), reads
    back through moscorpus.read as the text the JSONL rows hold."""
    out, _ = exported
    want = moscorpus.read(list(two_corpora))
    assert moscorpus.read(out).equals(want)
    polars_copy = tmp_path / "polars.parquet"
    pl.read_parquet(out).write_parquet(polars_copy)
    duckdb_copy = tmp_path / "duckdb.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_parquet('{out}')) TO '{duckdb_copy}' (FORMAT parquet)")
    pandas_copy = tmp_path / "pandas.parquet"
    frame = pd.read_parquet(out)
    frame["ingested_at_utc"] = frame["ingested_at_utc"].astype("datetime64[ns, UTC]")
    frame.to_parquet(pandas_copy)
    for path in (polars_copy, duckdb_copy, pandas_copy):
        got = moscorpus.read(path)
        assert got.column("ingested_at_utc").to_pylist() == want.column("ingested_at_utc").to_pylist(), path
        assert got.select(want.column_names).to_pylist() == want.to_pylist(), path


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


def _writers(table, folder):
    """The same rows as Parquet the way users' tools write it: pyarrow with each codec
    (snappy is its default), pandas (snappy), polars with each codec (its strings are
    large/view strings; zstd is its default) and DuckDB (snappy)."""
    out = {}
    for codec in ["snappy", "gzip", "zstd", "lz4", "none"]:
        path = folder / f"pyarrow-{codec}.parquet"
        pq.write_table(table, path, compression=codec)
        out[f"pyarrow {codec}"] = path
    path = folder / "pandas.parquet"
    table.to_pandas().to_parquet(path)
    out["pandas"] = path
    frame = pl.from_arrow(table)
    for codec in ["zstd", "lz4", "gzip", "snappy", "uncompressed"]:
        path = folder / f"polars-{codec}.parquet"
        frame.write_parquet(path, compression=codec)
        out[f"polars {codec}"] = path
    path = folder / "duckdb.parquet"
    con = duckdb.connect()
    con.register("rows", table)
    con.execute(f"COPY (SELECT * FROM rows) TO '{path}' (FORMAT parquet)")
    out["duckdb"] = path
    return out


def test_parquet_written_by_other_tools_reads_as_the_jsonl(two_corpora, cli, tmp_path):
    """#24: shards as Parquet from pyarrow, pandas, polars and DuckDB, with every codec
    they write, read by moscorpus.read and `split` as the JSONL they were made from."""
    shard = two_corpora[1]
    from_jsonl = moscorpus.read(shard)
    split_of = {}
    for name, path in {"jsonl": shard, **_writers(from_jsonl, tmp_path)}.items():
        table = moscorpus.read(path)
        assert table.column_names == from_jsonl.column_names, name
        assert table.to_pylist() == from_jsonl.to_pylist(), name
        out = tmp_path / f"split-{name.replace(' ', '-')}.json"
        run_cli(cli, "split", "--inputs", str(path), "--output", str(out))
        lines = [json.loads(line) for line in out.read_text().splitlines()]
        lines[0].pop("inputs")
        split_of[name] = lines
    for name, lines in split_of.items():
        assert lines == split_of["jsonl"], name


def test_report_evaluate_and_labels_read_parquet_as_the_jsonl(two_corpora, cli, tmp_path):
    """#24: `report`, `evaluate`, `labels` and `aggregate` read a Parquet shard (any
    writer, any codec) as the JSONL it was made from."""
    shard = two_corpora[0]
    rows = [json.loads(line) for line in shard.read_text().splitlines()]
    predictions = tmp_path / "predictions.csv"
    predictions.write_text(
        "name,score\n" + "".join(f"{r['src']},{r['mos'] * 0.9 + (i % 5)}\n" for i, r in enumerate(rows))
    )

    def answers(path):
        report = json.loads(run_cli(cli, "report", "--inputs", str(path), "--json").stdout)
        assert report["totals"].pop("inputs") == [str(path)]
        evaluate = json.loads(
            run_cli(cli, "evaluate", "--labels", str(path), "--predictions", str(predictions), "--json").stdout
        )
        diff = json.loads(run_cli(cli, "labels", "diff", str(shard), str(path), "--json").stdout)
        unified = tmp_path / "unified.jsonl"
        run_cli(cli, "aggregate", "--inputs", str(path), "--output", str(unified), "--force")
        aggregated = [json.loads(line) for line in unified.read_text().splitlines()]
        for row in aggregated:
            row.pop("aggregated_at_utc", None)
        return report, evaluate, (diff, aggregated)

    want_report, want_evaluate, want_diff = answers(shard)
    assert want_diff[0]["same"] == len(rows) and want_evaluate["n"] == len(rows)
    assert len(want_diff[1]) == len(rows)
    assert want_evaluate["protocol"]["clip_set"]["by"] == "src_sha256"
    for name, path in _writers(moscorpus.read(shard), tmp_path).items():
        report, evaluate, diff = answers(path)
        assert report == want_report, name
        assert evaluate == want_evaluate, name
        assert diff == want_diff, name
        # merge combines an ingest's JSONL shards byte for byte: a Parquet file is refused.
        done = run_cli(cli, "merge", "--output", str(tmp_path / "m.jsonl"), str(path), check=False)
        assert done.returncode == 2 and "Parquet" in done.stderr, done.stderr
