#!/usr/bin/env bash
# Makes sure python3 can create a virtual environment with pip (the Python package's
# tests need one); installs Debian's python3, python3-venv and python3-pip when it cannot.
# Uses sudo only when not already root.
set -euo pipefail
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
if command -v python3 >/dev/null 2>&1 && python3 -m venv "$probe/venv" >/dev/null 2>&1 \
  && "$probe/venv/bin/python" -m pip --version >/dev/null 2>&1; then
  exit 0
fi
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
python3 --version
