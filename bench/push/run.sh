#!/usr/bin/env bash
# Push benchmark: one push fanned out to HOOK_DEVICES (1,000,000) installations through the push
# hook provider (batches), and one to IOS_DEVICES + ANDROID_DEVICES (100,000 + 100,000) through
# the APNs and FCM peers (one HTTP/2 request per device), against Hearth and Parse Server 9 (with
# @parse/push-adapter pointed at the same peers, and a minimal custom adapter for the hook), each
# in turn on the same private PostgreSQL. Reports the time to enqueue (POST /parse/push until the
# _PushStatus is `running` with `count` set), deliveries per second at the peers (middle 80 %),
# latency from POST /push to receipt (p50/p99), and the server's RSS (start/max/end, sampled from
# /proc every 200 ms).
#
#   HEARTH_BIN=/path/to/hearth-release bench/push/run.sh            # both servers, both scenarios
#   SERVERS=hearth SCENARIOS=devices bench/push/run.sh
#   SERVERS=parse HOOK_DEVICES=100000 PARSE_TIMEOUT=300 bench/push/run.sh
#
# What it does (every process it starts is stopped on exit, also on failure):
#  1. generates a CA and a certificate for the providers' names, an APNs .p8 key (EC P-256) and an
#     FCM service account (RSA 2048) with the openssl CLI;
#  2. starts the peers (`hearth-push-bench peer`, this folder's crate): APNs on 127.0.0.2:443, FCM
#     and its OAuth2 token endpoint on 127.0.0.3:443, the hook receiver on a free port of
#     127.0.0.1; calibrates the APNs and FCM peers alone with a trivial HTTP/2 client
#     (CALIBRATE requests each) and records the peer's CPU time per request;
#  3. per server in SERVERS and scenario in SCENARIOS: starts the server (Hearth: HEARTH_PUSH_RESOLVE
#     and HEARTH_PUSH_EXTRA_CA_FILE pointing at the peers, the app created with settings.push
#     {batchSize: BATCH, hookBatchSize: HOOK_BATCH}, providers set through the management API;
#     Parse Server: parse-push.js, one process, redirect.cjs and NODE_EXTRA_CA_CERTS); the first
#     time, saves one installation through the REST API (so the table and its schema exist) and
#     seeds the rest with INSERT ... SELECT generate_series: `web` installations on channel `web`,
#     `ios` and `android` ones on channel `mobile`, the same objectIds on both servers; waits
#     SETTLE seconds; `hearth-push-bench drive` sends the push (`channels: [web]` or `[mobile]`)
#     and waits until it is done and every device is delivered (at most TIMEOUT, PARSE_TIMEOUT
#     seconds for Parse Server: what it reached is reported), with CPU snapshots around it;
#     stops the server;
# then prints a markdown table (also RESULTS/summary.md). Raw outputs stay in RESULTS.
#
# Settings (environment): SERVERS ("parse hearth"), SCENARIOS ("hook devices"), HOOK_DEVICES
# (1000000), IOS_DEVICES (100000), ANDROID_DEVICES (100000), BATCH (500: Hearth's push.batchSize),
# HOOK_BATCH (1000: push.hookBatchSize), PARSE_BATCH (100: Parse's queueOptions.batchSize, its
# default), TIMEOUT (600 s), PARSE_TIMEOUT (300 s), SETTLE (5 s), CALIBRATE (100000 requests per
# peer; 0: skip), RESULTS (bench/results/push-<date>), PG_BIN, HEARTH_BIN, BENCH_BIN (this
# folder's binary; default: built with cargo), PARSE_MODULES (node_modules with parse-server 9 and
# @parse/push-adapter 8; default tests/node_modules). Needs root (the peers listen on port 443 of
# 127.0.0.2 and 127.0.0.3, where Parse Server's redirected names lead).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"

SERVERS=${SERVERS:-parse hearth}
SCENARIOS=${SCENARIOS:-hook devices}
HOOK_DEVICES=${HOOK_DEVICES:-1000000}
IOS_DEVICES=${IOS_DEVICES:-100000}
ANDROID_DEVICES=${ANDROID_DEVICES:-100000}
BATCH=${BATCH:-500}
HOOK_BATCH=${HOOK_BATCH:-1000}
PARSE_BATCH=${PARSE_BATCH:-100}
TIMEOUT=${TIMEOUT:-600}
PARSE_TIMEOUT=${PARSE_TIMEOUT:-300}
SETTLE=${SETTLE:-5}
CALIBRATE=${CALIBRATE:-100000}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
# A stopped server's queries end within a second instead of running on into the next scenario.
PG_OPTS=${PG_OPTS:--c client_connection_check_interval=1000}
PARSE_MODULES=${PARSE_MODULES:-$repo/tests/node_modules}
RESULTS=${RESULTS:-$repo/bench/results/push-$(date +%Y%m%d-%H%M%S)}
APP_ID=benchApp MASTER_KEY=benchMasterKey REST_KEY=benchRestKey
PEER_APNS=127.0.0.2 PEER_FCM=127.0.0.3
TEAM_ID=DEF123GHIJ KEY_ID=ABC123DEFG TOPIC=com.example.app PROJECT_ID=peer-project
CLIENT_EMAIL=push@peer-project.iam.gserviceaccount.com

mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)
[ "$(id -u)" = 0 ] || die "run as root: the peers listen on port 443 (Parse Server reaches the providers' names there)"

# ---- tools --------------------------------------------------------------------------------------
[ -x "$PG_BIN/postgres" ] || die "PostgreSQL 15 server binaries not found in $PG_BIN"
command -v node >/dev/null || die "node not found (Node.js 20.19+ is needed for Parse Server 9)"
command -v openssl >/dev/null || die "the openssl CLI is needed for the peers' keys and certificate"
case " $SERVERS " in *" parse "*)
  if [ ! -d "$PARSE_MODULES/parse-server" ] || [ ! -d "$PARSE_MODULES/@parse/push-adapter" ]; then
    log "installing the test dependencies (npm ci in tests)"
    (cd "$repo/tests" && npm ci --no-audit --no-fund) >"$RESULTS/npm-ci.log" 2>&1 || die "npm ci failed (see $RESULTS/npm-ci.log)"
  fi ;;
esac
parse_version() { node -p 'require(process.argv[1]).version' "$PARSE_MODULES/parse-server/package.json" 2>/dev/null || echo none; }
bench_build_hearth
if [ -z "${BENCH_BIN:-}" ]; then
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/hearth/target}
  log "building the peers and driver (cargo build --release in bench/push)"
  (cd "$here" && cargo build --release --locked) >"$RESULTS/bench-build.log" 2>&1 || die "bench build failed (see $RESULTS/bench-build.log)"
  BENCH_BIN=$CARGO_TARGET_DIR/release/hearth-push-bench
fi
[ -x "$BENCH_BIN" ] || die "no bench binary at $BENCH_BIN"

# ---- PostgreSQL, keys, peers --------------------------------------------------------------------
bench_init push
peer_pid=
bench_cleanup_extra() { [ -z "$peer_pid" ] || stop_group "$peer_pid"; }
pg_start parse hearth
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

keys=$work/keys
mkdir -p "$keys"
(
  cd "$keys"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=hearth-push-bench-ca -keyout ca.key -out ca.pem
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=push-peer -keyout peer.key -out peer.csr
  printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' \
    'subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:api.push.apple.com,DNS:api.sandbox.push.apple.com,DNS:fcm.googleapis.com,DNS:oauth2.googleapis.com' >peer.ext
  openssl x509 -req -in peer.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile peer.ext -out peer.pem
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out apns.p8
  openssl pkey -in apns.p8 -pubout -out apns.pub
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out fcm.key
  openssl pkey -in fcm.key -pubout -out fcm.pub
  python3 - "$PROJECT_ID" "$CLIENT_EMAIL" "$KEY_ID" "$TEAM_ID" "$TOPIC" <<'PY'
import json, sys
project, email, key_id, team, topic = sys.argv[1:]
json.dump({"type": "service_account", "project_id": project, "private_key_id": "bench-key-1", "private_key": open("fcm.key").read(),
           "client_email": email, "client_id": "100000000000000000001", "token_uri": "https://oauth2.googleapis.com/token"},
          open("service-account.json", "w"))
json.dump({"keyId": key_id, "teamId": team, "topic": topic}, open("ids.json", "w"))
PY
) >"$RESULTS/keys.log" 2>&1 || die "key generation failed (see $RESULTS/keys.log)"

hook_port=$(free_port) control_port=$(free_port)
control=http://127.0.0.1:$control_port
hook_url=http://127.0.0.1:$hook_port/hook
log "peers: APNs $PEER_APNS:443, FCM $PEER_FCM:443, hook $hook_url"
setsid "$BENCH_BIN" peer --apns "$PEER_APNS:443" --fcm "$PEER_FCM:443" --hook "127.0.0.1:$hook_port" --control "127.0.0.1:$control_port" \
  --cert "$keys/peer.pem" --cert-key "$keys/peer.key" --apns-public "$keys/apns.pub" --key-id "$KEY_ID" --team-id "$TEAM_ID" \
  --topic "$TOPIC" --fcm-public "$keys/fcm.pub" --client-email "$CLIENT_EMAIL" --project-id "$PROJECT_ID" >"$RESULTS/peer.log" 2>&1 &
peer_pid=$!
wait_http "$control/stats" "$peer_pid" 30 || die "the peers did not start (see $RESULTS/peer.log)"

if [ "$CALIBRATE" -gt 0 ]; then
  for k in apns fcm; do
    addr=$PEER_APNS:443
    [ $k = fcm ] && addr=$PEER_FCM:443
    log "calibration: $CALIBRATE requests to the $k peer alone"
    python3 "$data_api/cputicks.py" peer="$peer_pid" >"$RESULTS/calibrate-$k.cpu"
    "$BENCH_BIN" calibrate --kind $k --addr "$addr" --ca "$keys/ca.pem" --requests "$CALIBRATE" --connections 2 --concurrency 500 \
      --p8 "$keys/apns.p8" --key-id "$KEY_ID" --team-id "$TEAM_ID" --topic "$TOPIC" --service-account "$keys/service-account.json" \
      >"$RESULTS/calibrate-$k.json" 2>"$RESULTS/calibrate-$k.log" || log "calibration of $k failed (see calibrate-$k.log)"
    python3 "$data_api/cputicks.py" peer="$peer_pid" >>"$RESULTS/calibrate-$k.cpu"
    curl -s "$control/report" >"$RESULTS/calibrate-$k.peer.json"
  done
fi

# ---- servers ------------------------------------------------------------------------------------
parse_push_start() { # sets parse_port, parse_pid
  parse_port=$(free_port)
  log "Parse Server $(parse_version) with @parse/push-adapter, one process, on 127.0.0.1:$parse_port"
  (cd "$here" && exec env NODE_ENV=production PARSE_PORT="$parse_port" PARSE_DATABASE_URI="$pg_url/parse" \
    PARSE_APP_ID="$APP_ID" PARSE_MASTER_KEY="$MASTER_KEY" PARSE_REST_API_KEY="$REST_KEY" PARSE_MODULES="$PARSE_MODULES" \
    PARSE_LOGS_FOLDER="$RESULTS/parse-server-logs" PARSE_BATCH_SIZE="$PARSE_BATCH" PUSH_KEYS="$keys" HOOK_URL="$hook_url" \
    HOOK_SECRET="$parse_hook_secret" PUSH_PEER_APNS="$PEER_APNS" PUSH_PEER_FCM="$PEER_FCM" NODE_EXTRA_CA_CERTS="$keys/ca.pem" \
    setsid node -r "$here/redirect.cjs" "$here/parse-push.js") >>"$RESULTS/parse-server.log" 2>&1 &
  parse_pid=$!
  wait_http "http://127.0.0.1:$parse_port/parse/health" "$parse_pid" 120
}
parse_hook_secret=whsec_$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')

hearth_push_start() { # sets hearth_port, hearth_pid, hb, token; the app and its providers the first time
  export HEARTH_PUSH_RESOLVE="api.push.apple.com=$PEER_APNS:443,api.sandbox.push.apple.com=$PEER_APNS:443,fcm.googleapis.com=$PEER_FCM:443,oauth2.googleapis.com=$PEER_FCM:443"
  export HEARTH_PUSH_EXTRA_CA_FILE=$keys/ca.pem
  export HEARTH_OUTBOUND_PRIVATE_NETWORK=true # the hook receiver is on 127.0.0.1
  hearth_start hearth || { log "Hearth did not start (see hearth.log)"; return 1; }
  hearth_login || { log "Hearth: admin login failed"; return 1; }
  [ -z "${hearth_hook_secret:-}" ] || return 0
  local code
  code=$(hearth_create_app "$RESULTS/hearth-app.json" \
    "{\"name\":\"bench\",\"applicationId\":\"$APP_ID\",\"masterKey\":\"$MASTER_KEY\",\"restApiKey\":\"$REST_KEY\",\"settings\":{\"rateLimits\":[],\"push\":{\"batchSize\":$BATCH,\"hookBatchSize\":$HOOK_BATCH}}}")
  [ "$code" = 201 ] || { log "Hearth: app creation answered HTTP $code ($(cat "$RESULTS/hearth-app.json"))"; return 1; }
  local api=$hb/admin/v1/apps/$APP_ID/push/providers
  python3 - "$keys" "$TEAM_ID" "$KEY_ID" "$TOPIC" "$hook_url" "$work" <<'PY'
import json, sys
keys, team, key_id, topic, hook, work = sys.argv[1:]
json.dump({"teamId": team, "keyId": key_id, "topic": topic, "production": True, "key": open(f"{keys}/apns.p8").read()}, open(f"{work}/apns.json", "w"))
json.dump({"serviceAccount": json.load(open(f"{keys}/service-account.json"))}, open(f"{work}/fcm.json", "w"))
json.dump({"url": hook, "deviceTypes": ["web"]}, open(f"{work}/hook.json", "w"))
PY
  local p
  for p in apns fcm hook; do
    code=$(curl -s -o "$RESULTS/hearth-provider-$p.json" -w '%{http_code}' --max-time 10 -X PUT "$api/$p" \
      -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data-binary "@$work/$p.json")
    [ "$code" = 200 ] || { log "Hearth: PUT push/providers/$p answered HTTP $code ($(cat "$RESULTS/hearth-provider-$p.json"))"; return 1; }
  done
  hearth_hook_secret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret"])' "$RESULTS/hearth-provider-hook.json")
  rm -f "$RESULTS/hearth-provider-hook.json" # it holds the secret
}

api() { # base method path json: a Parse API call with the master key; prints the HTTP status
  curl -s -o "$RESULTS/api.out" -w '%{http_code}' --max-time 30 -X "$2" "$1$3" -H "X-Parse-Application-Id: $APP_ID" \
    -H "X-Parse-Master-Key: $MASTER_KEY" -H 'Content-Type: application/json' -d "$4"
}

# seed SERVER BASE: one installation through the API, then the rest in SQL, same ids on both
# servers: w000000001.. (web, channel web), i.. (ios, channel mobile), a.. (android, channel mobile).
seed() {
  local s=$1 base=$2 code t0 sql
  local one='{"installationId":"00000000-0000-4000-8000-000000000000","deviceType":"web","deviceToken":"seed","channels":["seed"],"timeZone":"UTC","localeIdentifier":"en-US","appIdentifier":"com.example.app"}'
  code=$(api "$base" POST /installations "$one")
  [ "$code" != 404 ] || code=$(api "$base" POST /classes/_Installation "$one")
  [ "$code" = 201 ] || die "$s: saving an installation answered HTTP $code ($(cat "$RESULTS/api.out"))"
  t0=$(date +%s.%N)
  if [ "$s" = hearth ]; then
    local schema
    schema=$(psql_ -d hearth -Atc "SELECT schema_name FROM apps WHERE application_id = '$APP_ID'")
    local t="\"$schema\".\"_Installation\""
    row() { # prefix count type channel token-expression
      printf "INSERT INTO %s (object_id, created_at, updated_at, _acl, _rperm, _wperm, data)
        SELECT '%s' || lpad(i::text, 9, '0'), now(), now(), (SELECT _acl FROM seed), (SELECT _rperm FROM seed), (SELECT _wperm FROM seed),
          jsonb_build_object('installationId', md5('%s' || i)::uuid::text, 'deviceType', '%s', 'deviceToken', %s, 'channels', jsonb_build_array('%s'),
            'timeZone', 'UTC', 'localeIdentifier', 'en-US', 'appIdentifier', 'com.example.app')
        FROM generate_series(1, %s) i;\n" "$t" "$1" "$1" "$3" "$5" "$4" "$2"
    }
    sql="CREATE TEMP TABLE seed AS SELECT _acl, _rperm, _wperm FROM $t WHERE data->>'installationId' = '00000000-0000-4000-8000-000000000000';
      $(row w "$HOOK_DEVICES" web web "'web-' || i") $(row i "$IOS_DEVICES" ios mobile "encode(sha256(('i' || i)::bytea), 'hex')")
      $(row a "$ANDROID_DEVICES" android mobile "'fcm-' || md5('a' || i)") ANALYZE $t;"
    psql_ -d hearth -c "$sql" >"$RESULTS/hearth.seed.log" 2>&1 || die "hearth: seeding failed (see $RESULTS/hearth.seed.log)"
  else
    local t='"_Installation"'
    row() {
      printf "INSERT INTO %s (\"objectId\", \"createdAt\", \"updatedAt\", _rperm, _wperm, \"installationId\", \"deviceType\", \"deviceToken\", channels,
          \"timeZone\", \"localeIdentifier\", \"appIdentifier\")
        SELECT '%s' || lpad(i::text, 9, '0'), now(), now(), (SELECT _rperm FROM seed), (SELECT _wperm FROM seed), md5('%s' || i)::uuid::text, '%s', %s,
          jsonb_build_array('%s'), 'UTC', 'en-US', 'com.example.app'
        FROM generate_series(1, %s) i;\n" "$t" "$1" "$1" "$3" "$5" "$4" "$2"
    }
    sql="CREATE TEMP TABLE seed AS SELECT _rperm, _wperm FROM $t WHERE \"installationId\" = '00000000-0000-4000-8000-000000000000';
      $(row w "$HOOK_DEVICES" web web "'web-' || i") $(row i "$IOS_DEVICES" ios mobile "encode(sha256(('i' || i)::bytea), 'hex')")
      $(row a "$ANDROID_DEVICES" android mobile "'fcm-' || md5('a' || i)") ANALYZE $t;"
    psql_ -d parse -c "$sql" >"$RESULTS/parse.seed.log" 2>&1 || die "parse: seeding failed (see $RESULTS/parse.seed.log)"
  fi
  python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$t0" "$(date +%s.%N)" >"$RESULTS/$s.seed-seconds"
  log "$s: seeded $((HOOK_DEVICES + IOS_DEVICES + ANDROID_DEVICES)) installations in $(cat "$RESULTS/$s.seed-seconds")s"
}

run_one() { # s scenario
  local s=$1 sc=$2 spid base secret timeout body expect
  case $s in
    parse)
      parse_push_start || { echo "did not start, see parse-server.log" >"$RESULTS/$s.$sc.status"; stop_parse; return; }
      spid=$parse_pid base=http://127.0.0.1:$parse_port/parse secret=$parse_hook_secret timeout=$PARSE_TIMEOUT ;;
    hearth)
      [ "$hearth_status" = ok ] || { echo "$hearth_status" >"$RESULTS/$s.$sc.status"; return; }
      hearth_push_start || { echo "did not start or could not be set up, see hearth.log" >"$RESULTS/$s.$sc.status"; stop_hearth; return; }
      spid=$hearth_pid base=$hb/parse secret=$hearth_hook_secret timeout=$TIMEOUT ;;
  esac
  [ -f "$RESULTS/$s.seed-seconds" ] || seed "$s" "$base"
  case $sc in
    hook) body='{"channels":["web"],"data":{"alert":"Benchmark","title":"Hearth push"}}' expect=$HOOK_DEVICES ;;
    devices) body='{"channels":["mobile"],"data":{"alert":"Benchmark","title":"Hearth push"}}' expect=$((IOS_DEVICES + ANDROID_DEVICES)) ;;
    *) die "unknown scenario $sc (hook, devices)" ;;
  esac
  echo ok >"$RESULTS/$s.$sc.status"
  psql_ -d postgres -c CHECKPOINT
  sleep "$SETTLE"
  log "$s/$sc: one push to $expect installations (at most ${timeout}s)"
  python3 "$data_api/cputicks.py" server="$spid" postgres="$pg_pid" peer="$peer_pid" >"$RESULTS/$s.$sc.cpu"
  cat /proc/loadavg >"$RESULTS/$s.$sc.loadavg"
  "$BENCH_BIN" drive --base "$base" --app-id "$APP_ID" --master-key "$MASTER_KEY" --body "$body" --control "$control" \
    --hook-secret "$secret" --pid "$spid" --expect "$expect" --timeout "$timeout" --out "$RESULTS/$s.$sc.json" \
    2>"$RESULTS/$s.$sc.log" || log "$s/$sc: the driver failed (see $s.$sc.log)"
  python3 "$data_api/cputicks.py" server="$spid" postgres="$pg_pid" peer="$peer_pid" >>"$RESULTS/$s.$sc.cpu"
  cat /proc/loadavg >>"$RESULTS/$s.$sc.loadavg"
  tail -1 "$RESULTS/$s.$sc.log" >&2 || true
  ps -eo pcpu,rss,comm --sort=-pcpu | head -16 >"$RESULTS/$s.$sc.ps"
  kill -0 "$spid" 2>/dev/null || echo "died during the run" >"$RESULTS/$s.$sc.status"
  case $s in parse) stop_parse ;; hearth) stop_hearth ;; esac
  pg_idle
}

pg_idle() { # waits (at most 60 s) until no query of a stopped server still runs
  local i
  for i in $(seq 120); do
    [ "$(psql_ -d postgres -Atc "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()")" = 0 ] && return
    sleep 0.5
  done
  log "warning: queries of the stopped server still run"
}

for s in $SERVERS; do
  for sc in $SCENARIOS; do run_one "$s" "$sc"; done
done

# ---- report -------------------------------------------------------------------------------------
hearth_rev=${HEARTH_REV:-$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)}
python3 "$here/report.py" "$RESULTS" servers="$SERVERS" scenarios="$SCENARIOS" hook_devices="$HOOK_DEVICES" \
  ios_devices="$IOS_DEVICES" android_devices="$ANDROID_DEVICES" batch="$BATCH" hook_batch="$HOOK_BATCH" parse_batch="$PARSE_BATCH" \
  timeout="$TIMEOUT" parse_timeout="$PARSE_TIMEOUT" hearth_rev="$hearth_rev" parse_version="$(parse_version)" \
  push_adapter_version="$(node -p 'require(process.argv[1]).version' "$PARSE_MODULES/@parse/push-adapter/package.json" 2>/dev/null || echo none)" \
  node_version="$(node --version)" pg_version="$("$PG_BIN/postgres" --version)" \
  cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores" memory="$(free -g | awk '/^Mem:/ {print $2}') GiB" \
  | tee "$RESULTS/summary.md"
log "raw outputs in $RESULTS"
