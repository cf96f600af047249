#!/usr/bin/env bash
# memcheck.sh HETSIM SCENARIO PATH VALUE VALUE10 [--set ...]: runs SCENARIO twice, with PATH set
# to VALUE and to VALUE10 (ten times the simulated time), and checks that the longer run's peak
# resident memory stays within 1.5x of the shorter one's. Prints both figures.
set -euo pipefail
bin=$1 scenario=$2 path=$3 short=$4 long=$5
shift 5
rss() {
  local v=$1
  shift
  /usr/bin/time -f "%M" "$bin" run "$scenario" --set "$path=$v" "$@" -q 2>&1 >/dev/null | tail -n 1
}
a=$(rss "$short" "$@")
b=$(rss "$long" "$@")
echo "memcheck: $scenario $path=$short peak RSS ${a} KiB; $path=$long peak RSS ${b} KiB; ratio $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.3f", b/a}')"
awk -v a="$a" -v b="$b" 'BEGIN{exit !(b <= 1.5 * a)}'
