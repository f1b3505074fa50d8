// Raster steps of the render pipeline: bilevel conversion (threshold and Floyd-Steinberg), scaling to the T.4
// page grid, and 1-bit PNG previews (checked by inflating with Node's zlib, a separate deflate implementation).
import { inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CodecError, FAX_WIDTH, bitmapToPng, readPbm, scaleToFaxWidth, toBilevel, writePbm } from "../../src/codec/index.js";
import type { Bitmap } from "../../src/codec/index.js";
import { firstDifferentRow, styledBitmap } from "../fixtures/bitmaps.js";
import { fillRect, getPixel, makePage, blankBitmap } from "../fixtures/pages.js";

function blackCount(b: Bitmap): number {
  let n = 0;
  for (let y = 0; y < b.height; y++) for (let x = 0; x < b.width; x++) n += getPixel(b, x, y);
  return n;
}

/** Decodes our PNG with zlib and returns its pels as a Bitmap (1 = black). */
function decodePng(png: Uint8Array): Bitmap {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset);
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  while (at < png.length) {
    const len = view.getUint32(at);
    const type = new TextDecoder().decode(png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === "IHDR") {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      expect([data[8], data[9], data[12]]).toEqual([1, 0, 0]); // 1 bit, greyscale, not interlaced
    }
    if (type === "IDAT") idat.push(data);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = (width + 7) >> 3;
  const data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (stride + 1)]).toBe(0);
    for (let x = 0; x < stride; x++) data[y * stride + x] = ~(raw[y * (stride + 1) + 1 + x] as number) & 0xff;
  }
  return { width, height, data };
}

describe("toBilevel", () => {
  it("thresholds grey, RGB and RGBA (transparent = white paper)", () => {
    const grey = new Uint8Array([0, 127, 128, 255]);
    expect(toBilevel(grey, 4, 1, 1, { method: "threshold" }).data[0]).toBe(0b11000000);
    // BT.601 luminance: red 76 and blue 29 are dark, green 150 and near-white are light
    const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 250, 250, 250]);
    expect(toBilevel(rgb, 4, 1, 3, { method: "threshold" }).data[0]).toBe(0b10100000);
    // black over white paper at alpha 255, 0, 100 (grey 155) and 200 (grey 55)
    const rgba = new Uint8Array([0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 200]);
    expect(toBilevel(rgba, 4, 1, 4, { method: "threshold" }).data[0]).toBe(0b10010000);
  });

  it("Floyd-Steinberg keeps the average grey level, threshold does not", () => {
    const w = 300;
    const h = 100;
    for (const level of [32, 96, 160, 224]) {
      const grey = new Uint8Array(w * h).fill(level);
      const dithered = toBilevel(grey, w, h, 1, { method: "dither" });
      const fraction = blackCount(dithered) / (w * h);
      expect(Math.abs(fraction - (1 - level / 255))).toBeLessThan(0.02);
      const thresholded = blackCount(toBilevel(grey, w, h, 1, { method: "threshold" })) / (w * h);
      expect(thresholded === 0 || thresholded === 1).toBe(true);
    }
  });

  it("refuses pixel buffers that do not match their size", () => {
    expect(() => toBilevel(new Uint8Array(10), 4, 4, 1)).toThrow(CodecError);
  });
});

describe("scaleToFaxWidth", () => {
  it("US Letter at 300 dpi becomes 1728 pels wide at each fax resolution", () => {
    const letter = blankBitmap(2550, 330); // a strip of a Letter page is enough for the geometry
    fillRect(letter, 0, 0, 2550, 330);
    for (const [res, rows] of [["standard", 108], ["fine", 216], ["superfine", 431]] as const) {
      const out = scaleToFaxWidth(letter, 300, 300, res);
      expect(out.width).toBe(FAX_WIDTH);
      expect(Math.abs(out.height - rows)).toBeLessThanOrEqual(1);
      // 8.5 in at 204 dpi is 1734 pels: a few pels of margin are cropped, nothing is shrunk or left white
      expect(blackCount(out)).toBe(FAX_WIDTH * out.height);
    }
  });

  it("keeps 1-pel rules when halving rows (fine -> standard) and centres narrow pages", () => {
    const src = blankBitmap(816, 200); // 4 in at 204 dpi
    fillRect(src, 0, 51, 816, 1); // a 1-row rule
    fillRect(src, 100, 0, 1, 200); // a 1-pel column rule
    const out = scaleToFaxWidth(src, 204, 196, "standard");
    expect(out.height).toBe(100);
    const left = (FAX_WIDTH - 816) >> 1;
    expect(getPixel(out, left + 400, 25)).toBe(1);
    expect(getPixel(out, left + 100, 80)).toBe(1);
    expect(getPixel(out, left - 1, 25)).toBe(0);
    expect(getPixel(out, left + 816, 25)).toBe(0);
  });

  it("a page wider than A4 is shrunk to fit, keeping its aspect ratio", () => {
    const wide = blankBitmap(3400, 100); // 17 in at 200 dpi
    fillRect(wide, 0, 0, 3400, 100);
    const out = scaleToFaxWidth(wide, 200, 200, "fine");
    expect(out.width).toBe(FAX_WIDTH);
    expect(Math.abs(out.height - Math.round((100 * 196) / 200 / ((3400 * 204) / 200 / FAX_WIDTH)))).toBeLessThanOrEqual(1);
    expect(blackCount(out)).toBe(FAX_WIDTH * out.height);
  });
});

describe("bitmapToPng", () => {
  it("is a valid 1-bit greyscale PNG holding the same pels", () => {
    for (const b of [styledBitmap("noise", 1, 1, 1), styledBitmap("checker", 9, 5, 1), styledBitmap("runs", 1001, 40, 3)]) {
      expect(firstDifferentRow(decodePng(bitmapToPng(b)), b)).toBe(-1);
    }
  });

  it("compresses a text page to a preview-sized file", () => {
    const page = makePage("text", "fine");
    const png = bitmapToPng(page);
    expect(firstDifferentRow(decodePng(png), page)).toBe(-1);
    expect(png.length).toBeLessThan(120_000);
    expect(png.length).toBeLessThan(page.data.length / 4);
  });
});

describe("PBM (P4)", () => {
  it("reads and writes multi-image files, with comments in the header", () => {
    const a = styledBitmap("noise", 13, 3, 1);
    const b = styledBitmap("runs", 1728, 2, 2);
    const bytes = writePbm([a, b]);
    expect(readPbm(bytes).map((p) => [p.width, p.height])).toEqual([
      [13, 3],
      [1728, 2],
    ]);
    const commented = new Uint8Array([...new TextEncoder().encode("P4\n# made by a scanner\n13 3\n"), ...a.data]);
    expect(readPbm(commented)[0]?.data).toEqual(a.data);
    expect(() => readPbm(new TextEncoder().encode("P1\n1 1\n1\n"))).toThrow(/P1/);
    expect(() => readPbm(new TextEncoder().encode("P4\n100 100\n\x00"))).toThrow(CodecError);
  });
});
