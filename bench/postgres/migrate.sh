#!/usr/bin/env bash
# `parley migrate` throughput (issue 16): a SQLite store filled by one
# `parley serve` under wrk (bench/server/create.lua: ~2 KB conversations with
# their stored views, 16 connections for SECS seconds), then copied into a
# local throwaway PostgreSQL
# cluster (fsync on) and from there into a new SQLite store. Each copy is
# followed by its verification (both stores read again); the time printed
# is the whole command, and records/s counts conversations.
# Usage: bash bench/postgres/migrate.sh [seconds of creates=10] [batch=256]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-10}
BATCH=${2:-256}
BIN=${BIN:-build/parley}
dir=$(mktemp -d /tmp/parley-bench-migrate.XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  bash scripts/pg-cluster.sh stop "$dir/pg" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
bash scripts/pg-cluster.sh start "$dir/pg" --durable >/dev/null
url=$(cat "$dir/pg/url")
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"

"$BIN" serve --listen 127.0.0.1:18481 --data-dir "$dir/src" --sweep-seconds 3600 --workers 1 2>"$dir/serve.log" &
pid=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:18481/healthz >/dev/null && break; sleep 0.1; done
wrk -t1 -c16 -d${SECS}s -s bench/server/create.lua \
  http://127.0.0.1:18481/v1/projects/bench/locations/us/conversations | grep CREATE || true
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
echo "source: $(du -sh "$dir/src/parley.db" | cut -f1) SQLite"

timed() {  # timed LABEL ARGS...: runs parley migrate, prints the rate
  local label=$1; shift
  local t0 t1 n
  t0=$(date +%s.%N)
  "$BIN" migrate --batch "$BATCH" "$@" >"$dir/out.txt"
  t1=$(date +%s.%N)
  n=$(awk -F'\t' '$1 == "conversations" {print $2}' "$dir/out.txt")
  awk -v l="$label" -v n="$n" -v a="$t0" -v b="$t1" \
    'BEGIN {printf "%-22s %d conversations in %.1f s (copy + verify): %.0f conversations/s\n", l, n, b - a, n / (b - a)}'
  grep -c $'\tok$' "$dir/out.txt" | xargs -I{} echo "  {} kinds ok"
}
timed "sqlite -> postgres" --from "sqlite:$dir/src" --to "$url"
timed "postgres -> sqlite" --from "$url" --to "sqlite:$dir/back"
t0=$(date +%s.%N)
"$BIN" migrate --batch "$BATCH" --from "sqlite:$dir/src" --to "$url" --verify-only >/dev/null
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN {printf "verify only (sqlite vs postgres): %.1f s\n", b - a}'
