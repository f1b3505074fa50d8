// The SDK's core runs in workerd as it is (issue 18 point 2: "works in Workers"): the client sends a fax from a
// Blob through the Worker (SELF.fetch as its fetch), watches it to delivery, pages, and throws typed problems;
// webhooks.verify checks a signature with workerd's WebCrypto.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Edgefax, ProblemError, signedWebhookHeaders, verifyWebhook } from "../../sdk/src/index";
import { closedStatement } from "./billing/helpers";
import { createTestAccount, makePdf } from "./helpers";

describe("the SDK inside a Worker", () => {
  it("sends, watches, lists and reads problems through the Worker", async () => {
    const account = await createTestAccount();
    const client = new Edgefax({ apiKey: account.key, baseUrl: "https://fax.test", fetch: (input, init) => SELF.fetch(input as string, init) });
    const fax = await client.faxes.send({ to: "+15550100001", files: [new Blob([await makePdf(2)], { type: "application/pdf" })] });
    expect(fax).toMatchObject({ status: "queued", page_count: 2 });
    const types: string[] = [];
    for await (const event of client.faxes.watch(fax.id, { intervalMs: 200 })) types.push(event.type);
    expect(types.at(-1)).toBe("fax.delivered");
    expect(types.filter((t) => t === "fax.page_sent")).toHaveLength(2);
    expect((await client.faxes.list({ limit: 1 }).toArray()).map((f) => f.id)).toEqual([fax.id]);
    const problem = await client.faxes.get("fax_01jd8x6r3q5v7w9y0a2b4c6d8e").catch((e: unknown) => e);
    expect(problem).toBeInstanceOf(ProblemError);
    expect(problem).toMatchObject({ status: 404, code: "fax.not_found" });
  }, 30_000);

  it("lists statements and pays one (a test key pays at once)", async () => {
    const account = await createTestAccount();
    const client = new Edgefax({ apiKey: account.key, baseUrl: "https://fax.test", fetch: (input, init) => SELF.fetch(input as string, init) });
    const october = await closedStatement(account.accountId, "test", "2026-10", "open");
    expect((await client.billing.invoices().toArray()).find((i) => i.id === october)).toMatchObject({ status: "open" });
    const paid = await client.billing.payInvoice(october);
    expect(paid).toMatchObject({ invoice: { id: october, status: "paid" }, checkout_url: null });
    expect(await client.billing.invoice(october)).toMatchObject({ status: "paid", amount_due: 0 });
    await expect(client.billing.payInvoice("upcoming")).rejects.toMatchObject({ status: 409, code: "billing.invoice_not_payable" });
  });

  it("verifies and refuses webhook signatures with workerd's WebCrypto", async () => {
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const body = JSON.stringify({ id: "evt_1", type: "webhook.ping", created_at: "2026-11-23T15:00:00.000Z", data: {} });
    const headers = await signedWebhookHeaders(secret, "msg_1", body);
    await expect(verifyWebhook(body, new Headers(headers), secret)).resolves.toMatchObject({ type: "webhook.ping" });
    await expect(verifyWebhook(body.replace("ping", "pong"), headers, secret)).rejects.toThrow(/No signature matches/);
  });
});
