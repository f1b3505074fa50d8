/**
 * Binary PBM (P4), as netpbm defines it (https://netpbm.sourceforge.net/doc/pbm.html): "P4", whitespace-separated
 * width and height (with # comments), one whitespace byte, then rows of ceil(width/8) bytes, MSB first, 1 = black:
 * exactly our Bitmap layout. A multi-page file is several PBM images one after another.
 */
import { CodecError } from "./errors.js";
import { MAX_BITMAP_BYTES, MAX_HEIGHT, MAX_WIDTH } from "./limits.js";
import type { Bitmap } from "./types.js";

const isSpace = (b: number | undefined) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;

export function readPbm(bytes: Uint8Array): Bitmap[] {
  const pages: Bitmap[] = [];
  let at = 0;
  const fail = (msg: string) => new CodecError("pbm.malformed", `not a binary PBM: ${msg}`);
  const skipSpaceAndComments = () => {
    for (;;) {
      const b = bytes[at];
      if (isSpace(b)) at++;
      else if (b === 0x23) while (at < bytes.length && bytes[at] !== 0x0a) at++;
      else return;
    }
  };
  const number = (what: string) => {
    skipSpaceAndComments();
    const start = at;
    let value = 0;
    while (at < bytes.length && (bytes[at] as number) >= 0x30 && (bytes[at] as number) <= 0x39) {
      value = value * 10 + ((bytes[at] as number) - 0x30);
      at++;
      if (value > 1e9) throw fail(`${what} too large`);
    }
    if (at === start) throw fail(`expected the ${what}`);
    return value;
  };
  while (at < bytes.length) {
    if (bytes[at] !== 0x50 || bytes[at + 1] !== 0x34) {
      if (pages.length > 0 && bytes.subarray(at).every((b) => isSpace(b))) break;
      throw fail(bytes[at] === 0x50 && bytes[at + 1] === 0x31 ? "plain PBM (P1) is not supported, use P4" : "no P4 magic");
    }
    at += 2;
    const width = number("width");
    const height = number("height");
    if (!isSpace(bytes[at])) throw fail("no whitespace after the height");
    at++;
    if (width < 1 || height < 1) throw fail(`image size ${width} x ${height}`);
    const stride = (width + 7) >> 3;
    if (width > MAX_WIDTH || height > MAX_HEIGHT || stride * height > MAX_BITMAP_BYTES) {
      throw new CodecError("codec.too_large", `a ${width} x ${height} image exceeds the codec's limits`);
    }
    const size = stride * height;
    if (at + size > bytes.length) throw fail(`image data truncated (${bytes.length - at} of ${size} bytes)`);
    pages.push({ width, height, data: bytes.slice(at, at + size) });
    at += size;
  }
  if (pages.length === 0) throw fail("empty file");
  return pages;
}

export function writePbm(pages: Bitmap[]): Uint8Array {
  const parts = pages.map((p) => {
    const header = new TextEncoder().encode(`P4\n${p.width} ${p.height}\n`);
    const size = ((p.width + 7) >> 3) * p.height;
    const out = new Uint8Array(header.length + size);
    out.set(header);
    out.set(p.data.subarray(0, size), header.length);
    return out;
  });
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
