#!/usr/bin/env python3
"""Markdown report for bench/data-api/run.sh.

    report.py RESULTS_DIR key=value ...

Reads from RESULTS_DIR: {parse,hearth}.status, {parse,hearth}.verify.json, <server>-<workload>.txt
(wrk output with its RESULT line), <server>-<workload>.cpu and .wrktime, pgbench.txt, pgbench.cpu.
"""
import json
import os
import re
import sys

LABELS = {
    "get": "get by id",
    "query": "query (where, order, limit 20)",
    "get_session": "get by id, logged-in user, public class",
    "query_session": "query, logged-in user, public class",
    "get_acl": "get by id, logged-in user, ACL-protected class",
    "query_acl": "query, logged-in user, ACL-protected class",
    "login": "login (password check, new session)",
    "create": "create",
    "batch": "batch of 50 creates",
}
SERVERS = ("parse", "hearth")


def read(path, default=None):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def short(reason):
    m = re.search(r"HTTP \d+", reason)
    if m:
        return m.group(0)
    return reason if len(reason) <= 40 else reason[:37] + "..."


def ms(us):
    v = us / 1000
    return f"{v:.1f} ms" if v >= 10 else f"{v:.2f} ms"


def num(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"


def main():
    d = sys.argv[1]
    meta = dict(a.split("=", 1) for a in sys.argv[2:])
    workloads = meta["workloads"].split()

    status, verify, runs, notes = {}, {}, {}, []
    for s in SERVERS:
        status[s] = (read(f"{d}/{s}.status", "not run") or "").strip()
        verify[s] = json.loads(read(f"{d}/{s}.verify.json", "{}"))
        for w in workloads:
            txt = read(f"{d}/{s}-{w}.txt")
            if status[s] != "ok":
                runs[s, w] = status[s]
            elif verify[s].get(w, "setup failed") != "ok":
                runs[s, w] = verify[s].get(w, "setup failed")
            elif txt is None or "RESULT " not in txt:
                runs[s, w] = "no result"
            else:
                r = json.loads(txt.split("RESULT ", 1)[1].splitlines()[0])
                cpu = [json.loads(x) for x in (read(f"{d}/{s}-{w}.cpu", "") or "").splitlines() if x.strip()]
                secs = r["duration_us"] / 1e6
                if len(cpu) == 2:
                    r["cpu"] = {k: (cpu[1][k] - cpu[0][k]) / secs for k in cpu[0]}
                wt = (read(f"{d}/{s}-{w}.wrktime", "") or "").split()
                if len(wt) >= 2:
                    try:
                        r.setdefault("cpu", {})["wrk"] = (float(wt[-2]) + float(wt[-1])) / secs
                    except ValueError:
                        pass
                runs[s, w] = r

    out = []
    p = out.append
    p(f"### Data API: Parse Server {meta.get('parse_version')} vs Hearth ({meta.get('hearth_rev')})")
    p("")
    p(f"{meta['concurrency']} connections, {meta['duration']} s per run after a {meta['warmup']} s warm-up, "
      f"wrk {meta.get('wrk_version')} with {meta['threads']} threads; {meta['objects']} seeded objects. "
      f"Machine: {meta.get('cpu')}, {meta.get('memory')}, {meta.get('os')}. "
      f"{meta.get('pg_version')}; Node {meta.get('node_version')}, Parse Server in cluster mode "
      f"(one worker per core). Run took {meta.get('elapsed')} s.")
    p("")
    p("| workload | Parse req/s | Parse p50 | Parse p99 | Hearth req/s | Hearth p50 | Hearth p99 | Hearth/Parse req/s |")
    p("|---|---:|---:|---:|---:|---:|---:|---:|")
    reasons = {}
    for w in workloads:
        cells = [LABELS.get(w, w)]
        for s in SERVERS:
            r = runs[s, w]
            if isinstance(r, dict):
                cells += [num(r["rps"]), ms(r["p50_us"]), ms(r["p99_us"])]
            else:
                name = "Parse" if s == "parse" else "Hearth"
                cells += [f"{name}: not available ({short(r)})", "–", "–"]
                reasons.setdefault((s, r), []).append(w)
        a, b = runs["parse", w], runs["hearth", w]
        if isinstance(a, dict) and isinstance(b, dict) and a["rps"] > 0:
            ratio = f"{b['rps'] / a['rps']:.2f}x"
            if b["p99_us"] < a["p99_us"]:
                ratio += " (p99 lower)"
        else:
            ratio = "–"
        cells.append(ratio)
        p("| " + " | ".join(cells) + " |")
    p("")
    for (s, r), ws in reasons.items():
        p(f"- {'Parse Server' if s == 'parse' else 'Hearth'} not available for {', '.join(ws)}: {r}")
    for w in workloads:
        for s in SERVERS:
            r = runs[s, w]
            if isinstance(r, dict) and w == "batch":
                p(f"- {'Parse Server' if s == 'parse' else 'Hearth'} batch: {num(r['rps'] * 50)} objects created per second.")

    # pgbench
    pg = read(f"{d}/pgbench.txt", "") or ""
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", pg)
    lat = re.search(r"latency average = ([\d.]+) ms", pg)
    pcpu = [json.loads(x) for x in (read(f"{d}/pgbench.cpu", "") or "").splitlines() if x.strip()]
    p("")
    if tps:
        t = float(tps.group(1))
        line = (f"pgbench, prepared primary-key select (`-M prepared`, {meta['concurrency']} clients, "
                f"{meta['threads']} threads, {meta['duration']} s): **{num(t)} tps**")
        if lat:
            line += f", average latency {float(lat.group(1)):.2f} ms"
        if len(pcpu) == 2:
            secs = float(meta["duration"])
            line += (f"; machine busy {100 * (pcpu[1]['machine_busy'] - pcpu[0]['machine_busy']) / (pcpu[1]['machine_total'] - pcpu[0]['machine_total']):.0f}%"
                     f" (PostgreSQL {(pcpu[1]['postgres'] - pcpu[0]['postgres']) / secs:.2f} cores")
            pt = (read(f"{d}/pgbench.wrktime", "") or "").split()
            if len(pt) >= 2:
                line += f", pgbench itself {(float(pt[-2]) + float(pt[-1])) / secs:.2f} cores"
            line += ")"
        p(line + ".")
        for s in SERVERS:
            r = runs.get((s, "get"))
            name = "Parse Server" if s == "parse" else "Hearth"
            if isinstance(r, dict):
                extra = " (target: at least 0.5)" if s == "hearth" else ""
                p(f"- {name} get by id = **{r['rps'] / t:.3f}** of pgbench{extra}.")
            elif r is not None:
                p(f"- {name} get by id / pgbench: pending ({short(r)}).")
    else:
        p("pgbench: no result (see pgbench.txt).")

    # details
    p("")
    p("Details per run (CPU in cores, averaged over the measured run; the machine has "
      f"{os.cpu_count()} cores):")
    p("")
    p("| server | workload | requests | non-2xx | batch item errors | socket errors / timeouts | CPU server | CPU PostgreSQL | CPU wrk | CPU other processes | machine busy |")
    p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    noisy = []
    for w in workloads:
        for s in SERVERS:
            r = runs[s, w]
            if not isinstance(r, dict):
                continue
            c = r.get("cpu", {})
            busy = other = "–"
            if "machine_busy" in c and c.get("machine_total"):
                busy = f"{100 * c['machine_busy'] / c['machine_total']:.0f}%"
                o = c.get("machine_processes", c["machine_busy"]) - c.get("server", 0) - c.get("postgres", 0) - c.get("wrk", 0)
                other = f"{max(o, 0):.2f}"
                if o > 0.25:
                    noisy.append(f"{s} {w} ({o:.2f} cores)")
            sock = r["connect_errors"] + r["read_errors"] + r["write_errors"]
            p(f"| {'Parse Server' if s == 'parse' else 'Hearth'} | {w} | {r['requests']:,} | {r['non2xx']:,} | "
              f"{r['item_errors']:,} | {sock} / {r['timeouts']} | {c.get('server', 0):.2f} | {c.get('postgres', 0):.2f} | "
              f"{c.get('wrk', 0):.2f} | {other} | {busy} |")
            if r["first_bad"]:
                notes.append(f"- {s} {w}, first unexpected answer: `{r['first_bad'][:200]}`")
    if noisy:
        notes.insert(0, "- **Warning**: processes outside the benchmark used CPU during " + ", ".join(noisy)
                     + "; those figures are low. Run again on a quiet machine.")
    if len(pcpu) == 2 and tps:
        secs = float(meta["duration"])
        o = (pcpu[1]["machine_processes"] - pcpu[0]["machine_processes"]) / secs - (pcpu[1]["postgres"] - pcpu[0]["postgres"]) / secs
        # pgbench's own CPU is in pgbench.wrktime
        pt = (read(f"{d}/pgbench.wrktime", "") or "").split()
        if len(pt) >= 2:
            o -= (float(pt[-2]) + float(pt[-1])) / secs
        if o > 0.25:
            notes.insert(0, f"- **Warning**: processes outside the benchmark used {o:.2f} cores during pgbench; its figure is low.")
    if notes:
        p("")
        out.extend(notes)
    print("\n".join(out))


if __name__ == "__main__":
    main()
