/** Shapes shared by the document intake of `POST /v1/faxes` (see ./assemble.ts). */

export interface IncomingDocument {
  bytes: Uint8Array;
  /** As declared by the client; may be null or wrong: the bytes decide (see ./sniff.ts). */
  contentType: string | null;
  filename?: string;
  /** JSON Pointer or form field name, for error messages, e.g. "/documents/1" or "file[0]". */
  pointer: string;
}

export interface CoverPage {
  to_name?: string;
  from_name?: string;
  subject?: string;
  message?: string;
  /** E.164 numbers, as the route resolved them. */
  to: string;
  from: string;
  /**
   * The page count to print. Leave it out to print the real total of the assembled fax, cover
   * included (normally what you want: only the assembler knows it).
   */
  pageCount?: number;
  date: Date;
}

/** An encrypted PDF opened without a password and saved decrypted, or why it could not be (../render/pdf-unlock.ts). */
export type UnlockedPdf = { opened: true; bytes: Uint8Array } | { opened: false; reason: "password" | "damaged" };
/** Supplied by the caller (PDFium lives in ../render, which depends on this folder, not the other way). */
export type PdfUnlocker = (pdf: Uint8Array) => Promise<UnlockedPdf>;

export interface DocumentLimits {
  maxDocumentBytes: number;
  maxPages: number;
}

export type DocumentType = "application/pdf" | "image/png" | "image/jpeg" | "image/tiff";

export interface AssembledFax {
  pdf: Uint8Array;
  pageCount: number;
}
