#!/usr/bin/env bash
# GET view=FULL vs GET /healthz on one server, three rounds of 8 s each, side by side.
#   bash bench/server/get_ratio.sh [BIN=build/parley]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-build/parley}
PORT=${PORT:-18189}
d=$(mktemp -d)
"$BIN" serve --listen 127.0.0.1:$PORT --data-dir "$d/data" --sweep-seconds 3600 2>"$d/log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$d"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.05; done
base="http://127.0.0.1:$PORT/v1/projects/bench/locations/us/conversations"
wrk -t2 -c32 -d3s -s bench/server/create.lua "$base" >/dev/null
id=$(curl -s "$base?pageSize=1" | sed -E 's/.*conversations\/([0-9]+)".*/\1/')
for r in 1 2 3; do
  h=$(wrk -t2 -c32 -d8s -s bench/server/report.lua "http://127.0.0.1:$PORT/healthz" | grep RESULT | sed -E 's/.*rps=([0-9]+).*/\1/')
  g=$(wrk -t2 -c32 -d8s -s bench/server/report.lua "$base/$id?view=FULL" | grep RESULT)
  gr=$(echo "$g" | sed -E 's/.*rps=([0-9]+).*/\1/')
  p99=$(echo "$g" | sed -E 's/.*p99_ms=([0-9.]+).*/\1/')
  echo "round $r: healthz $h/s, get $gr/s, ratio $(awk -v g="$gr" -v h="$h" 'BEGIN{printf "%.3f", g/h}'), get p99 ${p99} ms"
done
