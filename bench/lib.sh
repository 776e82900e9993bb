# Shell functions shared by the benchmarks that run Hearth beside Parse Server 9 on one private
# PostgreSQL 15 (bench/data-api/run.sh, bench/functions/run.sh; bench/files/run.sh uses its small
# helpers only). Source it from bash with
# `set -euo pipefail` (it sets repo, bench_dir and data_api), and set these before calling its
# functions:
#   RESULTS      an existing folder for raw outputs (absolute path)
#   DURATION     seconds per measured run (for the CPU figures)
#   WAIT_QUIET   seconds to wait for a quiet machine before each measured run (0: only warn)
#   RETRIES      runs again of a measurement that other processes disturbed
#   PG_BIN       PostgreSQL 15 server binaries
#   PG_OPTS      more server settings for pg_start (optional: `-c name=value ...`)
#   APP_ID MASTER_KEY REST_KEY   the app both servers serve, with the same keys
# Parse Server comes from bench/data-api (package.json, node_modules, cluster.js); CPU snapshots
# from bench/data-api/cputicks.py.

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$bench_dir/.." && pwd)
data_api=$bench_dir/data-api

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
parse_version() { node -p 'require(process.argv[1]).version' "$data_api/node_modules/parse-server/package.json"; }

# ---- tools --------------------------------------------------------------------------------------
bench_tools() { # PostgreSQL, Node, wrk (installed with apt-get) and Parse Server (npm ci) are there
  [ -x "$PG_BIN/postgres" ] || die "PostgreSQL 15 server binaries not found in $PG_BIN (apt-get install postgresql-15)"
  command -v node >/dev/null || die "node not found (Node.js 20.19+ is needed for Parse Server 9)"
  id postgres >/dev/null 2>&1 || die "no postgres OS user (initdb refuses to run as root)"
  if ! command -v wrk >/dev/null; then
    log "installing wrk"
    (apt-get install -y --no-install-recommends wrk || { apt-get update && apt-get install -y --no-install-recommends wrk; }) \
      >"$RESULTS/apt-wrk.log" 2>&1 || die "could not install wrk (see $RESULTS/apt-wrk.log)"
  fi
  if [ ! -d "$data_api/node_modules/parse-server" ]; then
    log "installing Parse Server (npm ci in bench/data-api)"
    (cd "$data_api" && npm ci --no-audit --no-fund) >"$RESULTS/npm-ci.log" 2>&1 || die "npm ci failed (see $RESULTS/npm-ci.log)"
  fi
}

bench_build_hearth() { # sets hearth_status (ok or why not) and HEARTH_BIN; SERVERS must name hearth
  hearth_status=ok
  case " $SERVERS " in *" hearth "*) ;; *) hearth_status="not run (SERVERS=$SERVERS)"; return ;; esac
  if [ -z "${HEARTH_BIN:-}" ]; then
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/hearth/target}
    HEARTH_BIN=$CARGO_TARGET_DIR/release/hearth
    log "building Hearth (cargo build --release -p hearth)"
    if ! (cd "$repo" && cargo build --release -p hearth) >"$RESULTS/hearth-build.log" 2>&1; then
      hearth_status="release build failed, see hearth-build.log"
      log "Hearth: $hearth_status"
    fi
  fi
  if [ "$hearth_status" = ok ] && [ ! -x "$HEARTH_BIN" ]; then hearth_status="no binary at $HEARTH_BIN"; fi
}

# ---- processes and clean-up ---------------------------------------------------------------------
# bench_init NAME: the temporary folder (work, /tmp/hearth-bench-NAME.*) and the exit trap that
# stops every server and PostgreSQL and removes it (also on failure or Ctrl-C). A script may define
# bench_cleanup_extra to stop more.
bench_init() {
  work=$(mktemp -d "/tmp/hearth-bench-$1.XXXXXX")
  chmod 755 "$work"
  pgdata=$work/pg/data
  pg_started= parse_pid= hearth_pid=
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

stop_group() { # pid: TERM the process group it leads, wait up to 15 s, then KILL
  local pid=$1 i
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
stop_parse() { [ -z "$parse_pid" ] || { stop_group "$parse_pid"; parse_pid=; }; }
stop_hearth() { [ -z "$hearth_pid" ] || { stop_group "$hearth_pid"; hearth_pid=; }; }

bench_cleanup() {
  local rc=$?
  set +e
  declare -F bench_cleanup_extra >/dev/null && bench_cleanup_extra
  stop_parse
  stop_hearth
  if [ -n "$pg_started" ]; then
    (cd /tmp && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$pgdata" -m fast -w -t 60 stop) >/dev/null 2>&1
    cp "$work/pg/postgres.log" "$RESULTS/postgres.log" 2>/dev/null
  fi
  rm -rf "$work"
  [ $rc -eq 0 ] || printf 'benchmark failed (exit %s); outputs so far in %s\n' "$rc" "$RESULTS" >&2
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
psql_() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pgport" -U postgres "$@"; }

pg_start() { # database...: initdb, start on a free loopback port, create the databases; sets pgport, pg_pid, pg_url
  pgport=$(free_port)
  install -d -o postgres -g postgres "$work/pg" "$work/pg/sock"
  log "PostgreSQL 15: initdb and start on 127.0.0.1:$pgport"
  (cd /tmp && runuser -u postgres -- "$PG_BIN/initdb" -D "$pgdata" -U postgres -A trust -E UTF8 --locale=C.UTF-8) \
    >"$RESULTS/initdb.log" 2>&1 || die "initdb failed (see $RESULTS/initdb.log)"
  (cd /tmp && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$pgdata" -l "$work/pg/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$pgport -c unix_socket_directories=$work/pg/sock ${PG_OPTS:-}" start) \
    >/dev/null || die "PostgreSQL did not start"
  pg_started=1
  pg_pid=$(head -1 "$pgdata/postmaster.pid")
  local db
  for db in "$@"; do psql_ -d postgres -c "CREATE DATABASE $db"; done
  pg_url=postgres://postgres@127.0.0.1:$pgport
  # Hearth on an external database needs a secret key (it seals the apps' keys at rest): a
  # fixed one for the bench's throwaway databases.
  export HEARTH_SECRET_KEY=${HEARTH_SECRET_KEY:-$(printf 'b%.0s' {1..64})}
}

# ---- servers ------------------------------------------------------------------------------------
parse_start() { # database [NAME=VALUE...]: Parse Server 9 in cluster mode (one worker per core) on
  # it, with the app's ids and keys and the extra environment given (cluster.js reads it); sets
  # parse_port, parse_pid; dies when it does not answer /parse/health.
  local db=$1
  shift
  parse_port=$(free_port)
  log "Parse Server $(parse_version): cluster of $(nproc) workers on 127.0.0.1:$parse_port"
  (cd "$data_api" && exec env NODE_ENV=production PARSE_PORT="$parse_port" PARSE_DATABASE_URI="$pg_url/$db" \
    PARSE_APP_ID="$APP_ID" PARSE_MASTER_KEY="$MASTER_KEY" PARSE_REST_API_KEY="$REST_KEY" \
    PARSE_LOGS_FOLDER="$RESULTS/parse-server-logs" "$@" setsid node cluster.js) >>"$RESULTS/parse-server.log" 2>&1 &
  parse_pid=$!
  wait_http "http://127.0.0.1:$parse_port/parse/health" "$parse_pid" 120 \
    || die "Parse Server did not answer /parse/health (see $RESULTS/parse-server.log)"
}

hearth_start() { # database: Hearth ($HEARTH_BIN) on it, data folder $work/hearth-data (kept across
  # restarts), first admin bench@hearth.test; sets hearth_port, hearth_pid, hb (its URL); fails
  # when it does not answer /health.
  hearth_port=$(free_port)
  log "Hearth ($HEARTH_BIN) on 127.0.0.1:$hearth_port"
  (HEARTH_DATABASE_URL=$pg_url/$1 HEARTH_ADMIN_EMAIL=bench@hearth.test HEARTH_ADMIN_PASSWORD=bench-password-1 \
    exec setsid "$HEARTH_BIN" serve --port "$hearth_port" --log warn --data-dir "$work/hearth-data") \
    >>"$RESULTS/hearth.log" 2>&1 &
  hearth_pid=$!
  hb=http://127.0.0.1:$hearth_port
  wait_http "$hb/health" "$hearth_pid" 120
}

hearth_login() { # sets token (the first admin's); fails when the login does
  token=$(curl -s --max-time 10 "$hb/admin/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"email":"bench@hearth.test","password":"bench-password-1"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' 2>/dev/null) || token=
  [ -n "$token" ]
}

hearth_create_app() { # outfile json: POST /admin/v1/apps; prints the HTTP status (201 when created)
  curl -s -o "$1" -w '%{http_code}' --max-time 10 "$hb/admin/v1/apps" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$2"
}

# ---- measured runs ------------------------------------------------------------------------------
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

# measure PREFIX LABEL SERVER_PID COMMAND...: one measured run of COMMAND (which writes PREFIX.txt
# itself and runs DURATION seconds): CHECKPOINT, wait for a quiet machine, CPU snapshots of the
# server's process tree (none when SERVER_PID is empty) and PostgreSQL before and after
# (PREFIX.cpu), the command's own CPU (PREFIX.wrktime); run again, up to RETRIES times, when other
# processes used more than 0.25 cores meanwhile (the disturbed output is kept as
# PREFIX.noisyN.txt). Answers the command's status.
measure() {
  local prefix=$1 label=$2 spid=$3 attempt o rc
  shift 3
  for attempt in $(seq 0 "$RETRIES"); do
    psql_ -d postgres -c CHECKPOINT
    quiet
    python3 "$data_api/cputicks.py" server="$spid" postgres="$pg_pid" >"$prefix.cpu"
    TIMEFORMAT='%U %S'
    rc=0
    { time "$@"; } 2>"$prefix.wrktime" || rc=$?
    python3 "$data_api/cputicks.py" server="$spid" postgres="$pg_pid" >>"$prefix.cpu"
    o=$(other_during "$prefix")
    python3 -c "import sys; sys.exit(0 if $o > 0.25 else 1)" || break
    [ "$attempt" -lt "$RETRIES" ] || { log "$label: other processes used $o cores; keeping this run"; break; }
    log "$label: other processes used $o cores during the run; running it again"
    cp "$prefix.txt" "$prefix.noisy$attempt.txt" 2>/dev/null || true
  done
  return $rc
}

bench_meta() { # fills the array meta with key=value pairs for a report: versions, machine, and
  # the commit Hearth was built from (HEARTH_REV when set: a HEARTH_BIN built elsewhere)
  local rev=${HEARTH_REV:-}
  if [ -z "$rev" ]; then
    rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
    git -C "$repo" diff --quiet HEAD -- server 2>/dev/null || rev="$rev+changes"
  fi
  meta=(
    hearth_rev="$rev"
    parse_version="$(parse_version)"
    node_version="$(node --version)" pg_version="$("$PG_BIN/postgres" --version)"
    wrk_version="$(wrk --version 2>&1 | head -1 | awk '{print $2}')"
    cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
    memory="$(free -g | awk '/^Mem:/ {print $2}') GiB" os="$(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
  )
}
