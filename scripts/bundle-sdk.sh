#!/usr/bin/env bash
# Bundles the pinned IVS Player Web SDK (npm, CommonJS) into one same-origin script that defines
# window.IVSPlayer, and puts its worker and WebAssembly beside it in build/ivs/. Trunk copies that
# folder into dist/. Skips the work when the bundle is newer than the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/ivs
sdk=node_modules/amazon-ivs-player/dist
if [ ! -d "$sdk" ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ -f "$out/amazon-ivs-player.min.js" ] && [ "$out/amazon-ivs-player.min.js" -nt package-lock.json ]; then
  node scripts/precompress.mjs "$out"
  exit 0
fi
mkdir -p "$out"
node_modules/.bin/esbuild "$sdk/index.js" --bundle --minify --format=iife --global-name=IVSPlayer \
  --platform=browser --target=es2020 --legal-comments=none --log-level=warning \
  --outfile="$out/amazon-ivs-player.min.js"
cp "$sdk/assets/amazon-ivs-wasmworker.min.js" "$sdk/assets/amazon-ivs-wasmworker.min.wasm" \
  "$out/"
# Compressed copies for the site server to send as they are (gzip and brotli).
node scripts/precompress.mjs "$out"
