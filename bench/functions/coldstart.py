#!/usr/bin/env python3
"""Cold starts of Hearth's cloud functions, for bench/functions/run.sh.

    coldstart.py deploy  BASE APP MASTER_KEY TOKEN MODULE RUNS OUT.json
    coldstart.py restart BASE APP MASTER_KEY TOKEN LABEL OUT.json   (appends one JSON line)

deploy: RUNS times, a new module (MODULE with a custom section holding a nonce: the same code, a
new SHA-256, so neither the deployment nor the on-disk compile cache has seen it) is deployed with
POST /admin/v1/apps/APP/functions (timed: validation, compilation, the manifest call, the
database row), then POST /parse/functions/noop is called: the first call (timed; it loads the new
deployment on this instance), the second, then 50 more (their median: a warm call on the same
connection). The function log's line for each call ("ok in N µs", the call itself, without the
loading) is read back to split the first call's time.

restart: after the server restarted: one GET /parse/serverInfo (loads the app into the registry,
not timed), then the first POST /parse/functions/noop (timed: reads the active deployment and its
compiled form, from the on-disk cache when it is there, or compiles it), and the second.

Every request goes over one keep-alive connection to 127.0.0.1, so the times hold no TCP set-up.
"""
import http.client
import json
import statistics
import sys
import time
import urllib.parse


class Conn:
    def __init__(self, base):
        u = urllib.parse.urlparse(base)
        self.c = http.client.HTTPConnection(u.hostname, u.port, timeout=120)

    def req(self, method, path, body=None, headers=None):
        """(status, parsed JSON body or text, seconds)"""
        t0 = time.perf_counter()
        self.c.request(method, path, body=body, headers=headers or {})
        r = self.c.getresponse()
        data = r.read()
        dt = time.perf_counter() - t0
        try:
            data = json.loads(data)
        except ValueError:
            data = data.decode(errors="replace")
        return r.status, data, dt


def leb128(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def variant(module, nonce):
    """The module with one more custom section: same code, different bytes."""
    name = b"hearth-bench-nonce"
    payload = leb128(len(name)) + name + nonce.encode()
    return module + b"\x00" + leb128(len(payload)) + payload


def call_headers(app, key):
    return {"X-Parse-Application-Id": app, "X-Parse-Master-Key": key, "Content-Type": "application/json"}


def noop(conn, app, key):
    status, body, dt = conn.req("POST", "/parse/functions/noop", b"{}", call_headers(app, key))
    if status != 200 or body != {"result": 1}:
        raise SystemExit(f"POST /parse/functions/noop answered {status} {body}")
    return dt


def log_lines(conn, app, token, limit):
    status, body, _ = conn.req("GET", f"/admin/v1/apps/{app}/functions/logs?limit={limit}",
                               headers={"Authorization": f"Bearer {token}"})
    if status != 200:
        raise SystemExit(f"GET .../functions/logs answered {status} {body}")
    return body


def newest_log_id(conn, app, token):
    lines = log_lines(conn, app, token, 1)
    return lines[0]["id"] if lines else 0


def call_durations(conn, app, token, after, count):
    """The in-call durations (µs) of the `count` calls logged after the line `after`, oldest
    first, from the function log (written in batches by a background task: wait for them)."""
    for _ in range(50):
        rows = log_lines(conn, app, token, count + 10)
        lines = [r["durationUs"] for r in rows if r["id"] > after and r["source"] == "function:noop" and r.get("durationUs") is not None]
        if len(lines) >= count:
            return list(reversed(lines[:count]))
        time.sleep(0.1)
    return []


def deploy(base, app, key, token, module_path, runs, out):
    module = open(module_path, "rb").read()
    conn = Conn(base)
    results = []
    for i in range(runs):
        wasm = variant(module, f"{time.time_ns()}-{i}")
        last = newest_log_id(conn, app, token)
        status, body, t_deploy = conn.req("POST", f"/admin/v1/apps/{app}/functions", wasm,
                                          {"Authorization": f"Bearer {token}", "Content-Type": "application/wasm"})
        if status != 201:
            raise SystemExit(f"deploy answered {status} {body}")
        t_first = noop(conn, app, key)
        t_second = noop(conn, app, key)
        warm = [noop(conn, app, key) for _ in range(50)]
        inside = call_durations(conn, app, token, last, 52)
        r = {
            "version": body.get("version"), "size": len(wasm), "deploy_ms": t_deploy * 1e3,
            "first_ms": t_first * 1e3, "second_ms": t_second * 1e3, "warm_p50_ms": statistics.median(warm) * 1e3,
            "first_call_inside_us": inside[0] if inside else None,
            "warm_call_inside_us_p50": statistics.median(inside[2:]) if len(inside) > 2 else None,
        }
        results.append(r)
        print(json.dumps(r), file=sys.stderr)
    with open(out, "w") as f:
        json.dump({"module": module_path, "runs": results}, f, indent=1)


def restart(base, app, key, token, label, out):
    conn = Conn(base)
    last = newest_log_id(conn, app, token)
    status, body, _ = conn.req("GET", "/parse/serverInfo", headers=call_headers(app, key))
    if status != 200:
        raise SystemExit(f"GET /parse/serverInfo answered {status} {body}")
    t_first = noop(conn, app, key)
    t_second = noop(conn, app, key)
    inside = call_durations(conn, app, token, last, 2)
    r = {"label": label, "first_ms": t_first * 1e3, "second_ms": t_second * 1e3,
         "first_call_inside_us": inside[0] if inside else None}
    print(json.dumps(r), file=sys.stderr)
    with open(out, "a") as f:
        f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "deploy":
        deploy(args[0], args[1], args[2], args[3], args[4], int(args[5]), args[6])
    elif cmd == "restart":
        restart(*args[:6])
    else:
        raise SystemExit(__doc__)
