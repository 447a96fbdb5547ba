#!/usr/bin/env python3
"""Ingest benchmarks, each against a baseline measured in the same run.

1. Floor: 1,200 distinct ~1.3 MB MP4s (a real clip plus a unique `free` box), hashed
   with SHA-256 on all cores by Python's hashlib (OpenSSL) from the page cache, versus
   `moscorpus ingest` end to end on them, and the re-run of the finished corpus.
2. Latency: 500 small clips from a loopback HTTP server that waits 50 ms before each
   response, with the default `--downloads` versus `--downloads 1`.
3. Scale (`--scale`, minutes): a 150,000-row manifest of tiny local clips, and one of
   150,000 tiny clips downloaded from loopback: peak memory (/usr/bin/time -v) of each,
   and for the download run the bytes written to the state file against its final size.

`--baseline OTHER_BINARY` runs another build through (1) and (2) the same way,
alternating with this one, and through the 150,000-row local ingest of (3) for its peak
memory; it prints the ratios this/baseline (a reshape must not be slower).

    python3 bench/ingest_bench.py        # builds the release binary; outputs in bench/out/
Medians of --runs runs.
"""
import argparse
import concurrent.futures
import hashlib
import http.server
import os
import pathlib
import random
import shutil
import statistics
import struct
import subprocess
import threading
import time

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "bench" / "out" / "ingest"
binary = root / "target" / "release" / "moscorpus"
base = (root / "tests" / "fixtures" / "clips" / "h264_160x120_ntsc.mp4").read_bytes()


def unique_clip(i, padding):
    rng = random.Random(i)
    payload = rng.randbytes(padding) + f"clip {i}".encode()
    return base + struct.pack(">I", 8 + len(payload)) + b"free" + payload


def median_times(fns, runs):
    """Medians of each of `fns`, their runs interleaved (noise hits them alike)."""
    times = [[] for _ in fns]
    for _ in range(runs):
        for fn, kept in zip(fns, times):
            start = time.perf_counter()
            fn()
            kept.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def median_time(fn, runs):
    return median_times([fn], runs)[0]


def ingest(work, *extra, exe=None):
    subprocess.run([str(exe or binary), "--log-level", "error", "ingest", "lsvq", "--dir", str(work), "--full",
                    "--min-csv-rows", "1", *extra], check=True, stdout=subprocess.DEVNULL)


def fresh(work):
    for name in ("lsvq.jsonl", "lsvq.jsonl.clip-index", ".download-progress.json"):
        (work / name).unlink(missing_ok=True)


def floor_bench(runs, baseline=None):
    work = out / "floor"
    clips = work / "clips"
    if not (work / "manifest.csv").exists():
        shutil.rmtree(work, ignore_errors=True)
        clips.mkdir(parents=True)
        lines = ["name,mos"]
        for i in range(1200):
            (clips / f"c{i:04d}.mp4").write_bytes(unique_clip(i, 1_300_000 - len(base)))
            lines.append(f"c{i:04d},{10 + i % 80}.5")
        (work / "manifest.csv").write_text("\n".join(lines) + "\n")
    files = sorted(clips.iterdir())
    total = sum(f.stat().st_size for f in files)

    def hash_all():
        def one(path):
            h = hashlib.sha256()
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
            return h.hexdigest()
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count()) as pool:
            list(pool.map(one, files))

    hash_all()  # warm the page cache
    t_floor = median_time(hash_all, runs)

    def first_run(exe=None):
        def go():
            fresh(work)
            ingest(work, exe=exe)
        return go

    if baseline:
        t_ingest, t_base = median_times([first_run(), first_run(baseline)], runs)
        t_rerun, t_rerun_base = median_times(
            [lambda: ingest(work), lambda: ingest(work, exe=baseline)], runs)
        fresh(work)
        ingest(work)
    else:
        t_ingest = median_time(first_run(), runs)
        t_rerun = median_time(lambda: ingest(work), runs)
    print(f"1,200 clips, {total / 1e9:.2f} GB, {os.cpu_count()} cores, medians of {runs}")
    print(f"  floor (hashlib SHA-256 on all cores): {t_floor:.3f} s")
    print(f"  moscorpus ingest, end to end        : {t_ingest:.3f} s  = {t_ingest / t_floor:.2f}x the floor (limit 1.5x)")
    print(f"  re-run of the finished corpus       : {t_rerun:.3f} s  = {100 * t_rerun / t_ingest:.1f}% of the first run (limit 2%)")
    if baseline:
        print(f"  --baseline ingest, end to end       : {t_base:.3f} s; this/baseline {t_ingest / t_base:.3f}")
        print(f"  --baseline re-run                   : {t_rerun_base:.3f} s; this/baseline {t_rerun / t_rerun_base:.3f}")


class SlowHandler(http.server.BaseHTTPRequestHandler):
    bodies = {}

    def do_GET(self):
        time.sleep(0.05)
        body = self.bodies.get(self.path)
        if body is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def latency_bench(runs, baseline=None):
    SlowHandler.bodies = {f"/d{i:04d}.mp4": unique_clip(i, 64) for i in range(500)}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    work = out / "latency"
    shutil.rmtree(work, ignore_errors=True)
    (work / "clips").mkdir(parents=True)
    lines = ["name,url,mos"] + [f"d{i:04d},http://127.0.0.1:{port}/d{i:04d}.mp4,{10 + i % 80}.5" for i in range(500)]
    (work / "manifest.csv").write_text("\n".join(lines) + "\n")

    def run(*extra, exe=None):
        def go():
            shutil.rmtree(work / "clips")
            (work / "clips").mkdir()
            fresh(work)
            ingest(work, *extra, exe=exe)
        return go

    t_one = median_time(run("--downloads", "1"), runs)
    if baseline:
        t_default, t_base = median_times([run(), run(exe=baseline)], runs)
    else:
        t_default = median_time(run(), runs)
    server.shutdown()
    print("500 clips from a server that waits 50 ms before each response")
    print(f"  --downloads 1     : {t_one:.2f} s")
    print(f"  default (8)       : {t_default:.2f} s  = 1/{t_one / t_default:.1f} of --downloads 1 (limit 1/6)")
    if baseline:
        print(f"  --baseline default: {t_base:.2f} s; this/baseline {t_default / t_base:.3f}")


class FastHandler(SlowHandler):
    def do_GET(self):
        i = int(self.path[2:8])  # /sNNNNNN.mp4
        body = unique_clip(i, 16)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def peak_kb(cmd):
    res = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, check=True)
    line = next(l for l in res.stderr.splitlines() if "Maximum resident set size" in l)
    return int(line.split()[-1])


def scale_bench(baseline=None):
    import json
    work = out / "scale"
    if not (work / "manifest.csv").exists():
        shutil.rmtree(work, ignore_errors=True)
        (work / "clips").mkdir(parents=True)
        lines = ["name,mos"]
        for i in range(150_000):
            sub = work / "clips" / f"f{i % 100:02d}"
            sub.mkdir(exist_ok=True)
            (sub / f"t{i:06d}.mp4").write_bytes(unique_clip(i, 16))
            lines.append(f"f{i % 100:02d}/t{i:06d},{10 + i % 80}.5")
        (work / "manifest.csv").write_text("\n".join(lines) + "\n")
    fresh(work)
    kb = peak_kb([str(binary), "--log-level", "error", "ingest", "lsvq", "--dir", str(work), "--full", "--min-csv-rows", "1"])
    rows = sum(1 for _ in open(work / "lsvq.jsonl"))
    print(f"150,000-row manifest of tiny local clips: {rows} rows written, peak RSS {kb / 1024:.1f} MB (limit 100 MB)")
    kb = peak_kb([str(binary), "--log-level", "error", "ingest", "lsvq", "--dir", str(work), "--full", "--min-csv-rows", "1"])
    print(f"  its re-run: peak RSS {kb / 1024:.1f} MB")
    if baseline:
        peaks = []
        for exe in (binary, baseline, binary, baseline, binary, baseline):
            fresh(work)
            peaks.append(peak_kb([str(exe), "--log-level", "error", "ingest", "lsvq", "--dir", str(work), "--full",
                                  "--min-csv-rows", "1"]))
        this, other = statistics.median(peaks[0::2]), statistics.median(peaks[1::2])
        print(f"  peak RSS, medians of 3 interleaved: this {this / 1024:.1f} MB, --baseline {other / 1024:.1f} MB;"
              f" this/baseline {this / other:.3f}")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FastHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    dl = out / "state"
    shutil.rmtree(dl, ignore_errors=True)
    (dl / "clips").mkdir(parents=True)
    lines = ["name,url,mos"] + [f"s{i:06d},http://127.0.0.1:{port}/s{i:06d}.mp4,{10 + i % 80}.5" for i in range(150_000)]
    (dl / "manifest.csv").write_text("\n".join(lines) + "\n")
    start = time.perf_counter()
    kb = peak_kb([str(binary), "--log-level", "error", "ingest", "lsvq", "--dir", str(dl), "--full", "--min-csv-rows", "1",
                  "--report-json", str(dl / "report.json")])
    took = time.perf_counter() - start
    if baseline:
        other = out / "state-baseline"
        shutil.rmtree(other, ignore_errors=True)
        (other / "clips").mkdir(parents=True)
        (other / "manifest.csv").write_text("\n".join(lines) + "\n")
        base_kb = peak_kb([str(baseline), "--log-level", "error", "ingest", "lsvq", "--dir", str(other), "--full",
                           "--min-csv-rows", "1"])
        print(f"150,000 downloads, peak RSS: this {kb / 1024:.1f} MB, --baseline {base_kb / 1024:.1f} MB;"
              f" this/baseline {kb / base_kb:.3f}")
    server.shutdown()
    report = json.loads((dl / "report.json").read_text())
    final = (dl / ".download-progress.json").stat().st_size
    written = report["state_file_bytes_written"]
    print(f"150,000 downloads in {took:.1f} s, peak RSS {kb / 1024:.1f} MB (limit 100 MB): state file {final} bytes"
          f" at the end, {written} bytes written over the run = {written / final:.2f}x (limit 4x)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", action="store_true", help="also the 150,000-row and 20,000-download runs (slow)")
    parser.add_argument("--baseline", help="another moscorpus binary, timed the same way (ratios this/baseline)")
    parser.add_argument("--binary", help="the build to time [default: builds and times target/release/moscorpus]")
    parser.add_argument("--skip", action="append", default=[], choices=["floor", "latency"],
                        help="leave out a part (to reach --scale sooner)")
    args = parser.parse_args()
    global binary
    if args.binary:
        binary = pathlib.Path(args.binary).resolve()
    else:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=root, check=True)
    baseline = pathlib.Path(args.baseline).resolve() if args.baseline else None
    if "floor" not in args.skip:
        floor_bench(args.runs, baseline)
    if "latency" not in args.skip:
        latency_bench(args.runs, baseline)
    if args.scale:
        scale_bench(baseline)


if __name__ == "__main__":
    main()
