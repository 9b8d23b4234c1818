#!/usr/bin/env bash
# What view leases (ADR 0050) cost a write: PATCHes on node A of a PostgreSQL
# store, 16 connections, in three set-ups side by side in each round:
#   alone     A is the only node
#   leased    node B runs beside it with its view cache on: B holds a view
#             lease, so each of A's writes waits for B's answer to its mark
#   no-lease  node B runs with --view-cache-mb 0: no lease, nothing to wait for
# B serves nothing during the phase (it only has to answer); the ratio
# leased/alone is the price, paid by writes, for B's hits needing no round trip.
#
# Usage: [ROUNDS=3] [SECS=8] [CONNS=16] [BIN=build/parley] [PORT=18770] \
#          bash bench/postgres/update_nodes.sh
# Runs its own local PostgreSQL cluster (fsync on: these are writes) in a
# temporary directory, loads 2,000 conversations, and removes it all at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-8}
BIN=${BIN:-build/parley}
PORT=${PORT:-18770}
LOADER=${LOADER:-build/bench/postgres/load_conversations}
dir=$(mktemp -d /tmp/parley-update-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  bash scripts/pg-cluster.sh stop "$dir/pg" >/dev/null 2>&1 || true
  [ -n "${KEEP_LOGS:-}" ] && cp "$dir"/*.log "$KEEP_LOGS"/ 2>/dev/null; rm -rf "$dir"
}
trap cleanup EXIT
bash scripts/pg-cluster.sh start "$dir/pg" --durable >/dev/null
url=$(cat "$dir/pg/url")
"$LOADER" --store "$url" --count 2000 >/dev/null
psql "$url" -XAtc "select id from conversations where tenant = 'bench'" >"$dir/ids.patch"
base=/v1/projects/bench/locations/us/conversations
. bench/postgres/servers.sh  # start NAME PORT [flags], stop PID, field NAME
metric() { curl -sf "http://127.0.0.1:$1/metrics" | sed -nE "s/^$2 ([0-9.e+]+)$/\1/p"; }
phase() {  # phase LABEL: PATCHes on A (port $PORT)
  local r awaited
  awaited=$(metric $PORT parley_postgres_writes_awaited_total)
  r=$(IDS_FILE="$dir/ids.patch" wrk -t1 -c${CONNS:-16} -d${SECS}s -s bench/postgres/patch_many.lua "http://127.0.0.1:$PORT$base/" | grep RESULT)
  printf '%-9s PATCH %6s/s p50 %6s ms p99 %7s ms errors %s (writes that waited: %s)\n' "$1" "$(echo "$r" | field rps)" \
    "$(echo "$r" | field p50_ms)" "$(echo "$r" | field p99_ms)" "$(echo "$r" | field errors)" \
    "$(awk -v a="$(metric $PORT parley_postgres_writes_awaited_total)" -v b="$awaited" 'BEGIN {print a - b}')"
  echo "$1 $(echo "$r" | field rps) $(echo "$r" | field p50_ms)" >>"$dir/update_rates"
}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GB, load $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$dir/update_rates"
start node-a $PORT --data-dir "$dir/node-a" --store "$url"
a=$pid
IDS_FILE="$dir/ids.patch" wrk -t1 -c16 -d2s -s bench/postgres/patch_many.lua "http://127.0.0.1:$PORT$base/" >/dev/null  # warm
for round in $(seq "$ROUNDS"); do
  echo "round $round, load $(cut -d' ' -f1-3 /proc/loadavg)"
  phase alone
  start node-b $((PORT + 1)) --data-dir "$dir/node-b" --store "$url"
  for _ in $(seq 100); do [ "$(metric $((PORT + 1)) parley_postgres_view_lease_held)" = 1 ] && break; sleep 0.1; done
  sleep 0.5  # A's list of leases has B
  phase leased
  stop $pid
  start node-b0 $((PORT + 1)) --data-dir "$dir/node-b0" --store "$url" --view-cache-mb 0
  phase no-lease
  stop $pid
done
stop $a
echo "median over $ROUNDS rounds:"
python3 - "$dir/update_rates" <<'PYEOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, rps, p50 = line.split()
    rows.setdefault(name, []).append((float(rps), float(p50)))
alone = statistics.median(r for r, _ in rows["alone"])
for name in ("alone", "leased", "no-lease"):
    rps = statistics.median(r for r, _ in rows[name])
    p50 = statistics.median(p for _, p in rows[name])
    print(f"  {name:9s} {rps:8.0f} PATCH/s  p50 {p50:.3f} ms  ({rps / alone:.2f} of alone; rounds: "
          + " ".join(f"{r:.0f}" for r, _ in rows[name]) + ")")
PYEOF
