#!/usr/bin/env bash
# Cloud-function benchmark: what calling a trivial function costs over a plain request, the cold
# start of a freshly deployed module, and creates with a beforeSave trigger against creates
# without, Hearth (WebAssembly) beside Parse Server 9 (Cloud Code in Node) on the same PostgreSQL,
# in one run.
#
#   bench/functions/run.sh                          # about 5 minutes (plus the release build)
#   WAIT_QUIET=300 bench/functions/run.sh           # on a shared machine
#   HEARTH_BIN=/path/to/hearth bench/functions/run.sh   # skip the cargo build
#
# What it does, in order (every process it starts is stopped on exit, also on failure); the
# machinery (PostgreSQL, both servers, wrk and its workload script, measured runs with CPU
# figures) is bench/data-api's, through bench/lib.sh:
#  1. builds the cloud code, one module per guest kind, each with the function `noop`: bench.ts
#     with the AssemblyScript SDK (`asc`), rust-sdk/ with the Rust SDK and plain-rust/ (a cdylib
#     with no dependencies) with cargo for wasm32-unknown-unknown (into the SDK's wasm target
#     directory; without that target their workloads are reported as not available), noop.wat
#     with binaryen's `wasm-as` (asc and wasm-as from sdk/functions/assemblyscript/node_modules,
#     installed with npm ci there when missing);
#  2. starts a private PostgreSQL 15 with the databases parse and hearth;
#  3. starts Parse Server 9 in cluster mode with parse-cloud.js as its cloud code, and Hearth
#     (release build) with five apps (each with functions.maxConcurrent = CONCURRENCY): benchApp
#     (the ids and keys of Parse Server's app; bench.wasm deployed), benchRust (rust-sdk.wasm),
#     benchPlain (plain-rust.wasm), benchWat (noop.wasm) and benchCold (for the cold starts);
#  4. per server: creates the classes, seeds OBJECTS objects for the get workload and checks every
#     workload's answer (setup.mjs); a workload whose check fails is reported as not available;
#  5. runs each workload with wrk (bench/data-api/workload.lua), Parse Server then Hearth, after a
#     WARMUP run each: first at 1 connection (latency), then at CONCURRENCY (throughput):
#       info              GET  /parse/serverInfo, master key: the plain request (see README.md)
#       get               GET  /parse/classes/BenchItem/<id>, REST key: a data-API read
#       call              POST /parse/functions/noop {}, master key: the trivial function
#                         (Hearth: the AssemblyScript SDK module)
#       call_rust         the same on benchRust: the Rust SDK module (Hearth only)
#       call_plain        the same on benchPlain: the plain Rust cdylib (Hearth only)
#       call_wat          the same on benchWat: Hearth's handwritten module (Hearth only)
#       create_plain      POST /parse/classes/BenchPlain, REST key: no trigger
#       create_triggered  POST /parse/classes/BenchTriggered, REST key: beforeSave sets a field
#  6. stops Parse Server; cold starts on Hearth (coldstart.py): COLD_RUNS deployments of a new
#     module each (deploy time, first call, second call), then RESTARTS restarts of Hearth with
#     its compile cache on disk and RESTARTS without it (first call after the restart);
#  7. prints markdown tables (also RESULTS/summary.md); raw outputs stay in RESULTS.
#
# Settings (environment): CONCURRENCY (32), DURATION (10 s), WARMUP (3 s), OBJECTS (1000),
# THREADS (wrk threads at CONCURRENCY; number of cores), WORKLOADS ("info get missing call
# call_rust call_plain call_wat create_plain create_triggered", at CONCURRENCY), LATENCY_WORKLOADS
# ("info get missing call call_rust call_plain call_wat", at 1 connection), COLD_RUNS (10), RESTARTS (3), SERVERS ("parse hearth"), RESULTS
# (bench/results/functions-<date>), PG_BIN (/usr/lib/postgresql/15/bin), HEARTH_BIN (default:
# built from this checkout), WAIT_QUIET (0), RETRIES (2), as bench/data-api/run.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# Shared with bench/data-api: tools, PostgreSQL, both servers, measured runs, clean-up.
source "$here/../lib.sh"

CONCURRENCY=${CONCURRENCY:-32}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
OBJECTS=${OBJECTS:-1000}
THREADS=${THREADS:-$(nproc)}
WAIT_QUIET=${WAIT_QUIET:-0}
RETRIES=${RETRIES:-2}
WORKLOADS=${WORKLOADS:-info get missing call call_rust call_plain call_wat create_plain create_triggered}
LATENCY_WORKLOADS=${LATENCY_WORKLOADS:-info get missing call call_rust call_plain call_wat}
COLD_RUNS=${COLD_RUNS:-10}
RESTARTS=${RESTARTS:-3}
SERVERS=${SERVERS:-parse hearth}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
RESULTS=${RESULTS:-$repo/bench/results/functions-$(date +%Y%m%d-%H%M%S)}
APP_ID=benchApp MASTER_KEY=benchMasterKey REST_KEY=benchRestKey
WAT_APP=benchWat WAT_MASTER_KEY=benchWatMasterKey
RUST_APP=benchRust RUST_MASTER_KEY=benchRustMasterKey
PLAIN_APP=benchPlain PLAIN_MASTER_KEY=benchPlainMasterKey
COLD_APP=benchCold COLD_MASTER_KEY=benchColdMasterKey
sdk=$repo/sdk/functions/assemblyscript

mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)
started=$(date +%s)

# ---- tools and the cloud code -------------------------------------------------------------------
bench_tools
if [ ! -x "$sdk/node_modules/.bin/asc" ] || [ ! -x "$sdk/node_modules/.bin/wasm-as" ]; then
  log "installing the AssemblyScript SDK's tools (npm ci in sdk/functions/assemblyscript)"
  (cd "$sdk" && npm ci --no-audit --no-fund) >"$RESULTS/npm-ci-sdk.log" 2>&1 || die "npm ci failed (see $RESULTS/npm-ci-sdk.log)"
fi
log "building bench.ts (asc -O3 --runtime stub) and noop.wat (wasm-as)"
(cd "$sdk" && node_modules/.bin/asc "$here/bench.ts" -o "$RESULTS/bench.wasm" -O3 --runtime stub) \
  >"$RESULTS/asc.log" 2>&1 || die "asc failed (see $RESULTS/asc.log)"
"$sdk/node_modules/.bin/wasm-as" "$here/noop.wat" -o "$RESULTS/noop.wasm" >"$RESULTS/wasm-as.log" 2>&1 \
  || die "wasm-as failed (see $RESULTS/wasm-as.log)"
# The Rust modules, in the Rust SDK's wasm target directory (as sdk/functions/rust/build.sh): each
# crate is a workspace of its own with its release profile (and rust-sdk/ the SDK's
# .cargo/config.toml, as the SDK asks of modules); plain-rust/ has Rust's default settings.
wasm_target=${HEARTH_WASM_TARGET_DIR:-${CARGO_TARGET_DIR:-$HOME/.cache/hearth/target}-wasm}
build_rust() { # crate folder, .wasm name, output file
  (cd "$here/$1" && CARGO_TARGET_DIR=$wasm_target cargo build --release --target wasm32-unknown-unknown --locked) \
    >>"$RESULTS/cargo-wasm.log" 2>&1 && cp "$wasm_target/wasm32-unknown-unknown/release/$2.wasm" "$3"
}
rust_status=ok
if ! command -v cargo >/dev/null || [ ! -d "$(rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown/lib" ]; then
  rust_status="the Rust toolchain has no wasm32-unknown-unknown target (rustup target add wasm32-unknown-unknown)"
else
  log "building rust-sdk/ and plain-rust/ (cargo build --release --target wasm32-unknown-unknown)"
  build_rust rust-sdk hearth_bench_rust_sdk "$RESULTS/rust-sdk.wasm" \
    && build_rust plain-rust hearth_bench_plain_rust "$RESULTS/plain-rust.wasm" \
    || rust_status="cargo build failed (see cargo-wasm.log)"
fi
[ "$rust_status" = ok ] || log "Rust modules: $rust_status; call_rust and call_plain are not available"
bench_build_hearth

# ---- PostgreSQL and the servers -----------------------------------------------------------------
bench_init functions
pg_start parse hearth

parse_status="not run (SERVERS=$SERVERS)"
case " $SERVERS " in *" parse "*)
  parse_start parse PARSE_CLOUD="$here/parse-cloud.js"
  parse_status=ok
  ;;
esac

deploy() { # app module: POST /admin/v1/apps/APP/functions; prints the HTTP status
  curl -s -o "$RESULTS/hearth-deploy-$1.json" -w '%{http_code}' --max-time 120 "$hb/admin/v1/apps/$1/functions" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/wasm' --data-binary "@$2"
}
if [ "$hearth_status" = ok ]; then
  if ! hearth_start hearth; then
    hearth_status="did not start, see hearth.log"
  elif ! hearth_login; then
    hearth_status="admin login failed"
  else
    # maxConcurrent (calls of one app at once per instance, 16 by default) = the connections, so
    # that the app's limit is not what the throughput run measures.
    settings="{\"rateLimits\":[],\"functions\":{\"maxConcurrent\":$CONCURRENCY}}"
    for app in "$APP_ID $MASTER_KEY $REST_KEY" "$RUST_APP $RUST_MASTER_KEY benchRustRestKey" \
      "$PLAIN_APP $PLAIN_MASTER_KEY benchPlainRestKey" "$WAT_APP $WAT_MASTER_KEY benchWatRestKey" \
      "$COLD_APP $COLD_MASTER_KEY benchColdRestKey"; do
      set -- $app
      code=$(hearth_create_app "$RESULTS/hearth-app-$1.json" \
        "{\"name\":\"$1\",\"applicationId\":\"$1\",\"masterKey\":\"$2\",\"restApiKey\":\"$3\",\"settings\":$settings}")
      [ "$code" = 201 ] || { hearth_status="creating app $1 answered HTTP $code"; break; }
    done
  fi
  if [ "$hearth_status" = ok ]; then
    code=$(deploy "$APP_ID" "$RESULTS/bench.wasm")
    [ "$code" = 201 ] || hearth_status="deploying bench.wasm answered HTTP $code (see hearth-deploy-$APP_ID.json)"
  fi
  if [ "$hearth_status" = ok ]; then
    code=$(deploy "$WAT_APP" "$RESULTS/noop.wasm")
    [ "$code" = 201 ] || hearth_status="deploying noop.wasm answered HTTP $code (see hearth-deploy-$WAT_APP.json)"
  fi
  if [ "$hearth_status" = ok ] && [ "$rust_status" = ok ]; then
    for app in "$RUST_APP rust-sdk" "$PLAIN_APP plain-rust"; do
      set -- $app
      code=$(deploy "$1" "$RESULTS/$2.wasm")
      [ "$code" = 201 ] || { rust_status="deploying $2.wasm answered HTTP $code (see hearth-deploy-$1.json)"; break; }
    done
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
  log "$s: create the classes, seed $OBJECTS objects, check the answers"
  extra=()
  if [ "$s" = hearth ]; then
    extra=(--guest "call_wat=$WAT_APP:$WAT_MASTER_KEY")
    [ "$rust_status" = ok ] && extra+=(--guest "call_rust=$RUST_APP:$RUST_MASTER_KEY" --guest "call_plain=$PLAIN_APP:$PLAIN_MASTER_KEY")
  fi
  node "$here/setup.mjs" --base "${url[$s]}/parse" --objects "$OBJECTS" --out "$RESULTS/$s" \
    --app-id "$APP_ID" --rest-key "$REST_KEY" --master-key "$MASTER_KEY" "${extra[@]}" 2>&1 | tee "$RESULTS/$s-setup.log" >&2 \
    || log "$s: setup.mjs failed (see $s-setup.log); its workloads are reported as not available"
done
# Why the Rust modules' workloads are not available, for the report.
if [ "$rust_status" != ok ] && [ -f "$RESULTS/hearth.verify.json" ]; then
  python3 -c 'import json,sys; p=sys.argv[1]; v=json.load(open(p)); v.update(call_rust=sys.argv[2], call_plain=sys.argv[2]); json.dump(v, open(p, "w"), indent=2)' \
    "$RESULTS/hearth.verify.json" "$rust_status"
fi
for db in parse hearth; do psql_ -d "$db" -c 'VACUUM ANALYZE'; done

check() { # server workload -> prints ok or the reason
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], "missing"))' \
    "$RESULTS/$1.verify.json" "$2" 2>/dev/null || echo "setup failed"
}

# ---- timed runs ---------------------------------------------------------------------------------
wrk_run() { # server workload connections seconds outfile
  local s=$1 w=$2 c=$3 app=$APP_ID key= args
  case $w in
    info) key=$MASTER_KEY args=(serverinfo) ;;
    get) args=(get "$RESULTS/$s.ids") ;;
    missing) key=$MASTER_KEY args=(function nosuch) ;;
    call) key=$MASTER_KEY args=(function noop) ;;
    call_rust) app=$RUST_APP key=$RUST_MASTER_KEY args=(function noop) ;;
    call_plain) app=$PLAIN_APP key=$PLAIN_MASTER_KEY args=(function noop) ;;
    call_wat) app=$WAT_APP key=$WAT_MASTER_KEY args=(function noop) ;;
    create_plain) args=(create BenchPlain) ;;
    create_triggered) args=(create BenchTriggered) ;;
    *) die "unknown workload $w" ;;
  esac
  BENCH_APP_ID=$app BENCH_REST_KEY=$REST_KEY BENCH_MASTER_KEY=$key \
    wrk -t"$((THREADS < c ? THREADS : c))" -c"$c" -d"$4s" --latency --timeout 30s \
    -s "$data_api/workload.lua" "${url[$s]}" -- "${args[@]}" >"$5" 2>&1
}
for c in 1 "$CONCURRENCY"; do
  ws=$WORKLOADS
  [ "$c" = 1 ] && ws=$LATENCY_WORKLOADS
  for w in $ws; do
    for s in parse hearth; do
      [ -n "${url[$s]:-}" ] || continue
      case $s/$w in parse/call_rust | parse/call_plain | parse/call_wat) continue ;; esac
      v=$(check "$s" "$w")
      if [ "$v" != ok ]; then
        log "$s $w: not available ($v)"
        continue
      fi
      name=$s-$w-c$c
      log "$s $w: ${WARMUP}s warm-up, ${DURATION}s measured, $c connections"
      [ "$WARMUP" -gt 0 ] && wrk_run "$s" "$w" "$c" "$WARMUP" "$RESULTS/$name.warmup.txt"
      measure "$RESULTS/$name" "$s $w c$c" "${pid[$s]}" wrk_run "$s" "$w" "$c" "$DURATION" "$RESULTS/$name.txt" || true
      grep -q '^RESULT ' "$RESULTS/$name.txt" || die "wrk failed for $s $w (see $RESULTS/$name.txt)"
      kill -0 "${pid[$s]}" 2>/dev/null || die "$s died during $w (see $RESULTS/$s*.log)"
    done
  done
done
stop_parse

# ---- cold starts (Hearth) -----------------------------------------------------------------------
if [ -n "${url[hearth]:-}" ] && [ "$COLD_RUNS" -gt 0 ]; then
  log "hearth: $COLD_RUNS deployments of a new module, each followed by its first calls"
  quiet
  python3 "$here/coldstart.py" deploy "$hb" "$COLD_APP" "$COLD_MASTER_KEY" "$token" "$RESULTS/bench.wasm" \
    "$COLD_RUNS" "$RESULTS/coldstart-deploy.json" 2>"$RESULTS/coldstart-deploy.log" || die "coldstart.py failed (see coldstart-deploy.log)"
  : >"$RESULTS/coldstart-restart.jsonl"
  for label in cached compile; do
    for _ in $(seq "$RESTARTS"); do
      stop_hearth
      # compile: without the compiled form on disk, the first call compiles the module again.
      [ "$label" = compile ] && rm -rf "$work/hearth-data/functions-cache"
      hearth_start hearth || die "Hearth did not restart (see hearth.log)"
      hearth_login || die "admin login failed after the restart"
      quiet
      python3 "$here/coldstart.py" restart "$hb" "$COLD_APP" "$COLD_MASTER_KEY" "$token" "$label" \
        "$RESULTS/coldstart-restart.jsonl" 2>>"$RESULTS/coldstart-restart.log" || die "coldstart.py failed (see coldstart-restart.log)"
    done
  done
fi
stop_hearth

# ---- report -------------------------------------------------------------------------------------
bench_meta
python3 "$here/report.py" "$RESULTS" \
  concurrency="$CONCURRENCY" duration="$DURATION" warmup="$WARMUP" objects="$OBJECTS" threads="$THREADS" \
  workloads="$WORKLOADS" latency_workloads="$LATENCY_WORKLOADS" elapsed="$(($(date +%s) - started))" "${meta[@]}" \
  | tee "$RESULTS/summary.md"
log "raw outputs in $RESULTS"
