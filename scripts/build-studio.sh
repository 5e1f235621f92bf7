#!/usr/bin/env bash
# Trunk post-build hook (after finish-wasm.sh): builds the studio (studio/, the page /studio) as a
# WebAssembly module of its own into studio/ beside the viewer's files — js/boot.js starts it on
# that page instead of the viewer's app, so nothing of it is in what a viewer loads. The viewer's
# crate is compiled as one module here (no split parts), as the npm package compiles it, so the
# two builds share it.
set -euo pipefail
cd "$(dirname "$0")/.."
staging=${TRUNK_STAGING_DIR:?run by trunk}
profile=${TRUNK_PROFILE:-release}
out="$staging/studio"
mkdir -p "$out"
if [ "$profile" = release ]; then
  cargo build -q --release --target wasm32-unknown-unknown -p ivs-studio --lib
else
  cargo build -q --target wasm32-unknown-unknown -p ivs-studio --lib
fi
wasm-bindgen "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/$profile/ivs_studio.wasm" --out-dir "$out" --out-name ivs_studio \
  --target web --no-typescript
cp studio/studio.css "$out/studio.css"
if [ "$profile" = release ]; then
  bash scripts/shrink-wasm.sh "$out/ivs_studio_bg.wasm"
  node_modules/.bin/esbuild "$out/ivs_studio.js" --minify --format=esm --log-level=warning --outfile="$out/ivs_studio.js" --allow-overwrite
  node scripts/precompress.mjs "$out"
fi
