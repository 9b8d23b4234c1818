#!/usr/bin/env bash
# Server benchmarks for the Insights conversations API (issue targets):
#   1. create, 32 concurrent clients, 10-segment ~2 KB conversations -> conversations/s
#   2. get view=FULL vs GET /healthz, same run, wrk -> ratio, p99
#   3. list with a filter, page of 100, over N stored conversations -> p50
#   4. resident memory of the server holding N conversations
# Usage: bash bench/server/run.sh [N=100000] [seconds per phase=10]
# (server flags: EXTRA="--view-cache-mb 0" ...; PIN=1 pins the GET phases, see below)
# Server and load generator share this machine; the server gets 2 network threads
# (1 with PIN=1).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-100000}
SECS=${2:-10}
PORT=${PORT:-18080}
BIN=${BIN:-build/parley}
here=bench/server
dir=$(mktemp -d /tmp/parley-bench.XXXXXX)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT

start() {
  # PIN=1: one network thread, so that pinned to one CPU it is not preempted by a second
  "$BIN" serve --listen 127.0.0.1:$PORT --data-dir "$dir/data" --sweep-seconds 3600 \
    $([ "${PIN:-0}" = 1 ] && echo --threads 1) ${EXTRA:-} 2>"$dir/server.log" &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return; sleep 0.1; done
  echo "server did not start"; cat "$dir/server.log"; exit 1
}
base="http://127.0.0.1:$PORT/v1/projects/bench/locations/us/conversations"
start
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"

# 1. create throughput (also loads the store).
echo "== create: 32 connections, ${SECS}s"
wrk -t2 -c32 -d${SECS}s -s $here/create.lua "$base" | tee "$dir/create.txt" | grep -E "Requests/sec|Latency|requests in|CREATE"
created=$(curl -s "$base?pageSize=1" >/dev/null; sqlite3 "$dir/data/parley.db" 'select count(*) from conversations')
echo "stored after create phase: $created"

# Top the store up to N conversations for the list and memory phases.
if [ "$created" -lt "$N" ]; then
  need=$((N - created))
  echo "== loading $need more conversations"
  # wrk has no request cap; loop short runs until the count is reached.
  while [ "$(sqlite3 "$dir/data/parley.db" 'select count(*) from conversations')" -lt "$N" ]; do
    wrk -t2 -c32 -d5s -s $here/create.lua "$base" >/dev/null
  done
fi
total=$(sqlite3 "$dir/data/parley.db" 'select count(*) from conversations')
echo "stored: $total"

# 2. get FULL vs healthz, side by side. PIN=1: for these phases the server's
# threads move to CPU 0 and wrk (one thread) runs on CPU 1, so neither preempts
# the other and the latency tail is the server's (unpinned, /healthz itself
# shows the scheduler's tail).
WRK_GET=(wrk -t2)
if [ "${PIN:-0}" = 1 ]; then
  taskset -a -p -c 0 $pid >/dev/null
  WRK_GET=(taskset -c 1 wrk -t1)
  echo "(pinned: server threads on CPU 0, one network thread; wrk -t1 on CPU 1)"
fi
id=$(curl -s "$base?pageSize=1" | sed -E 's/.*conversations\/([0-9]+)".*/\1/')
echo "== healthz, ${SECS}s"
"${WRK_GET[@]}" -c32 -d${SECS}s -s $here/report.lua "http://127.0.0.1:$PORT/healthz" | grep RESULT | tee "$dir/healthz.txt"
echo "== get view=FULL ($id), ${SECS}s"
"${WRK_GET[@]}" -c32 -d${SECS}s -s $here/report.lua "$base/$id?view=FULL" | grep RESULT | tee "$dir/get.txt"
h=$(sed -E 's/.*rps=([0-9]+).*/\1/' "$dir/healthz.txt")
g=$(sed -E 's/.*rps=([0-9]+).*/\1/' "$dir/get.txt")
echo "get/healthz ratio: $(awk -v g=$g -v h=$h 'BEGIN {printf "%.2f", g/h}')"
# The same over a working set of 10,000 conversations picked at random per
# request (the one-id GET above is served from the view cache after its first
# read; here ~10k x 2.5 KB views compete for the default 32 MiB).
sqlite3 "$dir/data/parley.db" "select id from conversations where tenant = 'bench' order by random() limit 10000" > "$dir/ids.txt"
echo "== get view=FULL, random id of $(wc -l < "$dir/ids.txt"), ${SECS}s"
IDS_FILE="$dir/ids.txt" "${WRK_GET[@]}" -c32 -d${SECS}s -s $here/get_many.lua "$base/" | grep RESULT | tee "$dir/get_many.txt"
gm=$(sed -E 's/.*rps=([0-9]+).*/\1/' "$dir/get_many.txt")
echo "get(10k ids)/healthz ratio: $(awk -v g=$gm -v h=$h 'BEGIN {printf "%.2f", g/h}')"
if [ "${PIN:-0}" = 1 ]; then taskset -a -p -c 0-$(($(nproc) - 1)) $pid >/dev/null; fi

# 3. list with a filter, page of 100 (a single connection measures latency, not queueing).
filter='agent_id%3D%22agent-7%22%20AND%20labels.queue%3D%22billing%22'
echo "== list filter agent_id+labels, pageSize=100, 1 connection, ${SECS}s"
wrk -t1 -c1 -d${SECS}s -s $here/report.lua "$base?filter=$filter&pageSize=100" | grep RESULT
echo "== list filter medium=CHAT create_time desc, pageSize=100, 1 connection, ${SECS}s"
wrk -t1 -c1 -d${SECS}s -s $here/report.lua "$base?filter=medium%3DCHAT&pageSize=100" | grep RESULT
echo "== list filter turn_count>=5 orderBy duration, pageSize=100, 1 connection, ${SECS}s"
wrk -t1 -c1 -d${SECS}s -s $here/report.lua "$base?filter=turn_count%3E%3D5&orderBy=duration&pageSize=100" | grep RESULT

# 4. resident memory holding N conversations (after the phases above).
echo "server RSS with $total conversations: $(awk '/VmRSS/ {printf "%.1f MB", $2/1024}' /proc/$pid/status)"
