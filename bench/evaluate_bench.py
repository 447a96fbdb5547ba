#!/usr/bin/env python3
"""Benchmark of `moscorpus evaluate` on a synthetic 40,000-row label/prediction pair.

Times (median of --runs runs, wall clock, whole process):
  - `moscorpus evaluate` (SROCC, PLCC, KRCC, RMSE)
  - `moscorpus evaluate --bootstrap 1000`
  - `moscorpus evaluate --logistic`
and, as the baseline measured in the same run, the same four numbers computed by
scipy/numpy in-process (when scipy is installed), printing the ratios.

    python3 bench/evaluate_bench.py            # builds the release binary first
Outputs go to bench/out/ (git-ignored).
"""
import argparse
import pathlib
import random
import statistics
import subprocess
import time

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "bench" / "out"


def timed(cmd, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=root, check=True)
    binary = root / "target" / "release" / "moscorpus"
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(40000)
    labels, preds, mos_values, pred_values = [], ["name,score"], [], []
    for i in range(args.rows):
        name = f"yfcc-batch{1 + i % 25}/{i}.v{i % 7}"
        mos = round(rng.uniform(2, 92), 2)
        pred = round(mos / 100 + rng.gauss(0, 0.1), 3)
        labels.append(f"{name}.mp4, -1, -1, {mos}")
        preds.append(f"{name},{pred}")
        mos_values.append(mos)
        pred_values.append(pred)
    (out / "labels.txt").write_text("\n".join(labels))
    (out / "preds.csv").write_text("\n".join(preds) + "\n")
    base = [str(binary), "evaluate", "--labels", str(out / "labels.txt"), "--predictions", str(out / "preds.csv")]

    results = {
        "evaluate": timed(base, args.runs),
        "evaluate --bootstrap 1000": timed(base + ["--bootstrap", "1000"], args.runs),
        "evaluate --logistic": timed(base + ["--logistic"], args.runs),
    }
    baseline = None
    try:
        import numpy as np
        from scipy import stats

        def scipy_metrics():
            p, m = np.array(pred_values), np.array(mos_values)
            stats.spearmanr(p, m)
            stats.pearsonr(p, m)
            stats.kendalltau(p, m)
            r = (p - p.mean()) / p.std() * m.std() + m.mean()
            np.sqrt(np.mean((r - m) ** 2))

        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            scipy_metrics()
            times.append(time.perf_counter() - start)
        baseline = statistics.median(times)
    except ImportError:
        pass

    print(f"{args.rows} rows, median of {args.runs} runs (whole process, parsing included)")
    for name, seconds in results.items():
        line = f"  {name:<28} {seconds * 1000:8.1f} ms"
        if baseline:
            line += f"   {seconds / baseline:6.2f}x scipy's in-process metrics"
        print(line)
    if baseline:
        print(f"  {'baseline: scipy metrics only':<28} {baseline * 1000:8.1f} ms (no file parsing, no process start)")
    print("limits: evaluate < 500 ms, --bootstrap 1000 < 5000 ms")


if __name__ == "__main__":
    main()
