#!/usr/bin/env bash
# Two builds of a Google Benchmark binary side by side, alternating, so that
# both see the same noise of a shared machine. Each round runs OLD then NEW
# (the order swaps every round) with 3 repetitions and keeps the median CPU
# time per iteration; prints every round, the load average, the per-round
# new/old ratios and the medians over the rounds.
# Usage: ROUNDS=8 FILTER='BM_Pipeline/' bash bench/analysis/side_by_side.sh \
#          OLD/build/bench/analysis/analysis_pipeline_bench build/bench/analysis/analysis_pipeline_bench
set -euo pipefail
cd "$(dirname "$0")/../.."
old=$1 new=$2
filter=${FILTER:-BM_Pipeline/}
out=$(mktemp -d /tmp/parley-bench-sbs.XXXXXX)
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%FT%TZ)"
run() {  # binary -> median CPU time (the unit the benchmark reports)
  "$1" --benchmark_filter="$filter" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
    2>/dev/null | awk '/_median/ {print $4; exit}'
}
for round in $(seq "${ROUNDS:-8}"); do
  order="old new"; [ $((round % 2)) = 0 ] && order="new old"
  for side in $order; do
    bin=$old; [ $side = new ] && bin=$new
    echo "$side $(run "$bin")" >> "$out/$round"
  done
  o=$(awk '$1 == "old" {print $2}' "$out/$round"); n=$(awk '$1 == "new" {print $2}' "$out/$round")
  echo "round $round: old $o new $n new/old $(awk -v o="$o" -v n="$n" 'BEGIN {printf "%.3f", n/o}') load [$(cut -d' ' -f1-3 /proc/loadavg)]"
  echo "$o $n" >> "$out/all"
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
o=$(cut -d' ' -f1 "$out/all" | median); n=$(cut -d' ' -f2 "$out/all" | median)
r=$(awk '{printf "%.4f\n", $2/$1}' "$out/all" | median)
echo "median CPU time: old $o, new $n, new/old $(awk -v o="$o" -v n="$n" 'BEGIN {printf "%.3f", n/o}'); median of per-round ratios $r"
rm -rf "$out"
