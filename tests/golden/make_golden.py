#!/usr/bin/env python3
"""Regenerates tests/golden/rows.jsonl: the bytes Python's json.dumps(row, sort_keys=True)
writes for each row of tests/golden/row_values.json (the older adapters' writer).

    python3 tests/golden/make_golden.py
"""
import json
import pathlib

here = pathlib.Path(__file__).parent
FLOAT_KEYS = ("framerate", "duration_s", "mos", "mos_std_dev")
rows = json.loads((here / "row_values.json").read_text(encoding="utf-8"))
with open(here / "rows.jsonl", "w", encoding="ascii", newline="\n") as out:
    for row in rows:
        for key in FLOAT_KEYS:
            row[key] = float(row[key])
        out.write(json.dumps(row, sort_keys=True) + "\n")
