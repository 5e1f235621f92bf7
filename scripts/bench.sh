#!/usr/bin/env bash
# Prints the viewer's figures (app weight; time to first frame against a bare SDK page; chat flood).
# Name parts to run only those: bench.sh [weight|startup|chat]…
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
trunk build --release --offline
cargo build -q -p ivs-local -p ivs-site
cargo run -q -p ivs-e2e --bin bench -- "$@"
