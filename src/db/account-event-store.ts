/**
 * The account-level event outbox (events: issue 13 point 3): events not tied to a fax. A row is
 * written in the same D1 batch as the change it reports; the webhooks consumer marks it published
 * when it fans it out, and the cron re-publishes rows left unpublished (src/webhooks/publish.ts).
 */
import { and, asc, gt, isNull, lt, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "./client";
import { accountEvents } from "./schema";

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
