#!/usr/bin/env bash
# Makes sure the PostgreSQL server binaries for the embedded cluster exist (Debian: installs the
# `postgresql` package when run as root). Prints what it does.
set -euo pipefail

have_pg() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

if have_pg; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing the PostgreSQL server binaries (apt-get install postgresql)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  echo "Installed PostgreSQL."
else
  echo "PostgreSQL server binaries (initdb, pg_ctl) are missing. Install them (Debian: apt-get install postgresql)"
  echo "or run Hearth against an existing server: HEARTH_DATABASE_URL=postgres://... HEARTH_SECRET_KEY=<hearth secrets generate-key> make run"
  exit 1
fi
