// TIFF Class F (TIFF 6.0 §8, §10, §11; RFC 2306): multi-page read/write, the variants fax software writes,
// a second independent decoder (utif2) reading what we write, and clear errors for malformed files.
import { describe, expect, it } from "vitest";
import UTIF from "utif2";
import { CodecError, decodePage, encodePage, readTiff, readTiffRaw, writeCodedTiff, writeTiff } from "../../src/codec/index.js";
import type { Bitmap, CodingScheme } from "../../src/codec/index.js";
import { firstDifferentRow, sliceRows, styledBitmap } from "../fixtures/bitmaps.js";
import { getPixel, makePage } from "../fixtures/pages.js";
import { buildTiff, faxTags } from "../fixtures/tiff-builder.js";

const SCHEMES: CodingScheme[] = ["mh", "mr", "mmr"];
const cover = sliceRows(makePage("cover", "fine"), 0, 400);
const photo = sliceRows(makePage("photo", "standard"), 40, 200);
const odd = styledBitmap("shifted", 1001, 77, 11);

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof CodecError ? e.code : `not a CodecError: ${String(e)}`;
  }
  return "no error";
}

function reverse(bytes: Uint8Array): Uint8Array {
  return bytes.map((b) => {
    let r = 0;
    for (let i = 0; i < 8; i++) if (b & (1 << i)) r |= 0x80 >> i;
    return r;
  });
}

describe("writeTiff / readTiff", () => {
  for (const scheme of SCHEMES) {
    it(`${scheme}: multi-page round trip keeps pixels, resolutions and page order`, () => {
      const pages = [
        { bitmap: cover, xResolution: 204, yResolution: 196 },
        { bitmap: photo, xResolution: 204, yResolution: 98 },
        { bitmap: odd, xResolution: 204, yResolution: 392 },
      ];
      const file = writeTiff(pages, { scheme });
      const read = readTiff(file);
      expect(read.map((p) => [p.scheme, p.xResolution, p.yResolution, p.badRows])).toEqual([
        [scheme, 204, 196, 0],
        [scheme, 204, 98, 0],
        [scheme, 204, 392, 0],
      ]);
      read.forEach((p, i) => expect(firstDifferentRow(p.bitmap, (pages[i] as { bitmap: Bitmap }).bitmap)).toBe(-1));
    });

    it(`${scheme}: utif2, an independent decoder, reads our file to identical pixels`, () => {
      const file = writeTiff(
        [
          { bitmap: cover, xResolution: 204, yResolution: 196 },
          { bitmap: odd, xResolution: 204, yResolution: 98 },
        ],
        { scheme },
      );
      const buffer = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
      const ifds = UTIF.decode(buffer);
      expect(ifds.length).toBe(2);
      [cover, odd].forEach((bitmap, i) => {
        const ifd = ifds[i] as UTIF.IFD;
        UTIF.decodeImage(buffer, ifd);
        const rgba = UTIF.toRGBA8(ifd);
        expect([ifd.width, ifd.height]).toEqual([bitmap.width, bitmap.height]);
        let mismatches = 0;
        for (let y = 0; y < bitmap.height; y++) {
          for (let x = 0; x < bitmap.width; x++) {
            const black = (rgba[(y * bitmap.width + x) * 4] as number) < 128 ? 1 : 0;
            if (black !== getPixel(bitmap, x, y)) mismatches++;
          }
        }
        expect(mismatches).toBe(0);
      });
    });
  }

  it("writeCodedTiff files pages as they were coded (T.30 reception: EOLs unaligned, RTC at the end)", () => {
    for (const scheme of SCHEMES) {
      const data = encodePage(odd, { scheme, k: 4, rtc: true, byteAlign: false });
      const file = writeCodedTiff([{ width: odd.width, height: odd.height, xResolution: 204, yResolution: 196, data }], { scheme, byteAlign: false });
      const [page] = readTiff(file);
      expect(page?.badRows).toBe(0);
      expect(firstDifferentRow((page as { bitmap: Bitmap }).bitmap, odd)).toBe(-1);
      expect(readTiffRaw(file)[0]).toMatchObject({ scheme, byteAlign: false, data });
    }
    // writeTiff is writeCodedTiff over encodePage with aligned EOLs
    const aligned = encodePage(cover, { scheme: "mr", k: 4, byteAlign: true });
    expect(writeCodedTiff([{ width: 1728, height: 400, xResolution: 204, yResolution: 196, data: aligned }], { scheme: "mr" })).toEqual(
      writeTiff([{ bitmap: cover, xResolution: 204, yResolution: 196 }], { scheme: "mr" }),
    );
  });

  it("writes the RFC 2306 fax fields libtiff and fax software look for", () => {
    const raw = readTiffRaw(writeTiff([{ bitmap: cover, xResolution: 204, yResolution: 196 }], { scheme: "mr" }));
    expect(raw).toHaveLength(1);
    expect(raw[0]).toMatchObject({ width: 1728, height: 400, scheme: "mr", byteAlign: true, eol: true });
  });
});

describe("reading what other fax software writes", () => {
  const page = styledBitmap("shifted", 1728, 50, 4);
  const strip = (bitmap: Bitmap, scheme: CodingScheme, opts = {}) =>
    encodePage(bitmap, scheme === "mmr" ? { scheme, rtc: true, ...opts } : { scheme, k: 2, byteAlign: true, ...opts });

  it("big-endian files (MM)", () => {
    for (const [scheme, compression, t4] of [["mh", 3, 4], ["mr", 3, 5], ["mmr", 4, 0]] as const) {
      const file = buildTiff([{ tags: faxTags(1728, 50, compression, { 292: [4, [t4]] }), strips: [strip(page, scheme)] }], {
        bigEndian: true,
      });
      const [read] = readTiff(file);
      expect(read?.scheme).toBe(scheme);
      expect(firstDifferentRow((read as { bitmap: Bitmap }).bitmap, page)).toBe(-1);
    }
  });

  it("FillOrder 2 (bits stored LSB first), as many fax modems deliver them", () => {
    const file = buildTiff([{ tags: faxTags(1728, 50, 3, { 266: [3, [2]], 292: [4, [4]] }), strips: [reverse(strip(page, "mh"))] }]);
    expect(firstDifferentRow((readTiff(file)[0] as { bitmap: Bitmap }).bitmap, page)).toBe(-1);
    const [raw] = readTiffRaw(file);
    expect(raw?.data).toEqual(strip(page, "mh"));
  });

  it("several strips per page (RowsPerStrip < ImageLength), each coded on its own", () => {
    for (const scheme of SCHEMES) {
      const strips = [sliceRows(page, 0, 16), sliceRows(page, 16, 32), sliceRows(page, 32, 48), sliceRows(page, 48, 50)].map((b) =>
        strip(b, scheme),
      );
      const compression = scheme === "mmr" ? 4 : 3;
      const file = buildTiff([{ tags: faxTags(1728, 50, compression, { 278: [4, [16]], 292: [4, [scheme === "mr" ? 5 : 4]] }), strips }]);
      const [read] = readTiff(file);
      expect(read?.badRows).toBe(0);
      expect(firstDifferentRow((read as { bitmap: Bitmap }).bitmap, page)).toBe(-1);
      const [raw] = readTiffRaw(file);
      const again = decodePage((raw as { data: Uint8Array }).data, { scheme: raw?.scheme as CodingScheme, width: 1728, height: 50 });
      expect(again.badRows).toBe(0);
      expect(firstDifferentRow(again.bitmap, page)).toBe(-1);
    }
  });

  it("Compression 2 (TIFF 6.0 §10: MH, no EOLs, rows byte aligned)", () => {
    const coded = encodePage(odd, { scheme: "mh", eol: false, byteAlign: true });
    const file = buildTiff([{ tags: faxTags(odd.width, odd.height, 2), strips: [coded] }]);
    const [read] = readTiff(file);
    expect(read?.scheme).toBe("mh");
    expect(firstDifferentRow((read as { bitmap: Bitmap }).bitmap, odd)).toBe(-1);
  });

  it("T4Options without fill bits, BlackIsZero, centimetre resolution, PageNumber order", () => {
    const a = styledBitmap("noise", 1728, 10, 1, 0.1);
    const b = styledBitmap("runs", 1728, 12, 2);
    const inverted = { ...b, data: b.data.map((v) => ~v & 0xff) };
    const file = buildTiff([
      { tags: faxTags(1728, 12, 3, { 262: [3, [1]], 297: [3, [1, 2]], 296: [3, [3]], 282: [5, [8031, 100]], 283: [5, [3850, 100]] }), strips: [encodePage(inverted, { scheme: "mh" })] },
      { tags: faxTags(1728, 10, 3, { 297: [3, [0, 2]] }), strips: [encodePage(a, { scheme: "mh" })] },
    ]);
    const read = readTiff(file);
    expect(firstDifferentRow((read[0] as { bitmap: Bitmap }).bitmap, a)).toBe(-1);
    expect(firstDifferentRow((read[1] as { bitmap: Bitmap }).bitmap, b)).toBe(-1);
    expect(Math.round(read[1]?.xResolution as number)).toBe(204);
    expect(Math.round(read[1]?.yResolution as number)).toBe(98);
  });

  it("a damaged strip gives bad rows, not an exception", () => {
    const coded = strip(page, "mh");
    coded.fill(0xaa, 100, 140);
    const [read] = readTiff(buildTiff([{ tags: faxTags(1728, 50, 3, { 292: [4, [4]] }), strips: [coded] }]));
    expect(read?.bitmap.height).toBe(50);
    expect(read?.badRows).toBeGreaterThan(0);
  });
});

describe("malformed files", () => {
  const good = () => buildTiff([{ tags: faxTags(64, 4, 4), strips: [encodePage(styledBitmap("noise", 64, 4, 1), { scheme: "mmr" })] }]);

  it("not a TIFF, truncated, BigTIFF", () => {
    expect(codeOf(() => readTiff(new Uint8Array(0)))).toBe("tiff.malformed");
    expect(codeOf(() => readTiff(new TextEncoder().encode("%PDF-1.7 hello")))).toBe("tiff.malformed");
    expect(codeOf(() => readTiff(good().subarray(0, 12)))).toBe("tiff.malformed");
    expect(codeOf(() => readTiff(new Uint8Array([0x49, 0x49, 43, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])))).toBe("tiff.unsupported");
  });

  it("an IFD chain that loops", () => {
    const p = { tags: faxTags(64, 4, 4), strips: [encodePage(styledBitmap("noise", 64, 4, 1), { scheme: "mmr" })] };
    expect(codeOf(() => readTiff(buildTiff([p, p], { loopTo: 0 })))).toBe("tiff.malformed");
    expect(codeOf(() => readTiff(buildTiff([p], { loopTo: 0 })))).toBe("tiff.malformed");
  });

  it("offsets outside the file", () => {
    const file = good();
    const view = new DataView(file.buffer);
    view.setUint32(4, file.length + 100, true);
    expect(codeOf(() => readTiff(file))).toBe("tiff.malformed");
    const strip = buildTiff([{ tags: { ...faxTags(64, 4, 4) }, strips: [new Uint8Array(10)] }]);
    // point StripOffsets past the end of the file
    const sv = new DataView(strip.buffer);
    const ifd = sv.getUint32(4, true);
    for (let i = 0; i < sv.getUint16(ifd, true); i++) {
      const e = ifd + 2 + i * 12;
      if (sv.getUint16(e, true) === 273) sv.setUint32(e + 8, 1 << 30, true);
    }
    expect(codeOf(() => readTiff(strip))).toBe("tiff.malformed");
  });

  it("absurd dimensions and missing fields", () => {
    const s = [new Uint8Array(4)];
    expect(codeOf(() => readTiff(buildTiff([{ tags: faxTags(1 << 20, 10, 4), strips: s }])))).toBe("tiff.too_large");
    expect(codeOf(() => readTiff(buildTiff([{ tags: faxTags(1728, 1 << 24, 4), strips: s }])))).toBe("tiff.too_large");
    expect(codeOf(() => readTiff(buildTiff([{ tags: faxTags(0, 10, 4), strips: s }])))).toBe("tiff.malformed");
    const noWidth = faxTags(64, 4, 4);
    delete noWidth[256];
    expect(codeOf(() => readTiff(buildTiff([{ tags: noWidth, strips: s }])))).toBe("tiff.malformed");
    expect(codeOf(() => readTiff(buildTiff([{ tags: faxTags(64, 40, 4, { 278: [4, [4]] }), strips: s }])))).toBe("tiff.malformed");
  });

  it("valid TIFFs that are not fax pages", () => {
    const s = [new Uint8Array(4)];
    expect(codeOf(() => readTiff(buildTiff([{ tags: faxTags(64, 4, 5), strips: s }])))).toBe("tiff.unsupported");
    expect(codeOf(() => readTiff(buildTiff([{ tags: faxTags(64, 4, 4, { 258: [3, [8]] }), strips: s }])))).toBe("tiff.unsupported");
    expect(codeOf(() => readTiff(buildTiff([{ tags: faxTags(64, 4, 3, { 292: [4, [2]] }), strips: s }])))).toBe("tiff.unsupported");
    expect(codeOf(() => readTiff(buildTiff([{ tags: faxTags(64, 4, 4, { 262: [3, [2]] }), strips: s }])))).toBe("tiff.unsupported");
  });

  it("errors are CodecError instances with a message", () => {
    try {
      readTiff(new Uint8Array(3));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CodecError);
      expect(e).toBeInstanceOf(Error);
      expect((e as CodecError).message).toMatch(/TIFF/);
    }
  });
});
