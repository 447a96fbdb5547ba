#!/usr/bin/env bash
# Do two builds write the same bytes? (#25: a reshape must not change an output.)
#
#   bench/same_outputs.sh BEFORE_BIN AFTER_BIN [WORK_DIR]
#
# 1. Each binary runs the full demo (1,200 rows over loopback HTTP, two 404s, an HTML
#    page served as a clip) in its own folder; their rows, state files, audit files and
#    clip indexes are compared with the run's own stamps masked (ingested_at_utc, the
#    report's time, files' mtimes, the loopback port).
# 2. Both binaries then read the SAME shard (the first build's) with every command that
#    reads shards — report (HTML and --json), split, export (dover, fast-vqa, pyiqa,
#    parquet), merge, aggregate, labels check, evaluate --json — and those outputs are
#    compared byte for byte (only the report's "generated" and aggregate's "aggregated_at_utc" times masked).
# Prints "same"/"DIFF" per file and exits 1 on any difference.
set -euo pipefail
before=$(realpath "$1")
after=$(realpath "$2")
work=${3:-.workingdir2/same-outputs}
rm -rf "$work"
mkdir -p "$work"
work=$(realpath "$work")

mask() {
  sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\+00:00|Z)?/<time>/g;
          s/127\.0\.0\.1:[0-9]+/127.0.0.1:<port>/g; s/"mtime_ns":[0-9]+/"mtime_ns":<t>/g' "$1"
}

for side in before after; do
  bin=${!side}
  mkdir -p "$work/$side"
  (cd "$work/$side" && "$bin" demo --dir demo --full >demo.out 2>demo.err)
done
shard=$work/before/demo/lsvq.jsonl
for side in before after; do
  bin=${!side}
  out=$work/$side/read
  mkdir -p "$out"
  cp "$shard" "$out/lsvq.jsonl"
  cp "$work/before/demo/lsvq.audit.jsonl" "$out/lsvq.audit.jsonl"
  cp "$work/before/demo/manifest.csv" "$out/manifest.csv"
  (
    cd "$out"
    run() { local name=$1; shift; "$bin" "$@" >"$name.out" 2>&1 || echo "exit $?" >>"$name.out"; }
    run report report --inputs lsvq.jsonl --output report.html --labels manifest.csv
    run report-json report --inputs lsvq.jsonl --output report.json --json
    run split split --inputs lsvq.jsonl --output split.jsonl --seed 7
    run dover export dover --inputs lsvq.jsonl --output dover.txt
    run dover-test export dover --inputs lsvq.jsonl --output dover-test.txt \
      --split-file split.jsonl --repeat 0 --split test
    run fast-vqa export fast-vqa --inputs lsvq.jsonl --output fast-vqa.txt
    run pyiqa export pyiqa --inputs lsvq.jsonl --output pyiqa.csv \
      --split-file split.jsonl --split-json pyiqa-split.json
    run parquet export parquet --inputs lsvq.jsonl --output rows.parquet --unified
    run merge merge --output merged.jsonl lsvq.jsonl --manifest-csv manifest.csv
    run aggregate aggregate --inputs lsvq.jsonl --output aggregated.jsonl
    run labels-check labels check manifest.csv --against lsvq.jsonl --json
    awk -F'"' '{for (i = 1; i < NF; i++) if ($i == "src") s = $(i + 2); print s "," NR % 97}' \
      lsvq.jsonl >preds.csv
    run evaluate evaluate --labels lsvq.jsonl --predictions preds.csv --json --bootstrap 200
    run evaluate-split evaluate --labels lsvq.jsonl --predictions preds.csv --json \
      --split-file split.jsonl --repeat all
  )
done

status=0
compare() { # file, masked?
  local f=$1 a b
  if [ "$2" = mask ]; then
    a=$(mask "$work/before/$f" | sha256sum) b=$(mask "$work/after/$f" | sha256sum)
  else
    a=$(sha256sum <"$work/before/$f") b=$(sha256sum <"$work/after/$f")
  fi
  if [ "$a" = "$b" ]; then echo "same  $f"; else echo "DIFF  $f"; status=1; fi
}
for f in lsvq.jsonl .download-progress.json lsvq.audit.jsonl lsvq.jsonl.clip-index report.html; do
  compare "demo/$f" mask
done
compare demo.out mask
for f in $(cd "$work/before/read" && ls); do
  case $f in report*|aggregated*) compare "read/$f" mask ;; *) compare "read/$f" raw ;; esac
done
exit $status
