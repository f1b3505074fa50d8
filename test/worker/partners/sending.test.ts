// Issue 15 point 5: sending for a partner's user, from that user's number.
import { describe, expect, it } from "vitest";
import type { Fax } from "../../../src/fax/schema";
import { api, createTestAccount, expectProblem, makePdf, pdfDocument, sendFax, waitForFinal } from "../helpers";
import { newReceiver, type Receiver } from "../webhooks/receiver";
import { createPartner, provisionFor, putUser } from "./partner-helpers";

/** Waits until the receiver has a request for each of the event types, and returns their bodies. */
async function eventsAt(receiver: Receiver, types: string[]): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const bodies = receiver.requests.map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> });
    if (types.every((t) => bodies.some((b) => b.type === t))) return bodies;
    if (Date.now() > deadline) throw new Error(`${receiver.host} got ${bodies.map((b) => b.type).join(", ")}; waited for ${types.join(", ")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("sending for an external user", () => {
  it("sends from the user's number (caller id and header) and tags the fax and its events", async () => {
    const partner = await createPartner(["alice"]);
    const res = await sendFax(partner.key, { to: "+15550100001", external_user_id: "alice", header_text: "Alice's clinic", documents: [await pdfDocument()] });
    expect(res.status).toBe(202);
    const fax = await res.json<Fax>();
    expect(fax).toMatchObject({ from: partner.users.alice!.number, external_user_id: "alice" });
    const done = await waitForFinal(partner.key, fax.id);
    expect(done.status).toBe("delivered");
    const events = await (await api(`/v1/faxes/${fax.id}/events`, { key: partner.key })).json<{ data: { type: string; data: Record<string, unknown> }[] }>();
    expect(events.data.map((e) => e.type)).toContain("fax.delivered");
    for (const e of events.data) expect(e.data.external_user_id).toBe("alice");
  });

  it("takes `from` among the user's numbers only", async () => {
    const partner = await createPartner(["alice", "bob"]);
    const second = await provisionFor(partner.key, "alice", { tier: "business" });
    const chosen = await (await sendFax(partner.key, { to: "+15550100001", external_user_id: "alice", from: second.number, documents: [await pdfDocument()] })).json<Fax>();
    expect(chosen.from).toBe(second.number);
    // Bob's number is not Alice's, nor is the account's own.
    const bobs = await expectProblem(await sendFax(partner.key, { to: "+15550100001", external_user_id: "alice", from: partner.users.bob!.number, documents: [await pdfDocument()] }), 422, "fax.sender.invalid");
    expect(bobs.detail).toBe(`${partner.users.bob!.number} is not a number of external user alice.`);
    await expectProblem(await sendFax(partner.key, { to: "+15550100001", external_user_id: "alice", from: partner.number, documents: [await pdfDocument()] }), 422, "fax.sender.invalid");
  });

  it("refuses an unknown user, a user without a number and a bad id", async () => {
    const partner = await createTestAccount();
    await expectProblem(await sendFax(partner.key, { to: "+15550100001", external_user_id: "ghost", documents: [await pdfDocument()] }), 404, "external_user.not_found");
    await putUser(partner.key, "numberless");
    const none = await expectProblem(await sendFax(partner.key, { to: "+15550100001", external_user_id: "numberless", documents: [await pdfDocument()] }), 422, "fax.sender.invalid");
    expect(none.detail).toContain('POST /v1/numbers {"external_user_id": "numberless"}');
    await expectProblem(await sendFax(partner.key, { to: "+15550100001", external_user_id: "no spaces", documents: [await pdfDocument()] }), 422, "request.invalid");
  });

  it("an account-level fax never goes out from a user's dedicated number", async () => {
    const partner = await createPartner(["alice"]);
    const fax = await (await sendFax(partner.key, { to: "+15550100001", documents: [await pdfDocument()] })).json<Fax>();
    expect(fax.from).toBe(partner.number);
    expect(fax.external_user_id).toBeNull();
    // Naming the user's number as `from` is the partner's choice, and the fax is then the user's.
    const explicit = await (await sendFax(partner.key, { to: "+15550100001", from: partner.users.alice!.number, documents: [await pdfDocument()] })).json<Fax>();
    expect(explicit.external_user_id).toBe("alice");
  });

  it("its status events reach the partner's endpoint and the request's own callbackUrl, each with external_user_id", async () => {
    const partner = await createPartner(["alice"]);
    const endpoint = newReceiver();
    const callback = newReceiver();
    expect((await api("/v1/settings", { method: "PATCH", key: partner.key, json: { webhook_url: endpoint.url() } })).status).toBe(200);
    const fax = await (await sendFax(partner.key, { to: "+15550100001", external_user_id: "alice", callbackUrl: callback.url(), documents: [await pdfDocument()] })).json<Fax>();
    expect(fax.webhook_url).toBe(callback.url());
    expect(fax).not.toHaveProperty("callbackUrl");
    for (const receiver of [endpoint, callback]) {
      const bodies = (await eventsAt(receiver, ["fax.queued", "fax.delivered"])).filter((b) => b.type.startsWith("fax."));
      for (const body of bodies) expect(body.data.external_user_id, `${receiver.host} ${body.type}`).toBe("alice");
    }
  });

  it("accepts callbackUrl as another spelling of webhook_url, in JSON and multipart", async () => {
    const partner = await createPartner(["alice"]);
    const callback = newReceiver();
    const same = await sendFax(partner.key, { to: "+15550100001", webhook_url: callback.url("/a"), callbackUrl: callback.url("/a"), documents: [await pdfDocument()] });
    expect(same.status).toBe(202);
    const differ = await expectProblem(
      await sendFax(partner.key, { to: "+15550100001", webhook_url: "https://partner.example.com/a", callbackUrl: "https://partner.example.com/b", documents: [await pdfDocument()] }),
      422,
      "request.invalid",
    );
    expect(differ.errors).toEqual([{ pointer: "/callbackUrl", detail: "give webhook_url or callbackUrl, not two different URLs" }]);
    await expectProblem(await sendFax(partner.key, { to: "+15550100001", callbackUrl: "http://10.0.0.1/hook", documents: [await pdfDocument()] }), 422, "webhook.url_refused");

    const form = new FormData();
    form.set("to", "+15550100001");
    form.set("external_user_id", "alice");
    form.set("callbackUrl", callback.url("/multipart"));
    form.set("file", new File([await makePdf()], "letter.pdf", { type: "application/pdf" }));
    const multipart = await api("/v1/faxes", { method: "POST", key: partner.key, body: form });
    expect(multipart.status, await multipart.clone().text()).toBe(202);
    expect(await multipart.json<Fax>()).toMatchObject({ from: partner.users.alice!.number, external_user_id: "alice", webhook_url: callback.url("/multipart") });
  });
});
