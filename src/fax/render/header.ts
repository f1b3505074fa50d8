/**
 * The transmit header ("TTI" line) that every fax page carries at the top: date and time, the sender's
 * header text, the sending number and "page n/m". Fax machines print it in their own small font, so we do
 * the same with a built-in 5 × 7 ASCII font, drawn straight into the 1-bit page: no font files, no second
 * pass over the PDF, a few microseconds per page.
 *
 * The header overwrites a white band at the very top of the page (as fax machines do) instead of pushing the
 * page down, so a Letter or A4 page keeps its length and prints on one sheet.
 */
import type { Bitmap } from "../../codec";

export interface HeaderInfo {
  /** `header_text` of the fax; null or empty leaves it out. */
  text: string | null;
  /** The sending number (E.164). */
  from: string | null;
  date: Date;
}

const GLYPH_W = 5;
const GLYPH_H = 7;
const ADVANCE = 6;
const FIRST = 0x20;

/** Rows of each glyph from space (0x20) to tilde (0x7e), top to bottom, "#" = ink. */
const GLYPHS = [
  "..... ..... ..... ..... ..... ..... .....", // space
  "..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..", // !
  ".#.#. .#.#. ..... ..... ..... ..... .....", // "
  ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.", // #
  "..#.. .#### #.#.. .###. ..#.# ####. ..#..", // $
  "##... ##..# ...#. ..#.. .#... #..## ...##", // %
  ".##.. #..#. #.#.. .#... #.#.# #..#. .##.#", // &
  "..#.. ..#.. .#... ..... ..... ..... .....", // '
  "...#. ..#.. .#... .#... .#... ..#.. ...#.", // (
  ".#... ..#.. ...#. ...#. ...#. ..#.. .#...", // )
  "..... ..#.. #.#.# .###. #.#.# ..#.. .....", // *
  "..... ..#.. ..#.. ##### ..#.. ..#.. .....", // +
  "..... ..... ..... ..... .##.. ..#.. .#...", // ,
  "..... ..... ..... ##### ..... ..... .....", // -
  "..... ..... ..... ..... ..... .##.. .##..", // .
  "..... ....# ...#. ..#.. .#... #.... .....", // /
  ".###. #...# #..## #.#.# ##..# #...# .###.", // 0
  "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.", // 1
  ".###. #...# ....# ...#. ..#.. .#... #####", // 2
  "##### ...#. ..#.. ...#. ....# #...# .###.", // 3
  "...#. ..##. .#.#. #..#. ##### ...#. ...#.", // 4
  "##### #.... ####. ....# ....# #...# .###.", // 5
  "..##. .#... #.... ####. #...# #...# .###.", // 6
  "##### ....# ...#. ..#.. .#... .#... .#...", // 7
  ".###. #...# #...# .###. #...# #...# .###.", // 8
  ".###. #...# #...# .#### ....# ...#. .##..", // 9
  "..... .##.. .##.. ..... .##.. .##.. .....", // :
  "..... .##.. .##.. ..... .##.. ..#.. .#...", // ;
  "...#. ..#.. .#... #.... .#... ..#.. ...#.", // <
  "..... ..... ##### ..... ##### ..... .....", // =
  ".#... ..#.. ...#. ....# ...#. ..#.. .#...", // >
  ".###. #...# ....# ...#. ..#.. ..... ..#..", // ?
  ".###. #...# ....# .##.# #.#.# #.#.# .###.", // @
  ".###. #...# #...# ##### #...# #...# #...#", // A
  "####. #...# #...# ####. #...# #...# ####.", // B
  ".###. #...# #.... #.... #.... #...# .###.", // C
  "###.. #..#. #...# #...# #...# #..#. ###..", // D
  "##### #.... #.... ####. #.... #.... #####", // E
  "##### #.... #.... ####. #.... #.... #....", // F
  ".###. #...# #.... #.### #...# #...# .####", // G
  "#...# #...# #...# ##### #...# #...# #...#", // H
  ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.", // I
  "..### ...#. ...#. ...#. ...#. #..#. .##..", // J
  "#...# #..#. #.#.. ##... #.#.. #..#. #...#", // K
  "#.... #.... #.... #.... #.... #.... #####", // L
  "#...# ##.## #.#.# #.#.# #...# #...# #...#", // M
  "#...# #...# ##..# #.#.# #..## #...# #...#", // N
  ".###. #...# #...# #...# #...# #...# .###.", // O
  "####. #...# #...# ####. #.... #.... #....", // P
  ".###. #...# #...# #...# #.#.# #..#. .##.#", // Q
  "####. #...# #...# ####. #.#.. #..#. #...#", // R
  ".#### #.... #.... .###. ....# ....# ####.", // S
  "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..", // T
  "#...# #...# #...# #...# #...# #...# .###.", // U
  "#...# #...# #...# #...# #...# .#.#. ..#..", // V
  "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.", // W
  "#...# #...# .#.#. ..#.. .#.#. #...# #...#", // X
  "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..", // Y
  "##### ....# ...#. ..#.. .#... #.... #####", // Z
  ".###. .#... .#... .#... .#... .#... .###.", // [
  "..... #.... .#... ..#.. ...#. ....# .....", // backslash
  ".###. ...#. ...#. ...#. ...#. ...#. .###.", // ]
  "..#.. .#.#. #...# ..... ..... ..... .....", // ^
  "..... ..... ..... ..... ..... ..... #####", // _
  ".#... ..#.. ...#. ..... ..... ..... .....", // `
  "..... ..... .###. ....# .#### #...# .####", // a
  "#.... #.... #.##. ##..# #...# #...# ####.", // b
  "..... ..... .###. #.... #.... #...# .###.", // c
  "....# ....# .##.# #..## #...# #...# .####", // d
  "..... ..... .###. #...# ##### #.... .###.", // e
  "..##. .#..# .#... ###.. .#... .#... .#...", // f
  "..... .#### #...# #...# .#### ....# .###.", // g
  "#.... #.... #.##. ##..# #...# #...# #...#", // h
  "..#.. ..... .##.. ..#.. ..#.. ..#.. .###.", // i
  "...#. ..... ..##. ...#. ...#. #..#. .##..", // j
  "#.... #.... #..#. #.#.. ##... #.#.. #..#.", // k
  ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.", // l
  "..... ..... ##.#. #.#.# #.#.# #...# #...#", // m
  "..... ..... #.##. ##..# #...# #...# #...#", // n
  "..... ..... .###. #...# #...# #...# .###.", // o
  "..... ..... ####. #...# ####. #.... #....", // p
  "..... ..... .##.# #..## .#### ....# ....#", // q
  "..... ..... #.##. ##..# #.... #.... #....", // r
  "..... ..... .###. #.... .###. ....# ####.", // s
  ".#... .#... ###.. .#... .#... .#..# ..##.", // t
  "..... ..... #...# #...# #...# #..## .##.#", // u
  "..... ..... #...# #...# #...# .#.#. ..#..", // v
  "..... ..... #...# #...# #.#.# #.#.# .#.#.", // w
  "..... ..... #...# .#.#. ..#.. .#.#. #...#", // x
  "..... ..... #...# #...# .#### ....# .###.", // y
  "..... ..... ##### ...#. ..#.. .#... #####", // z
  "...#. ..#.. ..#.. .#... ..#.. ..#.. ...#.", // {
  "..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..", // |
  ".#... ..#.. ..#.. ...#. ..#.. ..#.. .#...", // }
  "..... ..... .#... #.#.# ...#. ..... .....", // ~
];

/** Row masks, 5 bits each (bit 4 = leftmost column), GLYPH_H per glyph. */
const FONT: Uint8Array = (() => {
  const font = new Uint8Array(GLYPHS.length * GLYPH_H);
  GLYPHS.forEach((glyph, g) => {
    glyph.split(" ").forEach((row, y) => {
      let mask = 0;
      for (let x = 0; x < GLYPH_W; x++) if (row[x] === "#") mask |= 1 << (GLYPH_W - 1 - x);
      font[g * GLYPH_H + y] = mask;
    });
  });
  return font;
})();

/** Pels per font dot: 3 across at 204 dpi; 3 down at 196 lpi, 2 at 98 lpi (a 2.7-3.6 mm tall capital). */
function dotSize(yResolution: number): { sx: number; sy: number } {
  return { sx: 3, sy: yResolution > 150 ? 3 : 2 };
}

/** Rows the header band takes at the top of a page at this vertical resolution. */
export function headerBandRows(yResolution: number): number {
  const { sy } = dotSize(yResolution);
  return (GLYPH_H + 4) * sy;
}

/** "2026-11-23 15:04 UTC  ACME Clinic" on the left, "+15550101234  PAGE 1/3" on the right. */
export function headerLine(info: HeaderInfo, page: number, pages: number): { left: string; right: string } {
  const iso = info.date.toISOString();
  const stamp = `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
  const text = (info.text ?? "").trim();
  return {
    left: text ? `${stamp}  ${text}` : stamp,
    right: `${info.from ? `${info.from}  ` : ""}PAGE ${page}/${pages}`,
  };
}

/** Clears the band at the top of the page and prints the header into it. */
export function stampHeader(bitmap: Bitmap, yResolution: number, info: HeaderInfo, page: number, pages: number): void {
  const { sx, sy } = dotSize(yResolution);
  const band = Math.min(bitmap.height, headerBandRows(yResolution));
  const stride = (bitmap.width + 7) >> 3;
  bitmap.data.fill(0, 0, band * stride);
  const { left, right } = headerLine(info, page, pages);
  const margin = 4 * sx * 2;
  const cell = ADVANCE * sx;
  const columns = Math.floor((bitmap.width - 2 * margin) / cell);
  const rightText = right.slice(-columns);
  // The header text gives way to the page number, never the other way round.
  const leftText = left.slice(0, Math.max(0, columns - rightText.length - 2));
  const top = 2 * sy;
  drawText(bitmap, leftText, margin, top, sx, sy);
  drawText(bitmap, rightText, bitmap.width - margin - rightText.length * cell + (ADVANCE - GLYPH_W) * sx, top, sx, sy);
}

function drawText(bitmap: Bitmap, text: string, x0: number, y0: number, sx: number, sy: number): void {
  const stride = (bitmap.width + 7) >> 3;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < FIRST || code >= FIRST + GLYPHS.length) code = 0x3f; // "?" for anything outside ASCII
    const gx = x0 + i * ADVANCE * sx;
    for (let row = 0; row < GLYPH_H; row++) {
      const mask = FONT[(code - FIRST) * GLYPH_H + row] as number;
      if (mask === 0) continue;
      for (let col = 0; col < GLYPH_W; col++) {
        if ((mask & (1 << (GLYPH_W - 1 - col))) === 0) continue;
        for (let dy = 0; dy < sy; dy++) {
          const y = y0 + row * sy + dy;
          if (y < 0 || y >= bitmap.height) continue;
          for (let dx = 0; dx < sx; dx++) {
            const x = gx + col * sx + dx;
            if (x >= 0 && x < bitmap.width) bitmap.data[y * stride + (x >> 3)]! |= 0x80 >> (x & 7);
          }
        }
      }
    }
  }
}
