#!/usr/bin/env python3
"""Benchmark: LSVQ-shaped archives from disk and from a loopback Hub, against floors
measured in the same run. Medians of --runs runs; peak RSS of the ingests.

(a) `ingest lsvq --archives-dir` over N archives (extract, hash, probe, write every row)
    against the floor: every archive gunzipped and SHA-256-hashed by the system tools
    (`gzip -dc A | sha256sum`), as many at a time as there are cores.
(b) `ingest lsvq --from-hf` over the first --hf-archives archives from a loopback Hub whose
    every connection is capped at --cap-mb-s MB/s (a CDN's per-connection cap), with
    `--connections-per-file 8` and with `1`; against size / (8 x cap).
(c) the same --from-hf run (download + extract + ingest) against the longer of the
    download alone at the cap (size / (8 x cap)) and the extraction alone ((a) on those
    archives).
`--baseline OTHER_BINARY` times another build through (a) the same way, alternating, and
prints the ratio this/other.

Clips are unique look-alikes: a small H.264 fixture with a `free` box holding a unique
tag and a slice of a real H.264 bitstream (noise encoded by ffmpeg's libx264, made once
into bench/out/pool.mp4). Real video gzips by ~0.5 %, so deflate codes it with Huffman
blocks and inflating it costs what LSVQ's archives cost (random bytes would be stored
blocks, ten times faster to inflate). `--archives` archives of `--clips` clips of about
`--clip-kb` KB each.

    python3 bench/archive_bench.py                      # 8 x 150 clips x 1.3 MB ≈ 1.6 GB
    python3 bench/archive_bench.py --baseline /path/to/other/moscorpus
Outputs go to bench/out/archives/ (git-ignored).
"""
import argparse
import gzip
import http.server
import io
import os
import random
import pathlib
import shutil
import socketserver
import statistics
import struct
import subprocess
import tarfile
import threading
import time

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "bench" / "out" / "archives"

FIXTURE = root / "tests" / "fixtures" / "probe" / "h264_yuv420p.mp4"


def bitstream_pool() -> bytes:
    pool = root / "bench" / "out" / "pool.mp4"
    if not pool.exists():
        pool.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
             "testsrc2=size=640x360:rate=30,noise=alls=40:allf=t", "-t", "20",
             "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "12M", str(pool)],
            check=True)
    return pool.read_bytes()


def make_corpus(archives: int, clips: int, clip_kb: int):
    store = out / "store"
    params = f"{archives} {clips} {clip_kb}"
    made = out / "made-with"
    if made.exists() and made.read_text() == params:
        return sorted(store.iterdir())  # the same corpus as the last run: reused
    shutil.rmtree(out, ignore_errors=True)
    store.mkdir(parents=True)
    base = FIXTURE.read_bytes()
    pool = bitstream_pool()
    span = clip_kb * 1024
    if span >= len(pool):
        raise SystemExit(f"--clip-kb must stay under the pool's {len(pool) // 1024} KB")
    rows = ["name,mos"]
    for a in range(archives):
        folder = f"batch{a}"
        with open(store / f"{folder}.tar.gz", "wb") as raw:
            with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz:
                with tarfile.open(fileobj=gz, mode="w|") as tar:
                    for c in range(clips):
                        start = random.randrange(len(pool) - span)
                        padding = os.urandom(16) + pool[start:start + span]
                        data = base + struct.pack(">I4s", 8 + len(padding), b"free") + padding
                        info = tarfile.TarInfo(f"{folder}/clip.{c}.mp4")
                        info.size = len(data)
                        tar.addfile(info, io.BytesIO(data))
                        rows.append(f"{folder}/clip.{c},{(a * clips + c) % 97 + 1}")
    (out / "manifest.csv").write_text("\n".join(rows) + "\n")
    made.write_text(params)
    return sorted(store.iterdir())


def cpu_ticks():
    """(all ticks, idle ticks) of the machine's cores, from /proc/stat."""
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:]]
    return sum(ticks), ticks[3] + ticks[4]


def floor(paths):
    procs = []
    start = time.perf_counter()
    pending = list(paths)
    running = []
    while pending or running:
        while pending and len(running) < (os.cpu_count() or 1):
            p = pending.pop()
            running.append(subprocess.Popen(f"gzip -dc '{p}' | sha256sum > /dev/null", shell=True))
        running[0].wait()
        procs.append(running.pop(0))
    for p in procs:
        assert p.returncode == 0
    return time.perf_counter() - start


def run_ingest(binary, work, rows, extra, env=None):
    """One ingest into a fresh `work` holding `rows` (label lines); (seconds, peak RSS MB)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "manifest.csv").write_text("name,mos\n" + "".join(r + "\n" for r in rows))
    start = time.perf_counter()
    child = subprocess.Popen(
        [binary, "--log-level", "error", "ingest", "lsvq", "--dir", str(work), "--full",
         "--min-csv-rows", "1", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})})
    stdout, stderr = child.communicate()
    elapsed = time.perf_counter() - start
    if child.returncode != 0 or f"{len(rows)} rows written" not in stdout:
        raise SystemExit(f"ingest failed:\n{stdout}\n{stderr}")
    return elapsed, child.rss_mb


class MeasuredPopen(subprocess.Popen):
    """A Popen whose wait records the child's peak RSS (os.wait4)."""
    rss_mb = 0.0

    def _try_wait(self, wait_flags):
        pid, status, usage = os.wait4(self.pid, wait_flags)
        if pid:
            self.rss_mb = usage.ru_maxrss / 1024
        return pid, status


subprocess.Popen = MeasuredPopen


class CappedHub(socketserver.ForkingMixIn, http.server.HTTPServer):
    """A process per connection: Python threads share one interpreter lock, and eight
    of them would cap the server below the rates measured here."""
    block_on_close = False
    request_queue_size = 128  # 5 by default: connections at once would wait for SYN retries


def capped_handler(store: pathlib.Path, cap_bytes_s: float):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _file(self):
            name = self.path.rsplit("/", 1)[-1]
            path = store / name
            return path if self.path.startswith("/datasets/") and path.is_file() else None

        def _head(self, path):
            size = path.stat().st_size
            etag = f'"{size:x}-{int(path.stat().st_mtime)}"'
            start, end, code = 0, size, 200
            wanted = self.headers.get("Range", "")
            if wanted.startswith("bytes=") and self.headers.get("If-Range", etag) == etag:
                a, _, b = wanted[6:].partition("-")
                start, end, code = int(a), min(int(b) + 1 if b else size, size), 206
            self.send_response(code)
            self.send_header("Content-Length", str(end - start))
            self.send_header("ETag", etag)
            self.send_header("Accept-Ranges", "bytes")
            if code == 206:
                self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
            self.end_headers()  # kept alive, as a CDN does
            return start, end

        def do_HEAD(self):
            path = self._file()
            if path is None:
                self.send_error(404)
                return
            self._head(path)

        def do_GET(self):
            path = self._file()
            if path is None:
                self.send_error(404)
                return
            start, end = self._head(path)
            self.wfile.flush()
            began, sent = time.perf_counter(), 0
            # sendfile: the server's own CPU stays small beside the client measured.
            with open(path, "rb") as f:
                while sent < end - start:
                    try:
                        n = os.sendfile(self.connection.fileno(), f.fileno(), start + sent,
                                        min(256 * 1024, end - start - sent))
                    except OSError:
                        self.close_connection = True
                        return
                    if n == 0:
                        self.close_connection = True
                        return
                    sent += n
                    ahead = sent / cap_bytes_s - (time.perf_counter() - began)
                    if ahead > 0:
                        time.sleep(ahead)
    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--archives", type=int, default=8)
    parser.add_argument("--clips", type=int, default=150)
    parser.add_argument("--clip-kb", type=int, default=1300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--hf-archives", type=int, default=4)
    parser.add_argument("--cap-mb-s", type=float, default=20.0)
    parser.add_argument("--skip-hub", action="store_true", help="only (a)")
    parser.add_argument("--baseline", help="another moscorpus binary, timed through (a)")
    parser.add_argument("--binary", help="the build to time [default: builds target/release/moscorpus]")
    args = parser.parse_args()
    if args.binary:
        binary = str(pathlib.Path(args.binary).resolve())
    else:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--locked"], cwd=root, check=True)
        binary = str(root / "target" / "release" / "moscorpus")
    paths = make_corpus(args.archives, args.clips, args.clip_kb)
    rows = (out / "manifest.csv").read_text().splitlines()[1:]
    total = sum(p.stat().st_size for p in paths)
    cores = os.cpu_count()
    print(f"{args.archives} archives x {args.clips} clips, {total / 1e9:.2f} GB, "
          f"{cores} cores, median of {args.runs} runs")

    store, work = out / "store", out / "work"
    t_floor, t_ours, t_base, rss = [], [], [], []
    for _ in range(args.runs):
        t_floor.append(floor(paths))
        elapsed, peak = run_ingest(binary, work, rows, ["--archives-dir", str(store)])
        t_ours.append(elapsed)
        rss.append(peak)
        if args.baseline:
            t_base.append(run_ingest(args.baseline, work, rows,
                                     ["--archives-dir", str(store)])[0])
    f, o = statistics.median(t_floor), statistics.median(t_ours)
    print(f"(a) floor (gzip -dc | sha256sum, {cores} at a time): {f:7.2f} s  ({total / f / 1e6:.0f} MB/s)")
    print(f"    ingest --archives-dir:                       {o:7.2f} s  ({total / o / 1e6:.0f} MB/s)")
    print(f"    ratio ingest/floor: {o / f:.2f}   (peak RSS {max(rss):.0f} MB)")
    if args.baseline:
        b = statistics.median(t_base)
        print(f"    --baseline ingest:                           {b:7.2f} s   ratio this/baseline: {o / b:.3f}")
    if args.skip_hub:
        return

    subset = paths[:args.hf_archives]
    names = {p.name.removesuffix(".tar.gz") for p in subset}
    sub_rows = [r for r in rows if r.split("/", 1)[0] in names]
    sub_store = out / "hub-store"
    shutil.rmtree(sub_store, ignore_errors=True)
    sub_store.mkdir()
    for p in subset:
        os.link(p, sub_store / p.name)
    size = sum(p.stat().st_size for p in subset)
    cap = args.cap_mb_s * 1e6
    server = CappedHub(("127.0.0.1", 0), capped_handler(sub_store, cap))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {"HF_ENDPOINT": f"http://127.0.0.1:{server.server_address[1]}"}
    t8, t1, t_extract, rss_hf, busy = [], [], [], [], []
    for _ in range(args.runs):
        t_extract.append(run_ingest(binary, work, sub_rows, ["--archives-dir", str(sub_store)])[0])
        all0, idle0 = cpu_ticks()
        elapsed, peak = run_ingest(binary, work, sub_rows, ["--from-hf"], env)
        all1, idle1 = cpu_ticks()
        busy.append(1 - (idle1 - idle0) / max(1, all1 - all0))
        t8.append(elapsed)
        rss_hf.append(peak)
        t1.append(run_ingest(binary, work, sub_rows,
                             ["--from-hf", "--connections-per-file", "1"], env)[0])
    server.shutdown()
    ideal = size / (8 * cap)
    m8, m1, mx = statistics.median(t8), statistics.median(t1), statistics.median(t_extract)
    print(f"(b) {len(subset)} archives, {size / 1e6:.0f} MB, each connection capped at {args.cap_mb_s:.0f} MB/s:")
    print(f"    --from-hf, 8 connections a file: {m8:7.2f} s; size / (8 x cap) = {ideal:.2f} s; ratio {m8 / ideal:.2f}")
    print(f"    --from-hf, 1 connection a file:  {m1:7.2f} s; 8 connections are {m1 / m8:.1f}x faster")
    print(f"    (peak RSS {max(rss_hf):.0f} MB; the machine's {cores} cores busy "
          f"{statistics.median(busy) * 100:.0f} % during the 8-connection run, server included)")
    longer = max(ideal, mx)
    print(f"(c) download + extract + ingest {m8:.2f} s; download alone at the cap {ideal:.2f} s, "
          f"extraction alone {mx:.2f} s; ratio to the longer: {m8 / longer:.2f}")


if __name__ == "__main__":
    main()
