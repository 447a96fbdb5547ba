#!/usr/bin/env python3
"""`moscorpus audit` against `sha256sum`, measured in the same run (#23, acceptance 2).

A folder of 1,200 distinct H.264 clips of ~1 MB with real sample data (one clip made by
ffmpeg with its index first, each copy made distinct by a trailing `free` box), read
from the page cache: `sha256sum` over the files on all cores (`xargs -P nproc`) is the
floor the issue names, and Python's hashlib (OpenSSL, SHA instructions where the CPU has
them) on all cores a stricter one (coreutils' sha256sum may not use them); `moscorpus
audit` reads each byte once for its hash, structural check and NAL
framing check. Prints the medians of --runs runs and their ratio.

    python3 bench/audit_bench.py        # builds the release binary; outputs in bench/out/
"""
import argparse
import concurrent.futures
import hashlib
import os
import pathlib
import random
import shutil
import statistics
import struct
import subprocess
import time

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "bench" / "out" / "audit"
binary = root / "target" / "release" / "moscorpus"


def median_time(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def corpus(clips, count):
    if clips.is_dir() and len(list(clips.iterdir())) == count:
        return
    shutil.rmtree(clips, ignore_errors=True)
    clips.mkdir(parents=True)
    base_path = out / "base.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
         "-t", "8", "-c:v", "libx264", "-b:v", "1M", "-bf", "2", "-pix_fmt", "yuv420p",
         "-movflags", "+faststart", str(base_path)],
        check=True,
    )
    base = base_path.read_bytes()
    for i in range(count):
        tag = random.Random(i).randbytes(64)
        (clips / f"c{i:04d}.mp4").write_bytes(base + struct.pack(">I", 8 + len(tag)) + b"free" + tag)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clips", type=int, default=1200)
    args = parser.parse_args()
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=root, check=True)
    clips = out / "clips"
    corpus(clips, args.clips)
    files = sorted(str(p) for p in clips.iterdir())
    total = sum(os.path.getsize(f) for f in files)
    listing = out / "files.txt"
    listing.write_text("\n".join(files) + "\n")
    cores = str(os.cpu_count() or 1)

    def sha256sum():
        subprocess.run(
            f"xargs -a {listing} -n 50 -P {cores} sha256sum > /dev/null", shell=True, check=True
        )

    def hashlib_all():
        def one(path):
            h = hashlib.sha256()
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
            return h.hexdigest()

        with concurrent.futures.ThreadPoolExecutor(int(cores)) as pool:
            list(pool.map(one, files))

    def audit():
        subprocess.run(
            [str(binary), "--log-level", "error", "audit", str(clips), "--output",
             str(out / "audit.jsonl"), "--force", "--prober", "native"],
            check=True, stdout=subprocess.DEVNULL,
        )

    sha256sum()  # warm the page cache
    floor, floor_runs = median_time(sha256sum, args.runs)
    strict, strict_runs = median_time(hashlib_all, args.runs)
    took, audit_runs = median_time(audit, args.runs)
    lines = (out / "audit.jsonl").read_text().splitlines()
    ok = sum('"verdict":"ok"' in line for line in lines)
    print(f"{len(files)} clips, {total / 1e6:.0f} MB, {cores} cores")
    print(f"sha256sum (xargs -P {cores}): median {floor:.2f} s  {[round(t, 2) for t in floor_runs]}")
    print(f"hashlib (OpenSSL) {cores} threads: median {strict:.2f} s  {[round(t, 2) for t in strict_runs]}")
    print(f"moscorpus audit:            median {took:.2f} s  {[round(t, 2) for t in audit_runs]}")
    print(f"ratio audit / sha256sum: {took / floor:.2f} (target ≤ 1.2); audit / hashlib: {took / strict:.2f}")
    print(f"{ok} of {len(lines)} clips ok")


if __name__ == "__main__":
    main()
