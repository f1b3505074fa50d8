/**
 * `npm start` end to end (issue 15, "How it is shown"): a partner's user A sends a live fax from A's dedicated number
 * to user B's (SIP/T.38 over the loopback gateway, real time). It lands in B's inbox only, with A's number as the
 * sender; A cannot reach it under A's id, nor B the fax A sent under B's; and the partner's webhook (the settings
 * shortcut) gets both sides, signed, each naming its external user. Live ledgers start with 1,000 credits here
 * (LOCAL_LIVE_STARTING_CREDITS), so the live send needs no grant.
 */
import { describe, expect, it } from "vitest";
import { Account, pdfBase64, sleep, type Fax } from "../interop/gateway/lib.js";
import { usePlatformWithWebhooks } from "./platform-with-webhooks.js";
import { createKey } from "./server.js";

type InboxFax = Fax & { external_user_id: string | null; read_at: string | null };

describe("npm start: a partner's user faxes another's number", () => {
  const local = usePlatformWithWebhooks("partners");

  it("lands in B's inbox only, from A's number, and the signed webhooks name each user", async () => {
    const { platform, hooks, stateDir } = local;
    const partner = new Account(platform.url, await createKey(stateDir, { live: true, rateLimit: 100_000 }));
    const settings = await partner.json<{ webhook_secret: string }>("/v1/settings", { method: "PATCH", json: { webhook_url: hooks.url } });
    hooks.addSecret(settings.webhook_secret);
    const numbers: Record<string, { id: string; number: string }> = {};
    for (const user of ["user-a", "user-b"]) {
      await partner.json(`/v1/external-users/${user}`, { method: "PUT", json: { name: user } }, 201);
      numbers[user] = await partner.json<{ id: string; number: string }>("/v1/numbers", { json: { external_user_id: user, tier: "personal" } }, 201);
    }
    const a = numbers["user-a"]!;
    const b = numbers["user-b"]!;

    const sent = await partner.json<{ id: string; from: string }>(
      "/v1/faxes",
      { json: { external_user_id: "user-a", to: b.number, documents: [{ content: await pdfBase64(1, "From A to B"), content_type: "application/pdf" }], options: { max_attempts: 1 } } },
      202,
    );
    expect(sent.from).toBe(a.number);
    for (let i = 0; i < 900 && !hooks.hooks.some((h) => h.type === "fax.received"); i++) await sleep(100);
    const delivered = await partner.waitFax(sent.id, (f) => ["delivered", "failed"].includes(f.status), 20_000);
    expect(delivered.status, JSON.stringify(delivered.error)).toBe("delivered");

    // B's inbox holds the fax, from A's number; A's holds nothing.
    const inboxB = await partner.json<{ data: InboxFax[] }>("/v1/external-users/user-b/inbox");
    expect(inboxB.data).toHaveLength(1);
    const received = inboxB.data[0]!;
    expect(received).toMatchObject({ direction: "inbound", status: "received", from: a.number, to: b.number, external_user_id: "user-b", read_at: null, page_count: 1 });
    expect((await partner.json<{ data: InboxFax[] }>("/v1/external-users/user-a/inbox")).data).toEqual([]);

    // Each user reaches only their own side: 404 across, in lists too.
    expect((await partner.call(`/v1/faxes/${received.id}?external_user_id=user-a`)).status).toBe(404);
    expect((await partner.call(`/v1/faxes/${received.id}/document?external_user_id=user-a`)).status).toBe(404);
    expect((await partner.call(`/v1/faxes/${sent.id}?external_user_id=user-b`)).status).toBe(404);
    expect((await partner.call(`/v1/faxes/${sent.id}/document?external_user_id=user-b`)).status).toBe(404);
    expect((await partner.json<{ data: Fax[] }>("/v1/faxes?external_user_id=user-a")).data.map((f) => f.id)).toEqual([sent.id]);
    expect((await partner.json<{ data: Fax[] }>("/v1/faxes?external_user_id=user-b")).data.map((f) => f.id)).toEqual([received.id]);

    // B opens it: the PDF that came over the line, and the fax is read.
    const pdf = await partner.bytes(`/v1/faxes/${received.id}/image?external_user_id=user-b`);
    expect(Buffer.from(pdf.subarray(0, 5)).toString()).toBe("%PDF-");
    expect((await partner.json<{ data: InboxFax[] }>("/v1/external-users/user-b/inbox?unread=true")).data).toEqual([]);

    // The partner's webhook: both sides, verified, each naming its own user.
    const receivedHook = hooks.hooks.find((h) => h.type === "fax.received");
    expect(receivedHook?.verified).toBe(true);
    expect(receivedHook!.eventData).toMatchObject({ external_user_id: "user-b", from: a.number, to: b.number, page_count: 1, document_url: expect.stringContaining("/files/") });
    expect(receivedHook!.data).toMatchObject({ id: received.id, external_user_id: "user-b" });
    for (let i = 0; i < 100 && !hooks.hooks.some((h) => h.type === "fax.delivered"); i++) await sleep(100);
    const deliveredHook = hooks.hooks.find((h) => h.type === "fax.delivered");
    expect(deliveredHook?.verified).toBe(true);
    expect(deliveredHook!.eventData).toMatchObject({ external_user_id: "user-a", fax: { id: sent.id, from: a.number, to: b.number } });
    expect(hooks.hooks.filter((h) => h.faxId === received.id).every((h) => h.eventData.external_user_id === "user-b")).toBe(true);
    expect(hooks.hooks.filter((h) => h.faxId === sent.id).every((h) => h.eventData.external_user_id === "user-a")).toBe(true);
  }, 150_000);
});
