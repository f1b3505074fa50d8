/** Node (CLI, benchmark, interop tests): PDFium compiled from the package's pdfium.wasm file. */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { PdfiumHolder } from "./pdfium";

const require = createRequire(import.meta.url);

export const nodePdfium = new PdfiumHolder(() => ({ bytes: readFileSync(require.resolve("@embedpdf/pdfium/pdfium.wasm")) }));
