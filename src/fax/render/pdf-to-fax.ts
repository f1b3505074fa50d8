/**
 * PDF → TIFF-F, the same in workerd and Node: each page is rendered (./pdf-pages.ts), coded at once and its
 * bitmap dropped; `onPage` sees it in between (previews).
 *
 * Coding: MH (TIFF Compression 3, T.4 one-dimensional, byte-aligned EOLs) by default. It is TIFF Class F's
 * baseline (RFC 2306 §3), so every fax tool reads our files, and it is what a non-ECM T.30 call sends
 * (T.4 §4.1), the lowest common denominator of receivers. MMR (T.6, TIFF Compression 4) makes files 2-4 times
 * smaller on text, but is only sent with ECM and is optional in Class F. Since the gateway decodes and
 * re-codes each page with whatever DCS negotiated anyway, the stored coding only decides file size and
 * interoperability, and a few tens of KiB per page in R2 cost less than a reader that cannot open the file.
 * `scheme: "mmr"` is there for callers who prefer size (the CLI's `--scheme mmr`).
 */
import { encodePage, writeCodedTiff, type CodedTiffPage, type CodingScheme } from "../../codec";
import { renderPdfPages, type PdfRenderOptions, type RenderedFaxPage } from "./pdf-pages";
import type { PdfiumHolder } from "./pdfium";

export interface PdfToFaxOptions extends PdfRenderOptions {
  scheme?: CodingScheme;
  /** Called with each page before its bitmap is dropped. */
  onPage?: (page: RenderedFaxPage) => Promise<void> | void;
}

export interface FaxDocument {
  tiff: Uint8Array;
  pageCount: number;
}

export function codePage(page: RenderedFaxPage, scheme: CodingScheme): CodedTiffPage {
  const data =
    scheme === "mmr"
      ? encodePage(page.bitmap, { scheme: "mmr", rtc: true })
      : encodePage(page.bitmap, { scheme, k: page.yResolution > 150 ? 4 : 2, eol: true, byteAlign: true });
  return { width: page.bitmap.width, height: page.bitmap.height, xResolution: page.xResolution, yResolution: page.yResolution, data };
}

export async function renderPdfToFax(holder: PdfiumHolder, pdf: Uint8Array, opts: PdfToFaxOptions): Promise<FaxDocument> {
  const scheme = opts.scheme ?? "mh";
  const coded: CodedTiffPage[] = [];
  for await (const page of renderPdfPages(holder, pdf, opts)) {
    coded.push(codePage(page, scheme));
    if (opts.onPage) await opts.onPage(page);
  }
  return { tiff: writeCodedTiff(coded, { scheme, byteAlign: true }), pageCount: coded.length };
}
