#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run -> make test):
#   1. Release build; unit, model and scenario tests (ctest)
#   2. hetsim regress against results/baselines (quick variants)
#   3. peak memory of a 10x longer run; hetsim validate --quick (report written under build/, the committed one is untouched)
#   4. AddressSanitizer + UndefinedBehaviorSanitizer build running the same C++ tests
#   5. a short fuzz pass where clang is installed (scripts/fuzz.sh --short), from the same build
#   6. Python tests and notebooks (pytest, Debian's /usr/bin/python3)
# Every step runs; the script fails if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
jobs=$(nproc)
status=0
step() {
  echo "=== $1"
  shift
  local t0=$SECONDS
  if ! "$@"; then
    echo "=== FAILED: $*"
    status=1
  fi
  echo "=== ($((SECONDS - t0)) s)"
}
bash scripts/build.sh build Release || exit 1
step "unit and scenario tests" ctest --test-dir build --output-on-failure -j "$jobs"
step "regression against baselines" build/hetsim regress --jobs "$jobs"
step "bounded memory over 10x simulated time" bash scripts/memcheck.sh build/hetsim \
  scenarios/claims/T1-munmap-storm.json workloads.0.steps 2 20 --set 'sweep={"workloads.0.cpus":["0-255"]}' \
  --set workloads.0.mappings=200
step "claim validation (quick)" build/hetsim validate --quick --out-dir build/validation --jobs "$jobs"
# The sanitizer build: with clang where it is installed (make fuzz installs it; the test command
# installs none), one build serves the sanitizer tests and the fuzz pass; gcc's otherwise.
san_env=(env ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
if [[ "${HETSIM_SKIP_FUZZ:-0}" != 1 ]] && command -v clang++ >/dev/null 2>&1; then
  if [[ "${HETSIM_SKIP_ASAN:-0}" != 1 ]]; then
    step "sanitizer build (clang, with libFuzzer coverage)" \
      bash scripts/build.sh build-fuzz Fuzz hetsim_tests fuzz_scenario
    step "sanitizer tests" "${san_env[@]}" ctest --test-dir build-fuzz --output-on-failure -j "$jobs"
  fi
  mkdir -p tests/fuzz/crashes
  step "short fuzz pass (libFuzzer, whole library instrumented)" bash scripts/fuzz.sh --short
elif [[ "${HETSIM_SKIP_ASAN:-0}" != 1 ]]; then
  step "sanitizer build" bash scripts/build.sh build-asan Asan
  step "sanitizer tests" "${san_env[@]}" ctest --test-dir build-asan --output-on-failure -j "$jobs"
fi
if ls tests/python/test_*.py >/dev/null 2>&1; then
  step "python tests and notebooks" env PYTHONPATH="$PWD/build/python:$PWD/python" HETSIM_BIN="$PWD/build/hetsim" \
    PYDEVD_DISABLE_FILE_VALIDATION=1 MPLBACKEND=Agg /usr/bin/python3 -m pytest -q tests/python
fi
exit $status
