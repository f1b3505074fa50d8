/**
 * Fan-out: one event becomes one delivery per enabled endpoint of its mode subscribed to its type, plus one to
 * the fax's own webhook_url. A delivery's id (msg_…, the `webhook-id` on the wire) is derived from
 * (event id, target), so when an event is enqueued twice (a crash between enqueue and clearing the
 * outbox, or the cron's re-enqueue) the second fan-out finds the same rows and sends nothing new.
 */
import { database } from "../db/client";
import { sealPayload } from "../db/delivery-payload";
import { enabledEndpoints, findEndpointForDelivery, insertDeliveries, type WebhookDeliveryRow, type WebhookEndpointRow } from "../db/webhook-store";
import type { EventType, PlatformEvent } from "../events/catalog";
import { sha256Hex } from "../lib/crypto";
import { newDeliveryCache, type DeliveryCache } from "./deliver";
import { eventMode } from "../events/event-mode";

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

/** `msg_` + the event id's time part (so deliveries sort like their events) + 16 characters of SHA-256(event, target). */
export async function deliveryIdFor(eventId: string, target: string): Promise<string> {
  const time = /^[a-z]+_([0-9a-z]{10})/.exec(eventId)?.[1] ?? "0000000000";
  const digest = await sha256Hex(`${eventId}\n${target}`);
  let tail = "";
  for (let i = 0; i < 16; i++) tail += CROCKFORD[parseInt(digest.slice(i * 2, i * 2 + 2), 16) % 32];
  return `msg_${time}${tail}`;
}

export function subscribes(endpoint: Pick<WebhookEndpointRow, "eventTypes">, type: EventType): boolean {
  const types = JSON.parse(endpoint.eventTypes) as string[];
  return types.includes("*") || types.includes(type);
}

/** The fax's own webhook_url, when the event is about a fax that has one. */
export function callbackUrlOf(event: PlatformEvent): string | null {
  const fax = event.data.fax as { webhook_url?: unknown } | undefined;
  return typeof fax?.webhook_url === "string" && fax.webhook_url !== "" ? fax.webhook_url : null;
}

export function envelope(event: PlatformEvent): string {
  return JSON.stringify({ id: event.id, type: event.type, created_at: event.created_at, data: event.data });
}

/**
 * Creates the event's deliveries (or finds them) and marks the event fanned out, in one D1 batch.
 * With `claimLeaseMs`, new rows are stored already claimed for attempt 1 (the caller makes it at
 * once, without another round trip) and are returned in `claimed`; `stored` has every row.
 */
export async function fanOut(
  env: Env,
  accountId: string,
  event: PlatformEvent,
  onlyEndpointId: string | undefined,
  cache: DeliveryCache = newDeliveryCache(),
  claimLeaseMs?: number,
): Promise<{ stored: WebhookDeliveryRow[]; claimed: WebhookDeliveryRow[] }> {
  const db = database(env.DB);
  const targets: { endpointId: string | null; url: string | null; key: string }[] = [];
  if (onlyEndpointId) {
    const endpoint = await findEndpointForDelivery(db, accountId, onlyEndpointId);
    if (endpoint && endpoint.deletedAt === null) targets.push({ endpointId: endpoint.id, url: null, key: endpoint.id });
  } else {
    let endpoints = cache.accountEndpoints.get(accountId);
    if (!endpoints) {
      endpoints = enabledEndpoints(db, accountId);
      cache.accountEndpoints.set(accountId, endpoints);
      for (const endpoint of await endpoints) cache.endpoints.set(endpoint.id, Promise.resolve(endpoint));
    }
    // Endpoints receive their own mode's events only (migration 0017); an event of no mode concerns both.
    const mode = eventMode(event);
    for (const endpoint of await endpoints) {
      if ((mode === null || endpoint.mode === mode) && subscribes(endpoint, event.type)) targets.push({ endpointId: endpoint.id, url: null, key: endpoint.id });
    }
    const callback = callbackUrlOf(event);
    if (callback) targets.push({ endpointId: null, url: callback, key: `url:${callback}` });
  }
  const now = new Date().toISOString();
  const claim = claimLeaseMs !== undefined;
  const payload = envelope(event);
  const rows: WebhookDeliveryRow[] = await Promise.all(
    targets.map(async (t) => {
      const id = await deliveryIdFor(event.id, t.key);
      return {
        id,
        accountId,
        endpointId: t.endpointId,
        url: t.url,
        mode: eventMode(event),
        eventId: event.id,
        eventType: event.type,
        payload: await sealPayload(env, accountId, id, payload),
        status: "pending" as const,
        attempts: claim ? 1 : 0,
        // Due now (or when the claim's lease ends): if nothing attempts it (a worker died), the cron's overdue sweep will.
        nextRetryAt: claim ? new Date(Date.parse(now) + claimLeaseMs).toISOString() : now,
        lastAttemptAt: claim ? now : null,
        lastStatusCode: null,
        deadLetteredAt: null,
        createdAt: now,
        updatedAt: now,
      };
    }),
  );
  const { stored, inserted } = await insertDeliveries(db, rows, { accountId, eventId: event.id });
  return { stored, claimed: claim ? stored.filter((row) => inserted.has(row.id)) : [] };
}
