/** Helpers for the render suites: PDFs made with pdf-lib, reading what the render step stored in R2. */
import { env } from "cloudflare:test";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { readTiff, type Bitmap, type TiffPage } from "../../../src/codec/worker";
import { faxFileKeys } from "../../../src/fax/render/keys";
import { documentStore } from "../../../src/storage/documents";

export const LETTER: [number, number] = [612, 792];
export const LETTER_LANDSCAPE: [number, number] = [792, 612];

/** A PDF of text pages of the given size. */
export async function textPdf(pages: number, size: [number, number] = LETTER, label = "Document"): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 0; i < pages; i++) {
    const page = doc.addPage(size);
    for (let line = 0; line < 20; line++) {
      page.drawText(`${label} page ${i + 1}, line ${line + 1}: The quick brown fox jumps over the lazy dog.`, { x: 54, y: size[1] - 90 - line * 16, size: 11, font });
    }
  }
  return doc.save();
}

export async function storedTiff(accountId: string, faxId: string): Promise<TiffPage[]> {
  const object = await documentStore(env).get(faxFileKeys(accountId, faxId).tiff);
  if (!object) throw new Error("no fax.tif in R2");
  return readTiff(await object.bytes());
}

export function blackInRows(bitmap: Bitmap, from: number, to: number): number {
  const stride = (bitmap.width + 7) >> 3;
  let black = 0;
  for (let i = from * stride; i < Math.min(to, bitmap.height) * stride; i++) {
    let b = bitmap.data[i] as number;
    while (b) {
      black += b & 1;
      b >>= 1;
    }
  }
  return black;
}

/** Black pels in columns [x0, x1) of rows [y0, y1). */
export function blackInRect(bitmap: Bitmap, x0: number, y0: number, x1: number, y1: number): number {
  const stride = (bitmap.width + 7) >> 3;
  let black = 0;
  for (let y = y0; y < Math.min(y1, bitmap.height); y++) {
    for (let x = x0; x < Math.min(x1, bitmap.width); x++) if ((bitmap.data[y * stride + (x >> 3)] as number) & (0x80 >> (x & 7))) black++;
  }
  return black;
}
