# Sourced by the per-endpoint benchmarks (bench/dialogflow/run.sh,
# bench/ces/run.sh): a fresh `parley serve`, wrk at 16 connections, /healthz
# in the same run for the ratio, and the server's CPU time per call (on a
# shared machine the calls/s follow the CPU share the server gets; the CPU
# per call does not). Environment: BIN (default build/parley), PORT, PIN=1
# (server on CPU 0, wrk on CPU 1), EXTRA (more serve flags).
#
#   bench_start TAG                     the server; sets $dir, $pid, $base
#   bench_wrk SECS LUA [ENV=VALUE ...]  one wrk phase; prints its RESULT line
#   bench_healthz SECS                  the /healthz phase (kept for the ratio)
#   bench_measure NAME SECS LUA [ENV=VALUE ...]
#                                       the measured phase, then CPU per call
#                                       and the ratio to /healthz
#   bench_rss                           the server's resident memory

bench_start() {
  BIN=${BIN:-build/parley}
  dir=$(mktemp -d "/tmp/parley-bench-$1.XXXXXX")
  trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
  "$BIN" serve --listen 127.0.0.1:$PORT --data-dir "$dir/data" --sweep-seconds 3600 \
    $([ "${PIN:-0}" = 1 ] && echo --threads 1) ${EXTRA:-} 2>"$dir/server.log" &
  pid=$!
  base="http://127.0.0.1:$PORT"
  for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
  echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"
  WRK=(wrk -t2)
  if [ "${PIN:-0}" = 1 ]; then
    taskset -a -p -c 0 $pid >/dev/null
    WRK=(taskset -c 1 wrk -t1)
  fi
}

bench_wrk() {
  local secs=$1 lua=$2
  shift 2
  env "$@" "${WRK[@]}" -c16 -d${secs}s -s "$lua" "$base" | grep RESULT
}

bench_healthz() {
  echo "== healthz, 16 connections, $1s"
  "${WRK[@]}" -c16 -d$1s -s bench/server/report.lua "$base/healthz" | grep RESULT | tee "$dir/healthz.txt"
}

bench_measure() {
  local name=$1 c0 c1 n h a
  shift
  cpu() { awk '{print $14 + $15}' /proc/$pid/stat; }
  c0=$(cpu)
  bench_wrk "$@" | tee "$dir/measured.txt"
  c1=$(cpu)
  n=$(sed -E 's/.*requests=([0-9]+).*/\1/' "$dir/measured.txt")
  echo "server CPU per $name call: $(awk -v c=$((c1 - c0)) -v n=$n -v hz=$(getconf CLK_TCK) \
    'BEGIN {printf "%.0f us", c / hz / n * 1e6}')"
  h=$(sed -E 's/.*rps=([0-9]+).*/\1/' "$dir/healthz.txt")
  a=$(sed -E 's/.*rps=([0-9]+).*/\1/' "$dir/measured.txt")
  echo "$name/healthz ratio: $(awk -v a=$a -v h=$h 'BEGIN {printf "%.3f", a/h}')"
}

bench_rss() { echo "server RSS: $(awk '/VmRSS/ {printf "%.1f MB", $2/1024}' /proc/$pid/status)"; }
