#!/usr/bin/env bash
# Builds the web dashboard (dashboard/dist), which the release binary embeds. Installs Node.js
# and npm from Debian when they are missing (as root), and the dashboard's npm packages when
# its lockfile changed. Without a usable Node.js it says so and stops without failing: the
# binary then serves a page saying how to build the dashboard.
set -euo pipefail
cd "$(dirname "$0")/../dashboard"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Node.js and npm (apt-get install nodejs npm)..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    echo "Installed Node.js $(node --version)."
  fi
fi
if ! command -v node >/dev/null 2>&1; then
  echo "Node.js is missing: the dashboard is not built (install Node.js 20.19 or newer, then run make build)" >&2
  exit "${HEARTH_DASHBOARD_REQUIRED:-0}"
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "Node.js $(node --version) is too old for the dashboard's build (it needs 20.19 or newer): the dashboard is not built" >&2
  exit "${HEARTH_DASHBOARD_REQUIRED:-0}"
fi

if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.hearth-lock; then
  echo "Installing the dashboard's packages (npm ci in dashboard/)..."
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.hearth-lock
fi
echo "Building the dashboard (dashboard/dist)..."
npm run --silent build
echo "Built the dashboard: $(du -sh dist | cut -f1) in dashboard/dist."
