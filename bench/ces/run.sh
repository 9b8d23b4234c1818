#!/usr/bin/env bash
# CES runSession benchmark (issue 11 target: p99 <= 10 ms at 16 concurrent
# sessions with the local agent): each call is one turn — intent detection
# over 20 intents, FAQ retrieval over 100 documents when no intent matches,
# the reply, and one durable write appending the turn (messages + spans) to
# the session's conversation. GET /healthz in the same run for the ratio.
# Closed loop (wrk, saturation) then open loop at RATE calls/s, as
# bench/dialogflow/run.sh.
# Usage: bash bench/ces/run.sh [seconds=10]   (PIN=1: server on CPU 0, load generators on
# CPU 1; RATE=N: the open loop's calls/s, 2000 by default, 0 skips it;
# SESSIONS=N: round-robin over N sessions, 256 by default — fewer, longer
# conversations cost more per turn, since each turn rewrites its conversation)
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-10}
PORT=${PORT:-18091}
source bench/common/endpoint_bench.sh
bench_start ces
node bench/ces/setup.mjs "$base" > "$dir/sessions.txt"
bench_wrk 2 bench/ces/session.lua SESSIONS_FILE="$dir/sessions.txt" >/dev/null  # warm up: the FAQ index is built on its first search
bench_healthz "$SECS"
echo "== runSession (local agent), 16 connections over ${SESSIONS:-256} sessions, ${SECS}s"
bench_measure runSession "$SECS" bench/ces/session.lua SESSIONS_FILE="$dir/sessions.txt"
echo "GET /healthz" > "$dir/healthz.req"
bench_open healthz "$SECS" "$dir/healthz.req"
bench_requests "$dir/sessions.txt" bench/ces/texts.txt '/v1/%s:runSession' \
  '{"config": {}, "inputs": [{"text": "%s"}]}' > "$dir/session.req"
bench_open runSession "$SECS" "$dir/session.req"
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "turns per session at the end: $(curl -s "$base/v1/$(head -1 "$dir/sessions.txt" | sed 's|/sessions/|/conversations/|')?fields=turnCount")"
bench_rss
