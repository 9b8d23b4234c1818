#!/usr/bin/env python3
"""What a durable commit costs on this machine's disk, without Parley.

A loop of 32 KiB writes (about one group commit's WAL frames) into a
preallocated 40 MiB file, reused like SQLite's WAL, each followed by
fdatasync: its latency percentiles and how many syncs a second took over
5 and 10 ms, first with the CPUs idle, then with 1 and 2 busy loops beside it
(at nice 19, and optionally with the probe at SCHED_FIFO). On a VM whose
disk is emulated by the host, busy vCPUs can delay the host's I/O: the
stalls then come from the machine, not from the program that syncs.

Usage: python3 bench/disk/sync_probe.py [--dir DIR] [--seconds S] [--fifo]
"""
import argparse
import os
import subprocess
import tempfile
import time

CHUNK = 32 * 1024
SPAN = 40 * 1024 * 1024


def probe(path, seconds):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.ftruncate(fd, SPAN)
        os.fsync(fd)
        buf = os.urandom(CHUNK)
        lat, off, end = [], 0, time.monotonic() + seconds
        while time.monotonic() < end:
            os.pwrite(fd, buf, off)
            off = (off + CHUNK) % SPAN
            t = time.perf_counter()
            os.fdatasync(fd)
            lat.append((time.perf_counter() - t) * 1000)
    finally:
        os.close(fd)
    lat.sort()
    n = len(lat)
    return {
        "syncs/s": round(n / seconds),
        "p50_ms": round(lat[n // 2], 3),
        "p99_ms": round(lat[int(n * 0.99)], 3),
        "max_ms": round(lat[-1], 1),
        ">5ms/s": round(sum(x > 5 for x in lat) / seconds, 1),
        ">10ms/s": round(sum(x > 10 for x in lat) / seconds, 1),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=tempfile.gettempdir())
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--fifo", action="store_true", help="run the probe at SCHED_FIFO 1 (needs root)")
    args = ap.parse_args()
    if args.fifo:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    path = os.path.join(args.dir, "parley-sync-probe.bin")
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()}, {os.uname().release}, dir {args.dir}"
          f"{', probe at SCHED_FIFO' if args.fifo else ''}")
    try:
        for busy in range(0, 3):
            # (the loops must not inherit the probe's SCHED_FIFO: two real-time
            # busy loops would starve the machine)
            loops = [subprocess.Popen(["nice", "-n", "19", "sh", "-c", "while :; do :; done"],
                                      preexec_fn=lambda: os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0)))
                     for _ in range(busy)]
            try:
                result = probe(path, args.seconds)
            finally:
                for p in loops:
                    p.kill()
                    p.wait()
            print(f"busy loops {busy}: " + " ".join(f"{k}={v}" for k, v in result.items()), flush=True)
            time.sleep(1)
    finally:
        if os.path.exists(path):
            os.unlink(path)


if __name__ == "__main__":
    main()
