/** Test pages: deterministic fax-like bitmaps (text-ish runs inside white margins). */
import type { FaxBitmap, FaxPageImage, FaxResolution } from "../../../src/gateway/t30/index.js";

export function testBitmap(seed: number, height: number, width = 1728): FaxBitmap {
  const stride = width / 8;
  const data = new Uint8Array(stride * height);
  let x = seed * 2654435761 >>> 0;
  const rnd = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
  for (let row = 0; row < height; row++) {
    // Bands of "text": a few rows of runs, then white space, as on a typed page.
    if (row % 24 > 14) continue;
    for (let col = 6; col < stride - 6; col++) {
      if (rnd() < 0.22) data[row * stride + col] = rnd() < 0.5 ? 0xff : (rnd() * 256) | 0;
    }
  }
  return { width, height, data };
}

export function testPages(count: number, resolution: FaxResolution, height = resolution === "fine" ? 480 : 240): FaxPageImage[] {
  return Array.from({ length: count }, (_, i) => ({ bitmap: testBitmap(i + 1, height), resolution }));
}
