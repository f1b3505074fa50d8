/**
 * A second reading of a page, where the model is weakest, merged word by word with the first (issue 14's "never
 * worse than the tesseract CLI"). The packaged model (4.0.0_best_int, which the issue requires) misreads a few
 * glyphs that Debian's tessdata_fast reads ("Nakarnura" for "Nakamura" on a standard page); another preparation
 * of the same page reads those words right but others wrong, and a whole page chosen by its mean confidence is
 * wrong as often as right (bench:ocr, measured). A word chosen by its own confidence is right: where the two
 * readings agree on the page's lines and a line's words, each word is the more confident one's, else the line.
 *
 * The second preparation: on a standard page (rows doubled), the prepared page at twice the size both ways; on a
 * fine page, the page without isolated pixels removed, only if there were any (a clean page would be read the same).
 * At 2× a standard page's second reading costs ~0.6 s of CPU against ~0.4 s for its first. Cheaper ones were
 * measured on standard forms 1-8 and each left pages worse than the CLI: the page at 1.5× (306 dpi, ~0.47 s) 3 of
 * 8, the rows-doubled page with its isolated pixels kept or read in segmentation mode 6 (~0.35 s) 2 of 8; reading
 * it twice only when the first reading has a weak word would spare 2 pages of 14. So it stays at 2×.
 */
import type { Bitmap } from "../../codec/node";

export interface ReadWord {
  text: string;
  confidence: number;
}

export interface ReadLine {
  words: ReadWord[];
  confidence: number;
  /** The line ends its paragraph (a blank line follows it in the text). */
  paragraphEnd: boolean;
}

export interface DetailedReading {
  text: string;
  /** 0-100: the mean word confidence. */
  confidence: number;
  lines: ReadLine[];
}

export interface Preparation {
  bitmap: Bitmap;
  /** The dpi across the prepared bitmap, for the engine's sizing. */
  dpi: number;
}

/** Each pixel as a 2×2 block. */
export function doubledBothWays(b: Bitmap): Bitmap {
  const stride = (b.width + 7) >> 3;
  const width = b.width * 2;
  const outStride = (width + 7) >> 3;
  const data = new Uint8Array(outStride * b.height * 2);
  for (let y = 0; y < b.height; y++) {
    const row = data.subarray(2 * y * outStride, (2 * y + 1) * outStride);
    for (let x = 0; x < b.width; x++) {
      if (((b.data[y * stride + (x >> 3)]! >> (7 - (x & 7))) & 1) === 0) continue;
      row[(2 * x) >> 3]! |= 0xc0 >> ((2 * x) & 7);
    }
    data.copyWithin((2 * y + 1) * outStride, 2 * y * outStride, (2 * y + 1) * outStride);
  }
  return { width, height: b.height * 2, data };
}

function sameBitmap(a: Bitmap, b: Bitmap): boolean {
  if (a.width !== b.width || a.height !== b.height || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

/**
 * The page's second preparation, or null when it would show the engine nothing new. `page` is the bitmap as
 * received, `prepared` the first preparation (isolated pixels removed, square pixels) at `dpi` across.
 */
export function secondPreparation(page: { bitmap: Bitmap; xResolution: number; yResolution: number }, prepared: Bitmap, dpi: number): Preparation | null {
  if (prepared.height !== page.bitmap.height) return { bitmap: doubledBothWays(prepared), dpi: dpi * 2 };
  return sameBitmap(page.bitmap, prepared) ? null : { bitmap: page.bitmap, dpi };
}

const lineText = (line: ReadLine) => line.words.map((w) => w.text).join(" ");

/** The two readings merged word by word, each word the more confident reading's (see above); `first` where they do not line up. */
export function combineReadings(first: DetailedReading, second: DetailedReading): DetailedReading {
  if (first.lines.length !== second.lines.length) return first;
  let changed = false;
  const lines = first.lines.map((line, i): ReadLine => {
    const other = second.lines[i]!;
    if (line.words.length !== other.words.length) {
      if (other.confidence <= line.confidence || lineText(other) === lineText(line)) return line;
      changed = true;
      return { ...other, paragraphEnd: line.paragraphEnd };
    }
    const words = line.words.map((word, j) => {
      const alternative = other.words[j]!;
      if (alternative.confidence <= word.confidence || alternative.text === word.text) return word;
      changed = true;
      return alternative;
    });
    return { ...line, words };
  });
  if (!changed) return first;
  const words = lines.flatMap((l) => l.words);
  const confidence = words.length ? words.reduce((sum, w) => sum + w.confidence, 0) / words.length : first.confidence;
  const text = lines.map((l) => lineText(l) + (l.paragraphEnd ? "\n" : "")).join("\n").trim();
  return { text, confidence, lines };
}
