import { env } from "cloudflare:test";
import { PDFDocument, PDFName, PDFRawStream } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { readTiff, readTiffRaw, writeTiff, type Bitmap, type CodingScheme } from "../../../src/codec/worker";
import { RenderError } from "../../../src/fax/render/errors";
import { renderInboundFax } from "../../../src/fax/render/inbound";
import { renderPdfPages } from "../../../src/fax/render/pdf-pages";
import { workerPdfium } from "../../../src/fax/render/pdfium-worker";
import { documentStore } from "../../../src/storage/documents";

/** A received-looking page: a frame, text-like dashes and a checkerboard patch, different for each seed. */
function receivedPage(height: number, seed: number): Bitmap {
  const width = 1728;
  const stride = width / 8;
  const data = new Uint8Array(stride * height);
  const set = (x: number, y: number) => {
    data[y * stride + (x >> 3)]! |= 0x80 >> (x & 7);
  };
  for (let x = 40; x < width - 40; x++) {
    set(x, 40);
    set(x, height - 40);
  }
  for (let y = 40; y < height - 40; y++) {
    set(40, y);
    set(width - 41, y);
  }
  for (let line = 0; line < 30; line++) {
    const y0 = 100 + line * Math.floor((height - 300) / 30);
    for (let word = 0; word < 12; word++) {
      const x0 = 100 + word * 120 + ((seed * 37 + line * 11 + word * 5) % 40);
      for (let y = y0; y < y0 + 8; y++) for (let x = x0; x < x0 + 70 - ((line + word + seed) % 30); x++) set(x, y);
    }
  }
  for (let y = height - 200; y < height - 100; y++) for (let x = 1200; x < 1500; x++) if (((x >> 2) + (y >> 2) + seed) & 1) set(x, y);
  return { width, height, data };
}

function agreement(a: Bitmap, b: Bitmap): number {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let same = 0;
  const stride = a.width / 8;
  for (let i = 0; i < stride * a.height; i++) {
    let diff = ((a.data[i] as number) ^ (b.data[i] as number)) & 0xff;
    let n = 8;
    while (diff) {
      n -= diff & 1;
      diff >>= 1;
    }
    same += n;
  }
  return same / (a.width * a.height);
}

describe("renderInboundFax", () => {
  for (const scheme of ["mh", "mr", "mmr"] as CodingScheme[]) {
    it(`stores the TIFF, a PDF with the ${scheme} data embedded as received, and previews`, async () => {
      const originals = [receivedPage(2200, 1), receivedPage(2200, 2), receivedPage(1100, 3)];
      const tiff = writeTiff(
        originals.map((bitmap) => ({ bitmap, xResolution: 204, yResolution: bitmap.height > 1500 ? 196 : 98 })),
        { scheme },
      );
      const faxId = `fax_in_${scheme}`;
      const result = await renderInboundFax(env, "acct_inbound", faxId, tiff);
      expect(result).toEqual({
        pdfKey: `faxes/acct_inbound/${faxId}/document.pdf`,
        tiffKey: `faxes/acct_inbound/${faxId}/fax.tif`,
        previewKeys: [1, 2, 3].map((n) => `faxes/acct_inbound/${faxId}/pages/${n}.png`),
        pageCount: 3,
      });
      const storedTiff = await (await documentStore(env).get(result.tiffKey))!.bytes();
      expect(storedTiff).toEqual(tiff);

      // The PDF's images hold the TIFF's strips byte for byte (no re-encoding).
      const pdfBytes = await (await documentStore(env).get(result.pdfKey))!.bytes();
      const pdf = await PDFDocument.load(pdfBytes);
      expect(pdf.getPageCount()).toBe(3);
      const raw = readTiffRaw(tiff);
      pdf.getPages().forEach((page, i) => {
        const xobjects = page.node.Resources()!.lookup(PDFName.of("XObject")) as unknown as { values(): unknown[] };
        const ref = xobjects.values()[0] as Parameters<typeof pdf.context.lookup>[0];
        const image = pdf.context.lookup(ref) as PDFRawStream;
        expect(image.dict.get(PDFName.of("Filter"))?.toString()).toBe("/CCITTFaxDecode");
        expect(image.contents).toEqual(raw[i]!.data);
      });

      // Rendered back by PDFium at the TIFF's own resolution, each page shows the received pixels.
      const decoded = readTiff(tiff);
      const fine = [];
      for await (const page of renderPdfPages(workerPdfium, pdfBytes, { resolution: "fine", imageConversion: "monochrome", header: null })) fine.push(page);
      expect(agreement(fine[0]!.bitmap, decoded[0]!.bitmap)).toBeGreaterThan(0.999);
      expect(agreement(fine[1]!.bitmap, decoded[1]!.bitmap)).toBeGreaterThan(0.999);

      for (const key of result.previewKeys) {
        const png = await documentStore(env).get(key);
        expect(png?.contentType).toBe("image/png");
        const bytes = await png!.bytes();
        expect(new DataView(bytes.buffer).getUint32(16)).toBe(1728);
      }
      // The standard-resolution page's preview repeats rows: 1100 rows at 98 lpi show as 2200.
      const third = await (await documentStore(env).get(result.previewKeys[2]!))!.bytes();
      expect(new DataView(third.buffer).getUint32(20)).toBe(2200);
    });
  }

  it("refuses a file that is not a TIFF, and one with too many pages", async () => {
    await expect(renderInboundFax(env, "acct_inbound", "fax_in_bad", new TextEncoder().encode("%PDF-1.7 not a tiff"))).rejects.toMatchObject({
      code: "document.unreadable",
    });
    const many = writeTiff(
      Array.from({ length: 201 }, () => ({ bitmap: { width: 1728, height: 8, data: new Uint8Array(216 * 8) }, xResolution: 204, yResolution: 98 })),
      { scheme: "mmr" },
    );
    const error = await renderInboundFax(env, "acct_inbound", "fax_in_many", many).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RenderError);
    expect(error).toMatchObject({ code: "document.too_many_pages" });
  });
});
