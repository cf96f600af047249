#!/usr/bin/env bash
# fuzz.sh [SECONDS]: builds the libFuzzer target with clang (ASan + UBSan, the whole library
# instrumented for coverage) and fuzzes the scenario and machine parsers and a bounded run of
# what they build, seeded from tests/fuzz/corpus/, configs/ and scenarios/. New coverage is
# merged back into tests/fuzz/corpus/; inputs that crash are saved under tests/fuzz/crashes/
# and become regression cases in tests/fuzz/regressions/ (run by the unit tests).
set -euo pipefail
cd "$(dirname "$0")/.."
# fuzz.sh --short: the test suite's pass (seed 1, so every run is the same): 3,000 inputs mutated from the kept corpus and the
# regression cases, no merge; fails on any crash.
secs=${1:-60}
if [[ "$secs" == --short ]]; then
  short=1
else
  short=0
  bash scripts/setup.sh --with-clang
fi
bash scripts/build.sh build-fuzz Fuzz fuzz_scenario
if [[ $short == 1 ]]; then
  work=$(mktemp -d)  # libFuzzer adds to its first corpus folder: not the repository's
  trap 'rm -rf "$work"' EXIT
  cp tests/fuzz/corpus/* tests/fuzz/regressions/* "$work/"
  # A smaller ASan quarantine keeps the process well under the 2 GB RSS limit (peak 1.4 GB
  # instead of 1.95 GB with the default 256 MB).
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=64 build-fuzz/tests/fuzz/fuzz_scenario -seed=1 -runs=3000 -max_len=8192 -timeout=25 -rss_limit_mb=2048 \
    -artifact_prefix=tests/fuzz/crashes/ -print_final_stats=1 "$work" 2>&1 | tail -n 12
  exit 0
fi
corpus=build-fuzz/corpus
mkdir -p "$corpus" tests/fuzz/crashes tests/fuzz/corpus
cp tests/fuzz/corpus/* "$corpus/" 2>/dev/null || true
find configs scenarios tests/fuzz/regressions -name '*.json' -exec cp {} "$corpus/" \; 2>/dev/null || true
build-fuzz/tests/fuzz/fuzz_scenario "$corpus" -max_total_time="$secs" -max_len=8192 -timeout=25 \
  -rss_limit_mb=2048 -artifact_prefix=tests/fuzz/crashes/ -print_final_stats=1 2>&1 | tail -n 12
# Keep the inputs that add coverage, minimised, in the repository.
build-fuzz/tests/fuzz/fuzz_scenario -merge=1 tests/fuzz/corpus "$corpus" >/dev/null 2>&1 || true
