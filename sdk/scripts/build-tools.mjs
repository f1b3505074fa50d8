// The offline tools of `edgefax render|codec`: the repository's own render and codec CLIs (src/fax/render/cli.ts,
// src/codec/cli.ts), bundled with everything they import (PDFium's glue, pdf-lib) into sdk/dist/tools/cli/, with
// the two WASM modules beside them, so the package has no runtime dependencies. Run after tsc by `npm run sdk:build`
// (and by the package's prepack). esbuild is a pinned devDependency (the same version wrangler and the vitest pool use).
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const out = join(root, "sdk/dist/tools/cli");

// In the bundle, PDFium's bytes sit beside it rather than in node_modules.
const pdfiumBeside = {
  name: "pdfium-beside-the-bundle",
  setup(b) {
    b.onLoad({ filter: /src[\\/]fax[\\/]render[\\/]pdfium-node\.ts$/ }, (args) => ({
      contents: `import { readFileSync } from "node:fs";
import { PdfiumHolder } from "./pdfium";
export const nodePdfium = new PdfiumHolder(() => ({ bytes: readFileSync(new URL("./pdfium.wasm", import.meta.url)) }));`,
      loader: "ts",
      resolveDir: dirname(args.path),
    }));
  },
};

mkdirSync(out, { recursive: true });
await build({
  entryPoints: { render: join(root, "src/fax/render/cli.ts"), codec: join(root, "src/codec/cli.ts") },
  outdir: out,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minify: true,
  legalComments: "linked",
  logLevel: "warning",
  plugins: [pdfiumBeside],
  // Emscripten's glue calls require() for node: modules; an ES module has none of its own.
  banner: { js: 'import { createRequire as __edgefaxRequire } from "node:module"; const require = __edgefaxRequire(import.meta.url);' },
});
// The glyph-patched build (wasm/pdfium-glyphs.mjs), as the Worker and the repository's own Node code use.
copyFileSync(join(root, "wasm/build/pdfium.wasm"), join(out, "pdfium.wasm"));
// src/codec/node.ts reads ../../wasm/build/codec.wasm relative to itself: from dist/tools/cli/ that is dist/wasm/build/.
mkdirSync(join(root, "sdk/dist/wasm/build"), { recursive: true });
copyFileSync(join(root, "wasm/build/codec.wasm"), join(root, "sdk/dist/wasm/build/codec.wasm"));
console.log(`bundled render and codec into sdk/dist/tools/cli (${(readFileSync(join(out, "render.js")).length / 1024).toFixed(0)} KiB + PDFium)`);
