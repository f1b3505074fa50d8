/**
 * PNG and JPEG documents become one PDF page each: the image fitted inside the page margins,
 * aspect ratio kept, on a landscape page when the image is wider than tall (the renderer rotates
 * landscape pages for the fax machine).
 */
import { PageSizes, type PDFDocument, type PDFImage } from "pdf-lib";
import { documentError } from "./errors";

/** Half an inch: fax machines print nothing in the outer few millimetres (T.4 §2.2 scan width). */
const MARGIN = 36;

/**
 * pdf-lib decodes a PNG fully (RGBA plus separate colour and alpha copies, ~12 bytes per pixel at
 * peak) inside a 128 MiB Worker. 12 MP covers a 300 dpi scan of a Letter or A4 page with room to spare.
 */
export const MAX_PNG_PIXELS = 12_000_000;

/** Width and height from the IHDR chunk (PNG spec §11.2.2), which must come first. */
function pngDimensions(bytes: Uint8Array): { width: number; height: number } | null {
  if (bytes.length < 33) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(bytes[12] ?? 0, bytes[13] ?? 0, bytes[14] ?? 0, bytes[15] ?? 0);
  if (type !== "IHDR") return null;
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * Why a PNG's chunk structure is broken, or null. pdf-lib's decoder neither checks CRCs nor insists
 * on IEND, so a truncated or corrupted file would be faxed as a partly blank image. PNG spec §5.3:
 * every chunk carries a CRC-32 of its type and data; §5.6: IDAT then IEND must be present.
 */
function pngStructureProblem(bytes: Uint8Array): string | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  let sawData = false;
  while (at + 12 <= bytes.length) {
    const length = view.getUint32(at);
    const end = at + 12 + length;
    if (length > 0x7fffffff || end > bytes.length) return "it ends in the middle of a chunk (truncated)";
    let crc = 0xffffffff;
    for (let i = at + 4; i < at + 8 + length; i++) crc = (CRC_TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
    if (((crc ^ 0xffffffff) >>> 0) !== view.getUint32(at + 8 + length)) return "a chunk fails its checksum (corrupted)";
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (type === "IDAT") sawData = true;
    if (type === "IEND") return sawData ? null : "it has no image data";
    at = end;
  }
  return "it has no end marker (truncated)";
}

/**
 * Why a JPEG's marker structure is broken, or null. pdf-lib embeds JPEG data as is (DCTDecode) after
 * reading only the frame header, so a file cut short would be faxed as a partly grey image.
 * ITU-T T.81 Annex B: marker segments up to the first SOS, entropy-coded data in which 0xFF is always
 * followed by 0x00 or a restart marker, and EOI (FF D9) at the end.
 */
function jpegStructureProblem(bytes: Uint8Array): string | null {
  let at = 2;
  let sawFrame = false;
  for (;;) {
    if (at + 4 > bytes.length) return "it ends before its image data (truncated)";
    if (bytes[at] !== 0xff) return "its header segments are damaged";
    const marker = bytes[at + 1] as number;
    if (marker === 0xff) {
      at++; // fill byte, T.81 B.1.1.2
      continue;
    }
    const length = ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
    if (length < 2 || at + 2 + length > bytes.length) return "it ends in the middle of a header segment (truncated)";
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) sawFrame = true;
    at += 2 + length;
    if (marker === 0xda) break;
  }
  if (!sawFrame) return "it has no frame header";
  for (let i = at; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return null;
  }
  return "it has no end-of-image marker (truncated)";
}

export async function addImagePage(
  pdf: PDFDocument,
  bytes: Uint8Array,
  type: "image/png" | "image/jpeg",
  pointer: string,
  label: string,
): Promise<void> {
  let image: PDFImage;
  if (type === "image/png") {
    const size = pngDimensions(bytes);
    if (size === null || size.width === 0 || size.height === 0) {
      throw documentError("document.unreadable", pointer, `${label} is a damaged PNG: its header (IHDR) is missing or empty.`);
    }
    if (size.width * size.height > MAX_PNG_PIXELS) {
      throw documentError(
        "document.too_large",
        pointer,
        `${label} is a ${size.width}×${size.height} PNG; images up to ${MAX_PNG_PIXELS / 1_000_000} megapixels are accepted. Scale it down (300 dpi is plenty for fax) or send it as JPEG or PDF.`,
      );
    }
    const broken = pngStructureProblem(bytes);
    if (broken !== null) throw documentError("document.unreadable", pointer, `${label} is a damaged PNG: ${broken}.`);
    try {
      image = await pdf.embedPng(bytes);
    } catch {
      throw documentError("document.unreadable", pointer, `${label} is a PNG image that could not be decoded; it may be truncated or damaged.`);
    }
  } else {
    const broken = jpegStructureProblem(bytes);
    if (broken !== null) throw documentError("document.unreadable", pointer, `${label} is a damaged JPEG: ${broken}.`);
    try {
      image = await pdf.embedJpg(bytes);
    } catch {
      throw documentError("document.unreadable", pointer, `${label} is a JPEG image that could not be read; it may be truncated or damaged.`);
    }
  }
  if (!(image.width > 0 && image.height > 0)) {
    throw documentError("document.unreadable", pointer, `${label} is an image with no pixels.`);
  }

  const [shortSide, longSide] = PageSizes.Letter;
  const landscape = image.width > image.height;
  const pageWidth = landscape ? longSide : shortSide;
  const pageHeight = landscape ? shortSide : longSide;
  const scale = Math.min((pageWidth - 2 * MARGIN) / image.width, (pageHeight - 2 * MARGIN) / image.height);
  const width = image.width * scale;
  const height = image.height * scale;
  const page = pdf.addPage([pageWidth, pageHeight]);
  page.drawImage(image, { x: (pageWidth - width) / 2, y: (pageHeight - height) / 2, width, height });
}
