/**
 * Page previews: 1-bit PNGs (10-20 KiB a page). A standard-resolution page has half as many rows per inch
 * as pels across, so its preview repeats every row: image viewers assume square pixels and would otherwise
 * show it squashed to half its height.
 */
import { bitmapToPng, type Bitmap } from "../../codec";

export function previewPng(bitmap: Bitmap, xResolution: number, yResolution: number): Uint8Array {
  const repeat = Math.max(1, Math.round(xResolution / yResolution));
  if (repeat === 1) return bitmapToPng(bitmap);
  const stride = (bitmap.width + 7) >> 3;
  const data = new Uint8Array(stride * bitmap.height * repeat);
  for (let y = 0; y < bitmap.height; y++) {
    const row = bitmap.data.subarray(y * stride, (y + 1) * stride);
    for (let r = 0; r < repeat; r++) data.set(row, (y * repeat + r) * stride);
  }
  return bitmapToPng({ width: bitmap.width, height: bitmap.height * repeat, data });
}
