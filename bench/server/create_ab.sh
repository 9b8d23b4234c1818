#!/usr/bin/env bash
# Create throughput of several parley binaries, side by side: for each round and binary, a
# fresh server and data directory, then SECS seconds of 32 connections creating 2 KB
# conversations (create.lua). Alternating binaries spreads the machine's noise over all.
#   bash bench/server/create_ab.sh SECS ROUNDS BIN [BIN...]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=$1; ROUNDS=$2; shift 2
PORT=${PORT:-18182}
for r in $(seq "$ROUNDS"); do
  for bin in "$@"; do
    d=$(mktemp -d)
    "$bin" serve --listen 127.0.0.1:$PORT --data-dir "$d/data" --sweep-seconds 3600 ${EXTRA:-} 2>"$d/log" &
    pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.05; done
    out=$(wrk -t2 -c32 -d"${SECS}s" -s "${CREATE_LUA:-bench/server/create.lua}" \
      "http://127.0.0.1:$PORT/v1/projects/bench/locations/us/conversations")
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    errors=$(echo "$out" | sed -nE 's/.*CREATE .*errors=([0-9]+).*/\1/p')
    kill $pid; wait $pid 2>/dev/null || true
    echo "round $r $bin: $rps creates/s${errors:+, errors $errors}"
    rm -rf "$d"
  done
done
