/**
 * Glue between the TypeScript API and the WASM codec (wasm/assembly/codec.ts): owns the one instance,
 * copies bitmaps and coded data in and out of its linear memory, and turns statuses into CodecErrors.
 * See index.ts for how each runtime loads the module.
 */
import { CodecError } from "./errors.js";
import { MAX_BITMAP_BYTES, MAX_CODED_BYTES, MAX_HEIGHT, MAX_WIDTH } from "./limits.js";
import type { Bitmap, CodingScheme, DecodedPage, DecodeOptions, EncodeOptions } from "./types.js";

interface CodecExports {
  memory: WebAssembly.Memory;
  init(): void;
  prepareDecode(width: number, length: number): number;
  decode(scheme: number, length: number, height: number, flags: number, maxRows: number): number;
  prepareEncode(width: number, height: number): number;
  encode(scheme: number, height: number, k: number, flags: number, minBitsPerRow: number): number;
  getBitmapPtr(): number;
  getOutputPtr(): number;
  getRows(): number;
  getBadRows(): number;
  reverseBits(ptr: number, length: number): void;
  prepareScratch(length: number): number;
  packBlackWhiteRows(grey: number, out: number, flags: number, width: number, rows: number, stride: number): number;
}

const SCHEME_CODES: Record<CodingScheme, number> = { mh: 0, mr: 1, mmr: 2 };
const FLAG_EOL = 1;
const FLAG_BYTE_ALIGN = 2;
const FLAG_RTC = 4;
const STATUS_OK = 0;

let codec: CodecExports | null = null;

/** Instantiates the codec from a compiled module (workerd: the CompiledWasm import; Node: from the file). */
export function initCodec(module: WebAssembly.Module): void {
  const instance = new WebAssembly.Instance(module, {});
  const exports = instance.exports as unknown as CodecExports;
  exports.init();
  codec = exports;
}

interface NodeFs {
  readFileSync(path: URL): Uint8Array;
}
interface NodeProcess {
  getBuiltinModule?: (name: string) => unknown;
}

/** Node only: find wasm/build/codec.wasm next to this source tree and compile it synchronously. */
function loadInNode(): void {
  const proc = (globalThis as { process?: NodeProcess }).process;
  const fs = proc?.getBuiltinModule?.("node:fs") as NodeFs | undefined;
  if (!fs) {
    throw new CodecError(
      "codec.unavailable",
      "the WASM codec is not loaded: in workerd import src/codec/worker.ts; in Node >= 20.16 it loads itself",
    );
  }
  let bytes: Uint8Array;
  try {
    // (a bundle without a file URL for this module, e.g. workerd with nodejs_compat, lands in the catch)
    bytes = fs.readFileSync(new URL("../../wasm/build/codec.wasm", import.meta.url));
  } catch (err) {
    throw new CodecError(
      "codec.unavailable",
      `cannot read wasm/build/codec.wasm (run \`npm run build:wasm\`): ${(err as Error).message}`,
    );
  }
  initCodec(compileCodec(bytes));
}

/**
 * Node only: compile the module from its bytes. (@cloudflare/workers-types declares WebAssembly.Module abstract,
 * because workerd refuses run-time compilation; Node allows it.)
 */
export function compileCodec(bytes: Uint8Array): WebAssembly.Module {
  const Module = WebAssembly.Module as unknown as new (bytes: Uint8Array) => WebAssembly.Module;
  return new Module(bytes);
}

export function getCodec(): CodecExports {
  if (!codec) loadInNode();
  return codec as CodecExports;
}

/** Bytes of WASM linear memory in use by the codec (tables, line arrays, coded data and the last page bitmap). */
export function codecMemoryBytes(): number {
  return getCodec().memory.buffer.byteLength;
}

export function strideOf(width: number): number {
  return (width + 7) >> 3;
}

function checkScheme(scheme: unknown): asserts scheme is CodingScheme {
  if (scheme !== "mh" && scheme !== "mr" && scheme !== "mmr") {
    throw new CodecError("codec.invalid_argument", `unknown coding scheme ${String(scheme)}: use mh, mr or mmr`);
  }
}

function checkWidth(width: number): void {
  if (!Number.isInteger(width) || width < 1) {
    throw new CodecError("codec.invalid_argument", `width must be a positive integer, got ${width}`);
  }
  if (width > MAX_WIDTH) throw new CodecError("codec.too_large", `width ${width} exceeds ${MAX_WIDTH} pels`);
}

function checkBitmap(bitmap: Bitmap): void {
  checkWidth(bitmap.width);
  const { height } = bitmap;
  if (!Number.isInteger(height) || height < 0) {
    throw new CodecError("codec.invalid_argument", `height must be a non-negative integer, got ${height}`);
  }
  if (height > MAX_HEIGHT || strideOf(bitmap.width) * height > MAX_BITMAP_BYTES) {
    throw new CodecError("codec.too_large", `a ${bitmap.width} x ${height} page exceeds the codec's limits`);
  }
  if (bitmap.data.length < strideOf(bitmap.width) * height) {
    throw new CodecError(
      "codec.invalid_argument",
      `bitmap data has ${bitmap.data.length} bytes, a ${bitmap.width} x ${height} page needs ${strideOf(bitmap.width) * height}`,
    );
  }
}

export function encodeBitmap(bitmap: Bitmap, opts: EncodeOptions): Uint8Array {
  checkScheme(opts.scheme);
  checkBitmap(bitmap);
  const c = getCodec();
  const k = opts.k ?? 2;
  if (!Number.isInteger(k) || k < 1) throw new CodecError("codec.invalid_argument", `k must be a positive integer, got ${k}`);
  const minBits = opts.minBitsPerRow ?? 0;
  if (!Number.isInteger(minBits) || minBits < 0 || minBits > 1 << 20) {
    throw new CodecError("codec.invalid_argument", `minBitsPerRow must be an integer in 0..2^20, got ${minBits}`);
  }
  let flags = 0;
  if (opts.eol ?? opts.scheme !== "mmr") flags |= FLAG_EOL;
  if (opts.byteAlign) flags |= FLAG_BYTE_ALIGN;
  if (opts.rtc) flags |= FLAG_RTC;
  const size = strideOf(bitmap.width) * bitmap.height;
  const ptr = c.prepareEncode(bitmap.width, bitmap.height);
  if (ptr === 0) throw new CodecError("codec.too_large", "not enough memory for the page");
  new Uint8Array(c.memory.buffer, ptr, size).set(bitmap.data.subarray(0, size));
  const length = c.encode(SCHEME_CODES[opts.scheme], bitmap.height, k, flags, minBits);
  if (length < 0) throw new CodecError("codec.too_large", "coded page exceeds the codec's memory limit");
  const out = c.getOutputPtr();
  return new Uint8Array(c.memory.buffer, out, length).slice();
}

export function decodeCoded(data: Uint8Array, opts: DecodeOptions): DecodedPage {
  checkScheme(opts.scheme);
  checkWidth(opts.width);
  const height = opts.height ?? 0;
  if (!Number.isInteger(height) || height < 0) {
    throw new CodecError("codec.invalid_argument", `height must be a non-negative integer, got ${height}`);
  }
  const stride = strideOf(opts.width);
  if (height > MAX_HEIGHT || stride * height > MAX_BITMAP_BYTES) {
    throw new CodecError("codec.too_large", `a ${opts.width} x ${height} page exceeds the codec's limits`);
  }
  if (data.length > MAX_CODED_BYTES) {
    throw new CodecError("codec.too_large", `${data.length} bytes of coded data exceed ${MAX_CODED_BYTES}`);
  }
  const c = getCodec();
  let flags = 0;
  if (opts.eol ?? true) flags |= FLAG_EOL;
  if (opts.byteAlign) flags |= FLAG_BYTE_ALIGN;
  const ptr = c.prepareDecode(opts.width, data.length);
  if (ptr === 0) throw new CodecError("codec.too_large", "not enough memory for the coded data");
  new Uint8Array(c.memory.buffer, ptr, data.length).set(data);
  const maxRows = Math.min(MAX_HEIGHT, Math.floor(MAX_BITMAP_BYTES / stride));
  const status = c.decode(SCHEME_CODES[opts.scheme], data.length, height, flags, maxRows);
  if (status !== STATUS_OK) {
    throw new CodecError("codec.too_large", `the decoded page exceeds ${maxRows} rows or the codec's memory limit`);
  }
  const rows = c.getRows();
  const bitmapData = new Uint8Array(c.memory.buffer, c.getBitmapPtr(), rows * stride).slice();
  return { bitmap: { width: opts.width, height: rows, data: bitmapData }, badRows: c.getBadRows() };
}

/**
 * 8-bit grey rows to 1-bit where every pel is 0 (black) or 255 (white), in the WASM codec: `rows` rows of `width`
 * pels, `stride` bytes apart, from the start of `grey`, packed into `out` from `outOffset` ((width + 7) / 8 bytes a
 * row, 1 = black). `flags[y]` becomes 1 for each row holding any other grey (or a partial last byte), whose
 * output the caller must redo; white groups in those rows are 0. Returns how many rows are flagged. Bounded by
 * the caller: a band of rows at a time keeps the codec's memory small.
 */
export function packBlackWhiteRows(grey: Uint8Array, width: number, rows: number, stride: number, out: Uint8Array, outOffset: number, flags: Uint8Array): number {
  const c = getCodec();
  const outStride = strideOf(width);
  const greyBytes = Math.min(grey.length, rows * stride);
  const outPtrOffset = (greyBytes + 15) & ~15;
  const ptr = c.prepareScratch(outPtrOffset + rows * outStride + rows);
  if (ptr === 0) throw new CodecError("codec.too_large", "not enough memory for the rows");
  new Uint8Array(c.memory.buffer, ptr, greyBytes).set(grey.subarray(0, greyBytes));
  const outPtr = ptr + outPtrOffset;
  const flagsPtr = outPtr + rows * outStride;
  const flagged = c.packBlackWhiteRows(ptr, outPtr, flagsPtr, width, rows, stride);
  out.set(new Uint8Array(c.memory.buffer, outPtr, rows * outStride), outOffset);
  flags.set(new Uint8Array(c.memory.buffer, flagsPtr, rows));
  return flagged;
}

/** TIFF FillOrder 2 data, bit-reversed into MSB-first order (a new array). */
export function reverseBitOrder(data: Uint8Array): Uint8Array {
  const c = getCodec();
  const ptr = c.prepareScratch(data.length);
  if (ptr === 0) throw new CodecError("codec.too_large", "not enough memory to reverse the bit order");
  new Uint8Array(c.memory.buffer, ptr, data.length).set(data);
  c.reverseBits(ptr, data.length);
  return new Uint8Array(c.memory.buffer, ptr, data.length).slice();
}
