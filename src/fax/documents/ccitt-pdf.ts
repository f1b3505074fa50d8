/**
 * Fax pages into PDF without re-encoding: each page's T.4/T.6 coded data becomes an image XObject
 * with the CCITTFaxDecode filter (PDF 1.7 §7.4.6, parameters in Table 11), drawn at the page's
 * physical size. Used for TIFF documents sent by clients and, later, for the PDF of inbound faxes
 * ("CCITT pages embedded as they came", docs/architecture.md).
 */
import {
  PDFDocument,
  PDFName,
  concatTransformationMatrix,
  drawObject,
  popGraphicsState,
  pushGraphicsState,
} from "pdf-lib";

/** The shape of the codec's `TiffRawPage` (src/codec): coded strips of one page, MSB-first bit order. */
export interface CcittPage {
  width: number;
  height: number;
  /** dpi across; TIFF-F uses 204 (or 200). */
  xResolution: number;
  /** lines per inch; TIFF-F uses 98, 196 or 391. */
  yResolution: number;
  scheme: "mh" | "mr" | "mmr";
  /** Rows start on byte boundaries (TIFF Compression 2, or byte-aligned EOLs). */
  byteAlign: boolean;
  /** The data carries T.4 EOL codes (TIFF Compression 3). */
  eol?: boolean;
  data: Uint8Array;
}

/** PDF 1.7 Annex C.2: a page side may not exceed 14 400 units (200 in) without /UserUnit. */
const MAX_PAGE_SIDE = 14_400;

/**
 * The /DecodeParms dictionary of PDF 1.7 Table 11 for one page.
 * - K: <0 is pure two-dimensional T.6 (MMR), 0 is one-dimensional T.4 (MH), >0 mixed T.4 2-D (MR).
 *   Decoders read the 1-D/2-D tag bit after each EOL, so the value of a positive K does not matter;
 *   we give T.4 §4.2.1's own choice (2 at standard, 4 at fine resolution).
 * - EncodedByteAlign only when rows are byte aligned *without* EOLs (TIFF Compression 2). With EOLs,
 *   TIFF's alignment (T4Options bit 2) is zero fill *before* each EOL so the EOL ends on a byte boundary
 *   (T.4 §4.1.3), which every decoder skips while looking for the EOL; declaring EncodedByteAlign there
 *   makes pdf.js and PDFium align *before* the EOL and lose lines.
 * - EndOfLine stays false: Table 11 says the filter always accepts EOLs; true would only make a decoder
 *   drop a line whose EOL was lost on a noisy call.
 * - BlackIs1 false: decoded 0 bits are black, which is what DeviceGray shows for 0. The coding itself
 *   says which runs are white (TIFF-F PhotometricInterpretation 0, RFC 2306 §3).
 * - EndOfBlock true (the default, given for clarity): RTC or EOFB ends the data; Rows bounds it if missing.
 */
export function ccittDecodeParms(page: CcittPage): Record<string, number | boolean> {
  const k = page.scheme === "mmr" ? -1 : page.scheme === "mr" ? (page.yResolution > 150 ? 4 : 2) : 0;
  const hasEol = page.scheme === "mmr" ? false : page.eol ?? true;
  return {
    K: k,
    Columns: page.width,
    Rows: page.height,
    BlackIs1: false,
    EncodedByteAlign: page.byteAlign && !hasEol,
    EndOfLine: false,
    EndOfBlock: true,
  };
}

/**
 * Page size in points from the resolution: 1728 pels at 204 dpi is 8.47 in; 1143 rows at 98 lpi is
 * 11.66 in. A missing or absurd resolution falls back to the T.4 §2.1 values, choosing standard or fine
 * vertical resolution from the page's proportions.
 */
export function ccittPageSize(page: CcittPage): { width: number; height: number } {
  const xRes = validResolution(page.xResolution) ?? 204;
  const yRes = validResolution(page.yResolution) ?? (page.height > page.width ? 196 : 98);
  let width = (page.width / xRes) * 72;
  let height = (page.height / yRes) * 72;
  const shrink = Math.min(1, MAX_PAGE_SIDE / width, MAX_PAGE_SIDE / height);
  width *= shrink;
  height *= shrink;
  return { width, height };
}

function validResolution(dpi: number): number | null {
  return Number.isFinite(dpi) && dpi >= 50 && dpi <= 2400 ? dpi : null;
}

/** Appends one PDF page per fax page to `pdf`, each showing the page's coded data as it is. */
export function addCcittPages(pdf: PDFDocument, pages: readonly CcittPage[]): void {
  for (const page of pages) {
    if (!(page.width > 0 && page.height > 0)) throw new RangeError("a fax page needs a width and a height");
    const image = pdf.context.stream(page.data, {
      Type: "XObject",
      Subtype: "Image",
      Width: page.width,
      Height: page.height,
      ColorSpace: "DeviceGray",
      BitsPerComponent: 1,
      Filter: "CCITTFaxDecode",
      DecodeParms: ccittDecodeParms(page),
    });
    const imageRef = pdf.context.register(image);
    const { width, height } = ccittPageSize(page);
    const pdfPage = pdf.addPage([width, height]);
    const name: PDFName = pdfPage.node.newXObject("Fax", imageRef);
    // An image XObject fills the unit square; the matrix stretches it over the whole page (§8.9.4).
    pdfPage.pushOperators(
      pushGraphicsState(),
      concatTransformationMatrix(width, 0, 0, height, 0, 0),
      drawObject(name),
      popGraphicsState(),
    );
  }
}

/** A PDF holding exactly the given fax pages. */
export async function ccittPagesToPdf(pages: readonly CcittPage[]): Promise<Uint8Array> {
  const pdf = await PDFDocument.create({ updateMetadata: false });
  addCcittPages(pdf, pages);
  return pdf.save();
}
