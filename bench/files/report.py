#!/usr/bin/env python3
"""Markdown report for bench/files/run.sh.

    report.py RESULTS_DIR key=value ...

Reads RESULTS_DIR/runs.txt ("<server> <workload>" lines, in run order) and, per run,
<server>-<workload>.json (the workload's result: small.mjs's line, or curl's figures) and
<server>-<workload>.mem.json (rss.py's summary).
"""
import json
import sys

NAMES = {
    "parse": "Parse Server, local disk",
    "hearth-local": "Hearth, local disk",
    "hearth-s3": "Hearth, S3 (SeaweedFS)",
}


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def mib(kib):
    return f"{kib / 1024:,.1f} MiB"


def delta(kib):
    return f"{'+' if kib >= 0 else '−'}{abs(kib) / 1024:,.1f} MiB"


def ms(x):
    return "–" if x is None else (f"{x:.1f} ms" if x >= 10 else f"{x:.2f} ms")


def size_label(mib_):
    return f"{mib_ // 1024} GiB" if mib_ % 1024 == 0 else f"{mib_} MiB"


def short(text, n=90):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 3] + "..."


def main():
    d = sys.argv[1]
    meta = dict(a.split("=", 1) for a in sys.argv[2:])
    runs = []
    with open(f"{d}/runs.txt") as f:
        for line in f:
            if line.strip():
                s, w = line.split()
                runs.append((s, w, load(f"{d}/{s}-{w}.json"), load(f"{d}/{s}-{w}.mem.json")))
    servers = list(dict.fromkeys(s for s, _, _, _ in runs))
    idle = {s: m["mean_kib"] for s, w, _, m in runs if w == "idle" and m}
    end = {s: m["mean_kib"] for s, w, _, m in runs if w == "end" and m}

    out = []
    p = out.append
    p(f"### Files: Parse Server {meta.get('parse_version')} vs Hearth ({meta.get('hearth_rev')})")
    p("")
    p(f"One server at a time; resident memory (RSS, the sum over the server's processes: Parse Server's "
      f"primary and its workers) sampled every {meta.get('sample_ms')} ms. Machine: {meta.get('cpu')}, "
      f"{meta.get('memory')}, {meta.get('os')}. {meta.get('pg_version')}; Node {meta.get('node_version')}; "
      f"curl {meta.get('curl_version')}; SeaweedFS {meta.get('weed_version')}. Run took {meta.get('elapsed')} s.")
    p("")
    p("| server | RSS idle (after start and a warm-up of 100 small files) | RSS at the end (idle again) |")
    p("|---|---:|---:|")
    for s in servers:
        p(f"| {NAMES.get(s, s)} | {mib(idle[s]) if s in idle else '–'} | {mib(end[s]) if s in end else '–'} |")

    notes = []

    def memcells(s, m):
        if not m:
            return ["–", "–", "–"]
        base = idle.get(s, m["first_kib"])
        return [mib(m["first_kib"]), mib(m["peak_kib"]), f"**{delta(m['peak_kib'] - base)}**"]

    # Large files.
    p("")
    p("Large files: one raw POST of the whole file (`curl -T`, streamed from disk) and one GET "
      "(`curl -o /dev/null`); a second, unmeasured GET is hashed (SHA-256) against the file.")
    p("")
    p("| file | operation | server | result | MiB/s | seconds | RSS before | peak RSS | peak − idle | server CPU |")
    p("|---|---|---|---|---:|---:|---:|---:|---:|---:|")
    for s, w, r, m in runs:
        if not (w.startswith("upload-") or w.startswith("download-")):
            continue
        size = int(w.rsplit("-", 1)[1])
        op = {"upload": "upload", "upload-stream": "upload, `X-Parse-Upload-Mode: stream`", "download": "download"}[w.rsplit("-", 1)[0]]
        r = r or {"error": "no result"}
        if r.get("error"):
            result, rate, secs = f"failed: {short(r['error'], 70)}", "–", f"{r.get('seconds', 0):.1f}" if r.get("seconds") else "–"
            notes.append(f"- {NAMES.get(s, s)}, {op} of {size_label(size)}: `{short(r['error'], 400)}`")
        else:
            result = "ok" + (", SHA-256 ok" if r.get("sha256") == "ok" else "")
            rate, secs = f"{r['size'] / r['seconds'] / 1048576:,.0f}", f"{r['seconds']:.2f}"
        cpu = f"{m['server_cores']:.2f}" if m and "server_cores" in m else "–"
        p(f"| {size_label(size)} | {op} | {NAMES.get(s, s)} | {result} | {rate} | {secs} | " + " | ".join(memcells(s, m)) + f" | {cpu} |")

    # Small files.
    p("")
    first_small = next((r for s, w, r, m in runs if w.startswith("small-") and r and "count" in r), None)
    if first_small:
        p(f"Small files: {first_small['count']:,} files of {first_small['size'] / 1024:g} KiB, "
          f"{first_small['concurrency']} requests in flight (Node fetch, keep-alive), after "
          "an unmeasured warm-up; every answer checked (downloads byte for byte).")
    p("")
    p("| operation | server | files/s | p50 | p99 | failed | RSS before | peak RSS | peak − idle | server CPU | machine CPU |")
    p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s, w, r, m in runs:
        if not w.startswith("small-"):
            continue
        op = w.split("-", 1)[1]
        r = r or {"error": "no result"}
        cpu = [f"{m['server_cores']:.2f}", f"{m['machine_cores']:.2f}"] if m and "server_cores" in m else ["–", "–"]
        if "perSecond" not in r:
            notes.append(f"- {NAMES.get(s, s)}, small {op}: `{short(r.get('error'), 400)}`")
            p(f"| {op} | {NAMES.get(s, s)} | failed | – | – | – | " + " | ".join(memcells(s, m) + cpu) + " |")
            continue
        if r.get("failed"):
            notes.append(f"- {NAMES.get(s, s)}, small {op}: {r['failed']} failed, first: `{short(r.get('firstError'), 300)}`")
        p(f"| {op} | {NAMES.get(s, s)} | {r['perSecond']:,.0f} | {ms(r['p50Ms'])} | {ms(r['p99Ms'])} | {r['failed']} | "
          + " | ".join(memcells(s, m) + cpu) + " |")

    if notes:
        p("")
        p("Failures:")
        out.extend(notes)
    print("\n".join(out))


main()
