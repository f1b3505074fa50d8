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
    try {
      image = await pdf.embedPng(bytes);
    } catch {
      throw documentError("document.unreadable", pointer, `${label} is a PNG image that could not be decoded; it may be truncated or damaged.`);
    }
  } else {
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
