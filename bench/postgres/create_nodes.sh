#!/usr/bin/env bash
# Create throughput, SQLite beside PostgreSQL, one node beside two (issue 16):
#   0. /healthz on one node, 32 connections (the machine's ceiling for a request)
#   1. one `parley serve` on SQLite, 32 connections of wrk (bench/server/create.lua)
#   2. one node on PostgreSQL (a local throwaway cluster, fsync on,
#      synchronous_commit on), 32 connections
#   3. two nodes on that database, 32 connections each, at the same time
# Same run, same machine, so the ratios are side by side. On a shared 2-core
# machine the machine is the limit, so each phase also prints the CPU time per
# create of the Parley node(s) and of the PostgreSQL server (postmaster and
# every backend), and the rate those two would allow on all the cores.
# Usage: bash bench/postgres/create_nodes.sh [seconds per phase=10]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-10}
BIN=${BIN:-build/parley}
dir=$(mktemp -d /tmp/parley-bench-pg.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  bash scripts/pg-cluster.sh stop "$dir/pg" >/dev/null 2>&1 || true
  grep -h '"status":[45]' "$dir"/*.log 2>/dev/null | head -3 || true
  rm -rf "$dir"
}
trap cleanup EXIT
bash scripts/pg-cluster.sh start "$dir/pg" --durable >/dev/null
url=$(cat "$dir/pg/url")
postmaster=$(head -1 "$(cat "$dir/pg/pgdata")/data/postmaster.pid")
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"
echo "postgres: $(psql "$url" -XAtc 'show server_version'), fsync=$(psql "$url" -XAtc 'show fsync')," \
  "synchronous_commit=$(psql "$url" -XAtc 'show synchronous_commit')"

start() {  # start NAME PORT [serve flags...]: sets $pid
  local name=$1 port=$2
  shift 2
  "$BIN" serve --listen 127.0.0.1:$port --data-dir "$dir/$name" --sweep-seconds 3600 --workers 1 "$@" \
    2>"$dir/$name.log" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.1; done
  echo "server $name did not start"; cat "$dir/$name.log"; exit 1
}
cpu() {  # cpu PID...: their CPU ticks
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null || echo 0))); done
  echo $t
}
pg_cpu() { cpu $postmaster $(cat /proc/$postmaster/task/*/children); }
rate() { sed -nE 's/.*rps=([0-9.]+).*/\1/p' "$1"; }
requests() { sed -nE 's/.*requests=([0-9]+).*/\1/p' "$1"; }
create() {  # create PORT OUT: one wrk phase
  wrk -t1 -c32 -d${SECS}s -s bench/server/create.lua "http://127.0.0.1:$1/v1/projects/bench/locations/us/conversations" \
    | grep CREATE >"$2"
}
us() {  # us CPU_TICKS REQUESTS: microseconds per request
  awk -v c=$1 -v n=$2 -v hz=$(getconf CLK_TCK) 'BEGIN {printf "%.0f", c / hz / n * 1e6}'
}
bound() {  # bound US_PER_REQUEST: requests/s all the cores allow
  awk -v u=$1 -v n=$(nproc) 'BEGIN {printf "%.0f", n * 1e6 / u}'
}

start sqlite 18471
wrk -t1 -c32 -d${SECS}s -s bench/server/report.lua "http://127.0.0.1:18471/healthz" | grep RESULT >"$dir/healthz.txt"
echo "healthz, 1 node:    $(rate "$dir/healthz.txt") requests/s ($(cat "$dir/healthz.txt"))"
c0=$(cpu $pid); create 18471 "$dir/sqlite.txt"; c1=$(cpu $pid)
s_us=$(us $((c1 - c0)) $(requests "$dir/sqlite.txt"))
echo "sqlite, 1 node:     $(rate "$dir/sqlite.txt") creates/s ($(cat "$dir/sqlite.txt")), CPU per create: parley $s_us us (bound $(bound $s_us)/s)"
kill $pid; wait $pid 2>/dev/null || true

start pg1 18472 --store "$url"
p1=$pid
c0=$(cpu $p1); g0=$(pg_cpu); create 18472 "$dir/pg1.txt"; c1=$(cpu $p1); g1=$(pg_cpu)
n=$(requests "$dir/pg1.txt")
n_us=$(us $((c1 - c0)) $n); g_us=$(us $((g1 - g0)) $n)
echo "postgres, 1 node:   $(rate "$dir/pg1.txt") creates/s ($(cat "$dir/pg1.txt")), CPU per create: parley $n_us us + postgres $g_us us (bound $(bound $((n_us + g_us)))/s)"

start pg2 18473 --store "$url"
p2=$pid
c0=$(cpu $p1 $p2); g0=$(pg_cpu)
create 18472 "$dir/pg2a.txt" & w1=$!
create 18473 "$dir/pg2b.txt" & w2=$!
wait $w1 $w2
c1=$(cpu $p1 $p2); g1=$(pg_cpu)
a=$(rate "$dir/pg2a.txt"); b=$(rate "$dir/pg2b.txt")
n=$(($(requests "$dir/pg2a.txt") + $(requests "$dir/pg2b.txt")))
n_us=$(us $((c1 - c0)) $n); g_us=$(us $((g1 - g0)) $n)
echo "postgres, 2 nodes:  $a + $b = $(awk -v a=$a -v b=$b 'BEGIN {print a + b}') creates/s ($(cat "$dir/pg2a.txt"); $(cat "$dir/pg2b.txt")), CPU per create: parley $n_us us + postgres $g_us us (bound $(bound $((n_us + g_us)))/s)"
echo "two nodes / one node: $(awk -v a=$a -v b=$b -v o=$(rate "$dir/pg1.txt") 'BEGIN {printf "%.2f", (a + b) / o}')"
echo "postgres / sqlite, one node: $(awk -v p=$(rate "$dir/pg1.txt") -v s=$(rate "$dir/sqlite.txt") 'BEGIN {printf "%.2f", p / s}')"
echo "create / healthz: sqlite $(awk -v p=$(rate "$dir/sqlite.txt") -v h=$(rate "$dir/healthz.txt") 'BEGIN {printf "%.2f", p / h}')," \
  "postgres $(awk -v p=$(rate "$dir/pg1.txt") -v h=$(rate "$dir/healthz.txt") 'BEGIN {printf "%.2f", p / h}')"
echo "rows: $(psql "$url" -XAtc 'select count(*) from conversations'), load after: $(cut -d' ' -f1-3 /proc/loadavg)"
