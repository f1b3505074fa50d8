/**
 * The account-level event outbox (events: issue 13 point 3): events not tied to a fax. A row is
 * written in the same D1 batch as the change it reports; the webhooks consumer marks it published
 * when it fans it out, and the cron re-publishes rows left unpublished (src/webhooks/publish.ts).
 */
import { and, asc, eq, gt, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { EventType, PlatformEvent } from "../events/catalog";
import type { FieldCipher } from "../storage/fields";
import type { Db } from "./client";
import { openEventData } from "./fax-private";
import { accountEvents, faxEvents } from "./schema";

export type AccountEventRow = typeof accountEvents.$inferSelect;

/**
 * The statement that stores one event. With `onlyIf` (an SQL condition, e.g. an EXISTS over the row
 * the same batch is about to change), the event is stored only when the condition holds when the
 * statement runs: put it before the change in the batch, and both see the same state.
 */
export function insertAccountEvent(db: Db, row: Omit<AccountEventRow, "publishedAt">, onlyIf?: SQL): BatchItem<"sqlite"> {
  if (!onlyIf) return db.insert(accountEvents).values({ ...row, publishedAt: null }).onConflictDoNothing();
  // INSERT … SELECT names every column in the table's order: id, account_id, mode, type, created_at, data, published_at.
  return db
    .insert(accountEvents)
    .select(sql`SELECT ${row.id}, ${row.accountId}, ${row.mode}, ${row.type}, ${row.createdAt}, ${row.data}, NULL WHERE ${onlyIf}`)
    .onConflictDoNothing();
}

/** Account events not yet fanned out, created between the two times (the cron's sweep, across accounts). */
export async function findUnpublishedAccountEvents(db: Db, createdAfter: string, createdBefore: string, limit: number): Promise<AccountEventRow[]> {
  return db
    .select()
    .from(accountEvents)
    .where(and(isNull(accountEvents.publishedAt), gt(accountEvents.createdAt, createdAfter), lt(accountEvents.createdAt, createdBefore)))
    .orderBy(asc(accountEvents.createdAt))
    .limit(limit)
    .all();
}

/**
 * Every event of the account after `afterId` (ids sort by time), fax and account events together,
 * oldest first and each fax's in its order: an event stream's resume when its own log no longer
 * reaches back that far. `mode` keeps fax events of that mode and account events of it or of both.
 */
export async function findEventsAfter(db: Db, accountId: string, mode: "test" | "live", afterId: string, limit: number, cipher: FieldCipher): Promise<PlatformEvent[]> {
  const faxRows = await db
    .select()
    .from(faxEvents)
    .where(and(eq(faxEvents.accountId, accountId), gt(faxEvents.id, afterId)))
    .orderBy(asc(faxEvents.id))
    .limit(limit)
    .all();
  const accountRows = await db
    .select()
    .from(accountEvents)
    .where(and(eq(accountEvents.accountId, accountId), gt(accountEvents.id, afterId), or(isNull(accountEvents.mode), eq(accountEvents.mode, mode))))
    .orderBy(asc(accountEvents.id))
    .limit(limit)
    .all();
  const events = [
    ...faxRows.map((r) => ({ ...asEvent(r), sequence: r.sequence ?? 0 })).filter((e) => (e.data.fax as { mode?: string } | undefined)?.mode === mode),
    ...accountRows.map((r) => ({ ...asEvent(r), sequence: 0 })),
  ];
  // Same millisecond: a fax's events by sequence (ids within one millisecond are in random order).
  events.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.sequence - b.sequence || a.id.localeCompare(b.id));
  // Fax events keep the fax's metadata and cover page sealed (./fax-private.ts); `mode` above is stored in clear.
  return Promise.all(events.slice(0, limit).map(async ({ sequence: _sequence, ...event }) => ({ ...event, data: await openEventData(cipher, accountId, event.data) })));
}

function asEvent(row: { id: string; type: string; createdAt: string; data: string }): PlatformEvent {
  return { id: row.id, type: row.type as EventType, created_at: row.createdAt, data: JSON.parse(row.data) as Record<string, unknown> };
}
