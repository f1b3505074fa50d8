/**
 * The second reading's preparation and the word-by-word merge (src/inbound/local-engine/second-reading.ts), on
 * readings written here; the engine's own readings are tested in local-engine.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Bitmap } from "../../src/codec/node.js";
import { combineReadings, doubledBothWays, secondPreparation, type DetailedReading } from "../../src/inbound/local-engine/second-reading.js";
import { prepareFaxPage } from "../../src/inbound/local-engine/engine.js";

const line = (words: [string, number][], paragraphEnd = false) => ({
  words: words.map(([text, confidence]) => ({ text, confidence })),
  confidence: Math.min(...words.map(([, c]) => c)),
  paragraphEnd,
});
const reading = (lines: ReturnType<typeof line>[], text = "as tesseract wrote it"): DetailedReading => ({ text, confidence: 90, lines });

describe("merging two readings of a page", () => {
  it("takes each word from the reading more confident of it, keeping paragraph breaks", () => {
    const first = reading([line([["PATIENT:", 96], ["Akira", 95], ["Nakarnura", 70]], true), line([["DOB:", 96], ["03/07/1980", 93]])]);
    const second = reading([line([["PATIENT:", 95], ["Akira", 96], ["Nakamura", 91]], true), line([["DOB:", 90], ["08/07/1980", 60]])]);
    const merged = combineReadings(first, second);
    expect(merged.text).toBe("PATIENT: Akira Nakamura\n\nDOB: 03/07/1980");
    expect(merged.confidence).toBeCloseTo((96 + 95 + 91 + 96 + 93) / 5);
  });

  it("takes a whole line where the words do not line up, and the first reading where the lines do not", () => {
    const first = reading([line([["Claim", 90], ["#:", 50], ["CLM-1", 60]]), line([["Total:", 95]])]);
    const second = reading([line([["Claim", 92], ["#:CLM-1", 85]]), line([["Total:", 95]])]);
    expect(combineReadings(first, second).text).toBe("Claim #:CLM-1\nTotal:");
    const fewerLines = reading([line([["Claim", 99], ["#:", 99], ["CLM-1", 99]])]);
    expect(combineReadings(first, fewerLines)).toBe(first);
  });

  it("keeps the first reading, text and all, when the second is nowhere more confident", () => {
    const first = reading([line([["Jane", 90], ["Doe", 90]])], "Jane  Doe");
    expect(combineReadings(first, reading([line([["Jane", 90], ["D0e", 40]])]))).toBe(first);
  });

  it("never throws on any pair of readings, and every merged word is one of the two readings' (fuzzed)", () => {
    const word = fc.record({ text: fc.string({ minLength: 1, maxLength: 8 }), confidence: fc.double({ min: 0, max: 100, noNaN: true }) });
    const lines = fc.array(fc.record({ words: fc.array(word, { maxLength: 5 }), confidence: fc.double({ min: 0, max: 100, noNaN: true }), paragraphEnd: fc.boolean() }), { maxLength: 5 });
    fc.assert(
      fc.property(lines, lines, (a, b) => {
        const merged = combineReadings(reading(a), reading(b));
        const known = new Set([...a, ...b].flatMap((l) => l.words.map((w) => w.text)));
        expect(merged.lines.flatMap((l) => l.words).every((w) => known.has(w.text))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe("the second preparation", () => {
  const page = (height: number, set: [number, number][]): Bitmap => {
    const data = new Uint8Array(2 * height);
    for (const [x, y] of set) data[y * 2 + (x >> 3)]! |= 0x80 >> (x & 7);
    return { width: 16, height, data };
  };

  it("doubles each pixel both ways", () => {
    const doubled = doubledBothWays(page(1, [[0, 0], [9, 0]]));
    expect([doubled.width, doubled.height]).toEqual([32, 2]);
    expect([...doubled.data]).toEqual([0b11000000, 0, 0b00110000, 0, 0b11000000, 0, 0b00110000, 0]);
  });

  it("is the prepared page doubled at twice the dpi on a standard page; on a fine page, the page as received if cleaning changed it", () => {
    const standard = { bitmap: page(2, [[3, 0], [4, 0]]), xResolution: 204, yResolution: 98 };
    const second = secondPreparation(standard, prepareFaxPage(standard), 204)!;
    expect([second.bitmap.width, second.bitmap.height, second.dpi]).toEqual([32, 8, 408]);
    const clean = { bitmap: page(2, [[3, 0], [4, 0]]), xResolution: 204, yResolution: 196 };
    expect(secondPreparation(clean, prepareFaxPage(clean), 204)).toBeNull();
    const noisy = { bitmap: page(2, [[3, 0], [4, 0], [12, 1]]), xResolution: 204, yResolution: 196 };
    expect(secondPreparation(noisy, prepareFaxPage(noisy), 204)).toEqual({ bitmap: noisy.bitmap, dpi: 204 });
  });
});
