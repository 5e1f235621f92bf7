#!/usr/bin/env bash
# Trunk post-build hook: makes the viewer's wasm what the page loads.
#  1. Splits the parts entered by `#[wasm_split]` functions (src/lazy.rs: chat, overlays and
#     controls, embed tools) out of the module cargo linked (wasm-split-cli, pinned in
#     scripts/setup.sh), so the page starts with the core and fetches the rest when first needed.
#  2. Generates the JS bindings of the split core (wasm-bindgen, as Trunk did for the whole).
#  3. Shrinks every module with binaryen's wasm-opt (scripts/shrink-wasm.sh; from npm, pinned; Debian's
#     is too old for the features rustc now emits) and minifies the JS with esbuild (same lock).
#  4. Names each lazy file by its content, so a cached copy is never mixed with a newer core.
# Trunk's own output (the unsplit module and its bindings) is replaced under the names Trunk gave.
set -euo pipefail
cd "$(dirname "$0")/.."
staging=${TRUNK_STAGING_DIR:?run by trunk}
# Debug builds (`trunk serve`) are split too — the app needs its parts — but not shrunk.
profile=${TRUNK_PROFILE:-release}
linked=${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/$profile/ivs-viewer.wasm

main_js=$(find "$staging" -maxdepth 1 -name 'ivs-viewer-*.js' | head -n1)
[ -n "$main_js" ] || { echo "finish-wasm: Trunk staged no ivs-viewer-*.js" >&2; exit 1; }
name=$(basename "$main_js" .js)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
wasm-split-cli "$linked" "$work/split" --target web --out-name "$name" >/dev/null
wasm-bindgen "$work/split/$name.wasm" --out-dir "$work/bindgen" --out-name "$name" --target web \
  --no-typescript --keep-lld-exports

opt() {
  [ "$profile" = release ] || return 0
  bash scripts/shrink-wasm.sh "$1"
}
hash_of() { sha256sum "$1" | cut -c1-16; }

loader="$work/split/__wasm_split.js"
for chunk in "$work/split"/split_*.wasm "$work/split"/chunk_*.wasm; do
  [ -e "$chunk" ] || continue
  opt "$chunk"
  base=$(basename "$chunk" .wasm)
  hashed="$base-$(hash_of "$chunk").wasm"
  sed -i "s|\"./$base.wasm\"|\"./$hashed\"|" "$loader"
  mv "$chunk" "$staging/$hashed"
done
if [ -e "$loader" ]; then
  # The files of the stage part (overlays and controls: every viewer shows them at once) — its own
  # and the chunks it shares, which the loader marks with the parts using them (/* chat, stage */).
  stage_files=$(awk '
    /^\/\* .* \*\/$/ { parts = $0; next }
    /fetch\(new URL\("\.\/chunk_/ && parts ~ /[ ,]stage[ ,]/ { match($0, /chunk_[^"]*\.wasm/); print substr($0, RSTART, RLENGTH) }
    /fetch\(new URL\("\.\/split_stage-/ { match($0, /split_stage-[^"]*\.wasm/); print substr($0, RSTART, RLENGTH) }
  ' "$loader" | tr '\n' ' ')
  loader_name="__wasm_split-$(hash_of "$loader").js"
  node_modules/.bin/esbuild "$loader" --minify --format=esm --log-level=warning --outfile="$staging/$loader_name"
  sed -i "s|from \"./__wasm_split.js\"|from \"./$loader_name\"|" "$work/bindgen/$name.js"
  # boot.js fetches these beside the core as it starts the app, rather than one after the other.
  sed -i "s|</head>|<meta name=\"ivs-viewer-prefetch\" content=\"$loader_name ${stage_files% }\">\n</head>|" "$staging/index.html"
fi
opt "$work/bindgen/${name}_bg.wasm"
mv "$work/bindgen/${name}_bg.wasm" "$staging/${name}_bg.wasm"
# (wasm-bindgen names the loader once per part in its imports object: same module, so the repeated
# key esbuild warns of is harmless.)
node_modules/.bin/esbuild "$work/bindgen/$name.js" --minify --format=esm --log-level=warning \
  --log-override:duplicate-object-key=silent --outfile="$staging/$name.js"
# The SDK's folder is named by its content (scripts/bundle-sdk.sh): name it in the page.
sdk_dirs=$(find build/ivs -mindepth 1 -maxdepth 1 -type d -printf '%f\n')
[ "$(printf '%s\n' "$sdk_dirs" | grep -c .)" = 1 ] || { echo "finish-wasm: expected one SDK folder in build/ivs, found: $sdk_dirs" >&2; exit 1; }
sed -i "s|\"ivs/amazon-ivs-|\"ivs/$sdk_dirs/amazon-ivs-|g" "$staging/index.html"
grep -q "ivs/$sdk_dirs/amazon-ivs-player.min.js" "$staging/index.html" || { echo "finish-wasm: the page names no SDK script" >&2; exit 1; }
# boot.js, minified: it is on the page's way to the player.
if [ "$profile" = release ]; then
  node_modules/.bin/esbuild "$staging/boot.js" --minify --log-level=warning --outfile="$staging/boot.js" --allow-overwrite
fi
# Compressed copies of the app's files, sent as they are by the site server (release builds).
if [ "$profile" = release ]; then
  node scripts/precompress.mjs "$staging"
fi
