/**
 * workerd: PDFium from wrangler's CompiledWasm rule (`[[rules]] type = "CompiledWasm"` in wrangler.toml), since
 * workerd does not compile WebAssembly from bytes at run time. The module is part of the Worker upload
 * (4.5 MiB, 2 MiB gzipped) but only instantiated when the first document is rendered.
 *
 * `nodejs_compat` defines `process.versions.node`, which makes Emscripten's Node build believe it runs in Node
 * (and reach for `fs` and `createRequire`). Bundlers for workerd resolve the package's "browser" export, whose
 * build has the Node branch compiled out; and since we pass `instantiateWasm`, no build ever looks for the file.
 *
 * ./pause-callback.wasm (32 bytes, also a CompiledWasm import) lets PDFium call back into JS here, which its
 * progressive rendering needs to hand control back mid-page (./pdfium.ts explains the module).
 */
import pdfiumModule from "../../../wasm/build/pdfium.wasm";
import callbackModule from "./pause-callback.wasm";
import { PdfiumHolder } from "./pdfium";

export const workerPdfium = new PdfiumHolder(() => ({ module: pdfiumModule, callbackModule }));
