#!/usr/bin/env bash
# Builds the fuzz targets (clang, ASan+UBSan, in build-fuzz/) and runs each
# for SECONDS_PER_TARGET (default 10) over a scratch copy of its seed corpus
# (tests/fuzz/corpus/TARGET) plus its crash reproducers (tests/fuzz/crashes/
# TARGET), which are run first. Exits non-zero on the first crash, leak, hang
# or invariant violation; the input that caused it is left in
# build-fuzz/crashes/. Logs: build-fuzz/fuzz-logs/TARGET.log.
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]   (default: every target)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}
shift || true
build=build-fuzz
# Paths relative to the checkout, so every clone shares one compiler cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in tests/fuzz/*_fuzzer.cc; do
    f=${f##*/}
    targets+=("${f%_fuzzer.cc}")
  done
fi

cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DPARLEY_FUZZ=ON \
  -DPARLEY_TESTS=OFF -DPARLEY_BENCH=OFF >/dev/null
ninja -C "$build" -j2 "${targets[@]/#/fuzz_}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/crashes" "$build/fuzz-logs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:suppressions=$PWD/tests/fuzz/ubsan.supp}
summary=()
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  cp -r "tests/fuzz/corpus/$t/." "$work/$t/"
  dirs=("$work/$t")
  [ -d "tests/fuzz/crashes/$t" ] && dirs+=("tests/fuzz/crashes/$t")
  log="$build/fuzz-logs/$t.log"
  echo "fuzz: $t for ${seconds}s"
  if ! "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
      -print_final_stats=1 -artifact_prefix="$build/crashes/$t-" "${dirs[@]}" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz: $t FAILED (log: $log; input: $build/crashes/$t-*)" >&2
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
  summary+=("$(printf '%-24s %12s execs %8s execs/s  %s' "$t" "$runs" "$rate" "$cov")")
done
echo "fuzz: no crashes"
printf '%s\n' "${summary[@]}"
