import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { toBase64 } from "../../src/lib/crypto";
import { api, createTestAccount, expectProblem, makePdf, pdfDocument, sendFax, type TestAccount } from "./helpers";

/** Nothing was created: no fax row, no stored document. */
async function expectNothingCreated(account: TestAccount) {
  const list = await (await api("/v1/faxes", { key: account.key })).json<{ data: unknown[] }>();
  expect(list.data).toEqual([]);
  const objects = await env.DOCUMENTS.list({ prefix: `faxes/${account.accountId}/` });
  expect(objects.objects).toEqual([]);
}

describe("malformed requests get problem+json and create nothing", () => {
  it("bad JSON", async () => {
    const account = await createTestAccount();
    const res = await api("/v1/faxes", { method: "POST", key: account.key, headers: { "content-type": "application/json" }, body: '{"to": "+1555' });
    await expectProblem(res, 400, "request.malformed_json");
    await expectNothingCreated(account);
  });

  it("wrong content type", async () => {
    const account = await createTestAccount();
    await expectProblem(await api("/v1/faxes", { method: "POST", key: account.key, headers: { "content-type": "text/plain" }, body: "to=+15550100001" }), 415, "request.unsupported_media_type");
    await expectProblem(await api("/v1/faxes", { method: "POST", key: account.key, body: "{}" }), 415, "request.unsupported_media_type");
    await expectNothingCreated(account);
  });

  it("a corrupt PDF", async () => {
    const account = await createTestAccount();
    const pdf = await makePdf(3);
    const truncated = pdf.slice(0, Math.floor(pdf.length / 3));
    const res = await sendFax(account.key, { to: "+15550100001", documents: [{ content: toBase64(truncated), content_type: "application/pdf" }] });
    const body = await expectProblem(res, 422, "document.unreadable");
    expect(JSON.stringify(body.errors)).toContain("/documents/0");
    await expectNothingCreated(account);
  });

  it("random bytes labelled as PDF", async () => {
    const account = await createTestAccount();
    const noise = crypto.getRandomValues(new Uint8Array(4096));
    const res = await sendFax(account.key, { to: "+15550100001", documents: [{ content: toBase64(noise), content_type: "application/pdf" }] });
    expect([415, 422]).toContain(res.status);
    const body = (await res.json()) as { code: string };
    expect(["document.unreadable", "document.unsupported_type"]).toContain(body.code);
    await expectNothingCreated(account);
  });

  it("an oversized upload", async () => {
    const account = await createTestAccount();
    const big = "A".repeat(Math.ceil(Number(env.MAX_DOCUMENT_BYTES) * 1.4) + 128 * 1024);
    const res = await api("/v1/faxes", {
      method: "POST",
      key: account.key,
      headers: { "content-type": "application/json" },
      body: `{"to":"+15550100001","documents":[{"content":"${big}","content_type":"application/pdf"}]}`,
    });
    await expectProblem(res, 413, "request.too_large");
    await expectNothingCreated(account);
  });

  it("an invalid number", async () => {
    const account = await createTestAccount();
    for (const to of ["12345", "+1", "+15550100001x", "not a number", "+999123456789"]) {
      const res = await sendFax(account.key, { to, documents: [await pdfDocument()] });
      const body = await expectProblem(res, 422, "fax.recipient.invalid");
      expect(body.errors).toEqual([{ pointer: "/to", detail: expect.any(String) }]);
    }
    await expectNothingCreated(account);
  });

  it("invalid fields, each with a JSON Pointer", async () => {
    const account = await createTestAccount();
    const res = await sendFax(account.key, {
      to: "+15550100001",
      documents: [{ content: "aGVsbG8=", content_type: "application/zip" }],
      options: { resolution: "ultra", max_attempts: 0 },
      surprise: true,
    });
    const body = await expectProblem(res, 422, "request.invalid");
    const pointers = (body.errors as { pointer: string }[]).map((e) => e.pointer).sort();
    expect(pointers).toEqual(expect.arrayContaining(["/documents/0/content_type", "/options/max_attempts", "/options/resolution"]));
    await expectNothingCreated(account);
  });

  it("no document and no cover page", async () => {
    const account = await createTestAccount();
    await expectProblem(await sendFax(account.key, { to: "+15550100001" }), 422, "fax.document.missing");
    await expectProblem(await sendFax(account.key, { to: "+15550100001", documents: [{ content: "!!!", content_type: "application/pdf" }] }), 422, "request.invalid");
    await expectNothingCreated(account);
  });

  it("a document_url to a private address", async () => {
    const account = await createTestAccount();
    for (const url of ["https://169.254.169.254/latest/meta-data", "https://10.0.0.1/doc.pdf", "https://[::1]/doc.pdf", "https://localhost/doc.pdf"]) {
      await expectProblem(await sendFax(account.key, { to: "+15550100001", document_url: url }), 422, "document.url_refused");
    }
    await expectNothingCreated(account);
  });
});

describe("a webhook_url inside the network", () => {
  it("is refused when the fax is created, not only at delivery", async () => {
    const account = await createTestAccount();
    for (const url of ["https://127.0.0.1/hook", "http://hooks.example.com/x", "https://169.254.169.254/"]) {
      const body = await expectProblem(await sendFax(account.key, { to: "+15550100001", cover_page: {}, webhook_url: url }), 422, "webhook.url_refused");
      expect(body.errors).toEqual([{ pointer: "/webhook_url", detail: expect.any(String) }]);
    }
    await expectNothingCreated(account);
  });
});

describe("what works besides JSON", () => {
  it("accepts multipart/form-data files, merged in order after the cover page", async () => {
    const account = await createTestAccount();
    const form = new FormData();
    form.set("to", "+15550100001");
    form.set("cover_page", JSON.stringify({ subject: "Two files" }));
    form.set("options", JSON.stringify({ resolution: "standard" }));
    form.append("file", new File([await makePdf(2)], "a.pdf", { type: "application/pdf" }));
    form.append("file", new File([await makePdf(1)], "b.pdf", { type: "application/pdf" }));
    const res = await api("/v1/faxes", { method: "POST", key: account.key, body: form });
    expect(res.status, await res.clone().text()).toBe(202);
    const fax = await res.json<{ page_count: number; options: { resolution: string }; cover_page: { subject: string } }>();
    expect(fax.page_count).toBe(4);
    expect(fax.options.resolution).toBe("standard");
    expect(fax.cover_page.subject).toBe("Two files");
  });

  it("sends a cover page alone", async () => {
    const account = await createTestAccount();
    const res = await sendFax(account.key, { to: "+15550100001", cover_page: { to_name: "Ada", message: "Just this page." } });
    expect(res.status).toBe(202);
    expect((await res.json<{ page_count: number }>()).page_count).toBe(1);
  });
});

describe("generic errors", () => {
  it("answers unknown paths with 404 and wrong methods with 405 and Allow", async () => {
    const account = await createTestAccount();
    await expectProblem(await api("/v1/nothing", { key: account.key }), 404, "request.not_found");
    const res = await api("/v1/faxes", { key: account.key, method: "PUT" });
    await expectProblem(res, 405, "request.method_not_allowed");
    expect(res.headers.get("allow")).toContain("POST");
    expect(res.headers.get("allow")).toContain("GET");
  });

  it("rate-limits per key with Retry-After and RateLimit headers", async () => {
    const account = await createTestAccount("test", 3);
    const other = await createTestAccount("test", 3);
    for (let i = 0; i < 3; i++) {
      const ok = await api("/v1/numbers", { key: account.key });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("ratelimit-limit")).toBe("3");
      expect(ok.headers.get("ratelimit-remaining")).toBe(String(2 - i));
    }
    const limited = await api("/v1/numbers", { key: account.key });
    await expectProblem(limited, 429, "rate_limit.exceeded");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");
    expect((await api("/v1/numbers", { key: other.key })).status).toBe(200);
  });
});
