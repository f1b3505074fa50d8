/**
 * The render pipeline against independent implementations:
 * - outbound: our TIFF-F pages against poppler's own 1-bit rendering of the same PDF on the same grid;
 *   libtiff reads our files and sees the same pixels as our codec;
 * - inbound: the PDF we build from a received TIFF-F, rendered by poppler at the TIFF's resolution, shows
 *   exactly the TIFF's pixels.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { readPbm, readTiff, writeTiff, type Bitmap, type CodingScheme } from "../../../src/codec/node.js";
import { renderPdfToFax } from "../../../src/fax/render/pdf-to-fax.js";
import { nodePdfium } from "../../../src/fax/render/pdfium-node.js";
import { readReceivedPages, receivedPagesToPdf } from "../../../src/fax/render/received-pages.js";
import { makePage, type PageKind } from "../../fixtures/pages.js";
import { agreement, blackShare, inkOverlap, onlyPage, popplerImages, popplerMono, sampleBlocks, textPdf, workFile } from "./lib.js";

/** 1728 pels at 204 dpi: a page exactly one fax line wide, so no scaling differs between renderers. */
const FAX_WIDE_LETTER: [number, number] = [(1728 / 204) * 72, 792];
const LETTER: [number, number] = [612, 792];

describe("outbound: our TIFF-F pages beside poppler's 1-bit rendering", () => {
  for (const resolution of ["fine", "standard"] as const) {
    for (const [name, size] of [
      ["a page one fax line wide", FAX_WIDE_LETTER],
      ["US Letter (shrunk by 1728/1734 to fit the line)", LETTER],
    ] as const) {
      it(`agrees with poppler on at least 98% of pels on every page (a letter, dense 6-8 pt print, a ruled table): ${name}, ${resolution}`, async () => {
        const pdf = await textPdf([size[0], size[1]]);
        const pdfPath = workFile(`text-${resolution}-${size[0].toFixed(0)}.pdf`, pdf);
        const { tiff, pageCount } = await renderPdfToFax(nodePdfium, pdf, { resolution, imageConversion: "auto", header: null });
        expect(pageCount).toBe(3);
        const ours = readTiff(tiff);
        const yDpi = resolution === "fine" ? 196 : 98;
        for (const [i, page] of ours.entries()) {
          expect([page.bitmap.width, page.xResolution, page.yResolution]).toEqual([1728, 204, yDpi]);
          const theirs =
            size === FAX_WIDE_LETTER
              ? popplerMono(pdfPath, i + 1, { rx: 204, ry: yDpi })
              : popplerMono(pdfPath, i + 1, { width: 1728, height: page.bitmap.height });
          expect(Math.abs(theirs.height - page.bitmap.height)).toBeLessThanOrEqual(1);
          const agree = agreement(page.bitmap, theirs);
          const overlap = inkOverlap(page.bitmap, theirs);
          console.log(`${resolution} ${name} page ${i + 1}: agreement ${(agree * 100).toFixed(2)}%, ink overlap ${(overlap * 100).toFixed(1)}%, ink ${(blackShare(page.bitmap) * 100).toFixed(2)}% ours / ${(blackShare(theirs) * 100).toFixed(2)}% poppler`);
          // The whole page (no header is stamped here). Page 2, 60 lines of 6-8 pt print, is the hard one: nearly
          // every black pel is an edge pel, so a glyph placed one pel apart costs its whole outline.
          expect(agree).toBeGreaterThanOrEqual(0.98);
          // Not just white paper agreeing with white paper: most of the ink is in the same places.
          expect(overlap).toBeGreaterThan(0.6);
          expect(blackShare(page.bitmap)).toBeGreaterThan(0.005);
        }
      });
    }
  }

  for (const scheme of ["mh", "mmr"] as const) {
    it(`writes ${scheme} TIFF-F that libtiff reads as the same pixels`, async () => {
      const pdf = await textPdf(LETTER);
      const { tiff } = await renderPdfToFax(nodePdfium, pdf, { resolution: "fine", imageConversion: "auto", scheme, header: { text: "ACME", from: "+15550101234", date: new Date("2026-11-23T15:04:00Z") } });
      const tiffPath = workFile(`ours-${scheme}.tif`, tiff);
      const info = execFileSync("tiffinfo", [tiffPath], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      expect(info.match(/TIFF Directory/g)).toHaveLength(3);
      expect(info).toContain(scheme === "mh" ? "CCITT Group 3" : "CCITT Group 4");
      const ours = readTiff(tiff);
      execFileSync("tiffsplit", [tiffPath, workFile(`split-${scheme}-`)]);
      ["aaa", "aab", "aac"].forEach((suffix, i) => {
        const pbm = execFileSync("tifftopnm", [workFile(`split-${scheme}-${suffix}.tif`)], { stdio: ["ignore", "pipe", "ignore"] });
        const theirs = onlyPage(readPbm(new Uint8Array(pbm)));
        expect(agreement(ours[i]!.bitmap, theirs)).toBe(1);
      });
    });
  }
});

describe("inbound: the PDF of a received TIFF-F, opened in poppler", () => {
  const kinds: PageKind[] = ["text", "dense", "cover", "photo"];
  for (const scheme of ["mh", "mr", "mmr"] as CodingScheme[]) {
    for (const resolution of ["fine", "standard"] as const) {
      it(`shows exactly the TIFF's pixels (${scheme}, ${resolution})`, async () => {
        const yDpi = resolution === "fine" ? 196 : 98;
        const bitmaps: Bitmap[] = kinds.map((kind, i) => makePage(kind, resolution, i + 1));
        const tiff = writeTiff(bitmaps.map((bitmap) => ({ bitmap, xResolution: 204, yResolution: yDpi })), { scheme });
        const pdf = await receivedPagesToPdf(readReceivedPages(tiff, 200));
        const pdfPath = workFile(`inbound-${scheme}-${resolution}.pdf`, pdf);
        const pdfText = new TextDecoder("latin1").decode(readFileSync(pdfPath));
        expect(pdfText.match(/\/CCITTFaxDecode/g)).toHaveLength(kinds.length);
        // Poppler's own CCITT decoding of each embedded image: exactly the received pixels.
        const images = popplerImages(pdfPath);
        expect(images).toHaveLength(kinds.length);
        bitmaps.forEach((bitmap, i) => {
          expect([images[i]!.width, images[i]!.height]).toEqual([bitmap.width, bitmap.height]);
          expect(agreement(bitmap, images[i]!)).toBe(1);
        });
        // And the pages as pdftoppm draws them. Splash resamples images whenever the scale is not exactly an
        // integer (the page is 1728/204 in wide, which it maps to 1727.99… pels at 204 dpi, dropping a column),
        // so render at 4× the TIFF's resolution, where each fax pel becomes a 4 × 4 block, and read the centre
        // of each block: that must be exactly the TIFF.
        bitmaps.forEach((bitmap, i) => {
          const theirs = popplerMono(pdfPath, i + 1, { width: bitmap.width * 4, height: bitmap.height * 4 });
          expect([theirs.width, theirs.height]).toEqual([bitmap.width * 4, bitmap.height * 4]);
          expect(agreement(bitmap, sampleBlocks(theirs, 4))).toBe(1);
        });
      });
    }
  }
});

describe("memory", () => {
  it("renders a 50-page PDF page by page inside a Worker isolate's 128 MB", async () => {
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    for (let i = 0; i < 50; i++) {
      const page = doc.addPage(LETTER);
      for (let line = 0; line < 45; line++) page.drawText(`Page ${i + 1}, line ${line + 1}: the quick brown fox jumps over the lazy dog.`, { x: 54, y: 740 - line * 15.5, size: 10.5, font });
    }
    const input = workFile("fifty.pdf", await doc.save());
    // A V8 heap capped at 64 MB: a pipeline holding every page's bitmap (50 × 460 KB) plus PDFium would not fit.
    const child = spawnSync(process.execPath, ["--max-old-space-size=64", "--import", "tsx", "src/fax/render/cli.ts", input, workFile("fifty.tif"), "--stats", "--header", "ACME"], {
      encoding: "utf8",
    });
    expect(child.status, child.stderr).toBe(0);
    const stats = JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, number>;
    console.log(`50 pages: ${JSON.stringify(stats)}`);
    expect(stats.pages).toBe(50);
    // JS heap + external (ArrayBuffers and both WASM memories): what the isolate holds.
    expect(stats.peak_isolate_mib).toBeLessThan(128);
    expect(readTiff(readFileSync(workFile("fifty.tif")))).toHaveLength(50);
  });
});
