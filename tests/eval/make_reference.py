#!/usr/bin/env python3
"""Regenerates tests/eval/reference.json: small synthetic label/prediction sets and the
metrics scipy/numpy compute for them (the independent reference for `moscorpus evaluate`).

    pip install numpy scipy && python3 tests/eval/make_reference.py
"""
import json
import pathlib

import numpy as np
from scipy import stats
from scipy.optimize import curve_fit


def logistic(x, b1, b2, b3, b4):
    return (b1 - b2) / (1 + np.exp(-(x - b3) / np.abs(b4))) + b2


def metrics(pred, mos):
    pred, mos = np.asarray(pred, float), np.asarray(mos, float)
    rescaled = (pred - pred.mean()) / pred.std() * mos.std() + mos.mean()
    p0 = [np.max(mos), np.min(mos), np.mean(pred), np.std(pred) / 4]
    popt, _ = curve_fit(logistic, pred, mos, p0=p0, maxfev=100000)
    fitted = logistic(pred, *popt)
    return {
        "srocc": float(stats.spearmanr(pred, mos)[0]),
        "plcc": float(stats.pearsonr(pred, mos)[0]),
        "krcc": float(stats.kendalltau(pred, mos)[0]),
        "rmse": float(np.sqrt(np.mean((rescaled - mos) ** 2))),
        "logistic_plcc": float(stats.pearsonr(fitted, mos)[0]),
        "logistic_rmse": float(np.sqrt(np.mean((fitted - mos) ** 2))),
    }


rng = np.random.default_rng(20261124)
sets = {}
# Heavy ties on both sides.
sets["ties"] = (
    [1, 2, 2, 3, 3, 3, 4, 5, 5, 6, 7, 7],
    [10, 20, 20, 25, 40, 40, 40, 60, 55, 70, 90, 90],
)
# LSVQ-like: MOS 0-100, noisy predictions rounded to make ties.
mos = rng.uniform(5, 95, 300).round(2)
sets["lsvq_like"] = (np.round(mos / 100 + rng.normal(0, 0.12, 300), 2), mos)
# KonViD-like: MOS 1-5, predictions in 0-1 through a sigmoid-ish curve.
mos = rng.uniform(1, 5, 120).round(3)
sets["konvid_like"] = (1 / (1 + np.exp(-(mos - 3) * 1.5)) + rng.normal(0, 0.05, 120), mos)
# Anti-correlated.
mos = rng.uniform(0, 100, 80)
sets["negative"] = (-mos + rng.normal(0, 25, 80), mos)

out = []
for name, (pred, mos) in sets.items():
    pred = [float(v) for v in pred]
    mos = [float(v) for v in mos]
    out.append({"name": name, "pred": pred, "mos": mos, "expected": metrics(pred, mos)})
path = pathlib.Path(__file__).with_name("reference.json")
path.write_text(json.dumps(out, indent=1) + "\n")
for item in out:
    print(item["name"], item["expected"])
