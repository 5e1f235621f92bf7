#!/usr/bin/env bash
# Builds e2e/floor — the smallest Leptos app, with the viewer's build settings — into
# target/floor/, for the weight bench to print beside the viewer's (bash scripts/bench.sh weight).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
cargo build -q --release --target wasm32-unknown-unknown -p leptos-floor
wasm-bindgen "$target/wasm32-unknown-unknown/release/leptos-floor.wasm" --out-dir "$target/floor" --out-name floor \
  --target web --no-typescript
bash scripts/shrink-wasm.sh "$target/floor/floor_bg.wasm"
node_modules/.bin/esbuild "$target/floor/floor.js" --minify --format=esm --log-level=warning --outfile="$target/floor/floor.js" --allow-overwrite
# Compressed as the site server's files are (Zopfli's gzip), so the two are weighed alike.
node scripts/precompress.mjs "$target/floor"
