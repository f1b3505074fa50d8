import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { PlatformEvent } from "../../../src/events/catalog";
import { newId } from "../../../src/lib/ids";
import { publishEvents } from "../../../src/webhooks/publish";
import worker from "../../../src/worker";
import { api, createTestAccount, pdfDocument, sendFax, waitForFinal } from "../helpers";
import { createEndpoint, newReceiver, verified, waitFor } from "./receiver";

function syntheticEvents(count: number): PlatformEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: newId("evt"),
    type: "fax.delivered" as const,
    created_at: new Date().toISOString(),
    data: { fax: { id: newId("fax"), sequence: i } },
  }));
}

async function deliveryRows(accountId: string): Promise<{ status: string; n: number }[]> {
  const { results } = await env.DB.prepare("SELECT status, count(*) AS n FROM webhook_deliveries WHERE account_id = ? GROUP BY status")
    .bind(accountId)
    .all<{ status: string; n: number }>();
  return results;
}

describe("lossless delivery", () => {
  it("delivers a burst of 1,000 events, each once after deduplication, to a receiver that fails its first 300 requests", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    receiver.answer = (request, index) => {
      if (index < 300) return new Response("down for maintenance", { status: 503 });
      receiver.accept(request);
      return new Response("ok");
    };
    const endpoint = await createEndpoint(account.key, { url: receiver.url() });
    const events = syntheticEvents(1000);
    // Through the real `webhooks` queue, as FaxObject.flush() publishes them.
    await publishEvents(env, account.accountId, events);

    await waitFor("1,000 accepted deliveries", () => receiver.accepted().size >= 1000, 45_000);
    await waitFor("every delivery row succeeded", async () => {
      const rows = await deliveryRows(account.accountId);
      return rows.length === 1 && rows[0]!.status === "succeeded" && rows[0]!.n === 1000;
    });

    const eventIdsByWebhookId = new Map<string, string>();
    for (const request of receiver.requests) {
      const envelope = verified(endpoint.secret, request);
      const webhookId = request.headers["webhook-id"]!;
      // A webhook-id always names the same event: retries and duplicates dedupe safely.
      expect(eventIdsByWebhookId.get(webhookId) ?? envelope.id).toBe(envelope.id);
      eventIdsByWebhookId.set(webhookId, envelope.id);
    }
    const received = [...receiver.accepted().values()].map((r) => verified(endpoint.secret, r).id).sort();
    expect(received).toEqual(events.map((e) => e.id).sort());
    expect(receiver.requests.length).toBeGreaterThanOrEqual(1300);
  }, 60_000);

  it("turns a duplicate enqueue (a crash between enqueue and clearing the outbox) into no duplicate delivery", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    const endpoint = await createEndpoint(account.key, { url: receiver.url() });
    const fax = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()] })).json<{ id: string }>();
    await waitForFinal(account.key, fax.id);
    await waitFor("four deliveries", () => receiver.requests.length >= 4);

    // The FaxObject's alarm would re-run flush() and publish the same outbox again.
    const timeline = (await (await api(`/v1/faxes/${fax.id}/events`, { key: account.key })).json<{ data: PlatformEvent[] }>()).data;
    const sentinel = syntheticEvents(1);
    await publishEvents(env, account.accountId, [...timeline, ...timeline]);
    await publishEvents(env, account.accountId, sentinel);
    await waitFor("the sentinel", () => receiver.requests.some((r) => verified(endpoint.secret, r).id === sentinel[0]!.id));
    await new Promise((r) => setTimeout(r, 300));

    expect(receiver.requests).toHaveLength(5);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM webhook_deliveries WHERE account_id = ?").bind(account.accountId).first<{ n: number }>();
    expect(rows!.n).toBe(5);
  });

  it("re-enqueues from the cron what was never fanned out", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    const endpoint = await createEndpoint(account.key, { url: receiver.url() });
    // Events whose enqueue was lost: in D1 (the projection succeeded), never published.
    const lostId = newId("evt");
    const recentId = newId("evt");
    const faxId = newId("fax");
    const insert = env.DB.prepare("INSERT INTO fax_events (id, account_id, fax_id, type, created_at, data) VALUES (?, ?, ?, ?, ?, ?)");
    await env.DB.batch([
      insert.bind(lostId, account.accountId, faxId, "fax.delivered", new Date(Date.now() - 120_000).toISOString(), JSON.stringify({ fax: { id: faxId } })),
      // Younger than a minute: its own flush may still be publishing it, so the sweep leaves it alone.
      insert.bind(recentId, account.accountId, faxId, "fax.failed", new Date(Date.now() - 5_000).toISOString(), JSON.stringify({ fax: { id: faxId } })),
    ]);

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);

    const request = await waitFor("the lost event", () => receiver.requests[0]);
    expect(verified(endpoint.secret, request)).toMatchObject({ id: lostId, type: "fax.delivered", data: { fax: { id: faxId } } });
    await waitFor("published_at", async () => {
      const row = await env.DB.prepare("SELECT published_at FROM fax_events WHERE id = ?").bind(lostId).first<{ published_at: string | null }>();
      return row!.published_at !== null;
    });
    const recent = await env.DB.prepare("SELECT published_at FROM fax_events WHERE id = ?").bind(recentId).first<{ published_at: string | null }>();
    expect(recent!.published_at).toBeNull();
    expect(receiver.requests).toHaveLength(1);
  });

  it("re-drives a ping whose queue message was lost", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    const endpoint = await createEndpoint(account.key, { url: receiver.url() });
    // The ping's delivery row is stored before its queue message is sent; here the message never arrives.
    const lossyQueue = { send: async () => undefined, sendBatch: async () => undefined };
    const request = new Request(`https://fax.test/v1/webhooks/${endpoint.id}/ping`, { method: "POST", headers: { authorization: `Bearer ${account.key}` } });
    const answer = await worker.fetch(request, { ...env, WEBHOOKS: lossyQueue as unknown as Queue }, createExecutionContext());
    expect(answer.status).toBe(202);
    const ping = await answer.json<{ id: string; status: string; attempt_count: number }>();
    expect(ping).toMatchObject({ status: "pending", attempt_count: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.requests).toHaveLength(0);
    // The cron finds it once it is overdue (ten minutes on a deployment; the row is aged instead of waiting).
    const aged = new Date(Date.now() - 30 * 60_000).toISOString();
    await env.DB.prepare("UPDATE webhook_deliveries SET next_retry_at = ? WHERE id = ?").bind(aged, ping.id).run();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const delivered = await waitFor("the re-driven ping", () => receiver.requests[0]);
    expect(delivered.headers["webhook-id"]).toBe(ping.id);
    expect(verified(endpoint.secret, delivered)).toMatchObject({ type: "webhook.ping", data: { endpoint_id: endpoint.id } });
  });

  it("re-drives a pending delivery whose queue message was lost", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    const endpoint = await createEndpoint(account.key, { url: receiver.url() });
    // A delivery row that no queue message carries any more (a worker died after the fan-out).
    const eventId = newId("evt");
    const payload = JSON.stringify({ id: eventId, type: "fax.delivered", created_at: new Date().toISOString(), data: {} });
    const stale = new Date(Date.now() - 30 * 60_000).toISOString();
    await env.DB.prepare(
      "INSERT INTO webhook_deliveries (id, account_id, endpoint_id, event_id, event_type, payload, status, attempts, next_retry_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'fax.delivered', ?, 'pending', 0, ?, ?, ?)",
    )
      .bind("msg_01m84gf8z69mpdacjgj9p0mtfs", account.accountId, endpoint.id, eventId, payload, stale, stale, stale)
      .run();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const request = await waitFor("the re-driven delivery", () => receiver.requests[0]);
    expect(request.headers["webhook-id"]).toBe("msg_01m84gf8z69mpdacjgj9p0mtfs");
    expect(verified(endpoint.secret, request).id).toBe(eventId);
  });
});
