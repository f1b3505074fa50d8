import { env } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { api, createTestAccount } from "./helpers";

// Whatever arrives at POST /v1/faxes, the answer is a 4xx problem+json with a catalog code,
// never a 500 or a hang, and nothing is created.
describe("POST /v1/faxes under fuzzed bodies", () => {
  const expectRefused = async (res: Response) => {
    const text = await res.text();
    expect(res.status, text).toBeGreaterThanOrEqual(400);
    expect(res.status, text).toBeLessThan(500);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(JSON.parse(text).code).toMatch(/^[a-z_.]+$/);
  };

  it("refuses arbitrary JSON values cleanly", async () => {
    const account = await createTestAccount();
    const field = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }));
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record({ to: field, documents: fc.oneof(field, fc.array(fc.record({ content: field, content_type: field }), { maxLength: 2 })), options: field, cover_page: field, send_at: field }, { requiredKeys: [] }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (value) => {
        const res = await api("/v1/faxes", { method: "POST", key: account.key, headers: { "content-type": "application/json" }, body: JSON.stringify(value) });
        if (res.status === 202) return; // a cover page alone with a valid number is a real fax
        await expectRefused(res);
      }),
      { numRuns: 150 },
    );
  });

  it("refuses random bytes under every content type", async () => {
    const account = await createTestAccount();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), fc.constantFrom("application/json", "multipart/form-data; boundary=x", "application/pdf", "text/plain", ""), async (bytes, type) => {
        const res = await api("/v1/faxes", { method: "POST", key: account.key, headers: type ? { "content-type": type } : {}, body: bytes });
        await expectRefused(res);
      }),
      { numRuns: 150 },
    );
    const list = await (await api("/v1/faxes", { key: account.key })).json<{ data: unknown[] }>();
    expect(list.data).toEqual([]);
    expect((await env.DOCUMENTS.list({ prefix: `faxes/${account.accountId}/` })).objects).toEqual([]);
  });
});
