#!/usr/bin/env python3
"""CPU snapshot for bench/data-api/run.sh.

    cputicks.py NAME=PID ...   ->  {"NAME": seconds, ..., "machine_busy": s, "machine_total": s}

For each NAME=PID: CPU seconds (user + system) used so far by the process PID and all its live
descendants, plus the children they have reaped (cutime/cstime), so that a delta between two
snapshots counts every process of the tree, also short-lived ones. machine_*: /proc/stat totals
(busy = all but idle and iowait; processes = user + nice + system, i.e. without interrupt
handling and steal, comparable with the per-process figures). A PID of 0 or one that is gone counts 0.
"""
import json
import os
import sys

HZ = os.sysconf("SC_CLK_TCK")


def stats():
    procs = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
        except OSError:
            continue
        rest = s[s.rindex(")") + 2:].split()
        # rest[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
        procs[int(d)] = (int(rest[1]), sum(int(x) for x in rest[11:15]))
    return procs


def tree(procs, root):
    if root not in procs:
        return 0
    children = {}
    for pid, (ppid, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += procs[pid][1]
        todo.extend(children.get(pid, []))
    return total


def main():
    procs = stats()
    out = {}
    for arg in sys.argv[1:]:
        name, pid = arg.split("=", 1)
        out[name] = tree(procs, int(pid or 0)) / HZ
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    out["machine_total"] = sum(cpu[:8]) / HZ
    out["machine_busy"] = (sum(cpu[:8]) - cpu[3] - cpu[4]) / HZ
    out["machine_processes"] = (cpu[0] + cpu[1] + cpu[2]) / HZ
    print(json.dumps(out))


if __name__ == "__main__":
    main()
