#!/usr/bin/env bash
# Platform figures for docs/benchmarks.md: start time on a warm data folder, idle memory (RSS)
# with 1 and with 1,000 apps, and the time to create one app (API and CLI).
#
#   bench/platform.sh            # builds the release binary, uses a fresh data folder under /tmp
#
# It starts its own Hearth (embedded PostgreSQL) on a free port and removes everything after.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/hearth/target}
cargo build --release -p hearth -q
bin=$CARGO_TARGET_DIR/release/hearth
runs=${RUNS:-5}
apps=${APPS:-1000}

work=$(mktemp -d /tmp/hearth-bench.XXXXXX)
chmod 755 "$work"
data=$work/data
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
export HEARTH_ADMIN_PASSWORD=bench-password-1 HEARTH_LOG=warn
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

now_ms() { date +%s%3N; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
start() {
  "$bin" serve --data-dir "$data" --port "$port" >"$work/out.log" 2>&1 &
  pid=$!
  until curl -sf "$base/health" >/dev/null; do kill -0 "$pid" || { cat "$work/out.log"; exit 1; }; done
}
stop() { kill "$pid"; wait "$pid" || true; pid=; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "== first start (initialises the embedded cluster)"
t0=$(now_ms); start; t1=$(now_ms); stop
echo "first start: $((t1 - t0)) ms"

echo "== start on a warm data folder ($runs runs; embedded PostgreSQL stopped before each)"
for _ in $(seq "$runs"); do t0=$(now_ms); start; t1=$(now_ms); echo $((t1 - t0)); stop; done >"$work/starts"
echo "start to /health 200, median: $(median <"$work/starts") ms (runs: $(tr '\n' ' ' <"$work/starts"))"

start
token=$(curl -sf "$base/admin/v1/auth/login" -d '{"email":"admin@hearth.local","password":"bench-password-1"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
create() { curl -sf -o /dev/null "$base/admin/v1/apps" -H "Authorization: Bearer $token" -d "{\"name\":\"bench $1\"}"; }
create 1
curl -sf "$base/health" >/dev/null
echo "== idle RSS with 1 app: $(rss_kib "$pid") KiB"

echo "== creating $((apps - 1)) more apps through the management API"
t0=$(now_ms)
for i in $(seq 2 "$apps"); do create "$i"; done
t1=$(now_ms)
echo "create app (API, sequential, incl. curl start): $(( (t1 - t0) * 1000 / (apps - 1) )) us per app"
echo "== idle RSS with $apps apps: $(rss_kib "$pid") KiB"

echo "== one Parse request to each app (all $apps active)"
ids=$(curl -sf "$base/admin/v1/apps" -H "Authorization: Bearer $token" | python3 -c 'import json,sys; [print(a["applicationId"]) for a in json.load(sys.stdin)["results"]]')
for id in $ids; do curl -s -o /dev/null "$base/parse/serverInfo" -H "X-Parse-Application-Id: $id"; done
echo "RSS with $apps active apps: $(rss_kib "$pid") KiB"
stop

echo "== create app (CLI, embedded cluster already running in another process)"
start
for i in $(seq "$runs"); do t0=$(now_ms); "$bin" app create "cli $i" --data-dir "$data" >/dev/null; t1=$(now_ms); echo $((t1 - t0)); done >"$work/cli"
echo "hearth app create, median: $(median <"$work/cli") ms"
stop
