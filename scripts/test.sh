#!/usr/bin/env bash
# Runs every test against a PostgreSQL cluster of this run's own, stopped and removed at the end.
set -uo pipefail
cd "$(dirname "$0")/.."

tools=${HEARTH_TOOLS_DIR:-$HOME/.cache/hearth/tools}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/hearth/target}
export HEARTH_OPENAPI_VALIDATOR="$tools/venv/bin/openapi-spec-validator"
# The Python with aiosmtpd, for the tests that send email to a real SMTP server.
export HEARTH_TEST_PYTHON="$tools/venv/bin/python"
# SeaweedFS, a real S3 server for the S3 storage tests.
export HEARTH_TEST_WEED="$tools/venv/bin/weed"
# The generator's tests type-check the TypeScript SDKs with tests/node_modules/.bin/tsc: fail, never skip, without it.
export HEARTH_REQUIRE_TSC=1
export HEARTH_REQUIRE_KOTLIN=1

# The test harness starts the cluster (with Hearth's own embedded-PostgreSQL code) in this folder,
# which only its owner can enter: as root, the cluster then lives under /var/lib/hearth (as with
# `make run` in root's home), and <run_dir>/pg/postgres links to it.
run_dir=$(mktemp -d /tmp/hearth-test-run.XXXXXX)
export HEARTH_TEST_PG_DIR="$run_dir/pg"
cleanup() {
  local pgdata
  pgdata=$(readlink -f "$HEARTH_TEST_PG_DIR/postgres" 2>/dev/null || true)
  if [ -n "$pgdata" ] && [ -f "$pgdata/postmaster.pid" ]; then
    pg_bin=$(dirname "$(readlink -f "$(command -v pg_ctl 2>/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl | tail -n1)")")
    if [ "$(id -u)" = 0 ]; then
      # From /: the postgres user may not enter the clone's folder.
      (cd / && runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null) || true
    else
      "$pg_bin/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null || true
    fi
  fi
  case "$pgdata" in
    /var/lib/hearth/*) rm -rf "$(dirname "$pgdata")" ;;
  esac
  rm -rf "$run_dir"
}
trap cleanup EXIT

status=0
log="$run_dir/test-output.log"
# The code's habits, checked first (their failures fail the run, after every test has run).
echo "Checking formatting (cargo fmt) and lints (cargo clippy)..."
{ cargo fmt --all --check && (cd sdk/functions/rust && cargo fmt --all --check); } 2>&1 | tee -a "$log" || { echo "cargo fmt: the code is not formatted (run cargo fmt)"; status=1; }
cargo clippy -p hearth -p hearth-sdkgen --all-targets -- -D warnings 2>&1 | tee -a "$log" || { echo "cargo clippy found warnings"; status=1; }
# The deployment artefacts (deploy/): the Dockerfile linted, the Helm chart linted, rendered and
# validated against Kubernetes' schemas, wrong values refused, compose.yaml against its schema.
echo "Checking the deployment artefacts (deploy/)..."
scripts/check-deploy.sh 2>&1 | tee "$run_dir/deploy.log" | tee -a "$log" || status=1
# The dashboard: built first (the debug binary the browser tests run serves dashboard/dist),
# then its lint (oxlint), type check (tsc) and unit tests (vitest).
echo "Building and checking the dashboard..."
HEARTH_DASHBOARD_REQUIRED=1 scripts/build-dashboard.sh 2>&1 | tee -a "$log" || { echo "the dashboard did not build"; status=1; }
(cd dashboard && npm run --silent budget && npm run --silent lint && NO_COLOR=1 npx vitest run --reporter=dot) 2>&1 | tee -a "$log" | tail -n 12 || { echo "the dashboard's lint or unit tests failed"; status=1; }
echo "Building and running the Rust tests..."
cargo test --workspace --no-fail-fast 2>&1 | tee -a "$log" || status=$?
# The Rust guest SDK for cloud functions is a workspace of its own (it builds for wasm32); its
# unit tests run natively.
echo "Running the Rust guest SDK's tests..."
(cd sdk/functions/rust && CARGO_TARGET_DIR="$CARGO_TARGET_DIR-wasm" cargo test --locked --no-fail-fast) 2>&1 | tee -a "$log" || status=$?

# End to end: the official Parse JS SDK against the `hearth` binary the Rust tests just built,
# files on local disk; then the file suite again with files on a real S3 server (SeaweedFS, which
# run.js starts and stops). Each run's output is also kept apart, for the totals below.
echo "Running the end-to-end tests (Parse JS SDK)..."
export HEARTH_BIN="$CARGO_TARGET_DIR/debug/hearth"
export HEARTH_TEST_WEED=${HEARTH_TEST_WEED:-$tools/venv/bin/weed}
(cd tests && node run.js) 2>&1 | tee "$run_dir/e2e-1.log" | tee -a "$log" || status=$?
echo "Running the end-to-end file tests with files on S3 (SeaweedFS)..."
(cd tests && FILES=s3 node run.js files) 2>&1 | tee "$run_dir/e2e-2.log" | tee -a "$log" || status=$?
# The high-availability bed's short correctness mode (tests/ha): PostgreSQL primary and replica,
# Redis, SeaweedFS, three instances behind HAProxy; each fault once under load, every acknowledged
# write and file checked. Its figures come from `make test-ha`.
echo "Running the high-availability bed (tests/ha, short mode)..."
(cd tests && node --test --test-reporter=spec --test-timeout=300000 ha/ha.test.js) 2>&1 | tee "$run_dir/e2e-ha.log" | tee -a "$log" || status=$?

# The node test runner's summary ("ℹ pass N", "ℹ fail N") of every end-to-end run, added up.
e2e_total() {
  local sum=0 f
  for f in "$run_dir"/e2e-*.log; do
    sum=$(( sum + $(grep -oE "^ℹ $1 [0-9]+" "$f" | tail -n1 | awk '{s=$3} END {print s+0}') ))
  done
  echo "$sum"
}

# scripts/check-deploy.sh's closing line: "Deploy checks: N passed, M failed".
deploy_count() { grep -oE "^Deploy checks: [0-9]+ passed, [0-9]+ failed" "$run_dir/deploy.log" | grep -oE "[0-9]+ $1" | awk '{s+=$1} END {print s+0}'; }

# One closing line for every runner.
# Vitest's summary line: "Tests  N passed (N)" or "Tests  F failed | N passed (M)".
vitest_count() { grep -E '^ +Tests +[0-9]' "$log" | grep -oE "[0-9]+ $1" | awk '{s+=$1} END {print s+0}'; }
passed=$(( $(grep -oE '^test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}') + $(e2e_total pass) + $(vitest_count passed) + $(deploy_count passed) ))
failed=$(( $(grep -oE '[0-9]+ failed;' "$log" | awk '{s+=$1} END {print s+0}') + $(e2e_total fail) + $(vitest_count failed) + $(deploy_count failed) ))
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "Total: $passed passed, $failed failed"
exit $status
