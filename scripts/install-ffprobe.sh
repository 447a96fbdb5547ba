#!/usr/bin/env bash
# Installs ffprobe (Debian/Ubuntu package ffmpeg) when it is missing; does nothing
# otherwise. Uses sudo only when not already root.
set -euo pipefail
if command -v ffprobe >/dev/null 2>&1; then
  exit 0
fi
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ffprobe is missing: install ffmpeg with your package manager (or set FFPROBE_BIN)" >&2
  exit 1
fi
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null
ffprobe -version | head -n 1
