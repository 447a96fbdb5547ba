#!/usr/bin/env python3
"""Loader benchmark: `moscorpus.read` of 150,000 look-alike rows (two corpora, two
shards) against, in the same run, `pandas.read_json(lines=True)` and a plain
`json.loads` loop over the same lines. Medians of --runs runs; ratios printed. Also
`read(...).to_pandas()` (for a user who wants a DataFrame) and `read` of the same rows
exported to Parquet. Shards in bench/out/read/.

    scripts/test.sh   # builds the wheel into .workingdir2/venv
    .workingdir2/venv/bin/python bench/read_bench.py
"""
import argparse
import json
import pathlib
import random
import statistics
import subprocess
import sys
import time

import pandas as pd

import moscorpus

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "bench" / "out" / "read"


def row(corpus, src, i, rng, mos, std):
    height = rng.choice([360, 540, 720, 1080])
    return json.dumps({
        "corpus": corpus, "corpus_version": "v1", "duration_s": round(rng.uniform(5, 12), 3),
        "encoder_upstream": rng.choice(["h264", "hevc", "vp9"]),
        "framerate": rng.choice([23.976023976023978, 25.0, 29.97002997002997, 30.0]),
        "height": height, "ingested_at_utc": "2026-05-08T10:00:00+00:00", "mos": mos,
        "mos_std_dev": std, "n_ratings": rng.randrange(0, 50),
        "pix_fmt": rng.choice(["yuv420p", "yuvj420p", "yuv420p10le"]), "src": src,
        "src_sha256": f"{i:064x}", "src_size_bytes": rng.randrange(10**6, 10**7),
        "width": height * 16 // 9,
    }, sort_keys=True)


def make(rows):
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(150000)
    lsvq, konvid = [], []
    for i in range(rows):
        if i % 5 == 0:
            konvid.append(row("konvid-150k", f"k150ka_extracted/orig_{i}_540_5s.mp4", i, rng,
                              round(rng.uniform(1, 5), 3), round(rng.uniform(0.2, 1), 3)))
        else:
            lsvq.append(row("lsvq", f"yfcc-batch{i % 9}/{i}.mp4", i, rng,
                            round(rng.uniform(0, 100), 3), round(rng.uniform(5, 20), 3)))
    shards = [out / "lsvq.jsonl", out / "konvid_150k.jsonl"]
    for path, lines in zip(shards, (lsvq, konvid)):
        path.write_text("".join(line + "\n" for line in lines))
    return shards


def timed(work, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=150_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    shards = make(args.rows)
    parquet = out / "corpus.parquet"
    subprocess.run(
        [str(pathlib.Path(sys.executable).with_name("moscorpus")), "export", "parquet", "--inputs",
         *map(str, shards), "--output", str(parquet), "--force"],
        check=True, capture_output=True,
    )

    def loads_loop():
        return [json.loads(line) for path in shards for line in path.open()]

    def pandas_lines():
        return pd.concat([pd.read_json(path, lines=True) for path in shards], ignore_index=True)

    results = {
        "moscorpus.read (JSONL → Arrow)": timed(lambda: moscorpus.read(shards), args.runs),
        "moscorpus.read(...).to_pandas()": timed(lambda: moscorpus.read(shards).to_pandas(), args.runs),
        "moscorpus.read (Parquet → Arrow)": timed(lambda: moscorpus.read(parquet), args.runs),
        "json.loads loop": timed(loads_loop, args.runs),
        "pandas.read_json(lines=True)": timed(pandas_lines, args.runs),
    }
    counts = {name: (len(r) if isinstance(r, list) else r.num_rows if hasattr(r, "num_rows") else len(r))
              for name, (_, r) in results.items()}
    assert len(set(counts.values())) == 1, counts
    base = results["pandas.read_json(lines=True)"][0]
    print(f"{args.rows} rows in 2 shards ({sum(p.stat().st_size for p in shards) / 1e6:.1f} MB), "
          f"medians of {args.runs}")
    for name, (seconds, _) in results.items():
        print(f"  {name:<34} {seconds:8.3f} s   {base / seconds:6.2f}× pandas.read_json")


if __name__ == "__main__":
    main()
