#!/usr/bin/env python3
"""Regenerates tests/eval/split_reference.json: a look-alike KoNViD-1k clip list with MOS
and predictions, the 80/20 split repeats `moscorpus split --ratio 0.8 --seed 11
--repeats 5` draws from it (CPython's random.seed(11 + r); random.shuffle; the first
int(0.8 * N) train), and what scipy/numpy give on each repeat's test side, with the
median, mean and std (numpy, ddof 0) over the repeats: the independent reference for
`moscorpus evaluate --split-file F --repeat all`.

    pip install numpy scipy && python3 tests/eval/make_split_reference.py
"""
import json
import pathlib
import random

import numpy as np
from scipy import stats

SEED, REPEATS, RATIO = 11, 5, 0.8

rng = np.random.default_rng(20261202)
names = [f"{6_000_000_000 + 7919 * i}.mp4" for i in range(60)]
mos = rng.uniform(1.2, 4.7, len(names)).round(2)  # 1-5 ACR, rounded: ties
pred = (1 / (1 + np.exp(-(mos - 3) * 1.4)) + rng.normal(0, 0.08, len(names))).round(3)


def metrics(p, m):
    p, m = np.asarray(p, float), np.asarray(m, float)
    rescaled = (p - p.mean()) / p.std() * m.std() + m.mean()
    return {
        "srocc": float(stats.spearmanr(p, m)[0]),
        "plcc": float(stats.pearsonr(p, m)[0]),
        "krcc": float(stats.kendalltau(p, m)[0]),
        "rmse": float(np.sqrt(np.mean((rescaled - m) ** 2))),
    }


per_repeat = []
for r in range(REPEATS):
    order = list(range(len(names)))
    random.seed(SEED + r)
    random.shuffle(order)
    test = sorted(order[int(RATIO * len(order)):])
    per_repeat.append(
        {
            "test": [names[i] for i in test],
            **metrics([pred[i] for i in test], [mos[i] for i in test]),
        }
    )
summary = {
    k: {
        "median": float(np.median([x[k] for x in per_repeat])),
        "mean": float(np.mean([x[k] for x in per_repeat])),
        "std": float(np.std([x[k] for x in per_repeat])),
    }
    for k in ("srocc", "plcc", "krcc", "rmse")
}
out = {
    "seed": SEED,
    "repeats": REPEATS,
    "ratio": RATIO,
    "clips": [
        {"src": n, "mos": float(m), "pred": float(p)} for n, m, p in zip(names, mos, pred)
    ],
    "per_repeat": per_repeat,
    "summary": summary,
}
path = pathlib.Path(__file__).with_name("split_reference.json")
path.write_text(json.dumps(out, indent=1) + "\n")
for k, v in summary.items():
    print(k, v)
