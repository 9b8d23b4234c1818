# Sourced by the PostgreSQL benchmarks: start and stop `parley serve` processes.
# Needs $dir (logs go there), the array pids (every started server, for the
# caller's cleanup) and the binary in $SERVER_BIN, else $BIN.
start() {  # start NAME PORT [serve flags...]: sets $pid
  local name=$1 port=$2
  shift 2
  "${SERVER_BIN:-$BIN}" serve --listen 127.0.0.1:$port --sweep-seconds 3600 --workers 1 "$@" 2>"$dir/$name.log" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.1; done
  echo "server $name did not start"; cat "$dir/$name.log"; exit 1
}
stop() { kill "$1"; wait "$1" 2>/dev/null || true; }
field() { sed -nE "s/.*$1=([0-9.]+).*/\1/p"; }  # field NAME: NAME=VALUE of wrk's RESULT line
