/**
 * wasm/build/pdfium.wasm, the package's PDFium with its 1-bit glyph loops made byte-wide (wasm/pdfium-glyphs.mjs),
 * must draw exactly what the package's own build draws. Three checks:
 * - the two new loops against the original loops' arithmetic (PDFium's div_s bit addressing), on random rows;
 * - pages rendered by both builds, text in many fonts, sizes, angles, colours, opacities and clips, partly off
 *   the page, are identical bitmaps, as are whole TIFF-F faxes from the render pipeline;
 * - the patcher refuses a build it does not know rather than patching it blind.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import fc from "fast-check";
import {
  closePath,
  clip,
  degrees,
  endPath,
  grayscale,
  lineTo,
  moveTo,
  PDFDocument,
  popGraphicsState,
  pushGraphicsState,
  rgb,
  StandardFonts,
} from "pdf-lib";
import { describe, expect, it } from "vitest";
import "../../src/codec/node.js";
import { FAX_LINE_PELS, RENDER_FLAGS } from "../../src/fax/render/pdf-pages.js";
import { renderPdfToFax } from "../../src/fax/render/pdf-to-fax.js";
import { nodePdfium } from "../../src/fax/render/pdfium-node.js";
import { copyIn, heap, type Pdfium, PdfiumHolder } from "../../src/fax/render/pdfium.js";
import { patchPdfium } from "../../wasm/pdfium-glyphs.mjs";

const require = createRequire(import.meta.url);
const original = new PdfiumHolder(() => ({ bytes: readFileSync(require.resolve("@embedpdf/pdfium/pdfium.wasm")) }));

interface GlyphExports {
  malloc(n: number): number;
  free(p: number): void;
  edgefax_or_bit_rows(src: number, srcPitch: number, srcLeft: number, dst: number, dstPitch: number, dstLeft: number, n: number, rows: number): void;
  edgefax_mask_to_grey(dst: number, src: number, srcLeft: number, n: number, clip: number, alpha: number, grey: number): void;
}
const exportsOf = (p: Pdfium) => p.runtime.wasmExports as unknown as GlyphExports;

/** PDFium's CompositeOneBPPMask inner loop, as compiled: bit x of a row is byte x/8 (div_s), shift (x/8)*8 - x + 7. */
function referenceOrRow(src: Uint8Array, srcLeft: number, dst: Uint8Array, dstLeft: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = srcLeft + i;
    const q = (x / 8) | 0;
    if ((src[q]! >>> (((q << 3) - x + 7) & 31)) & 1) {
      const y = dstLeft + i;
      const r = (y / 8) | 0;
      dst[r] = (dst[r]! | (1 << (((r << 3) - y + 7) & 31))) & 255;
    }
  }
}

/** PDFium's CompositeRow_BitMask2Gray loop, as compiled. */
function referenceMaskToGrey(dst: Uint8Array, src: Uint8Array, srcLeft: number, n: number, clipRow: Uint8Array | null, alpha: number, grey: number): void {
  for (let col = 0; col < n; col++) {
    const x = col + srcLeft;
    const q = (x / 8) | 0;
    if (!((src[q]! >>> (((q << 3) - x + 7) & 31)) & 1)) continue;
    const a = clipRow ? Math.floor((alpha * clipRow[col]!) / 255) : alpha;
    if (a) dst[col] = Math.floor(((a ^ 255) * dst[col]! + a * grey) / 255) & 255;
  }
}

describe("the byte-wide glyph loops", () => {
  const bytes = fc.uint8Array({ minLength: 48, maxLength: 48 });
  const sparse = fc.array(fc.oneof(fc.constant(0), fc.constant(255), fc.integer({ min: 0, max: 255 })), { minLength: 48, maxLength: 48 }).map((a) => Uint8Array.from(a));

  it("OR glyph rows into the mask as the original loop does, row by row", async () => {
    const p = await nodePdfium.get();
    const ex = exportsOf(p);
    const src = ex.malloc(256);
    const dst = ex.malloc(256);
    fc.assert(
      fc.property(
        fc.array(sparse, { minLength: 1, maxLength: 4 }),
        fc.array(bytes, { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: -2, max: 200 }),
        (s, d, srcLeft, dstLeft, n) => {
          n = Math.min(n, 8 * 40 - Math.max(srcLeft, dstLeft));
          s.forEach((row, r) => heap(p).set(row, src + 48 * r));
          d.forEach((row, r) => heap(p).set(row, dst + 64 * r));
          ex.edgefax_or_bit_rows(src, 48, srcLeft, dst, 64, dstLeft, n, s.length);
          d.forEach((row, r) => {
            const want = row.slice();
            if (r < s.length) referenceOrRow(s[r]!, srcLeft, want, dstLeft, n);
            expect(heap(p).slice(dst + 64 * r, dst + 64 * r + 48), `row ${r}`).toEqual(want);
          });
          s.forEach((row, r) => expect(heap(p).slice(src + 48 * r, src + 48 * r + 48)).toEqual(row));
        },
      ),
      { numRuns: 3000 },
    );
    ex.free(src);
    ex.free(dst);
  });

  it("blend a 1-bit mask row into grey as the original loop does, with and without a clip row", async () => {
    const p = await nodePdfium.get();
    const ex = exportsOf(p);
    const src = ex.malloc(64);
    const dst = ex.malloc(400);
    const clipPtr = ex.malloc(400);
    const row = fc.uint8Array({ minLength: 300, maxLength: 300 });
    fc.assert(
      fc.property(
        sparse,
        row,
        fc.option(row),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 300 }),
        fc.oneof(fc.constant(255), fc.integer({ min: 0, max: 255 })),
        fc.integer({ min: 0, max: 255 }),
        (s, d, clipRow, srcLeft, n, alpha, grey) => {
          n = Math.min(n, 8 * 48 - srcLeft);
          heap(p).set(s, src);
          heap(p).set(d, dst);
          if (clipRow) heap(p).set(clipRow, clipPtr);
          ex.edgefax_mask_to_grey(dst, src, srcLeft, n, clipRow ? clipPtr : 0, alpha, grey);
          const want = d.slice();
          referenceMaskToGrey(want, s, srcLeft, n, clipRow, alpha, grey);
          expect(heap(p).slice(dst, dst + 300)).toEqual(want);
        },
      ),
      { numRuns: 3000 },
    );
    ex.free(src);
    ex.free(dst);
    ex.free(clipPtr);
  });
});

/** Pages of text that exercise every branch: fonts, sizes down to 3 pt, thin glyphs, angles, grey and colour, opacity, clips. */
async function textZoo(seed: number): Promise<Uint8Array> {
  let state = seed;
  const rnd = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const doc = await PDFDocument.create();
  const fonts = await Promise.all(
    [StandardFonts.Helvetica, StandardFonts.TimesRoman, StandardFonts.Courier, StandardFonts.HelveticaBoldOblique, StandardFonts.CourierBold].map((f) => doc.embedFont(f)),
  );
  const sizes: [number, number][] = [[612, 792], [595, 842], [792, 612]];
  for (let pageNo = 0; pageNo < 6; pageNo++) {
    const [w, h] = sizes[pageNo % 3]!;
    const page = doc.addPage([w, h]);
    if (pageNo === 4) page.setRotation(degrees(90));
    for (let line = 0; line < 40; line++) {
      const fontIndex = Math.floor(rnd() * fonts.length);
      const font = fonts[fontIndex]!;
      const text = fontIndex === 4 ? "il1|.,:;!" : `Line ${line}: Pack my box with five dozen liquor jugs 0123456789 ${"#@%&".slice(0, 1 + (line % 4))}`;
      const clipped = rnd() < 0.25;
      if (clipped) {
        // A clip that is not a rectangle, so PDFium composites through a clip mask (the clip_scan branch).
        const cx = rnd() * w;
        const cy = rnd() * h;
        page.pushOperators(pushGraphicsState(), moveTo(cx, cy - 80), lineTo(cx + 160, cy), lineTo(cx, cy + 80), lineTo(cx - 160, cy), closePath(), clip(), endPath());
      }
      page.drawText(text, {
        x: rnd() * w * 1.1 - w * 0.15,
        y: rnd() * h * 1.1 - h * 0.05,
        size: [3, 4.5, 7, 9.5, 10.5, 12, 18, 31, 60][Math.floor(rnd() * 9)]!,
        font,
        rotate: degrees(rnd() < 0.6 ? 0 : [90, 180, 270, 30, -12.5][Math.floor(rnd() * 5)]!),
        color: rnd() < 0.6 ? rgb(0, 0, 0) : rnd() < 0.5 ? grayscale(rnd()) : rgb(rnd(), rnd(), rnd()),
        opacity: rnd() < 0.7 ? 1 : 0.2 + rnd() * 0.7,
      });
      if (clipped) page.pushOperators(popGraphicsState());
    }
  }
  return doc.save();
}

/** Every page of `pdf` rendered into the fax grid as renderPdfPages does, as one byte string per page. */
async function renderPages(holder: PdfiumHolder, pdf: Uint8Array, flags: number): Promise<Uint8Array[]> {
  const pdfium = await holder.get();
  const { api } = pdfium;
  const { malloc, free } = pdfium.runtime.wasmExports;
  const data = copyIn(pdfium, pdf);
  const doc = api.FPDF_LoadMemDocument(data, pdf.length, "");
  const rows = 2200;
  const grey = malloc(FAX_LINE_PELS * rows);
  const pages: Uint8Array[] = [];
  for (let i = 0; i < api.FPDF_GetPageCount(doc); i++) {
    const page = api.FPDF_LoadPage(doc, i);
    const bmp = api.FPDFBitmap_CreateEx(FAX_LINE_PELS, rows, 1, grey, FAX_LINE_PELS);
    heap(pdfium).fill(255, grey, grey + FAX_LINE_PELS * rows);
    api.FPDF_RenderPageBitmap(bmp, page, 3, 0, 1722, rows, 0, flags);
    pages.push(heap(pdfium).slice(grey, grey + FAX_LINE_PELS * rows));
    api.FPDFBitmap_Destroy(bmp);
    api.FPDF_ClosePage(page);
  }
  free(grey);
  api.FPDF_CloseDocument(doc);
  free(data);
  return pages;
}

describe("the patched build renders what the package's build renders", () => {
  it.each([1, 2, 3])("text zoo %i: identical bitmaps, with the pipeline's flags and with smooth text", async (seed) => {
    const pdf = await textZoo(seed);
    for (const flags of [RENDER_FLAGS, RENDER_FLAGS & ~0x1000]) {
      const ours = await renderPages(nodePdfium, pdf, flags);
      const theirs = await renderPages(original, pdf, flags);
      expect(ours.length).toBe(6);
      ours.forEach((page, i) => {
        // Something was drawn, so the comparison is not between two blank pages.
        expect(page.some((v) => v !== 255)).toBe(true);
        expect(Buffer.compare(page, theirs[i]!), `seed ${seed} page ${i} flags ${flags}`).toBe(0);
      });
    }
  });

  it("whole faxes (1-bit, header, MH) are byte-identical at both resolutions", async () => {
    const pdf = await textZoo(7);
    const header = { text: "ACME Clinic", from: "+15550101234", date: new Date("2026-12-06T10:00:00Z") };
    for (const resolution of ["fine", "standard"] as const) {
      const ours = await renderPdfToFax(nodePdfium, pdf, { resolution, imageConversion: "auto", header });
      const theirs = await renderPdfToFax(original, pdf, { resolution, imageConversion: "auto", header });
      expect(ours.pageCount).toBe(6);
      expect(Buffer.compare(ours.tiff, theirs.tiff)).toBe(0);
    }
  });
});

describe("the patcher", () => {
  it("is what Node's PDFium holder loads", async () => {
    const exported = (await nodePdfium.get()).runtime.wasmExports as unknown as Record<string, unknown>;
    for (const name of ["edgefax_or_bit_rows", "edgefax_mask_to_grey"]) expect(typeof exported[name]).toBe("function");
  });


  it("refuses a module whose loops it does not know", () => {
    const other = readFileSync(new URL("../../wasm/build/codec.wasm", import.meta.url));
    expect(() => patchPdfium(other)).toThrow(/found 0 times.*pinned version/);
  });
});
