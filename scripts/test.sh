#!/usr/bin/env bash
# The whole test suite: unit and scenario tests (ctest), Python tests and notebooks
# (pytest), and the sanitizer build of the unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --with-clang
bash scripts/build.sh build Release
status=0
ctest --test-dir build --output-on-failure -j "$(nproc)" || status=1
if [[ -d tests/python ]] && ls tests/python/test_*.py >/dev/null 2>&1; then
  PYTHONPATH="$PWD/build/python:$PWD/python" HETSIM_BIN="$PWD/build/hetsim" \
    /usr/bin/python3 -m pytest -q tests/python || status=1
fi
exit $status
