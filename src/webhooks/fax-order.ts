/**
 * Per-fax order of publishing (issue 13 point 4). Every fax event carries `data.sequence`; the
 * consumer fans a fax's event out only once its predecessor is fanned out, so deliveries are created,
 * first attempts started and event streams fed in the fax's order. Before fanning out it also waits,
 * briefly, for the predecessor's first attempts to finish, so a healthy receiver sees `fax.page_sent`
 * before `fax.delivered`. Retries may still overtake (deliveries race); receivers order by `sequence`.
 */
import { database } from "../db/client";
import { findPredecessor } from "../db/webhook-store";
import type { PlatformEvent } from "../events/catalog";
import { faxOrderOf } from "../events/order";

/** How long an event waits for its predecessor's first attempts (a receiver's timeout is 10 s; this bounds the hold). */
const FIRST_ATTEMPTS_WAIT_MS = 2_000;
const POLL_MS = 15;
/** A held event's queue message comes back after this long. */
export const HELD_RETRY_SECONDS = 1;

/**
 * True when the event may be fanned out now: it has no fax order, or its predecessor is fanned out
 * (then it waits up to FIRST_ATTEMPTS_WAIT_MS for the predecessor's first attempts). False: hold it.
 */
export async function mayPublish(env: Env, accountId: string, event: PlatformEvent): Promise<boolean> {
  const order = faxOrderOf(event);
  if (!order) return true;
  const db = database(env.DB);
  const deadline = Date.now() + FIRST_ATTEMPTS_WAIT_MS;
  for (;;) {
    const predecessor = await findPredecessor(db, accountId, order.faxId, order.sequence);
    if (!predecessor) return true;
    if (predecessor.published && predecessor.firstAttemptsInFlight === 0) return true;
    if (Date.now() >= deadline) return predecessor.published;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Where a message goes in a batch: a fax's events share a lane, taken one after another in sequence. */
export function laneOf(event: PlatformEvent | null, messageId: string): { lane: string; sequence: number } {
  const order = event ? faxOrderOf(event) : null;
  return order ? { lane: `fax:${order.faxId}`, sequence: order.sequence } : { lane: `message:${messageId}`, sequence: 0 };
}
