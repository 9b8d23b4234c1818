#!/usr/bin/env python3
"""What a durable commit costs on this machine's disk, without Parley.

A loop of 32 KiB writes (about one group commit's WAL frames) into a
preallocated 40 MiB file, reused like SQLite's WAL, each followed by
fdatasync: its latency percentiles and how many syncs a second took over
5 and 10 ms, first with the CPUs idle, then with 1 and 2 busy loops beside it
(at nice 19, and optionally with the probe at SCHED_FIFO). On a VM whose
disk is emulated by the host, busy vCPUs can delay the host's I/O: the
stalls then come from the machine, not from the program that syncs.

With --burst-pages N, the busy loops are replaced by a checkpoint-like
process beside the probe: every 0.55 s it writes N scattered 4 KiB pages into
a second file and syncs it, the pages left to that sync (as SQLite's
checkpoint does) or, with --pace P, written out and waited for every P pages
(sync_file_range, as Parley's VFS does, ADR 0047). What the probe's syncs
suffer from a burst of requests queued ahead of them.

Usage: python3 bench/disk/sync_probe.py [--dir DIR] [--seconds S] [--fifo] [--gap-ms MS] [--chunk-kib K]
       [--burst-pages N [--pace P]]
"""
import argparse
import ctypes
import multiprocessing
import os
import random
import subprocess
import tempfile
import time

CHUNK = 32 * 1024
SPAN = 40 * 1024 * 1024


def probe(path, seconds, gap_ms=0.0, chunk=CHUNK):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.ftruncate(fd, SPAN)
        os.fsync(fd)
        buf = os.urandom(chunk)
        lat, off, end = [], 0, time.monotonic() + seconds
        while time.monotonic() < end:
            if gap_ms:
                time.sleep(gap_ms / 1000)
            os.pwrite(fd, buf, off)
            off = (off + chunk) % SPAN
            t = time.perf_counter()
            os.fdatasync(fd)
            lat.append((time.perf_counter() - t) * 1000)
    finally:
        os.close(fd)
    lat.sort()
    n = len(lat)
    return {
        "syncs/s": round(n / seconds),
        "MB/s": round(n * chunk / seconds / 1e6),
        "p50_ms": round(lat[n // 2], 3),
        "p99_ms": round(lat[int(n * 0.99)], 3),
        "max_ms": round(lat[-1], 1),
        ">5ms/s": round(sum(x > 5 for x in lat) / seconds, 1),
        ">10ms/s": round(sum(x > 10 for x in lat) / seconds, 1),
    }


def burst_writer(stop, path, pages, pace, period=0.55, span=400 << 20):
    """Checkpoint-like bursts of scattered page writes until stop is set."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.sync_file_range.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        with open(path, "r+b") as f:  # allocate it, as a database file is
            if os.path.getsize(path) < span:
                for _ in range(span >> 20):
                    f.write(os.urandom(1 << 20))
                f.flush()
                os.fsync(f.fileno())
        page = os.urandom(4096)
        while not stop.is_set():
            start = time.monotonic()
            for i, off in enumerate(sorted(random.randrange(span >> 12) << 12 for _ in range(pages))):
                os.pwrite(fd, page, off)
                if pace and (i + 1) % pace == 0:
                    libc.sync_file_range(fd, 0, 0, 1 | 2 | 4)  # WAIT_BEFORE | WRITE | WAIT_AFTER
            os.fdatasync(fd)
            time.sleep(max(0.0, period - (time.monotonic() - start)))
    finally:
        os.close(fd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=tempfile.gettempdir())
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--fifo", action="store_true", help="run the probe at SCHED_FIFO 1 (needs root)")
    ap.add_argument("--chunk-kib", type=int, default=CHUNK // 1024, help="bytes written before each sync")
    ap.add_argument("--gap-ms", type=float, default=0.0,
                    help="sleep between syncs (fewer syncs a second: do stalls come per sync or per second?)")
    ap.add_argument("--burst-pages", type=int, default=0,
                    help="instead of busy loops: bursts of this many scattered page writes beside the probe")
    ap.add_argument("--pace", type=int, default=0, help="with --burst-pages: write out every this many pages")
    args = ap.parse_args()
    if args.fifo:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    path = os.path.join(args.dir, "parley-sync-probe.bin")
    burst_path = os.path.join(args.dir, "parley-sync-probe-burst.bin")
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()}, {os.uname().release}, dir {args.dir}"
          f"{', probe at SCHED_FIFO' if args.fifo else ''}"
          f"{f', {args.gap_ms} ms between syncs' if args.gap_ms else ''}, {args.chunk_kib} KiB a sync")
    try:
        if args.burst_pages:
            beside_bursts(args, path, burst_path)
        else:
            beside_busy_loops(args, path)
    finally:
        for p in (path, burst_path):
            if os.path.exists(p):
                os.unlink(p)


def report(what, result):
    print(f"{what}: " + " ".join(f"{k}={v}" for k, v in result.items()), flush=True)


def beside_busy_loops(args, path):
    for busy in range(0, 3):
        # (the loops must not inherit the probe's SCHED_FIFO: two real-time
        # busy loops would starve the machine)
        loops = [subprocess.Popen(["nice", "-n", "19", "sh", "-c", "while :; do :; done"],
                                  preexec_fn=lambda: os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0)))
                 for _ in range(busy)]
        try:
            result = probe(path, args.seconds, args.gap_ms, args.chunk_kib * 1024)
        finally:
            for p in loops:
                p.kill()
                p.wait()
        report(f"busy loops {busy}", result)
        time.sleep(1)


def beside_bursts(args, path, burst_path):
    """Two passes of: no bursts, unpaced bursts, and (with --pace) paced ones."""
    for _ in range(2):
        for pace in (None, 0, args.pace) if args.pace else (None, 0):
            stop = multiprocessing.Event()
            writer = None
            if pace is not None:
                writer = multiprocessing.Process(target=burst_writer,
                                                 args=(stop, burst_path, args.burst_pages, pace))
                writer.start()
                time.sleep(1)  # past the file's allocation
            result = probe(path, args.seconds, args.gap_ms, args.chunk_kib * 1024)
            stop.set()
            if writer:
                writer.join()
            if pace is None:
                report("no bursts", result)
            else:
                report(f"bursts of {args.burst_pages} pages" + (f", paced every {pace}" if pace else ", unpaced"),
                       result)


if __name__ == "__main__":
    main()
