#!/usr/bin/env bash
# Installs headless Chromium (Debian/Ubuntu package chromium) when it is missing; does
# nothing otherwise. The report test renders the report page with it; without it that
# test prints SKIPPED. Uses sudo only when not already root.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium is missing: install it with your package manager (or set CHROMIUM_BIN)" >&2
  exit 0
fi
as_root apt-get update -qq
if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
  echo "chromium could not be installed; the browser test will print SKIPPED" >&2
  exit 0
fi
chromium --version
