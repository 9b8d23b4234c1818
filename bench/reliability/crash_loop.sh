#!/usr/bin/env bash
# The crash loop of issue 9 at full length: CYCLES (default 20) cycles of
# mixed concurrent writes (create, PATCH with updateMask, delete, analyses),
# kill -9 at a random moment, restart and check (tests/crash/crash_loop.test.mjs).
# Prints the machine, the per-cycle lines and the totals (acknowledged writes
# per kind, lost writes per kind: must all be 0, seconds).
# Usage: bash bench/reliability/crash_loop.sh [CYCLES=20]   (BIN=build/parley)
set -euo pipefail
cd "$(dirname "$0")/../.."
CYCLES=${1:-20}
BIN=${BIN:-build/parley}
summary=$(mktemp /tmp/parley-crash-loop.XXXXXX.json)
trap 'rm -f "$summary"' EXIT
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(git rev-parse --short HEAD)"
start=$(date +%s.%N)
status=0
CRASH_LOOP_CYCLES=$CYCLES CRASH_LOOP_SUMMARY=$summary PARLEY_BIN=$BIN \
  node --test tests/crash/crash_loop.test.mjs 2>&1 | grep -E '^# (cycle|totals)|^not ok|problems|lost' || true
[ -s "$summary" ] || status=1
end=$(date +%s.%N)
echo "wall time: $(awk -v a=$start -v b=$end 'BEGIN {printf "%.1f s", b-a}')"
if [ $status -ne 0 ]; then echo "FAILED: see above"; exit 1; fi
cat "$summary"
