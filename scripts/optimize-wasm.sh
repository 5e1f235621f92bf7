#!/usr/bin/env bash
# Trunk post-build hook: shrinks the viewer's wasm with binaryen's wasm-opt from npm (pinned in
# package-lock.json). Debian's wasm-opt is too old for the features rustc now emits by default.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${TRUNK_PROFILE:-release}" = release ] || exit 0
for wasm in "${TRUNK_STAGING_DIR:?run by trunk}"/*.wasm; do
  node_modules/.bin/wasm-opt -Oz --enable-reference-types --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-multivalue "$wasm" -o "$wasm.opt"
  mv "$wasm.opt" "$wasm"
done
