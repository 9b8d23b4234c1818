#!/usr/bin/env bash
# What request logs and metrics cost on GET throughput: the same data dir
# served alternately with them on (the default: one JSON log line a request,
# written to a file, and the parley_http_* metrics) and off
# (--no-request-telemetry --log-level off), ROUNDS pairs of 6 s wrk runs of
# GET view=FULL of one conversation, in turn, so that the machine's noise
# falls on both alike. Prints each pair and the medians.
#   bash bench/server/telemetry_cost.sh [BIN=build/parley]
#   ROUNDS=7 PIN=1 bash bench/server/telemetry_cost.sh   # server on CPU 0, wrk on CPU 1
#   ON_FLAGS="--log-level off" bash bench/server/telemetry_cost.sh   # metrics alone
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-build/parley}
PORT=${PORT:-18191}
ROUNDS=${ROUNDS:-5}
d=$(mktemp -d)
SERVER_PIN=(); WRK_PIN=(); WRK_THREADS=2; PIN_FLAGS=""
if [ "${PIN:-0}" = 1 ]; then
  SERVER_PIN=(taskset -c 0); WRK_PIN=(taskset -c 1); WRK_THREADS=1; PIN_FLAGS="--threads 1"
fi
pid=
stop() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; fi; }
trap 'stop; rm -rf "$d"' EXIT
start() {
  "${SERVER_PIN[@]}" "$BIN" serve --listen 127.0.0.1:$PORT --data-dir "$d/data" --sweep-seconds 3600 $PIN_FLAGS "$@" 2>>"$d/log" &
  pid=$!
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return; sleep 0.05; done
  echo "server did not start"; cat "$d/log"; exit 1
}
base="http://127.0.0.1:$PORT/v1/projects/bench/locations/us/conversations"
start --no-request-telemetry --log-level off
wrk -t2 -c32 -d2s -s bench/server/create.lua "$base" >/dev/null
id=$(curl -s "$base?pageSize=1" | sed -E 's/.*conversations\/([0-9]+)".*/\1/')
stop
rate() { sed -E 's/.*rps=([0-9]+).*/\1/'; }
on=(); off=(); ratios=()
for r in $(seq "$ROUNDS"); do
  start ${ON_FLAGS:-}
  a=$("${WRK_PIN[@]}" wrk -t$WRK_THREADS -c32 -d6s -s bench/server/report.lua "$base/$id?view=FULL" | grep RESULT | rate)
  stop
  start --no-request-telemetry --log-level off
  b=$("${WRK_PIN[@]}" wrk -t$WRK_THREADS -c32 -d6s -s bench/server/report.lua "$base/$id?view=FULL" | grep RESULT | rate)
  stop
  on+=("$a"); off+=("$b"); ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.3f", a/b}')")
  echo "round $r: telemetry on $a/s, off $b/s, on/off ${ratios[-1]}"
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END{print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
echo "median: on $(median "${on[@]}")/s, off $(median "${off[@]}")/s, on/off per round $(median "${ratios[@]}")"
echo "log lines written: $(grep -c '"event":"request"' "$d/log")"
