#!/usr/bin/env bash
# What the kernel charges for appending log lines to a file, with and without
# dropping the written pages from the page cache as the server's log writer
# does (sync_file_range every WINDOW, then POSIX_FADV_DONTNEED two windows
# back): MB megabytes in 160 KiB writes (one writer drain), ROUNDS rounds
# alternating, system CPU time of the writer per 300-byte line (the size of a
# request line). On a VM, fresh page-cache pages can cost far more than the copy.
#   bash bench/server/log_append_cost.sh [DIR=bench output dir on a disk, default /tmp]
#   MB=1024 ROUNDS=3 bash bench/server/log_append_cost.sh
set -euo pipefail
dir=${1:-/tmp}
MB=${MB:-512}
ROUNDS=${ROUNDS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"; rm -f "$dir"/parley-append-bench-*' EXIT
cat > "$work/append.c" <<'C'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
int main(int argc, char** argv) {
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  int drop = atoi(argv[2]);
  size_t chunk = 160 * 1024, total = (size_t)atoi(argv[3]) << 20;
  off_t window = 8 << 20, synced = 0, dropped = 0;
  char* buf = malloc(chunk);
  memset(buf, 'x', chunk);
  struct rusage a, b;
  getrusage(RUSAGE_SELF, &a);
  for (size_t done = 0; done < total; done += chunk) {
    if (write(fd, buf, chunk) != (ssize_t)chunk) return 1;
    off_t end = (off_t)(done + chunk);
    if (drop && end - synced >= window) {
      off_t from = dropped > window ? dropped - window : 0;
      if (synced > from) posix_fadvise(fd, from, synced - from, POSIX_FADV_DONTNEED);
      dropped = synced;
      sync_file_range(fd, synced, end - synced, SYNC_FILE_RANGE_WRITE);
      synced = end;
    }
  }
  getrusage(RUSAGE_SELF, &b);
  double s = (b.ru_stime.tv_sec - a.ru_stime.tv_sec) + (b.ru_stime.tv_usec - a.ru_stime.tv_usec) / 1e6;
  printf("%.0f\n", s * 1e9 / total * 300);
  return 0;
}
C
cc -O2 -o "$work/append" "$work/append.c"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
keep=(); drop=()
for r in $(seq "$ROUNDS"); do
  # Files stay until the end, as a log file only grows (a deleted file's
  # pages would be reused warm by the next round).
  k=$("$work/append" "$dir/parley-append-bench-$r-keep" 0 "$MB")
  d=$("$work/append" "$dir/parley-append-bench-$r-drop" 1 "$MB")
  keep+=("$k"); drop+=("$d")
  echo "round $r: kept in cache $k ns a line, dropped $d ns a line"
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END{print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
echo "median: kept $(median "${keep[@]}") ns, dropped $(median "${drop[@]}") ns of system CPU a 300-byte line"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
