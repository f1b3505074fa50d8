/**
 * Page previews: 1-bit PNGs (10-20 KiB a page). A standard-resolution page has half as many rows per inch
 * as pels across, so its preview repeats every row: image viewers assume square pixels and would otherwise
 * show it squashed to half its height.
 */
import { bitmapToPng, type Bitmap } from "../../codec";

/** The page with square pixels: each row repeated as often as the page has fewer rows than pels per inch (OCR reads it better too). */
export function squarePixels(bitmap: Bitmap, xResolution: number, yResolution: number): Bitmap {
  const repeat = Math.max(1, Math.round(xResolution / yResolution));
  if (repeat === 1) return bitmap;
  const stride = (bitmap.width + 7) >> 3;
  const data = new Uint8Array(stride * bitmap.height * repeat);
  for (let y = 0; y < bitmap.height; y++) {
    const row = bitmap.data.subarray(y * stride, (y + 1) * stride);
    for (let r = 0; r < repeat; r++) data.set(row, (y * repeat + r) * stride);
  }
  return { width: bitmap.width, height: bitmap.height * repeat, data };
}

export function previewPng(bitmap: Bitmap, xResolution: number, yResolution: number): Uint8Array {
  return bitmapToPng(squarePixels(bitmap, xResolution, yResolution));
}
