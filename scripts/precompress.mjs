// Writes a gzip and a brotli (quality 11) copy beside each text or wasm file of a directory (not
// its subdirectories), so the site server sends compressed bytes without compressing per request.
// The gzip copy is Zopfli's (pinned in package-lock.json): the same format any browser inflates,
// 5–9 % smaller than zlib's level 9 on the viewer's wasm, for a few seconds at build time.
// A copy newer than its file is kept.
//   node scripts/precompress.mjs <dir>
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants } from "node:zlib";
import { gzipAsync } from "@gfx/zopfli";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node scripts/precompress.mjs <dir>");
  process.exit(2);
}
const worth = /\.(js|mjs|wasm|css|json|svg|txt)$/;
for (const name of readdirSync(dir)) {
  const file = join(dir, name);
  const stat = statSync(file);
  if (!stat.isFile() || !worth.test(name) || stat.size < 1024) continue;
  const fresh = (copy) => {
    try {
      return statSync(copy).mtimeMs >= stat.mtimeMs;
    } catch {
      return false;
    }
  };
  const data = readFileSync(file);
  if (!fresh(`${file}.gz`)) writeFileSync(`${file}.gz`, await gzipAsync(data, { numiterations: 15 }));
  if (!fresh(`${file}.br`)) {
    const params = { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length };
    writeFileSync(`${file}.br`, brotliCompressSync(data, { params }));
  }
}
