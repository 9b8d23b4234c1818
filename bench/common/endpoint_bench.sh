# Sourced by the per-endpoint benchmarks (bench/dialogflow/run.sh,
# bench/ces/run.sh): a fresh `parley serve`, wrk at 16 connections, /healthz
# in the same run for the ratio, and the server's CPU time per call (on a
# shared machine the calls/s follow the CPU share the server gets; the CPU
# and the bytes written per call do not). Environment: BIN (default build/parley), PORT, PIN=1
# (server on CPU 0, wrk on CPU 1), EXTRA (more serve flags), RATE (the
# open-loop phases' offered calls/s, 2000 by default; RATE=0 skips them),
# OPENLOOP (default build/bench/common/parley_openloop), CLOSED=0 (skip the
# closed-loop phases: the open loop then runs on conversations of the same
# length whichever build runs, where a faster build's closed loop would have
# made them longer).
#
#   bench_start TAG                     the server; sets $dir, $pid, $base
#   bench_wrk SECS LUA [ENV=VALUE ...]  one wrk phase; prints its RESULT line
#   bench_healthz SECS                  the /healthz phase (kept for the ratio)
#   bench_measure NAME SECS LUA [ENV=VALUE ...]
#                                       the measured phase, then CPU per call
#                                       and the ratio to /healthz
#   bench_open NAME SECS REQUESTS_FILE  an open-loop phase at $RATE calls/s over
#                                       16 connections (bench/common/openloop.cc:
#                                       latency from each request's due time, no
#                                       coordinated omission); prints its OPEN line
#   bench_requests NAMES TEXTS PATH_FMT BODY_FMT
#                                       prints the open loop's requests: line i
#                                       is POST PATH_FMT % names[i mod N] with
#                                       BODY_FMT % texts[i mod T] (texts must not
#                                       need JSON escaping), as the wrk scripts
#                                       pick them
#   bench_rss                           the server's resident memory (and its live conversations)

bench_start() {
  BIN=${BIN:-build/parley}
  dir=$(mktemp -d "${DATA_PARENT:-/tmp}/parley-bench-$1.XXXXXX")
  trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
  "$BIN" serve --listen 127.0.0.1:$PORT --data-dir "$dir/data" --sweep-seconds 3600 \
    $([ "${PIN:-0}" = 1 ] && echo --threads 1) ${EXTRA:-} 2>"$dir/server.log" &
  pid=$!
  base="http://127.0.0.1:$PORT"
  for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
  echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"
  WRK=(wrk -t2)
  OPEN=("${OPENLOOP:-build/bench/common/parley_openloop}")
  if [ "${PIN:-0}" = 1 ]; then
    taskset -a -p -c 0 $pid >/dev/null
    WRK=(taskset -c 1 wrk -t1)
    OPEN=(taskset -c 1 "${OPEN[@]}")
  fi
}

bench_wrk() {
  local secs=$1 lua=$2
  shift 2
  env "$@" "${WRK[@]}" -c16 -d${secs}s -s "$lua" "$base" | grep RESULT
}

bench_healthz() {
  [ "${CLOSED:-1}" = 0 ] && return 0
  echo "== healthz, 16 connections, $1s"
  "${WRK[@]}" -c16 -d$1s -s bench/server/report.lua "$base/healthz" | grep RESULT | tee "$dir/healthz.txt"
}

# The server's CPU time in clock ticks, bytes written, and how many times
# its threads went to sleep (voluntary context switches, summed over its
# threads: the wake-ups the calls cost).
cpu() { awk '{print $14 + $15}' /proc/$pid/stat; }
written() { awk '/^wchar/ {print $2}' /proc/$pid/io; }
sleeps() { cat /proc/$pid/task/*/status 2>/dev/null | awk '/^voluntary_ctxt_switches/ {n += $2} END {print n}'; }
# Write and flush requests completed by the disk under the data directory
# (/proc/diskstats fields 8 and 19), whoever sent them: on this VM the disk's
# stalls grow with the request rate (bench/disk/sync_probe.py). Prints
# "0 0" on tmpfs.
disk_requests() {
  local dev
  dev=$(basename "$(df --output=source "$dir" | tail -1)")
  awk -v d="$dev" '$3 == d {print $8, $19; f = 1} END {if (!f) print 0, 0}' /proc/diskstats
}
disk_rates() {  # BEFORE AFTER SECONDS
  awk -v b="$1" -v a="$2" -v s="$3" 'BEGIN {split(b, x, " "); split(a, y, " ");
    printf "%.0f writes/s, %.0f flushes/s", (y[1] - x[1]) / s, (y[2] - x[2]) / s}'
}

bench_measure() {
  [ "${CLOSED:-1}" = 0 ] && return 0
  local name=$1 c0 c1 n h a
  shift
  local w0 w1
  local s0 s1 d0 d1
  c0=$(cpu)
  w0=$(written)
  s0=$(sleeps)
  d0=$(disk_requests)
  bench_wrk "$@" | tee "$dir/measured.txt"
  c1=$(cpu)
  w1=$(written)
  s1=$(sleeps)
  d1=$(disk_requests)
  n=$(sed -E 's/.*requests=([0-9]+).*/\1/' "$dir/measured.txt")
  echo "server CPU per $name call: $(awk -v c=$((c1 - c0)) -v n=$n -v hz=$(getconf CLK_TCK) \
    'BEGIN {printf "%.0f us", c / hz / n * 1e6}')"
  # Bytes the server wrote (write/pwrite: WAL frames, checkpoints, logs) a
  # call: what an append costs the disk, whatever the CPU share.
  echo "server bytes written per $name call: $(( (w1 - w0) / n )) B"
  echo "server thread sleeps per $name call: $(awk -v s=$((s1 - s0)) -v n=$n 'BEGIN {printf "%.2f", s / n}')"
  echo "disk requests during $name: $(disk_rates "$d0" "$d1" "$1")"
  h=$(sed -E 's/.*rps=([0-9]+).*/\1/' "$dir/healthz.txt")
  a=$(sed -E 's/.*rps=([0-9]+).*/\1/' "$dir/measured.txt")
  echo "$name/healthz ratio: $(awk -v a=$a -v h=$h 'BEGIN {printf "%.3f", a/h}')"
}

bench_open() {
  local name=$1 secs=$2 file=$3
  [ "${RATE:-2000}" = 0 ] && return 0
  echo "== $name, open loop at ${RATE:-2000}/s offered, 16 connections, ${secs}s (latency from the due time)"
  local c0 s0 c1 s1 n d0 d1
  c0=$(cpu)
  s0=$(sleeps)
  d0=$(disk_requests)
  "${OPEN[@]}" --port "$PORT" --rate "${RATE:-2000}" --seconds "$secs" --connections 16 \
    --requests "$file" | tee "$dir/open.txt"
  c1=$(cpu)
  s1=$(sleeps)
  d1=$(disk_requests)
  # At a fixed rate the server's background work (sweeps, checkpoints) is
  # shared by the same number of calls whichever build runs: CPU and sleeps
  # per call here compare builds more steadily than at saturation.
  # The CPU spans openloop's 1 s warm-up too, whose calls it does not count.
  n=$(sed -nE 's/^OPEN .* requests=([0-9]+) .*/\1/p' "$dir/open.txt")
  [ -n "$n" ] && [ "$n" -gt 0 ] || return 0
  n=$(( n * (secs + 1) / secs ))
  echo "open-loop server CPU per $name call: $(awk -v c=$((c1 - c0)) -v n=$n -v hz=$(getconf CLK_TCK) \
    'BEGIN {printf "%.0f us", c / hz / n * 1e6}'), thread sleeps per call: $(awk -v s=$((s1 - s0)) -v n=$n 'BEGIN {printf "%.2f", s / n}')"
  echo "open-loop disk requests during $name: $(disk_rates "$d0" "$d1" "$((secs + 1))")"
}

bench_requests() {
  awk -v path="$3" -v body="$4" 'NR == FNR { names[n++] = $0; next } { texts[t++] = $0 }
    END { for (i = 0; i < n * t; i++) printf "POST " path " " body "\n", names[i % n], texts[i % t] }' "$1" "$2"
}

bench_rss() {
  echo "server RSS: $(awk '/VmRSS/ {printf "%.1f MB", $2/1024}' /proc/$pid/status)"
  # The live conversations kept parsed (ADR 0037/0051): a load is a call
  # that read and parsed its conversation whole.
  curl -s "$base/metrics" | awk '/^parley_live_/ {v[$1] = $2}
    END { if ("parley_live_conversations_kept" in v)
      printf "live conversations: %d kept, %.1f of %.0f MB, %d loads, %d hits\n", v["parley_live_conversations_kept"],
        v["parley_live_conversations_bytes"] / 1048576, v["parley_live_conversations_capacity_bytes"] / 1048576,
        v["parley_live_conversation_loads_total"], v["parley_live_conversation_hits_total"] }'
}
