#!/usr/bin/env bash
# Bundles the pinned IVS Player Web SDK (npm, CommonJS) into one same-origin script that defines
# window.IVSPlayer, and puts its worker and WebAssembly beside it in build/ivs/<content hash>/:
# the folder is named by what it holds, so browsers may keep its files for good (the site server
# marks them immutable) and a new SDK is a new folder, never mixed with a cached older one.
# Trunk copies build/ivs into dist/; scripts/finish-wasm.sh names the folder in the page. Skips the
# work when the bundle is newer than the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/ivs
sdk=node_modules/amazon-ivs-player/dist
if [ ! -d "$sdk" ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
current=$(find "$out" -mindepth 2 -maxdepth 2 -name amazon-ivs-player.min.js 2>/dev/null | head -n1 || true)
if [ -n "$current" ] && [ "$current" -nt package-lock.json ]; then
  node scripts/precompress.mjs "$(dirname "$current")"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
node_modules/.bin/esbuild "$sdk/index.js" --bundle --minify --format=iife --global-name=IVSPlayer \
  --platform=browser --target=es2020 --legal-comments=none --log-level=warning \
  --outfile="$work/amazon-ivs-player.min.js"
cp "$sdk/assets/amazon-ivs-wasmworker.min.js" "$sdk/assets/amazon-ivs-wasmworker.min.wasm" "$work/"
hash=$(cat "$work/amazon-ivs-player.min.js" "$work/amazon-ivs-wasmworker.min.js" "$work/amazon-ivs-wasmworker.min.wasm" | sha256sum | cut -c1-16)
rm -rf "$out"
mkdir -p "$out"
mv "$work" "$out/$hash"
trap - EXIT
chmod 755 "$out/$hash"
# Compressed copies for the site server to send as they are (gzip and brotli).
node scripts/precompress.mjs "$out/$hash"
