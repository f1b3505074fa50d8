/**
 * Received TIFF-F pages, runtime-neutral (workerd and Node): checked against the page limit, embedded as they
 * came into a PDF (src/fax/documents/ccitt-pdf.ts: one CCITTFaxDecode image per page, no re-encoding), and
 * decoded one at a time for previews.
 */
import { PDFDocument } from "pdf-lib";
import { decodePage, readTiffRaw, type TiffRawPage } from "../../codec";
import { addCcittPages } from "../documents/ccitt-pdf";
import { RenderError } from "./errors";
import { previewPng } from "./preview";

/** The received pages as coded data, checked against the page limit. */
export function readReceivedPages(tiffBytes: Uint8Array, maxPages: number): TiffRawPage[] {
  let pages: TiffRawPage[];
  try {
    pages = readTiffRaw(tiffBytes);
  } catch {
    throw new RenderError("document.unreadable", "The received file is not a readable TIFF-F.");
  }
  if (pages.length === 0) throw new RenderError("document.unreadable", "The received TIFF-F has no pages.");
  if (pages.length > maxPages) throw new RenderError("document.too_many_pages", `The received fax has ${pages.length} pages; the limit is ${maxPages}.`);
  return pages;
}

/** The PDF of received pages: each page's coded strip as a CCITTFaxDecode image, at the page's physical size. */
export async function receivedPagesToPdf(pages: readonly TiffRawPage[]): Promise<Uint8Array> {
  const pdf = await PDFDocument.create({ updateMetadata: false });
  pdf.setProducer("edgefax");
  addCcittPages(pdf, pages);
  return pdf.save();
}

/** The preview of a received page, decoded from its coded data. */
export function receivedPagePreview(page: TiffRawPage): Uint8Array {
  const { bitmap } = decodePage(page.data, {
    scheme: page.scheme,
    width: page.width,
    height: page.height,
    byteAlign: page.byteAlign,
    eol: page.eol,
  });
  return previewPng(bitmap, page.xResolution, page.yResolution);
}
