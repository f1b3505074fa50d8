/**
 * The outbox's way out: FaxObject.flush() calls `publishEvents` after projecting to D1 and before
 * clearing its outbox, so a crash in between only enqueues an event twice (fan-out is idempotent).
 * The cron's `sweepWebhooks` covers the rest: fax and account events (src/webhooks/account-events.ts)
 * not marked as fanned out a minute after they happened are enqueued again, and pending deliveries long past their retry time (a lost
 * queue message, a worker that died mid-attempt) get a new delivery message.
 *
 * Locally (ENVIRONMENT=local) queued messages live in memory and a restart of `npm start` drops
 * them, so the sweep steps in after seconds rather than minutes; on Cloudflare queues are durable
 * and the margins only cover rare losses. Re-driving early is harmless: an attempt is claimed once.
 */
import { settings } from "../config";
import { findUnpublishedAccountEvents } from "../db/account-event-store";
import { database } from "../db/client";
import { openEventData } from "../db/fax-private";
import { findOverdueDeliveries, findUnpublishedEvents, postponeDeliveries } from "../db/webhook-store";
import type { EventType, PlatformEvent } from "../events/catalog";
import { fieldCipher } from "../storage/fields";
import type { WebhookDeliveryMessage, WebhookEventMessage } from "./messages";

/** Cloudflare Queues sendBatch: at most 100 messages and 256 KB per call. */
const BATCH_MESSAGES = 100;
const BATCH_BYTES = 200_000;
/** The retry schedule spans about three days; older events are not worth re-sending. */
const SWEEP_WINDOW_MS = 3 * 24 * 3600 * 1000;
const PUBLISH_GRACE_MS = { deployed: 60_000, local: 10_000 };
const OVERDUE_MS = { deployed: 10 * 60_000, local: 15_000 };
const SWEEP_LIMIT = 500;

export async function publishEvents(env: Env, accountId: string, events: PlatformEvent[]): Promise<void> {
  let batch: MessageSendRequest<WebhookEventMessage>[] = [];
  let bytes = 0;
  for (const event of events) {
    const body: WebhookEventMessage = { kind: "webhook.event", accountId, event };
    const size = JSON.stringify(body).length + 100;
    if (batch.length > 0 && (batch.length >= BATCH_MESSAGES || bytes + size > BATCH_BYTES)) {
      await env.WEBHOOKS.sendBatch(batch);
      batch = [];
      bytes = 0;
    }
    batch.push({ body });
    bytes += size;
  }
  if (batch.length > 0) await env.WEBHOOKS.sendBatch(batch);
}

export async function sweepWebhooks(env: Env, nowMs: number): Promise<{ republished: number; redriven: number }> {
  const db = database(env.DB);
  const where = settings(env).local ? "local" : "deployed";
  const after = new Date(nowMs - SWEEP_WINDOW_MS).toISOString();
  const before = new Date(nowMs - PUBLISH_GRACE_MS[where]).toISOString();
  const events = [
    ...(await findUnpublishedEvents(db, after, before, SWEEP_LIMIT)),
    ...(await findUnpublishedAccountEvents(db, after, before, SWEEP_LIMIT)),
  ];
  const byAccount = new Map<string, PlatformEvent[]>();
  for (const row of events) {
    // Fax events are stored with the fax's metadata and cover page sealed (src/db/fax-private.ts).
    const data = await openEventData(fieldCipher(env), row.accountId, JSON.parse(row.data) as Record<string, unknown>);
    const event: PlatformEvent = { id: row.id, type: row.type as EventType, created_at: row.createdAt, data };
    byAccount.set(row.accountId, [...(byAccount.get(row.accountId) ?? []), event]);
  }
  for (const [accountId, list] of byAccount) await publishEvents(env, accountId, list);

  const overdue = await findOverdueDeliveries(db, new Date(nowMs - OVERDUE_MS[where]).toISOString(), SWEEP_LIMIT);
  // Postponed first: if the send below fails, the next sweep still finds them.
  await postponeDeliveries(db, overdue, new Date(nowMs + OVERDUE_MS[where]).toISOString());
  for (let i = 0; i < overdue.length; i += BATCH_MESSAGES) {
    const group = overdue.slice(i, i + BATCH_MESSAGES);
    await env.WEBHOOKS.sendBatch(
      group.map((d) => ({ body: { kind: "webhook.delivery", accountId: d.accountId, deliveryId: d.id, attempt: d.attempts + 1 } satisfies WebhookDeliveryMessage })),
    );
  }
  return { republished: events.length, redriven: overdue.length };
}
