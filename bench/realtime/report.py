#!/usr/bin/env python3
"""Markdown report for bench/realtime/run.sh.

    report.py RESULTS_DIR key=value ...

Reads from RESULTS_DIR, per server (parse, hearth): <s>.status, <s>.listen*.json (each listener
process's statistics and latency histograms), <s>.write.json, <s>.rss-{before,connected,after}
(VmRSS, kB), <s>.cpu (two CPU snapshots around the writes), <s>.writetime (the writer's CPU),
<s>.subscribe-seconds, <s>.loadavg. Latency histograms are merged exactly (0.1 ms buckets).
"""
import glob
import json
import os
import sys

SERVERS = ("parse", "hearth")
LAST_BUCKET = 599_999
NAMES = {"parse": "Parse Server 9 (LiveQuery)", "hearth": "Hearth"}


def read(path, default=None):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def merge(hists):
    """Merges listener histograms: (n, p50, p99, max) in ms, or Nones."""
    counts, mx, bucket = {}, None, 100
    for h in hists:
        if not h or not h.get("n"):
            continue
        bucket = h.get("bucket_us", bucket)
        for b, c in h["hist"]:
            counts[b] = counts.get(b, 0) + c
        mx = h["max_ms"] if mx is None else max(mx, h["max_ms"])
    n = sum(counts.values())
    if n == 0:
        return 0, None, None, None
    order = sorted(counts.items())

    def pct(p):
        want, seen = max(1, -(-int(p * n * 1000) // 1000)), 0
        for b, c in order:
            seen += c
            if seen >= want:
                # The listeners' last bucket holds everything from 60 s on.
                return float("inf") if b >= LAST_BUCKET else (b + 1) * bucket / 1000
        return None

    return n, pct(0.5), pct(0.99), mx


def server(results, s, params):
    status = read(os.path.join(results, f"{s}.status"))
    if status is None:
        return None
    out = {"status": status}
    listens = [json.loads(read(p)) for p in sorted(glob.glob(os.path.join(results, f"{s}.listen*.json"))) if read(p)]
    out["listeners"] = len(listens)
    for k in ("open", "subscribed", "failed", "closed", "errors", "events"):
        out[k] = sum(x.get(k, 0) for x in listens)
    out["first_error"] = next((x["first_error"] for x in listens if x.get("first_error")), None)
    out["commit"] = merge(x.get("latency_commit") for x in listens)
    out["sent"] = merge(x.get("latency_sent") for x in listens)
    firsts = [x["first_event_us"] for x in listens if x.get("events")]
    lasts = [x["last_event_us"] for x in listens if x.get("events")]
    span = (max(lasts) - min(firsts)) / 1e6 if firsts else 0
    out["span"] = span
    out["eps"] = out["events"] / span if span > 0 else None
    w = json.loads(read(os.path.join(results, f"{s}.write.json"), "{}") or "{}")
    out["write"] = w
    conns, subs, rooms = int(params["connections"]), int(params["subs"]), int(params["rooms"])
    # Subscription j (j = g*subs + k) watches room j % rooms; write n updates room n % rooms.
    per_room = [0] * rooms
    for j in range(out["subscribed"] if out["subscribed"] < conns * subs else conns * subs):
        per_room[j % rooms] += 1
    writes = w.get("writes", 0)
    expected = sum(per_room[n % rooms] for n in range(writes)) if w.get("failed", 0) == 0 else None
    out["expected"] = expected
    kb = {k: read(os.path.join(results, f"{s}.rss-{k}")) for k in ("before", "connected", "after")}
    out["rss"] = {k: int(v) if v and v.isdigit() else None for k, v in kb.items()}
    opened = int(read(os.path.join(results, f"{s}.open-connected"), "0") or 0)
    out["opened"] = opened
    if opened and out["rss"]["before"] is not None and out["rss"]["connected"] is not None:
        out["rss_per_conn_kb"] = (out["rss"]["connected"] - out["rss"]["before"]) / opened
    else:
        out["rss_per_conn_kb"] = None
    out["subscribe_seconds"] = read(os.path.join(results, f"{s}.subscribe-seconds"))
    cpu = read(os.path.join(results, f"{s}.cpu"))
    if cpu and len(cpu.split("\n")) == 2:
        a, b = (json.loads(x) for x in cpu.split("\n"))
        secs = b["machine_total"] - a["machine_total"]
        secs = secs / (os.cpu_count() or 1)
        d = {k: b[k] - a[k] for k in a}
        listeners = sum(v for k, v in d.items() if k.startswith("listener"))
        wt = read(os.path.join(results, f"{s}.writetime"), "0 0").split()
        writer = float(wt[-2]) + float(wt[-1]) if len(wt) >= 2 else 0
        other = d["machine_processes"] - d["server"] - d["postgres"] - listeners - writer
        out["cpu"] = {
            "seconds": secs,
            "server": d["server"] / secs,
            "postgres": d["postgres"] / secs,
            "client": (listeners + writer) / secs,
            "other": max(other, 0) / secs,
        }
    la = read(os.path.join(results, f"{s}.loadavg"), "")
    out["loadavg"] = [line.split()[0] for line in la.split("\n") if line]
    return out


def fmt(v, spec="{:.1f}"):
    if v == float("inf"):
        return "> 60000"
    return "-" if v is None else spec.format(v)


def main():
    results = sys.argv[1]
    params = dict(a.split("=", 1) for a in sys.argv[2:])
    conns, subs, rooms = int(params["connections"]), int(params["subs"]), int(params["rooms"])
    print(f"## LiveQuery: {conns:,} connections x {subs} subscriptions, {rooms} rooms "
          f"({conns * subs // rooms:,} subscribers per room), {params['rate']} writes/s for {params['duration']} s\n")
    rows = {s: server(results, s, params) for s in SERVERS}
    rows = {s: r for s, r in rows.items() if r}
    head = ["", "status", "open / subscribed", "subscribe time", "writes ok / sent (rate)", "events delivered / expected",
            "delivered events/s", "events per server CPU-second", "latency commit p50 / p99 / max (ms)", "latency sent p50 / p99 / max (ms)",
            "server RSS before / connected / after (MiB)", "RSS per connection (KiB)",
            "CPU cores: server / PostgreSQL / load client / other"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for s, r in rows.items():
        w = r["write"]
        c, t = r["commit"], r["sent"]
        mib = lambda v: fmt(v / 1024 if v is not None else None, "{:.0f}")
        cpu = r.get("cpu")
        cells = [
            NAMES[s], r["status"],
            f"{r['open']:,} / {r['subscribed']:,}" + (f" ({r['failed']} failed)" if r["failed"] else ""),
            f"{r['subscribe_seconds']} s",
            f"{w.get('ok', 0):,} / {w.get('writes', 0):,} ({fmt(w.get('achieved_rate'), '{:.0f}')}/s)",
            f"{r['events']:,} / {r['expected']:,}" if r["expected"] is not None else f"{r['events']:,} / ?",
            fmt(r["eps"], "{:,.0f}"),
            fmt(r["eps"] / cpu["server"] if r["eps"] and cpu and cpu["server"] > 0 else None, "{:,.0f}"),
            f"{fmt(c[1])} / {fmt(c[2])} / {fmt(c[3])}",
            f"{fmt(t[1])} / {fmt(t[2])} / {fmt(t[3])}",
            f"{mib(r['rss']['before'])} / {mib(r['rss']['connected'])} / {mib(r['rss']['after'])}",
            fmt(r["rss_per_conn_kb"]),
            (f"{cpu['server']:.2f} / {cpu['postgres']:.2f} / {cpu['client']:.2f} / {cpu['other']:.2f}" if cpu else "-"),
        ]
        print("| " + " | ".join(cells) + " |")
    print()
    for s, r in rows.items():
        notes = []
        if r["first_error"]:
            notes.append(f"first client error: {r['first_error']}")
        if r["write"].get("first_error"):
            notes.append(f"first write error: {r['write']['first_error']}")
        if r["errors"] or r["closed"]:
            notes.append(f"{r['errors']} error frames, {r['closed']} connections closed")
        if r["write"].get("waited_for_a_slot"):
            notes.append(f"the writer fell behind its rate {r['write']['waited_for_a_slot']} times ({r['write']['max_in_flight']} in flight)")
        if r["loadavg"]:
            notes.append("load average (1 min) before / after the writes: " + " / ".join(r["loadavg"]))
        notes.append(f"write latency p50 / p99 {fmt(r['write'].get('write_p50_ms'))} / {fmt(r['write'].get('write_p99_ms'))} ms; events received over {r['span']:.1f} s")
        print(f"- {NAMES[s]}: " + "; ".join(notes))
    if "parse" in rows and "hearth" in rows and rows["parse"]["eps"] and rows["hearth"]["eps"]:
        print(f"\nHearth / Parse Server delivered events per second: {rows['hearth']['eps'] / rows['parse']['eps']:.1f}x")
        pc, hc = rows["parse"].get("cpu"), rows["hearth"].get("cpu")
        if pc and hc and pc["server"] > 0 and hc["server"] > 0:
            ratio = (rows["hearth"]["eps"] / hc["server"]) / (rows["parse"]["eps"] / pc["server"])
            print(f"Hearth / Parse Server events per server CPU-second: {ratio:.1f}x")
    meta = {k: v for k, v in params.items() if k not in ("connections", "subs", "rooms", "rate", "duration")}
    print("\n" + ", ".join(f"{k}: {v}" for k, v in meta.items()))
    print("\nLatency \"commit\": receipt minus the object's updatedAt (server clock at the write, ms precision); "
          "\"sent\": receipt minus the writer's clock before the request. CPU: cores used over the writes and the drain; "
          "events per server CPU-second: delivered events/s over the server's cores in that window.")


if __name__ == "__main__":
    main()
