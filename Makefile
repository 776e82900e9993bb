# Hearth: `make run` builds and starts Hearth on the embedded defaults; `make test` installs what
# the tests need and runs every test. See README.md.

SHELL := /bin/bash

# Build output and test tools live outside the clone, so that a fresh clone on the same machine
# (as CI makes) reuses earlier builds.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/hearth/target
export HEARTH_TOOLS_DIR ?= $(HOME)/.cache/hearth/tools

HEARTH := $(CARGO_TARGET_DIR)/release/hearth

.PHONY: run build test test-ha test-deps check-deploy check-toolchain

## Build everything and start Hearth (embedded PostgreSQL under ./hearth-data, port 1337).
run: check-toolchain
	@scripts/install-run-deps.sh
	@scripts/build-dashboard.sh
	cargo build --release -p hearth
	$(HEARTH) serve

## Build the dashboard and the release binary.
build: check-toolchain
	@scripts/build-dashboard.sh
	cargo build --release -p hearth

## Install what the tests need (if missing) and run every test.
test: check-toolchain
	@scripts/install-test-deps.sh
	@scripts/test.sh

## Lint the Dockerfile, render and validate the Helm chart, validate compose.yaml (part of `make test`).
check-deploy:
	@scripts/check-deploy.sh

## The high-availability bed with figures (tests/ha, docs/reliability.md): PostgreSQL primary and
## replica, Redis, SeaweedFS, three release instances behind HAProxy; chaos scenarios under load,
## overload, scaling. Writes tests/ha/results.json.
test-ha: check-toolchain
	@scripts/install-test-deps.sh
	cargo build --release -p hearth
	cd tests && HEARTH_BIN=$(HEARTH) HA_BINARY_COMMIT=$$(git rev-parse --short HEAD) node ha/run.js

check-toolchain:
	@command -v cargo >/dev/null || { echo "cargo not found: install Rust (https://rustup.rs) first"; exit 1; }
