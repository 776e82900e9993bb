#!/usr/bin/env bash
# Builds the Rust guest SDK's example module for Hearth (wasm32-unknown-unknown, release profile:
# small code, panic = abort) and prints the .wasm file's path as its last line.
#
# The target directory is $HEARTH_WASM_TARGET_DIR, or the server's target directory with
# `-wasm` appended (${CARGO_TARGET_DIR:-~/.cache/hearth/target}-wasm): a directory of its own,
# so this build never waits for the server's cargo lock.
#
# Exits 3, with the reason on stderr, when the Rust toolchain has no wasm32-unknown-unknown
# standard library (`rustup target add wasm32-unknown-unknown` adds it; scripts/
# install-test-deps.sh tries that); the end-to-end test skips on that status.
set -euo pipefail
cd "$(dirname "$0")"

target=wasm32-unknown-unknown
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is not installed: the Rust guest SDK needs a Rust toolchain with the $target target" >&2
  exit 3
fi
sysroot=$(rustc --print sysroot)
if [ ! -d "$sysroot/lib/rustlib/$target/lib" ]; then
  echo "the Rust toolchain at $sysroot has no $target standard library: run \`rustup target add $target\`" >&2
  echo "(scripts/install-test-deps.sh does; without rustup, install a toolchain that ships $target)" >&2
  exit 3
fi

export CARGO_TARGET_DIR=${HEARTH_WASM_TARGET_DIR:-${CARGO_TARGET_DIR:-$HOME/.cache/hearth/target}-wasm}
cargo build --release --target "$target" --locked --quiet >&2
echo "$CARGO_TARGET_DIR/$target/release/hearth_functions_demo.wasm"
