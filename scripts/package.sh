#!/usr/bin/env bash
# Builds the npm package `ivs-viewer` — the <ivs-viewer> custom element — into pkg/:
#   1. wasm-pack builds element/ (the viewer as one WebAssembly module and its bindings);
#   2. the pinned binaryen (npm) shrinks the module and esbuild minifies the scripts;
#   3. the viewer's stylesheet becomes the element's (its :root is the element's :host);
#   4. the viewer's words (locales/: English is in the module, the others fetched as needed) and
#      the IVS Player SDK go beside it (ivs/: bundled as for the site, by scripts/bundle-sdk.sh),
#      fetched only when an element is used and only if the page has no SDK of its own;
#   5. package.json (version from element/Cargo.toml), README and type declarations.
# `npm pack pkg/` then makes the tarball a site installs. Prints each file's gzip size.
set -euo pipefail
cd "$(dirname "$0")/.."
out=pkg
say() { printf '\033[1;34m[package]\033[0m %s\n' "$*"; }

[ -d node_modules/amazon-ivs-player ] || npm ci --no-audit --no-fund --loglevel=error
bash scripts/bundle-sdk.sh
sdk=$(find build/ivs -mindepth 1 -maxdepth 1 -type d | head -n1)

rm -rf "$out"
say "wasm-pack build element"
# --no-pack: this script writes the package's own package.json; wasm-opt runs below (wasm-pack's
# would be downloaded).
# The dependencies compiled for the site's build (trunk build) are reused as they are.
wasm-pack --log-level warn build element --release --target web --no-typescript --no-pack \
  --out-dir "../$out" --out-name ivs_viewer_element
rm -f "$out/.gitignore"

bash scripts/shrink-wasm.sh "$out/ivs_viewer_element_bg.wasm"
node_modules/.bin/esbuild "$out/ivs_viewer_element.js" --minify --format=esm --log-level=warning \
  --outfile="$out/ivs_viewer_element.js" --allow-overwrite
node_modules/.bin/esbuild element/js/ivs-viewer.js --minify --format=esm --log-level=warning --outfile="$out/ivs-viewer.js"
cp element/js/ivs-viewer.d.ts "$out/"

# The viewer's rules, scoped to the shadow root: its :root variables on :host, no page rules.
{
  sed -e 's/^:root {/:host {/' -e '/^html, body {/d' style/main.css
  cat element/js/element.css
} | node_modules/.bin/esbuild --loader=css --minify --log-level=warning > "$out/ivs-viewer.css"

mkdir -p "$out/ivs"
cp "$sdk/amazon-ivs-player.min.js" "$sdk/amazon-ivs-wasmworker.min.js" "$sdk/amazon-ivs-wasmworker.min.wasm" "$out/ivs/"
cp -r locales "$out/locales"
cp element/README.md "$out/README.md"
cp LICENSE* "$out/" 2>/dev/null || true

version=$(sed -n 's/^version = "\(.*\)"/\1/p' element/Cargo.toml | head -n1)
cat > "$out/package.json" <<JSON
{
  "name": "ivs-viewer",
  "version": "$version",
  "description": "<ivs-viewer>: a viewer for Amazon IVS live streams as a custom element — playback, overlays from timed metadata, polls and chat.",
  "license": "MIT OR Apache-2.0",
  "type": "module",
  "main": "./ivs-viewer.js",
  "module": "./ivs-viewer.js",
  "types": "./ivs-viewer.d.ts",
  "exports": {
    ".": { "types": "./ivs-viewer.d.ts", "default": "./ivs-viewer.js" },
    "./ivs-viewer.css": "./ivs-viewer.css",
    "./package.json": "./package.json"
  },
  "files": ["ivs-viewer.js", "ivs-viewer.d.ts", "ivs-viewer.css", "ivs_viewer_element.js", "ivs_viewer_element_bg.wasm", "ivs/", "locales/", "README.md"],
  "sideEffects": ["./ivs-viewer.js"],
  "keywords": ["amazon-ivs", "ivs", "video", "player", "live", "web-component", "custom-element", "webassembly"]
}
JSON

say "pkg/ (gzip sizes; ivs/ is the IVS Player SDK, loaded only without one in the page)"
for file in "$out"/ivs-viewer.js "$out"/ivs_viewer_element.js "$out"/ivs_viewer_element_bg.wasm "$out"/ivs-viewer.css; do
  printf '  %-32s %7d bytes  %7d gzip\n' "$(basename "$file")" "$(stat -c %s "$file")" "$(gzip -9c "$file" | wc -c)"
done
