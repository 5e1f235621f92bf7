#!/usr/bin/env bash
# Installs what is missing, builds the viewer and the local stack, and runs them:
# the viewer at http://127.0.0.1:8080/ playing the local live stream.
# Extra arguments go to `ivs-local serve` (see `--help`), e.g. --video my.mp4. The demo timeline
# (overlays, chat and votes every minute) runs by default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "[dev] building the viewer (trunk build --release)"
trunk build --release --offline
echo "[dev] building the local stack"
cargo build -q -p ivs-local --release
exec target/release/ivs-local serve --site-dir dist --demo "$@"
