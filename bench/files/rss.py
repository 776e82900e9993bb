#!/usr/bin/env python3
"""Resident memory of a server while a workload runs, for bench/files/run.sh.

    python3 rss.py PID INTERVAL SAMPLES_FILE READY_FILE [SECONDS]

Every INTERVAL seconds, sums the resident set (/proc/<pid>/statm, the same figure as VmRSS) of
every process in PID's process group (the server and, for Parse Server in cluster mode, its
workers; the group is listed again every second, so a replaced worker is counted), and appends
"<ms since start> <KiB>" to SAMPLES_FILE. Touches READY_FILE after the first sample. Stops on
SIGTERM or SIGINT (or after SECONDS) and prints one JSON line: first, min, mean, peak, last (KiB),
the peak's time, the number of samples, and the longest gap between samples (ms).
"""
import json
import os
import signal
import sys
import time

leader = int(sys.argv[1])
interval = float(sys.argv[2])
samples_file, ready_file = sys.argv[3], sys.argv[4]
limit = float(sys.argv[5]) if len(sys.argv) > 5 else None
page_kib = os.sysconf("SC_PAGE_SIZE") // 1024

stop = False


def on_signal(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)

try:
    group = os.getpgid(leader)
except OSError:
    group = None


def members():
    if group is None:
        return [leader]
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
            if int(s[s.rindex(")") + 2:].split()[2]) == group:
                pids.append(int(d))
        except (OSError, ValueError, IndexError):
            pass
    return pids or [leader]


hz = os.sysconf("SC_CLK_TCK")


def cpu(pids):
    """CPU seconds used by the group's processes, and busy CPU seconds of the whole machine."""
    own = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                s = f.read()
            fields = s[s.rindex(")") + 2:].split()
            own += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            pass
    with open("/proc/stat") as f:
        machine = sum(int(x) for x in f.readline().split()[1:4])
    return own / hz, machine / hz


def rss(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * page_kib
        except (OSError, ValueError, IndexError):
            pass
    return total


start = time.monotonic()
pids, listed = members(), start
cpu_start = cpu(pids)
values = []
peak_value, peak_at = 0, 0.0
last_t = None
max_gap = 0.0
with open(samples_file, "w") as out:
    while not stop:
        now = time.monotonic()
        if now - listed >= 1.0:
            pids, listed = members(), now
        v = rss(pids)
        t = (time.monotonic() - start) * 1000
        if last_t is not None:
            max_gap = max(max_gap, t - last_t)
        last_t = t
        values.append(v)
        if len(values) == 1:
            open(ready_file, "w").close()
        if v > peak_value:
            peak_value, peak_at = v, t
        out.write(f"{t:.0f} {v}\n")
        if limit is not None and t >= limit * 1000:
            break
        time.sleep(interval)

cpu_end = cpu(members())
elapsed = time.monotonic() - start
print(json.dumps({
    "seconds": round(elapsed, 3),
    "server_cores": round((cpu_end[0] - cpu_start[0]) / elapsed, 2),
    "machine_cores": round((cpu_end[1] - cpu_start[1]) / elapsed, 2),
    "first_kib": values[0],
    "min_kib": min(values),
    "mean_kib": round(sum(values) / len(values)),
    "peak_kib": max(values),
    "last_kib": values[-1],
    "peak_at_ms": round(peak_at),
    "samples": len(values),
    "max_gap_ms": round(max_gap),
}))
