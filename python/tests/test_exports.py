"""Exported label files read the way the model repositories' own loaders read them:
SimpleVQA's LSVQ loader (``pd.read_csv(..., header=0, names=<its 38 columns>,
index_col=False)``, then ``name + '.mp4'``) and pyiqa's (meta-info CSV, first column the
path, second the MOS; the split dictionary indexing its rows)."""

from __future__ import annotations

import json

import pandas as pd

from conftest import look_alike_row, run_cli, write_shard

# SimpleVQA's data_loader.py names the LSVQ CSV's columns by position, in this order.
SIMPLEVQA_LSVQ_COLUMNS = (
    ["name", "p1", "p2", "p3", "height", "width", "mos_p1", "mos_p2", "mos_p3", "mos"]
    + ["frame_number", "fn_last_frame"]
    + [f"{side}_p{p}" for p in (1, 2, 3) for side in ("left", "right", "top", "bottom", "start", "end")]
    + ["top_vid", "left_vid", "bottom_vid", "right_vid", "start_vid", "end_vid", "is_test", "is_valid"]
)


def test_simplevqa_loader_reads_the_lsvq_export(cli, tmp_path):
    rows = [look_alike_row("lsvq", i, 10.0 + 7.25 * i, 0.0) for i in range(6)]
    rows[2]["src"] = "ia-batch4/Some.Talk.Show.Ep._11.mp4"
    shard = write_shard(tmp_path / "lsvq.jsonl", rows)
    out = tmp_path / "LSVQ_whole_test.csv"
    run_cli(cli, "export", "simplevqa", "--inputs", str(shard), "--output", str(out))
    info = pd.read_csv(out, header=0, sep=",", names=SIMPLEVQA_LSVQ_COLUMNS, index_col=False, encoding="utf-8-sig")
    assert [n + ".mp4" for n in info["name"]] == [r["src"] for r in rows]
    assert info["mos"].tolist() == [r["mos"] for r in rows]
    assert info["height"].tolist() == [r["height"] for r in rows]


def test_pyiqa_meta_info_and_split_dictionary(cli, tmp_path):
    rows = [look_alike_row("konvid-1k", i, 1.0 + i / 4, 0.1 * i) for i in range(10)]
    shard = write_shard(tmp_path / "konvid_1k.jsonl", rows)
    split_file = tmp_path / "split.jsonl"
    run_cli(cli, "split", "--inputs", str(shard), "--output", str(split_file), "--repeats", "3")
    meta, splits = tmp_path / "meta_info.csv", tmp_path / "splits.json"
    run_cli(
        cli, "export", "pyiqa", "--inputs", str(shard), "--output", str(meta),
        "--split-file", str(split_file), "--split-json", str(splits),
    )
    info = pd.read_csv(meta)
    paths_mos = list(zip(info[info.columns[0]], info[info.columns[1]]))
    assert paths_mos == [(r["src"], r["mos"]) for r in rows]
    assert info["std"].tolist() == [r["mos_std_dev"] for r in rows]
    split_dict = {int(k): v for k, v in json.loads(splits.read_text()).items()}
    assert sorted(split_dict) == [1, 2, 3]
    lines = [json.loads(line) for line in split_file.read_text().splitlines()[1:]]
    for index, phases in split_dict.items():
        for phase in ("train", "test"):
            picked = {paths_mos[i][0] for i in phases[phase]}
            want = {l["src"] for l in lines if l["repeat"] == index - 1 and l["split"] == phase}
            assert picked == want, (index, phase)
        assert phases["val"] == []
