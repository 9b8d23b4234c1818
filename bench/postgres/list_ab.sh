#!/usr/bin/env bash
# List latency of two builds side by side over the same million
# conversations (issue 16): OLD serves the stores of DIR as they are, NEW
# serves copies of them (which it upgrades on open when its schema is newer:
# the time to its first /healthz is printed), and for each filter kind of
# read_bench.sh the two take turns, ROUNDS times (the first of the pair
# alternates). Prints every round and the median p50 / p99 per build.
#
#   KEEP=DIR bash bench/postgres/read_bench.sh N   # loads DIR once (old build)
#   OLD=old-bin/parley NEW=build/parley bash bench/postgres/list_ab.sh DIR
#   ROUNDS=3  SECS=3  KINDS="none agent medium time label turns combined"
#   STORES="sqlite postgres"  PORT=18491 (the first of the four ports it serves on)
# The copies (DIR/sqlite-new, database parley_new in DIR's cluster) are made
# once and kept; remove them to measure an upgrade again.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:?usage: list_ab.sh DIR (a read_bench.sh KEEP directory)}
OLD=${OLD:?set OLD to the old parley binary}
NEW=${NEW:-build/parley}
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-3}
KINDS=${KINDS:-none agent medium time label turns combined}
STORES=${STORES:-sqlite postgres}
PORT=${PORT:-18491}
url=$(cat "$dir/pg/url")
url_new=${url/\/postgres\?/\/parley_new?}
base=/v1/projects/bench/locations/us/conversations
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
field() { sed -nE "s/.*$1=([0-9.]+).*/\1/p"; }
start() {  # start BIN NAME PORT [serve flags...]: sets $pid
  local bin=$1 name=$2 port=$3 t0
  shift 3
  t0=$(date +%s.%N)
  "$bin" serve --listen 127.0.0.1:$port --sweep-seconds 3600 --workers 1 "$@" 2>"$dir/ab-$name.log" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 6000); do
    if curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; then
      echo "$name: serving after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
      return
    fi
    sleep 0.1
  done
  echo "server $name did not start"; cat "$dir/ab-$name.log"; exit 1
}
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
measure() {  # measure PORT KIND: prints "p50 p99 errors"
  local r
  r=$(PATHS_FILE="$dir/paths.$2" wrk -t1 -c1 -d${SECS}s -s bench/postgres/list.lua "http://127.0.0.1:$1" | grep RESULT)
  echo "$(echo "$r" | field p50_ms) $(echo "$r" | field p99_ms) $(echo "$r" | field errors)"
}
ab() {  # ab STORE OLD_PORT NEW_PORT
  local kind round first second out
  for kind in $KINDS; do
    : >"$dir/ab.$1.$kind.old"; : >"$dir/ab.$1.$kind.new"
    for round in $(seq "$ROUNDS"); do
      if [ $((round % 2)) = 1 ]; then first=old; second=new; else first=new; second=old; fi
      for b in $first $second; do
        out=$(measure "$([ $b = old ] && echo "$2" || echo "$3")" "$kind")
        echo "$out" >>"$dir/ab.$1.$kind.$b"
        printf '%-8s %-8s round %d %-3s p50 %7s ms  p99 %7s ms  errors %s\n' "$1" "$kind" "$round" "$b" $out
      done
    done
    for b in old new; do
      printf '%-8s %-8s MEDIAN %-3s p50 %7s ms  p99 %7s ms\n' "$1" "$kind" "$b" \
        "$(cut -d' ' -f1 "$dir/ab.$1.$kind.$b" | median)" "$(cut -d' ' -f2 "$dir/ab.$1.$kind.$b" | median)"
    done
  done
}
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); old $OLD, new $NEW"
for store in $STORES; do
  if [ "$store" = sqlite ]; then
    [ -d "$dir/sqlite-new" ] || cp -a "$dir/sqlite" "$dir/sqlite-new"
    python3 bench/postgres/list_paths.py "$dir" "$base" \
      $(sqlite3 "$dir/sqlite/parley.db" "select min(create_time), max(create_time) from conversations where tenant = 'bench'" | tr '|' ' ')
    start "$OLD" sqlite-old $PORT --data-dir "$dir/sqlite"; old=$pid
    start "$NEW" sqlite-new $((PORT + 1)) --data-dir "$dir/sqlite-new"; new=$pid
    ab sqlite $PORT $((PORT + 1))
  else
    if [ -z "$(psql "$url" -XAtc "select 1 from pg_database where datname = 'parley_new'")" ]; then
      # (refused while another session, e.g. autovacuum, is in the template)
      for _ in $(seq 30); do
        psql "$url" -XAtc "create database parley_new template postgres" >/dev/null 2>&1 && break
        sleep 2
      done
    fi
    python3 bench/postgres/list_paths.py "$dir" "$base" \
      $(psql "$url" -XAtc "select min(create_time), max(create_time) from conversations where tenant = 'bench'" | tr '|' ' ')
    start "$OLD" pg-old $((PORT + 2)) --data-dir "$dir/node-old" --store "$url"; old=$pid
    start "$NEW" pg-new $((PORT + 3)) --data-dir "$dir/node-new" --store "$url_new"; new=$pid
    ab postgres $((PORT + 2)) $((PORT + 3))
  fi
  kill "$old" "$new"; wait "$old" "$new" 2>/dev/null || true
done
