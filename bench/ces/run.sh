#!/usr/bin/env bash
# CES runSession benchmark (issue 11 target: p99 <= 10 ms at 16 concurrent
# sessions with the local agent): each call is one turn — intent detection
# over 20 intents, FAQ retrieval over 100 documents when no intent matches,
# the reply, and one durable write appending the turn (messages + spans) to
# the session's conversation. GET /healthz in the same run for the ratio.
# Usage: bash bench/ces/run.sh [seconds=10]   (PIN=1: server on CPU 0, wrk on CPU 1;
# SESSIONS=N: round-robin over N sessions, 256 by default — fewer, longer
# conversations cost more per turn, since each turn rewrites its conversation)
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-10}
PORT=${PORT:-18091}
BIN=${BIN:-build/parley}
dir=$(mktemp -d /tmp/parley-bench-ces.XXXXXX)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
"$BIN" serve --listen 127.0.0.1:$PORT --data-dir "$dir/data" --sweep-seconds 3600 \
  $([ "${PIN:-0}" = 1 ] && echo --threads 1) 2>"$dir/server.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"
node bench/ces/setup.mjs "http://127.0.0.1:$PORT" > "$dir/sessions.txt"
WRK=(wrk -t2)
if [ "${PIN:-0}" = 1 ]; then
  taskset -a -p -c 0 $pid >/dev/null
  WRK=(taskset -c 1 wrk -t1)
fi
run() { SESSIONS_FILE="$dir/sessions.txt" "${WRK[@]}" -c16 "$@" -s bench/ces/session.lua "http://127.0.0.1:$PORT"; }
run -d2s >/dev/null  # warm up: the FAQ index is built on its first search
echo "== healthz, 16 connections, ${SECS}s"
"${WRK[@]}" -c16 -d${SECS}s -s bench/server/report.lua "http://127.0.0.1:$PORT/healthz" | grep RESULT | tee "$dir/healthz.txt"
echo "== runSession (local agent), 16 connections over ${SESSIONS:-256} sessions, ${SECS}s"
cpu() { awk '{print $14 + $15}' /proc/$pid/stat; }
c0=$(cpu)
run -d${SECS}s | grep RESULT | tee "$dir/session.txt"
c1=$(cpu)
n=$(sed -E 's/.*requests=([0-9]+).*/\1/' "$dir/session.txt")
echo "server CPU per runSession call: $(awk -v c=$((c1 - c0)) -v n=$n -v hz=$(getconf CLK_TCK) \
  'BEGIN {printf "%.0f us", c / hz / n * 1e6}')"
h=$(sed -E 's/.*rps=([0-9]+).*/\1/' "$dir/healthz.txt")
a=$(sed -E 's/.*rps=([0-9]+).*/\1/' "$dir/session.txt")
echo "runSession/healthz ratio: $(awk -v a=$a -v h=$h 'BEGIN {printf "%.3f", a/h}')"
echo "turns per session at the end: $(curl -s "http://127.0.0.1:$PORT/v1/$(head -1 "$dir/sessions.txt" | sed 's|/sessions/|/conversations/|')?fields=turnCount")"
echo "server RSS: $(awk '/VmRSS/ {printf "%.1f MB", $2/1024}' /proc/$pid/status)"
