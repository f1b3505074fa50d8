/**
 * The bytes decide a document's type, never the declared Content-Type: clients mislabel files
 * (application/octet-stream, image/jpg for a PNG), and a wrong label must not reach pdf-lib.
 */
import type { DocumentType } from "./types";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  if (bytes.length < at + prefix.length) return false;
  return prefix.every((b, i) => bytes[at + i] === b);
}

function ascii(text: string): number[] {
  return Array.from(text, (c) => c.charCodeAt(0));
}

const PDF_HEADER = ascii("%PDF-");

/**
 * Offset of "%PDF-" when it occurs in the first 1024 bytes, else -1. PDF 1.7 (ISO 32000-1)
 * Annex H.3 note 13: readers accept the header anywhere in the first 1024 bytes, and files with a
 * few bytes of junk before it (mail gateways, some scanners) exist.
 */
export function pdfHeaderOffset(bytes: Uint8Array): number {
  const end = Math.min(bytes.length - PDF_HEADER.length, 1024);
  for (let i = 0; i <= end; i++) {
    if (bytes[i] === 0x25 && startsWith(bytes, PDF_HEADER, i)) return i;
  }
  return -1;
}

/** Sniffs the real type from magic bytes: %PDF-, PNG signature, JPEG SOI, TIFF II*\0/MM\0*. */
export function sniffDocumentType(bytes: Uint8Array): DocumentType | null {
  if (startsWith(bytes, PNG_SIGNATURE)) return "image/png";
  // JPEG: SOI (FF D8) followed by a marker (FF), ITU-T T.81 Annex B.1.1.
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  // TIFF 6.0 §2 image file header: byte order then 42 in that order.
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return "image/tiff";
  if (pdfHeaderOffset(bytes) >= 0) return "application/pdf";
  return null;
}

/** Formats people try to fax that we do not take, named so the error can say what the file is. */
export function describeOtherFormat(bytes: Uint8Array): string | null {
  if (startsWith(bytes, ascii("GIF87a")) || startsWith(bytes, ascii("GIF89a"))) return "a GIF image";
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return "a WebP image";
  if (startsWith(bytes, ascii("ftyp"), 4)) return "an HEIC/AVIF image or video";
  if (startsWith(bytes, ascii("BM")) && bytes.length > 14) return "a BMP image";
  if (startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])) return "a BigTIFF image";
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return "a ZIP archive (Word, Excel and OpenDocument files are ZIPs)";
  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0])) return "a legacy Microsoft Office document";
  if (startsWith(bytes, ascii("%!PS"))) return "a PostScript file";
  if (startsWith(bytes, ascii("{\\rtf"))) return "an RTF document";
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart().toLowerCase();
  if (head.startsWith("<!doctype html") || head.startsWith("<html")) return "an HTML page";
  return null;
}

const ALIASES: Record<string, DocumentType> = {
  "application/pdf": "application/pdf",
  "application/x-pdf": "application/pdf",
  "image/png": "image/png",
  "image/jpeg": "image/jpeg",
  "image/jpg": "image/jpeg",
  "image/pjpeg": "image/jpeg",
  "image/tiff": "image/tiff",
  "image/tif": "image/tiff",
  "image/tiff-fx": "image/tiff",
};

/** The declared media type reduced to one of ours (RFC 9110 §8.3.1: case-insensitive, parameters dropped). */
export function declaredDocumentType(contentType: string | null): DocumentType | null {
  if (contentType === null) return null;
  const essence = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  return ALIASES[essence] ?? null;
}
