/**
 * Grey → 1-bit on synthetic pages: the pels a recipient sees. The converter packs the pure black-and-white rows
 * of aligned buffers in the WASM codec and reads their other rows four pels at a time, and reads anything else
 * pel by pel in JS; both readings must give the same page.
 */
import { describe, expect, it } from "vitest";
import "../../../src/codec/worker";
import { greyToBilevel, type ImageConversion } from "../../../src/fax/render/bilevel";

const WIDTH = 200;
const HEIGHT = 100;

function blank(): Uint8Array {
  return new Uint8Array(WIDTH * HEIGHT).fill(255);
}

function black(data: Uint8Array, x: number, y: number): boolean {
  const stride = (WIDTH + 7) >> 3;
  return ((data[y * stride + (x >> 3)] as number) & (0x80 >> (x & 7))) !== 0;
}

/** Text, hairlines, an antialiased edge, a grey photograph and speckle: every kind of pel the rules tell apart. */
function mixedPage(): Uint8Array {
  const grey = blank();
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const at = y * WIDTH + x;
      if (x >= 120 && x < 184 && y >= 32 && y < 96) grey[at] = 60 + ((x * 3 + y * 5) % 140); // photograph
      else if (y % 9 === 4 && x < 110) grey[at] = 200; // hairline rules, lighter than the cut
      else if (y % 9 === 5 && x < 110) grey[at] = 40 + (x % 200); // an antialiased stroke
      else if (random() < 0.05) grey[at] = Math.floor(random() * 256); // speckle
    }
  }
  return grey;
}

describe("greyToBilevel", () => {
  it("keeps ink, drops paper and keeps a hairline lighter than the cut, but not a flat area of the same grey", () => {
    const grey = blank();
    for (let x = 0; x < WIDTH; x++) grey[10 * WIDTH + x] = 100; // ink
    for (let x = 0; x < WIDTH; x++) grey[20 * WIDTH + x] = 200; // a one-pel hairline
    for (let y = 40; y < 50; y++) for (let x = 0; x < 8; x++) grey[y * WIDTH + x] = 200; // a light grey patch
    const { bitmap, halftoneShare } = greyToBilevel(grey, WIDTH, HEIGHT, WIDTH, "auto");
    expect(halftoneShare).toBe(0);
    expect(black(bitmap.data, 0, 10) && black(bitmap.data, 199, 10)).toBe(true);
    expect(black(bitmap.data, 0, 20) && black(bitmap.data, 100, 20) && black(bitmap.data, 199, 20)).toBe(true);
    expect(black(bitmap.data, 4, 45)).toBe(false);
    expect(black(bitmap.data, 50, 30)).toBe(false);
  });

  it("dithers a photograph in auto mode and leaves the text beside it crisp", () => {
    const { bitmap, halftoneShare } = greyToBilevel(mixedPage(), WIDTH, HEIGHT, WIDTH, "auto");
    expect(halftoneShare).toBeGreaterThan(0);
    let photoBlack = 0;
    for (let y = 32; y < 96; y++) for (let x = 128; x < 160; x++) if (black(bitmap.data, x, y)) photoBlack++;
    // Mid-grey comes out as a mix of black and white pels, not a solid blotch.
    expect(photoBlack).toBeGreaterThan(32 * 64 * 0.2);
    expect(photoBlack).toBeLessThan(32 * 64 * 0.8);
    expect(black(bitmap.data, 50, 14)).toBe(true); // a stroke in a band without the photograph
  });

  it("makes exactly the 0-valued pels of a pure black-and-white page black (1-bit glyphs), by either reading", () => {
    const grey = blank();
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < grey.length; i++) if (random() < 0.3) grey[i] = 0;
    for (let x = 40; x < 48; x++) grey[60 * WIDTH + x] = 128; // one grey group among them, read the long way
    const stride = WIDTH + 3;
    const padded = new Uint8Array(1 + stride * HEIGHT);
    for (let y = 0; y < HEIGHT; y++) padded.set(grey.subarray(y * WIDTH, (y + 1) * WIDTH), 1 + y * stride);
    const aligned = greyToBilevel(grey, WIDTH, HEIGHT, WIDTH, "auto");
    const unaligned = greyToBilevel(padded.subarray(1), WIDTH, HEIGHT, stride, "auto");
    expect(Buffer.compare(unaligned.bitmap.data, aligned.bitmap.data)).toBe(0);
    for (let y = 0; y < HEIGHT; y++) {
      for (let x = 0; x < WIDTH; x++) if (grey[y * WIDTH + x] !== 128) expect(black(aligned.bitmap.data, x, y), `${x},${y}`).toBe(grey[y * WIDTH + x] === 0);
    }
    expect(black(aligned.bitmap.data, 44, 60)).toBe(true);
  });

  it("packs pure black-and-white rows in the codec like JS does, beside rows with grey, at any width", () => {
    let seed = 5;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (const width of [8, 204, 1728]) {
      const height = 70;
      const grey = new Uint8Array(width * height).fill(255);
      for (let y = 0; y < height; y++) {
        if (y % 5 === 0) continue; // paper rows
        for (let x = 0; x < width; x++) if (random() < 0.3) grey[y * width + x] = 0;
        if (y % 7 === 3) grey[y * width + Math.floor(random() * width)] = 180; // one grey pel: a row for textRow
      }
      const stride = width + 1;
      const padded = new Uint8Array(1 + stride * height);
      for (let y = 0; y < height; y++) padded.set(grey.subarray(y * width, (y + 1) * width), 1 + y * stride);
      const aligned = greyToBilevel(grey, width, height, width, "auto");
      const unaligned = greyToBilevel(padded.subarray(1), width, height, stride, "auto");
      expect(Buffer.compare(aligned.bitmap.data, unaligned.bitmap.data), `width ${width}`).toBe(0);
      const outStride = (width + 7) >> 3;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const g = grey[y * width + x];
          if (g === 180) continue;
          expect(((aligned.bitmap.data[y * outStride + (x >> 3)] as number) >> (7 - (x & 7))) & 1, `${width}: ${x},${y}`).toBe(g === 0 ? 1 : 0);
        }
      }
    }
  });

  for (const conversion of ["auto", "monochrome", "halftone"] as const satisfies readonly ImageConversion[]) {
    it(`gives the same page from an aligned buffer and from an unaligned, padded one (${conversion})`, () => {
      const grey = mixedPage();
      const aligned = greyToBilevel(grey, WIDTH, HEIGHT, WIDTH, conversion);
      // Rows 203 bytes apart, starting one byte into the buffer: no four-pel reading possible.
      const stride = WIDTH + 3;
      const padded = new Uint8Array(1 + stride * HEIGHT).fill(0);
      for (let y = 0; y < HEIGHT; y++) padded.set(grey.subarray(y * WIDTH, (y + 1) * WIDTH), 1 + y * stride);
      const unaligned = greyToBilevel(padded.subarray(1), WIDTH, HEIGHT, stride, conversion);
      expect(unaligned.halftoneShare).toBe(aligned.halftoneShare);
      expect(Buffer.compare(unaligned.bitmap.data, aligned.bitmap.data)).toBe(0);
    });
  }
});
