#!/usr/bin/env bash
# Installs what is missing, builds the viewer, the local IVS and the site server, and runs them:
# the viewer at http://127.0.0.1:8080/ playing the local live stream, and at /stage the built-in
# real-time stage. The site server
# (ivs-site.toml) talks to the local IVS only through the AWS SDK, with an endpoint override, as it
# talks to AWS in production; the local IVS sends it its EventBridge events.
# Extra arguments go to `ivs-local serve` (see `--help`), e.g. --video my.mp4. The demo timeline
# (overlays, chat and votes every minute) runs by default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "[dev] building the viewer (trunk build --release)"
trunk build --release --offline
echo "[dev] building the local IVS and the site server"
cargo build -q --release -p ivs-local -p ivs-site

# The local IVS takes any credentials; the site server finds these by the SDK's standard chain.
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE
IVS_SITE_EVENTS_SECRET=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
IVS_SITE_REVIEW_SECRET=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export IVS_SITE_EVENTS_SECRET IVS_SITE_REVIEW_SECRET

target/release/ivs-local serve --stage-host --record-builtin local-recordings \
  --event-target http://127.0.0.1:8080/api/events --event-header "x-ivs-events-secret: $IVS_SITE_EVENTS_SECRET" \
  --chat-review-url http://127.0.0.1:8080/api/chat/review --chat-review-header "x-ivs-review-secret: $IVS_SITE_REVIEW_SECRET" "$@" &
local_ivs=$!
trap 'kill "$local_ivs" 2>/dev/null || true; wait "$local_ivs" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
target/release/ivs-site --config ivs-site.toml serve --demo
