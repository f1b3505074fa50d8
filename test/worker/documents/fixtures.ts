/**
 * Document fixtures, all generated here: PDFs with pdf-lib, PNGs by hand (stored deflate + CRCs),
 * a 24×12 baseline JPEG literal (made with Ghostscript's jpeg device, ICC profile stripped), TIFFs
 * with the codec's writer, and hand-written PDFs for the damaged cases.
 */
import { decodePDFRawStream, PDFArray, PDFDocument, PDFName, PDFRawStream } from "pdf-lib";
import { expect } from "vitest";
import { ApiError } from "../../../src/errors/api-error";
import type { RequestErrorCode } from "../../../src/errors/catalog";

const encoder = new TextEncoder();

/** A PDF whose pages all have the given size, so a merged output shows where each page came from. */
export async function makePdf(pages: number, size: [number, number]): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  for (let i = 0; i < pages; i++) {
    const page = pdf.addPage(size);
    page.drawText(`page ${i + 1}`, { x: 20, y: 20, size: 12 });
  }
  return pdf.save();
}

/** JPEG, 24×12, baseline, 3 components. */
export const JPEG_24x12 = fromBase64(
  "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwzOko+MzZGNywtQFdBRkxOUlNSMj5aYVpQYEpRUk//2wBDAQ4ODhMREyYVFSZPNS01T09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT0//wAARCAAMABgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDn67f4b/8AMS/7Zf8As9cRXb/Df/mJf9sv/Z683D/xEfbZv/uc/l+aO3ooor0j4k//2Q==",
);

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
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

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const x of bytes) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function be32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

function chunk(type: string, data: Uint8Array): number[] {
  const typed = new Uint8Array([...encoder.encode(type), ...data]);
  return [...be32(data.length), ...typed, ...be32(crc32(typed))];
}

/** An 8-bit RGB PNG (PNG spec §11.2.2 colour type 2), every pixel `rgb`, IDAT as zlib stored blocks (RFC 1950/1951 §3.2.4). */
export function makePng(width: number, height: number, rgb: [number, number, number] = [0, 0, 0]): Uint8Array {
  const raw = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    raw[row] = 0; // filter type None
    for (let x = 0; x < width; x++) raw.set(rgb, row + 1 + x * 3);
  }
  const zlib: number[] = [0x78, 0x01];
  for (let at = 0; at < raw.length || at === 0; at += 65535) {
    const block = raw.subarray(at, at + 65535);
    const final = at + 65535 >= raw.length ? 1 : 0;
    zlib.push(final, block.length & 0xff, block.length >>> 8, ~block.length & 0xff, (~block.length >>> 8) & 0xff, ...block);
    if (raw.length === 0) break;
  }
  zlib.push(...be32(adler32(raw)));
  const ihdr = new Uint8Array([...be32(width), ...be32(height), 8, 2, 0, 0, 0]);
  return new Uint8Array([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a,
    ...chunk("IHDR", ihdr),
    ...chunk("IDAT", new Uint8Array(zlib)),
    ...chunk("IEND", new Uint8Array(0)),
  ]);
}

/** A PNG header claiming a huge image, with no real pixel data behind it. */
export function makePngHeaderOnly(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array([...be32(width), ...be32(height), 8, 2, 0, 0, 0]);
  return new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...chunk("IHDR", ihdr), ...chunk("IEND", new Uint8Array(0))]);
}

/** A hand-written PDF from object bodies (numbered from 1) and a trailer dictionary body. */
export function handPdf(objects: string[], trailer: string): Uint8Array {
  let text = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(text.length);
    text += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xrefAt = text.length;
  text += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) text += `${String(o).padStart(10, "0")} 00000 n \n`;
  text += `trailer\n<< /Size ${objects.length + 1} ${trailer} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return encoder.encode(text);
}

const PAGE = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>";

/** PDF 1.7 §7.6.3 standard security handler: an /Encrypt dictionary in the trailer is what marks a file encrypted. */
export function encryptedPdf(): Uint8Array {
  return handPdf(
    [
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      PAGE,
      "<< /Filter /Standard /V 1 /R 2 /O <" + "00".repeat(32) + "> /U <" + "00".repeat(32) + "> /P -44 >>",
    ],
    "/Root 1 0 R /Encrypt 4 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>]",
  );
}

/** One real page, but the page tree root claims `count` (a forged /Count). */
export function pdfClaimingPages(count: number): Uint8Array {
  return handPdf(["<< /Type /Catalog /Pages 2 0 R >>", `<< /Type /Pages /Kids [3 0 R] /Count ${count} >>`, PAGE], "/Root 1 0 R");
}

/** `pages` real leaves, but /Count says 1: the count must come from the tree, not the claim. */
export function pdfUnderclaimingPages(pages: number): Uint8Array {
  const kids = Array.from({ length: pages }, (_, i) => `${i + 3} 0 R`).join(" ");
  return handPdf(
    ["<< /Type /Catalog /Pages 2 0 R >>", `<< /Type /Pages /Kids [${kids}] /Count 1 >>`, ...Array.from({ length: pages }, () => PAGE)],
    "/Root 1 0 R",
  );
}

/** A page tree node listing itself as a kid: a reader that recurses without care never returns. */
export function pdfWithCyclicPageTree(): Uint8Array {
  return handPdf(["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>", PAGE], "/Root 1 0 R");
}

export function pdfWithNoPages(): Uint8Array {
  return handPdf(["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>"], "/Root 1 0 R");
}

export function randomBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    // xorshift32: deterministic noise, so a failure reproduces.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** The ApiError a promise rejects with, after checking its code (and pointer, when given). */
export async function rejection(promise: Promise<unknown>, code: RequestErrorCode, pointer?: string): Promise<ApiError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(ApiError);
  const error = caught as ApiError;
  expect(error.code, error.detail).toBe(code);
  if (pointer !== undefined) expect(error.errors?.[0]?.pointer).toBe(pointer);
  return error;
}

/** The image XObjects a page draws, resolved. */
export function pageImages(doc: PDFDocument, index: number): PDFRawStream[] {
  const page = doc.getPage(index);
  const xobjects = page.node.Resources()?.lookup(PDFName.of("XObject"));
  if (xobjects === undefined || !("entries" in xobjects)) return [];
  return (xobjects as unknown as { entries(): [PDFName, unknown][] })
    .entries()
    .map(([, ref]) => doc.context.lookup(ref as never))
    .filter((o): o is PDFRawStream => o instanceof PDFRawStream && o.dict.get(PDFName.of("Subtype")) === PDFName.of("Image"));
}

export function pageSize(doc: PDFDocument, index: number): [number, number] {
  const { width, height } = doc.getPage(index).getSize();
  return [Math.round(width * 100) / 100, Math.round(height * 100) / 100];
}

/** The page's content stream(s), decoded. */
export function contentOf(pdf: PDFDocument, index: number): string {
  const contents = pdf.getPage(index).node.Contents();
  const streams = contents === undefined ? [] : contents instanceof PDFArray ? Array.from({ length: contents.size() }, (_, i) => contents.lookup(i)) : [contents];
  return streams.map((s) => new TextDecoder("latin1").decode(decodePDFRawStream(s as PDFRawStream).decode())).join("\n");
}

/** The text a page shows: pdf-lib writes standard-font strings as hex, one Tj per line. */
export function textOf(pdf: PDFDocument, index: number): string {
  let text = "";
  for (const m of contentOf(pdf, index).matchAll(/<([0-9A-Fa-f]+)>\s*Tj/g)) {
    const hex = m[1] as string;
    for (let i = 0; i < hex.length; i += 2) text += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
    text += "\n";
  }
  return text;
}
