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
source bench/common/endpoint_bench.sh
bench_start df
node bench/dialogflow/setup.mjs "$base" > "$dir/participants.txt"
# Warm up: the first search of each knowledge base builds its index.
bench_wrk 2 bench/dialogflow/analyze.lua PARTICIPANTS_FILE="$dir/participants.txt" >/dev/null
bench_healthz "$SECS"
echo "== analyzeContent (sentiment + articles + FAQ), 16 connections over 256 conversations, ${SECS}s"
bench_measure analyzeContent "$SECS" bench/dialogflow/analyze.lua PARTICIPANTS_FILE="$dir/participants.txt"
bench_rss
