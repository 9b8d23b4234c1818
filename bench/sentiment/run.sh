#!/usr/bin/env bash
# Side-by-side throughput of Parley's sentiment scorer and the npm
# vader-sentiment reference (node), on the same texts in one run: the texts of
# ../shared/data/sentiment/vader_amazon_reviews_groundtruth.txt, scored over
# and over on one thread for SECONDS each.
#
#   bench/sentiment/run.sh [BUILD_DIR] [SECONDS]     (defaults: build, 5)
#
# Needs `ninja -C BUILD_DIR sentiment_bench` and scripts/install-deps.sh
# (node and third_party/npm/node_modules).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
seconds=${2:-5}
data=$root/../shared/data/sentiment/vader_amazon_reviews_groundtruth.txt
bench=$build/bench/sentiment/sentiment_bench
if [ ! -f "$data" ]; then
  echo "run.sh: $data not found (the shared data folder beside the repository)" >&2
  exit 2
fi
if [ ! -x "$bench" ]; then
  echo "run.sh: $bench not built: ninja -C $build sentiment_bench" >&2
  exit 2
fi

texts=$(mktemp)
trap 'rm -f "$texts"' EXIT
cut -f3 "$data" | tr -d '\r' > "$texts"
echo "texts: $(wc -l < "$texts") lines of $data, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

parley=$("$bench" "$texts" "$seconds")
explain=$("$bench" "$texts" "$seconds" --explain)
vader=$(node "$root/bench/sentiment/vader_reference.mjs" bench "$texts" "$seconds")
echo "$parley"
echo "$explain"
echo "$vader"
awk -v p="$(awk '{print $6}' <<<"$parley")" -v e="$(awk '{print $6}' <<<"$explain")" \
    -v v="$(awk '{print $6}' <<<"$vader")" \
    'BEGIN { printf "ratio parley / vader-sentiment-js: %.1fx (with explanations %.1fx)\n", p / v, e / v }'
