#!/usr/bin/env bash
# build.sh DIR [Release|Asan|Fuzz] [TARGET...]: configures and builds hetsim into DIR (all
# targets, or those named).
#   Release  the optimised build (gcc)
#   Asan     AddressSanitizer + UndefinedBehaviorSanitizer (gcc): the test binary and the CLI
#   Fuzz     the same sanitizers with clang, and the whole library instrumented for libFuzzer's
#            coverage: the fuzz target (tests/fuzz) and, as the test suite uses it, the test
#            binary, so one sanitizer build serves the sanitizer tests and the fuzz pass
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
mode=${2:-Release}
shift $(($# < 2 ? $# : 2))
targets=()
for t in "$@"; do targets+=(--target "$t"); done
args=(-G Ninja -DPython3_EXECUTABLE=/usr/bin/python3)
# The sanitizer builds: -O1 as the sanitizers' documentation suggests (a third less compile
# time than -O2, stack traces stay exact), and line tables only (file:line per frame, without
# variable and type descriptions: another third less compile time).
sanitized=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DHETSIM_SANITIZE=ON -DHETSIM_PYTHON=OFF)
case $mode in
  Release) args+=(-DCMAKE_BUILD_TYPE=Release) ;;
  Asan)
    args+=("${sanitized[@]}" "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")
    [[ ${#targets[@]} -gt 0 ]] || targets=(--target hetsim --target hetsim_tests)
    ;;
  Fuzz)
    export CC=clang CXX=clang++
    args+=("${sanitized[@]}" "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG"
      -DHETSIM_FUZZ=ON -DBUILD_TESTING=ON)
    ;;
  *)
    echo "build.sh: mode must be Release, Asan or Fuzz, not $mode" >&2
    exit 2
    ;;
esac
command -v ccache >/dev/null && args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# A release folder keeps what it was configured with (options set by hand); the sanitizer
# folders take this script's settings each time (a folder from an older script is updated).
if [[ ! -f $dir/build.ninja || $mode != Release ]]; then
  cmake -S . -B "$dir" "${args[@]}" >/dev/null
fi
cmake --build "$dir" -j "$(nproc)" "${targets[@]}"
