#!/usr/bin/env bash
# Reads over a million conversations, SQLite beside PostgreSQL in one run
# (issue 16):
#   1. list with typical Insights filters (agent id, medium, a create_time
#      range, a label, turn count, and those combined), one client, p50/p99
#      of the real HTTP API (pages of 100, newest first);
#   2. GET view=FULL of random conversations (32 connections) beside GET
#      /healthz, on SQLite, on PostgreSQL with the view cache (kept
#      consistent across nodes, ADR 0033) and with --view-cache-mb 0, each
#      server in turn, ROUNDS times; with OLD_BIN the PostgreSQL servers of
#      that binary too, in the same rounds (old against new side by side).
#      Ends with the median GET/healthz ratio of each server.
# Loads N Insights conversations into each store first
# (bench/postgres/load_conversations: the dialect's mapping and the service,
# as the API writes them) unless KEEP=DIR already holds them.
#
#   bash bench/postgres/read_bench.sh [N=1000000]
#   KEEP=DIR   keep the stores (and the PostgreSQL cluster running) in DIR and
#              reuse them next time (stop it: scripts/pg-cluster.sh stop DIR/pg)
#   SECS=5     seconds per measured phase
#   ROUNDS=2   rounds of the GET phases
#   OLD_BIN=build-of-another-commit/parley   also measure that binary's PostgreSQL GETs
#   LISTS=0    skip the list phases
#   PORT=18481 the first of the three ports its servers listen on
# The PostgreSQL cluster is local (Unix socket) with fsync off: these are
# reads; the create benchmark (create_nodes.sh) runs with fsync on.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000000}
SECS=${SECS:-5}
ROUNDS=${ROUNDS:-2}
LISTS=${LISTS:-1}
OLD_BIN=${OLD_BIN:-}
PORT=${PORT:-18481}
BIN=${BIN:-build/parley}
LOADER=${LOADER:-build/bench/postgres/load_conversations}
dir=${KEEP:-$(mktemp -d /tmp/parley-read-bench.XXXXXX)}
mkdir -p "$dir"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ -z "${KEEP:-}" ]; then
    bash scripts/pg-cluster.sh stop "$dir/pg" >/dev/null 2>&1 || true
    rm -rf "$dir"
  fi
}
trap cleanup EXIT
if ! { [ -f "$dir/pg/url" ] && psql "$(cat "$dir/pg/url")" -XAtc 'select 1' >/dev/null 2>&1; }; then
  bash scripts/pg-cluster.sh start "$dir/pg" >/dev/null
fi
url=$(cat "$dir/pg/url")
sq() { sqlite3 "$dir/sqlite/parley.db" "$1"; }
pq() { psql "$url" -XAtc "$1"; }
count_sqlite() { [ -f "$dir/sqlite/parley.db" ] && sq "select count(*) from conversations" || echo 0; }
count_pg() { pq "select count(*) from conversations" 2>/dev/null || echo 0; }
n=$(count_sqlite)
if [ "$n" -lt "$N" ]; then "$LOADER" --store "sqlite:$dir/sqlite" --count $((N - n)); fi
n=$(count_pg)
if [ "$n" -lt "$N" ]; then "$LOADER" --store "$url" --count $((N - n)); fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GB, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"
echo "conversations: sqlite $(count_sqlite), postgres $(count_pg)"

. bench/postgres/servers.sh  # start NAME PORT [flags], stop PID, field NAME
base=/v1/projects/bench/locations/us/conversations

# The list paths of each filter kind, into $dir/paths.KIND.
paths() {  # paths MIN_CREATE_US MAX_CREATE_US
  python3 bench/postgres/list_paths.py "$dir" "$base" "$1" "$2"
}
list_phase() {  # list_phase PORT LABEL
  local kind r
  for kind in none agent medium time label turns combined; do
    r=$(PATHS_FILE="$dir/paths.$kind" wrk -t1 -c1 -d${SECS}s -s bench/postgres/list.lua "http://127.0.0.1:$1" | grep RESULT)
    printf '%-9s list %-8s p50 %7s ms  p99 %7s ms  (%s/s, errors %s)\n' "$2" "$kind" \
      "$(echo "$r" | field p50_ms)" "$(echo "$r" | field p99_ms)" "$(echo "$r" | field rps)" "$(echo "$r" | field errors)"
  done
}
get_phase() {  # get_phase PORT LABEL IDS_FILE
  local h g hr gr
  IDS_FILE="$3" wrk -t2 -c32 -d2s -s bench/server/get_many.lua "http://127.0.0.1:$1$base/" >/dev/null  # warm
  h=$(wrk -t2 -c32 -d${SECS}s -s bench/server/report.lua "http://127.0.0.1:$1/healthz" | grep RESULT)
  g=$(IDS_FILE="$3" wrk -t2 -c32 -d${SECS}s -s bench/server/get_many.lua "http://127.0.0.1:$1$base/" | grep RESULT)
  hr=$(echo "$h" | field rps); gr=$(echo "$g" | field rps)
  printf '%-9s healthz %6s/s p99 %6s ms | GET FULL %6s/s p50 %6s ms p99 %6s ms errors %s | GET/healthz %s\n' "$2" \
    "$hr" "$(echo "$h" | field p99_ms)" "$gr" "$(echo "$g" | field p50_ms)" "$(echo "$g" | field p99_ms)" \
    "$(echo "$g" | field errors)" "$(awk -v g="$gr" -v h="$hr" 'BEGIN {printf "%.2f", g / h}')"
  echo "$2 $(awk -v g="$gr" -v h="$hr" 'BEGIN {printf "%.4f", g / h}')" >>"$dir/ratios"
}

# The list phases, one store after the other.
sq "select id from conversations where tenant = 'bench' order by random() limit 10000" >"$dir/ids.sqlite"
pq "select id from conversations where tenant = 'bench' order by random() limit 10000" >"$dir/ids.pg"
if [ "$LISTS" != 0 ]; then
  paths $(sq "select min(create_time) from conversations where tenant = 'bench'") \
        $(sq "select max(create_time) from conversations where tenant = 'bench'")
  start sqlite $PORT --data-dir "$dir/sqlite"
  list_phase $PORT sqlite
  stop $pid
  paths $(pq "select min(create_time) from conversations where tenant = 'bench'") \
        $(pq "select max(create_time) from conversations where tenant = 'bench'")
  start postgres $((PORT + 1)) --data-dir "$dir/node-pg" --store "$url"
  list_phase $((PORT + 1)) postgres
  stop $pid
fi

# GET FULL beside /healthz: every server in turn, ROUNDS times, so that the
# ratios are read beside each other.
rm -f "$dir/ratios"
get_round() {  # get_round LABEL_SUFFIX: the PostgreSQL servers of $SERVER_BIN
  start "postgres$1" $((PORT + 1)) --data-dir "$dir/node-pg" --store "$url"
  get_phase $((PORT + 1)) "postgres$1" "$dir/ids.pg"
  stop $pid
  start "pg-nocache$1" $((PORT + 2)) --data-dir "$dir/node-pg0" --store "$url" --view-cache-mb 0
  get_phase $((PORT + 2)) "pg-nocache$1" "$dir/ids.pg"
  stop $pid
}
for round in $(seq "$ROUNDS"); do
  echo "round $round, load $(cut -d' ' -f1-3 /proc/loadavg)"
  start sqlite $PORT --data-dir "$dir/sqlite"
  get_phase $PORT sqlite "$dir/ids.sqlite"
  stop $pid
  SERVER_BIN= get_round ""
  if [ -n "$OLD_BIN" ]; then SERVER_BIN=$OLD_BIN get_round "-old"; fi
done
echo "median GET/healthz over $ROUNDS rounds:"
sort -k1,1 -k2,2n "$dir/ratios" | awk '
  { v[$1] = v[$1] " " $2; n[$1]++ }
  END { for (k in v) { split(substr(v[k], 2), a, " "); m = n[k];
        printf "  %-16s %.2f  (%s)\n", k, (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2, substr(v[k], 2) } }'
