// Issue 13 point 6: an unknown key anywhere in a request body is refused with 422, pointing at the key
// and naming the field probably meant; nothing is created.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { suggestField } from "../../src/lib/closed-object";
import { api, createTestAccount, expectProblem, pdfDocument, sendFax, type TestAccount } from "./helpers";

type Violation = { pointer: string; detail: string };

async function expectNothingCreated(account: TestAccount) {
  const list = await (await api("/v1/faxes", { key: account.key })).json<{ data: unknown[] }>();
  expect(list.data).toEqual([]);
  expect((await env.DOCUMENTS.list({ prefix: `faxes/${account.accountId}/` })).objects).toEqual([]);
}

describe("unknown fields are refused with the field meant", () => {
  it("options.retries: 422 at /options/retries, did you mean max_attempts", async () => {
    const account = await createTestAccount();
    const res = await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], options: { retries: 5 } });
    const body = await expectProblem(res, 422, "request.invalid");
    expect(body.errors).toEqual([{ pointer: "/options/retries", detail: "unknown field `retries`; did you mean `max_attempts`?" }]);
    expect(body.detail).toContain("did you mean `max_attempts`?");
    await expectNothingCreated(account);
  });

  it("inside cover_page and documents[], each key gets its own pointer", async () => {
    const account = await createTestAccount();
    const doc = { ...(await pdfDocument()), mime_type: "application/pdf", name: "a.pdf" };
    const res = await sendFax(account.key, { to: "+15550100001", documents: [doc], cover_page: { subject: "Hi", recipient_name: "Dr. R", sujbect: "x" } });
    const errors = (await expectProblem(res, 422, "request.invalid")).errors as Violation[];
    expect(errors).toEqual(
      expect.arrayContaining([
        { pointer: "/documents/0/mime_type", detail: "unknown field `mime_type`; did you mean `content_type`?" },
        { pointer: "/documents/0/name", detail: "unknown field `name`; did you mean `filename`?" },
        { pointer: "/cover_page/recipient_name", detail: "unknown field `recipient_name`; did you mean `to_name`?" },
        { pointer: "/cover_page/sujbect", detail: "unknown field `sujbect`; did you mean `subject`?" },
      ]),
    );
    expect(errors).toHaveLength(4);
    await expectNothingCreated(account);
  });

  it("top level, multipart form fields, and a key with nothing close lists the fields there", async () => {
    const account = await createTestAccount();
    const top = await expectProblem(await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], callback_url: "https://example.com/h" }), 422, "request.invalid");
    expect(top.errors).toEqual([{ pointer: "/callback_url", detail: "unknown field `callback_url`; did you mean `webhook_url`?" }]);
    const form = new FormData();
    form.set("to", "+15550100001");
    form.set("file", new File([new Uint8Array([37, 80, 68, 70])], "a.pdf", { type: "application/pdf" }));
    form.set("options", JSON.stringify({ resolutoin: "fine" }));
    const multi = await expectProblem(await api("/v1/faxes", { method: "POST", key: account.key, body: form }), 422, "request.invalid");
    expect(multi.errors).toEqual([{ pointer: "/options/resolutoin", detail: "unknown field `resolutoin`; did you mean `resolution`?" }]);
    const far = await expectProblem(await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], options: { zzz: 1 } }), 422, "request.invalid");
    expect((far.errors as Violation[])[0]!.detail).toBe("unknown field `zzz`; the fields here are `resolution`, `max_attempts`, `retry_delay`, `image_conversion`");
    await expectNothingCreated(account);
  });

  it("a 5,000-character key is not echoed back whole", async () => {
    const account = await createTestAccount();
    const key = "k".repeat(5_000);
    const res = await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], options: { [key]: 1 } });
    const text = JSON.stringify(await expectProblem(res, 422, "request.invalid"));
    expect(text.length).toBeLessThan(2_000);
    expect(text).not.toContain("k".repeat(41));
  });

  it("webhook endpoints and numbers refuse unknown keys the same way", async () => {
    const account = await createTestAccount();
    const hook = await expectProblem(await api("/v1/webhooks", { method: "POST", key: account.key, json: { url: "https://example.com/h", events: ["fax.delivered"] } }), 422, "request.invalid");
    expect(hook.errors).toEqual([{ pointer: "/events", detail: "unknown field `events`; did you mean `event_types`?" }]);
    const number = await expectProblem(await api("/v1/numbers", { method: "POST", key: account.key, json: { lable: "Front desk" } }), 422, "request.invalid");
    expect(number.errors).toEqual([{ pointer: "/lable", detail: "unknown field `lable`; did you mean `label`?" }]);
  });

  it("suggestField: other APIs' names, spellings and case, and no guess when nothing is near (fuzzed)", () => {
    const known = ["resolution", "max_attempts", "retry_delay", "image_conversion"];
    expect(suggestField("retries", known)).toBe("max_attempts");
    expect(suggestField("MaxAttempts", known)).toBe("max_attempts");
    expect(suggestField("retry-delay", known)).toBe("retry_delay");
    expect(suggestField("resolutin", known)).toBe("resolution");
    expect(suggestField("retries", ["label"])).toBeUndefined();
    expect(suggestField("x", known)).toBeUndefined();
    // Random keys: never throws, and any answer is one of the known fields.
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) >>> 0);
    for (let i = 0; i < 2_000; i++) {
      const len = next() % 30;
      const key = Array.from({ length: len }, () => String.fromCharCode(32 + (next() % 95))).join("");
      const s = suggestField(key, known);
      if (s !== undefined) expect(known).toContain(s);
    }
  });
});
