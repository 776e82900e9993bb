#!/usr/bin/env bash
# Instructions per get-by-id request of a Hearth release build under callgrind, and how many of
# them usage::Usage::record_request takes (the per-app usage counting on the request path).
# Usage: bench/data-api/usage-callgrind.sh BIN OUTDIR [N]; PORT (1442), one worker.
set -euo pipefail
BIN=$1; OUT=$2; N=${3:-2000}; PORT=${PORT:-1442}
# One function instance: valgrind cannot reserve the address space of the default pool (64).
rm -rf "$OUT"; mkdir -p "$OUT/data"; chmod 755 "$OUT"
export HEARTH_DATA_DIR=$OUT/data HEARTH_PORT=$PORT HEARTH_ADMIN_EMAIL=a@b.c HEARTH_ADMIN_PASSWORD=password123 HEARTH_WORKERS=1 HEARTH_LOG=warn HEARTH_FUNCTION_INSTANCES=1
# First start without valgrind: creates the embedded cluster.
"$BIN" serve > "$OUT/init.log" 2>&1 & pid=$!
for i in $(seq 100); do curl -sf localhost:$PORT/ready >/dev/null && break; sleep 0.3; done
kill $pid; wait $pid || true
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT/callgrind.out" "$BIN" serve > "$OUT/serve.log" 2>&1 & vpid=$!
for i in $(seq 300); do curl -sf localhost:$PORT/ready >/dev/null && break; sleep 0.5; done
TOKEN=$(curl -s localhost:$PORT/admin/v1/auth/login -H 'Content-Type: application/json' -d '{"email":"a@b.c","password":"password123"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
APP=$(curl -s localhost:$PORT/admin/v1/apps -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"name":"bench"}')
APPID=$(echo "$APP" | python3 -c 'import json,sys; print(json.load(sys.stdin)["applicationId"])')
MK=$(echo "$APP" | python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"]["masterKey"])')
RK=$(echo "$APP" | python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"]["restApiKey"])')
OID=$(curl -s localhost:$PORT/parse/classes/Item -H "X-Parse-Application-Id: $APPID" -H "X-Parse-Master-Key: $MK" -H 'Content-Type: application/json' -d '{"n":1}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["objectId"])')
URL="http://localhost:$PORT/parse/classes/Item/$OID"
cfg() { for i in $(seq "$1"); do echo "url = \"$URL\""; echo "output = /dev/null"; done; }
cfg 300 > "$OUT/warm.cfg"; cfg "$N" > "$OUT/run.cfg"
H=(-H "X-Parse-Application-Id: $APPID" -H "X-Parse-REST-API-Key: $RK")
curl -s "${H[@]}" -K "$OUT/warm.cfg"
callgrind_control -i on $vpid >/dev/null
curl -s "${H[@]}" -K "$OUT/run.cfg"
callgrind_control -i off $vpid >/dev/null
kill $vpid; wait $vpid || true
callgrind_annotate --inclusive=yes "$OUT/callgrind.out" > "$OUT/annotate.txt" 2>/dev/null || true
echo "N=$N"
grep -m1 "PROGRAM TOTALS" "$OUT/annotate.txt" || head -20 "$OUT/annotate.txt"
grep -E "record_request|usage::" "$OUT/annotate.txt" | head -5
