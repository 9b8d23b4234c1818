#!/usr/bin/env bash
# Dialogflow analyzeContent benchmark (issue 10 target: p99 <= 10 ms and
# >= 2,000 calls/s at 16 concurrent conversations): sentiment + ARTICLE_SUGGESTION
# + FAQ suggestions over a 1,000-document knowledge base (500 FAQ documents of
# 15 rows, 500 articles of 5 paragraphs), GET /healthz in the same run for the
# ratio. Each call stores one message (a durable write) and searches both
# knowledge bases with the conversation's last 20 messages.
# Two measurements: wrk's closed loop at saturation (16 connections, each
# sending its next call when the last returns), then an open loop at a fixed
# RATE (2000 calls/s by default) over 16 connections, latency from each
# call's due time (bench/common/openloop.cc); /healthz is measured both ways
# in the same run. The open loop runs second, on conversations the closed
# loop has already made long (~120 messages each).
# Usage: bash bench/dialogflow/run.sh [seconds=10]   (PIN=1: server on CPU 0, load generators
# on CPU 1; RATE=N: the open loop's calls/s, 0 skips it; PREFILL=N: first N messages in each
# conversation, the same count whichever build runs, e.g. CLOSED=0 PREFILL=120 for long ones)
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-10}
PORT=${PORT:-18090}
source bench/common/endpoint_bench.sh
bench_start df
node bench/dialogflow/setup.mjs "$base" > "$dir/participants.txt"
# Warm up: the first search of each knowledge base builds its index.
bench_wrk 2 bench/dialogflow/analyze.lua PARTICIPANTS_FILE="$dir/participants.txt" >/dev/null
bench_requests "$dir/participants.txt" bench/dialogflow/texts.txt '/v2/%s:analyzeContent' \
  '{"textInput": {"text": "%s", "languageCode": "en-US"}}' > "$dir/analyze.req"
if [ "${PREFILL:-0}" -gt 0 ]; then
  # The same number of messages in every conversation whichever build runs
  # (a closed loop's count follows the build's speed): PREFILL calls per
  # conversation, offered at 4,000/s and sent whatever the server's pace.
  n=$(( PREFILL * $(wc -l < "$dir/participants.txt") ))
  echo "== prefill: $PREFILL messages per conversation ($n calls)"
  "${OPEN[@]}" --port "$PORT" --rate 4000 --seconds "$(awk -v n=$n 'BEGIN {print n / 4000}')" \
    --warmup-seconds 0 --connections 16 --requests "$dir/analyze.req" | sed 's/^OPEN/PREFILL/'
fi
bench_healthz "$SECS"
echo "== analyzeContent (sentiment + articles + FAQ), 16 connections over 256 conversations, ${SECS}s"
bench_measure analyzeContent "$SECS" bench/dialogflow/analyze.lua PARTICIPANTS_FILE="$dir/participants.txt"
echo "GET /healthz" > "$dir/healthz.req"
bench_open healthz "$SECS" "$dir/healthz.req"
bench_open analyzeContent "$SECS" "$dir/analyze.req"
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
bench_rss
