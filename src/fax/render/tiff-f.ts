/**
 * A TIFF Class F file (RFC 2306; TIFF 6.0 §2 layout) from pages that are already coded, so the render
 * pipeline can code each page as it is rendered and drop its bitmap: a 50-page fax holds ~50 coded pages
 * (tens of KiB each) instead of 50 bitmaps (~370 KiB each at fine resolution). The layout is the codec's
 * `writeTiff` one (little-endian, one strip per page, FillOrder 1, WhiteIsZero, byte-aligned EOLs for MH/MR),
 * so `readTiff` and libtiff read it the same way.
 *
 * TODO(codec): this belongs in src/codec/tiff.ts as `writeTiff` over coded pages; move it there when the
 * codec offers it.
 */
import type { CodingScheme } from "../../codec";

export interface CodedFaxPage {
  width: number;
  height: number;
  xResolution: number;
  yResolution: number;
  /** mh/mr: T.4 with byte-aligned EOLs (T4Options bit 2); mmr: T.6 ending in EOFB. */
  data: Uint8Array;
}

const TYPE_SHORT = 3;
const TYPE_LONG = 4;
const TYPE_RATIONAL = 5;
const ENTRIES = 18;
const IFD_SIZE = 2 + ENTRIES * 12 + 4;
const SOFTWARE = "edgefax\0";
const EXTRA_SIZE = 16 + SOFTWARE.length;

export function assembleTiffF(pages: readonly CodedFaxPage[], scheme: CodingScheme): Uint8Array {
  if (pages.length === 0) throw new RangeError("a TIFF needs at least one page");
  let size = 8;
  for (const p of pages) size += p.data.length + (p.data.length & 1) + IFD_SIZE + EXTRA_SIZE;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set([0x49, 0x49]); // "II": little-endian
  view.setUint16(2, 42, true);
  let at = 8;
  let linkAt = 4;
  pages.forEach((page, index) => {
    const stripAt = at;
    out.set(page.data, at);
    at += page.data.length + (page.data.length & 1); // IFDs start on a word boundary
    const ifdAt = at;
    const extraAt = ifdAt + IFD_SIZE;
    view.setUint32(linkAt, ifdAt, true);
    view.setUint16(ifdAt, ENTRIES, true);
    let e = ifdAt + 2;
    const entry = (tag: number, type: number, count: number, value: number, value2?: number) => {
      view.setUint16(e, tag, true);
      view.setUint16(e + 2, type, true);
      view.setUint32(e + 4, count, true);
      if (type === TYPE_SHORT) {
        view.setUint16(e + 8, value, true);
        if (value2 !== undefined) view.setUint16(e + 10, value2, true);
      } else {
        view.setUint32(e + 8, value, true);
      }
      e += 12;
    };
    // Ascending tag order (TIFF 6.0 §2); values as RFC 2306 §3 requires for Class F.
    entry(254, TYPE_LONG, 1, 2); // NewSubfileType: a page of a multi-page document
    entry(256, TYPE_LONG, 1, page.width);
    entry(257, TYPE_LONG, 1, page.height);
    entry(258, TYPE_SHORT, 1, 1); // BitsPerSample
    entry(259, TYPE_SHORT, 1, scheme === "mmr" ? 4 : 3); // Compression: T.4 or T.6
    entry(262, TYPE_SHORT, 1, 0); // PhotometricInterpretation: WhiteIsZero
    entry(266, TYPE_SHORT, 1, 1); // FillOrder: MSB first
    entry(273, TYPE_LONG, 1, stripAt); // StripOffsets
    entry(274, TYPE_SHORT, 1, 1); // Orientation
    entry(277, TYPE_SHORT, 1, 1); // SamplesPerPixel
    entry(278, TYPE_LONG, 1, page.height); // RowsPerStrip
    entry(279, TYPE_LONG, 1, page.data.length); // StripByteCounts
    entry(282, TYPE_RATIONAL, 1, extraAt); // XResolution
    entry(283, TYPE_RATIONAL, 1, extraAt + 8); // YResolution
    if (scheme === "mmr") entry(293, TYPE_LONG, 1, 0); // T6Options
    else entry(292, TYPE_LONG, 1, 4 | (scheme === "mr" ? 1 : 0)); // T4Options: fill bits before EOL, 2-D
    entry(296, TYPE_SHORT, 1, 2); // ResolutionUnit: inch
    entry(297, TYPE_SHORT, 2, index, pages.length); // PageNumber
    entry(305, 2, SOFTWARE.length, extraAt + 16); // Software (ASCII)
    linkAt = e;
    view.setUint32(e, 0, true);
    view.setUint32(extraAt, Math.round(page.xResolution), true);
    view.setUint32(extraAt + 4, 1, true);
    view.setUint32(extraAt + 8, Math.round(page.yResolution), true);
    view.setUint32(extraAt + 12, 1, true);
    for (let i = 0; i < SOFTWARE.length; i++) out[extraAt + 16 + i] = SOFTWARE.charCodeAt(i);
    at = extraAt + EXTRA_SIZE;
  });
  return out;
}
