#!/usr/bin/env bash
# Installs the Debian packages hetsim needs, only those that are missing.
# Idempotent: a second run installs nothing and takes well under a second.
set -euo pipefail

PKGS=(
  cmake ninja-build g++ make
  libboost-graph-dev libboost-program-options-dev nlohmann-json3-dev zlib1g-dev
  libspdlog-dev pybind11-dev python3-pybind11 libgtest-dev libgmock-dev libbenchmark-dev
  python3-dev python3-venv python3-numpy python3-pandas python3-matplotlib python3-pytest
  python3-nbclient python3-nbformat python3-ipykernel python3-distributed
)
if [[ "${HETSIM_SANITIZE:-0}" == 1 || "${1:-}" == "--with-clang" ]]; then
  PKGS+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "setup: installing ${missing[*]}" >&2
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
