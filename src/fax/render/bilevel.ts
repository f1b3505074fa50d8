/**
 * A rendered page (8-bit grey, antialiased) to a 1-bit fax page. This decides what the recipient reads, so it
 * differs from the codec's general-purpose `toBilevel` in two ways:
 *
 * - Text and line art use a cut slightly on the dark side of mid-grey (ink wins ties: an antialiased edge
 *   pixel half covered by a stroke stays black), plus a local-contrast rule: a pixel lighter than the cut but
 *   darker than its neighbours across (or above and below) is the centre of a stroke thinner than a pel, and
 *   is kept. That is what keeps hairlines, table rules and 6 pt text from breaking up into dots at 98 lpi.
 * - Photographs and grey fills are dithered (Floyd & Steinberg error diffusion, serpentine), which a threshold
 *   would turn into black blotches. With `auto` the choice is made per 32 × 32 tile from the share of
 *   mid-grey pixels, so a letter with a photo in it gets a dithered photo and crisp text.
 */
import type { Bitmap } from "../../codec";

export type ImageConversion = "auto" | "monochrome" | "halftone";

/** Grey below this is ink. 128 would be the unbiased cut; higher keeps strokes whole. */
const INK_CUT = 150;
/** A local minimum darker than this, with a neighbour at least STROKE_CONTRAST lighter, is a thin stroke. */
const STROKE_MAX = 232;
const STROKE_CONTRAST = 40;
const TILE_SHIFT = 5; // 32 px tiles
/** A tile where at least this share of the pixels is mid-grey is a photograph or a grey fill. */
const PHOTO_SHARE = 0.5;
const MID_LO = 40;
const MID_HI = 216;

export interface BilevelPage {
  bitmap: Bitmap;
  /** Share of the page area that was dithered (0..1). */
  halftoneShare: number;
}

/**
 * `grey` holds `height` rows of `width` pixels, `stride` bytes apart (255 = white). The output has the same
 * width and height, 1 = black, rows padded to whole bytes.
 */
export function greyToBilevel(grey: Uint8Array, width: number, height: number, stride: number, conversion: ImageConversion): BilevelPage {
  const outStride = (width + 7) >> 3;
  const data = new Uint8Array(outStride * height);
  const tilesX = (width + 31) >> TILE_SHIFT;
  const tilesY = (height + 31) >> TILE_SHIFT;
  const words = wordView(grey, width, stride);
  const photo = classifyTiles(grey, words, width, height, stride, tilesX, tilesY, conversion);
  let photoTiles = 0;
  for (const t of photo) photoTiles += t;
  const photoRows = new Uint8Array(tilesY);
  for (let ty = 0; ty < tilesY; ty++) for (let tx = 0; tx < tilesX; tx++) photoRows[ty]! |= photo[ty * tilesX + tx] as number;

  let errCur = new Int32Array(width + 2);
  let errNext = new Int32Array(width + 2);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    const out = y * outStride;
    if (photoRows[y >> TILE_SHIFT] === 0) {
      // Most rows: no photograph anywhere across, and mostly paper. Eight pixels make one output byte; a byte
      // whose eight pixels are paper white (two words of 0xffffffff) is skipped without looking at pixels.
      const wordRow = row >> 2;
      for (let xb = 0; xb < outStride; xb++) {
        const x0 = xb << 3;
        if (words !== null && x0 + 8 <= width && words[wordRow + (x0 >> 2)] === 0xffffffff && words[wordRow + (x0 >> 2) + 1] === 0xffffffff) continue;
        let byte = 0;
        const end = Math.min(8, width - x0);
        for (let b = 0; b < end; b++) {
          const g = grey[row + x0 + b] as number;
          if (g < INK_CUT || (g < STROKE_MAX && thinStroke(grey, row, x0 + b, y, width, height, stride, g))) byte |= 0x80 >> b;
        }
        data[out + xb] = byte;
      }
      errNext.fill(0);
      errCur.fill(0);
      continue;
    }
    const tileRow = (y >> TILE_SHIFT) * tilesX;
    const ltr = (y & 1) === 0;
    const dir = ltr ? 1 : -1;
    for (let i = 0; i < width; i++) {
      const x = ltr ? i : width - 1 - i;
      let black: boolean;
      if (photo[tileRow + (x >> TILE_SHIFT)] === 1) {
        const value = (grey[row + x] as number) + (((errCur[x + 1] as number) + 8) >> 4);
        black = value < 128;
        const err = black ? value : value - 255;
        errCur[x + 1 + dir]! += err * 7;
        errNext[x + 1 - dir]! += err * 3;
        errNext[x + 1]! += err * 5;
        errNext[x + 1 + dir]! += err;
      } else {
        black = inkAt(grey, row, x, y, width, height, stride);
      }
      if (black) data[out + (x >> 3)]! |= 0x80 >> (x & 7);
    }
    const t = errCur;
    errCur = errNext;
    errNext = t;
    errNext.fill(0);
  }
  return { bitmap: { width, height, data }, halftoneShare: photo.length ? photoTiles / photo.length : 0 };
}

/** Threshold plus the thin-stroke rule for one pixel of text or line art. */
function inkAt(grey: Uint8Array, row: number, x: number, y: number, width: number, height: number, stride: number): boolean {
  const g = grey[row + x] as number;
  if (g < INK_CUT) return true;
  if (g >= STROKE_MAX) return false;
  return thinStroke(grey, row, x, y, width, height, stride, g);
}

/** A pixel of grey g, lighter than the ink cut, that is darker than its neighbours across or above and below. */
function thinStroke(grey: Uint8Array, row: number, x: number, y: number, width: number, height: number, stride: number, g: number): boolean {
  const l = x > 0 ? (grey[row + x - 1] as number) : 255;
  const r = x < width - 1 ? (grey[row + x + 1] as number) : 255;
  if (g <= l && g <= r && Math.max(l, r) - g >= STROKE_CONTRAST) return true;
  const u = y > 0 ? (grey[row - stride + x] as number) : 255;
  const d = y < height - 1 ? (grey[row + stride + x] as number) : 255;
  return g <= u && g <= d && Math.max(u, d) - g >= STROKE_CONTRAST;
}

/** The same pixels four at a time (0xffffffff = four white pixels), when the buffer's alignment allows it. */
function wordView(grey: Uint8Array, width: number, stride: number): Uint32Array | null {
  if (grey.byteOffset % 4 !== 0 || stride % 4 !== 0 || width > stride) return null;
  return new Uint32Array(grey.buffer, grey.byteOffset, grey.length >> 2);
}

/** 1 for tiles to dither. `auto` samples every other pixel of every other row of each tile. */
function classifyTiles(
  grey: Uint8Array,
  words: Uint32Array | null,
  width: number,
  height: number,
  stride: number,
  tilesX: number,
  tilesY: number,
  conversion: ImageConversion,
): Uint8Array {
  const photo = new Uint8Array(tilesX * tilesY);
  if (conversion === "halftone") return photo.fill(1);
  if (conversion === "monochrome") return photo;
  const mid = new Uint32Array(tilesX);
  const seen = new Uint32Array(tilesX);
  for (let ty = 0; ty < tilesY; ty++) {
    mid.fill(0);
    seen.fill(0);
    const yEnd = Math.min(height, (ty + 1) << TILE_SHIFT);
    for (let y = ty << TILE_SHIFT; y < yEnd; y += 2) {
      const row = y * stride;
      for (let x = 0; x < width; x += 2) {
        const t = x >> TILE_SHIFT;
        if (words !== null && (x & 3) === 0 && x + 4 <= width && words[(row >> 2) + (x >> 2)] === 0xffffffff) {
          seen[t]! += 2; // two samples, both paper white
          x += 2;
          continue;
        }
        const g = grey[row + x] as number;
        seen[t]!++;
        if (g > MID_LO && g < MID_HI) mid[t]!++;
      }
    }
    for (let tx = 0; tx < tilesX; tx++) {
      if ((mid[tx] as number) >= PHOTO_SHARE * (seen[tx] as number) && (seen[tx] as number) > 0) photo[ty * tilesX + tx] = 1;
    }
  }
  return photo;
}
