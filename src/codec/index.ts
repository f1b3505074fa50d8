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
export { readTiff, readTiffRaw, writeTiff, writeCodedTiff } from "./tiff.js";
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
export { bitmapToPng } from "./png.js";
export { readPbm, writePbm } from "./pbm.js";

/** T.4 §4.1 one-dimensional (Modified Huffman), T.4 §4.2 two-dimensional (Modified READ), T.6 (MMR). */
export type CodingScheme = "mh" | "mr" | "mmr";

/** 1 bit per pixel, MSB first, 1 = black (the PBM P4 convention), each row padded to a whole byte: stride = ceil(width/8). */
export interface Bitmap {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface EncodeOptions {
  scheme: CodingScheme;
  /** MR: T.4 §4.2.1 parameter K, one 1-D line then K-1 2-D lines; 2 at standard, 4 at fine resolution. Default 2. */
  k?: number;
  /** T.4 §4.1.2 EOL before each line. Default true for mh/mr (MR needs it: the tag bit follows EOL); ignored for mmr. */
  eol?: boolean;
  /**
   * Fill bits so each EOL ends on a byte boundary (TIFF T4Options bit 2; T.4 §4.1.3 fill). Without EOLs (TIFF
   * Compression 2, mh only) it means each row starts on a byte boundary instead.
   */
  byteAlign?: boolean;
  /** Append RTC, six EOLs (T.4 §4.1.4), for a T.30 non-ECM page, or EOFB (T.6 §2.4) for mmr. Default false. */
  rtc?: boolean;
  /** T.30 minimum scan line time expressed in bits at the line rate: fill bits before the next EOL (T.4 §4.1.3). */
  minBitsPerRow?: number;
}

export interface DecodeOptions {
  scheme: CodingScheme;
  width: number;
  /** Rows, if known (TIFF ImageLength). Otherwise decoding runs until RTC / EOFB / the end of data. */
  height?: number;
  /**
   * Only matters for MH without EOLs (TIFF Compression 2): each row starts on a byte boundary. Streams with
   * EOLs decode the same whether or not their EOLs are byte aligned, since fill bits are skipped.
   */
  byteAlign?: boolean;
  /**
   * false: the MH stream has no EOL codes at all (TIFF Compression 2). Default true: EOLs are expected and
   * used to resynchronise after a damaged line, but tolerated when missing (plain MH). Ignored for mmr.
   */
  eol?: boolean;
}

export interface DecodedPage {
  bitmap: Bitmap;
  /**
   * Rows that could not be decoded (bad code, wrong length, truncated data). Each holds a copy of the previous
   * good row (white if none), as fax receivers do; for mh/mr decoding resumes at the next EOL.
   */
  badRows: number;
}

export interface TiffPage {
  bitmap: Bitmap;
  /** dpi; TIFF-F pages are 204 (or 200) across and 98, 196 or 391/392 down. */
  xResolution: number;
  yResolution: number;
  scheme: CodingScheme;
  badRows: number;
}

/** A page's coded strip data, ready for a PDF CCITTFaxDecode filter (MSB-first bit order). */
export interface TiffRawPage {
  width: number;
  height: number;
  xResolution: number;
  yResolution: number;
  scheme: CodingScheme;
  /** Rows begin on byte boundaries (TIFF Compression 2, or EOLs byte aligned): PDF EncodedByteAlign. */
  byteAlign: boolean;
  /** The data carries T.4 EOL codes (Compression 3): PDF EndOfLine. */
  eol: boolean;
  data: Uint8Array;
}

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
