/**
 * Account-level events (events: issue 13 point 3): what happens to an account rather than to one fax
 * (`number.provisioned`, `number.released`, `balance.low`, `usage.tier_limit_reached`). They take the
 * fax events' way out: an outbox row in D1, written in the same batch as the change it reports, then
 * the `webhooks` queue (fan-out, signed deliveries, retries); the cron re-publishes a row whose
 * publish was lost (src/webhooks/publish.ts), so a crash between the batch and the publish delays
 * the event and never loses it.
 *
 *   const recorded = accountEvent(db, { accountId, mode, type, data });
 *   await db.batch([theChange, recorded.statement]);
 *   await publishAccountEvents(env, accountId, [recorded.event]);
 *
 * or, when there is no change to batch with, `await emitAccountEvent(env, { … })`.
 */
import type { SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { isoNow } from "../config";
import { insertAccountEvent } from "../db/account-event-store";
import { database, type Db } from "../db/client";
import type { EventType, PlatformEvent } from "../events/catalog";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import { publishEvents } from "./publish";

export interface AccountEventDraft {
  accountId: string;
  /** The mode (test or live key) the event belongs to; null when it concerns both. Event streams are scoped by it. */
  mode: "test" | "live" | null;
  type: EventType;
  data: Record<string, unknown>;
}

export interface RecordedAccountEvent {
  event: PlatformEvent;
  /** Stores the event: put it in the D1 batch of the change it reports. */
  statement: BatchItem<"sqlite">;
}

/**
 * A new event and the statement that records it. `onlyIf`: store it only when this SQL condition
 * holds as the statement runs (place the statement before the change it is conditional on).
 */
export function accountEvent(db: Db, draft: AccountEventDraft, onlyIf?: SQL): RecordedAccountEvent {
  // data.mode says whose event it is (src/events/event-mode.ts): a test endpoint or stream never gets a live one.
  const data = draft.mode ? { ...draft.data, mode: draft.mode } : draft.data;
  const event: PlatformEvent = { id: newId("evt"), type: draft.type, created_at: isoNow(), data };
  const row = { id: event.id, accountId: draft.accountId, mode: draft.mode, type: event.type, createdAt: event.created_at, data: JSON.stringify(event.data) };
  return { event, statement: insertAccountEvent(db, row, onlyIf) };
}

/**
 * Publishes recorded events. It never throws: the change and its events are already stored, and
 * whatever does not reach the queue now is re-published by the cron's sweep.
 */
export async function publishAccountEvents(env: Env, accountId: string, events: PlatformEvent[]): Promise<void> {
  if (events.length === 0) return;
  try {
    await publishEvents(env, accountId, events);
  } catch (error) {
    log.error("account events not published; the sweep will publish them", { account_id: accountId, error: String(error) });
  }
}

/** Records one event on its own (for a change that has no D1 batch to share) and publishes it. */
export async function emitAccountEvent(env: Env, draft: AccountEventDraft): Promise<PlatformEvent> {
  const recorded = accountEvent(database(env.DB), draft);
  await database(env.DB).batch([recorded.statement]);
  await publishAccountEvents(env, draft.accountId, [recorded.event]);
  return recorded.event;
}
