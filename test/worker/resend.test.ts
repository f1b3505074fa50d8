// Issue 13 point 7: POST /v1/faxes/{id}/resend takes its documented overrides (to, webhook_url,
// metadata), refuses anything else, and keeps the original's cover page (drawn again for a new `to`).
import { env } from "cloudflare:test";
import { PDFDocument } from "pdf-lib";
import { describe, expect, it } from "vitest";
import type { Fax } from "../../src/fax/schema";
import { documentStore } from "../../src/storage/documents";
import { textOf } from "./documents/fixtures";
import { api, createTestAccount, expectProblem, pdfDocument, sendFax, waitForFinal, type TestAccount } from "./helpers";

async function storedPdf(account: TestAccount, id: string): Promise<PDFDocument> {
  const listed = await env.DOCUMENTS.list({ prefix: `faxes/${account.accountId}/${id}/` });
  const key = listed.objects.map((o) => o.key).find((k) => k.endsWith("document.pdf"));
  expect(key, JSON.stringify(listed.objects.map((o) => o.key))).toBeDefined();
  return PDFDocument.load(await (await documentStore(env).get(key!))!.bytes());
}

async function finishedFax(account: TestAccount, body: Record<string, unknown>): Promise<Fax> {
  const sent = await (await sendFax(account.key, { to: "+15550100009", documents: [await pdfDocument(2)], ...body })).json<Fax>();
  return waitForFinal(account.key, sent.id);
}

const resend = (account: TestAccount, id: string, json?: unknown, init: RequestInit = {}) => api(`/v1/faxes/${id}/resend`, { key: account.key, method: "POST", ...(json === undefined ? {} : { json }), ...init });

describe("resend with overrides", () => {
  it("to, webhook_url and metadata replace the original's; the cover page is kept and names the new number", async () => {
    const account = await createTestAccount();
    const original = await finishedFax(account, { cover_page: { to_name: "Dr. Rivera", subject: "Referral" }, metadata: { ref: "A1" }, webhook_url: "https://example.com/old" });
    expect(original.page_count).toBe(3);
    const res = await resend(account, original.id, { to: "+1 (555) 010-0002", webhook_url: "https://example.com/new", metadata: { ref: "A1", try: "2" } });
    expect(res.status).toBe(202);
    const copy = await res.json<Fax>();
    expect(copy).toMatchObject({ resent_from: original.id, to: "+15550100002", webhook_url: "https://example.com/new", metadata: { ref: "A1", try: "2" }, cover_page: { to_name: "Dr. Rivera", subject: "Referral" }, page_count: 3 });
    const before = await storedPdf(account, original.id);
    const after = await storedPdf(account, copy.id);
    expect(textOf(before, 0)).toContain("+1 555 010 0009");
    expect(textOf(after, 0)).toContain("+1 555 010 0002");
    expect(textOf(after, 0)).not.toContain("+1 555 010 0009");
    expect(textOf(after, 0)).toContain("Dr. Rivera");
    expect(textOf(after, 0)).toContain("3 (including this cover)");
    expect(after.getPageCount()).toBe(3);
  });

  it("without a body it is the same fax again, cover page included", async () => {
    const account = await createTestAccount();
    const original = await finishedFax(account, { cover_page: { subject: "Again" }, metadata: { ref: "B2" } });
    const copy = await (await resend(account, original.id)).json<Fax>();
    expect(copy).toMatchObject({ to: original.to, metadata: { ref: "B2" }, cover_page: { subject: "Again" }, page_count: original.page_count, webhook_url: null });
    expect(textOf(await storedPdf(account, copy.id), 0)).toContain("+1 555 010 0009");
  });

  it("refuses unknown fields, a bad number, a refused webhook_url and a body that is not JSON", async () => {
    const account = await createTestAccount();
    const original = await finishedFax(account, {});
    const unknown = await expectProblem(await resend(account, original.id, { cover_page: { subject: "x" } }), 422, "request.invalid");
    expect((unknown.errors as Array<{ pointer: string }>)[0]!.pointer).toBe("/cover_page");
    await expectProblem(await resend(account, original.id, { to: "12" }), 422, "fax.recipient.invalid");
    await expectProblem(await resend(account, original.id, { webhook_url: "http://10.0.0.1/hook" }), 422, "webhook.url_refused");
    await expectProblem(await resend(account, original.id, undefined, { headers: { "content-type": "text/plain" }, body: "to=+15550100002" }), 415, "request.unsupported_media_type");
    // Nothing was created by the refusals.
    const list = await (await api("/v1/faxes?direction=outbound", { key: account.key })).json<{ data: Fax[] }>();
    expect(list.data.map((f) => f.id)).toEqual([original.id]);
  });
});
