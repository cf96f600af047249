#!/usr/bin/env bash
# build.sh DIR [Release|Asan]: configures (once) and builds hetsim into DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
mode=${2:-Release}
args=(-G Ninja -DPython3_EXECUTABLE=/usr/bin/python3)
targets=()
if [[ $mode == Asan ]]; then
  # -O1 as the sanitizers' documentation suggests: a third less compile time than -O2, and
  # stack traces stay exact. -g1 keeps the line tables the reports need (file:line per frame)
  # without variable and type descriptions: another third less compile time.
  args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
    -DHETSIM_SANITIZE=ON -DHETSIM_PYTHON=OFF)
  # The test binary, and the CLI to run a scenario under the sanitizers; not the benchmarks.
  targets=(--target hetsim hetsim_tests)
else
  args+=(-DCMAKE_BUILD_TYPE=Release)
fi
command -v ccache >/dev/null && args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [[ ! -f $dir/build.ninja ]]; then
  cmake -S . -B "$dir" "${args[@]}" >/dev/null
fi
cmake --build "$dir" -j "$(nproc)" "${targets[@]}"
