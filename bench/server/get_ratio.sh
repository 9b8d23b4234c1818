#!/usr/bin/env bash
# GET view=FULL vs GET /healthz on one server, side by side, three rounds of
# 8 s each: healthz, then GET of one conversation, then GET of a random one
# out of a working set of up to 10,000.
#   bash bench/server/get_ratio.sh [BIN=build/parley]
#   EXTRA="--view-cache-mb 0" bash bench/server/get_ratio.sh   # server flags
#   PIN=1 bash bench/server/get_ratio.sh   # server on CPU 0 (one network thread), wrk on
#                                          # CPU 1 (one thread): neither preempts the other,
#                                          # so the latency tail is the server's, not the
#                                          # scheduler's (unpinned, /healthz has the same tail)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-build/parley}
PORT=${PORT:-18189}
d=$(mktemp -d)
SERVER_PIN=(); WRK_PIN=(); WRK_THREADS=2; PIN_FLAGS=""
if [ "${PIN:-0}" = 1 ]; then
  SERVER_PIN=(taskset -c 0); WRK_PIN=(taskset -c 1); WRK_THREADS=1; PIN_FLAGS="--threads 1"
fi
"${SERVER_PIN[@]}" "$BIN" serve --listen 127.0.0.1:$PORT --data-dir "$d/data" --sweep-seconds 3600 $PIN_FLAGS ${EXTRA:-} 2>"$d/log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$d"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.05; done
base="http://127.0.0.1:$PORT/v1/projects/bench/locations/us/conversations"
wrk -t2 -c32 -d3s -s bench/server/create.lua "$base" >/dev/null
id=$(curl -s "$base?pageSize=1" | sed -E 's/.*conversations\/([0-9]+)".*/\1/')
sqlite3 "$d/data/parley.db" "select id from conversations order by random() limit 10000" > "$d/ids.txt"
echo "working set: $(wc -l < "$d/ids.txt") conversations"
rate() { sed -E 's/.*rps=([0-9]+).*/\1/'; }
for r in 1 2 3; do
  hz=$("${WRK_PIN[@]}" wrk -t$WRK_THREADS -c32 -d8s -s bench/server/report.lua "http://127.0.0.1:$PORT/healthz" | grep RESULT)
  h=$(echo "$hz" | rate); hp99=$(echo "$hz" | sed -E 's/.*p99_ms=([0-9.]+).*/\1/')
  g=$("${WRK_PIN[@]}" wrk -t$WRK_THREADS -c32 -d8s -s bench/server/report.lua "$base/$id?view=FULL" | grep RESULT)
  m=$(IDS_FILE="$d/ids.txt" "${WRK_PIN[@]}" wrk -t$WRK_THREADS -c32 -d8s -s bench/server/get_many.lua "$base/" | grep RESULT)
  gr=$(echo "$g" | rate); mr=$(echo "$m" | rate)
  p99=$(echo "$g" | sed -E 's/.*p99_ms=([0-9.]+).*/\1/'); mp99=$(echo "$m" | sed -E 's/.*p99_ms=([0-9.]+).*/\1/')
  echo "round $r: healthz $h/s p99 ${hp99} ms | get one $gr/s ratio $(awk -v g="$gr" -v h="$h" 'BEGIN{printf "%.3f", g/h}') p99 ${p99} ms | get many $mr/s ratio $(awk -v g="$mr" -v h="$h" 'BEGIN{printf "%.3f", g/h}') p99 ${mp99} ms"
done
