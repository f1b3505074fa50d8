import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../../src/errors/api-error";
import { assembleFaxDocument } from "../../../src/fax/documents";
import { JPEG_24x12, makePdf, makePng } from "./fixtures";

const LIMITS = { maxDocumentBytes: 256 * 1024, maxPages: 50 };

/** Success, or a document.* ApiError; anything else (a TypeError from deep in pdf-lib) fails the property. */
async function endsCleanly(bytes: Uint8Array, contentType: string | null): Promise<void> {
  try {
    const result = await assembleFaxDocument([{ bytes, contentType, pointer: "/documents/0" }], undefined, LIMITS);
    expect(result.pageCount).toBeGreaterThan(0);
    expect(result.pageCount).toBeLessThanOrEqual(LIMITS.maxPages);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    expect(err.code).toMatch(/^document\./);
    expect(err.errors?.[0]?.pointer ?? "/documents/0").toBe("/documents/0");
  }
}

describe("assembleFaxDocument under fuzzing", () => {
  it("random bytes, with or without a type's magic in front, end in success or a document.* error", async () => {
    const magic = fc.constantFrom(
      new Uint8Array(0),
      new TextEncoder().encode("%PDF-1.7\n"),
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      new Uint8Array([0xff, 0xd8, 0xff]),
      new Uint8Array([0x49, 0x49, 0x2a, 0x00]),
      new Uint8Array([0x4d, 0x4d, 0x00, 0x2a]),
    );
    await fc.assert(
      fc.asyncProperty(magic, fc.uint8Array({ maxLength: 2048 }), fc.constantFrom("application/pdf", "image/png", null), async (head, tail, type) => {
        await endsCleanly(new Uint8Array([...head, ...tail]), type);
      }),
      { numRuns: 300, seed: 20260426 },
    );
  });

  it("mutated valid PDFs, PNGs and JPEGs end in success or a document.* error", async () => {
    const seeds = [await makePdf(2, [612, 792]), makePng(8, 8, [200, 0, 0]), JPEG_24x12];
    const mutation = fc.record({
      seed: fc.nat({ max: seeds.length - 1 }),
      edits: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 12 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ seed, edits, cut }) => {
        const bytes = (seeds[seed] as Uint8Array).slice();
        for (const { at, value } of edits) bytes[at % bytes.length] = value;
        await endsCleanly(cut === undefined ? bytes : bytes.subarray(0, cut % bytes.length), "application/pdf");
      }),
      { numRuns: 300, seed: 4242 },
    );
  });
});
