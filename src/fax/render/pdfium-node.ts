/**
 * Node (CLI, benchmark, interop tests): PDFium compiled from wasm/build/pdfium.wasm, the package's build with its
 * 1-bit glyph loops made byte-wide by `node wasm/build.mjs` (wasm/pdfium-glyphs.mjs says how and why).
 */
import { readFileSync } from "node:fs";
import { PdfiumHolder } from "./pdfium";

/** The patched module's path; the SDK's tools bundle replaces this file with one that reads it beside the bundle. */
export const PDFIUM_WASM_URL = new URL("../../../wasm/build/pdfium.wasm", import.meta.url);

export const nodePdfium = new PdfiumHolder(() => {
  try {
    return { bytes: readFileSync(PDFIUM_WASM_URL) };
  } catch (err) {
    throw new Error(`cannot read wasm/build/pdfium.wasm (run \`npm run build:wasm\`): ${(err as Error).message}`);
  }
});
