#!/usr/bin/env bash
# Where a create and a filtered query spend their time: Hearth's and PostgreSQL's CPU per
# request under load, PostgreSQL's statements (pg_stat_statements), and Hearth's instructions by
# function and crate (valgrind's callgrind, one worker, requests one at a time).
#
#   bench/data-api/profile.sh                      # about 6 minutes (plus the release build)
#   HEARTH_BIN=/path/to/hearth N=500 bench/data-api/profile.sh
#
# The data are bench/data-api's: the class BenchItem with the index tag_score, 10,000 objects
# (setup.mjs); `create` and `query` are workload.lua's. Outputs go to bench/results/profile-<time>/:
# <w>.txt (wrk), <w>.cpu (CPU snapshots), <w>.statements (PostgreSQL's top statements),
# callgrind-<w>.out and callgrind-<w>.txt (by function, inclusive), and summary.txt.
# Settings: DURATION (10 s per load run), CONCURRENCY (32), N (300 requests under callgrind),
# HEARTH_BIN, PG_BIN, WAIT_QUIET (0).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"

DURATION=${DURATION:-10}
CONCURRENCY=${CONCURRENCY:-32}
THREADS=${THREADS:-2}
N=${N:-300}
WAIT_QUIET=${WAIT_QUIET:-0}
RETRIES=${RETRIES:-0}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
APP_ID=benchApp MASTER_KEY=benchMasterKey REST_KEY=benchRestKey SERVERS=hearth
RESULTS=${RESULTS:-$repo/bench/results/profile-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)
command -v valgrind >/dev/null || die "valgrind not found (apt-get install valgrind)"

bench_init profile
bench_tools
bench_build_hearth
[ "$hearth_status" = ok ] || die "Hearth: $hearth_status"
PG_OPTS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top"
pg_start hearth
psql_ -d hearth -c "CREATE EXTENSION pg_stat_statements"

hearth_start hearth || die "Hearth did not start (see $RESULTS/hearth.log)"
hearth_login || die "cannot log in to Hearth"
status=$(hearth_create_app "$RESULTS/app.json" \
  "{\"name\":\"bench\",\"applicationId\":\"$APP_ID\",\"masterKey\":\"$MASTER_KEY\",\"restApiKey\":\"$REST_KEY\"}")
[ "$status" = 201 ] || die "creating the app answered $status"
log "seeding 10,000 objects"
node "$here/setup.mjs" --base "$hb/parse" --objects 10000 --out "$RESULTS/hearth" >"$RESULTS/setup.log" 2>&1
psql_ -d hearth -c "VACUUM ANALYZE"

# Under load: CPU per request of Hearth and of PostgreSQL, and PostgreSQL's statements.
for w in create query; do
  psql_ -d hearth -c "SELECT pg_stat_statements_reset()" >/dev/null
  log "$w: ${DURATION}s at $CONCURRENCY connections"
  measure "$RESULTS/$w" "$w" "$hearth_pid" \
    env BENCH_APP_ID=$APP_ID BENCH_REST_KEY=$REST_KEY wrk -t"$THREADS" -c"$CONCURRENCY" -d"${DURATION}s" --latency \
    --timeout 30s -s "$here/workload.lua" "$hb" -- "$w" >"$RESULTS/$w.txt" 2>&1
  psql_ -d hearth -A -F $'\t' -c "SELECT calls, round(total_exec_time::numeric, 1) AS total_ms,
      round(mean_exec_time::numeric * 1000, 1) AS mean_us, rows, regexp_replace(left(query, 240), '\s+', ' ', 'g') AS query
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'hearth')
    ORDER BY total_exec_time DESC LIMIT 10" >"$RESULTS/$w.statements"
done
stop_hearth

# Instructions: Hearth under callgrind, one worker, N requests of each workload one at a time
# (after 50 unmeasured ones), counted separately.
log "callgrind: $N requests of each workload"
cg_port=$(free_port)
(HEARTH_DATABASE_URL=$pg_url/hearth HEARTH_WORKERS=1 HEARTH_FUNCTION_INSTANCES=4 HEARTH_ADMIN_EMAIL=bench@hearth.test \
  HEARTH_ADMIN_PASSWORD=bench-password-1 exec setsid valgrind --tool=callgrind --instr-atstart=no \
  --callgrind-out-file="$RESULTS/callgrind.out" "$HEARTH_BIN" serve --port "$cg_port" --log warn \
  --data-dir "$work/hearth-data") >"$RESULTS/callgrind.log" 2>&1 &
hearth_pid=$!
wait_http "http://127.0.0.1:$cg_port/health" "$hearth_pid" 300 || die "Hearth under valgrind did not start"
drive() { # workload count
  python3 - "$cg_port" "$1" "$2" "$APP_ID" "$REST_KEY" <<'PY'
import http.client, json, sys, urllib.parse
port, w, n, app, key = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
h = {"X-Parse-Application-Id": app, "X-Parse-REST-API-Key": key, "Content-Type": "application/json"}
where = urllib.parse.quote(json.dumps({"tag": "t3", "score": {"$gte": 100}}, separators=(",", ":")))
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for i in range(n):
    if w == "create":
        c.request("POST", "/parse/classes/BenchItem", body=json.dumps({"score": i, "name": f"item{i}", "tag": f"t{i % 10}"}), headers=h)
    else:
        c.request("GET", f"/parse/classes/BenchItem?where={where}&order=-score&limit=20", headers=h)
    r = c.getresponse(); r.read()
    assert r.status in (200, 201), r.status
PY
}
dumps() { # how many dumps callgrind wrote so far
  local f=("$RESULTS"/callgrind.out.*)
  if [ -e "${f[0]}" ]; then echo "${#f[@]}"; else echo 0; fi
}
for w in create query; do
  drive "$w" 50
  callgrind_control -z "$hearth_pid" >/dev/null
  callgrind_control -i on "$hearth_pid" >/dev/null
  drive "$w" "$N"
  callgrind_control -i off "$hearth_pid" >/dev/null
  before=$(dumps)
  callgrind_control -d "$hearth_pid" >/dev/null
  for i in $(seq 100); do [ "$(dumps)" -gt "$before" ] && break; sleep 0.1; done
  mv "$(ls -t "$RESULTS"/callgrind.out.* | head -1)" "$RESULTS/callgrind-$w.out"
  callgrind_annotate --inclusive=yes --threshold=100 "$RESULTS/callgrind-$w.out" 2>/dev/null | head -80 >"$RESULTS/callgrind-$w.txt" || true
done
stop_hearth

python3 - "$RESULTS" "$N" "$DURATION" <<'PY' | tee "$RESULTS/summary.txt"
import json, re, sys
res, n, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
def crate_of(fn):
    fn = fn.split("'")[-1] if "'" in fn else fn
    m = re.match(r"(?:<)?(?:&)?([A-Za-z_][A-Za-z0-9_]*)::", fn)
    if m:
        return m.group(1)
    return "libc and others" if fn else "?"
for w in ("create", "query"):
    out = open(f"{res}/{w}.txt").read()
    m = re.search(r"RESULT (\{.*\})", out)
    reqs = json.loads(m.group(1))["requests"] if m else 0
    a, b = (json.loads(x) for x in open(f"{res}/{w}.cpu").read().split("\n") if x.strip())
    hearth = (b["server"] - a["server"]) / max(reqs, 1) * 1e6
    pg = (b["postgres"] - a["postgres"]) / max(reqs, 1) * 1e6
    stmts = [l.split("\t") for l in open(f"{res}/{w}.statements").read().splitlines()[1:] if "\t" in l]
    exec_us = sum(float(s[1]) for s in stmts if len(s) > 1) * 1000 / max(reqs, 1)
    print(f"== {w}: {reqs / secs:,.0f} requests/s at the load run; CPU per request: Hearth {hearth:.1f} µs, PostgreSQL {pg:.1f} µs (statements' execution {exec_us:.1f} µs)")
    for s in stmts[:5]:
        print(f"   pg: {int(s[0]):>8} calls  {s[2]:>8} µs mean  {s[4][:150]}")
    text = open(f"{res}/callgrind-{w}.out", errors="replace").read()
    total = re.search(r"^totals:\s+(\d+)", text, re.M)
    if total:
        print(f"   Hearth: {int(total.group(1)) // n:,} instructions per request (callgrind, {n} requests one at a time)")
    # Self cost by crate, from callgrind_annotate's exclusive view.
    import subprocess
    ann = subprocess.run(["callgrind_annotate", "--threshold=100", f"{res}/callgrind-{w}.out"], capture_output=True, text=True).stdout
    by = {}
    for line in ann.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+(.*)", line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        cost = int(m.group(1).replace(",", ""))
        fn = re.sub(r"\s+\[[^\]]*\]$", "", m.group(2).strip())
        fn = fn.split(":", 1)[1] if fn.startswith("???:") or re.match(r"^[^:<]*\.(rs|c|S|h):", fn) else fn
        crate = re.match(r"^<*&?(?:mut )?(?:dyn )?([A-Za-z_][A-Za-z0-9_]*)", fn)
        key = crate.group(1) if crate and "::" in fn else "C libraries and the kernel's interface"
        by[key] = by.get(key, 0) + cost
    tot = int(total.group(1)) if total else (sum(by.values()) or 1)
    print("   by crate (self): " + ", ".join(f"{k} {v * 100 / tot:.0f}%" for k, v in sorted(by.items(), key=lambda kv: -kv[1])[:12]))
PY
