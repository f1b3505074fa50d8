/**
 * Raster steps between a rendered document page and a fax page: greyscale or colour to bilevel, and scaling to
 * the fax page grid. T.4 §2.2: 1728 pels across a 215 mm line (8 pels/mm, written 204 dpi in TIFF-F), and
 * 3.85, 7.7 or 15.4 lines/mm down (written 98, 196 and 392 dpi): standard, fine and superfine.
 */
import { CodecError } from "./errors.js";
import { MAX_BITMAP_BYTES, MAX_HEIGHT } from "./limits.js";
import type { Bitmap } from "./types.js";

export const FAX_WIDTH = 1728;
export type FaxResolutionName = "standard" | "fine" | "superfine";
/** TIFF-F resolutions (RFC 2306 §3.2) of the T.4 §2.2 scanning densities, in dpi. */
export const FAX_RESOLUTIONS: Record<FaxResolutionName, { xResolution: number; yResolution: number }> = {
  standard: { xResolution: 204, yResolution: 98 },
  fine: { xResolution: 204, yResolution: 196 },
  superfine: { xResolution: 204, yResolution: 392 },
};

export interface BilevelOptions {
  /**
   * "threshold": black where luminance < threshold; right for text and line art (sharp edges, best compression).
   * "dither": Floyd-Steinberg error diffusion (serpentine); right for photographs, which threshold to blotches.
   */
  method: "threshold" | "dither";
  /** 0..255, default 128. For "dither" it is the quantisation midpoint. */
  threshold?: number;
}

/**
 * Grey (channels 1), grey+alpha (2), RGB (3) or RGBA (4) 8-bit pixels to a 1-bit fax bitmap (1 = black).
 * Luminance is ITU-R BT.601 (0.299 R + 0.587 G + 0.114 B); transparent pixels are composited over white paper.
 */
export function toBilevel(
  pixels: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  opts: BilevelOptions = { method: "threshold" },
): Bitmap {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 0) {
    throw new CodecError("codec.invalid_argument", `image size ${width} x ${height}`);
  }
  if (![1, 2, 3, 4].includes(channels)) throw new CodecError("codec.invalid_argument", `channels must be 1..4`);
  if (pixels.length < width * height * channels) {
    throw new CodecError("codec.invalid_argument", `${pixels.length} bytes for a ${width} x ${height} x ${channels} image`);
  }
  const threshold = opts.threshold ?? 128;
  const stride = (width + 7) >> 3;
  if (height > MAX_HEIGHT || stride * height > MAX_BITMAP_BYTES) {
    throw new CodecError("codec.too_large", `a ${width} x ${height} page exceeds the codec's limits`);
  }
  const data = new Uint8Array(stride * height);
  const grey = new Int32Array(width);
  const luminanceRow = (y: number) => {
    let p = y * width * channels;
    for (let x = 0; x < width; x++, p += channels) {
      let l: number;
      let a = 255;
      if (channels <= 2) {
        l = pixels[p] as number;
        if (channels === 2) a = pixels[p + 1] as number;
      } else {
        l = (299 * (pixels[p] as number) + 587 * (pixels[p + 1] as number) + 114 * (pixels[p + 2] as number) + 500) / 1000;
        if (channels === 4) a = pixels[p + 3] as number;
      }
      grey[x] = a === 255 ? l | 0 : ((l * a + 255 * (255 - a)) / 255) | 0;
    }
  };
  if (opts.method === "threshold") {
    for (let y = 0; y < height; y++) {
      luminanceRow(y);
      const row = y * stride;
      for (let x = 0; x < width; x++) if ((grey[x] as number) < threshold) data[row + (x >> 3)]! |= 0x80 >> (x & 7);
    }
    return { width, height, data };
  }
  // Floyd & Steinberg (1976): 7/16 ahead, 3/16 behind-below, 5/16 below, 1/16 ahead-below; serpentine scan
  // avoids the diagonal "worm" artefacts of always scanning left to right. Errors are kept in 1/16 units.
  let errCur = new Int32Array(width + 2);
  let errNext = new Int32Array(width + 2);
  for (let y = 0; y < height; y++) {
    luminanceRow(y);
    const row = y * stride;
    const ltr = (y & 1) === 0;
    for (let i = 0; i < width; i++) {
      const x = ltr ? i : width - 1 - i;
      const dir = ltr ? 1 : -1;
      const value = (grey[x] as number) + (((errCur[x + 1] as number) + 8) >> 4);
      let err: number;
      if (value < threshold) {
        data[row + (x >> 3)]! |= 0x80 >> (x & 7);
        err = value;
      } else {
        err = value - 255;
      }
      errCur[x + 1 + dir]! += err * 7;
      errNext[x + 1 - dir]! += err * 3;
      errNext[x + 1]! += err * 5;
      errNext[x + 1 + dir]! += err;
    }
    const t = errCur;
    errCur = errNext;
    errNext = t;
    errNext.fill(0);
  }
  return { width, height, data };
}

/**
 * Scales a bilevel page scanned or rendered at srcDpiX x srcDpiY to the fax grid: 204 dpi across and the
 * resolution's lines per inch down, then centres it on a 1728-pel line (cropping at most a few pels of margin,
 * e.g. US Letter at 204 dpi is 1734 pels). A page still wider than 1728 after that is shrunk to fit, keeping
 * its aspect ratio, as fax machines reduce wide originals. A target pel is black when at least half of the
 * source area it covers is black, so 1-pel lines survive halving (fine -> standard).
 */
export function scaleToFaxWidth(
  bitmap: Bitmap,
  srcDpiX: number,
  srcDpiY: number,
  resolution: FaxResolutionName,
): Bitmap {
  if (!(srcDpiX > 0) || !(srcDpiY > 0)) throw new CodecError("codec.invalid_argument", "source dpi must be positive");
  const target = FAX_RESOLUTIONS[resolution];
  if (!target) throw new CodecError("codec.invalid_argument", `resolution must be standard, fine or superfine`);
  let sx = target.xResolution / srcDpiX;
  let sy = target.yResolution / srcDpiY;
  const margin = 16; // pels of left/right margin we are willing to crop instead of shrinking
  if (bitmap.width * sx > FAX_WIDTH + margin) {
    const f = FAX_WIDTH / (bitmap.width * sx);
    sx *= f;
    sy *= f;
  }
  const contentWidth = Math.max(1, Math.round(bitmap.width * sx));
  const height = Math.max(1, Math.round(bitmap.height * sy));
  const stride = FAX_WIDTH >> 3;
  if (height > MAX_HEIGHT || stride * height > MAX_BITMAP_BYTES) {
    throw new CodecError("codec.too_large", `the scaled page (${height} rows) exceeds the codec's limits`);
  }
  const offset = Math.floor((FAX_WIDTH - contentWidth) / 2);
  const out = new Uint8Array(stride * height);
  const srcStride = (bitmap.width + 7) >> 3;
  // Source column span of each target column (within the page), computed once.
  const x0 = new Int32Array(FAX_WIDTH);
  const x1 = new Int32Array(FAX_WIDTH);
  for (let x = 0; x < FAX_WIDTH; x++) {
    const cx = x - offset;
    const a = Math.floor(cx / sx);
    const b = Math.max(a + 1, Math.floor((cx + 1) / sx));
    x0[x] = Math.max(0, Math.min(bitmap.width, a));
    x1[x] = Math.max(0, Math.min(bitmap.width, b));
  }
  const counts = new Int32Array(bitmap.width + 1); // prefix sums of black pels per column over the row span
  for (let y = 0; y < height; y++) {
    const ya = Math.min(bitmap.height - 1, Math.floor(y / sy));
    const yb = Math.min(bitmap.height, Math.max(ya + 1, Math.floor((y + 1) / sy)));
    counts.fill(0);
    for (let sy2 = ya; sy2 < yb; sy2++) {
      const row = sy2 * srcStride;
      for (let bx = 0; bx < srcStride; bx++) {
        const byte = bitmap.data[row + bx] as number;
        if (byte === 0) continue;
        for (let bit = 0; bit < 8; bit++) {
          if (byte & (0x80 >> bit)) {
            const x = (bx << 3) + bit;
            if (x < bitmap.width) counts[x + 1]!++;
          }
        }
      }
    }
    for (let x = 0; x < bitmap.width; x++) counts[x + 1]! += counts[x] as number;
    const rows = yb - ya;
    const outRow = y * stride;
    for (let x = 0; x < FAX_WIDTH; x++) {
      const a = x0[x] as number;
      const b = x1[x] as number;
      if (b <= a) continue;
      const black = (counts[b] as number) - (counts[a] as number);
      if (black * 2 >= (b - a) * rows && black > 0) out[outRow + (x >> 3)]! |= 0x80 >> (x & 7);
    }
  }
  return { width: FAX_WIDTH, height, data: out };
}
