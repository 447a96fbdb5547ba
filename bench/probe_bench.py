#!/usr/bin/env python3
"""Benchmark: the native prober against ffprobe on the same 1,000 clips, in one run.

- ffprobe: one process per clip with the older adapters' exact request (what the
  Python adapters do);
- native: `moscorpus probe --prober native` over the same 1,000 clips.
Both are timed whole (process starts included), median of --runs runs, and the ratio is
printed. Then the native per-probe cost on a small clip and on a multi-GB sparse MP4
whose `moov` sits after a 4 GiB `mdat` (so the parser must seek past the media data).

    python3 bench/probe_bench.py          # builds the release binary first; needs ffprobe
    python3 bench/probe_bench.py --baseline OLD_BINARY   # also: this build vs another

With --baseline, the same 1,000 clips are probed by the other build's native prober in
the same run (alternating, median of --runs) and the ratio new/old is printed: how a
change to the prober moved its speed.
Outputs go to bench/out/ (git-ignored).
"""
import argparse
import pathlib
import shutil
import statistics
import struct
import subprocess
import time

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "bench" / "out" / "probe"
matrix = root / "tests" / "fixtures" / "probe"
REQUEST = ["-v", "error", "-select_streams", "v:0",
           "-show_entries", "stream=width,height,r_frame_rate,avg_frame_rate,duration,pix_fmt,codec_name",
           "-show_entries", "format=duration", "-of", "json"]


def median_time(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def big_mp4(small: pathlib.Path, target: pathlib.Path, extra: int):
    """`small` (ftyp … mdat … moov) rewritten with a 64-bit mdat grown by `extra` sparse
    zero bytes, chunk offsets patched, so the moov sits after `extra` bytes of media."""
    data = small.read_bytes()
    pos, boxes = 0, []
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        boxes.append((kind, data[pos:pos + size]))
        pos += size
    with open(target, "wb") as f:
        for kind, box in boxes:
            if kind == b"mdat":
                payload = box[8:]
                f.write(struct.pack(">I4sQ", 1, b"mdat", 16 + len(payload) + extra))
                f.write(payload)
                f.seek(extra, 1)  # sparse: nothing is written
            elif kind == b"moov":
                moov = bytearray(box)
                at = moov.find(b"stco")
                count = struct.unpack(">I", moov[at + 8:at + 12])[0]
                for i in range(count):
                    o = at + 12 + 4 * i
                    moov[o:o + 4] = struct.pack(">I", struct.unpack(">I", moov[o:o + 4])[0] + 8)
                f.write(moov)
            else:
                f.write(box)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", help="another moscorpus binary to compare the native prober with")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet", "--locked"], cwd=root, check=True)
    binary = str(root / "target" / "release" / "moscorpus")
    shutil.rmtree(out, ignore_errors=True)
    (out / "clips").mkdir(parents=True)
    sources = sorted(p for p in matrix.iterdir()
                     if p.suffix in (".mp4", ".mov", ".m4v", ".mkv", ".webm") and not p.name.startswith("audio_only"))
    clips = []
    for i in range(args.clips):
        src = sources[i % len(sources)]
        dst = out / "clips" / f"{i:04d}{src.suffix}"
        shutil.copyfile(src, dst)
        clips.append(str(dst))

    def ffprobe_each():
        for clip in clips:
            subprocess.run(["ffprobe", *REQUEST, clip], check=True, stdout=subprocess.DEVNULL)

    def native_all():
        subprocess.run([binary, "probe", "--prober", "native", *clips], check=True, stdout=subprocess.DEVNULL)

    t_native = median_time(native_all, args.runs)
    if args.baseline:
        def timed(binary_path):
            start = time.perf_counter()
            subprocess.run([binary_path, "probe", "--prober", "native", *clips], check=True, stdout=subprocess.DEVNULL)
            return time.perf_counter() - start
        new_times, old_times = [], []
        for _ in range(max(args.runs, 5)):
            new_times.append(timed(binary))
            old_times.append(timed(args.baseline))
        t_new, t_old = statistics.median(new_times), statistics.median(old_times)
        print(f"native prober, this build vs --baseline, {args.clips} clips, median of {len(new_times)} alternating runs")
        print(f"  this build: {t_new * 1000:8.1f} ms   baseline: {t_old * 1000:8.1f} ms   ratio new/old: {t_new / t_old:.3f}")
    t_ffprobe = median_time(ffprobe_each, args.runs)
    print(f"{args.clips} clips ({len(sources)} distinct matrix clips), median of {args.runs} runs")
    print(f"  ffprobe, one process a clip : {t_ffprobe:8.3f} s  ({t_ffprobe / args.clips * 1000:.2f} ms a clip)")
    print(f"  moscorpus probe --prober native: {t_native:8.3f} s  ({t_native / args.clips * 1e6:.1f} us a clip)")
    print(f"  ratio: native is {t_ffprobe / t_native:.0f}x faster")

    # Size independence: the same probe repeated in one process on a small and a 4 GiB file.
    small = matrix / "h264_yuv420p.mp4"
    big = out / "big_moov_at_end.mp4"
    big_mp4(small, big, 4 << 30)
    repeat = 500

    def native_repeat(path):
        return lambda: subprocess.run([binary, "probe", "--prober", "native", *([str(path)] * repeat)],
                                      check=True, stdout=subprocess.DEVNULL)

    t_small = median_time(native_repeat(small), args.runs + 2)
    t_big = median_time(native_repeat(big), args.runs + 2)
    print(f"native, {repeat} probes in one process: {small.stat().st_size} B clip {t_small * 1000:.1f} ms,"
          f" {big.stat().st_size / 2**30:.1f} GiB clip {t_big * 1000:.1f} ms (ratio {t_big / t_small:.2f})")
    same = subprocess.run([binary, "probe", "--prober", "native", str(big)], capture_output=True, text=True).stdout
    print(f"  big clip answer: {same.strip()}")


if __name__ == "__main__":
    main()
