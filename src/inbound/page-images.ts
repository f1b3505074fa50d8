/**
 * Received pages as the OCR providers take them. Each page is decoded from the stored TIFF-F one at a time
 * (a 20-page fax never holds more than one bitmap). A page whose coded data is mostly damaged is not worth
 * reading: the codec repairs a bad row by repeating the previous one, so its "text" would be invented.
 *
 * For a vision model (TOOLCHAIN.md: llama-4-scout tiles at 336 px, about 1344 px at most, so a 1728-pel page is
 * shrunk and a whole page shrinks twice as much as its width alone demands), pages get square pixels, are
 * scaled to 1344 px across with grey averaging, and are cut into bands no taller than they are wide, at the
 * whitest row near each cut so no text line is split.
 */
// The Worker entry of the codec: it loads the WASM module (wrangler CompiledWasm) before first use.
import "../codec/worker";
import { decodePage, greyPng, readTiffRaw, type Bitmap, type TiffRawPage } from "../codec";
import { toBase64 } from "../lib/crypto";
import { squarePixels } from "../fax/render/preview";

export interface ReceivedPage {
  /** 1-based */
  number: number;
  bitmap: Bitmap;
  xResolution: number;
  yResolution: number;
}

/** More than this share of rows repaired by the decoder: the page is unreadable. */
const MAX_DAMAGED_SHARE = 0.5;

export class DamagedPageError extends Error {}

export function readTiffPages(tiff: Uint8Array): TiffRawPage[] {
  return readTiffRaw(tiff);
}

export function decodeReceivedPage(raw: TiffRawPage, number: number): ReceivedPage {
  const { bitmap, badRows } = decodePage(raw.data, { scheme: raw.scheme, width: raw.width, height: raw.height, byteAlign: raw.byteAlign, eol: raw.eol });
  if (badRows > bitmap.height * MAX_DAMAGED_SHARE) {
    throw new DamagedPageError(`page ${number} is damaged: ${badRows} of ${bitmap.height} rows could not be decoded`);
  }
  return { number, bitmap, xResolution: raw.xResolution, yResolution: raw.yResolution };
}

export const VISION_WIDTH = 1344;

function blackAt(b: Bitmap, stride: number, x: number, y: number): number {
  return ((b.data[y * stride + (x >> 3)] as number) >> (7 - (x & 7))) & 1;
}

/** The page with square pixels, box-filtered down to VISION_WIDTH across (8-bit grey, 255 = white). */
export function visionGrey(page: ReceivedPage): { width: number; height: number; pixels: Uint8Array } {
  const square = squarePixels(page.bitmap, page.xResolution, page.yResolution);
  const stride = (square.width + 7) >> 3;
  const scale = Math.min(1, VISION_WIDTH / square.width);
  const width = Math.max(1, Math.round(square.width * scale));
  const height = Math.max(1, Math.round(square.height * scale));
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor(y / scale);
    const y1 = Math.max(y0 + 1, Math.min(square.height, Math.floor((y + 1) / scale)));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor(x / scale);
      const x1 = Math.max(x0 + 1, Math.min(square.width, Math.floor((x + 1) / scale)));
      let black = 0;
      for (let sy = y0; sy < y1; sy++) for (let sx = x0; sx < x1; sx++) black += blackAt(square, stride, sx, sy);
      pixels[y * width + x] = 255 - Math.round((255 * black) / ((y1 - y0) * (x1 - x0)));
    }
  }
  return { width, height, pixels };
}

/** Row cuts: bands at most `maxBand` tall, each cut at the whitest row in the last quarter before the limit. */
export function bandCuts(grey: { width: number; height: number; pixels: Uint8Array }, maxBand: number): number[] {
  const cuts = [0];
  let start = 0;
  while (grey.height - start > maxBand) {
    let best = start + maxBand;
    let bestInk = Infinity;
    for (let y = start + maxBand; y > start + Math.floor(maxBand * 0.75); y--) {
      let ink = 0;
      for (let x = 0; x < grey.width; x++) ink += 255 - (grey.pixels[y * grey.width + x] as number);
      if (ink < bestInk) {
        bestInk = ink;
        best = y;
        if (ink === 0) break;
      }
    }
    cuts.push(best);
    start = best;
  }
  cuts.push(grey.height);
  return cuts;
}

/** The page as PNG data URLs for a vision model, top to bottom. */
export function visionImages(page: ReceivedPage): string[] {
  const grey = visionGrey(page);
  const cuts = bandCuts(grey, grey.width);
  const out: string[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [top, bottom] = [cuts[i]!, cuts[i + 1]!];
    const png = greyPng(grey.width, bottom - top, grey.pixels.subarray(top * grey.width, bottom * grey.width));
    out.push(`data:image/png;base64,${toBase64(png)}`);
  }
  return out;
}
