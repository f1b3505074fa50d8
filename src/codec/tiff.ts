/**
 * TIFF Class F: TIFF 6.0 (Adobe, 1992) §2 file structure, §8 baseline fields, §10 (Compression 2) and
 * §11 (CCITT T.4/T.6 compression, Compression 3 and 4), profiled for fax by RFC 2306.
 * https://www.itu.int/itudoc/itu-t/com16/tiff-fx/docs/tiff6.pdf  https://www.rfc-editor.org/rfc/rfc2306
 *
 * The reader accepts what fax software writes: several pages (IFDs), Compression 2/3/4, T4Options and
 * T6Options, FillOrder 1 and 2, one or more strips, either byte order, WhiteIsZero or BlackIsZero. Anything
 * structurally wrong is a CodecError `tiff.malformed`; valid but not fax-like is `tiff.unsupported`; beyond
 * limits.ts is `tiff.too_large`. The writer produces RFC 2306 profile S/F pages, one strip per page.
 */
import { decodeCoded, encodeBitmap, reverseBitOrder, strideOf } from "./engine.js";
import { CodecError } from "./errors.js";
import { MAX_BITMAP_BYTES, MAX_HEIGHT, MAX_PAGES, MAX_WIDTH } from "./limits.js";
import type { Bitmap, CodingScheme, TiffPage, TiffRawPage } from "./types.js";

// TIFF 6.0 tag numbers (Appendix A)
const TAG = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  PhotometricInterpretation: 262,
  FillOrder: 266,
  StripOffsets: 273,
  Orientation: 274,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  XResolution: 282,
  YResolution: 283,
  T4Options: 292,
  T6Options: 293,
  ResolutionUnit: 296,
  PageNumber: 297,
  Software: 305,
} as const;

const TYPE_BYTE = 1;
const TYPE_ASCII = 2;
const TYPE_SHORT = 3;
const TYPE_LONG = 4;
const TYPE_RATIONAL = 5;
/** TIFF 6.0 §2 field type sizes, by type number. */
const TYPE_SIZE = [0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8];

const malformed = (msg: string) => new CodecError("tiff.malformed", `malformed TIFF: ${msg}`);
const unsupported = (msg: string) => new CodecError("tiff.unsupported", `unsupported TIFF: ${msg}`);

interface Field {
  type: number;
  count: number;
  /** Offset of the value bytes in the file (inside the entry when they fit in 4 bytes). */
  at: number;
}

class TiffReader {
  readonly view: DataView;
  readonly little: boolean;
  constructor(readonly bytes: Uint8Array) {
    if (bytes.length < 8) throw malformed("shorter than the 8-byte header");
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const order = this.view.getUint16(0, false);
    if (order === 0x4949) this.little = true;
    else if (order === 0x4d4d) this.little = false;
    else throw malformed("no II/MM byte order mark");
    const magic = this.u16(2);
    if (magic === 43) throw unsupported("BigTIFF");
    if (magic !== 42) throw malformed(`magic number ${magic}, expected 42`);
  }
  u16(at: number): number {
    return this.view.getUint16(at, this.little);
  }
  u32(at: number): number {
    return this.view.getUint32(at, this.little);
  }

  /** The IFD chain (TIFF 6.0 §2 "Image File Directory"), refusing loops and runaway chains. */
  ifds(): Map<number, Field>[] {
    const seen = new Set<number>();
    const out: Map<number, Field>[] = [];
    let offset = this.u32(4);
    if (offset === 0) throw malformed("no image file directory");
    while (offset !== 0) {
      if (seen.has(offset)) throw malformed(`IFD chain loops back to offset ${offset}`);
      seen.add(offset);
      if (out.length >= MAX_PAGES) throw new CodecError("tiff.too_large", `more than ${MAX_PAGES} pages`);
      if (offset + 2 > this.bytes.length) throw malformed(`IFD offset ${offset} outside the file`);
      const count = this.u16(offset);
      const end = offset + 2 + count * 12;
      if (end + 4 > this.bytes.length) throw malformed(`IFD at ${offset} runs past the end of the file`);
      const fields = new Map<number, Field>();
      for (let i = 0; i < count; i++) {
        const e = offset + 2 + i * 12;
        const tag = this.u16(e);
        const type = this.u16(e + 2);
        const n = this.u32(e + 4);
        const size = TYPE_SIZE[type];
        if (size === undefined || size === 0) continue; // unknown types are skipped, per TIFF 6.0 §2
        const bytes = size * n;
        const at = bytes <= 4 ? e + 8 : this.u32(e + 8);
        if (at + bytes > this.bytes.length || bytes > this.bytes.length) {
          throw malformed(`tag ${tag} points outside the file`);
        }
        fields.set(tag, { type, count: n, at });
      }
      out.push(fields);
      offset = this.u32(end);
    }
    return out;
  }

  ints(field: Field, tag: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < field.count; i++) {
      if (field.type === TYPE_SHORT) out.push(this.u16(field.at + i * 2));
      else if (field.type === TYPE_LONG) out.push(this.u32(field.at + i * 4));
      else if (field.type === TYPE_BYTE) out.push(this.bytes[field.at + i] ?? 0);
      else throw malformed(`tag ${tag} has type ${field.type}, expected an integer type`);
    }
    return out;
  }

  number(field: Field, tag: number): number {
    if (field.count < 1) throw malformed(`tag ${tag} has no value`);
    if (field.type === TYPE_RATIONAL) {
      const num = this.u32(field.at);
      const den = this.u32(field.at + 4);
      if (den === 0) throw malformed(`tag ${tag} divides by zero`);
      return num / den;
    }
    const v = this.ints(field, tag)[0];
    return v ?? 0;
  }
}

interface PageLayout {
  width: number;
  height: number;
  compression: number;
  twoDimensional: boolean;
  fillBits: boolean;
  reversed: boolean;
  blackIsZero: boolean;
  xResolution: number;
  yResolution: number;
  pageNumber: number | undefined;
  strips: { data: Uint8Array; rows: number }[];
}

function single(reader: TiffReader, ifd: Map<number, Field>, tag: number, fallback?: number): number {
  const field = ifd.get(tag);
  if (!field) {
    if (fallback === undefined) throw malformed(`required tag ${tag} is missing`);
    return fallback;
  }
  return reader.number(field, tag);
}

function pageLayouts(bytes: Uint8Array): PageLayout[] {
  const reader = new TiffReader(bytes);
  const pages: PageLayout[] = [];
  for (const ifd of reader.ifds()) {
    // TIFF 6.0 §8 NewSubfileType bit 0: a reduced-resolution copy (thumbnail), not a page.
    if ((single(reader, ifd, TAG.NewSubfileType, 0) & 1) !== 0) continue;
    const width = single(reader, ifd, TAG.ImageWidth);
    const height = single(reader, ifd, TAG.ImageLength);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw malformed(`image size ${width} x ${height}`);
    }
    if (width > MAX_WIDTH || height > MAX_HEIGHT || strideOf(width) * height > MAX_BITMAP_BYTES) {
      throw new CodecError("tiff.too_large", `a ${width} x ${height} page exceeds the codec's limits`);
    }
    const bps = single(reader, ifd, TAG.BitsPerSample, 1);
    const spp = single(reader, ifd, TAG.SamplesPerPixel, 1);
    if (bps !== 1 || spp !== 1) throw unsupported(`${spp} samples of ${bps} bits per pixel; fax pages are bilevel`);
    const compression = single(reader, ifd, TAG.Compression, 1);
    if (compression !== 2 && compression !== 3 && compression !== 4) {
      throw unsupported(`Compression ${compression}; fax pages use 2, 3 (T.4) or 4 (T.6)`);
    }
    const photometric = single(reader, ifd, TAG.PhotometricInterpretation, 0);
    if (photometric !== 0 && photometric !== 1) throw unsupported(`PhotometricInterpretation ${photometric}`);
    const fillOrder = single(reader, ifd, TAG.FillOrder, 1);
    if (fillOrder !== 1 && fillOrder !== 2) throw malformed(`FillOrder ${fillOrder}`);
    let twoDimensional = false;
    let fillBits = false;
    if (compression === 3) {
      // TIFF 6.0 §11 T4Options: bit 0 2-D coding, bit 1 uncompressed mode, bit 2 fill bits before EOL.
      const t4 = single(reader, ifd, TAG.T4Options, 0);
      if (t4 & 2) throw unsupported("T4Options uncompressed mode");
      twoDimensional = (t4 & 1) !== 0;
      fillBits = (t4 & 4) !== 0;
    } else if (compression === 4) {
      // TIFF 6.0 §11 T6Options: bit 1 uncompressed mode.
      if (single(reader, ifd, TAG.T6Options, 0) & 2) throw unsupported("T6Options uncompressed mode");
    }
    // TIFF 6.0 §8 ResolutionUnit: 2 = inch (default), 3 = centimetre. RFC 2306 requires inches; convert anyway.
    const unit = single(reader, ifd, TAG.ResolutionUnit, 2);
    const scale = unit === 3 ? 2.54 : 1;
    const xResolution = single(reader, ifd, TAG.XResolution, 204) * scale;
    const yResolution = single(reader, ifd, TAG.YResolution, 196) * scale;

    const rowsPerStripRaw = single(reader, ifd, TAG.RowsPerStrip, 0xffffffff);
    const rowsPerStrip = rowsPerStripRaw < 1 ? height : Math.min(rowsPerStripRaw, height);
    const stripCount = Math.ceil(height / rowsPerStrip);
    const offsetsField = ifd.get(TAG.StripOffsets);
    if (!offsetsField) throw malformed("StripOffsets is missing");
    const offsets = reader.ints(offsetsField, TAG.StripOffsets);
    if (offsets.length < stripCount) throw malformed(`${offsets.length} strip offsets for ${stripCount} strips`);
    const countsField = ifd.get(TAG.StripByteCounts);
    let counts: number[];
    if (countsField) counts = reader.ints(countsField, TAG.StripByteCounts);
    else if (stripCount === 1) counts = [bytes.length - (offsets[0] ?? 0)]; // some writers omit it for one strip
    else throw malformed("StripByteCounts is missing");
    if (counts.length < stripCount) throw malformed(`${counts.length} strip byte counts for ${stripCount} strips`);
    const strips: { data: Uint8Array; rows: number }[] = [];
    for (let i = 0; i < stripCount; i++) {
      const offset = offsets[i] ?? 0;
      const count = counts[i] ?? 0;
      if (offset > bytes.length || offset + count > bytes.length) {
        throw malformed(`strip ${i} (${count} bytes at ${offset}) lies outside the file`);
      }
      const rows = Math.min(rowsPerStrip, height - i * rowsPerStrip);
      strips.push({ data: bytes.subarray(offset, offset + count), rows });
    }
    const pn = ifd.get(TAG.PageNumber);
    const pageNumber = pn && pn.count >= 1 ? reader.ints(pn, TAG.PageNumber)[0] : undefined;
    pages.push({
      width,
      height,
      compression,
      twoDimensional,
      fillBits,
      reversed: fillOrder === 2,
      blackIsZero: photometric === 1,
      xResolution,
      yResolution,
      pageNumber,
      strips,
    });
  }
  if (pages.length === 0) throw malformed("no pages");
  // RFC 2306 §3 lists pages in order; PageNumber, when every page has a distinct one, is authoritative.
  const numbers = pages.map((p) => p.pageNumber);
  if (numbers.every((n) => n !== undefined) && new Set(numbers).size === pages.length) {
    pages.sort((a, b) => (a.pageNumber ?? 0) - (b.pageNumber ?? 0));
  }
  return pages;
}

function schemeOf(page: PageLayout): CodingScheme {
  if (page.compression === 4) return "mmr";
  return page.twoDimensional ? "mr" : "mh";
}

function decodeLayout(page: PageLayout): { bitmap: Bitmap; badRows: number } {
  const stride = strideOf(page.width);
  const scheme = schemeOf(page);
  // TIFF 6.0 §10: Compression 2 has no EOLs and starts every row on a byte boundary.
  const decodeStrip = (strip: { data: Uint8Array; rows: number }) =>
    decodeCoded(page.reversed ? reverseBitOrder(strip.data) : strip.data, {
      scheme,
      width: page.width,
      height: strip.rows,
      eol: page.compression === 3,
      byteAlign: page.compression === 2,
    });
  let data: Uint8Array;
  let badRows = 0;
  if (page.strips.length === 1) {
    const decoded = decodeStrip(page.strips[0] as { data: Uint8Array; rows: number });
    data = decoded.bitmap.data;
    badRows = decoded.badRows;
  } else {
    data = new Uint8Array(stride * page.height);
    let row = 0;
    for (const strip of page.strips) {
      const decoded = decodeStrip(strip);
      data.set(decoded.bitmap.data, row * stride);
      badRows += decoded.badRows;
      row += strip.rows;
    }
  }
  // Fax coding calls runs white and black; with BlackIsZero the stored sample values are the other way round.
  if (page.blackIsZero) invertBitmap(data, page.width, page.height);
  return { bitmap: { width: page.width, height: page.height, data }, badRows };
}

function invertBitmap(data: Uint8Array, width: number, height: number): void {
  const stride = strideOf(width);
  const tailMask = width % 8 === 0 ? 0xff : (0xff << (8 - (width % 8))) & 0xff;
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    for (let x = 0; x < stride; x++) data[row + x] = ~(data[row + x] ?? 0) & 0xff;
    data[row + stride - 1] = (data[row + stride - 1] ?? 0) & tailMask;
  }
}

/** Decodes every page of a TIFF-F file. Damaged rows are repaired and counted in `badRows`, not thrown. */
export function readTiff(bytes: Uint8Array): TiffPage[] {
  return [...decodeTiffPages(bytes)];
}

/**
 * The pages of a TIFF-F file decoded one at a time, as the caller asks for them: a caller that is done with a
 * page before taking the next holds one bitmap, not all (a 200-page fine fax is 93 MB of bitmaps). The file's
 * structure is read and checked first, so a malformed file throws before any page is yielded.
 */
export function* decodeTiffPages(bytes: Uint8Array): Generator<TiffPage> {
  for (const page of pageLayouts(bytes)) {
    const { bitmap, badRows } = decodeLayout(page);
    yield { bitmap, xResolution: page.xResolution, yResolution: page.yResolution, scheme: schemeOf(page), badRows };
  }
}

/** How many pages a TIFF-F file holds, from its structure alone (checked as decodeTiffPages checks it), decoding none. */
export function tiffPageCount(bytes: Uint8Array): number {
  return pageLayouts(bytes).length;
}

/**
 * Each page's coded data as stored, for embedding in a PDF with CCITTFaxDecode (ISO 32000-1 §7.4.6) without
 * re-encoding. Strips are joined where T.4 allows it (every Compression 2/3 strip starts a fresh line, EOLs
 * make fill between them harmless). A page that cannot be passed through (MMR in several strips, each coded
 * against its own white reference line; BlackIsZero) is decoded and re-encoded as one MMR stream.
 */
export function readTiffRaw(bytes: Uint8Array): TiffRawPage[] {
  return pageLayouts(bytes).map((page) => {
    const common = {
      width: page.width,
      height: page.height,
      xResolution: page.xResolution,
      yResolution: page.yResolution,
    };
    if (page.blackIsZero || (page.compression === 4 && page.strips.length > 1)) {
      const { bitmap } = decodeLayout(page);
      const data = encodeBitmap(bitmap, { scheme: "mmr", rtc: true });
      return { ...common, scheme: "mmr" as const, byteAlign: false, eol: false, data };
    }
    const total = page.strips.reduce((n, s) => n + s.data.length, 0);
    let data: Uint8Array = new Uint8Array(total);
    let at = 0;
    for (const strip of page.strips) {
      data.set(strip.data, at);
      at += strip.data.length;
    }
    if (page.reversed) data = reverseBitOrder(data);
    return {
      ...common,
      scheme: schemeOf(page),
      byteAlign: page.compression === 2 || page.fillBits,
      eol: page.compression === 3,
      data,
    };
  });
}

export interface WriteTiffOptions {
  scheme: CodingScheme;
  /** MR only: K (T.4 §4.2.1); default 2 below 150 lines per inch (standard), 4 above (fine, superfine). */
  k?: number;
}

/**
 * Writes a multi-page TIFF Class F file (RFC 2306): little-endian, one strip per page, FillOrder 1,
 * WhiteIsZero, resolution in inches. mh and mr are Compression 3 with EOLs byte aligned (T4Options bit 2,
 * so a damaged line can be found again); mmr is Compression 4 ending in EOFB, as libtiff writes it.
 */
export function writeTiff(
  pages: { bitmap: Bitmap; xResolution: number; yResolution: number }[],
  opts: WriteTiffOptions,
): Uint8Array {
  if (pages.length === 0) throw new CodecError("codec.invalid_argument", "a TIFF needs at least one page");
  if (pages.length > MAX_PAGES) throw new CodecError("tiff.too_large", `more than ${MAX_PAGES} pages`);
  const coded = pages.map((p) => {
    if (p.bitmap.height < 1) throw new CodecError("codec.invalid_argument", "a TIFF page needs at least one row");
    const k = opts.k ?? (p.yResolution < 150 ? 2 : 4);
    const data =
      opts.scheme === "mmr"
        ? encodeBitmap(p.bitmap, { scheme: "mmr", rtc: true })
        : encodeBitmap(p.bitmap, { scheme: opts.scheme, k, eol: true, byteAlign: true });
    return { width: p.bitmap.width, height: p.bitmap.height, xResolution: p.xResolution, yResolution: p.yResolution, data };
  });
  return writeCodedTiff(coded, { scheme: opts.scheme, byteAlign: true });
}

/** A page already coded with T.4/T.6, MSB first (e.g. as received by T.30, or coded page by page while rendering). */
export interface CodedTiffPage {
  width: number;
  height: number;
  xResolution: number;
  yResolution: number;
  /** mh/mr: T.4 with an EOL before each line (an RTC at the end is harmless); mmr: T.6, EOFB optional. */
  data: Uint8Array;
}

/**
 * The same TIFF Class F layout as writeTiff, from pages that are already coded, so a pipeline can code each page
 * as it goes and drop its bitmap, or file received pages without re-encoding. `byteAlign` (default true) says
 * whether mh/mr data has its EOLs byte aligned (T4Options bit 2), as encodePage with byteAlign makes it.
 */
export function writeCodedTiff(pages: CodedTiffPage[], opts: { scheme: CodingScheme; byteAlign?: boolean }): Uint8Array {
  if (pages.length === 0) throw new CodecError("codec.invalid_argument", "a TIFF needs at least one page");
  if (pages.length > MAX_PAGES) throw new CodecError("tiff.too_large", `more than ${MAX_PAGES} pages`);
  for (const p of pages) {
    if (!(p.xResolution > 0) || !(p.yResolution > 0)) {
      throw new CodecError("codec.invalid_argument", "page resolutions must be positive numbers of dpi");
    }
    if (!Number.isInteger(p.width) || !Number.isInteger(p.height) || p.width < 1 || p.height < 1) {
      throw new CodecError("codec.invalid_argument", `page size ${p.width} x ${p.height}`);
    }
  }
  const byteAlign = opts.byteAlign ?? true;
  const ENTRIES = 18;
  const ifdSize = 2 + ENTRIES * 12 + 4;
  const extraSize = 16 + 8; // two RATIONALs, then the Software string
  const software = "edgefax\0";
  let size = 8;
  for (const p of pages) size += p.data.length + (p.data.length & 1) + ifdSize + extraSize;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set([0x49, 0x49]);
  view.setUint16(2, 42, true);
  let at = 8;
  let linkAt = 4; // where the previous IFD's "next IFD" offset goes
  pages.forEach((page, index) => {
    const data = page.data;
    const stripAt = at;
    out.set(data, at);
    at += data.length + (data.length & 1); // IFDs start on a word boundary (TIFF 6.0 §2)
    const ifdAt = at;
    const extraAt = ifdAt + ifdSize;
    view.setUint32(linkAt, ifdAt, true);
    view.setUint16(ifdAt, ENTRIES, true);
    let e = ifdAt + 2;
    const entry = (tag: number, type: number, count: number, value: number) => {
      view.setUint16(e, tag, true);
      view.setUint16(e + 2, type, true);
      view.setUint32(e + 4, count, true);
      if (type === TYPE_SHORT && count === 1) view.setUint16(e + 8, value, true);
      else view.setUint32(e + 8, value, true);
      e += 12;
    };
    const compression = opts.scheme === "mmr" ? 4 : 3;
    // Entries in ascending tag order (TIFF 6.0 §2).
    entry(TAG.NewSubfileType, TYPE_LONG, 1, 2); // bit 1: one page of a multi-page image
    entry(TAG.ImageWidth, TYPE_LONG, 1, page.width);
    entry(TAG.ImageLength, TYPE_LONG, 1, page.height);
    entry(TAG.BitsPerSample, TYPE_SHORT, 1, 1);
    entry(TAG.Compression, TYPE_SHORT, 1, compression);
    entry(TAG.PhotometricInterpretation, TYPE_SHORT, 1, 0); // WhiteIsZero, RFC 2306
    entry(TAG.FillOrder, TYPE_SHORT, 1, 1);
    entry(TAG.StripOffsets, TYPE_LONG, 1, stripAt);
    entry(TAG.Orientation, TYPE_SHORT, 1, 1);
    entry(TAG.SamplesPerPixel, TYPE_SHORT, 1, 1);
    entry(TAG.RowsPerStrip, TYPE_LONG, 1, page.height);
    entry(TAG.StripByteCounts, TYPE_LONG, 1, data.length);
    entry(TAG.XResolution, TYPE_RATIONAL, 1, extraAt);
    entry(TAG.YResolution, TYPE_RATIONAL, 1, extraAt + 8);
    if (compression === 3) entry(TAG.T4Options, TYPE_LONG, 1, (byteAlign ? 4 : 0) | (opts.scheme === "mr" ? 1 : 0));
    else entry(TAG.T6Options, TYPE_LONG, 1, 0);
    entry(TAG.ResolutionUnit, TYPE_SHORT, 1, 2);
    // PageNumber: two SHORTs packed in the value field (page index from 0, total pages).
    view.setUint16(e, TAG.PageNumber, true);
    view.setUint16(e + 2, TYPE_SHORT, true);
    view.setUint32(e + 4, 2, true);
    view.setUint16(e + 8, index, true);
    view.setUint16(e + 10, pages.length, true);
    e += 12;
    entry(TAG.Software, TYPE_ASCII, software.length, extraAt + 16);
    linkAt = e;
    view.setUint32(e, 0, true);
    rational(view, extraAt, page.xResolution);
    rational(view, extraAt + 8, page.yResolution);
    for (let i = 0; i < software.length; i++) out[extraAt + 16 + i] = software.charCodeAt(i);
    at = extraAt + extraSize;
  });
  return out;
}

function rational(view: DataView, at: number, value: number): void {
  // dpi such as 204, 196 or 97.9 fit a denominator of 100 exactly enough for fax
  const den = Number.isInteger(value) ? 1 : 100;
  view.setUint32(at, Math.round(value * den), true);
  view.setUint32(at + 4, den, true);
}
