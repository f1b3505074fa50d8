/**
 * edgefax page codec: ITU-T T.4 (MH, MR) and T.6 (MMR) coding, TIFF Class F (TIFF 6.0 §10-11, RFC 2306),
 * and the 1-bit raster operations the render pipeline needs. The hot loops (Huffman coding, 2-D coding,
 * finding runs) run in WebAssembly compiled from AssemblyScript (`wasm/assembly/codec.ts`, built by
 * `node wasm/build.mjs` into `wasm/build/codec.wasm`); this file and its siblings are thin TypeScript glue.
 *
 * How the WASM gets loaded (every public function is synchronous; the module is import-free, built with
 * `--runtime stub`, so instantiating it needs no imports object):
 * - Node (gateway, CLI, tests): nothing to do. On first use `engine.ts` reads `wasm/build/codec.wasm`
 *   relative to its own file with `process.getBuiltinModule("node:fs")` (Node >= 20.16) and compiles it
 *   with `new WebAssembly.Module(bytes)`. Importing `src/codec/node.ts` does the same eagerly.
 *   A bundled gateway that moves the file can call `initCodec(new WebAssembly.Module(bytes))` itself.
 * - workerd (the Worker): import `src/codec/worker.ts` once (e.g. from src/worker.ts), or import the codec
 *   functions from it. It does `import mod from "../../wasm/build/codec.wasm"` (wrangler's CompiledWasm
 *   rule hands over a compiled `WebAssembly.Module`, as workerd forbids compiling from bytes) and calls
 *   `initCodec(mod)`. Code that imports this file directly in a Worker gets `codec.unavailable` unless
 *   worker.ts has been evaluated first.
 *
 * Working memory: one WebAssembly.Memory per process/isolate; it holds the coding tables (~30 KiB), two
 * changing-element arrays (4 bytes per pel of width each), the coded data and the page bitmap. It grows to
 * fit the largest page seen and never shrinks (WebAssembly memories cannot), bounded by limits.ts.
 */
import { decodeCoded, encodeBitmap } from "./engine.js";

export { CodecError } from "./errors.js";
export { initCodec, codecMemoryBytes } from "./engine.js";
/** The render pipeline's fast path (src/fax/render/bilevel.ts): grey rows whose pels are all 0 or 255 packed to 1 bit in WASM. */
export { packBlackWhiteRows } from "./engine.js";
export { decodeTiffPages, readTiff, readTiffRaw, tiffPageCount, writeTiff, writeCodedTiff } from "./tiff.js";
export type { CodedTiffPage, WriteTiffOptions } from "./tiff.js";
/*
 * Raster (raster.ts, png.ts, pbm.ts), for the render pipeline and previews:
 * - toBilevel(pixels, width, height, channels 1|2|3|4, { method: "threshold" | "dither", threshold? }): 8-bit grey,
 *   grey+alpha, RGB or RGBA to a fax Bitmap; "dither" is Floyd-Steinberg error diffusion, for photographs.
 * - scaleToFaxWidth(bitmap, srcDpiX, srcDpiY, "standard" | "fine" | "superfine"): to 1728 pels at 204 dpi across
 *   and 98 / 196 / 392 lines per inch down (T.4 §2.2), centred; wider pages are shrunk to fit.
 * - bitmapToPng(bitmap): a 1-bit greyscale PNG preview, synchronously (own deflate; works in Node and workerd).
 * - readPbm / writePbm: binary PBM (P4), several images = several pages, as netpbm does.
 * - FAX_WIDTH (1728) and FAX_RESOLUTIONS (TIFF-F dpi of standard, fine, superfine).
 */
export { toBilevel, scaleToFaxWidth, FAX_WIDTH, FAX_RESOLUTIONS } from "./raster.js";
export type { BilevelOptions, FaxResolutionName } from "./raster.js";
export { bitmapToPng, greyPng } from "./png.js";
export { readPbm, writePbm } from "./pbm.js";

export type { Bitmap, CodingScheme, DecodedPage, DecodeOptions, EncodeOptions, TiffPage, TiffRawPage } from "./types.js";
import type { Bitmap, DecodedPage, DecodeOptions, EncodeOptions } from "./types.js";

/** Encode one page. The bitmap's padding bits (past `width` in each row) are ignored. */
export function encodePage(bitmap: Bitmap, opts: EncodeOptions): Uint8Array {
  return encodeBitmap(bitmap, opts);
}

/**
 * Decode one page of coded data. Never throws for damaged data: bad rows are counted and repaired.
 * Throws CodecError only for caller errors (`codec.invalid_argument`) and sizes past limits.ts (`codec.too_large`).
 */
export function decodePage(data: Uint8Array, opts: DecodeOptions): DecodedPage {
  return decodeCoded(data, opts);
}
