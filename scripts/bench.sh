#!/usr/bin/env bash
# Prints the viewer's figures (app weight; time to first frame against a bare SDK page; chat flood).
# Name parts to run only those: bench.sh [weight|startup|chat|tally|votes|beacons|cues|stage|element]…
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
trunk build --release --offline
cargo build -q --release -p ivs-local -p ivs-site
# The weight is printed beside the smallest Leptos app's, built the same way.
if [ $# -eq 0 ] || printf '%s\n' "$@" | grep -qx weight; then
  bash scripts/build-floor.sh
fi
# The figures are of the release builds (the vote throughput above all).
export IVS_LOCAL_BIN=target/release/ivs-local IVS_SITE_BIN=target/release/ivs-site
cargo run -q -p ivs-e2e --bin bench -- "$@"
