#!/usr/bin/env python3
"""Markdown report for bench/functions/run.sh.

    report.py RESULTS_DIR key=value ...

Reads from RESULTS_DIR: {parse,hearth}.status and .verify.json; <server>-<workload>-c<N>.txt (wrk
output with its RESULT line), .cpu and .wrktime; coldstart-deploy.json, coldstart-restart.jsonl;
the modules (bench.wasm, rust-sdk.wasm, plain-rust.wasm, noop.wasm) for their sizes. Formatting helpers come from bench/data-api/report.py.
"""
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data-api"))
from report import ms, num, read, short  # noqa: E402

LABELS = {
    "info": "plain request: `GET /parse/serverInfo` (master key)",
    "get": "data-API read: `GET /parse/classes/BenchItem/<id>`",
    "missing": "a function that does not exist: `POST /parse/functions/nosuch` (141; the baseline of a call)",
    "call": "function call: `POST /parse/functions/noop` (master key; Hearth: AssemblyScript SDK module)",
    "call_rust": "function call, Hearth's Rust SDK module (`rust-sdk/`)",
    "call_plain": "function call, Hearth's plain Rust cdylib (`plain-rust/`)",
    "call_wat": "function call, Hearth's handwritten module (`noop.wat`)",
    "create_plain": "create, class without trigger",
    "create_triggered": "create, class with a `beforeSave` that sets a field",
}
SERVERS = ("parse", "hearth")
# Workloads only Hearth runs (other guest kinds), and the module each deploys.
HEARTH_ONLY = ("call_rust", "call_plain", "call_wat")
MODULES = {"call": "bench.wasm", "call_rust": "rust-sdk.wasm", "call_plain": "plain-rust.wasm", "call_wat": "noop.wasm"}
NAMES = {"parse": "Parse Server", "hearth": "Hearth"}
CORES = os.cpu_count()


def us(x):
    return f"{x:,.0f} µs" if abs(x) >= 100 else f"{x:,.1f} µs"


def load(d, s, w, c, status, verify):
    """A run's figures (dict) or why there are none (str)."""
    if status[s] != "ok":
        return status[s]
    if s == "parse" and w in HEARTH_ONLY:
        return "n/a"
    v = verify[s].get(w, "setup failed")
    if v != "ok":
        return v
    txt = read(f"{d}/{s}-{w}-c{c}.txt")
    if txt is None or "RESULT " not in txt:
        return "not run"
    r = json.loads(txt.split("RESULT ", 1)[1].splitlines()[0])
    secs = r["duration_us"] / 1e6
    cpu = [json.loads(x) for x in (read(f"{d}/{s}-{w}-c{c}.cpu", "") or "").splitlines() if x.strip()]
    r["cpu"] = {}
    if len(cpu) == 2:
        r["cpu"] = {k: (cpu[1][k] - cpu[0][k]) / secs for k in cpu[0]}
    wt = (read(f"{d}/{s}-{w}-c{c}.wrktime", "") or "").split()
    if len(wt) >= 2:
        try:
            r["cpu"]["wrk"] = (float(wt[-2]) + float(wt[-1])) / secs
        except ValueError:
            pass
    c_ = r["cpu"]
    if "machine_processes" in c_:
        r["other"] = max(c_["machine_processes"] - c_.get("server", 0) - c_.get("postgres", 0) - c_.get("wrk", 0), 0)
    r["server_us"] = c_.get("server", 0) / r["rps"] * 1e6 if r["rps"] else 0
    r["pg_us"] = c_.get("postgres", 0) / r["rps"] * 1e6 if r["rps"] else 0
    r["machine_us"] = CORES / r["rps"] * 1e6 if r["rps"] else 0
    return r


def main():
    d = sys.argv[1]
    meta = dict(a.split("=", 1) for a in sys.argv[2:])
    conc = meta["concurrency"]
    status = {s: (read(f"{d}/{s}.status", "not run") or "").strip() for s in SERVERS}
    verify = {s: json.loads(read(f"{d}/{s}.verify.json", "{}")) for s in SERVERS}
    hi_ws, lo_ws = meta["workloads"].split(), meta["latency_workloads"].split()
    runs = {}
    for s in SERVERS:
        for w in hi_ws:
            runs[s, w, conc] = load(d, s, w, conc, status, verify)
        for w in lo_ws:
            runs[s, w, "1"] = load(d, s, w, "1", status, verify)
    ok = lambda s, w, c: isinstance(runs.get((s, w, c)), dict)  # noqa: E731

    out = []
    p = out.append
    p(f"### Cloud functions: Parse Server {meta.get('parse_version')} vs Hearth ({meta.get('hearth_rev')})")
    p("")
    p(f"{meta['duration']} s per run after a {meta['warmup']} s warm-up, wrk {meta.get('wrk_version')}; "
      f"{conc} connections ({meta['threads']} threads) and 1 connection (1 thread). "
      f"Machine: {meta.get('cpu')}, {meta.get('memory')}, {meta.get('os')}. {meta.get('pg_version')}; "
      f"Node {meta.get('node_version')}, Parse Server in cluster mode (one worker per core) with "
      f"`parse-cloud.js`; Hearth with one module per guest kind ("
      + ", ".join(f"`{m}` {os.path.getsize(f'{d}/{m}'):,} bytes" for m in MODULES.values() if os.path.exists(f"{d}/{m}"))
      + f"). Run took {meta.get('elapsed')} s.")

    def cells(r, what):
        if not isinstance(r, dict):
            return ["–" if r == "n/a" else f"not available ({short(r)})"] + ["–"] * (len(what) - 1)
        f = {"rps": num(r["rps"]), "p50": ms(r["p50_us"]), "p99": ms(r["p99_us"])}
        return [f[k] for k in what]

    def table(ws, c, title):
        p("")
        p(f"{title}:")
        p("")
        p("| workload | Parse req/s | Parse p50 | Parse p99 | Hearth req/s | Hearth p50 | Hearth p99 | Hearth/Parse req/s |")
        p("|---|---:|---:|---:|---:|---:|---:|---:|")
        for w in ws:
            a, b = runs[("parse", w, c)], runs[("hearth", w, c)]
            ratio = "–"
            if isinstance(a, dict) and isinstance(b, dict) and a["rps"]:
                ratio = f"{b['rps'] / a['rps']:.1f}x"
            p("| " + " | ".join([LABELS.get(w, w)] + cells(a, ["rps", "p50", "p99"]) + cells(b, ["rps", "p50", "p99"]) + [ratio]) + " |")

    table([w for w in lo_ws], "1", "One connection (latency)")
    table([w for w in hi_ws if not w.startswith("create")], conc, f"{conc} connections (throughput)")

    # Overhead of a call over the plain request.
    cols = [("parse", "call"), ("hearth", "call"), ("hearth", "call_rust"), ("hearth", "call_plain"), ("hearth", "call_wat")]
    heads = ["Parse Server", "Hearth: AssemblyScript SDK", "Hearth: Rust SDK", "Hearth: plain Rust cdylib", "Hearth: `noop.wat`"]
    p("")
    p("What a call costs over the plain request on the same server (call − `serverInfo`):")
    p("")
    p("| | " + " | ".join(heads) + " |")
    p("|---|" + "---:|" * len(cols))

    def row(label, f):
        vals = []
        for s, w in cols:
            try:
                vals.append(f(s, w))
            except (KeyError, TypeError, ZeroDivisionError):
                vals.append("–")
        p(f"| {label} | " + " | ".join(vals) + " |")

    def need(s, w, c):
        if not ok(s, w, c):
            raise KeyError(w)
        return runs[s, w, c]

    row("latency p50 at 1 connection", lambda s, w: us(need(s, w, "1")["p50_us"] - need(s, "info", "1")["p50_us"]))
    row("latency p99 at 1 connection", lambda s, w: us(need(s, w, "1")["p99_us"] - need(s, "info", "1")["p99_us"]))
    row("round trip at 1 connection (1 ÷ req/s)",
        lambda s, w: us(1e6 / need(s, w, "1")["rps"] - 1e6 / need(s, "info", "1")["rps"]))
    row("latency p50 at 1 connection, call − get by id", lambda s, w: us(need(s, w, "1")["p50_us"] - need(s, "get", "1")["p50_us"]))
    row(f"server CPU per request at {conc} connections: call, plain (difference)",
        lambda s, w: f"{us(need(s, w, conc)['server_us'])}, {us(need(s, 'info', conc)['server_us'])} "
                     f"(**{us(need(s, w, conc)['server_us'] - need(s, 'info', conc)['server_us'])}**)")
    row("latency p50 at 1 connection, call − missing function (the baseline)",
        lambda s, w: us(need(s, w, "1")["p50_us"] - need(s, "missing", "1")["p50_us"]))
    row(f"server CPU per request at {conc} connections, call − missing function (the baseline)",
        lambda s, w: f"**{us(need(s, w, conc)['server_us'] - need(s, 'missing', conc)['server_us'])}**")
    row(f"PostgreSQL CPU per request at {conc} connections: call (plain)",
        lambda s, w: f"{us(need(s, w, conc)['pg_us'])} ({us(need(s, 'info', conc)['pg_us'])})")
    row(f"machine time per request at {conc} connections ({CORES} cores / req/s): call − plain",
        lambda s, w: us(need(s, w, conc)["machine_us"] - need(s, "info", conc)["machine_us"]))

    # beforeSave.
    creates = [w for w in hi_ws if w.startswith("create")]
    if creates:
        table(creates, conc, f"Creates with and without a `beforeSave` trigger, {conc} connections")
        p("")
        for s in SERVERS:
            if ok(s, "create_plain", conc) and ok(s, "create_triggered", conc):
                a, b = runs[s, "create_plain", conc], runs[s, "create_triggered", conc]
                change = 100 * (b["rps"] / a["rps"] - 1)
                p(f"- {NAMES[s]}: the trigger changes create throughput by {'0' if abs(change) < 0.5 else f'{change:+.0f}'}%; "
                  f"server CPU per create {us(a['server_us'])} → {us(b['server_us'])} "
                  f"({us(b['server_us'] - a['server_us'])} more), PostgreSQL {us(a['pg_us'])} → {us(b['pg_us'])}.")

    # Cold starts.
    dep = json.loads(read(f"{d}/coldstart-deploy.json", "null") or "null")
    rst = [json.loads(x) for x in (read(f"{d}/coldstart-restart.jsonl", "") or "").splitlines() if x.strip()]
    if dep or rst:
        p("")
        p("Cold start, Hearth only (Parse Server has no deployment step: its cloud code is loaded when "
          "it starts). Each deployment is a new module (`bench.wasm` with a custom section holding a "
          "nonce: same code, new SHA-256, so no compile cache helps); one keep-alive connection:")
        p("")
        p("| | runs | median | min | max |")
        p("|---|---:|---:|---:|---:|")

        def stat(label, xs, unit="ms"):
            xs = [x for x in xs if x is not None]
            if not xs:
                return
            f = (lambda v: f"{v:,.2f} ms") if unit == "ms" else us
            p(f"| {label} | {len(xs)} | {f(statistics.median(xs))} | {f(min(xs))} | {f(max(xs))} |")

        if dep:
            r = dep["runs"]
            stat("deploy: `POST /admin/v1/apps/{id}/functions` (checks, compiles, caches the compiled "
                 "form, runs the manifest call, stores the version)", [x["deploy_ms"] for x in r])
            stat("first call after the deploy (loads the new version on this instance: reads it, "
                 "loads the compiled form from the disk cache, links, calls)", [x["first_ms"] for x in r])
            stat("of which the call itself (function log: instance, request, answer)",
                 [x["first_call_inside_us"] for x in r], "us")
            stat("second call", [x["second_ms"] for x in r])
            stat("warm call on the same connection (median of 50 per deployment)", [x["warm_p50_ms"] for x in r])
            stat("warm call itself (function log, median of 50 per deployment)", [x["warm_call_inside_us_p50"] for x in r], "us")
        for label, text in (("cached", "first call after a restart, compiled form on disk"),
                            ("compile", "first call after a restart without the disk cache (compiles)")):
            xs = [x for x in rst if x["label"] == label]
            stat(text, [x["first_ms"] for x in xs])
        if dep:
            p("")
            p(f"Module: {dep['runs'][0]['size']:,} bytes with its nonce section.")

    # Details.
    p("")
    p(f"Details per run (CPU in cores, averaged over the measured run; the machine has {CORES} cores):")
    p("")
    p("| server | workload | connections | requests | non-2xx | socket errors / timeouts | CPU server | CPU PostgreSQL | CPU wrk | CPU other processes |")
    p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    notes, noisy = [], []
    order = [(s, w, "1") for w in lo_ws for s in SERVERS] + [(s, w, conc) for w in hi_ws for s in SERVERS]
    for s, w, c in order:
        r = runs[s, w, c]
        if not isinstance(r, dict):
            continue
        cpu = r["cpu"]
        sock = r["connect_errors"] + r["read_errors"] + r["write_errors"]
        other = r.get("other")
        if other is not None and other > 0.25:
            noisy.append(f"{s} {w} at {c} ({other:.2f} cores)")
        p(f"| {NAMES[s]} | {w} | {c} | {r['requests']:,} | {r['non2xx']:,} | {sock} / {r['timeouts']} | "
          f"{cpu.get('server', 0):.2f} | {cpu.get('postgres', 0):.2f} | {cpu.get('wrk', 0):.2f} | "
          f"{'–' if other is None else f'{other:.2f}'} |")
        if r["first_bad"]:
            notes.append(f"- {s} {w} at {c}, first unexpected answer: `{r['first_bad'][:200]}`")
    reasons = {}
    for (s, w, c), r in runs.items():
        if not isinstance(r, dict) and r != "n/a":
            reasons.setdefault((s, r), set()).add(w)
    for (s, r), ws in reasons.items():
        notes.append(f"- {NAMES[s]} not available for {', '.join(sorted(ws))}: {r}")
    if noisy:
        notes.insert(0, "- **Warning**: processes outside the benchmark used CPU during " + ", ".join(noisy)
                     + "; those figures are low. Run again on a quiet machine.")
    if notes:
        p("")
        out.extend(notes)
    print("\n".join(out))


if __name__ == "__main__":
    main()
