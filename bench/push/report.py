#!/usr/bin/env python3
"""Markdown report for bench/push/run.sh.

    report.py RESULTS_DIR key=value ...

Reads from RESULTS_DIR: calibrate-<apns|fcm>.json and .cpu (the peers alone), and per server
(parse, hearth) and scenario (hook, devices): <s>.<sc>.status, <s>.<sc>.json (the driver's
figures with the peer's report), <s>.<sc>.cpu (CPU snapshots around the push), <s>.<sc>.loadavg,
<s>.seed-seconds.
"""
import json
import os
import sys

NAMES = {"parse": "Parse Server 9", "hearth": "Hearth"}
SCENARIOS = {"hook": "push hook", "devices": "APNs + FCM"}


def read(path, default=None):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def cpu(results, name):
    text = read(os.path.join(results, name))
    if not text:
        return None
    snaps = [json.loads(x) for x in text.splitlines() if x.strip()]
    if len(snaps) < 2:
        return None
    a, b = snaps[0], snaps[-1]
    return {k: b[k] - a[k] for k in a if k in b}


def fmt(v, unit="", digits=0):
    if v is None:
        return "–"
    if isinstance(v, (int, float)):
        return f"{v:,.{digits}f}{unit}"
    return str(v)


def mib(kb):
    return None if kb is None else kb / 1024


def main():
    results = sys.argv[1]
    params = dict(a.split("=", 1) for a in sys.argv[2:])
    servers = params.get("servers", "parse hearth").split()
    scenarios = params.get("scenarios", "hook devices").split()
    out = []
    p = out.append
    p("# Push: one push to many installations, Hearth vs Parse Server 9")
    p("")
    p(f"Hook scenario: {int(params['hook_devices']):,} `web` installations through the push hook (Hearth: push.hookBatchSize "
      f"{params['hook_batch']}; Parse Server: a minimal custom adapter POSTing each batch of its queue, queueOptions.batchSize "
      f"{params['parse_batch']}). Devices scenario: {int(params['ios_devices']):,} iOS through APNs + {int(params['android_devices']):,} "
      f"Android through FCM, one HTTP/2 request per device (Hearth: push.batchSize {params['batch']}; Parse Server: @parse/push-adapter "
      f"{params.get('push_adapter_version', '?')}, batchSize {params['parse_batch']}). Parse Server's runs are capped at "
      f"{params['parse_timeout']} s, Hearth's at {params['timeout']} s.")
    p("")

    cal = []
    for k in ("apns", "fcm"):
        c = read(os.path.join(results, f"calibrate-{k}.json"))
        if not c:
            continue
        c = json.loads(c)
        t = cpu(results, f"calibrate-{k}.cpu") or {}
        per_req = t.get("peer", 0) / c["ok"] * 1e6 if c.get("ok") else None
        cal.append(f"{k.upper()} peer alone: {c['ok']:,} requests in {c['seconds']:.2f} s = {c['perSecond']:,.0f}/s "
                   f"({c['failed']} failed), peer CPU {fmt(per_req, ' µs', 1)} per request "
                   f"(≈ {fmt(1e6 / per_req if per_req else None)} requests/s per core)")
    if cal:
        p("Calibration (a trivial HTTP/2 client, 2 connections, 500 streams in flight, on the same machine): " + "; ".join(cal) + ".")
        p("")

    cols = []
    for sc in scenarios:
        for s in servers:
            cols.append((s, sc))
    head = "| | " + " | ".join(f"{NAMES[s]}, {SCENARIOS[sc]}" for s, sc in cols) + " |"
    p(head)
    p("|---|" + "---|" * len(cols))
    data = {}
    for s, sc in cols:
        status = read(os.path.join(results, f"{s}.{sc}.status"), "not run")
        d = read(os.path.join(results, f"{s}.{sc}.json"))
        d = json.loads(d) if d else None
        data[(s, sc)] = (status, d, cpu(results, f"{s}.{sc}.cpu"))

    def row(label, f):
        cells = []
        for key in cols:
            status, d, c = data[key]
            if d is None:
                cells.append(status if status != "ok" else "no figures")
                continue
            try:
                cells.append(f(d, c, key))
            except (KeyError, TypeError, ZeroDivisionError):
                cells.append("–")
        p(f"| {label} | " + " | ".join(cells) + " |")

    def peer(d, key):
        return d["peer"]["hook" if key[1] == "hook" else "devices"]

    row("installations targeted", lambda d, c, k: fmt(d["expect"]))
    row("POST /push answered", lambda d, c, k: f"{d['pushAnswer']['status']} in {d['pushAnswer']['ms']:,.0f} ms")
    row("time to enqueue (running, count set)",
        lambda d, c, k: fmt(d["enqueueMs"] / 1000, " s", 2) + (f" (count {fmt(d['countAtRunning'])} when first seen)" if d.get("countAtRunning") is not None else "")
        if d["enqueueMs"] is not None else f"not seen (last status answered: {d['finalStatus'].get('status')})")
    row("delivered (unique, duplicates)", lambda d, c, k: f"{fmt(peer(d, k)['deliveries'])} ({fmt(d['peer'][k[1] if k[1] == 'hook' else 'apns'].get('unique', 0) + (d['peer']['fcm'].get('unique', 0) if k[1] == 'devices' else 0))}, "
        f"{fmt(d['peer'][k[1] if k[1] == 'hook' else 'apns'].get('duplicates', 0) + (d['peer']['fcm'].get('duplicates', 0) if k[1] == 'devices' else 0))})")
    row("of which APNs / FCM", lambda d, c, k: f"{fmt(d['peer']['apns']['deliveries'])} / {fmt(d['peer']['fcm']['deliveries'])}" if k[1] == "devices" else "–")
    row("requests at the peer", lambda d, c, k: fmt(peer(d, k)["requests"]))
    row("refused by the peer", lambda d, c, k: ", ".join(f"{n}: {v}" for n, v in d["peer"]["errors"].items()) or "0")
    row("_PushStatus at the end", lambda d, c, k: f"{d['finalStatus'].get('status')}, numSent {fmt(d['finalStatus'].get('numSent'))}, "
        f"numFailed {fmt(d['finalStatus'].get('numFailed'))}" + (" (timed out)" if d["timedOut"] else ""))
    row("last delivery after POST", lambda d, c, k: fmt(peer(d, k)["lastMs"] / 1000, " s", 2))
    row("status final after POST", lambda d, c, k: fmt(d["doneMs"] / 1000 if d["doneMs"] is not None else None, " s", 2))
    row("deliveries/s (middle 80 %)", lambda d, c, k: fmt(peer(d, k)["rateMiddle80"]))
    row("deliveries/s (first to last)", lambda d, c, k: fmt(peer(d, k)["rateWhole"]))
    row("POST → receipt p50 / p99 / max", lambda d, c, k: f"{fmt(peer(d, k)['p50Ms'] / 1000, '', 2)} / {fmt(peer(d, k)['p99Ms'] / 1000, '', 2)} / "
        f"{fmt(peer(d, k)['maxMs'] / 1000, ' s', 2)}")
    row("server RSS start / max / end", lambda d, c, k: f"{fmt(mib(d['rss']['startKb']))} / {fmt(mib(d['rss']['maxKb']))} / {fmt(mib(d['rss']['endKb']), ' MiB')}")
    row("CPU s: server / PostgreSQL / peer / machine",
        lambda d, c, k: f"{c['server']:.1f} / {c['postgres']:.1f} / {c['peer']:.1f} / {c['machine_busy']:.1f}" if c else "–")
    row("load average before → after", lambda d, c, k: " → ".join(x.split()[0] for x in read(os.path.join(results, f"{k[0]}.{k[1]}.loadavg"), "").splitlines()))
    p("")
    seeds = [f"{NAMES[s]} {read(os.path.join(results, f'{s}.seed-seconds'))} s" for s in servers if read(os.path.join(results, f"{s}.seed-seconds"))]
    if seeds:
        p("Seeding (INSERT … SELECT generate_series, all installations of both scenarios): " + ", ".join(seeds) + ".")
        p("")
    p(f"Hearth {params.get('hearth_rev', '?')}, Parse Server {params.get('parse_version', '?')}, @parse/push-adapter "
      f"{params.get('push_adapter_version', '?')}, Node {params.get('node_version', '?')}, {params.get('pg_version', '?')}; "
      f"{params.get('cpu', '?')}, {params.get('memory', '?')}.")
    print("\n".join(out))


if __name__ == "__main__":
    main()
