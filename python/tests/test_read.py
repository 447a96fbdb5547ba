"""moscorpus.read: every row equal to json.loads of its line, types included; bad rows
raise CorpusError naming file:line and the key; unified=True equals `aggregate`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pyarrow as pa
import pytest

import moscorpus
from conftest import look_alike_row, run_cli, write_shard


def loads_all(*paths: Path) -> list:
    return [json.loads(line) for p in paths for line in p.read_text().splitlines()]


def without_nulls(row: dict) -> dict:
    """A table row less the null cells of extra columns (keys that row does not have)."""
    return {k: v for k, v in row.items() if v is not None or k in moscorpus.FIXED_COLUMNS}


def test_two_corpora_equal_json_loads_types_included(two_corpora):
    table = moscorpus.read(list(two_corpora))
    expected = loads_all(*two_corpora)
    got = [without_nulls(r) for r in table.to_pylist()]
    assert len(got) == len(expected) == 70
    assert got == expected
    for have, want in zip(got, expected):
        assert {k: type(v) for k, v in have.items()} == {k: type(v) for k, v in want.items()}


def test_one_schema_fixed_columns_first_then_extras(two_corpora):
    table = moscorpus.read(list(two_corpora))
    assert table.column_names[:15] == list(moscorpus.FIXED_COLUMNS)
    assert table.column_names[15:] == ["is_test"]
    schema = table.schema
    assert schema.field("src_size_bytes").type == pa.int64()
    assert schema.field("mos").type == pa.float64()
    assert schema.field("n_ratings").type == pa.int64()
    assert schema.field("src").type == pa.string()
    assert not schema.field("mos").nullable
    assert schema.field("is_test").nullable and schema.field("is_test").type == pa.bool_()
    assert table.column("is_test").null_count == 68


def test_corpora_filter_and_globs(two_corpora):
    folder = two_corpora[0].parent
    only = moscorpus.read(str(folder / "*.jsonl"), corpora=["konvid-150k"])
    assert only.num_rows == 30
    assert set(only.column("corpus").to_pylist()) == {"konvid-150k"}
    assert moscorpus.read(str(folder / "*.jsonl"), corpora="lsvq").num_rows == 40
    with pytest.raises(FileNotFoundError):
        moscorpus.read(str(folder / "nothing-*.jsonl"))
    # A name no corpus has is refused with the names there are, never an empty table.
    for typo, near in [(["LSVQ"], 'did you mean "lsvq"'), (["konvid150k"], "konvid-150k")]:
        with pytest.raises(moscorpus.CorpusError, match=near):
            moscorpus.read(str(folder / "*.jsonl"), corpora=typo)


def test_unified_matches_aggregate(two_corpora, cli, tmp_path):
    out = tmp_path / "unified.jsonl"
    run_cli(cli, "aggregate", "--inputs", *map(str, two_corpora), "--output", str(out))
    aggregated = {r["src_sha256"]: r for r in loads_all(out)}
    table = moscorpus.read(list(two_corpora), unified=True).to_pylist()
    factor = {s["corpus"]: s["factor"] for s in moscorpus.scales()}
    compared = 0
    for row in table:
        kept = aggregated[row["src_sha256"]]
        assert row["mos_std_dev_unified"] == row["mos_std_dev"] * factor[row["corpus"]]
        if kept["corpus_source"] != row["corpus"]:
            continue  # the shared clip: aggregate kept the other corpus's row
        assert row["mos_unified"] == kept["mos"], row["src"]
        assert kept["mos_native"] == row["mos"]
        compared += 1
    assert compared == 69
    konvid = [r for r in table if r["corpus"] == "konvid-150k"]
    assert all(0.0 <= r["mos_unified"] <= 100.0 for r in table)
    assert konvid[0]["mos_unified"] == (konvid[0]["mos"] - 1) * 25


def test_unified_is_null_outside_the_scale(tmp_path):
    shard = write_shard(
        tmp_path / "s.jsonl",
        [look_alike_row("konvid-150k", 1, mos=7.5, std=0.1), look_alike_row("somewhere", 2, mos=3.0, std=0.1)],
    )
    rows = moscorpus.read(shard, unified=True).to_pylist()
    assert [r["mos_unified"] for r in rows] == [None, None]


@pytest.mark.parametrize(
    "mangle, key",
    [
        (lambda r: r.pop("mos_std_dev"), "mos_std_dev"),
        (lambda r: r.update(mos="4.2"), "mos"),
        (lambda r: r.update(width=640.0), "width"),
        (lambda r: r.update(mos=math.nan), "mos"),
        (lambda r: r.update(duration_s=math.inf), "duration_s"),
        (lambda r: r.update(src=None), "src"),
    ],
    ids=["missing-key", "string-mos", "float-width", "nan-mos", "infinite-duration", "null-src"],
)
def test_bad_row_names_file_line_and_key(tmp_path, mangle, key):
    rows = [look_alike_row("lsvq", i, mos=50.0 + i, std=1.0) for i in range(5)]
    mangle(rows[3])
    shard = tmp_path / "bad.jsonl"
    shard.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    with pytest.raises(moscorpus.CorpusError) as raised:
        moscorpus.read(shard)
    message = str(raised.value)
    assert f"{shard}:4" in message
    assert f'"{key}"' in message


def test_torn_last_line(tmp_path):
    rows = [look_alike_row("lsvq", i, mos=50.0, std=1.0) for i in range(3)]
    text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows)
    shard = tmp_path / "torn.jsonl"
    shard.write_text(text + json.dumps(rows[0], sort_keys=True)[:57])
    # The one torn-line rule (#24): a last line without its newline that is not a whole
    # row is skipped with a warning; one that is a whole row is a row.
    assert moscorpus.read(shard).num_rows == 3
    shard.write_text(text + json.dumps(rows[0], sort_keys=True))
    assert moscorpus.read(shard).num_rows == 4
    # A bad line that is not the last is an error naming it; CorpusError is a ValueError.
    shard.write_text(json.dumps(rows[0], sort_keys=True)[:57] + "\n" + text)
    with pytest.raises(moscorpus.CorpusError, match=rf"{shard}:1: "):
        moscorpus.read(shard)
    shard.write_text(text)
    assert moscorpus.read(shard).num_rows == 3
    assert issubclass(moscorpus.CorpusError, ValueError)


def test_not_json_and_missing_file(tmp_path):
    shard = tmp_path / "html.jsonl"
    shard.write_text("<html>\n")
    with pytest.raises(moscorpus.CorpusError, match=rf"{shard}:1: not JSON"):
        moscorpus.read(shard)
    with pytest.raises(FileNotFoundError) as missing:
        moscorpus.read(tmp_path / "absent.jsonl")
    assert missing.value.errno == 2 and "absent.jsonl" in str(missing.value)


def test_empty_shard_gives_the_schema(tmp_path):
    shard = tmp_path / "empty.jsonl"
    shard.write_text("")
    table = moscorpus.read(shard)
    assert table.num_rows == 0
    assert table.column_names == list(moscorpus.FIXED_COLUMNS)


def test_an_ingested_shard(demo_dir):
    shard = demo_dir / "lsvq.jsonl"
    table = moscorpus.read(shard)
    assert [without_nulls(r) for r in table.to_pylist()] == loads_all(shard)
    assert table.num_rows > 1000


def test_a_large_shard_is_read_in_parts_and_errors_keep_their_line(tmp_path):
    """Above 4 MB a shard is parsed in one part per core: the rows stay in order and an
    error still names the file's own line number."""
    rows = [look_alike_row("lsvq", i, mos=round(i % 100 + 0.25, 2), std=1.5) for i in range(20_000)]
    rows[12_345]["chug_like_extra"] = 7
    rows[19_000]["chug_like_extra"] = 7.5
    shard = write_shard(tmp_path / "big.jsonl", rows)
    assert shard.stat().st_size > 6 << 20
    table = moscorpus.read(shard)
    assert [without_nulls(r) for r in table.to_pylist()] == loads_all(shard)
    assert table.schema.field("chug_like_extra").type == pa.float64()
    lines = shard.read_text().splitlines(keepends=True)
    lines[17_000] = lines[17_000].replace('"mos": ', '"mos": "', 1).replace(', "mos_std_dev"', '", "mos_std_dev"', 1)
    shard.write_text("".join(lines))
    with pytest.raises(moscorpus.CorpusError, match=rf"{shard}:17001: key \"mos\": expected a finite number, found a string") as raised:
        moscorpus.read(shard)
    assert (raised.value.path, raised.value.line, raised.value.kind, raised.value.key) == (str(shard), 17001, "row", "mos")
