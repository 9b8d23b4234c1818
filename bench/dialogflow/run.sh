#!/usr/bin/env bash
# Dialogflow analyzeContent benchmark (issue 10 target: p99 <= 10 ms and
# >= 2,000 calls/s at 16 concurrent conversations): sentiment + ARTICLE_SUGGESTION
# + FAQ suggestions over a 1,000-document knowledge base (500 FAQ documents of
# 15 rows, 500 articles of 5 paragraphs), GET /healthz in the same run for the
# ratio. Each call stores one message (a durable write) and searches both
# knowledge bases with the conversation's last 20 messages.
# Usage: bash bench/dialogflow/run.sh [seconds=10]   (PIN=1: server on CPU 0, wrk on CPU 1)
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-10}
PORT=${PORT:-18090}
BIN=${BIN:-build/parley}
dir=$(mktemp -d /tmp/parley-bench-df.XXXXXX)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
"$BIN" serve --listen 127.0.0.1:$PORT --data-dir "$dir/data" --sweep-seconds 3600 \
  $([ "${PIN:-0}" = 1 ] && echo --threads 1) ${EXTRA:-} 2>"$dir/server.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"
node bench/dialogflow/setup.mjs "http://127.0.0.1:$PORT" > "$dir/participants.txt"
WRK=(wrk -t2)
if [ "${PIN:-0}" = 1 ]; then
  taskset -a -p -c 0 $pid >/dev/null
  WRK=(taskset -c 1 wrk -t1)
fi
# Warm up: the first search of each knowledge base builds its index.
PARTICIPANTS_FILE="$dir/participants.txt" "${WRK[@]}" -c16 -d2s -s bench/dialogflow/analyze.lua \
  "http://127.0.0.1:$PORT" >/dev/null
echo "== healthz, 16 connections, ${SECS}s"
"${WRK[@]}" -c16 -d${SECS}s -s bench/server/report.lua "http://127.0.0.1:$PORT/healthz" | grep RESULT | tee "$dir/healthz.txt"
echo "== analyzeContent (sentiment + articles + FAQ), 16 connections over 256 conversations, ${SECS}s"
# Server CPU (user + system, all threads) over the phase, per call: on a
# shared machine the calls/s follow the CPU share the server gets, this does not.
cpu() { awk '{print $14 + $15}' /proc/$pid/stat; }
c0=$(cpu)
PARTICIPANTS_FILE="$dir/participants.txt" "${WRK[@]}" -c16 -d${SECS}s -s bench/dialogflow/analyze.lua \
  "http://127.0.0.1:$PORT" | grep RESULT | tee "$dir/analyze.txt"
c1=$(cpu)
n=$(sed -E 's/.*requests=([0-9]+).*/\1/' "$dir/analyze.txt")
echo "server CPU per analyzeContent call: $(awk -v c=$((c1 - c0)) -v n=$n -v hz=$(getconf CLK_TCK) \
  'BEGIN {printf "%.0f us", c / hz / n * 1e6}')"
h=$(sed -E 's/.*rps=([0-9]+).*/\1/' "$dir/healthz.txt")
a=$(sed -E 's/.*rps=([0-9]+).*/\1/' "$dir/analyze.txt")
echo "analyzeContent/healthz ratio: $(awk -v a=$a -v h=$h 'BEGIN {printf "%.3f", a/h}')"
echo "server RSS: $(awk '/VmRSS/ {printf "%.1f MB", $2/1024}' /proc/$pid/status)"
