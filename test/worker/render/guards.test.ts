/**
 * Render guards: bad documents end the fax `failed` with a stable code, never stuck in `rendering`.
 * The intake already refuses most bad PDFs at POST time, so these put the bad PDF straight into R2 under a
 * scheduled fax (before send_at releases it to the render job), or call the pipeline directly.
 */
import { env } from "cloudflare:test";
import { PDFDocument, PDFName, concatTransformationMatrix, drawObject, popGraphicsState, pushGraphicsState } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { RenderError, renderFailure } from "../../../src/fax/render/errors";
import { faxFileKeys } from "../../../src/fax/render/keys";
import { renderOutboundFax, type OutboundRender } from "../../../src/fax/render/outbound";
import { renderPdfToFax } from "../../../src/fax/render/pdf-to-fax";
import { workerPdfium } from "../../../src/fax/render/pdfium-worker";
import type { Fax } from "../../../src/fax/schema";
import { encryptedPdf, handPdf } from "../documents/fixtures";
import { api, createTestAccount, pdfDocument, sendFax, waitForFinal, type TestAccount } from "../helpers";
import { textPdf } from "./helpers";
import { pdfWithManyPaths, steppingClock } from "../../fixtures/render-deadline";

/** A scheduled fax whose stored document is swapped for `bytes` before the render job runs. */
async function faxWithStoredDocument(account: TestAccount, bytes: Uint8Array): Promise<Fax> {
  const sendAt = new Date(Date.now() + 1500).toISOString();
  const res = await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], send_at: sendAt });
  expect(res.status).toBe(202);
  const { id } = await res.json<{ id: string }>();
  await env.DOCUMENTS.put(faxFileKeys(account.accountId, id).document, bytes);
  return waitForFinal(account.key, id);
}

async function eventTypes(account: TestAccount, id: string): Promise<string[]> {
  const res = await api(`/v1/faxes/${id}/events`, { key: account.key });
  return (await res.json<{ data: { type: string }[] }>()).data.map((e) => e.type);
}

/** A page tree with `pages` real leaves. */
function pdfWithPages(pages: number): Uint8Array {
  const kids = Array.from({ length: pages }, (_, i) => `${i + 3} 0 R`).join(" ");
  const leaf = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>";
  return handPdf(["<< /Type /Catalog /Pages 2 0 R >>", `<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`, ...Array.from({ length: pages }, () => leaf)], "/Root 1 0 R");
}

/** One page drawing an image that claims width × height pixels (its data is a few bytes: it is never decoded). */
async function pdfWithHugeImage(width: number, height: number): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const page = pdf.addPage([612, 792]);
  const image = pdf.context.register(
    pdf.context.stream(new Uint8Array([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]), {
      Type: "XObject",
      Subtype: "Image",
      Width: width,
      Height: height,
      ColorSpace: "DeviceRGB",
      BitsPerComponent: 8,
      Filter: "FlateDecode",
    }),
  );
  const name: PDFName = page.node.newXObject("Im", image);
  page.pushOperators(pushGraphicsState(), concatTransformationMatrix(500, 0, 0, 700, 50, 50), drawObject(name), popGraphicsState());
  return pdf.save();
}

async function renderDirect(bytes: Uint8Array, extra: Partial<OutboundRender> = {}): Promise<unknown> {
  const accountId = "acct_render_guard";
  const faxId = `fax_guard_${crypto.randomUUID()}`;
  const documentKey = faxFileKeys(accountId, faxId).document;
  await env.DOCUMENTS.put(documentKey, bytes);
  try {
    return await renderOutboundFax(env, { accountId, faxId, documentKey, resolution: "fine", imageConversion: "auto", header: null, ...extra });
  } catch (error) {
    return error;
  }
}

describe("a fax whose document cannot be rendered ends failed", () => {
  it("fails a corrupt PDF with document.unreadable, not retryable, and says so in a fax.failed event", async () => {
    const account = await createTestAccount();
    const good = await textPdf(1);
    const corrupt = good.slice(0, 400); // the header and the start of the first object; no xref, no trailer
    const fax = await faxWithStoredDocument(account, corrupt);
    expect(fax.status).toBe("failed");
    expect(fax.error).toMatchObject({ code: "document.unreadable", retryable: false });
    expect(fax.attempts).toBe(0);
    expect(await eventTypes(account, fax.id)).toEqual(["fax.scheduled", "fax.queued", "fax.failed"]);
    expect(await env.DOCUMENTS.head(faxFileKeys(account.accountId, fax.id).tiff)).toBeNull();
  });

  it("fails a PDF encrypted with a user password with document.unreadable", async () => {
    const account = await createTestAccount();
    const fax = await faxWithStoredDocument(account, encryptedPdf());
    expect(fax.status).toBe("failed");
    expect(fax.error?.code).toBe("document.unreadable");
    expect(fax.error?.detail).toMatch(/password/);
  });

  it("fails a document past MAX_PAGES (200) with document.too_many_pages", async () => {
    const account = await createTestAccount();
    const fax = await faxWithStoredDocument(account, pdfWithPages(201));
    expect(fax.status).toBe("failed");
    expect(fax.error).toMatchObject({ code: "document.too_many_pages", retryable: false });
    expect(fax.error?.detail).toContain("201 pages");
  });

  it("fails when the stored document has gone missing", async () => {
    const account = await createTestAccount();
    const sendAt = new Date(Date.now() + 1500).toISOString();
    const { id } = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], send_at: sendAt })).json<{ id: string }>();
    await env.DOCUMENTS.delete(faxFileKeys(account.accountId, id).document);
    const fax = await waitForFinal(account.key, id);
    expect(fax.status).toBe("failed");
    expect(fax.error?.code).toBe("document.unreadable");
  });
});

describe("the render pipeline's limits", () => {
  it("counts the pages of a 10,000-page file before rendering any", async () => {
    const error = await renderDirect(pdfWithPages(10_000), { limits: { maxPages: 200 } });
    expect(error).toBeInstanceOf(RenderError);
    expect(error).toMatchObject({ code: "document.too_many_pages" });
    expect((error as RenderError).detail).toContain("10000 pages");
  });

  it("refuses an image too large to decode before PDFium decodes it", async () => {
    const error = await renderDirect(await pdfWithHugeImage(30_000, 30_000));
    expect(error).toMatchObject({ code: "document.unreadable" });
    expect((error as RenderError).detail).toMatch(/900 megapixels/);
  });

  it("refuses pages with more drawing objects than the limit", async () => {
    const error = await renderDirect(await textPdf(1), { limits: { maxPageObjects: 5 } });
    expect(error).toMatchObject({ code: "document.unreadable" });
    expect((error as RenderError).detail).toMatch(/more than 5 drawing objects/);
  });

  it("abandons a document whose page takes longer than the time limit", async () => {
    // A negative limit is exceeded by any page, whatever the clock says: this checks the wiring, not a speed.
    const error = await renderDirect(await textPdf(2), { limits: { maxPageMs: -1 } });
    expect(error).toMatchObject({ code: "document.unreadable" });
    expect((error as RenderError).detail).toMatch(/took longer than/);
  });

  it("abandons a page mid-render, between PDFium's steps, once it runs past the time limit", async () => {
    const pdf = await pdfWithManyPaths(2000);
    // Rendered whole, the page reads the clock at its start, after loading and at each of PDFium's pauses.
    const calm = steppingClock(Number.POSITIVE_INFINITY, 0);
    const whole = await renderPdfToFax(workerPdfium, pdf, { resolution: "fine", imageConversion: "auto", header: null, now: calm.now });
    expect(whole.pageCount).toBe(1);
    expect(calm.readings()).toBeGreaterThan(6);
    // Time runs out at the second pause: a renderer that could only check after the page would finish it.
    const clock = steppingClock(3, 60_000);
    const error = await renderPdfToFax(workerPdfium, pdf, { resolution: "fine", imageConversion: "auto", header: null, limits: { maxPageMs: 10_000 }, now: clock.now }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RenderError);
    expect(error).toMatchObject({ code: "document.unreadable" });
    expect((error as RenderError).detail).toMatch(/Page 1 took longer than 10 s/);
    expect(clock.readings()).toBe(4);
    expect(clock.readings()).toBeLessThan(calm.readings());
  });

  it("renders normally after refusing a document", async () => {
    const result = await renderDirect(await textPdf(3));
    expect(result).toMatchObject({ pageCount: 3 });
  });

  it("runs the glyph-patched PDFium (wasm/build/pdfium.wasm), not the package's own build", async () => {
    const pdfium = await workerPdfium.get();
    const exported = pdfium.runtime.wasmExports as unknown as Record<string, unknown>;
    for (const name of ["edgefax_or_bit_rows", "edgefax_mask_to_grey"]) expect(typeof exported[name]).toBe("function");
  });

  it("turns anything unexpected into document.unreadable", () => {
    expect(renderFailure(new TypeError("x is undefined"))).toMatchObject({ code: "document.unreadable" });
    expect(renderFailure(new RenderError("document.too_many_pages", "201 pages"))).toEqual({ code: "document.too_many_pages", detail: "201 pages" });
  });
});
