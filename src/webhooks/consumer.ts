/**
 * The `webhooks` queue consumer and the `dead-letters` recorder.
 *
 * An event message is fanned out and each new delivery's first attempt starts at once (no second
 * queue hop), in the background once the delivery rows are stored, so the message is acknowledged
 * without waiting for the receiver and the next batch is not held up. A failed delivery then rides
 * one delivery message: `message.retry({ delaySeconds })` per the retry schedule; after the
 * schedule's last retry the queue moves the message to `dead-letters`, where it is recorded as
 * exhausted and stays in the delivery log for a manual redelivery.
 */
import { database } from "../db/client";
import { findDelivery, markDeadLettered } from "../db/webhook-store";
import { log } from "../lib/log";
import { ATTEMPT_LEASE_MS, attemptDelivery, newDeliveryCache, type AttemptOutcome, type DeliveryCache } from "./deliver";
import { eventStreamFeeder, type StreamFeeder } from "./event-stream";
import { fanOut } from "./fan-out";
import { HELD_RETRY_SECONDS, laneOf, mayPublish } from "./fax-order";
import { isWebhookMessage, type WebhookDeliveryMessage, type WebhookEventMessage } from "./messages";

/**
 * Where an event message's first attempts run once its deliveries are stored: `ctx.waitUntil` in the
 * Worker, so the batch is acknowledged as soon as the rows are durable and the queue can hand over
 * its next batch (a consumer gets one batch at a time) instead of waiting for the slowest receiver.
 * Nothing is lost if the isolate dies mid-attempt: the rows are claimed with a lease, and the cron's
 * overdue sweep re-drives them (wrangler.toml sets `queue_consumer_no_wait_for_wait_until`).
 */
export type Background = (work: Promise<unknown>) => void;

export async function handleWebhookBatch(batch: MessageBatch<unknown>, env: Env, background: Background): Promise<void> {
  const cache = newDeliveryCache();
  const feed = eventStreamFeeder(env);
  // A fax's events run one after another in their order (src/webhooks/fax-order.ts); all else concurrently.
  const lanes = new Map<string, { message: Message<unknown>; sequence: number }[]>();
  for (const message of batch.messages) {
    const body = message.body;
    const { lane, sequence } = laneOf(isWebhookMessage(body) && body.kind === "webhook.event" ? body.event : null, message.id);
    lanes.set(lane, [...(lanes.get(lane) ?? []), { message, sequence }]);
  }
  await Promise.all(
    [...lanes.values()].map(async (lane) => {
      lane.sort((a, b) => a.sequence - b.sequence);
      let held = false;
      for (const { message } of lane) {
        // Once one event of a fax is held back, its successors are too.
        if (held) message.retry({ delaySeconds: HELD_RETRY_SECONDS });
        else held = (await handleMessage(env, message, cache, feed, background)) === "held";
      }
    }),
  );
}

async function handleMessage(env: Env, message: Message<unknown>, cache: DeliveryCache, feed: StreamFeeder, background: Background): Promise<"done" | "held"> {
  try {
    const body = message.body;
    if (!isWebhookMessage(body)) {
      log.error("unknown message on the webhooks queue; dropped", { message_id: message.id });
      message.ack();
      return "done";
    }
    if (body.kind === "webhook.event") {
      if (!body.endpointId && !(await mayPublish(env, body.accountId, body.event))) {
        message.retry({ delaySeconds: HELD_RETRY_SECONDS });
        return "held";
      }
      await handleEvent(env, body, cache, feed, background);
      message.ack();
      return "done";
    }
    const next = await handleDelivery(env, body, message.attempts, cache);
    if (next === null) message.ack();
    else message.retry({ delaySeconds: next });
    return "done";
  } catch (error) {
    log.error("webhook message failed; will retry", { message_id: message.id, error: String(error) });
    message.retry({ delaySeconds: Math.min(300, 2 ** message.attempts) });
    return "held";
  }
}

async function handleEvent(env: Env, body: WebhookEventMessage, cache: DeliveryCache, feed: StreamFeeder, background: Background): Promise<void> {
  // Streams first (src/webhooks/event-stream.ts): if this throws, the message is retried and the event is not marked published.
  if (!body.endpointId) await feed(body.accountId, body.event);
  const { stored, claimed } = await fanOut(env, body.accountId, body.event, body.endpointId, cache, ATTEMPT_LEASE_MS);
  // New rows come claimed; a row created earlier but never attempted (a ping, a crash) is claimed now.
  const unattempted = stored.filter((d) => d.status === "pending" && d.attempts === 0);
  const attempts = [...claimed.map((d) => ({ delivery: d, claimed: true })), ...unattempted.map((d) => ({ delivery: d, claimed: false }))];
  for (const { delivery, claimed: preclaimed } of attempts) {
    background(
      (async () => {
        const outcome = await attemptDelivery(env, delivery, 1, cache, preclaimed);
        const delay = followUpDelay(outcome);
        if (delay === null) return;
        const retry: WebhookDeliveryMessage = { kind: "webhook.delivery", accountId: delivery.accountId, deliveryId: delivery.id, attempt: 2 };
        await env.WEBHOOKS.send(retry, { delaySeconds: delay });
      })().catch((error: unknown) => {
        // The row stays pending with its lease: the cron's overdue sweep attempts it again.
        log.error("webhook first attempt failed; the sweep will re-drive it", {
          delivery_id: delivery.id,
          account_id: delivery.accountId,
          error: String(error),
        });
      }),
    );
  }
}

/**
 * Receipt `receipt` (1-based, message.attempts) of a delivery message performs attempt
 * `attempt + receipt - 1`. Returns the retry delay in seconds, or null to acknowledge.
 */
async function handleDelivery(env: Env, body: WebhookDeliveryMessage, receipt: number, cache: DeliveryCache): Promise<number | null> {
  const attempt = body.attempt + receipt - 1;
  const delivery = await findDelivery(database(env.DB), body.accountId, body.deliveryId);
  if (!delivery) return null;
  // Exhausted, and this message has not reached the dead-letter queue yet: pass through the
  // remaining receipts without sending, so the queue dead-letters it.
  if (delivery.status === "exhausted" && attempt > delivery.attempts) return 0;
  // Another copy of the message already made this attempt, or the delivery finished.
  if (delivery.status !== "pending" || delivery.attempts !== attempt - 1) return null;
  return followUpDelay(await attemptDelivery(env, delivery, attempt, cache));
}

function followUpDelay(outcome: AttemptOutcome): number | null {
  if (outcome.kind === "retry") return outcome.delaySeconds;
  if (outcome.kind === "exhausted") return 0;
  return null;
}

/**
 * `dead-letters` holds what the queues gave up on: webhook delivery messages after their last retry
 * are recorded as exhausted; fax events that could not even be fanned out are left to the cron,
 * which re-enqueues every event not marked as fanned out. Other queues' dead letters are logged.
 */
export async function recordDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const db = database(env.DB);
  for (const message of batch.messages) {
    const body = message.body;
    try {
      if (isWebhookMessage(body) && body.kind === "webhook.delivery") {
        await markDeadLettered(db, body.accountId, body.deliveryId);
      } else {
        log.error("dead letter", {
          message_id: message.id,
          kind: isWebhookMessage(body) ? body.kind : "other",
          event_id: isWebhookMessage(body) && body.kind === "webhook.event" ? body.event.id : undefined,
        });
      }
      message.ack();
    } catch (error) {
      log.error("dead letter could not be recorded; will retry", { message_id: message.id, error: String(error) });
      message.retry({ delaySeconds: 30 });
    }
  }
}
