#!/usr/bin/env bash
# Create throughput, SQLite beside PostgreSQL, one node beside two (issue 16):
#   0. /healthz on one node, 32 connections (the machine's ceiling for a request)
#   1. one `parley serve` on SQLite, 32 connections of wrk (bench/server/create.lua)
#   2. one node on PostgreSQL (a local throwaway cluster, fsync on,
#      synchronous_commit on), 32 connections
#   3. two nodes on that database, 32 connections each, at the same time
# Same run, same machine, so the ratios are side by side. On a shared 2-core
# machine the machine is the limit, so each phase also prints the CPU time per
# create of the Parley node(s), of the PostgreSQL server (postmaster and
# every backend) and of wrk, and the rate the first two would allow on all
# the cores.
#
# With --cap CPUS the script measures the scale-out itself: every Parley node
# runs in a cgroup of its own capped at CPUS cores (cgroup v2 cpu.max, or v1
# cpu.cfs_quota_us; needs root), and each of ROUNDS rounds runs one capped
# node, then two capped nodes on the same database (each with its own wrk of
# 32 connections). Only the nodes are capped: they are the tier that scales
# out, and the cap gives each the same fixed share of the machine, as its own
# host would. PostgreSQL and wrk are not capped (the database is the shared
# tier, wrk the clients); for the ratio to mean anything they need headroom,
# so each phase prints the machine's busy share, and how much of its cap each
# node used (a node well under its cap was not the bound: on a machine shared
# with other work the database then did not get the CPU it needed). The
# summary is the median over the rounds of two nodes' combined rate / one
# node's, and the same over the rounds in which every node used >= 90 % of
# its cap. Choose CPUS so that two nodes' demand fits: they make the database
# and wrk do about 1.6 times their own CPU (see the CPU per create lines),
# so two nodes need some 5 x CPUS cores in all; 0.3 on two quiet cores, 0.1
# on a busy shared machine.
#
# Usage: bash bench/postgres/create_nodes.sh [seconds per phase=10] [--cap CPUS [--rounds N=3]]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=10
CAP=
ROUNDS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --cap) CAP=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    *) SECS=$1; shift ;;
  esac
done
BIN=${BIN:-build/parley}
dir=$(mktemp -d /tmp/parley-bench-pg.XXXXXX)
pids=()
cgroups=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  for g in "${cgroups[@]}"; do rmdir "$g" 2>/dev/null || true; done
  bash scripts/pg-cluster.sh stop "$dir/pg" >/dev/null 2>&1 || true
  grep -h '"status":[45]' "$dir"/*.log 2>/dev/null | head -3 || true
  rm -rf "$dir"
}
trap cleanup EXIT

# cgroup NAME: creates a cgroup capped at $CAP cores, prints its directory.
period=100000
cgroup() {
  local quota g
  quota=$(awk -v c="$CAP" -v p=$period 'BEGIN {printf "%d", c * p}')
  if grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then  # v2
    grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control || echo +cpu >/sys/fs/cgroup/cgroup.subtree_control
    g=/sys/fs/cgroup/parley-bench-$$-$1
    mkdir "$g" && echo "$quota $period" >"$g/cpu.max"
  elif [ -w /sys/fs/cgroup/cpu/cpu.cfs_quota_us ] || [ -w /sys/fs/cgroup/cpu/cgroup.procs ]; then  # v1
    g=/sys/fs/cgroup/cpu/parley-bench-$$-$1
    mkdir "$g" && echo $period >"$g/cpu.cfs_period_us" && echo "$quota" >"$g/cpu.cfs_quota_us"
  else
    echo "--cap needs a writable cgroup cpu controller (cgroup v2 cpu.max or v1 cpu), i.e. root" >&2
    exit 1
  fi
  echo "$g"
}
throttled() {  # throttled CGROUP: periods in which it hit its cap so far
  awk '$1 == "nr_throttled" {print $2}' "$1/cpu.stat"
}

bash scripts/pg-cluster.sh start "$dir/pg" --durable >/dev/null
url=$(cat "$dir/pg/url")
postmaster=$(head -1 "$(cat "$dir/pg/pgdata")/data/postmaster.pid")
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"
echo "postgres: $(psql "$url" -XAtc 'show server_version'), fsync=$(psql "$url" -XAtc 'show fsync')," \
  "synchronous_commit=$(psql "$url" -XAtc 'show synchronous_commit')"

start() {  # start NAME PORT [serve flags...]: sets $pid (in cgroup $CG when set)
  local name=$1 port=$2
  shift 2
  if [ -n "${CG:-}" ]; then
    # The shell joins the cgroup and then becomes the server, so every
    # thread the server starts is in it.
    bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" \
      "$BIN" serve --listen 127.0.0.1:$port --data-dir "$dir/$name" --sweep-seconds 3600 --workers 1 "$@" \
      2>"$dir/$name.log" &
  else
    "$BIN" serve --listen 127.0.0.1:$port --data-dir "$dir/$name" --sweep-seconds 3600 --workers 1 "$@" \
      2>"$dir/$name.log" &
  fi
  pid=$!
  pids+=("$pid")
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.1; done
  echo "server $name did not start"; cat "$dir/$name.log"; exit 1
}
cpu() {  # cpu PID...: their CPU ticks
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null || echo 0))); done
  echo $t
}
pg_cpu() { cpu $postmaster $(cat /proc/$postmaster/task/*/children); }
busy() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6}' /proc/stat; }  # busy idle ticks
busy_share() {  # busy_share "BUSY0 IDLE0" "BUSY1 IDLE1": % of the machine busy in between
  awk -v a="$1" -v b="$2" 'BEGIN {split(a, x, " "); split(b, y, " ");
    printf "%.0f", 100 * (y[1] - x[1]) / (y[1] - x[1] + y[2] - x[2])}'
}
rate() { sed -nE 's/.*rps=([0-9.]+).*/\1/p' "$1"; }
requests() { sed -nE 's/.*requests=([0-9]+).*/\1/p' "$1"; }
create() {  # create PORT OUT: one wrk phase; OUT.cpu gets wrk's CPU ticks
  ( wrk -t1 -c32 -d${SECS}s -s bench/server/create.lua "http://127.0.0.1:$1/v1/projects/bench/locations/us/conversations" \
      >"$2.wrk"
    times >"$2.times" )  # (in this subshell: its one child's, wrk's, user and system time)
  awk -v hz=$(getconf CLK_TCK) 'NR == 2 {
    split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%.0f\n", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * hz}' \
    "$2.times" >"$2.cpu"
  grep CREATE "$2.wrk" >"$2"
}
us() {  # us CPU_TICKS REQUESTS: microseconds per request
  awk -v c=$1 -v n=$2 -v hz=$(getconf CLK_TCK) 'BEGIN {printf "%.0f", c / hz / n * 1e6}'
}
bound() {  # bound US_PER_REQUEST: requests/s all the cores allow
  awk -v u=$1 -v n=$(nproc) 'BEGIN {printf "%.0f", n * 1e6 / u}'
}
ratio() { awk -v a=$1 -v b=$2 'BEGIN {printf "%.2f", a / b}'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# cap_used TICKS: % of the cap one node used over the phase
cap_used() { awk -v t=$1 -v hz=$(getconf CLK_TCK) -v c="$CAP" -v s=$SECS 'BEGIN {printf "%.0f", 100 * t / hz / (c * s)}'; }

if [ -n "$CAP" ]; then
  echo "cap: every Parley node at $CAP cores (cgroup), PostgreSQL and wrk uncapped; $ROUNDS rounds of $SECS s phases"
  CG=$(cgroup a); cgroups+=("$CG"); start pga 18472 --store "$url"; pa=$pid
  CG=$(cgroup b); cgroups+=("$CG"); start pgb 18473 --store "$url"; pb=$pid
  CG=
  create 18472 "$dir/warm.txt"  # the tables and both nodes past their first creates
  create 18473 "$dir/warm.txt"
  ones=() twos=() ratios=() capped=()
  for r in $(seq "$ROUNDS"); do
    c0=$(cpu $pa); g0=$(pg_cpu); m0=$(busy); t0=$(throttled "${cgroups[0]}")
    create 18472 "$dir/one.txt"
    c1=$(cpu $pa); g1=$(pg_cpu); m1=$(busy); t1=$(throttled "${cgroups[0]}")
    one=$(rate "$dir/one.txt"); n=$(requests "$dir/one.txt")
    echo "round $r, 1 node:  $one creates/s ($(cat "$dir/one.txt")); node used $(cap_used $((c1 - c0)))% of its cap" \
      "(throttled in $((t1 - t0)) periods); CPU per create: parley $(us $((c1 - c0)) $n) us + postgres" \
      "$(us $((g1 - g0)) $n) us + wrk $(us $(cat "$dir/one.txt.cpu") $n) us; machine $(busy_share "$m0" "$m1")% busy"
    ca0=$(cpu $pa); cb0=$(cpu $pb); g0=$(pg_cpu); m0=$(busy)
    create 18472 "$dir/twoa.txt" & w1=$!
    create 18473 "$dir/twob.txt" & w2=$!
    wait $w1 $w2
    ca1=$(cpu $pa); cb1=$(cpu $pb); g1=$(pg_cpu); m1=$(busy)
    a=$(rate "$dir/twoa.txt"); b=$(rate "$dir/twob.txt")
    n=$(($(requests "$dir/twoa.txt") + $(requests "$dir/twob.txt")))
    two=$(awk -v a=$a -v b=$b 'BEGIN {print a + b}')
    echo "round $r, 2 nodes: $a + $b = $two creates/s ($(cat "$dir/twoa.txt"); $(cat "$dir/twob.txt"));" \
      "nodes used $(cap_used $((ca1 - ca0)))% and $(cap_used $((cb1 - cb0)))% of their caps; CPU per create:" \
      "parley $(us $((ca1 - ca0 + cb1 - cb0)) $n) us + postgres $(us $((g1 - g0)) $n) us + wrk" \
      "$(us $(($(cat "$dir/twoa.txt.cpu") + $(cat "$dir/twob.txt.cpu"))) $n) us; machine $(busy_share "$m0" "$m1")% busy"
    ones+=("$one"); twos+=("$two"); ratios+=("$(ratio "$two" "$one")")
    # The cap bound every node of the round when each used >= 90 % of it.
    bound_by_cap=$(awk -v a=$(cap_used $((c1 - c0))) -v b=$(cap_used $((ca1 - ca0))) -v c=$(cap_used $((cb1 - cb0))) \
      'BEGIN {print (a >= 90 && b >= 90 && c >= 90) ? "yes" : "no"}')
    [ "$bound_by_cap" = yes ] && capped+=("${ratios[-1]}")
    echo "round $r: two nodes / one node = ${ratios[-1]}; every node at its cap: $bound_by_cap"
  done
  echo "median of $ROUNDS rounds: 1 node $(echo "${ones[@]}" | median), 2 nodes $(echo "${twos[@]}" | median)" \
    "creates/s; two nodes / one node: $(echo "${ratios[@]}" | median) (each round: ${ratios[*]});" \
    "rounds with every node at its cap: ${#capped[@]}${capped[0]:+ (median $(echo "${capped[@]}" | median))}"
  echo "rows: $(psql "$url" -XAtc 'select count(*) from conversations'), load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi

start sqlite 18471
wrk -t1 -c32 -d${SECS}s -s bench/server/report.lua "http://127.0.0.1:18471/healthz" | grep RESULT >"$dir/healthz.txt"
echo "healthz, 1 node:    $(rate "$dir/healthz.txt") requests/s ($(cat "$dir/healthz.txt"))"
c0=$(cpu $pid); create 18471 "$dir/sqlite.txt"; c1=$(cpu $pid)
n=$(requests "$dir/sqlite.txt")
s_us=$(us $((c1 - c0)) $n)
echo "sqlite, 1 node:     $(rate "$dir/sqlite.txt") creates/s ($(cat "$dir/sqlite.txt")), CPU per create: parley $s_us us" \
  "+ wrk $(us $(cat "$dir/sqlite.txt.cpu") $n) us (bound $(bound $s_us)/s)"
kill $pid; wait $pid 2>/dev/null || true

start pg1 18472 --store "$url"
p1=$pid
c0=$(cpu $p1); g0=$(pg_cpu); create 18472 "$dir/pg1.txt"; c1=$(cpu $p1); g1=$(pg_cpu)
n=$(requests "$dir/pg1.txt")
n_us=$(us $((c1 - c0)) $n); g_us=$(us $((g1 - g0)) $n)
echo "postgres, 1 node:   $(rate "$dir/pg1.txt") creates/s ($(cat "$dir/pg1.txt")), CPU per create: parley $n_us us" \
  "+ postgres $g_us us + wrk $(us $(cat "$dir/pg1.txt.cpu") $n) us (bound $(bound $((n_us + g_us)))/s)"

start pg2 18473 --store "$url"
p2=$pid
c0=$(cpu $p1 $p2); g0=$(pg_cpu)
create 18472 "$dir/pg2a.txt" & w1=$!
create 18473 "$dir/pg2b.txt" & w2=$!
wait $w1 $w2
c1=$(cpu $p1 $p2); g1=$(pg_cpu)
a=$(rate "$dir/pg2a.txt"); b=$(rate "$dir/pg2b.txt")
n=$(($(requests "$dir/pg2a.txt") + $(requests "$dir/pg2b.txt")))
n_us=$(us $((c1 - c0)) $n); g_us=$(us $((g1 - g0)) $n)
echo "postgres, 2 nodes:  $a + $b = $(awk -v a=$a -v b=$b 'BEGIN {print a + b}') creates/s ($(cat "$dir/pg2a.txt"); $(cat "$dir/pg2b.txt")), CPU per create: parley $n_us us" \
  "+ postgres $g_us us + wrk $(us $(($(cat "$dir/pg2a.txt.cpu") + $(cat "$dir/pg2b.txt.cpu"))) $n) us (bound $(bound $((n_us + g_us)))/s)"
echo "two nodes / one node: $(awk -v a=$a -v b=$b -v o=$(rate "$dir/pg1.txt") 'BEGIN {printf "%.2f", (a + b) / o}')"
echo "postgres / sqlite, one node: $(awk -v p=$(rate "$dir/pg1.txt") -v s=$(rate "$dir/sqlite.txt") 'BEGIN {printf "%.2f", p / s}')"
echo "create / healthz: sqlite $(awk -v p=$(rate "$dir/sqlite.txt") -v h=$(rate "$dir/healthz.txt") 'BEGIN {printf "%.2f", p / h}')," \
  "postgres $(awk -v p=$(rate "$dir/pg1.txt") -v h=$(rate "$dir/healthz.txt") 'BEGIN {printf "%.2f", p / h}')"
echo "rows: $(psql "$url" -XAtc 'select count(*) from conversations'), load after: $(cut -d' ' -f1-3 /proc/loadavg)"
