/**
 * A PDF encrypted with only an owner password (PDF 1.7 §7.6.3.1: the user password is empty, so any
 * reader opens it; the owner password only guards permissions such as editing) is a document we may fax.
 * pdf-lib cannot decrypt, so PDFium opens it with the empty password and writes a copy without the
 * encryption, which pdf-lib then merges like any other PDF. A PDF that needs a user password stays closed.
 *
 * API reference: https://pdfium.googlesource.com/pdfium/+/refs/heads/main/public/fpdf_save.h and
 * @embedpdf/pdfium's EPDF_RemoveEncryption / PDFiumExt_* file writer.
 */
import type { UnlockedPdf } from "../documents/types";
import { copyIn, FPDF_ERR, heap, type PdfiumHolder } from "./pdfium";

export async function openWithoutPassword(holder: PdfiumHolder, pdf: Uint8Array): Promise<UnlockedPdf> {
  const pdfium = await holder.get();
  const { api } = pdfium;
  const { malloc, free } = pdfium.runtime.wasmExports;
  let dataPtr = 0;
  let doc = 0;
  let writer = 0;
  let out = 0;
  try {
    dataPtr = copyIn(pdfium, pdf);
    if (dataPtr === 0) return { opened: false, reason: "damaged" };
    doc = api.FPDF_LoadMemDocument(dataPtr, pdf.length, "");
    if (doc === 0) {
      const error = api.FPDF_GetLastError();
      return { opened: false, reason: error === FPDF_ERR.PASSWORD || error === FPDF_ERR.SECURITY ? "password" : "damaged" };
    }
    if (!api.EPDF_RemoveEncryption(doc)) return { opened: false, reason: "damaged" };
    writer = api.PDFiumExt_OpenFileWriter();
    if (writer === 0 || !api.PDFiumExt_SaveAsCopy(doc, writer)) return { opened: false, reason: "damaged" };
    const size = api.PDFiumExt_GetFileWriterSize(writer);
    out = malloc(Math.max(1, size));
    if (out === 0 || api.PDFiumExt_GetFileWriterData(writer, out, size) !== size) return { opened: false, reason: "damaged" };
    return { opened: true, bytes: heap(pdfium).slice(out, out + size) };
  } catch {
    // A trap inside PDFium leaves the instance unusable (see PdfiumHolder).
    holder.discard();
    doc = writer = out = dataPtr = 0;
    return { opened: false, reason: "damaged" };
  } finally {
    if (out !== 0) free(out);
    if (writer !== 0) api.PDFiumExt_CloseFileWriter(writer);
    if (doc !== 0) api.FPDF_CloseDocument(doc);
    if (dataPtr !== 0) free(dataPtr);
  }
}
