/**
 * Document intake for `POST /v1/faxes`: the documents a client sent (and an optional cover page)
 * become one PDF with an exact page count, or a document.* error naming the document at fault.
 *
 * Order of work is cheapest refusal first: sizes and types for every document before any parsing,
 * then per document its page count before its pages are copied.
 */
import { PDFDocument } from "pdf-lib";
import { ApiError } from "../../errors/api-error";
// The Worker entry of the codec: it loads the WASM module (wrangler CompiledWasm) before first use.
import { CodecError, readTiffRaw } from "../../codec/worker";
import type { TiffRawPage } from "../../codec";
import { addCcittPages } from "./ccitt-pdf";
import { coverPageCount, drawCover, embedCoverFonts, type CoverFonts } from "./cover";
import { documentError, documentLabel, formatBytes } from "./errors";
import { addImagePage } from "./images";
import { loadSourcePdf } from "./pdf";
import { declaredDocumentType, describeOtherFormat, sniffDocumentType } from "./sniff";
import type { AssembledFax, CoverPage, DocumentLimits, DocumentType, IncomingDocument, PdfUnlocker } from "./types";

interface CheckedDocument {
  doc: IncomingDocument;
  type: DocumentType;
  label: string;
}

export async function assembleFaxDocument(
  docs: IncomingDocument[],
  cover: CoverPage | undefined,
  limits: DocumentLimits,
  unlock?: PdfUnlocker,
): Promise<AssembledFax> {
  if (docs.length === 0 && cover === undefined) {
    throw new ApiError("fax.document.missing", { detail: "There is no document and no cover page to send." });
  }
  const checked = docs.map((doc) => checkDocument(doc, limits));

  const merged = await PDFDocument.create({ updateMetadata: false });
  merged.setProducer("edgefax");
  merged.setCreator("edgefax");

  let fonts: CoverFonts | undefined;
  let coverPages = 0;
  if (cover !== undefined) {
    fonts = await embedCoverFonts(merged);
    coverPages = coverPageCount(cover, fonts);
  }
  let pagesUsed = coverPages;
  if (pagesUsed > limits.maxPages) {
    throw documentError("document.too_many_pages", "/cover_page/message", `The cover page message needs ${coverPages} pages; the fax limit is ${limits.maxPages}. Shorten the message or send it as a document.`);
  }

  for (const item of checked) {
    const pagesLeft = limits.maxPages - pagesUsed;
    try {
      pagesUsed += await addDocument(merged, item, pagesLeft, unlock);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      // pdf-lib and the codec throw plain errors on input they cannot follow; that is a bad document, not a bug of ours.
      throw documentError("document.unreadable", item.doc.pointer, `${item.label} could not be read: it appears to be damaged.`);
    }
  }

  if (cover !== undefined && fonts !== undefined) drawCover(merged, cover, fonts, pagesUsed);

  const pageCount = merged.getPageCount();
  if (pageCount !== pagesUsed) {
    // The per-document counts are the page-tree walk's; pdf-lib disagreeing means a tree we misjudged.
    throw new ApiError("document.unreadable", { detail: "The documents' page trees could not be merged consistently." });
  }
  let pdf: Uint8Array;
  try {
    pdf = await merged.save({ useObjectStreams: true });
  } catch {
    throw new ApiError("document.unreadable", { detail: "The documents could not be combined into one PDF; one of them is damaged." });
  }
  return { pdf, pageCount };
}

/** Size and type, decided from the bytes; no parsing yet. */
function checkDocument(doc: IncomingDocument, limits: DocumentLimits): CheckedDocument {
  const label = documentLabel(doc.pointer, doc.filename);
  if (doc.bytes.length > limits.maxDocumentBytes) {
    throw documentError(
      "document.too_large",
      doc.pointer,
      `${label} is ${formatBytes(doc.bytes.length)}; each document may be at most ${formatBytes(limits.maxDocumentBytes)}.`,
    );
  }
  if (doc.bytes.length === 0) throw documentError("document.unreadable", doc.pointer, `${label} is empty.`);

  const sniffed = sniffDocumentType(doc.bytes);
  if (sniffed !== null) return { doc, type: sniffed, label };

  const declared = declaredDocumentType(doc.contentType);
  const other = describeOtherFormat(doc.bytes);
  if (other !== null) {
    const claim = doc.contentType ? ` (declared as ${doc.contentType})` : "";
    throw documentError("document.unsupported_type", doc.pointer, `${label}${claim} is ${other}. Send PDF, PNG, JPEG or TIFF; convert it to PDF first.`);
  }
  if (declared !== null) {
    throw documentError(
      "document.unreadable",
      doc.pointer,
      `${label} is declared as ${doc.contentType} but its bytes are not ${article(declared)} file (no ${signatureName(declared)} at the start). It may be damaged or mislabelled.`,
    );
  }
  const claim = doc.contentType ? `declared as ${doc.contentType} and ` : "";
  throw documentError(
    "document.unsupported_type",
    doc.pointer,
    `${label} is ${claim}not a PDF, PNG, JPEG or TIFF file, judging by its first bytes. Convert it to PDF first.`,
  );
}

async function addDocument(merged: PDFDocument, item: CheckedDocument, pagesLeft: number, unlock: PdfUnlocker | undefined): Promise<number> {
  const { doc, type, label } = item;
  const tooMany = (count: number) =>
    documentError("document.too_many_pages", doc.pointer, `${label} has ${count} pages, which takes the fax past its limit (${pagesLeft} pages left for this document).`);

  switch (type) {
    case "application/pdf": {
      const source = await loadSourcePdf(doc.bytes, doc.pointer, label, pagesLeft, unlock);
      const copied = await merged.copyPages(source.doc, source.doc.getPageIndices());
      if (copied.length !== source.pageCount) {
        throw documentError("document.unreadable", doc.pointer, `${label} is a damaged PDF: its page tree is inconsistent.`);
      }
      for (const page of copied) merged.addPage(page);
      return copied.length;
    }
    case "image/png":
    case "image/jpeg":
      if (pagesLeft < 1) throw tooMany(1);
      await addImagePage(merged, doc.bytes, type, doc.pointer, label);
      return 1;
    case "image/tiff": {
      const pages = readFaxTiff(doc.bytes, doc.pointer, label);
      if (pages.length === 0) throw documentError("document.unreadable", doc.pointer, `${label} is a TIFF with no pages.`);
      if (pages.length > pagesLeft) throw tooMany(pages.length);
      addCcittPages(merged, pages);
      return pages.length;
    }
  }
}

function readFaxTiff(bytes: Uint8Array, pointer: string, label: string): TiffRawPage[] {
  try {
    return readTiffRaw(bytes);
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
    switch (err.code) {
      case "tiff.unsupported":
        throw documentError(
          "document.unsupported_type",
          pointer,
          `${label} is a TIFF that is not a black-and-white fax image (${err.message}). Send TIFFs compressed with CCITT G3 or G4, or convert the file to PDF.`,
        );
      case "tiff.too_large":
      case "codec.too_large":
        throw documentError("document.too_large", pointer, `${label} is a TIFF beyond what a fax can carry (${err.message}).`);
      default:
        throw documentError("document.unreadable", pointer, `${label} is a damaged TIFF (${err.message}).`);
    }
  }
}

function article(type: DocumentType): string {
  return { "application/pdf": "a PDF", "image/png": "a PNG", "image/jpeg": "a JPEG", "image/tiff": "a TIFF" }[type];
}

function signatureName(type: DocumentType): string {
  return {
    "application/pdf": "%PDF- header",
    "image/png": "PNG signature",
    "image/jpeg": "JPEG start-of-image marker",
    "image/tiff": "TIFF byte-order header",
  }[type];
}

/**
 * A stored fax with its cover page drawn again for another recipient (a resend to a new number): the
 * pages of the cover as first drawn (`old`, whose page count the layout gives again) are dropped, and
 * the same cover fields are drawn for `next` in front of the remaining pages.
 */
export async function redrawCover(pdf: Uint8Array, old: CoverPage, next: CoverPage, limits: DocumentLimits): Promise<AssembledFax> {
  const source = await PDFDocument.load(pdf, { updateMetadata: false });
  const oldCoverPages = coverPageCount(old, await embedCoverFonts(await PDFDocument.create()));
  const rest = source.getPageIndices().slice(oldCoverPages);
  if (rest.length === 0) return assembleFaxDocument([], next, limits);
  const body = await PDFDocument.create({ updateMetadata: false });
  for (const page of await body.copyPages(source, rest)) body.addPage(page);
  const bytes = await body.save({ useObjectStreams: true });
  return assembleFaxDocument([{ bytes, contentType: "application/pdf", filename: "original.pdf", pointer: "/resent_from" }], next, limits);
}
