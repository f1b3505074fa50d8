// Damaged input as fax receivers meet it: lines with wrong lengths or broken codes are counted as bad rows and
// repaired with the previous good row; decoding resynchronises at the next EOL (MH/MR); truncated data and
// random bytes end in bad rows or a CodecError, never a crash, a hang or unbounded memory.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CodecError, codecMemoryBytes, decodePage, encodePage, readTiff, writeTiff } from "../../src/codec/index.js";
import type { CodingScheme } from "../../src/codec/index.js";
import { firstDifferentRow, rowOf, sliceRows, styledBitmap } from "../fixtures/bitmaps.js";
import { makePage, prng } from "../fixtures/pages.js";

const width = 1728;
const page = sliceRows(makePage("text", "fine"), 180, 240); // 60 rows of glyphs

/** Byte offset where each line's coding starts, from the prefix property of byte-aligned EOL framing. */
function lineOffsets(scheme: "mh" | "mr", k: number): number[] {
  const out: number[] = [];
  for (let r = 0; r <= page.height; r++) out.push(encodePage(sliceRows(page, 0, r), { scheme, k, byteAlign: true }).length);
  return out;
}

describe("bad rows", () => {
  it("MH: a line of the wrong length is one bad row, repaired with the line above; the rest decode exactly", () => {
    const bad = 20;
    const before = encodePage(sliceRows(page, 0, bad), { scheme: "mh", byteAlign: true });
    const after = encodePage(sliceRows(page, bad + 1, page.height), { scheme: "mh", byteAlign: true });
    for (const wrongWidth of [width - 37, width + 37]) {
      const wrong = encodePage({ ...styledBitmap("noise", wrongWidth, 1, 3, 0.1) }, { scheme: "mh", byteAlign: true });
      const stream = new Uint8Array([...before, ...wrong, ...after]);
      const decoded = decodePage(stream, { scheme: "mh", width, height: page.height });
      expect(decoded.badRows).toBe(1);
      expect(rowOf(decoded.bitmap, bad)).toEqual(rowOf(page, bad - 1));
      expect(firstDifferentRow(sliceRows(decoded.bitmap, 0, bad), sliceRows(page, 0, bad))).toBe(-1);
      expect(firstDifferentRow(sliceRows(decoded.bitmap, bad + 1, page.height), sliceRows(page, bad + 1, page.height))).toBe(-1);
    }
  });

  it("MR: a garbled 2-D line is a bad row; decoding is exact again from the next 1-D line", () => {
    const k = 4;
    const offsets = lineOffsets("mr", k);
    const stream = encodePage(page, { scheme: "mr", k, byteAlign: true, rtc: true });
    // a 2-D line (index not a multiple of K) with enough coded bytes to garble
    const bad = offsets.findIndex((o, r) => r > 4 && r % k !== 0 && (offsets[r + 1] ?? 0) - o > 12);
    expect(bad).toBeGreaterThan(0);
    const nextOneDimensional = Math.ceil((bad + 1) / k) * k;
    // Keep the line's EOL and tag (2 bytes with byte alignment + the tag bit in the next byte), garble the rest.
    const garbage = [0x5a, 0xa5, 0x3c, 0xc3, 0x96];
    for (let i = (offsets[bad] as number) + 3; i < (offsets[bad + 1] as number) - 1; i++) stream[i] = garbage[i % 5] as number;
    const decoded = decodePage(stream, { scheme: "mr", width, height: page.height });
    expect(decoded.badRows).toBeGreaterThanOrEqual(1);
    expect(rowOf(decoded.bitmap, bad)).toEqual(rowOf(page, bad - 1));
    expect(firstDifferentRow(sliceRows(decoded.bitmap, 0, bad), sliceRows(page, 0, bad))).toBe(-1);
    expect(
      firstDifferentRow(sliceRows(decoded.bitmap, nextOneDimensional, page.height), sliceRows(page, nextOneDimensional, page.height)),
    ).toBe(-1);
    // Without the height (T.30 reception) the page still ends at RTC with every row accounted for.
    expect(decodePage(stream, { scheme: "mr", width }).bitmap.height).toBe(page.height);
  });

  it("truncated data with a known height: missing rows are bad rows repeating the last decoded row", () => {
    for (const scheme of ["mh", "mr", "mmr"] as CodingScheme[]) {
      const full = encodePage(page, { scheme, k: 4 });
      const cut = full.subarray(0, full.length >> 1);
      const decoded = decodePage(cut, { scheme, width, height: page.height });
      expect(decoded.bitmap.height).toBe(page.height);
      expect(decoded.badRows).toBeGreaterThan(0);
      expect(decoded.badRows).toBeLessThan(page.height);
      const good = page.height - decoded.badRows;
      // rows before the damage are exact (the last one or two may be the partly decoded line)
      expect(firstDifferentRow(sliceRows(decoded.bitmap, 0, good - 2), sliceRows(page, 0, good - 2))).toBe(-1);
      expect(rowOf(decoded.bitmap, page.height - 1)).toEqual(rowOf(decoded.bitmap, good - 1));
    }
  });

  it("truncated data without a height: the rows that arrived, no exception", () => {
    for (const scheme of ["mh", "mr", "mmr"] as CodingScheme[]) {
      const full = encodePage(page, { scheme, k: 4, rtc: true });
      const decoded = decodePage(full.subarray(0, full.length >> 1), { scheme, width });
      expect(decoded.bitmap.height).toBeGreaterThan(10);
      expect(decoded.bitmap.height).toBeLessThan(page.height);
      expect(decoded.badRows).toBeLessThanOrEqual(1);
    }
  });

  it("a bad first row is white (there is no previous row to repeat)", () => {
    const offsets = lineOffsets("mh", 1);
    const first = offsets.findIndex((o, r) => (offsets[r + 1] ?? 0) - o > 12); // a line with glyphs on it
    const rest = sliceRows(page, first, page.height);
    const bits = encodePage(rest, { scheme: "mh", byteAlign: true });
    bits.fill(0xff, 2, 8); // inside line 0, after its EOL
    const decoded = decodePage(bits, { scheme: "mh", width, height: rest.height });
    expect(decoded.badRows).toBe(1);
    expect(rowOf(decoded.bitmap, 0).every((b) => b === 0)).toBe(true);
    expect(firstDifferentRow(sliceRows(decoded.bitmap, 1, rest.height), sliceRows(rest, 1, rest.height))).toBe(-1);
  });
});

describe("fuzzing (bounded by iteration count)", () => {
  const outcome = (f: () => { badRows: number }) => {
    try {
      f();
      return "decoded";
    } catch (e) {
      if (e instanceof CodecError) return "codec-error";
      throw e; // anything else fails the property
    }
  };

  it("random bytes as coded data: every scheme decodes to some rows or refuses with CodecError", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 4000 }),
        fc.constantFrom<CodingScheme>("mh", "mr", "mmr"),
        fc.constantFrom(1, 9, 1728),
        fc.option(fc.integer({ min: 1, max: 3000 }), { nil: undefined }),
        (data, scheme, w, height) => {
          expect(["decoded", "codec-error"]).toContain(outcome(() => decodePage(data, { scheme, width: w, height })));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("mutated valid code streams decode with bad rows at worst", () => {
    const streams = (["mh", "mr", "mmr"] as const).map((scheme) => ({
      scheme,
      data: encodePage(sliceRows(page, 0, 30), { scheme, k: 2, rtc: true }),
    }));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        (which, edits, knownHeight) => {
          const { scheme, data } = streams[which] as { scheme: CodingScheme; data: Uint8Array };
          const mutated = data.slice();
          for (const e of edits) mutated[e.at % mutated.length] = e.value;
          const decoded = decodePage(mutated, { scheme, width, height: knownHeight ? 30 : undefined });
          if (knownHeight) expect(decoded.bitmap.height).toBe(30);
          expect(decoded.badRows).toBeLessThanOrEqual(Math.max(30, decoded.bitmap.height));
        },
      ),
      { numRuns: 600 },
    );
  });

  it("random bytes and mutated TIFF files end in pages or CodecError", () => {
    const valid = (["mh", "mr", "mmr"] as const).map((scheme) =>
      writeTiff(
        [
          { bitmap: sliceRows(page, 0, 16), xResolution: 204, yResolution: 196 },
          { bitmap: sliceRows(page, 16, 40), xResolution: 204, yResolution: 98 },
        ],
        { scheme },
      ),
    );
    const rand = prng(7);
    let decoded = 0;
    let refused = 0;
    for (let i = 0; i < 1500; i++) {
      let bytes: Uint8Array;
      if (i % 5 === 0) {
        bytes = new Uint8Array(Math.floor(rand() * 300)).map(() => Math.floor(rand() * 256));
        if (rand() < 0.5 && bytes.length > 4) bytes.set([0x49, 0x49, 42, 0]);
      } else {
        bytes = (valid[i % 3] as Uint8Array).slice();
        const edits = 1 + Math.floor(rand() * 6);
        for (let e = 0; e < edits; e++) {
          // bias towards the header and IFDs, where structure lives
          const at = rand() < 0.5 ? Math.floor(rand() * bytes.length) : bytes.length - 1 - Math.floor(rand() * 400);
          bytes[Math.max(0, at)] = Math.floor(rand() * 256);
        }
        if (rand() < 0.1) bytes = bytes.subarray(0, Math.floor(rand() * bytes.length));
      }
      const r = outcome(() => ({ badRows: readTiff(bytes).length }));
      if (r === "decoded") decoded++;
      else refused++;
    }
    expect(decoded).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  it("hostile streams cannot make the codec's memory grow without bound", () => {
    // 64 KiB of a 1-bit MMR code (V0) is 512 Ki rows of a 1728-pel page: refused past the row limit, not allocated.
    const v0s = new Uint8Array(65536).fill(0xff);
    expect(() => decodePage(v0s, { scheme: "mmr", width: 32768 })).toThrow(CodecError);
    expect(codecMemoryBytes()).toBeLessThanOrEqual(192 * 1024 * 1024);
    const ok = decodePage(v0s.subarray(0, 100), { scheme: "mmr", width: 1728 });
    expect(ok.bitmap.height).toBe(800);
  });
});
