#!/usr/bin/env bash
# fuzz.sh [SECONDS]: builds the libFuzzer target with clang (ASan + UBSan) and fuzzes the
# scenario and machine parsers for a bounded time, seeded from configs/ and scenarios/.
# Inputs that crash are saved under tests/fuzz/crashes/ and become regression cases in
# tests/fuzz/regressions/ (run by the unit tests).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
bash scripts/setup.sh --with-clang
if [[ ! -f build-fuzz/build.ninja ]]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DHETSIM_FUZZ=ON -DHETSIM_SANITIZE=ON -DHETSIM_PYTHON=OFF -DBUILD_TESTING=OFF >/dev/null
fi
cmake --build build-fuzz --target fuzz_scenario -j "$(nproc)"
corpus=build-fuzz/corpus
mkdir -p "$corpus" tests/fuzz/crashes
find configs scenarios tests/fuzz/regressions -name '*.json' -exec cp {} "$corpus/" \; 2>/dev/null || true
build-fuzz/tests/fuzz/fuzz_scenario "$corpus" -max_total_time="$secs" -max_len=8192 -timeout=10 \
  -artifact_prefix=tests/fuzz/crashes/ -print_final_stats=1 2>&1 | tail -n 12
