#!/usr/bin/env bash
# What request logs and metrics cost on GET throughput: the same data dir
# served in turn with request telemetry off (--no-request-telemetry
# --log-level off), with metrics alone (--log-level off), with metrics and a
# JSON log line a request (the default) and with metrics and a text line a
# request, ROUNDS rounds of 6 s wrk runs of GET view=FULL of one
# conversation, one run of each configuration a round on a freshly started
# server, so that the machine's noise falls on all alike. Log lines go to a
# file. Prints each round, the medians and the median of the per-round
# ratios to "off", for requests a second and for the server's CPU time a
# request (user + system, the log writer thread included: on a shared
# machine the rate follows the CPU share the server gets, CPU a request
# much less).
#   bash bench/server/telemetry_cost.sh [BIN=build/parley]
#   ROUNDS=7 PIN=1 bash bench/server/telemetry_cost.sh   # server on CPU 0, wrk on CPU 1
#   CONFIGS="off json" bash bench/server/telemetry_cost.sh   # a subset
#   BASE_BIN=/tmp/old-parley CONFIGS="off json json:base" bash ...   # ":base": served by BASE_BIN
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-build/parley}
PORT=${PORT:-18191}
ROUNDS=${ROUNDS:-5}
CONFIGS=${CONFIGS:-off metrics json text}
d=$(mktemp -d)
SERVER_PIN=(); WRK_PIN=(); WRK_THREADS=2; PIN_FLAGS=""
if [ "${PIN:-0}" = 1 ]; then
  SERVER_PIN=(taskset -c 0); WRK_PIN=(taskset -c 1); WRK_THREADS=1; PIN_FLAGS="--threads 1"
fi
pid=
stop() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; fi; }
trap 'stop; rm -rf "$d"' EXIT
start() {
  local bin=$BIN
  if [ "${1:-}" = --base ]; then bin=$BASE_BIN; shift; fi
  "${SERVER_PIN[@]}" "$bin" serve --listen 127.0.0.1:$PORT --data-dir "$d/data" --sweep-seconds 3600 $PIN_FLAGS "$@" 2>>"$d/log" &
  pid=$!
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return; sleep 0.05; done
  echo "server did not start"; cat "$d/log"; exit 1
}
flags() {
  case "$1" in *:base) echo -n "--base "; set -- "${1%:base}" ;; esac
  case "$1" in
    off) echo "--no-request-telemetry --log-level off" ;;
    metrics) echo "--log-level off" ;;
    json) echo "--log-format json" ;;
    text) echo "--log-format text" ;;
    *) echo "unknown configuration $1" >&2; exit 2 ;;
  esac
}
base="http://127.0.0.1:$PORT/v1/projects/bench/locations/us/conversations"
start --no-request-telemetry --log-level off
wrk -t2 -c32 -d2s -s bench/server/create.lua "$base" >/dev/null
id=$(curl -s "$base?pageSize=1" | sed -E 's/.*conversations\/([0-9]+)".*/\1/')
stop
rate() { sed -E 's/.*rps=([0-9]+).*/\1/'; }
requests() { sed -E 's/.*requests=([0-9]+).*/\1/'; }
cpu() { awk '{print $14 + $15}' /proc/$pid/stat; }
HZ=$(getconf CLK_TCK)
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END{print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
declare -A rates ratios cpus cpu_ratios
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
  line="round $r:"
  declare -A this=() this_cpu=()
  for c in $CONFIGS; do
    # shellcheck disable=SC2046
    start $(flags "$c")
    c0=$(cpu)
    result=$("${WRK_PIN[@]}" wrk -t$WRK_THREADS -c32 -d6s -s bench/server/report.lua "$base/$id?view=FULL" | grep RESULT)
    c1=$(cpu)
    stop
    this[$c]=$(echo "$result" | rate)
    this_cpu[$c]=$(awk -v c=$((c1 - c0)) -v n="$(echo "$result" | requests)" -v hz="$HZ" 'BEGIN{printf "%.2f", c / hz / n * 1e6}')
    rates[$c]="${rates[$c]:-} ${this[$c]}"
    cpus[$c]="${cpus[$c]:-} ${this_cpu[$c]}"
    line="$line | $c ${this[$c]}/s ${this_cpu[$c]} us"
  done
  for c in $CONFIGS; do
    [ "$c" = off ] && continue
    [ -n "${this[off]:-}" ] || continue
    ratio=$(awk -v a="${this[$c]}" -v b="${this[off]}" 'BEGIN{printf "%.3f", a/b}')
    ratios[$c]="${ratios[$c]:-} $ratio"
    cratio=$(awk -v a="${this_cpu[$c]}" -v b="${this_cpu[off]}" 'BEGIN{printf "%.3f", a/b}')
    cpu_ratios[$c]="${cpu_ratios[$c]:-} $cratio"
    line="$line | $c/off rate $ratio cpu $cratio"
  done
  echo "$line (load $(cut -d' ' -f1 /proc/loadavg))"
done
for c in $CONFIGS; do
  # shellcheck disable=SC2086
  out="$c: median $(median ${rates[$c]})/s, $(median ${cpus[$c]}) us CPU a request"
  # shellcheck disable=SC2086
  [ -n "${ratios[$c]:-}" ] && out="$out; $c/off, median of rounds: rate $(median ${ratios[$c]}), CPU a request $(median ${cpu_ratios[$c]})"
  echo "$out"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "log lines written: json $(grep -c '"event":"request"' "$d/log" || true), text $(grep -c ' info request ' "$d/log" || true)"
