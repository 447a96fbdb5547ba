#!/usr/bin/env python3
"""Report benchmark: `moscorpus report` over 150,000 look-alike rows of two corpora (with
a label file and a state file), writing the page and the `--json` figures, against a
floor measured in the same run: Python reading the same shards with `json.loads` per
line and nothing else. Medians of --runs runs; outputs in bench/out/report/.

    cargo build --release && python3 bench/report_bench.py
    python3 bench/report_bench.py --binary NEW --baseline OLD   # two builds, interleaved
"""
import argparse
import json
import pathlib
import random
import statistics
import subprocess
import time

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "bench" / "out" / "report"
binary = root / "target" / "release" / "moscorpus"


def row(corpus, src, i, rng, mos):
    height = rng.choice([360, 540, 720, 1080])
    return json.dumps({
        "corpus": corpus, "corpus_version": "v1", "duration_s": round(rng.uniform(5, 12), 3),
        "encoder_upstream": rng.choice(["h264", "hevc", "vp9"]), "framerate": rng.choice([23.976, 25.0, 29.97, 30.0]),
        "height": height, "ingested_at_utc": "2026-05-08T10:00:00+00:00", "mos": mos, "mos_std_dev": 0.0,
        "n_ratings": 0, "pix_fmt": rng.choice(["yuv420p", "yuvj420p", "yuv420p10le"]), "src": src,
        "src_sha256": f"{i:064x}", "src_size_bytes": rng.randrange(10**6, 10**7), "width": height * 16 // 9,
    }, sort_keys=True)


def make(rows):
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(150000)
    lsvq, konvid, labels = [], [], ["name,mos"]
    for i in range(rows):
        if i % 5 == 0:
            konvid.append(row("konvid-150k", f"k150ka_extracted/orig_{i}_540_5s.mp4", i, rng, round(rng.uniform(1, 5), 3)))
        else:
            name = f"yfcc-batch{1 + i % 25}/{i}"
            mos = round(rng.uniform(2, 92), 2)
            lsvq.append(row("lsvq", f"{name}.mp4", i, rng, mos))
            labels.append(f"{name},{mos}")
    for i in range(2000):
        labels.append(f"backup/gone{i},50")
    (out / "lsvq.jsonl").write_text("\n".join(lsvq) + "\n")
    (out / "konvid.jsonl").write_text("\n".join(konvid) + "\n")
    (out / "labels.csv").write_text("\n".join(labels) + "\n")
    state = {f"backup/gone{i}.mp4": {"reason": "http-404: Not Found", "state": "failed"} for i in range(0, 2000, 2)}
    (out / "state.json").write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")


def timed(command, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def floor(runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for name in ["lsvq.jsonl", "konvid.jsonl"]:
            with open(out / name) as f:
                for line in f:
                    json.loads(line)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=150_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--binary", help="the build to time [default: target/release/moscorpus]")
    parser.add_argument("--baseline", help="another build, timed the same way (ratio this/baseline)")
    args = parser.parse_args()
    global binary
    if args.binary:
        binary = pathlib.Path(args.binary).resolve()
    if not binary.exists():
        subprocess.run(["cargo", "build", "--release"], cwd=root, check=True)
    make(args.rows)
    command = [str(binary), "--log-level", "error", "report", "--inputs", str(out / "lsvq.jsonl"), str(out / "konvid.jsonl"),
               "--labels", str(out / "labels.csv"), "--corpus", "lsvq", "--state", str(out / "state.json"), "--output", str(out / "report.html"), "--force"]
    report = timed(command, args.runs)
    with_json = timed(command + ["--json"], args.runs)
    base = floor(args.runs)
    size = (out / "report.html").stat().st_size
    print(f"{args.rows} rows, medians of {args.runs}:")
    print(f"  moscorpus report (page)          {report:7.3f} s  ({report / base:.2f}x the floor)")
    print(f"  moscorpus report (page + --json) {with_json:7.3f} s  ({with_json / base:.2f}x the floor)")
    print(f"  floor: Python json.loads per line {base:7.3f} s")
    print(f"  page: {size / 1024:.0f} KB")
    if args.baseline:
        other = [args.baseline] + command[1:]
        this_runs, base_runs = [], []
        for _ in range(args.runs):
            this_runs.append(timed(command, 1))
            base_runs.append(timed(other, 1))
        this, that = statistics.median(this_runs), statistics.median(base_runs)
        print(f"  interleaved with --baseline: this {this:.3f} s, baseline {that:.3f} s; this/baseline {this / that:.3f}")


if __name__ == "__main__":
    main()
