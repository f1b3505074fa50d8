/** Reading an account's audit chain from D1 (written only by AuditLogObject). Every query carries the account id. */
import { and, asc, desc, eq, gte, lt, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { auditEvents } from "../db/schema";
import type { AuditEntry } from "./chain";

export interface AuditFilter {
  action?: string;
  actorId?: string;
  targetId?: string;
  /** occurred_at ≥ from */
  from?: string;
  /** occurred_at < to */
  to?: string;
}

/** Newest first; `afterId` is the last entry of the previous page. */
export async function listAuditEntries(db: Db, accountId: string, filter: AuditFilter, limit: number, afterId?: string): Promise<{ data: AuditEntry[]; hasMore: boolean }> {
  const conditions: (SQL | undefined)[] = [
    eq(auditEvents.accountId, accountId),
    filter.action ? eq(auditEvents.action, filter.action) : undefined,
    filter.actorId ? eq(auditEvents.actorId, filter.actorId) : undefined,
    filter.targetId ? eq(auditEvents.targetId, filter.targetId) : undefined,
    filter.from ? gte(auditEvents.occurredAt, filter.from) : undefined,
    filter.to ? lt(auditEvents.occurredAt, filter.to) : undefined,
    afterId
      ? lt(auditEvents.seq, sql`(SELECT seq FROM audit_events WHERE account_id = ${accountId} AND id = ${afterId})`)
      : undefined,
  ];
  const rows = await db
    .select({ line: auditEvents.line })
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(desc(auditEvents.seq))
    .limit(limit + 1)
    .all();
  return { data: rows.slice(0, limit).map((r) => JSON.parse(r.line) as AuditEntry), hasMore: rows.length > limit };
}

/**
 * The contiguous seq range an export of [from, to) covers: from the first entry that occurred at or after
 * `from` to the last that occurred before `to`. An export is a whole stretch of the chain, never a
 * filtered one with holes, so it can be verified (an entry retried from the outbox may carry an
 * occurred_at a little older than its neighbours').
 */
export async function exportRange(db: Db, accountId: string, from?: string, to?: string): Promise<{ first: number; last: number } | null> {
  const row = await db
    .select({ first: sql<number | null>`min(${auditEvents.seq})`, last: sql<number | null>`max(${auditEvents.seq})` })
    .from(auditEvents)
    .where(and(eq(auditEvents.accountId, accountId), from ? gte(auditEvents.occurredAt, from) : undefined, to ? lt(auditEvents.occurredAt, to) : undefined))
    .get();
  return row?.first != null && row.last != null ? { first: row.first, last: row.last } : null;
}

/** Lines `first..last` of the chain as stored, `pageSize` at a time, in seq order. */
export async function* chainLines(db: Db, accountId: string, range: { first: number; last: number }, pageSize = 500): AsyncGenerator<string> {
  let next = range.first;
  while (next <= range.last) {
    const rows = await db
      .select({ seq: auditEvents.seq, line: auditEvents.line })
      .from(auditEvents)
      .where(and(eq(auditEvents.accountId, accountId), gte(auditEvents.seq, next), sql`${auditEvents.seq} <= ${range.last}`))
      .orderBy(asc(auditEvents.seq))
      .limit(pageSize)
      .all();
    if (rows.length === 0) return;
    for (const row of rows) yield row.line;
    next = rows[rows.length - 1]!.seq + 1;
  }
}

/** Each account's chain head, for accounts whose last checkpoint is older than `day` (or that have none). */
export async function headsWithoutCheckpoint(d1: D1Database, day: string, limit = 100): Promise<Array<{ account_id: string; seq: number; hash: string }>> {
  const rows = await d1
    .prepare(
      `SELECT e.account_id, e.seq, e.hash FROM audit_events e
       JOIN (SELECT account_id, max(seq) AS seq FROM audit_events GROUP BY account_id) h ON h.account_id = e.account_id AND h.seq = e.seq
       LEFT JOIN audit_checkpoints c ON c.account_id = e.account_id
       WHERE c.day IS NULL OR c.day < ? LIMIT ?`,
    )
    .bind(day, limit)
    .all<{ account_id: string; seq: number; hash: string }>();
  return rows.results;
}
