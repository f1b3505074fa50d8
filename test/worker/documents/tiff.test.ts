import { PDFArray, PDFBool, PDFDict, PDFDocument, PDFName, PDFNumber, PDFRawStream } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { decodePage, readTiffRaw, writeTiff, type Bitmap } from "../../../src/codec/worker";
import { assembleFaxDocument, ccittPagesToPdf } from "../../../src/fax/documents";
import { pageImages, pageSize, rejection } from "./fixtures";

const LIMITS = { maxDocumentBytes: 4 * 1024 * 1024, maxPages: 10 };

/** A fax-width page with a black bar whose position marks the page number. */
function faxPage(rows: number, mark: number): Bitmap {
  const width = 1728;
  const stride = width / 8;
  const data = new Uint8Array(stride * rows);
  const top = 20 + mark * 40;
  for (let y = top; y < top + 30 && y < rows; y++) data.fill(0xff, y * stride + 10, y * stride + 60 + mark * 10);
  return { width, height: rows, data };
}

function decodeParms(image: PDFRawStream): PDFDict {
  return image.dict.lookup(PDFName.of("DecodeParms"), PDFDict);
}

function num(dict: PDFDict, key: string): number {
  return (dict.lookup(PDFName.of(key)) as PDFNumber).asNumber();
}

function bool(dict: PDFDict, key: string): boolean {
  return (dict.lookup(PDFName.of(key)) as PDFBool).asBoolean();
}

describe("TIFF documents", () => {
  it("turns a multi-page G3 (MH) TIFF at standard resolution into one CCITT image page each, at physical size", async () => {
    const tiff = writeTiff(
      [0, 1, 2].map((i) => ({ bitmap: faxPage(1143, i), xResolution: 204, yResolution: 98 })),
      { scheme: "mh" },
    );
    const result = await assembleFaxDocument([{ bytes: tiff, contentType: "image/tiff", pointer: "/documents/0" }], undefined, LIMITS);
    expect(result.pageCount).toBe(3);
    const out = await PDFDocument.load(result.pdf);
    const raw = readTiffRaw(tiff);
    for (let i = 0; i < 3; i++) {
      // 1728 / 204 in = 609.88 pt; 1143 / 98 in = 839.76 pt.
      expect(pageSize(out, i)).toEqual([609.88, 839.76]);
      const [image] = pageImages(out, i);
      expect(image?.dict.lookup(PDFName.of("Filter"))).toBe(PDFName.of("CCITTFaxDecode"));
      const parms = decodeParms(image as PDFRawStream);
      expect(num(parms, "K")).toBe(0);
      expect(num(parms, "Columns")).toBe(1728);
      expect(num(parms, "Rows")).toBe(1143);
      expect(bool(parms, "BlackIs1")).toBe(false);
      // EOLs carry the alignment (T4Options bit 2); EncodedByteAlign would misplace them.
      expect(bool(parms, "EncodedByteAlign")).toBe(false);
      // Embedded as coded, not re-encoded, and it decodes back to the page that was written.
      const contents = (image as PDFRawStream).contents;
      expect(contents).toEqual(raw[i]?.data);
      const decoded = decodePage(contents, { scheme: "mh", width: 1728, height: 1143 });
      expect(decoded.badRows).toBe(0);
      expect(decoded.bitmap.data).toEqual(faxPage(1143, i).data);
    }
  });

  it("embeds G3 2-D (MR) fine pages with K > 0 and G4 (MMR) pages with K = -1", async () => {
    const mr = writeTiff([0, 1].map((i) => ({ bitmap: faxPage(2286, i), xResolution: 204, yResolution: 196 })), { scheme: "mr" });
    const mmr = writeTiff([0, 1].map((i) => ({ bitmap: faxPage(2286, i), xResolution: 204, yResolution: 196 })), { scheme: "mmr" });
    const result = await assembleFaxDocument(
      [
        { bytes: mr, contentType: "image/tiff", pointer: "/documents/0" },
        { bytes: mmr, contentType: null, pointer: "/documents/1" },
      ],
      undefined,
      LIMITS,
    );
    expect(result.pageCount).toBe(4);
    const out = await PDFDocument.load(result.pdf);
    const ks = [0, 1, 2, 3].map((i) => num(decodeParms(pageImages(out, i)[0] as PDFRawStream), "K"));
    expect(ks[0]).toBeGreaterThan(0);
    expect(ks[1]).toBeGreaterThan(0);
    expect(ks.slice(2)).toEqual([-1, -1]);
    // 2286 rows at 196 lpi = 11.66 in.
    expect(pageSize(out, 3)).toEqual([609.88, 839.76]);
    const g4 = pageImages(out, 3)[0] as PDFRawStream;
    const decoded = decodePage(g4.contents, { scheme: "mmr", width: 1728, height: 2286 });
    expect(decoded.bitmap.data).toEqual(faxPage(2286, 1).data);
  });

  it("counts TIFF pages against maxPages", async () => {
    const tiff = writeTiff([0, 1, 2].map((i) => ({ bitmap: faxPage(100, i), xResolution: 204, yResolution: 98 })), { scheme: "mmr" });
    await rejection(
      assembleFaxDocument([{ bytes: tiff, contentType: "image/tiff", pointer: "file[0]" }], undefined, { ...LIMITS, maxPages: 2 }),
      "document.too_many_pages",
      "file[0]",
    );
  });

  it("refuses a TIFF that is not a fax image with a next step, and a damaged one as unreadable", async () => {
    // An uncompressed 8-bit greyscale TIFF: valid, but not CCITT-coded bilevel.
    const grey = new Uint8Array(8 + 2 + 8 * 12 + 4 + 4);
    const v = new DataView(grey.buffer);
    grey.set([0x49, 0x49, 42, 0]);
    v.setUint32(4, 8, true);
    v.setUint16(8, 8, true);
    const entries: [number, number, number][] = [[256, 3, 2], [257, 3, 2], [258, 3, 8], [259, 3, 1], [262, 3, 1], [273, 4, 114], [278, 3, 2], [279, 4, 4]];
    entries.forEach(([tag, type, value], i) => {
      const at = 10 + i * 12;
      v.setUint16(at, tag, true);
      v.setUint16(at + 2, type, true);
      v.setUint32(at + 4, 1, true);
      if (type === 3) v.setUint16(at + 8, value, true);
      else v.setUint32(at + 8, value, true);
    });
    const error = await rejection(assembleFaxDocument([{ bytes: grey, contentType: "image/tiff", pointer: "/documents/0" }], undefined, LIMITS), "document.unsupported_type", "/documents/0");
    expect(error.detail).toMatch(/G3 or G4|convert/);

    const good = writeTiff([{ bitmap: faxPage(100, 0), xResolution: 204, yResolution: 98 }], { scheme: "mh" });
    await rejection(assembleFaxDocument([{ bytes: good.subarray(0, 12), contentType: "image/tiff", pointer: "/documents/0" }], undefined, LIMITS), "document.unreadable");
  });

  it("ccittPagesToPdf builds a PDF straight from the codec's raw pages (the inbound path)", async () => {
    const tiff = writeTiff([0, 1].map((i) => ({ bitmap: faxPage(1143, i), xResolution: 204, yResolution: 98 })), { scheme: "mr" });
    const pdf = await PDFDocument.load(await ccittPagesToPdf(readTiffRaw(tiff)));
    expect(pdf.getPageCount()).toBe(2);
    const image = pageImages(pdf, 1)[0] as PDFRawStream;
    expect(image.dict.lookup(PDFName.of("Width"))).toEqual(PDFNumber.of(1728));
    expect(image.dict.lookup(PDFName.of("ColorSpace"))).toBe(PDFName.of("DeviceGray"));
    expect(image.dict.lookup(PDFName.of("Filter"))).not.toBeInstanceOf(PDFArray);
  });
});
