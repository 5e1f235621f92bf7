#!/usr/bin/env bash
# Installs what is missing, builds everything, and runs every test tier:
#   1. host unit tests (pure crate, local stack)
#   2. components in headless Chromium (wasm-bindgen-test)
#   3. end to end: built viewer + local stack + Chromium + the real IVS Player SDK
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

step() { printf '\n\033[1;34m[test]\033[0m %s\n' "$*"; }

step "1/3 host unit tests"
cargo test -p ivs-proto -p ivs-local

step "2/3 components in headless Chromium"
CHROMEDRIVER=/usr/bin/chromedriver \
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p ivs-viewer --target wasm32-unknown-unknown

step "3/3 end to end in Chromium"
trunk build --release --offline
cargo build -q -p ivs-local
cargo test -p ivs-e2e -- --test-threads=1
