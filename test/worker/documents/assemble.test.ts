import { PDFDocument, PDFName } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { assembleFaxDocument, sniffDocumentType, type CoverPage, type IncomingDocument } from "../../../src/fax/documents";
import {
  JPEG_24x12,
  encryptedPdf,
  handPdf,
  makePdf,
  makePng,
  makePngHeaderOnly,
  pageImages,
  pageSize,
  pdfClaimingPages,
  pdfUnderclaimingPages,
  pdfWithCyclicPageTree,
  pdfWithNoPages,
  randomBytes,
  rejection,
  contentOf,
  textOf,
} from "./fixtures";

const LIMITS = { maxDocumentBytes: 1024 * 1024, maxPages: 20 };
const LETTER: [number, number] = [612, 792];
const LETTER_LANDSCAPE: [number, number] = [792, 612];

function doc(bytes: Uint8Array, contentType: string | null, pointer: string, filename?: string): IncomingDocument {
  return { bytes, contentType, pointer, ...(filename ? { filename } : {}) };
}

const COVER: CoverPage = {
  to: "+15550100001",
  from: "+15557010001",
  to_name: "Dr. Ada Lovelace",
  from_name: "Front Desk",
  subject: "Referral for Mrs. Zoë Ølsen",
  message: "Please find the referral attached.\n\nCall us back at +1 555 701 0001 if pages are missing.",
  date: new Date("2026-04-26T14:05:00Z"),
};

describe("sniffDocumentType", () => {
  it("recognises the four types from their first bytes, whatever they are called", async () => {
    expect(sniffDocumentType(await makePdf(1, LETTER))).toBe("application/pdf");
    expect(sniffDocumentType(makePng(2, 2))).toBe("image/png");
    expect(sniffDocumentType(JPEG_24x12)).toBe("image/jpeg");
    expect(sniffDocumentType(new Uint8Array([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]))).toBe("image/tiff");
    expect(sniffDocumentType(new Uint8Array([0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8]))).toBe("image/tiff");
    expect(sniffDocumentType(new TextEncoder().encode("GIF89a......"))).toBeNull();
    expect(sniffDocumentType(new Uint8Array(0))).toBeNull();
  });

  it("finds a PDF header behind a little junk, as readers do", () => {
    const bytes = new TextEncoder().encode("\r\n\r\n%PDF-1.4\n");
    expect(sniffDocumentType(bytes)).toBe("application/pdf");
  });
});

describe("assembleFaxDocument: merging", () => {
  it("merges 2 PDFs, a PNG and a JPEG in order, with the exact page count", async () => {
    const a = await makePdf(2, [300, 400]);
    const b = await makePdf(3, [500, 600]);
    const result = await assembleFaxDocument(
      [
        doc(a, "application/pdf", "/documents/0"),
        doc(b, "application/pdf", "/documents/1"),
        doc(makePng(40, 60, [0, 0, 0]), "image/png", "/documents/2"),
        doc(JPEG_24x12, "image/jpeg", "/documents/3"),
      ],
      undefined,
      LIMITS,
    );
    expect(result.pageCount).toBe(7);
    const out = await PDFDocument.load(result.pdf);
    expect(out.getPageCount()).toBe(7);
    const sizes = out.getPages().map((_, i) => pageSize(out, i));
    expect(sizes).toEqual([[300, 400], [300, 400], [500, 600], [500, 600], [500, 600], LETTER, LETTER_LANDSCAPE]);
    // The image pages each draw exactly one image: the PNG (portrait) and the JPEG (DCTDecode, landscape).
    expect(pageImages(out, 5)).toHaveLength(1);
    const jpeg = pageImages(out, 6);
    expect(jpeg).toHaveLength(1);
    expect(jpeg[0]?.dict.get(PDFName.of("Filter"))).toBe(PDFName.of("DCTDecode"));
  });

  it("fits an image inside the margins keeping its aspect ratio", async () => {
    const result = await assembleFaxDocument([doc(makePng(200, 100), "image/png", "file[0]")], undefined, LIMITS);
    const out = await PDFDocument.load(result.pdf);
    expect(pageSize(out, 0)).toEqual(LETTER_LANDSCAPE);
    const content = contentOf(out, 0);
    // 792 - 2*36 = 720 wide; 720/200 = 3.6, so the image is 720×360, centred: x = 36, y = (612-360)/2 = 126.
    expect(content).toMatch(/1 0 0 1 36 126 cm/);
    expect(content).toMatch(/720 0 0 360 0 0 cm/);
  });

  it("believes the bytes over a wrong declared type", async () => {
    const result = await assembleFaxDocument(
      [doc(makePng(10, 10), "application/pdf", "/documents/0"), doc(await makePdf(1, [200, 200]), "image/jpeg", "/documents/1")],
      undefined,
      LIMITS,
    );
    expect(result.pageCount).toBe(2);
    const out = await PDFDocument.load(result.pdf);
    expect(pageSize(out, 0)).toEqual(LETTER);
    expect(pageSize(out, 1)).toEqual([200, 200]);
  });

  it("accepts a document whose type was not declared at all", async () => {
    const result = await assembleFaxDocument([doc(JPEG_24x12, null, "file[0]")], undefined, LIMITS);
    expect(result.pageCount).toBe(1);
  });
});

describe("assembleFaxDocument: cover page", () => {
  it("is the whole fax when there are no documents", async () => {
    const result = await assembleFaxDocument([], COVER, LIMITS);
    expect(result.pageCount).toBe(1);
    const out = await PDFDocument.load(result.pdf);
    expect(pageSize(out, 0)).toEqual(LETTER);
    const text = textOf(out, 0);
    expect(text).toContain("FAX");
    expect(text).toContain("Dr. Ada Lovelace");
    expect(text).toContain("+1 555 010 0001");
    expect(text).toContain("Front Desk");
    expect(text).toContain("+1 555 701 0001");
    expect(text).toContain("Sunday, 26 April 2026, 14:05 UTC");
    expect(text).toContain("Referral for Mrs. Zo\u00eb \u00d8lsen");
    expect(text).toContain("1 (including this cover)");
    expect(text).toContain("Please find the referral attached.");
  });

  it("comes first and counts itself in the page total", async () => {
    const result = await assembleFaxDocument(
      [doc(await makePdf(2, [300, 400]), "application/pdf", "/documents/0"), doc(JPEG_24x12, "image/jpeg", "/documents/1")],
      COVER,
      LIMITS,
    );
    expect(result.pageCount).toBe(4);
    const out = await PDFDocument.load(result.pdf);
    expect(out.getPages().map((_, i) => pageSize(out, i))).toEqual([LETTER, [300, 400], [300, 400], LETTER_LANDSCAPE]);
    expect(textOf(out, 0)).toContain("4 (including this cover)");
  });

  it("wraps a long message and continues it on another cover page, counted", async () => {
    const paragraph = "The quick brown fox jumps over the lazy dog. ".repeat(12);
    const message = Array.from({ length: 12 }, () => paragraph).join("\n");
    const result = await assembleFaxDocument([doc(JPEG_24x12, null, "file[0]")], { ...COVER, message }, LIMITS);
    expect(result.pageCount).toBeGreaterThanOrEqual(3);
    const out = await PDFDocument.load(result.pdf);
    const first = textOf(out, 0);
    expect(first).toContain(`${result.pageCount} (including this cover)`);
    expect(textOf(out, 1)).toContain("FAX (continued)");
    // Every wrapped line fits: no line longer than the 504 pt text width at 14 pt Helvetica allows (~100 chars).
    for (const line of first.split("\n")) expect(line.length).toBeLessThan(100);
  });

  it("replaces characters Helvetica cannot encode instead of failing", async () => {
    const result = await assembleFaxDocument([], { ...COVER, to_name: "\u674e\u96f7 Łukasz", message: "Grüße 😀 Ő" }, LIMITS);
    const text = textOf(await PDFDocument.load(result.pdf), 0);
    expect(text).toContain("?? ?ukasz");
    expect(text).toContain("Gr\u00fc\u00dfe ? O");
  });

  it("refuses a request with neither documents nor a cover page", async () => {
    await rejection(assembleFaxDocument([], undefined, LIMITS), "fax.document.missing");
  });
});

describe("assembleFaxDocument: damaged and unsupported documents", () => {
  it("refuses a truncated PDF as unreadable, naming the document", async () => {
    const full = await makePdf(3, LETTER);
    const error = await rejection(
      assembleFaxDocument([doc(full, "application/pdf", "/documents/0"), doc(full.subarray(0, Math.floor(full.length / 2)), "application/pdf", "/documents/1", "scan.pdf")], undefined, LIMITS),
      "document.unreadable",
      "/documents/1",
    );
    expect(error.detail).toContain("scan.pdf");
    expect(error.detail).toMatch(/truncated/);
  });

  it("refuses random bytes labelled as PDF as unreadable", async () => {
    const error = await rejection(assembleFaxDocument([doc(randomBytes(4096), "application/pdf", "/documents/0")], undefined, LIMITS), "document.unreadable", "/documents/0");
    expect(error.detail).toMatch(/not a PDF/);
  });

  it("refuses random bytes behind a PDF header as unreadable", async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode("%PDF-1.7\n"), ...randomBytes(4096, 7), ...new TextEncoder().encode("\n%%EOF\n")]);
    await rejection(assembleFaxDocument([doc(bytes, "application/pdf", "file[0]")], undefined, LIMITS), "document.unreadable", "file[0]");
  });

  it("refuses an encrypted PDF, saying so", async () => {
    const error = await rejection(assembleFaxDocument([doc(encryptedPdf(), "application/pdf", "/documents/0")], undefined, LIMITS), "document.unreadable", "/documents/0");
    expect(error.detail).toMatch(/encrypted|password/);
  });

  it("refuses a PDF with no pages, and one whose page tree loops", async () => {
    const empty = await rejection(assembleFaxDocument([doc(pdfWithNoPages(), "application/pdf", "/documents/0")], undefined, LIMITS), "document.unreadable");
    expect(empty.detail).toMatch(/no pages/);
    const loop = await rejection(assembleFaxDocument([doc(pdfWithCyclicPageTree(), "application/pdf", "/documents/0")], undefined, LIMITS), "document.unreadable");
    expect(loop.detail).toMatch(/loops/);
  });

  it("refuses a page whose content points at an object that is not in the file", async () => {
    const bytes = handPdf(
      ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 9 0 R >>"],
      "/Root 1 0 R",
    );
    await rejection(assembleFaxDocument([doc(bytes, "application/pdf", "/documents/0")], undefined, LIMITS), "document.unreadable");
  });

  it("refuses a GIF as unsupported, whatever it is labelled", async () => {
    const gif = new Uint8Array([...new TextEncoder().encode("GIF89a"), 1, 0, 1, 0, 0, 0, 0, 0x3b]);
    const asGif = await rejection(assembleFaxDocument([doc(gif, "image/gif", "/documents/0")], undefined, LIMITS), "document.unsupported_type", "/documents/0");
    expect(asGif.detail).toContain("GIF");
    const asPdf = await rejection(assembleFaxDocument([doc(gif, "application/pdf", "/documents/0")], undefined, LIMITS), "document.unsupported_type");
    expect(asPdf.detail).toContain("declared as application/pdf");
  });

  it("refuses unknown bytes of an unknown type as unsupported", async () => {
    await rejection(assembleFaxDocument([doc(new TextEncoder().encode("hello, fax"), "text/plain", "file[1]")], undefined, LIMITS), "document.unsupported_type", "file[1]");
  });

  it("refuses a damaged PNG and a damaged JPEG as unreadable", async () => {
    const png = makePng(30, 30);
    await rejection(assembleFaxDocument([doc(png.subarray(0, 40), "image/png", "/documents/0")], undefined, LIMITS), "document.unreadable");
    const corrupted = png.slice();
    corrupted[50] = (corrupted[50] as number) ^ 0xff;
    expect((await rejection(assembleFaxDocument([doc(corrupted, "image/png", "/documents/0")], undefined, LIMITS), "document.unreadable")).detail).toMatch(/checksum/);
    for (const cut of [100, 300, JPEG_24x12.length - 2]) {
      await rejection(assembleFaxDocument([doc(JPEG_24x12.subarray(0, cut), "image/jpeg", "/documents/0")], undefined, LIMITS), "document.unreadable");
    }
  });
});

describe("assembleFaxDocument: limits", () => {
  it("refuses a document over maxDocumentBytes before reading it", async () => {
    const error = await rejection(
      assembleFaxDocument([doc(makePng(4, 4), "image/png", "/documents/0"), doc(new Uint8Array(2048), "application/pdf", "/documents/1")], undefined, { maxDocumentBytes: 1024, maxPages: 10 }),
      "document.too_large",
      "/documents/1",
    );
    expect(error.detail).toContain("2 KiB");
    expect(error.detail).toContain("1 KiB");
  });

  it("fails fast on a PDF whose page tree claims 10,000 pages", async () => {
    const started = Date.now();
    const error = await rejection(assembleFaxDocument([doc(pdfClaimingPages(10_000), "application/pdf", "/documents/0")], undefined, LIMITS), "document.too_many_pages", "/documents/0");
    expect(error.detail).toContain("10000");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("counts real pages when /Count understates them", async () => {
    await rejection(assembleFaxDocument([doc(pdfUnderclaimingPages(6), "application/pdf", "/documents/0")], undefined, { ...LIMITS, maxPages: 5 }), "document.too_many_pages");
    const ok = await assembleFaxDocument([doc(pdfUnderclaimingPages(5), "application/pdf", "/documents/0")], undefined, { ...LIMITS, maxPages: 5 });
    expect(ok.pageCount).toBe(5);
  });

  it("counts the total over all documents and the cover against maxPages", async () => {
    const three = await makePdf(3, LETTER);
    const limits = { ...LIMITS, maxPages: 6 };
    const exact = await assembleFaxDocument([doc(three, "application/pdf", "/documents/0"), doc(makePng(5, 5), "image/png", "/documents/1")], COVER, limits);
    expect(exact.pageCount).toBe(5);
    await rejection(
      assembleFaxDocument([doc(three, "application/pdf", "/documents/0"), doc(three, "application/pdf", "/documents/1")], COVER, limits),
      "document.too_many_pages",
      "/documents/1",
    );
    await rejection(
      assembleFaxDocument([doc(three, "application/pdf", "/documents/0"), doc(three, "application/pdf", "/documents/1"), doc(JPEG_24x12, "image/jpeg", "/documents/2")], undefined, limits),
      "document.too_many_pages",
      "/documents/2",
    );
  });

  it("refuses a PNG whose header promises more pixels than a Worker can decode", async () => {
    const error = await rejection(assembleFaxDocument([doc(makePngHeaderOnly(20_000, 20_000), "image/png", "/documents/0")], undefined, LIMITS), "document.too_large");
    expect(error.detail).toContain("20000×20000");
  });
});
