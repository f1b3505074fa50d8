// Issue 13 point 11: errors that point the right way: a bad event type lists the valid ones, a metadata
// key over the limit names the limit without echoing the key, and the limits are in OpenAPI.
import { describe, expect, it } from "vitest";
import { EVENT_TYPES } from "../../src/events/catalog";
import { api, createTestAccount, expectProblem, pdfDocument, sendFax } from "./helpers";

type Violation = { pointer: string; detail: string };

describe("error details", () => {
  it("an invalid event_types entry lists the valid types", async () => {
    const account = await createTestAccount();
    const res = await api("/v1/webhooks", { method: "POST", key: account.key, json: { url: "https://example.com/h", event_types: ["fax.deliverd"] } });
    const errors = (await expectProblem(res, 422, "request.invalid")).errors as Violation[];
    expect(errors[0]!.pointer).toBe("/event_types/0");
    for (const t of Object.keys(EVENT_TYPES)) expect(errors[0]!.detail).toContain(t);
  });

  it("a 5,000-character metadata key names the limit and is not echoed back", async () => {
    const account = await createTestAccount();
    const key = "m".repeat(5_000);
    const res = await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], metadata: { [key]: "x" } });
    const body = await expectProblem(res, 422, "request.invalid");
    const text = JSON.stringify(body);
    expect(text).not.toContain("m".repeat(41));
    expect(text.length).toBeLessThan(1_500);
    expect(JSON.stringify(body.errors)).toContain("metadata keys have at most 40 characters");
    const long = await expectProblem(await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], metadata: { k: "v".repeat(501) } }), 422, "request.invalid");
    expect(long.errors).toEqual([{ pointer: "/metadata/k", detail: "metadata values have at most 500 characters" }]);
  });

  it("the metadata limits are in /openapi.json", async () => {
    const spec = await (await api("/openapi.json")).text();
    expect(spec).toContain("keys of 1 to 40 characters, values of at most 500");
  });
});
