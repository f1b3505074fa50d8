// Unknown query parameters are refused like unknown body fields: a filter the operation does not have
// must not come back as "every fax", and a write must not happen with a parameter silently dropped.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { api, createTestAccount, expectProblem, pdfDocument, sendFax } from "./helpers";

type Violation = { pointer: string; detail: string };

describe("unknown query parameters", () => {
  it("GET /v1/faxes?state=failed: 422 at query:/state, did you mean status", async () => {
    const account = await createTestAccount();
    const body = await expectProblem(await api("/v1/faxes?state=failed", { key: account.key }), 422, "request.invalid");
    expect(body.errors).toEqual([{ pointer: "query:/state", detail: "unknown query parameter `state`; did you mean `status`?" }]);
  });

  it("the declared ones, metadata[key] and external_user_id still work", async () => {
    const account = await createTestAccount();
    const sent = await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], metadata: { order_id: "A-1" } });
    expect(sent.status).toBe(202);
    const list = await api("/v1/faxes?limit=5&status=queued&metadata[order_id]=A-1&direction=outbound", { key: account.key });
    expect(list.status).toBe(200);
    const id = ((await sent.json()) as { id: string }).id;
    expect((await api(`/v1/faxes/${id}?external_user_id=nobody`, { key: account.key })).status).toBe(404);
  });

  it("an operation without query parameters refuses any, and a refused write creates nothing", async () => {
    const account = await createTestAccount();
    const body = await expectProblem(await api("/v1/settings?verbose=1", { key: account.key }), 422, "request.invalid");
    expect(body.errors).toEqual([{ pointer: "query:/verbose", detail: "unknown query parameter `verbose`; this operation takes none" }]);
    const res = await api("/v1/faxes?dry_run=true", { key: account.key, method: "POST", json: { to: "+15550100001", documents: [await pdfDocument()] } });
    expect(((await expectProblem(res, 422, "request.invalid")).errors as Violation[])[0]!.pointer).toBe("query:/dry_run");
    const list = await (await api("/v1/faxes", { key: account.key })).json<{ data: unknown[] }>();
    expect(list.data).toEqual([]);
  });

  it("each unknown name is listed once, and a literal route is not mistaken for /{id}", async () => {
    const account = await createTestAccount();
    const body = await expectProblem(await api("/v1/numbers?foo=1&foo=2&bar=3", { key: account.key }), 422, "request.invalid");
    expect((body.errors as Violation[]).map((e) => e.pointer)).toEqual(["query:/foo", "query:/bar"]);
    expect((await api("/v1/balance?mode=test", { key: account.key })).status).not.toBe(500);
  });
});

describe("names that are also Object.prototype's", () => {
  it("constructor, toString and __proto__ are unknown names like any other (the fuzzer found a 500)", async () => {
    const account = await createTestAccount();
    for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      const body = await expectProblem(await api(`/v1/numbers?${name}=1`, { key: account.key }), 422, "request.invalid");
      expect((body.errors as Violation[])[0]!.pointer).toBe(`query:/${name}`);
    }
    const res = await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], options: { constructor: 1 } });
    expect(((await expectProblem(res, 422, "request.invalid")).errors as Violation[])[0]!.pointer).toBe("/options/constructor");
  });
});

describe("unknown query parameters (fuzzed)", () => {
  it("any undeclared name, however odd, is a 422 naming it, never a 500 or a silent 200", async () => {
    const account = await createTestAccount();
    const declared = ["limit", "cursor", "label", "external_user_id"];
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 80 }), fc.string({ maxLength: 20 }), async (name, value) => {
        fc.pre(!declared.includes(name.replace(/\[.*\]$/s, "")));
        const res = await api(`/v1/numbers?${new URLSearchParams([[name, value]])}`, { key: account.key });
        if (res.status !== 422) throw new Error(`${JSON.stringify(name)} -> ${res.status}`);
        const body = (await res.json()) as { code: string; errors: Violation[] };
        expect(body.code).toBe("request.invalid");
        expect(body.errors).toHaveLength(1);
        expect(body.errors[0]!.pointer.startsWith("query:/")).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});
