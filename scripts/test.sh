#!/usr/bin/env bash
# The project's one test command (README "Quick start"; `.ci/run` calls it):
#   1. the Rust suite (`cargo test`);
#   2. the Python package: a wheel built with maturin, installed in a virtual environment
#      (.workingdir2/venv, rebuilt from PyPI when missing) with pyarrow, pandas, polars,
#      duckdb, scipy, tqdm, mlcroissant, datasets and pytest, then `pytest python/tests`;
#   3. the package's types: `mypy --strict` on the package and on a file that calls every
#      public function (python/typing/), and `stubtest` holding the native module's stub
#      (moscorpus/_native.pyi) to the built module.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test

venv=.workingdir2/venv
wheels=.workingdir2/wheels
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
  "maturin>=1.9,<2" "pyarrow>=14" pandas polars duckdb scipy pytest tqdm mlcroissant datasets \
  mypy pyarrow-stubs
rm -rf "$wheels"
"$venv/bin/maturin" build --release --quiet --out "$wheels"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$wheels"/moscorpus-*.whl
"$venv/bin/python" -m pytest -q python/tests
(cd python && "../$venv/bin/python" -m mypy --strict moscorpus typing/uses_every_function.py)
"$venv/bin/python" -m mypy.stubtest moscorpus --allowlist python/typing/stubtest-allowlist.txt
