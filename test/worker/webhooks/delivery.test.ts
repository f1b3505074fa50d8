import { env } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { api, createTestAccount, pdfDocument, sendFax, waitForFinal, rewriteFaxState } from "../helpers";
import { DELIVERY_TIMEOUT_MS } from "../../../src/webhooks/deliver";
import { createEndpoint, deliveries, newReceiver, verified, waitFor, type DeliveryView } from "./receiver";

const FAX_EVENTS = ["fax.queued", "fax.sending", "fax.page_sent", "fax.delivered"];

async function ping(key: string, endpointId: string): Promise<DeliveryView> {
  const res = await api(`/v1/webhooks/${endpointId}/ping`, { method: "POST", key });
  expect(res.status).toBe(202);
  return res.json<DeliveryView>();
}

async function deliveryNamed(key: string, endpointId: string, id: string, done: (d: DeliveryView) => boolean, timeoutMs?: number): Promise<DeliveryView> {
  return waitFor(`delivery ${id}`, async () => (await deliveries(key, endpointId)).find((d) => d.id === id && done(d)), timeoutMs);
}

describe("deliveries of fax events", () => {
  it("signs every fax transition to Standard Webhooks v1, to subscribed endpoints only", async () => {
    const account = await createTestAccount();
    const all = newReceiver();
    const deliveredOnly = newReceiver();
    const everything = await createEndpoint(account.key, { url: all.url() });
    const narrow = await createEndpoint(account.key, { url: deliveredOnly.url(), event_types: ["fax.delivered"] });
    const disabled = newReceiver();
    await createEndpoint(account.key, { url: disabled.url(), enabled: false });

    const fax = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()] })).json<{ id: string }>();
    await waitForFinal(account.key, fax.id);
    await waitFor("four events", () => all.requests.length >= 4 && deliveredOnly.requests.length >= 1);

    const timeline = (await (await api(`/v1/faxes/${fax.id}/events`, { key: account.key })).json<{ data: { id: string; type: string }[] }>()).data;
    expect(timeline.map((e) => e.type)).toEqual(FAX_EVENTS);
    const received = all.requests.map((r) => verified(everything.secret, r));
    expect(received.map((e) => e.id).sort()).toEqual(timeline.map((e) => e.id).sort());
    for (const [i, envelope] of received.entries()) {
      expect(Object.keys(envelope).sort()).toEqual(["created_at", "data", "id", "type"]);
      expect((envelope.data.fax as { id: string }).id).toBe(fax.id);
      const headers = all.requests[i]!.headers;
      expect(headers["webhook-id"]).toMatch(/^msg_[0-9a-z]{26}$/);
      expect(headers["content-type"]).toBe("application/json");
      expect(Math.abs(Number(headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
    }
    expect(deliveredOnly.requests.map((r) => verified(narrow.secret, r).type)).toEqual(["fax.delivered"]);
    expect(disabled.requests).toEqual([]);
    // The narrow endpoint's secret does not verify the other endpoint's deliveries.
    expect(() => verified(narrow.secret, all.requests[0]!)).toThrow();

    // Every event is marked as fanned out, so the cron will not send it again.
    const unpublished = await env.DB.prepare("SELECT count(*) AS n FROM fax_events WHERE fax_id = ? AND published_at IS NULL").bind(fax.id).first<{ n: number }>();
    expect(unpublished!.n).toBe(0);
    const log = await deliveries(account.key, everything.id);
    expect(log).toHaveLength(4);
    for (const d of log) {
      expect(d.status).toBe("succeeded");
      expect(d.attempts).toHaveLength(1);
      expect(d.attempts[0]).toMatchObject({ number: 1, status_code: 200, response_excerpt: "ok", error: null, next_retry_at: null });
      expect(d.attempts[0]!.latency_ms).toBeGreaterThanOrEqual(0);
    }
  });

  it("fails verification when the body, the timestamp or the secret changes", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    const endpoint = await createEndpoint(account.key, { url: receiver.url() });
    await ping(account.key, endpoint.id);
    const request = await waitFor("ping", () => receiver.requests[0]);
    const envelope = verified(endpoint.secret, request);
    expect(envelope.type).toBe("webhook.ping");
    expect(envelope.data).toEqual({ endpoint_id: endpoint.id });

    const wh = new Webhook(endpoint.secret);
    expect(() => wh.verify(request.body.replace("webhook.ping", "webhook.pong"), request.headers)).toThrow(/signature/i);
    const earlier = String(Number(request.headers["webhook-timestamp"]) - 1);
    expect(() => wh.verify(request.body, { ...request.headers, "webhook-timestamp": earlier })).toThrow(/signature/i);
    expect(() => wh.verify(request.body, { ...request.headers, "webhook-id": "msg_00000000000000000000000000" })).toThrow(/signature/i);
    const other = `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
    expect(() => new Webhook(other).verify(request.body, request.headers)).toThrow(/signature/i);
  });

  it("signs with both secrets during a rotation, and with the new one only after the grace period", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    const endpoint = await createEndpoint(account.key, { url: receiver.url() });
    const rotated = await api(`/v1/webhooks/${endpoint.id}/rotate-secret`, { method: "POST", key: account.key });
    expect(rotated.status).toBe(200);
    const second = await rotated.json<{ secret: string; previous_secret_expires_at: string }>();
    expect(second.secret).not.toBe(endpoint.secret);
    const grace = Date.parse(second.previous_secret_expires_at) - Date.now();
    expect(grace).toBeGreaterThan(23.9 * 3600_000);
    expect(grace).toBeLessThanOrEqual(24 * 3600_000);

    await ping(account.key, endpoint.id);
    const during = await waitFor("ping during rotation", () => receiver.requests[0]);
    expect(during.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(verified(endpoint.secret, during).type).toBe("webhook.ping");
    expect(verified(second.secret, during).type).toBe("webhook.ping");

    const third = await (await api(`/v1/webhooks/${endpoint.id}/rotate-secret`, { method: "POST", key: account.key, json: { expire_old_after: 0 } })).json<{ secret: string }>();
    await ping(account.key, endpoint.id);
    const after = await waitFor("ping after rotation", () => receiver.requests[1]);
    expect(after.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    expect(verified(third.secret, after).type).toBe("webhook.ping");
    expect(() => verified(second.secret, after)).toThrow();
    expect(() => verified(endpoint.secret, after)).toThrow();
  });

  it("sends a fax's events to its webhook_url, signed with the account's callback secret", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    // Shown with the key when the account was made, so never again here.
    expect(await (await api("/v1/webhooks/callback-secret", { key: account.key })).json()).toMatchObject({ exists: true, secret: null });
    const { secret } = await (await api("/v1/webhooks/callback-secret/rotate", { method: "POST", key: account.key })).json<{ secret: string }>();
    expect(secret).toMatch(/^whsec_/);
    const info = await (await api("/v1/webhooks/callback-secret", { key: account.key })).json<Record<string, unknown>>();
    // The secret shown with the key keeps signing beside the new one through the rotation's grace period.
    expect(info).toMatchObject({ exists: true, secret: null, previous_secret_expires_at: expect.any(String) });
    expect(JSON.stringify(info)).not.toContain(secret.slice(6));

    const fax = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], webhook_url: receiver.url("/fax-callback") })).json<{ id: string }>();
    await waitForFinal(account.key, fax.id);
    await waitFor("four callbacks", () => receiver.requests.length >= 4);
    expect(receiver.requests.map((r) => verified(secret, r).type).sort()).toEqual([...FAX_EVENTS].sort());
    for (const request of receiver.requests) verified(account.callbackSecret, request);
    expect(new Set(receiver.requests.map((r) => r.url))).toEqual(new Set([receiver.url("/fax-callback")]));

    const log = (await (await api("/v1/webhooks/callback-deliveries", { key: account.key })).json<{ data: DeliveryView[] }>()).data;
    expect(log).toHaveLength(4);
    expect(log.every((d) => d.status === "succeeded" && d.endpoint_id === null)).toBe(true);
  });

  it("refuses a fax webhook_url that points inside the network, at delivery time too", async () => {
    // POST /v1/faxes refuses such a URL up front; this covers a URL that became forbidden after the fax
    // was accepted (for example a deployment that turned ENVIRONMENT from local to production).
    const account = await createTestAccount();
    const receiver = newReceiver();
    const later = new Date(Date.now() + 3600_000).toISOString();
    const fax = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], webhook_url: receiver.url(), send_at: later })).json<{ id: string }>();
    await rewriteFaxState(fax.id, (stored) => {
      stored.fax.webhook_url = "https://169.254.169.254/latest";
    });
    expect((await api(`/v1/faxes/${fax.id}`, { key: account.key, method: "DELETE" })).status).toBe(200);
    const refused = await waitFor("the refused callback", async () => {
      const data = (await (await api("/v1/webhooks/callback-deliveries", { key: account.key })).json<{ data: DeliveryView[] }>()).data;
      return data.find((d) => d.event_type === "fax.canceled" && d.status === "failed");
    });
    expect(refused.attempts[0]!.error).toMatch(/URL refused: .*link-local/);
    expect(refused.attempts[0]!.status_code).toBeNull();
    expect(receiver.requests.every((r) => JSON.parse(r.body).type !== "fax.canceled")).toBe(true);
  });
});

describe("retries", () => {
  it("retries failures and connection errors until the receiver answers 2xx, with the same webhook-id", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    receiver.answer = (_r, i) => {
      if (i === 0) throw new TypeError("connection refused");
      if (i < 3) return new Response("try later", { status: 503 });
      return new Response("thanks", { status: 200 });
    };
    const endpoint = await createEndpoint(account.key, { url: receiver.url() });
    const queued = await ping(account.key, endpoint.id);
    const done = await deliveryNamed(account.key, endpoint.id, queued.id, (d) => d.status === "succeeded");
    expect(done.attempts.map((a) => a.status_code)).toEqual([null, 503, 503, 200]);
    expect(done.attempts[0]!.error).toContain("connection refused");
    expect(done.attempts[1]!.response_excerpt).toBe("try later");
    expect(done.attempts.slice(0, 3).every((a) => a.next_retry_at !== null)).toBe(true);
    expect(done.next_retry_at).toBeNull();
    expect(new Set(receiver.requests.map((r) => r.headers["webhook-id"]))).toEqual(new Set([queued.id]));
    for (const r of receiver.requests) verified(endpoint.secret, r);
  });

  it("gives up on a receiver that does not answer within 10 s, logs it as a timeout, and retries", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    receiver.answer = (request, i) => {
      if (i > 0) return new Response("ok", { status: 200 });
      // Never answers: only the sender's own timeout ends this request.
      return new Promise<Response>((_, reject) => request.signal.addEventListener("abort", () => reject(request.signal.reason)));
    };
    const endpoint = await createEndpoint(account.key, { url: receiver.url() });
    const queued = await ping(account.key, endpoint.id);
    const done = await deliveryNamed(account.key, endpoint.id, queued.id, (d) => d.status === "succeeded", 25_000);
    expect(done.attempts.map((a) => a.status_code)).toEqual([null, 200]);
    const timedOut = done.attempts[0]!;
    expect(timedOut.error).toBe("no response within 10 s");
    expect(timedOut.latency_ms).toBeGreaterThanOrEqual(DELIVERY_TIMEOUT_MS - 50);
    expect(timedOut.latency_ms).toBeLessThan(DELIVERY_TIMEOUT_MS + 2_000);
    expect(timedOut.next_retry_at).not.toBeNull();
    expect(receiver.requests.map((r) => r.headers["webhook-id"])).toEqual([queued.id, queued.id]);
  }, 40_000);

  it("waits as long as Retry-After says", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    receiver.answer = (_r, i) => (i === 0 ? new Response("slow down", { status: 429, headers: { "retry-after": "2" } }) : new Response("ok"));
    const endpoint = await createEndpoint(account.key, { url: receiver.url() });
    const queued = await ping(account.key, endpoint.id);
    const done = await deliveryNamed(account.key, endpoint.id, queued.id, (d) => d.status === "succeeded");
    const [first, second] = done.attempts;
    const planned = Date.parse(first!.next_retry_at!) - Date.parse(first!.attempted_at);
    expect(planned).toBeGreaterThanOrEqual(1900);
    expect(planned).toBeLessThan(3000);
    expect(receiver.requests[1]!.at - receiver.requests[0]!.at).toBeGreaterThanOrEqual(1900);
    expect(second!.status_code).toBe(200);
  });

  it("disables the endpoint when the receiver answers 410 Gone", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    receiver.answer = () => new Response("gone", { status: 410 });
    const endpoint = await createEndpoint(account.key, { url: receiver.url() });
    const queued = await ping(account.key, endpoint.id);
    const failed = await deliveryNamed(account.key, endpoint.id, queued.id, (d) => d.status === "failed");
    expect(failed.attempts.map((a) => a.status_code)).toEqual([410]);
    const after = await (await api(`/v1/webhooks/${endpoint.id}`, { key: account.key })).json<{ enabled: boolean; disabled_reason: string }>();
    expect(after.enabled).toBe(false);
    expect(after.disabled_reason).toMatch(/410 Gone/);

    // A disabled endpoint gets no more fax events.
    const fax = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()] })).json<{ id: string }>();
    await waitForFinal(account.key, fax.id);
    await waitFor("fax events fanned out", async () => {
      const row = await env.DB.prepare("SELECT count(*) AS n FROM fax_events WHERE fax_id = ? AND published_at IS NOT NULL").bind(fax.id).first<{ n: number }>();
      return row!.n === 4;
    });
    expect(receiver.requests).toHaveLength(1);

    // Enabling it again clears the reason.
    const enabled = await (await api(`/v1/webhooks/${endpoint.id}`, { method: "PATCH", key: account.key, json: { enabled: true } })).json<{ enabled: boolean; disabled_reason: null }>();
    expect(enabled).toMatchObject({ enabled: true, disabled_reason: null });
  });

  it("dead-letters an exhausted delivery, shows it as exhausted, and redelivers it on request", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    const longBody = "x".repeat(3000);
    receiver.answer = () => new Response(longBody, { status: 500 });
    const endpoint = await createEndpoint(account.key, { url: receiver.url() });
    const queued = await ping(account.key, endpoint.id);

    // 1 attempt + one per entry of the (compressed) 11-step schedule, then the dead-letter queue.
    const exhausted = await deliveryNamed(account.key, endpoint.id, queued.id, (d) => d.status === "exhausted" && d.dead_lettered_at !== null);
    expect(exhausted.attempt_count).toBe(12);
    expect(exhausted.attempts.map((a) => a.number)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(exhausted.attempts.every((a) => a.status_code === 500 && a.response_excerpt?.length === 1024)).toBe(true);
    expect(exhausted.attempts.at(-1)!.next_retry_at).toBeNull();
    expect(exhausted.next_retry_at).toBeNull();
    expect(receiver.requests).toHaveLength(12);
    const listed = await deliveries(account.key, endpoint.id, "&status=exhausted");
    expect(listed.map((d) => d.id)).toEqual([queued.id]);

    receiver.answer = () => new Response("finally", { status: 200 });
    const redeliver = await api(`/v1/webhooks/${endpoint.id}/deliveries/${queued.id}/redeliver`, { method: "POST", key: account.key });
    expect(redeliver.status).toBe(202);
    expect((await redeliver.json<DeliveryView>()).status).toBe("pending");
    const succeeded = await deliveryNamed(account.key, endpoint.id, queued.id, (d) => d.status === "succeeded");
    expect(succeeded.attempt_count).toBe(13);
    expect(succeeded.attempts.at(-1)).toMatchObject({ number: 13, status_code: 200, response_excerpt: "finally" });
    expect(succeeded.dead_lettered_at).toBeNull();
    const last = receiver.requests.at(-1)!;
    expect(last.headers["webhook-id"]).toBe(queued.id);
    expect(verified(endpoint.secret, last).type).toBe("webhook.ping");
  });
});
