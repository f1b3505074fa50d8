/**
 * Issue 13 point 12: a PDF with only an owner password opens without one (EHR exports often are), so it is
 * merged and rendered like any PDF; a PDF that needs a user password is still refused. The fixtures are
 * real RC4-128 encrypted files (test/fixtures/encrypted-pdf.ts).
 */
import { PDFDocument } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { assembleFaxDocument } from "../../../src/fax/documents";
import { renderPdfPages, type RenderedFaxPage } from "../../../src/fax/render/pdf-pages";
import { openWithoutPassword } from "../../../src/fax/render/pdf-unlock";
import { workerPdfium } from "../../../src/fax/render/pdfium-worker";
import { toBase64 } from "../../../src/lib/crypto";
import { makeEncryptedPdf } from "../../fixtures/encrypted-pdf";
import { createTestAccount, expectProblem, sendFax, waitForFinal } from "../helpers";
import { rejection } from "./fixtures";

const LIMITS = { maxDocumentBytes: 20 * 1024 * 1024, maxPages: 200 };
const unlock = (pdf: Uint8Array) => openWithoutPassword(workerPdfium, pdf);

async function renderAll(pdf: Uint8Array): Promise<RenderedFaxPage[]> {
  const pages: RenderedFaxPage[] = [];
  for await (const page of renderPdfPages(workerPdfium, pdf, { resolution: "fine", imageConversion: "monochrome", header: null })) pages.push(page);
  return pages;
}

/** Share of bytes with any black pel: the drawn text leaves some; a page rendered from ciphertext is blank. */
function inkShare(page: RenderedFaxPage): number {
  let inked = 0;
  for (const byte of page.bitmap.data) if (byte !== 0) inked++;
  return inked / page.bitmap.data.length;
}

describe("PDFs with only an owner password", () => {
  it("the fixture is really encrypted: pdf-lib refuses it without ignoreEncryption", async () => {
    const pdf = await makeEncryptedPdf(1, { ownerPassword: "owner-secret", userPassword: "" });
    await expect(PDFDocument.load(pdf)).rejects.toThrow(/encrypted/i);
  });

  it("are merged: the fax's PDF is decrypted, has their pages, and renders with their text", async () => {
    const pdf = await makeEncryptedPdf(2, { ownerPassword: "owner-secret", userPassword: "" });
    const merged = await assembleFaxDocument([{ bytes: pdf, contentType: "application/pdf", pointer: "/documents/0" }], undefined, LIMITS, unlock);
    expect(merged.pageCount).toBe(2);
    const reread = await PDFDocument.load(merged.pdf); // would throw EncryptedPDFError if still encrypted
    expect(reread.getPageCount()).toBe(2);
    const pages = await renderAll(merged.pdf);
    expect(pages).toHaveLength(2);
    for (const page of pages) expect(inkShare(page)).toBeGreaterThan(0.001);
  });

  it("are rendered by PDFium directly, with their text", async () => {
    const pages = await renderAll(await makeEncryptedPdf(1, { ownerPassword: "owner-secret", userPassword: "" }));
    expect(pages).toHaveLength(1);
    expect(inkShare(pages[0]!)).toBeGreaterThan(0.001);
  });

  it("are accepted by POST /v1/faxes and delivered", async () => {
    const account = await createTestAccount();
    const pdf = await makeEncryptedPdf(2, { ownerPassword: "owner-secret", userPassword: "" });
    const res = await sendFax(account.key, { to: "+15550100001", documents: [{ content: toBase64(pdf), content_type: "application/pdf" }] });
    expect(res.status, await res.clone().text()).toBe(202);
    const fax = await waitForFinal(account.key, (await res.json<{ id: string }>()).id);
    expect(fax).toMatchObject({ status: "delivered", page_count: 2, pages_sent: 2 });
  });

  it("a PDF that needs a user password is still refused, saying it needs one", async () => {
    const pdf = await makeEncryptedPdf(1, { ownerPassword: "owner-secret", userPassword: "user-secret" });
    const error = await rejection(assembleFaxDocument([{ bytes: pdf, contentType: "application/pdf", pointer: "/documents/0" }], undefined, LIMITS, unlock), "document.unreadable", "/documents/0");
    expect(error.detail).toBe("Document /documents/0 is an encrypted PDF that needs a password to open. Remove the password or print it to a new PDF, then send it again.");
    const account = await createTestAccount();
    const res = await sendFax(account.key, { to: "+15550100001", documents: [{ content: toBase64(pdf), content_type: "application/pdf" }] });
    await expectProblem(res, 422, "document.unreadable");
  });
});
