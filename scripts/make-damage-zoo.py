#!/usr/bin/env python3
"""Makes a damage zoo (#23): damaged copies of real clips, with what ffmpeg says of each.

    python3 scripts/make-damage-zoo.py SOURCE_DIR OUT_DIR [--seed N] [--flips N]

For every video clip under SOURCE_DIR (`.mp4 .mov .m4v .mkv .webm`; a clip ffprobe finds
no video stream in is left out), the clip as it is and, made with `ffmpeg -c copy`:
its MP4 with the index first (`faststart`), fragmented (`frag_keyframe+empty_moov`,
with and without `default_base_moof`), and its streams in Matroska (`mkv`) and, for VP9
and AV1, WebM (`webm`). Every such whole clip is then damaged:

- `cut`: cut at 10, 50, 90 and 99 % of its bytes;
- `zero`: 4 KB zeroed at three places inside the sample data (from the middle of the
  packets at a quarter, a half and three quarters of the video stream);
- `flip`: one random bit flipped in one byte of a random video packet, `--flips` times.

OUT_DIR gets the files and `zoo.jsonl`, one line a file: `file` (relative to OUT_DIR),
`source`, `variant`, `codec` (ffprobe's `codec_name`), `container` (`mp4` or `matroska`),
`damage` (`none`, `cut`, `zero`, `flip`), `packets` (the video packets of the whole
clip), and per damage: `length` and `ffprobe_packets` (`ffprobe -count_packets` on the
cut file) and `straddles` (a packet of the whole clip starts before the cut and ends
after it) for `cut`; `ranges` ([offset, length]) and `sample_span` (from the first
packet's first byte to the last byte of any packet) for `zero`; `offset` and `bit` for
`flip`, with `ffmpeg_errors` (whether `ffmpeg -v error -f null` printed an error for
it). The oracle is ffmpeg's own tools, never moscorpus. Clips are worked on in parallel
(`--jobs`, default all cores).
"""
import argparse
import concurrent.futures
import json
import os
import pathlib
import random
import shutil
import subprocess
import sys

VIDEO_ENDINGS = {".mp4", ".mov", ".m4v", ".mkv", ".webm"}
MP4_FAMILY = {".mp4", ".mov", ".m4v"}


def ffprobe_json(path, *args):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-of", "json", *args, str(path)],
        capture_output=True, text=True,
    )
    if out.returncode != 0:
        return None
    return json.loads(out.stdout or "{}")


def video_codec(path):
    info = ffprobe_json(path, "-show_entries", "stream=codec_name")
    streams = (info or {}).get("streams") or []
    return streams[0].get("codec_name") if streams else None


def packets(path):
    """(pos, size) of every video packet, in file order."""
    info = ffprobe_json(path, "-show_entries", "packet=pos,size")
    found = []
    for p in (info or {}).get("packets", []):
        if p.get("pos") not in (None, "N/A"):
            found.append((int(p["pos"]), int(p["size"])))
    return sorted(found)


def count_packets(path):
    info = ffprobe_json(path, "-count_packets", "-show_entries", "stream=nb_read_packets")
    streams = (info or {}).get("streams") or []
    value = streams[0].get("nb_read_packets") if streams else None
    return int(value) if value not in (None, "N/A") else 0


def ffmpeg_errors(path):
    """Whether the reference decoder prints an error for the clip's video."""
    done = subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-threads", "1", "-i", str(path), "-map",
         "0:v:0", "-f", "null", "-"],
        capture_output=True, text=True,
    )
    return bool(done.stderr.strip())


def remux(source, target, *args):
    done = subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(source), "-map", "0:v:0", "-c", "copy",
         *args, str(target)],
        capture_output=True,
    )
    return done.returncode == 0 and target.exists() and target.stat().st_size > 0


def variants(source, codec, whole_dir):
    """The whole clips made from `source`: (variant, path)."""
    stem = source.name  # with its ending: h264.mkv and h264.mp4 make different files
    made = [("as-is", whole_dir / f"as-is-{stem}")]
    shutil.copyfile(source, made[0][1])
    wanted = []
    if source.suffix.lower() in MP4_FAMILY:
        wanted += [
            ("faststart", ".mp4", ["-movflags", "+faststart"]),
            ("fragmented", ".mp4", ["-movflags", "+frag_keyframe+empty_moov+default_base_moof"]),
            ("fragmented-tfhd", ".mp4", ["-movflags", "+frag_keyframe+empty_moov"]),
        ]
    if source.suffix.lower() != ".mkv":
        wanted.append(("mkv", ".mkv", ["-f", "matroska"]))
    if codec in ("vp9", "av1") and source.suffix.lower() != ".webm":
        wanted.append(("webm", ".webm", ["-f", "webm"]))
    for variant, suffix, args in wanted:
        target = whole_dir / f"{variant}-{stem}{suffix}"
        if remux(source, target, *args):
            made.append((variant, target))
    return made


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=pathlib.Path)
    parser.add_argument("out", type=pathlib.Path)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--flips", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        sys.exit("make-damage-zoo: needs ffmpeg and ffprobe on PATH")
    for sub in ("whole", "cut", "zero", "flip"):
        (args.out / sub).mkdir(parents=True, exist_ok=True)
    sources = sorted(
        p for p in args.source.rglob("*")
        if p.is_file() and p.suffix.lower() in VIDEO_ENDINGS
    )
    def one_source(index, source):
        rng = random.Random(args.seed * 1_000_003 + index)
        lines = []
        codec = video_codec(source)
        if codec is None:
            return lines
        for variant, whole in variants(source, codec, args.out / "whole"):
            table = packets(whole)
            if not table:
                continue
            container = "mp4" if whole.suffix.lower() in MP4_FAMILY else "matroska"
            base = {
                "source": source.name, "variant": variant, "codec": codec,
                "container": container, "packets": len(table),
            }
            lines.append({**base, "file": str(whole.relative_to(args.out)), "damage": "none"})
            data = whole.read_bytes()
            name = whole.name
            for percent in (10, 50, 90, 99):
                length = len(data) * percent // 100
                cut = args.out / "cut" / f"{percent}-{name}"
                cut.write_bytes(data[:length])
                straddles = any(pos < length < pos + size for pos, size in table)
                lines.append({
                    **base, "file": str(cut.relative_to(args.out)), "damage": "cut",
                    "percent": percent, "length": length,
                    "ffprobe_packets": count_packets(cut), "straddles": straddles,
                })
            n = len(table)
            ranges = []
            for k in sorted({n // 4, n // 2, 3 * n // 4}):
                pos, size = table[k]
                start = pos + size // 2
                ranges.append([start, min(4096, len(data) - start)])
            zeroed = bytearray(data)
            for start, length in ranges:
                zeroed[start:start + length] = bytes(length)
            target = args.out / "zero" / name
            target.write_bytes(zeroed)
            span = [table[0][0], max(pos + size for pos, size in table)]
            lines.append({**base, "file": str(target.relative_to(args.out)), "damage": "zero",
                          "ranges": ranges, "sample_span": span})
            for flip in range(args.flips):
                pos, size = table[rng.randrange(n)]
                offset = pos + rng.randrange(max(size, 1))
                bit = rng.randrange(8)
                flipped = bytearray(data)
                flipped[offset] ^= 1 << bit
                target = args.out / "flip" / f"{flip}-{name}"
                target.write_bytes(flipped)
                lines.append({**base, "file": str(target.relative_to(args.out)),
                              "damage": "flip", "offset": offset, "bit": bit,
                              "ffmpeg_errors": ffmpeg_errors(target)})
        return lines

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        done = pool.map(one_source, range(len(sources)), sources)
        lines = [line for per_source in done for line in per_source]
    with open(args.out / "zoo.jsonl", "w") as out:
        for line in lines:
            out.write(json.dumps(line) + "\n")
    counts = {}
    for line in lines:
        counts[line["damage"]] = counts.get(line["damage"], 0) + 1
    print(f"{len(lines)} files in {args.out}: {counts}")


if __name__ == "__main__":
    main()
