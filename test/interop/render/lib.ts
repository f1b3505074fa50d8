/** Plumbing for the render interop suite: poppler's pdftoppm and libtiff as independent renderers and readers. */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PDFDict, PDFDocument, PDFName, StandardFonts, type PDFFont } from "pdf-lib";
import { readPbm, type Bitmap } from "../../../src/codec/node.js";

export const WORK = join(tmpdir(), `edgefax-render-interop-${process.pid}`);
mkdirSync(WORK, { recursive: true });

export function workFile(name: string, bytes?: Uint8Array): string {
  const path = join(WORK, name);
  if (bytes) writeFileSync(path, bytes);
  return path;
}

/**
 * Poppler's own 1-bit rendering of one page (`pdftoppm -mono`, no antialiasing), either at a resolution
 * (-rx/-ry) or scaled into an exact box of pels (-scale-to-x/-scale-to-y).
 */
export function popplerMono(pdfPath: string, page: number, size: { rx: number; ry: number } | { width: number; height: number }): Bitmap {
  const out = join(WORK, `poppler-${process.hrtime.bigint()}`);
  const geometry = "rx" in size ? ["-rx", String(size.rx), "-ry", String(size.ry)] : ["-scale-to-x", String(size.width), "-scale-to-y", String(size.height)];
  execFileSync("pdftoppm", ["-mono", "-f", String(page), "-l", String(page), "-singlefile", ...geometry, pdfPath, out]);
  return onlyPage(readPbm(readFileSync(`${out}.pbm`)));
}

export function onlyPage(pages: Bitmap[]): Bitmap {
  if (pages.length !== 1 || !pages[0]) throw new Error(`expected one PBM image, got ${pages.length}`);
  return pages[0];
}

/** The images of a PDF as poppler decodes them (`pdfimages`, written as PBM for 1-bit images), in page order. */
export function popplerImages(pdfPath: string): Bitmap[] {
  const prefix = join(WORK, `images-${process.hrtime.bigint()}`);
  execFileSync("pdfimages", [pdfPath, prefix]);
  const files = readdirSync(WORK)
    .filter((f) => join(WORK, f).startsWith(`${prefix}-`) && f.endsWith(".pbm"))
    .sort();
  return files.map((f) => onlyPage(readPbm(readFileSync(join(WORK, f)))));
}

/** One pel per k × k block (its centre): undoes an integer upscale. */
export function sampleBlocks(b: Bitmap, k: number): Bitmap {
  const width = Math.floor(b.width / k);
  const height = Math.floor(b.height / k);
  const stride = (width + 7) >> 3;
  const data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) if (pel(b, x * k + (k >> 1), y * k + (k >> 1))) data[y * stride + (x >> 3)]! |= 0x80 >> (x & 7);
  }
  return { width, height, data };
}

/** Share of pels (of the common area) that agree. */
export function agreement(a: Bitmap, b: Bitmap): number {
  const width = Math.min(a.width, b.width);
  const height = Math.min(a.height, b.height);
  let same = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) if (pel(a, x, y) === pel(b, x, y)) same++;
  }
  return same / (width * height);
}

/** Black pels in both, over black pels in either (1.0 = the same ink). Stricter than `agreement` on mostly white pages. */
export function inkOverlap(a: Bitmap, b: Bitmap): number {
  const width = Math.min(a.width, b.width);
  const height = Math.min(a.height, b.height);
  let both = 0;
  let either = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const pa = pel(a, x, y);
      const pb = pel(b, x, y);
      both += pa & pb;
      either += pa | pb;
    }
  }
  return either === 0 ? 1 : both / either;
}

export function pel(b: Bitmap, x: number, y: number): number {
  const stride = (b.width + 7) >> 3;
  return ((b.data[y * stride + (x >> 3)] as number) >> (7 - (x & 7))) & 1;
}

export function blackShare(b: Bitmap): number {
  let black = 0;
  for (let y = 0; y < b.height; y++) for (let x = 0; x < b.width; x++) black += pel(b, x, y);
  return black / (b.width * b.height);
}

/** URW's metric-compatible clones of the base-14 fonts, as Debian's fonts-urw-base35 installs them (with ghostscript). */
const URW_FONTS: Partial<Record<StandardFonts, string>> = {
  [StandardFonts.Helvetica]: "NimbusSans-Regular.otf",
  [StandardFonts.HelveticaBold]: "NimbusSans-Bold.otf",
  [StandardFonts.TimesRoman]: "NimbusRoman-Regular.otf",
  [StandardFonts.Courier]: "NimbusMonoPS-Regular.otf",
};
const URW_DIR = "/usr/share/fonts/opentype/urw-base35";

/**
 * Embeds the outlines of a standard font (FontFile3 /OpenType, PDF 1.7 §9.9) with its /Widths, so that every
 * renderer draws the same glyphs at the same places. Without it each substitutes its own font for Helvetica
 * (PDFium its Foxit fonts, poppler URW's), and a comparison measures the fonts rather than the rasterisers.
 */
function embedOutlines(doc: PDFDocument, font: PDFFont, name: StandardFonts): void {
  const file = URW_FONTS[name];
  if (!file) return;
  const dict = doc.context.lookup(font.ref, PDFDict);
  const widths = [];
  for (let code = 32; code <= 126; code++) widths.push(Math.round(font.widthOfTextAtSize(String.fromCharCode(code), 1000)));
  const fontFile = doc.context.register(doc.context.flateStream(readFileSync(join(URW_DIR, file)), { Subtype: "OpenType" }));
  const descriptor = doc.context.register(
    doc.context.obj({
      Type: "FontDescriptor",
      FontName: name,
      Flags: name === StandardFonts.Courier ? 33 : 32,
      FontBBox: [-200, -300, 1200, 1000],
      ItalicAngle: 0,
      Ascent: 800,
      Descent: -200,
      CapHeight: 700,
      StemV: 80,
      FontFile3: fontFile,
    }),
  );
  dict.set(PDFName.of("FirstChar"), doc.context.obj(32));
  dict.set(PDFName.of("LastChar"), doc.context.obj(126));
  dict.set(PDFName.of("Widths"), doc.context.obj(widths));
  dict.set(PDFName.of("FontDescriptor"), descriptor);
}

/** Text pages of several fonts and sizes (6 to 28 pt), and a ruled table, all made with pdf-lib, fonts embedded. */
export async function textPdf(size: [number, number]): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const fonts = [
    await doc.embedFont(StandardFonts.Helvetica),
    await doc.embedFont(StandardFonts.TimesRoman),
    await doc.embedFont(StandardFonts.Courier),
    await doc.embedFont(StandardFonts.HelveticaBold),
  ];
  const [w, h] = size;
  // Page 1: a business letter, 11-12 pt body, 18 pt letterhead: the typical fax.
  let page = doc.addPage(size);
  page.drawText("ACME Family Clinic", { x: 54, y: h - 80, size: 18, font: fonts[3]! });
  page.drawText("12 Harbour Street, Springfield  -  Tel +1 555 701 0001  -  Fax +1 555 701 0002", { x: 54, y: h - 98, size: 9, font: fonts[0]! });
  const body = [
    "November 23, 2026",
    "",
    "Dr. Ada Rivera",
    "Springfield Cardiology",
    "",
    "Re: Referral of patient 0042 (J. Doe, born 1961-04-12)",
    "",
    "Dear Dr. Rivera,",
    "",
    "Thank you for seeing Mr. Doe, who reports intermittent chest pain on exertion for",
    "the past three weeks. His ECG on November 20 showed no acute changes; troponin was",
    "within normal limits. He takes lisinopril 10 mg daily and atorvastatin 20 mg.",
    "",
    "We would be grateful for an exercise stress test and your opinion on further",
    "management. Recent results and the medication list are attached (pages 2-3).",
    "",
    "Please call us at +1 555 701 0001 if any page is missing or unreadable.",
    "",
    "Yours sincerely,",
    "",
    "",
    "Dr. Sam Okafor, MD",
  ];
  body.forEach((text, line) => {
    if (text) page.drawText(text, { x: 72, y: h - 150 - line * 17, size: line === 5 ? 12 : 11, font: line === 5 ? fonts[3]! : fonts[1]! });
  });
  // Page 2: small print (6-8 pt, every line, four fonts): the hardest case for both resolution and comparison.
  page = doc.addPage(size);
  page.drawText("INVOICE 2026-117", { x: 54, y: h - 100, size: 28, font: fonts[3]! });
  for (let line = 0; line < 60; line++) {
    page.drawText(`${line + 1}. Terms and conditions apply; small print survives the fax line only if its strokes do.`, {
      x: 54,
      y: h - 150 - line * 10,
      size: 6 + (line % 3),
      font: fonts[line % 3]!,
    });
  }
  // Page 3: a ruled table with hairlines (0.25-1 pt) and numbers in it.
  page = doc.addPage(size);
  for (let r = 0; r <= 20; r++) {
    page.drawLine({ start: { x: 54, y: h - 100 - r * 24 }, end: { x: w - 54, y: h - 100 - r * 24 }, thickness: r % 5 === 0 ? 1 : 0.25 });
  }
  for (let c = 0; c <= 5; c++) {
    const x = 54 + (c * (w - 108)) / 5;
    page.drawLine({ start: { x, y: h - 100 }, end: { x, y: h - 100 - 20 * 24 }, thickness: 0.5 });
    if (c < 5) for (let r = 0; r < 20; r++) page.drawText(`${(r * 37 + c * 11) % 1000}.${c}${r}`, { x: x + 8, y: h - 117 - r * 24, size: 9, font: fonts[0]! });
  }
  // pdf-lib writes a standard font's dictionary when saving; embed the outlines into it then.
  const names = [StandardFonts.Helvetica, StandardFonts.TimesRoman, StandardFonts.Courier, StandardFonts.HelveticaBold];
  const saved = await PDFDocument.load(await doc.save());
  fonts.forEach((font, i) => embedOutlines(saved, { ...font, ref: font.ref, widthOfTextAtSize: font.widthOfTextAtSize.bind(font) } as PDFFont, names[i]!));
  return saved.save();
}
