/**
 * 1-bit greyscale PNG for page previews (PNG, W3C REC 2003 / ISO 15948: colour type 0, bit depth 1, filter 0).
 * Synchronous and self-contained so it runs the same in Node and workerd (CompressionStream is async): the
 * zlib stream (RFC 1950) holds one fixed-Huffman DEFLATE block (RFC 1951 §3.2.6) from a small LZ77 matcher.
 * Fax pages are long white runs and repeated rows, so the matcher tries the previous byte and the byte one
 * scanline up before a short hash chain; an A4 page comes out at roughly 10-40 KiB.
 */
import { CodecError } from "./errors.js";
import type { Bitmap } from "./types.js";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = (CRC_TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < bytes.length; ) {
    const end = Math.min(bytes.length, i + 5552); // RFC 1950 §8.2: the sums cannot overflow within 5552 bytes
    for (; i < end; i++) {
      a += bytes[i] as number;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

// RFC 1951 §3.2.5 length and distance codes.
const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
  8193, 12289, 16385, 24577,
];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

/** Index of the largest base <= value. */
function codeIndex(bases: number[], value: number): number {
  let i = bases.length - 1;
  while ((bases[i] as number) > value) i--;
  return i;
}
const LENGTH_INDEX = new Uint8Array(259);
for (let l = 3; l <= 258; l++) LENGTH_INDEX[l] = codeIndex(LENGTH_BASE, l);

class BitWriter {
  out: Uint8Array;
  length = 0;
  private acc = 0;
  private bits = 0;
  constructor(capacity: number) {
    this.out = new Uint8Array(capacity);
  }
  /** RFC 1951 §3.1.1: data elements are packed starting with the least significant bit. */
  put(value: number, n: number): void {
    this.acc |= value << this.bits;
    this.bits += n;
    while (this.bits >= 8) {
      if (this.length === this.out.length) {
        const bigger = new Uint8Array(this.out.length * 2);
        bigger.set(this.out);
        this.out = bigger;
      }
      this.out[this.length++] = this.acc & 0xff;
      this.acc >>>= 8;
      this.bits -= 8;
    }
  }
  /** Huffman codes are packed starting with their most significant bit. */
  putCode(code: number, n: number): void {
    let r = 0;
    for (let i = 0; i < n; i++) r |= ((code >> i) & 1) << (n - 1 - i);
    this.put(r, n);
  }
  flush(): Uint8Array {
    if (this.bits > 0) this.put(0, 8 - this.bits);
    return this.out.subarray(0, this.length);
  }
}

/** RFC 1951 §3.2.6 fixed literal/length codes. */
function putLiteral(w: BitWriter, sym: number): void {
  if (sym < 144) w.putCode(0x30 + sym, 8);
  else if (sym < 256) w.putCode(0x190 + sym - 144, 9);
  else if (sym < 280) w.putCode(sym - 256, 7);
  else w.putCode(0xc0 + sym - 280, 8);
}

function putMatch(w: BitWriter, length: number, distance: number): void {
  const li = LENGTH_INDEX[length] as number;
  putLiteral(w, 257 + li);
  if (LENGTH_EXTRA[li]) w.put(length - (LENGTH_BASE[li] as number), LENGTH_EXTRA[li] as number);
  const di = codeIndex(DIST_BASE, distance);
  w.putCode(di, 5);
  if (DIST_EXTRA[di]) w.put(distance - (DIST_BASE[di] as number), DIST_EXTRA[di] as number);
}

/** zlib stream (RFC 1950) of one final fixed-Huffman block; `rowLength` hints the matcher at vertical repeats. */
export function zlibFixed(data: Uint8Array, rowLength: number): Uint8Array {
  const w = new BitWriter(1024 + (data.length >> 3));
  w.put(0x78, 8); // CM 8 (deflate), CINFO 7 (32 KiB window)
  w.put(0x01, 8); // FCHECK so that the header is a multiple of 31, no dictionary, fastest level
  w.put(1, 1); // BFINAL
  w.put(1, 2); // BTYPE 01: fixed Huffman codes
  const WINDOW = 32768;
  const HASH_BITS = 15;
  const head = new Int32Array(1 << HASH_BITS).fill(-1);
  const prev = new Int32Array(WINDOW);
  const n = data.length;
  const hashAt = (i: number) =>
    ((((data[i] as number) << 10) ^ ((data[i + 1] as number) << 5) ^ (data[i + 2] as number)) * 2654435761) >>> (32 - HASH_BITS);
  const insert = (i: number) => {
    if (i + 2 >= n) return;
    const h = hashAt(i);
    prev[i & (WINDOW - 1)] = head[h] as number;
    head[h] = i;
  };
  const matchLength = (i: number, d: number) => {
    const max = Math.min(258, n - i);
    let l = 0;
    while (l < max && data[i + l] === data[i + l - d]) l++;
    return l;
  };
  let i = 0;
  while (i < n) {
    let bestLen = 0;
    let bestDist = 0;
    if (i + 3 <= n) {
      for (const d of [1, rowLength]) {
        if (d > 0 && d <= i && d < WINDOW) {
          const l = matchLength(i, d);
          if (l > bestLen) {
            bestLen = l;
            bestDist = d;
          }
        }
      }
      if (bestLen < 258) {
        let cand = head[hashAt(i)] as number;
        for (let chain = 0; chain < 8 && cand >= 0 && i - cand < WINDOW; chain++) {
          const l = matchLength(i, i - cand);
          if (l > bestLen) {
            bestLen = l;
            bestDist = i - cand;
          }
          const next = prev[cand & (WINDOW - 1)] as number;
          if (next >= cand) break;
          cand = next;
        }
      }
    }
    if (bestLen >= 3) {
      putMatch(w, bestLen, bestDist);
      for (let k = 0; k < bestLen; k++) insert(i + k);
      i += bestLen;
    } else {
      putLiteral(w, data[i] as number);
      insert(i);
      i++;
    }
  }
  putLiteral(w, 256); // end of block
  const body = w.flush();
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, adler32(data), false);
  return out;
}

/** A 1-bit greyscale PNG of the page (PNG sample 0 = black, so our 1 = black bits are inverted). */
export function bitmapToPng(bitmap: Bitmap): Uint8Array {
  const { width, height } = bitmap;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new CodecError("png.invalid_argument", `image size ${width} x ${height}`);
  }
  const stride = (width + 7) >> 3;
  if (bitmap.data.length < stride * height) {
    throw new CodecError("png.invalid_argument", `bitmap data too short for ${width} x ${height}`);
  }
  // PNG §9: each scanline is preceded by its filter type; 0 (None) keeps runs intact for LZ77.
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const src = y * stride;
    const dst = y * (stride + 1) + 1;
    for (let x = 0; x < stride; x++) raw[dst + x] = ~(bitmap.data[src + x] as number) & 0xff;
  }
  return pngFile(width, height, 1, raw, stride + 1);
}

/**
 * An 8-bit greyscale PNG (0 = black, 255 = white), e.g. a page scaled down for a vision model, where
 * grey edges keep small text legible that a 1-bit reduction would break up.
 */
export function greyPng(width: number, height: number, pixels: Uint8Array): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || pixels.length < width * height) {
    throw new CodecError("png.invalid_argument", `grey image ${width} x ${height} with ${pixels.length} samples`);
  }
  const raw = new Uint8Array((width + 1) * height);
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  return pngFile(width, height, 8, raw, width + 1);
}

/** IHDR (greyscale at `bitDepth`), one IDAT of the filtered scanlines `raw`, IEND. */
function pngFile(width: number, height: number, bitDepth: 1 | 8, raw: Uint8Array, rowLength: number): Uint8Array {
  const idat = zlibFixed(raw, rowLength);
  const chunks: [string, Uint8Array][] = [];
  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width, false);
  hv.setUint32(4, height, false);
  ihdr[8] = bitDepth;
  ihdr[9] = 0; // colour type: greyscale
  chunks.push(["IHDR", ihdr], ["IDAT", idat], ["IEND", new Uint8Array(0)]);
  const size = 8 + chunks.reduce((s, [, d]) => s + 12 + d.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let at = 8;
  for (const [type, data] of chunks) {
    view.setUint32(at, data.length, false);
    for (let i = 0; i < 4; i++) out[at + 4 + i] = type.charCodeAt(i);
    out.set(data, at + 8);
    view.setUint32(at + 8 + data.length, crc32(out, at + 4, at + 8 + data.length), false);
    at += 12 + data.length;
  }
  return out;
}
