#!/usr/bin/env python3
"""What the damage checks cost, each against a baseline measured in the same run (#23,
acceptance 2):

1. `moscorpus audit` of a folder against `sha256sum` over the same files;
2. `moscorpus ingest` of those clips with the structural and framing checks on against
   the same ingest with `--no-damage-checks` (a fresh output each run);
3. `moscorpus audit --decode` against `ffmpeg -v error -f null` over the same clips run
   with `xargs -P $(nproc)` (on --decode-clips of them: decoding is slow).

A folder of 1,200 distinct H.264 clips of ~1 MB with real sample data (one clip made by
ffmpeg with its index first, each copy made distinct by a trailing `free` box), read
from the page cache: `sha256sum` over the files on all cores (`xargs -P nproc`) is the
floor the issue names, and Python's hashlib (OpenSSL, SHA instructions where the CPU has
them) on all cores a stricter one (coreutils' sha256sum may not use them); `moscorpus
audit` reads each byte once for its hash, structural check and NAL
framing check. Prints the medians of --runs runs and their ratios.

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
    parser.add_argument("--decode-clips", type=int, default=120)
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

    # 2. ingest with the checks on and off, from the same warm page cache.
    work = out / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "clips").symlink_to(clips)
    names = sorted(p.name for p in clips.iterdir())
    (work / "manifest.csv").write_text(
        "name,mos\n" + "".join(f"{n},{random.Random(n).uniform(1, 5):.3f}\n" for n in names)
    )

    def ingest(*extra):
        def run():
            for leftover in work.iterdir():
                if leftover.name not in ("clips", "manifest.csv"):
                    leftover.unlink()
            subprocess.run(
                [str(binary), "--log-level", "error", "ingest", "lsvq", "--dir", str(work),
                 "--full", "--min-csv-rows", "1",
                 "--prober", "native", *extra],
                check=True, stdout=subprocess.DEVNULL,
            )
        return run

    # Alternate the two so drift on a noisy machine falls on both alike.
    on_runs, off_runs = [], []
    for _ in range(args.runs):
        for runs, fn in ((off_runs, ingest("--no-damage-checks")), (on_runs, ingest())):
            start = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - start)
    checked = sum(1 for _ in open(work / "lsvq.audit.jsonl"))
    on, off = statistics.median(on_runs), statistics.median(off_runs)
    print(f"ingest, checks off:         median {off:.2f} s  {[round(t, 2) for t in off_runs]}")
    print(f"ingest, checks on:          median {on:.2f} s  {[round(t, 2) for t in on_runs]}")
    print(f"ratio on / off: {on / off:.3f} (target ≤ 1.05); {checked} audit lines")

    # 3. --decode against ffmpeg over the same clips with xargs -P.
    some = files[: args.decode_clips]
    decode_list = out / "decode.txt"
    decode_list.write_text("\n".join(some) + "\n")

    def ffmpeg_xargs():
        subprocess.run(
            f"xargs -a {decode_list} -I{{}} -P {cores} ffmpeg -v error -nostdin -threads 1 "
            f"-i {{}} -map 0:v:0 -f null - > /dev/null",
            shell=True, check=True,
        )

    def audit_decode():
        subprocess.run(
            [str(binary), "--log-level", "error", "audit", str(decode_list), "--decode",
             "--output", str(out / "decode.jsonl"), "--force", "--prober", "native"],
            check=True, stdout=subprocess.DEVNULL,
        )

    base_t, base_runs = median_time(ffmpeg_xargs, args.runs)
    dec_t, dec_runs = median_time(audit_decode, args.runs)
    print(f"ffmpeg -f null (xargs -P {cores}), {len(some)} clips: median {base_t:.2f} s  {[round(t, 2) for t in base_runs]}")
    print(f"moscorpus audit --decode:   median {dec_t:.2f} s  {[round(t, 2) for t in dec_runs]}")
    print(f"ratio decode / ffmpeg: {dec_t / base_t:.3f} (target ≤ 1.15)")


if __name__ == "__main__":
    main()
