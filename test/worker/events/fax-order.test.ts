// Per-fax event order (issue 13 point 4): every fax event carries `sequence` 1, 2, 3… in emission
// order, and a fax's event is never published before its predecessor, so a receiver never sees
// fax.page_sent after fax.delivered.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { PlatformEvent } from "../../../src/events/catalog";
import { newId } from "../../../src/lib/ids";
import { publishEvents } from "../../../src/webhooks/publish";
import { api, createTestAccount, pdfDocument, sendFax, waitForFinal } from "../helpers";
import { createEndpoint, newReceiver, verified, waitFor } from "../webhooks/receiver";

describe("per-fax event order", () => {
  it("delivers each fax's events in sequence, gapless, with every fax.page_sent before fax.delivered", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    const endpoint = await createEndpoint(account.key, { url: receiver.url() });
    const faxes = await Promise.all(
      Array.from({ length: 4 }, async () => (await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument(4)] })).json<{ id: string }>()).id),
    );
    for (const id of faxes) await waitForFinal(account.key, id);
    const delivered = () => receiver.requests.filter((r) => verified(endpoint.secret, r).type === "fax.delivered").length;
    await waitFor("every fax.delivered", () => delivered() === faxes.length);
    await new Promise((r) => setTimeout(r, 300));

    const byFax = new Map<string, { type: string; sequence: unknown }[]>();
    for (const request of receiver.requests) {
      const envelope = verified(endpoint.secret, request);
      const faxId = (envelope.data.fax as { id: string }).id;
      byFax.set(faxId, [...(byFax.get(faxId) ?? []), { type: envelope.type, sequence: envelope.data.sequence }]);
    }
    for (const id of faxes) {
      const arrived = byFax.get(id)!;
      const pagesSent = arrived.filter((e) => e.type === "fax.page_sent").length;
      expect(pagesSent).toBeGreaterThanOrEqual(4);
      expect(arrived.map((e) => e.type)).toEqual(["fax.queued", "fax.sending", ...Array(pagesSent).fill("fax.page_sent"), "fax.delivered"]);
      expect(arrived.map((e) => e.sequence)).toEqual(arrived.map((_, i) => i + 1));
      // The timeline carries the same sequences, in the same order.
      const timeline = (await (await api(`/v1/faxes/${id}/events`, { key: account.key })).json<{ data: PlatformEvent[] }>()).data;
      expect(timeline.map((e) => [e.type, e.data.sequence])).toEqual(arrived.map((e) => [e.type, e.sequence]));
    }
  });

  it("holds a fax's event back until its predecessor is published", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    const endpoint = await createEndpoint(account.key, { url: receiver.url() });
    const faxId = newId("fax");
    const events: PlatformEvent[] = ["fax.sending", "fax.page_sent"].map((type, i) => ({
      id: newId("evt"),
      type: type as PlatformEvent["type"],
      created_at: new Date().toISOString(),
      data: { sequence: i + 1, fax: { id: faxId } },
    }));
    // Both recorded (as a FaxObject's projection records them); only the second one's publish got through.
    const insert = env.DB.prepare("INSERT INTO fax_events (id, account_id, fax_id, type, created_at, data, sequence) VALUES (?, ?, ?, ?, ?, ?, ?)");
    await env.DB.batch(events.map((e, i) => insert.bind(e.id, account.accountId, faxId, e.type, e.created_at, JSON.stringify(e.data), i + 1)));
    await publishEvents(env, account.accountId, [events[1]!]);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(receiver.requests).toHaveLength(0);
    const second = await env.DB.prepare("SELECT published_at FROM fax_events WHERE id = ?").bind(events[1]!.id).first<{ published_at: string | null }>();
    expect(second!.published_at).toBeNull();

    await publishEvents(env, account.accountId, [events[0]!]);
    await waitFor("both events", () => receiver.requests.length >= 2, 10_000);
    expect(receiver.requests.map((r) => verified(endpoint.secret, r).id)).toEqual(events.map((e) => e.id));
  });
});
