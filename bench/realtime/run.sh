#!/usr/bin/env bash
# LiveQuery benchmark: N WebSocket connections with S subscriptions each, a steady stream of REST
# writes, each matching a known share of the subscribers; delivery latency, events delivered per
# second and server memory per connection, against Hearth and/or Parse Server 9's LiveQuery server,
# each in turn on the same private PostgreSQL.
#
#   HEARTH_BIN=/path/to/hearth bench/realtime/run.sh                       # both, 15,000 connections
#   SERVERS=parse CONNECTIONS=2000 bench/realtime/run.sh
#   SERVERS=hearth CONNECTIONS=15000 ROOMS=100 RATE=100 DURATION=30 bench/realtime/run.sh
#
# What it does, per server in SERVERS (every process it starts is stopped on exit, also on failure):
#  1. starts the server on its own database: Hearth ($HEARTH_BIN, or a release build of this
#     checkout) with the app benchApp created through the admin API with
#     settings.liveQuery = {classNames: [CLASS], maxConnections: 20000}; or Parse Server 9 (one Node
#     process, parse-live.js: liveQuery.classNames and startLiveQueryServer);
#  2. creates CLASS with the schema API and ROOMS objects, one per room (`setup`);
#  3. records the server's VmRSS after BASELINE_SETTLE idle seconds, then starts
#     ceil(CONNECTIONS / PER_PROCESS) listener processes;
#     connection g subscribes to `room == r<(g*SUBS+k) % ROOMS>` for k < SUBS, so every room has
#     CONNECTIONS*SUBS/ROOMS subscribers; waits until every subscription is confirmed (or
#     CONNECT_TIMEOUT seconds: what was held is then reported), lets it settle, records VmRSS again;
#  4. updates the room objects round robin at RATE writes per second for DURATION seconds
#     (`write`: each update sets `sentAt`, the writer's clock), waits DRAIN seconds, records VmRSS
#     and the CPU used meanwhile by the server, PostgreSQL, the load client and everything else;
#  5. stops the listeners (they print their statistics), stops the server;
# then prints a markdown table (also RESULTS/summary.md). Raw outputs stay in RESULTS.
#
# Latency is receive time minus the event object's `updatedAt` (set by the server when it writes,
# ms precision; "commit") and minus `sentAt` ("sent", includes the REST request), on this machine's
# clock, merged over all listener processes from 0.1 ms histograms.
#
# Settings (environment): SERVERS ("parse hearth"), CONNECTIONS (15000), SUBS (2), ROOMS (100),
# RATE (100 writes/s), DURATION (30 s), DRAIN (5 s), PER_PROCESS (5000 connections per listener
# process, at most 10000), CONNECT_PARALLEL (64 handshakes in progress per process: Hearth holds at most 256 sockets per
# address that have not sent `connect`),
# CONNECT_TIMEOUT (300 s), SETTLE (5 s), BASELINE_SETTLE (20 s of idle server before the first RSS
# reading), SOURCE_ADDRS (comma-separated local addresses to bind,
# e.g. 127.0.0.2,127.0.0.3, when ephemeral ports run short; default: the kernel's choice), CLASS
# (LiveBench), RESULTS (bench/results/realtime-<date>), PG_BIN, HEARTH_BIN, CLIENT_BIN (the load
# client; default: built from bench/realtime with cargo).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"

SERVERS=${SERVERS:-parse hearth}
CONNECTIONS=${CONNECTIONS:-15000}
SUBS=${SUBS:-2}
ROOMS=${ROOMS:-100}
RATE=${RATE:-100}
DURATION=${DURATION:-30}
DRAIN=${DRAIN:-5}
PER_PROCESS=${PER_PROCESS:-5000}
CONNECT_PARALLEL=${CONNECT_PARALLEL:-64}
CONNECT_TIMEOUT=${CONNECT_TIMEOUT:-300}
SETTLE=${SETTLE:-5}
BASELINE_SETTLE=${BASELINE_SETTLE:-20}
SOURCE_ADDRS=${SOURCE_ADDRS:-}
CLASS=${CLASS:-LiveBench}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
RESULTS=${RESULTS:-$repo/bench/results/realtime-$(date +%Y%m%d-%H%M%S)}
APP_ID=benchApp MASTER_KEY=benchMasterKey REST_KEY=benchRestKey

[ "$PER_PROCESS" -le 10000 ] || die "PER_PROCESS must be at most 10000 (each process may hold at most 20,000 open files)"
mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)

# The server holds one socket per connection, each listener process PER_PROCESS: both need more
# than the usual 1,024 open files. Raise the soft limit to the hard one (20,000 on the reference
# machine); children inherit it.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
log "open files limit: $(ulimit -n)"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -gt $((CONNECTIONS + 1000)) ] || [ "$(ulimit -n)" -gt $((PER_PROCESS + 1000)) ] \
  || die "ulimit -n is $(ulimit -n): too low for $PER_PROCESS connections per process"

# ---- tools --------------------------------------------------------------------------------------
bench_tools
bench_build_hearth
if [ -z "${CLIENT_BIN:-}" ]; then
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/hearth/target}
  log "building the load client (cargo build --release in bench/realtime)"
  (cd "$here" && cargo build --release --locked) >"$RESULTS/client-build.log" 2>&1 || die "load client build failed (see $RESULTS/client-build.log)"
  CLIENT_BIN=$CARGO_TARGET_DIR/release/hearth-live-bench
fi
[ -x "$CLIENT_BIN" ] || die "no load client at $CLIENT_BIN"

# ---- PostgreSQL ---------------------------------------------------------------------------------
bench_init realtime
listener_pids=()
bench_cleanup_extra() { local p; for p in "${listener_pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; }
pg_start parse hearth

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

parse_live_start() { # sets parse_port, parse_pid (the Node process)
  parse_port=$(free_port)
  log "Parse Server $(parse_version) with LiveQuery, one process, on 127.0.0.1:$parse_port"
  (cd "$data_api" && exec env NODE_ENV=production PARSE_PORT="$parse_port" PARSE_DATABASE_URI="$pg_url/parse" \
    PARSE_APP_ID="$APP_ID" PARSE_MASTER_KEY="$MASTER_KEY" PARSE_REST_API_KEY="$REST_KEY" PARSE_LIVE_CLASSES="$CLASS" \
    PARSE_LOGS_FOLDER="$RESULTS/parse-server-logs" setsid node "$here/parse-live.js") >>"$RESULTS/parse-server.log" 2>&1 &
  parse_pid=$!
  wait_http "http://127.0.0.1:$parse_port/parse/health" "$parse_pid" 120
}

hearth_live_start() { # sets hearth_port, hearth_pid, hb, app_uuid; fails when the app cannot be made
  hearth_start hearth || { log "Hearth did not start (see hearth.log)"; return 1; }
  hearth_login || { log "Hearth: admin login failed"; return 1; }
  local code
  code=$(hearth_create_app "$RESULTS/hearth-app.json" \
    "{\"name\":\"bench\",\"applicationId\":\"$APP_ID\",\"masterKey\":\"$MASTER_KEY\",\"restApiKey\":\"$REST_KEY\",\"settings\":{\"rateLimits\":[],\"liveQuery\":{\"classNames\":[\"$CLASS\"],\"maxConnections\":20000}}}")
  [ "$code" = 201 ] || { log "Hearth: app creation answered HTTP $code ($(cat "$RESULTS/hearth-app.json"))"; return 1; }
  app_uuid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["applicationId"])' "$RESULTS/hearth-app.json")
}

sum_status() { # field: sum over the listeners' status files
  python3 - "$1" "$RESULTS/$s".listen*.status <<'PY'
import json, sys
t = 0
for p in sys.argv[2:]:
    try:
        t += json.load(open(p)).get(sys.argv[1], 0)
    except (OSError, ValueError):
        pass
print(t)
PY
}

run_server() { # s: one whole run against server s (parse or hearth)
  local base ws spid procs p n offset want deadline sub open
  case $s in
    parse)
      parse_live_start || { echo "did not start, see parse-server.log" >"$RESULTS/parse.status"; return; }
      spid=$parse_pid base=http://127.0.0.1:$parse_port/parse ws=ws://127.0.0.1:$parse_port/parse ;;
    hearth)
      [ "$hearth_status" = ok ] || { echo "$hearth_status" >"$RESULTS/hearth.status"; return; }
      hearth_live_start || { echo "did not start or app creation failed, see hearth.log" >"$RESULTS/hearth.status"; stop_hearth; return; }
      spid=$hearth_pid base=$hb/parse ws=ws://127.0.0.1:$hearth_port/parse ;;
  esac
  echo ok >"$RESULTS/$s.status"
  local keys=(--app-id "$APP_ID" --rest-key "$REST_KEY")
  log "$s: class $CLASS with $ROOMS room objects"
  "$CLIENT_BIN" setup "${keys[@]}" --base "$base" --master-key "$MASTER_KEY" --class "$CLASS" --rooms "$ROOMS" \
    --ids-out "$RESULTS/$s.ids" >"$RESULTS/$s.setup.json" 2>&1 || die "$s: setup failed (see $RESULTS/$s.setup.json)"
  # The baseline is read once the server has been idle for a while: Hearth's allocator hands the
  # memory of start-up and setup back only after some seconds (69 MiB 5 s after setup, 38 MiB
  # after 20 s), which would otherwise be counted against the connections.
  sleep "$BASELINE_SETTLE"
  echo "$(rss_kb "$spid")" >"$RESULTS/$s.rss-before"

  procs=$(((CONNECTIONS + PER_PROCESS - 1) / PER_PROCESS))
  log "$s: $CONNECTIONS connections x $SUBS subscriptions over $procs listener processes"
  local t0; t0=$(date +%s.%N)
  listener_pids=()
  for p in $(seq 0 $((procs - 1))); do
    offset=$((p * PER_PROCESS))
    n=$((CONNECTIONS - offset < PER_PROCESS ? CONNECTIONS - offset : PER_PROCESS))
    "$CLIENT_BIN" listen "${keys[@]}" --url "$ws" --class "$CLASS" --rooms "$ROOMS" --connections "$n" --offset "$offset" \
      --subs "$SUBS" --connect-parallel "$CONNECT_PARALLEL" ${SOURCE_ADDRS:+--source-addrs "$SOURCE_ADDRS"} \
      --status-file "$RESULTS/$s.listen$p.status" --out "$RESULTS/$s.listen$p.json" \
      >/dev/null 2>"$RESULTS/$s.listen$p.log" &
    listener_pids+=($!)
  done
  want=$((CONNECTIONS * SUBS))
  deadline=$(($(date +%s) + CONNECT_TIMEOUT))
  while :; do
    sleep 1
    sub=$(sum_status subscribed)
    [ "$sub" -ge "$want" ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then log "$s: only $sub of $want subscriptions confirmed after ${CONNECT_TIMEOUT}s"; break; fi
    kill -0 "$spid" 2>/dev/null || { log "$s: the server died while clients connected"; break; }
  done
  python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$t0" "$(date +%s.%N)" >"$RESULTS/$s.subscribe-seconds"
  log "$s: $(sum_status open) open, $(sum_status subscribed) subscribed after $(cat "$RESULTS/$s.subscribe-seconds")s; settling ${SETTLE}s"
  sleep "$SETTLE"
  echo "$(rss_kb "$spid")" >"$RESULTS/$s.rss-connected"
  echo "$(sum_status open)" >"$RESULTS/$s.open-connected"
  [ "$s" = hearth ] && curl -s --max-time 10 "$hb/admin/v1/apps/$app_uuid/live" -H "Authorization: Bearer $token" >"$RESULTS/hearth.live-before.json" || true

  if kill -0 "$spid" 2>/dev/null; then
    log "$s: writing $RATE/s for ${DURATION}s"
    local names=(server="$spid" postgres="$pg_pid") i=0
    for p in "${listener_pids[@]}"; do names+=(listener$i="$p"); i=$((i + 1)); done
    python3 "$data_api/cputicks.py" "${names[@]}" >"$RESULTS/$s.cpu"
    cat /proc/loadavg >"$RESULTS/$s.loadavg"
    TIMEFORMAT='%U %S'
    { time "$CLIENT_BIN" write "${keys[@]}" --base "$base" --class "$CLASS" --ids "$RESULTS/$s.ids" --rate "$RATE" \
      --duration "$DURATION" --out "$RESULTS/$s.write.json" >/dev/null 2>"$RESULTS/$s.write.log"; } 2>"$RESULTS/$s.writetime" || log "$s: the writer failed (see $s.write.log)"
    sleep "$DRAIN"
    python3 "$data_api/cputicks.py" "${names[@]}" >>"$RESULTS/$s.cpu"
    cat /proc/loadavg >>"$RESULTS/$s.loadavg"
    echo "$(rss_kb "$spid")" >"$RESULTS/$s.rss-after"
    [ "$s" = hearth ] && curl -s --max-time 10 "$hb/admin/v1/apps/$app_uuid/live" -H "Authorization: Bearer $token" >"$RESULTS/hearth.live-after.json" || true
  fi
  # Every process running meanwhile (the top 15 by CPU), for the record of a shared machine.
  ps -eo pcpu,rss,comm --sort=-pcpu | head -16 >"$RESULTS/$s.ps"
  for p in "${listener_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${listener_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  listener_pids=()
  kill -0 "$spid" 2>/dev/null || echo "died during the run" >"$RESULTS/$s.status"
  case $s in parse) stop_parse ;; hearth) stop_hearth ;; esac
}

for s in $SERVERS; do run_server; done

# ---- report -------------------------------------------------------------------------------------
bench_meta
python3 "$here/report.py" "$RESULTS" connections="$CONNECTIONS" subs="$SUBS" rooms="$ROOMS" rate="$RATE" \
  duration="$DURATION" per_process="$PER_PROCESS" servers="$SERVERS" "${meta[@]}" | tee "$RESULTS/summary.md"
log "raw outputs in $RESULTS"
