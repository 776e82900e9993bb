#!/usr/bin/env bash
# Data API benchmark (issue 3): the same workload against Parse Server 9 and Hearth on the same
# PostgreSQL, in one run, plus pgbench's prepared primary-key select as the machine's limit.
#
#   bench/data-api/run.sh                          # defaults: 32 connections, 15 s per run
#   CONCURRENCY=64 DURATION=30 bench/data-api/run.sh
#   HEARTH_BIN=/path/to/hearth bench/data-api/run.sh   # skip the cargo build
#
# What it does, in order (every process it starts is stopped on exit, also on failure):
#  1. starts a private PostgreSQL 15 cluster (as the postgres OS user, data under /tmp, TCP on a
#     free loopback port) with the databases parse, hearth and pgbench;
#  2. starts Parse Server 9 in Node cluster mode, one worker per core (cluster.js);
#  3. starts Hearth (release build) on the same PostgreSQL and creates the app benchApp with the
#     same application id and keys as Parse Server;
#  4. per server: creates the class, checks each workload's answers and seeds OBJECTS objects
#     (setup.mjs); a workload whose check fails is reported as "not available", the rest runs;
#  5. runs each workload (get, query, create, batch) for DURATION seconds at CONCURRENCY
#     connections with wrk (workload.lua), Parse Server then Hearth, after a WARMUP run each;
#  6. stops both servers and runs pgbench with the same clients and duration;
#  7. prints a markdown table (also in RESULTS/summary.md); raw outputs stay in RESULTS.
#
# Settings (environment): CONCURRENCY (32), DURATION (15 s), WARMUP (3 s), OBJECTS (10000),
# THREADS (wrk and pgbench threads; number of cores), WORKLOADS ("get query get_session query_session
# get_acl query_acl login create batch"),
# SERVERS ("parse hearth"), RESULTS (bench/results/data-api-<date>), PG_BIN
# (/usr/lib/postgresql/15/bin), HEARTH_BIN (default: built from this checkout), WAIT_QUIET (0: before
# each measured run, wait up to this many seconds for other processes to leave the CPU idle),
# RETRIES (2: run a measurement again when other processes used more than 0.25 cores during it).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

CONCURRENCY=${CONCURRENCY:-32}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-3}
OBJECTS=${OBJECTS:-10000}
THREADS=${THREADS:-$(nproc)}
WAIT_QUIET=${WAIT_QUIET:-0}
RETRIES=${RETRIES:-2}
WORKLOADS=${WORKLOADS:-get query get_session query_session get_acl query_acl login create batch}
SERVERS=${SERVERS:-parse hearth}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
RESULTS=${RESULTS:-$repo/bench/results/data-api-$(date +%Y%m%d-%H%M%S)}
APP_ID=benchApp MASTER_KEY=benchMasterKey REST_KEY=benchRestKey

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

[ "$OBJECTS" -ge 300 ] || die "OBJECTS must be at least 300 (the query check needs 20 rows with tag t3 and score >= 100)"
mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)
started=$(date +%s)

# ---- tools --------------------------------------------------------------------------------------
[ -x "$PG_BIN/postgres" ] || die "PostgreSQL 15 server binaries not found in $PG_BIN (apt-get install postgresql-15)"
command -v pgbench >/dev/null || die "pgbench not found on PATH (apt-get install postgresql-client-15)"
command -v node >/dev/null || die "node not found (Node.js 20.19+ is needed for Parse Server 9)"
id postgres >/dev/null 2>&1 || die "no postgres OS user (initdb refuses to run as root)"
if ! command -v wrk >/dev/null; then
  log "installing wrk"
  (apt-get install -y --no-install-recommends wrk || { apt-get update && apt-get install -y --no-install-recommends wrk; }) \
    >"$RESULTS/apt-wrk.log" 2>&1 || die "could not install wrk (see $RESULTS/apt-wrk.log)"
fi
if [ ! -d "$here/node_modules/parse-server" ]; then
  log "installing Parse Server (npm ci in bench/data-api)"
  (cd "$here" && npm ci --no-audit --no-fund) >"$RESULTS/npm-ci.log" 2>&1 || die "npm ci failed (see $RESULTS/npm-ci.log)"
fi

hearth_status=ok
case " $SERVERS " in *" hearth "*) ;; *) hearth_status="not run (SERVERS=$SERVERS)" ;; esac
if [ "$hearth_status" = ok ] && [ -z "${HEARTH_BIN:-}" ]; then
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/hearth/target}
  HEARTH_BIN=$CARGO_TARGET_DIR/release/hearth
  log "building Hearth (cargo build --release -p hearth)"
  if ! (cd "$repo" && cargo build --release -p hearth) >"$RESULTS/hearth-build.log" 2>&1; then
    hearth_status="release build failed, see hearth-build.log"
    log "Hearth: $hearth_status"
  fi
fi
if [ "$hearth_status" = ok ] && [ ! -x "$HEARTH_BIN" ]; then hearth_status="no binary at $HEARTH_BIN"; fi

# ---- clean-up -----------------------------------------------------------------------------------
work=$(mktemp -d /tmp/hearth-bench-data-api.XXXXXX)
chmod 755 "$work"
pgdata=$work/pg/data
pg_started= parse_pid= hearth_pid=

stop_group() { # pid: TERM the process group it leads, wait up to 15 s, then KILL
  local pid=$1 i
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
stop_parse() { [ -z "$parse_pid" ] || { stop_group "$parse_pid"; parse_pid=; }; }
stop_hearth() { [ -z "$hearth_pid" ] || { stop_group "$hearth_pid"; hearth_pid=; }; }
cleanup() {
  local rc=$?
  set +e
  stop_parse
  stop_hearth
  if [ -n "$pg_started" ]; then
    (cd /tmp && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$pgdata" -m fast -w -t 60 stop) >/dev/null 2>&1
    cp "$work/pg/postgres.log" "$RESULTS/postgres.log" 2>/dev/null
  fi
  rm -rf "$work"
  [ $rc -eq 0 ] || printf 'benchmark failed (exit %s); outputs so far in %s\n' "$rc" "$RESULTS" >&2
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

other_cpu() { # cores used by user processes over one second (the benchmark's own are idle then)
  python3 -c '
import time
def t():
    with open("/proc/stat") as f:
        c = [int(x) for x in f.readline().split()[1:4]]
    return sum(c)
import os; hz = os.sysconf("SC_CLK_TCK"); a = t(); time.sleep(1); print(f"{(t() - a) / hz:.2f}")'
}
quiet() { # warn, or wait up to WAIT_QUIET seconds, while other processes keep the CPU busy
  local deadline=$(($(date +%s) + WAIT_QUIET)) o
  while o=$(other_cpu); python3 -c "import sys; sys.exit(0 if $o > 0.25 else 1)"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then log "warning: other processes use $o cores; figures will be low"; return; fi
    sleep 4
  done
}

other_during() { # file prefix: cores used by processes other than server, PostgreSQL and wrk
  python3 - "$1" "$DURATION" <<'PY'
import json, sys
pre, secs = sys.argv[1], float(sys.argv[2])
a, b = (json.loads(x) for x in open(pre + ".cpu").read().split("\n") if x.strip())
o = b["machine_processes"] - a["machine_processes"] - sum(b[k] - a[k] for k in a if not k.startswith("machine"))
t = open(pre + ".wrktime").read().split()
if len(t) >= 2:
    o -= float(t[-2]) + float(t[-1])
print(f"{max(o, 0) / secs:.2f}")
PY
}

wait_http() { # url pid seconds: until the url answers 200
  local url=$1 pid=$2 deadline=$(($(date +%s) + $3))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url")" = 200 ]; do
    kill -0 "$pid" 2>/dev/null || return 1
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# ---- PostgreSQL ---------------------------------------------------------------------------------
pgport=$(free_port)
install -d -o postgres -g postgres "$work/pg" "$work/pg/sock"
log "PostgreSQL 15: initdb and start on 127.0.0.1:$pgport"
(cd /tmp && runuser -u postgres -- "$PG_BIN/initdb" -D "$pgdata" -U postgres -A trust -E UTF8 --locale=C.UTF-8) \
  >"$RESULTS/initdb.log" 2>&1 || die "initdb failed (see $RESULTS/initdb.log)"
(cd /tmp && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$pgdata" -l "$work/pg/postgres.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$pgport -c unix_socket_directories=$work/pg/sock" start) \
  >/dev/null || die "PostgreSQL did not start"
pg_started=1
pg_pid=$(head -1 "$pgdata/postmaster.pid")
psql_() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pgport" -U postgres "$@"; }
for db in parse hearth pgbench; do psql_ -d postgres -c "CREATE DATABASE $db"; done
pg_url=postgres://postgres@127.0.0.1:$pgport

# ---- servers ------------------------------------------------------------------------------------
parse_status="not run (SERVERS=$SERVERS)"
case " $SERVERS " in *" parse "*)
  parse_port=$(free_port)
  log "Parse Server $(node -p 'require(process.argv[1]).version' "$here/node_modules/parse-server/package.json"): cluster of $(nproc) workers on 127.0.0.1:$parse_port"
  (cd "$here" && NODE_ENV=production PARSE_PORT=$parse_port PARSE_DATABASE_URI=$pg_url/parse PARSE_APP_ID=$APP_ID \
    PARSE_MASTER_KEY=$MASTER_KEY PARSE_REST_API_KEY=$REST_KEY PARSE_LOGS_FOLDER="$RESULTS/parse-server-logs" \
    exec setsid node cluster.js) >"$RESULTS/parse-server.log" 2>&1 &
  parse_pid=$!
  wait_http "http://127.0.0.1:$parse_port/parse/health" "$parse_pid" 120 \
    || die "Parse Server did not answer /parse/health (see $RESULTS/parse-server.log)"
  parse_status=ok
  ;;
esac

if [ "$hearth_status" = ok ]; then
  hearth_port=$(free_port)
  log "Hearth ($HEARTH_BIN) on 127.0.0.1:$hearth_port"
  (HEARTH_DATABASE_URL=$pg_url/hearth HEARTH_ADMIN_EMAIL=bench@hearth.test HEARTH_ADMIN_PASSWORD=bench-password-1 \
    exec setsid "$HEARTH_BIN" serve --port "$hearth_port" --log warn --data-dir "$work/hearth-data") \
    >"$RESULTS/hearth.log" 2>&1 &
  hearth_pid=$!
  hb=http://127.0.0.1:$hearth_port
  if ! wait_http "$hb/health" "$hearth_pid" 120; then
    hearth_status="did not start, see hearth.log"
  else
    token=$(curl -s --max-time 10 "$hb/admin/v1/auth/login" -H 'Content-Type: application/json' \
      -d '{"email":"bench@hearth.test","password":"bench-password-1"}' |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' 2>/dev/null) || token=
    if [ -z "$token" ]; then
      hearth_status="admin login failed"
    else
      code=$(curl -s -o "$RESULTS/hearth-app.json" -w '%{http_code}' --max-time 10 "$hb/admin/v1/apps" \
        -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        -d "{\"name\":\"bench\",\"applicationId\":\"$APP_ID\",\"masterKey\":\"$MASTER_KEY\",\"restApiKey\":\"$REST_KEY\",\"settings\":{\"rateLimits\":[]}}")
      [ "$code" = 201 ] || hearth_status="app creation answered HTTP $code"
    fi
  fi
  [ "$hearth_status" = ok ] || { log "Hearth: $hearth_status"; stop_hearth; }
fi
printf '%s\n' "$hearth_status" >"$RESULTS/hearth.status"
printf '%s\n' "$parse_status" >"$RESULTS/parse.status"

# ---- setup and checks ---------------------------------------------------------------------------
declare -A url pid
[ "$parse_status" = ok ] && { url[parse]=http://127.0.0.1:$parse_port; pid[parse]=$parse_pid; }
[ "$hearth_status" = ok ] && { url[hearth]=http://127.0.0.1:$hearth_port; pid[hearth]=$hearth_pid; }
for s in parse hearth; do
  [ -n "${url[$s]:-}" ] || continue
  log "$s: create the class, check the answers, seed $OBJECTS objects"
  node "$here/setup.mjs" --base "${url[$s]}/parse" --objects "$OBJECTS" --out "$RESULTS/$s" \
    --app-id "$APP_ID" --rest-key "$REST_KEY" --master-key "$MASTER_KEY" 2>&1 | tee "$RESULTS/$s-setup.log" >&2 \
    || log "$s: setup.mjs failed (see $s-setup.log); its workloads are reported as not available"
done
for db in parse hearth; do psql_ -d "$db" -c 'VACUUM ANALYZE'; done

check() { # server workload -> prints ok or the reason
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], "missing"))' \
    "$RESULTS/$1.verify.json" "$2" 2>/dev/null || echo "setup failed"
}

# ---- timed runs ---------------------------------------------------------------------------------
wrk_run() { # server workload seconds outfile
  local s=$1 w=$2 ids= token=
  case $w in get | get_session) ids=$RESULTS/$s.ids ;; get_acl) ids=$RESULTS/$s.secure.ids ;; esac
  [ -f "$RESULTS/$s.token" ] && token=$(cat "$RESULTS/$s.token")
  BENCH_APP_ID=$APP_ID BENCH_REST_KEY=$REST_KEY BENCH_SESSION_TOKEN=$token wrk -t"$THREADS" -c"$CONCURRENCY" -d"$3s" --latency --timeout 30s \
    -s "$here/workload.lua" "${url[$s]}" -- "$w" $ids >"$4" 2>&1
}
for w in $WORKLOADS; do
  for s in parse hearth; do
    [ -n "${url[$s]:-}" ] || continue
    v=$(check "$s" "$w")
    if [ "$v" != ok ]; then
      log "$s $w: not available ($v)"
      continue
    fi
    log "$s $w: ${WARMUP}s warm-up, ${DURATION}s measured, $CONCURRENCY connections"
    [ "$WARMUP" -gt 0 ] && wrk_run "$s" "$w" "$WARMUP" "$RESULTS/$s-$w.warmup.txt"
    for attempt in $(seq 0 "$RETRIES"); do
      psql_ -d postgres -c CHECKPOINT
      quiet
      python3 "$here/cputicks.py" server="${pid[$s]}" postgres="$pg_pid" >"$RESULTS/$s-$w.cpu"
      TIMEFORMAT='%U %S'
      { time wrk_run "$s" "$w" "$DURATION" "$RESULTS/$s-$w.txt"; } 2>"$RESULTS/$s-$w.wrktime" || true
      python3 "$here/cputicks.py" server="${pid[$s]}" postgres="$pg_pid" >>"$RESULTS/$s-$w.cpu"
      o=$(other_during "$RESULTS/$s-$w")
      python3 -c "import sys; sys.exit(0 if $o > 0.25 else 1)" || break
      [ "$attempt" -lt "$RETRIES" ] || { log "$s $w: other processes used $o cores; keeping this run"; break; }
      log "$s $w: other processes used $o cores during the run; running it again"
      cp "$RESULTS/$s-$w.txt" "$RESULTS/$s-$w.noisy$attempt.txt"
    done
    grep -q '^RESULT ' "$RESULTS/$s-$w.txt" || die "wrk failed for $s $w (see $RESULTS/$s-$w.txt)"
    kill -0 "${pid[$s]}" 2>/dev/null || die "$s died during $w (see $RESULTS/$s*.log)"
  done
done
stop_parse
stop_hearth

# ---- pgbench ------------------------------------------------------------------------------------
log "pgbench: prepared primary-key select on $OBJECTS rows, $CONCURRENCY clients, ${DURATION}s"
psql_ -d pgbench <<SQL
CREATE TABLE bench_items (
  object_id text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  data jsonb NOT NULL
);
INSERT INTO bench_items (object_id, data)
  SELECT 'x' || lpad(i::text, 9, '0'), jsonb_build_object('score', i, 'name', 'item' || i, 'tag', 't' || (i % 10))
  FROM generate_series(1, $OBJECTS) AS i;
VACUUM ANALYZE bench_items;
SQL
pgb() { # seconds outfile
  pgbench -h 127.0.0.1 -p "$pgport" -U postgres -n -M prepared -c "$CONCURRENCY" -j "$THREADS" -T "$1" \
    -D rows="$OBJECTS" -f "$here/pgbench-get.sql" pgbench >"$2" 2>&1
}
[ "$WARMUP" -gt 0 ] && pgb "$WARMUP" "$RESULTS/pgbench.warmup.txt"
for attempt in $(seq 0 "$RETRIES"); do
  psql_ -d postgres -c CHECKPOINT
  quiet
  python3 "$here/cputicks.py" postgres="$pg_pid" >"$RESULTS/pgbench.cpu"
  TIMEFORMAT='%U %S'
  { time pgb "$DURATION" "$RESULTS/pgbench.txt"; } 2>"$RESULTS/pgbench.wrktime" || die "pgbench failed (see $RESULTS/pgbench.txt)"
  python3 "$here/cputicks.py" postgres="$pg_pid" >>"$RESULTS/pgbench.cpu"
  o=$(other_during "$RESULTS/pgbench")
  python3 -c "import sys; sys.exit(0 if $o > 0.25 else 1)" || break
  [ "$attempt" -lt "$RETRIES" ] || { log "pgbench: other processes used $o cores; keeping this run"; break; }
  log "pgbench: other processes used $o cores during the run; running it again"
done

# ---- report -------------------------------------------------------------------------------------
hearth_rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$repo" diff --quiet HEAD -- server 2>/dev/null || hearth_rev="$hearth_rev+changes"
python3 "$here/report.py" "$RESULTS" \
  concurrency="$CONCURRENCY" duration="$DURATION" warmup="$WARMUP" objects="$OBJECTS" threads="$THREADS" \
  workloads="$WORKLOADS" elapsed="$(($(date +%s) - started))" hearth_rev="$hearth_rev" \
  parse_version="$(node -p 'require(process.argv[1]).version' "$here/node_modules/parse-server/package.json")" \
  node_version="$(node --version)" pg_version="$("$PG_BIN/postgres" --version)" \
  wrk_version="$(wrk --version 2>&1 | head -1 | awk '{print $2}')" \
  cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores" \
  memory="$(free -g | awk '/^Mem:/ {print $2}') GiB" os="$(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)" \
  | tee "$RESULTS/summary.md"
log "raw outputs in $RESULTS"
