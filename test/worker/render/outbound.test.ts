import { PDFDocument, StandardFonts } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { toBase64 } from "../../../src/lib/crypto";
import { headerBandRows } from "../../../src/fax/render/header";
import { renderPdfPages } from "../../../src/fax/render/pdf-pages";
import { workerPdfium } from "../../../src/fax/render/pdfium-worker";
import { api, createTestAccount, expectProblem, sendFax, waitForFinal } from "../helpers";
import { LETTER_LANDSCAPE, blackInRect, blackInRows, storedTiff, textPdf } from "./helpers";

const pdf = async (pages: number, size?: [number, number], label?: string) => ({
  content: toBase64(await textPdf(pages, size, label)),
  content_type: "application/pdf" as const,
});

describe("rendering outbound faxes in the fax-jobs consumer", () => {
  it("renders a cover page and two documents into exactly that many fine 1728-pel TIFF-F pages", async () => {
    const account = await createTestAccount();
    const res = await sendFax(account.key, {
      to: "+15550100001",
      cover_page: { to_name: "Dr. Rivera", subject: "Referral" },
      documents: [await pdf(2, undefined, "First"), await pdf(1, LETTER_LANDSCAPE, "Wide")],
      header_text: "ACME Clinic",
      options: { resolution: "fine" },
    });
    expect(res.status).toBe(202);
    const { id } = await res.json<{ id: string }>();
    const fax = await waitForFinal(account.key, id);
    expect(fax.status).toBe("delivered");
    expect(fax.page_count).toBe(4);
    expect(fax.pages_sent).toBe(4);
    expect(fax.options.image_conversion).toBe("auto");

    const pages = await storedTiff(account.accountId, id);
    expect(pages).toHaveLength(4);
    const band = headerBandRows(196);
    for (const page of pages) {
      expect(page.bitmap.width).toBe(1728);
      expect(page.xResolution).toBe(204);
      expect(page.yResolution).toBe(196);
      expect(page.scheme).toBe("mh");
      expect(page.badRows).toBe(0);
      // US Letter: 11 in at 196 lpi, shrunk by 1728/1734 to fit the line.
      expect(page.bitmap.height).toBeGreaterThanOrEqual(2140);
      expect(page.bitmap.height).toBeLessThanOrEqual(2160);
      expect(blackInRows(page.bitmap, 0, band)).toBeGreaterThan(100);
      expect(blackInRows(page.bitmap, band, page.bitmap.height)).toBeGreaterThan(1000);
    }
    // The header differs only where "PAGE n/4" differs.
    const [p1, p2] = [pages[0]!, pages[1]!];
    expect(Buffer.compare(p1.bitmap.data.subarray(0, band * 216), p2.bitmap.data.subarray(0, band * 216))).not.toBe(0);
    // The landscape page is turned clockwise: its text (top of the sheet) lands on the right, the left stays blank.
    const wide = pages[3]!.bitmap;
    expect(blackInRect(wide, 0, band, 500, wide.height)).toBe(0);
    expect(blackInRect(wide, 1100, band, 1728, wide.height)).toBeGreaterThan(1000);
  });

  it("renders at standard resolution: 98 lines per inch", async () => {
    const account = await createTestAccount();
    const res = await sendFax(account.key, { to: "+15550100001", documents: [await pdf(2)], options: { resolution: "standard", image_conversion: "monochrome" } });
    const { id } = await res.json<{ id: string }>();
    const fax = await waitForFinal(account.key, id);
    expect(fax.status).toBe("delivered");
    expect(fax.options.image_conversion).toBe("monochrome");
    const pages = await storedTiff(account.accountId, id);
    expect(pages.map((p) => [p.bitmap.width, p.xResolution, p.yResolution])).toEqual([
      [1728, 204, 98],
      [1728, 204, 98],
    ]);
    for (const p of pages) expect(Math.abs(p.bitmap.height - 1074)).toBeLessThanOrEqual(4);
  });

  it("serves each page's preview as a PNG behind a signed URL", async () => {
    const account = await createTestAccount();
    const { id } = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdf(2)], options: { resolution: "standard" } })).json<{ id: string }>();
    await waitForFinal(account.key, id);

    const res = await api(`/v1/faxes/${id}/pages/2`, { key: account.key });
    expect(res.status).toBe(200);
    const { url, expires_at } = await res.json<{ url: string; expires_at: string }>();
    expect(url).toContain(`/files/faxes/${account.accountId}/${id}/pages/2.png?expires=`);
    expect(Date.parse(expires_at)).toBeGreaterThan(Date.now());
    const png = await api(new URL(url).pathname + new URL(url).search);
    expect(png.status).toBe(200);
    expect(png.headers.get("content-type")).toBe("image/png");
    const bytes = new Uint8Array(await png.arrayBuffer());
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    // IHDR: 1728 wide; a standard page's rows are repeated, so the preview is about 11 in × 196 rows tall.
    expect(view.getUint32(16)).toBe(1728);
    expect(Math.abs(view.getUint32(20) - 2148)).toBeLessThanOrEqual(8);
    expect(bytes[24]).toBe(1); // bit depth

    await expectProblem(await api(`/v1/faxes/${id}/pages/3`, { key: account.key }), 404, "fax.page_not_found");
    await expectProblem(await api(`/v1/faxes/${id}/pages/0`, { key: account.key }), 422, "request.invalid");
    const stranger = await createTestAccount();
    await expectProblem(await api(`/v1/faxes/${id}/pages/1`, { key: stranger.key }), 404, "fax.not_found");
  });
});

describe("thin strokes", () => {
  /** A page one fax line wide (no scaling across) with 0.25 pt rules and 6 pt text between them. */
  async function rulesPdf(): Promise<Uint8Array> {
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    const page = doc.addPage([(1728 / 204) * 72, 792]);
    for (let r = 0; r < 20; r++) {
      const y = 692 - r * 30.3; // rules fall on every fraction of a pel
      page.drawLine({ start: { x: 72, y }, end: { x: 540, y }, thickness: 0.25 });
      page.drawText(`${r + 1}. Six-point print between hairline rules must survive the fax line.`, { x: 74, y: y - 10, size: 6, font });
    }
    return doc.save();
  }

  for (const [resolution, lpi] of [
    ["standard", 98],
    ["fine", 196],
  ] as const) {
    it(`keeps every 0.25 pt rule unbroken at ${resolution} resolution, where it is ${((0.25 * lpi) / 72).toFixed(2)} pel thick`, async () => {
      let bitmap;
      for await (const page of renderPdfPages(workerPdfium, await rulesPdf(), { resolution, imageConversion: "auto", header: null })) bitmap = page.bitmap;
      if (!bitmap) throw new Error("no page");
      const [x0, x1] = [Math.ceil((72 * 204) / 72) + 2, Math.floor((540 * 204) / 72) - 2];
      for (let r = 0; r < 20; r++) {
        const row = Math.floor(((792 - (692 - r * 30.3)) * lpi) / 72);
        // The rule's row (or its neighbour) is black from end to end: no gaps, no dots.
        const best = Math.max(...[-1, 0, 1].map((dy) => blackInRect(bitmap, x0, row + dy, x1, row + dy + 1)));
        expect(best, `rule ${r + 1}`).toBe(x1 - x0);
      }
    });
  }
});
