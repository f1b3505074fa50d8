// T.4 / T.6 coding: decode(encode(page)) is the page, for every scheme and framing option, plus the stream
// details T.30 and TIFF depend on (EOL alignment, RTC, EOFB, minimum line length).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CodecError, decodePage, encodePage } from "../../src/codec/index.js";
import type { Bitmap, CodingScheme } from "../../src/codec/index.js";
import { bitString, firstDifferentRow, styledBitmap } from "../fixtures/bitmaps.js";
import type { BitmapStyle } from "../fixtures/bitmaps.js";
import { makePage } from "../fixtures/pages.js";

const SCHEMES: CodingScheme[] = ["mh", "mr", "mmr"];
const HARD_WIDTHS = [1, 2, 7, 8, 9, 63, 64, 65, 1727, 1728, 1729, 2048];
const EOL = "000000000001";

function roundTrip(bitmap: Bitmap, scheme: CodingScheme, opts: { k?: number; byteAlign?: boolean; rtc?: boolean; eol?: boolean; minBitsPerRow?: number }) {
  const coded = encodePage(bitmap, { scheme, ...opts });
  const known = decodePage(coded, { scheme, width: bitmap.width, height: bitmap.height, byteAlign: opts.byteAlign, eol: opts.eol });
  return { coded, known };
}

describe("round trips (fast-check)", () => {
  const bitmapArb = fc
    .record({
      width: fc.oneof(fc.constantFrom(...HARD_WIDTHS), fc.integer({ min: 1, max: 400 })),
      height: fc.integer({ min: 1, max: 10 }),
      style: fc.constantFrom<BitmapStyle>("noise", "runs", "shifted", "checker", "solid-white", "solid-black"),
      density: fc.constantFrom(0.01, 0.2, 0.5, 0.95),
      seed: fc.integer(),
    })
    .map(({ width, height, style, density, seed }) => styledBitmap(style, width, height, seed, density));
  const optionsArb = fc.record({
    scheme: fc.constantFrom<CodingScheme>("mh", "mr", "mmr"),
    k: fc.integer({ min: 1, max: 6 }),
    byteAlign: fc.boolean(),
    rtc: fc.boolean(),
    minBitsPerRow: fc.constantFrom(0, 0, 96, 1000),
  });

  it("decode(encode(x)) == x with the height given (TIFF)", () => {
    fc.assert(
      fc.property(bitmapArb, optionsArb, (bitmap, opts) => {
        const { known } = roundTrip(bitmap, opts.scheme, opts);
        expect(known.badRows).toBe(0);
        expect(firstDifferentRow(known.bitmap, bitmap)).toBe(-1);
      }),
      { numRuns: 400 },
    );
  });

  it("decode(encode(x)) == x with the height found from RTC / EOFB (T.30)", () => {
    fc.assert(
      fc.property(bitmapArb, optionsArb, (bitmap, opts) => {
        const coded = encodePage(bitmap, { ...opts, rtc: true });
        const page = decodePage(coded, { scheme: opts.scheme, width: bitmap.width });
        expect(page.badRows).toBe(0);
        expect(page.bitmap.height).toBe(bitmap.height);
        expect(firstDifferentRow(page.bitmap, bitmap)).toBe(-1);
      }),
      { numRuns: 300 },
    );
  });

  it("MH without EOLs (TIFF Compression 2, rows byte aligned) round trips", () => {
    fc.assert(
      fc.property(bitmapArb, (bitmap) => {
        const { known } = roundTrip(bitmap, "mh", { eol: false, byteAlign: true });
        expect(known.badRows).toBe(0);
        expect(firstDifferentRow(known.bitmap, bitmap)).toBe(-1);
      }),
      { numRuns: 150 },
    );
  });
});

describe("hard cases", () => {
  const styles: BitmapStyle[] = ["solid-white", "solid-black", "checker", "noise", "runs", "shifted"];
  for (const scheme of SCHEMES) {
    it(`${scheme}: all white, all black, checkerboards, noise at widths ${HARD_WIDTHS.join(", ")}`, () => {
      for (const width of HARD_WIDTHS) {
        for (const style of styles) {
          const bitmap = styledBitmap(style, width, 9, width * 31 + styles.indexOf(style));
          const { known } = roundTrip(bitmap, scheme, { k: 4, rtc: true });
          expect({ width, style, bad: known.badRows, diff: firstDifferentRow(known.bitmap, bitmap) }).toEqual({
            width,
            style,
            bad: 0,
            diff: -1,
          });
        }
      }
    });
  }

  it("single black pels anywhere on a line", () => {
    for (const width of [1, 9, 1728]) {
      for (const x of [0, 1, width >> 1, width - 2, width - 1].filter((v) => v >= 0 && v < width)) {
        const bitmap = styledBitmap("solid-white", width, 3, 0);
        bitmap.data[((width + 7) >> 3) + (x >> 3)] = 0x80 >> (x & 7);
        for (const scheme of SCHEMES) {
          const { known } = roundTrip(bitmap, scheme, {});
          expect(firstDifferentRow(known.bitmap, bitmap), `${scheme} width ${width} x ${x}`).toBe(-1);
        }
      }
    }
  });

  it("short runs up to the last pel, repeated and shifted down the page (two-run codes, strings of V0)", () => {
    for (const width of [2, 7, 8, 64, 1727, 1728]) {
      const stride = (width + 7) >> 3;
      const height = 12;
      const bitmap: Bitmap = { width, height, data: new Uint8Array(stride * height) };
      for (let y = 0; y < height; y++) {
        // runs of 1-3 pels, alternating colours, the pattern changing every third row: rows repeat (V0 all
        // along), shift by a pel (VR1/VL1), or start black; the last run always ends at the last pel
        let x = y % 3 === 2 ? 1 : 0;
        let black = y >= 6;
        let n = Math.floor(y / 3);
        while (x < width) {
          const run = Math.min(1 + (n++ % 3), width - x);
          if (black) for (let i = x; i < x + run; i++) bitmap.data[y * stride + (i >> 3)]! |= 0x80 >> (i & 7);
          x += run;
          black = !black;
        }
      }
      for (const scheme of SCHEMES) {
        const { known } = roundTrip(bitmap, scheme, { k: 4 });
        expect({ scheme, width, bad: known.badRows, diff: firstDifferentRow(known.bitmap, bitmap) }).toEqual({
          scheme,
          width,
          bad: 0,
          diff: -1,
        });
      }
    }
  });

  it("runs longer than 2560 pels use repeated extended make-up codes (T.4 §4.1.1.2)", () => {
    for (const width of [2560, 2561, 2623, 2624, 5185, 9000]) {
      for (const style of ["solid-white", "solid-black", "runs"] as const) {
        const bitmap = styledBitmap(style, width, 4, width);
        for (const scheme of SCHEMES) {
          const { known } = roundTrip(bitmap, scheme, {});
          expect(firstDifferentRow(known.bitmap, bitmap), `${scheme} ${style} ${width}`).toBe(-1);
        }
      }
    }
  });

  it("padding bits past the width in the input are ignored, and come out 0", () => {
    const bitmap = styledBitmap("noise", 13, 20, 5);
    const dirty = { ...bitmap, data: bitmap.data.map((b, i) => (i % 2 === 1 ? b | 0x07 : b)) };
    for (const scheme of SCHEMES) {
      const page = decodePage(encodePage(dirty, { scheme }), { scheme, width: 13, height: 20 });
      expect(page.bitmap.data).toEqual(bitmap.data);
    }
  });

  it("a full fine page of text round trips in every scheme", () => {
    const bitmap = makePage("text", "fine");
    for (const scheme of SCHEMES) {
      const { known } = roundTrip(bitmap, scheme, { k: 4 });
      expect(known.badRows).toBe(0);
      expect(firstDifferentRow(known.bitmap, bitmap)).toBe(-1);
    }
  });
});

describe("stream framing", () => {
  const bitmap = styledBitmap("shifted", 1728, 12, 99);

  it("T.4 §4.1.2: MH starts with EOL and every line is preceded by one", () => {
    const bits = bitString(encodePage(bitmap, { scheme: "mh" }));
    expect(bits.startsWith(EOL)).toBe(true);
    expect(bits.split(EOL).length - 1).toBe(bitmap.height);
  });

  it("T.4 §4.1.4: RTC is six EOLs (MH) or six EOL+1 (MR) at the end", () => {
    const mh = bitString(encodePage(bitmap, { scheme: "mh", rtc: true })).replace(/0{0,7}$/, "");
    expect(mh.endsWith(EOL.repeat(6))).toBe(true);
    const mr = bitString(encodePage(bitmap, { scheme: "mr", rtc: true })).replace(/0{0,7}$/, "");
    expect(mr.endsWith(`${EOL}1`.repeat(6))).toBe(true);
  });

  it("T.6 §2.4.4: MMR ends with EOFB and has no other EOL", () => {
    const bits = bitString(encodePage(bitmap, { scheme: "mmr", rtc: true }));
    expect(bits.replace(/0{0,7}$/, "").endsWith(EOL + EOL)).toBe(true);
    expect(bits.split(EOL).length - 1).toBe(2);
    expect(bitString(encodePage(bitmap, { scheme: "mmr" })).includes(EOL)).toBe(false);
  });

  it("TIFF T4Options bit 2: with byteAlign every EOL ends on a byte boundary", () => {
    for (const scheme of ["mh", "mr"] as const) {
      const bits = bitString(encodePage(bitmap, { scheme, byteAlign: true, rtc: true }));
      const ends = [...bits.matchAll(/0{11}1/g)].map((m) => (m.index as number) + m[0].length);
      expect(ends.length).toBeGreaterThanOrEqual(bitmap.height);
      // every line's EOL is aligned; RTC's first EOL too (the rest follow back to back)
      expect(ends.slice(0, bitmap.height + 1).every((e) => e % 8 === 0)).toBe(true);
    }
  });

  it("MR with K: one 1-D line (tag 1) then K-1 2-D lines (tag 0), T.4 §4.2.1", () => {
    const bits = bitString(encodePage(bitmap, { scheme: "mr", k: 4 }));
    const tags = [...bits.matchAll(/0{11}1([01])/g)].map((m) => m[1]);
    expect(tags.join("")).toBe("100010001000");
  });

  it("T.30 minimum scan line time: every line from EOL to EOL holds at least minBitsPerRow bits", () => {
    const white = styledBitmap("solid-white", 1728, 10, 0);
    for (const scheme of ["mh", "mr"] as const) {
      const coded = encodePage(white, { scheme, minBitsPerRow: 400, rtc: true });
      const bits = bitString(coded);
      const starts = [...bits.matchAll(/0{11}1/g)].map((m) => (m.index as number) + m[0].length - 12);
      for (let i = 0; i + 1 < white.height + 1; i++) {
        expect((starts[i + 1] as number) - (starts[i] as number)).toBeGreaterThanOrEqual(400);
      }
      const page = decodePage(coded, { scheme, width: 1728 });
      expect(page.bitmap.height).toBe(10);
      expect(firstDifferentRow(page.bitmap, white)).toBe(-1);
    }
  });

  it("refuses bad arguments with CodecError codes", () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof CodecError ? e.code : "not a CodecError";
      }
      return "no error";
    };
    expect(err(() => encodePage({ width: 0, height: 1, data: new Uint8Array(1) }, { scheme: "mh" }))).toBe("codec.invalid_argument");
    expect(err(() => encodePage({ width: 16, height: 2, data: new Uint8Array(3) }, { scheme: "mh" }))).toBe("codec.invalid_argument");
    expect(err(() => encodePage(bitmap, { scheme: "g5" as CodingScheme }))).toBe("codec.invalid_argument");
    expect(err(() => decodePage(new Uint8Array(4), { scheme: "mh", width: 1e6 }))).toBe("codec.too_large");
    expect(err(() => decodePage(new Uint8Array(4), { scheme: "mh", width: 1728, height: 1e6 }))).toBe("codec.too_large");
  });
});
