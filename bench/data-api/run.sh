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
# Shared with bench/functions: tools, PostgreSQL, both servers, measured runs, clean-up.
source "$here/../lib.sh"

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

[ "$OBJECTS" -ge 300 ] || die "OBJECTS must be at least 300 (the query check needs 20 rows with tag t3 and score >= 100)"
mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)
started=$(date +%s)

# ---- tools --------------------------------------------------------------------------------------
command -v pgbench >/dev/null || die "pgbench not found on PATH (apt-get install postgresql-client-15)"
bench_tools
bench_build_hearth

# ---- PostgreSQL ---------------------------------------------------------------------------------
bench_init data-api
pg_start parse hearth pgbench

# ---- servers ------------------------------------------------------------------------------------
parse_status="not run (SERVERS=$SERVERS)"
case " $SERVERS " in *" parse "*)
  parse_start parse
  parse_status=ok
  ;;
esac

if [ "$hearth_status" = ok ]; then
  if ! hearth_start hearth; then
    hearth_status="did not start, see hearth.log"
  elif ! hearth_login; then
    hearth_status="admin login failed"
  else
    code=$(hearth_create_app "$RESULTS/hearth-app.json" \
      "{\"name\":\"bench\",\"applicationId\":\"$APP_ID\",\"masterKey\":\"$MASTER_KEY\",\"restApiKey\":\"$REST_KEY\",\"settings\":{\"rateLimits\":[]}}")
    [ "$code" = 201 ] || hearth_status="app creation answered HTTP $code"
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
    measure "$RESULTS/$s-$w" "$s $w" "${pid[$s]}" wrk_run "$s" "$w" "$DURATION" "$RESULTS/$s-$w.txt" || true
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
measure "$RESULTS/pgbench" pgbench "" pgb "$DURATION" "$RESULTS/pgbench.txt" || die "pgbench failed (see $RESULTS/pgbench.txt)"

# ---- report -------------------------------------------------------------------------------------
bench_meta
python3 "$here/report.py" "$RESULTS" \
  concurrency="$CONCURRENCY" duration="$DURATION" warmup="$WARMUP" objects="$OBJECTS" threads="$THREADS" \
  workloads="$WORKLOADS" elapsed="$(($(date +%s) - started))" "${meta[@]}" \
  | tee "$RESULTS/summary.md"
log "raw outputs in $RESULTS"
