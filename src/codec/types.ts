/**
 * The codec's public types: coding schemes (T.4, T.6), the 1-bit page bitmap, coding options, and
 * TIFF Class F pages. index.ts re-exports them; the codec's own modules import them from here.
 */
/** T.4 §4.1 one-dimensional (Modified Huffman), T.4 §4.2 two-dimensional (Modified READ), T.6 (MMR). */
export type CodingScheme = "mh" | "mr" | "mmr";

/** 1 bit per pixel, MSB first, 1 = black (the PBM P4 convention), each row padded to a whole byte: stride = ceil(width/8). */
export interface Bitmap {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface EncodeOptions {
  scheme: CodingScheme;
  /** MR: T.4 §4.2.1 parameter K, one 1-D line then K-1 2-D lines; 2 at standard, 4 at fine resolution. Default 2. */
  k?: number;
  /** T.4 §4.1.2 EOL before each line. Default true for mh/mr (MR needs it: the tag bit follows EOL); ignored for mmr. */
  eol?: boolean;
  /**
   * Fill bits so each EOL ends on a byte boundary (TIFF T4Options bit 2; T.4 §4.1.3 fill). Without EOLs (TIFF
   * Compression 2, mh only) it means each row starts on a byte boundary instead.
   */
  byteAlign?: boolean;
  /** Append RTC, six EOLs (T.4 §4.1.4), for a T.30 non-ECM page, or EOFB (T.6 §2.4) for mmr. Default false. */
  rtc?: boolean;
  /** T.30 minimum scan line time expressed in bits at the line rate: fill bits before the next EOL (T.4 §4.1.3). */
  minBitsPerRow?: number;
}

export interface DecodeOptions {
  scheme: CodingScheme;
  width: number;
  /** Rows, if known (TIFF ImageLength). Otherwise decoding runs until RTC / EOFB / the end of data. */
  height?: number;
  /**
   * Only matters for MH without EOLs (TIFF Compression 2): each row starts on a byte boundary. Streams with
   * EOLs decode the same whether or not their EOLs are byte aligned, since fill bits are skipped.
   */
  byteAlign?: boolean;
  /**
   * false: the MH stream has no EOL codes at all (TIFF Compression 2). Default true: EOLs are expected and
   * used to resynchronise after a damaged line, but tolerated when missing (plain MH). Ignored for mmr.
   */
  eol?: boolean;
}

export interface DecodedPage {
  bitmap: Bitmap;
  /**
   * Rows that could not be decoded (bad code, wrong length, truncated data). Each holds a copy of the previous
   * good row (white if none), as fax receivers do; for mh/mr decoding resumes at the next EOL.
   */
  badRows: number;
}

export interface TiffPage {
  bitmap: Bitmap;
  /** dpi; TIFF-F pages are 204 (or 200) across and 98, 196 or 391/392 down. */
  xResolution: number;
  yResolution: number;
  scheme: CodingScheme;
  badRows: number;
}

/** A page's coded strip data, ready for a PDF CCITTFaxDecode filter (MSB-first bit order). */
export interface TiffRawPage {
  width: number;
  height: number;
  xResolution: number;
  yResolution: number;
  scheme: CodingScheme;
  /** Rows begin on byte boundaries (TIFF Compression 2, or EOLs byte aligned): PDF EncodedByteAlign. */
  byteAlign: boolean;
  /** The data carries T.4 EOL codes (Compression 3): PDF EndOfLine. */
  eol: boolean;
  data: Uint8Array;
}
