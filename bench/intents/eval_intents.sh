#!/usr/bin/env bash
# Measures the intent classifier on real labelled data and prints the tables
# recorded in docs/quality/intents.md.
#
#   bench/intents/eval_intents.sh [banking77|clinc150|all] [--config SPEC]...
#
# PARLEY_DATA_DIR: the shared data folder (default: ../shared/data beside the
# repository). BUILD_DIR: where to build intents_eval (default: build-intents).
# Fails with a clear message when the data is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
data="${PARLEY_DATA_DIR:-$root/../shared/data}"
build="${BUILD_DIR:-$root/build-intents}"
task="${1:-all}"
[ $# -gt 0 ] && shift

case "$task" in
  banking77) need=(banking77/train.csv) ;;
  clinc150) need=(clinc150/clinc150_train_val.json) ;;
  all) need=(banking77/train.csv clinc150/clinc150_train_val.json) ;;
  *) echo "usage: $0 [banking77|clinc150|all] [--config SPEC]..." >&2; exit 2 ;;
esac
for f in "${need[@]}"; do
  if [ ! -f "$data/$f" ]; then
    echo "eval_intents: missing $data/$f — the shared data folder is not there (set PARLEY_DATA_DIR)" >&2
    exit 1
  fi
done

cmake -S "$root" -B "$build" -G Ninja -DPARLEY_BENCH=ON >/dev/null
ninja -C "$build" intents_eval >/dev/null
eval_bin="$build/bench/intents/intents_eval"

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%Y-%m-%dT%H:%MZ)"
if [ "$task" = banking77 ] || [ "$task" = all ]; then
  echo; echo "## banking77"; echo
  "$eval_bin" banking77 "$data" "$@"
fi
if [ "$task" = clinc150 ] || [ "$task" = all ]; then
  echo; echo "## clinc150"; echo
  "$eval_bin" clinc150 "$data" "$@"
fi
