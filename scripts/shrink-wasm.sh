#!/usr/bin/env bash
# Shrinks each WebAssembly module named, in place, with binaryen's wasm-opt from npm (pinned in
# package-lock.json; Debian's is too old for the features rustc now emits) — the one set of flags
# every build here uses: the site's (finish-wasm.sh), the studio's, the npm package's, the floor's.
set -euo pipefail
cd "$(dirname "$0")/.."
for module in "$@"; do
  node_modules/.bin/wasm-opt -Oz --enable-reference-types --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-multivalue "$module" -o "$module.opt"
  mv "$module.opt" "$module"
done
