#!/usr/bin/env bash
# Two builds of the server side by side on one benchmark, alternating, so that
# both see the same noise of a shared machine. Prints every run's measured
# line, then per build the medians of calls/s, p50, p99 and server CPU per
# call, bytes written per call, server thread sleeps (voluntary context
# switches) per call and the disk's write and flush requests a second, and the new/old ratio of each; with the open-loop phases (RATE, on by
# default) also the medians of their p50/p99 and of /healthz's at that rate.
# Usage: ROUNDS=3 bash bench/common/side_by_side.sh OLD_BIN NEW_BIN bench/dialogflow/run.sh [seconds]
# (any environment the benchmark reads, e.g. PIN=1 or SESSIONS=N, passes through)
set -euo pipefail
cd "$(dirname "$0")/../.."
old=$1 new=$2 bench=$3 secs=${4:-10}
out=$(mktemp -d /tmp/parley-side-by-side.XXXXXX)
for round in $(seq "${ROUNDS:-3}"); do
  for side in old new; do
    bin=$old; [ $side = new ] && bin=$new
    BIN=$bin bash "$bench" "$secs" > "$out/$side.$round.txt" 2>&1 || { cat "$out/$side.$round.txt"; exit 1; }
    load=$(sed -nE 's/^machine: .*load ([0-9.]+ [0-9.]+ [0-9.]+).*/\1/p' "$out/$side.$round.txt")
    line=$(grep RESULT "$out/$side.$round.txt" | tail -1 || true)  # none with CLOSED=0
    cpu=$(sed -nE 's/^server CPU per .* call: ([0-9]+) us/\1/p' "$out/$side.$round.txt")
    wb=$(sed -nE 's/^server bytes written per .* call: ([0-9]+) B/\1/p' "$out/$side.$round.txt")
    turns=$(sed -nE 's/.*"turnCount":([0-9]+).*/ turns_at_end=\1/p' "$out/$side.$round.txt")
    sl=$(sed -nE 's/^server thread sleeps per .* call: ([0-9.]+)/\1/p' "$out/$side.$round.txt")
    # (none with RATE=0 or CLOSED=0: grep finds nothing, which is no failure)
    ocpu=$({ grep '^open-loop server CPU' "$out/$side.$round.txt" || true; } | tail -1 | sed -nE 's/.*: ([0-9]+) us, thread sleeps per call: ([0-9.]+)/open_cpu_us=\1 open_sleeps=\2/p')
    open=$({ grep '^OPEN' "$out/$side.$round.txt" || true; } | tail -1 | sed -E 's/.* p50_ms=([0-9.]+).* p99_ms=([0-9.]+).*/open_p50_ms=\1 open_p99_ms=\2/')
    hopen=$({ grep '^OPEN' "$out/$side.$round.txt" || true; } | head -1 | sed -E 's/.* p99_ms=([0-9.]+).*/healthz_open_p99_ms=\1/')
    [ "$(grep -c '^OPEN' "$out/$side.$round.txt" || true)" -ge 2 ] || { open=; hopen=; }
    # Disk requests a second (endpoint_bench.sh's lines; 0 on tmpfs)
    disk=$(sed -nE 's/^disk requests during .*: ([0-9]+) writes\/s, ([0-9]+) flushes\/s/ disk_writes_s=\1 disk_flushes_s=\2/p' "$out/$side.$round.txt" | tail -1)
    odisk=$({ grep '^open-loop disk requests' "$out/$side.$round.txt" || true; } | tail -1 |
      sed -nE 's/.*: ([0-9]+) writes\/s, ([0-9]+) flushes\/s/ open_disk_writes_s=\1 open_disk_flushes_s=\2/p')
    [ -n "$open" ] || odisk=
    closed=
    [ -n "$line" ] && closed="cpu_us=$cpu written_b=${wb:-0} sleeps=${sl:-0}$disk"
    ocpu="$ocpu$odisk"
    echo "round $round $side: $line $open $hopen $closed $ocpu$turns load=[$load]" | tee -a "$out/summary.txt"
  done
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
keys=
grep -q " rps=" "$out/summary.txt" && keys="rps p50_ms p99_ms cpu_us written_b sleeps"
grep -q open_p99_ms "$out/summary.txt" && keys="$keys open_p50_ms open_p99_ms healthz_open_p99_ms"
grep -q open_cpu_us "$out/summary.txt" && keys="$keys open_cpu_us open_sleeps"
grep -q " disk_writes_s=" "$out/summary.txt" && keys="$keys disk_writes_s disk_flushes_s"
grep -q open_disk_writes_s "$out/summary.txt" && keys="$keys open_disk_writes_s open_disk_flushes_s"
for key in $keys; do
  o=$(grep " old: " "$out/summary.txt" | sed -E "s/.* $key=([0-9.]+).*/\1/" | median)
  n=$(grep " new: " "$out/summary.txt" | sed -E "s/.* $key=([0-9.]+).*/\1/" | median)
  echo "median $key: old $o, new $n, new/old $(awk -v o=$o -v n=$n 'BEGIN {printf "%.2f", n/o}')"
done
rm -rf "$out"
