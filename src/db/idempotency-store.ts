/**
 * The registry of Idempotency-Key replies still kept (data-protection gaps point 2): each reply lives sealed in
 * its own IdempotencyObject (src/api/middleware/idempotency-object.ts), which cannot be listed, so this table
 * names them and the key each is sealed under, for `npm run documents:rewrap`. Rows past their 24 h go when the
 * account stores another reply, or when the re-wrap pages through.
 */
import { and, asc, eq, gt, lt, sql } from "drizzle-orm";
import type { Db } from "./client";
import { idempotencyReplies } from "./schema";

export type IdempotencyReplyRow = typeof idempotencyReplies.$inferSelect & { rowid: number };

/** Records a reply about to be stored (and forgets the account's expired ones). */
export async function registerIdempotentReply(db: Db, row: typeof idempotencyReplies.$inferInsert, nowIso: string): Promise<void> {
  await db.batch([
    db.delete(idempotencyReplies).where(and(eq(idempotencyReplies.accountId, row.accountId), lt(idempotencyReplies.expiresAt, nowIso))),
    db
      .insert(idempotencyReplies)
      .values(row)
      .onConflictDoUpdate({ target: [idempotencyReplies.accountId, idempotencyReplies.idempotencyKey], set: { keyId: row.keyId, expiresAt: row.expiresAt } }),
  ]);
}

/** One page of live replies across accounts, by rowid (an operator's command); expired rows are dropped first. */
export async function idempotentRepliesPage(db: Db, nowIso: string, o: { cursor?: string; limit: number }): Promise<IdempotencyReplyRow[]> {
  await db.delete(idempotencyReplies).where(lt(idempotencyReplies.expiresAt, nowIso));
  const rowid = sql<number>`rowid`;
  return db
    .select({ rowid, accountId: idempotencyReplies.accountId, idempotencyKey: idempotencyReplies.idempotencyKey, keyId: idempotencyReplies.keyId, expiresAt: idempotencyReplies.expiresAt })
    .from(idempotencyReplies)
    .where(o.cursor ? gt(rowid, Number(o.cursor)) : undefined)
    .orderBy(asc(rowid))
    .limit(o.limit)
    .all();
}

export async function setIdempotentReplyKey(db: Db, row: Pick<IdempotencyReplyRow, "accountId" | "idempotencyKey">, keyId: string | null): Promise<void> {
  const where = and(eq(idempotencyReplies.accountId, row.accountId), eq(idempotencyReplies.idempotencyKey, row.idempotencyKey));
  if (keyId === null) await db.delete(idempotencyReplies).where(where);
  else await db.update(idempotencyReplies).set({ keyId }).where(where);
}
