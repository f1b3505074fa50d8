/**
 * Inbound pages per number per calendar month (issue 15 point 6). One row per received fax, so a
 * repeated upload of the same call counts once; the allowance alert is one row per number, month and
 * tier, claimed by a single conditional insert, so concurrent receives emit it exactly once.
 */
import { and, eq, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "./client";
import { numberInboundPages, numberTierAlerts } from "./schema";

export type TierAlertRow = typeof numberTierAlerts.$inferSelect;

export async function recordInboundPages(db: Db, row: { faxId: string; accountId: string; numberId: string; month: string; pages: number }): Promise<void> {
  await db
    .insert(numberInboundPages)
    .values({ ...row, createdAt: new Date().toISOString() })
    .onConflictDoNothing();
}

export async function monthlyInboundPages(db: Db, accountId: string, numberId: string, month: string): Promise<number> {
  const row = await db
    .select({ pages: sql<number>`COALESCE(SUM(${numberInboundPages.pages}), 0)` })
    .from(numberInboundPages)
    .where(and(eq(numberInboundPages.accountId, accountId), eq(numberInboundPages.numberId, numberId), eq(numberInboundPages.month, month)))
    .get();
  return row?.pages ?? 0;
}

export interface TierAlertClaim {
  accountId: string;
  numberId: string;
  month: string;
  tier: string;
  includedPages: number;
}

/**
 * Records that the number reached `includedPages` this month, unless that was recorded already, and
 * returns the new row only to the one caller whose insert made it: the count and the claim are one
 * statement, which SQLite runs alone. `alongside(reached)` statements run first in the same batch;
 * `reached` holds exactly when the claim will insert (use it as an event's onlyIf).
 */
export async function claimTierAlert(db: Db, a: TierAlertClaim, alongside: (reached: SQL) => BatchItem<"sqlite">[] = () => []): Promise<TierAlertRow | null> {
  const total = sql`(SELECT COALESCE(SUM(${numberInboundPages.pages}), 0) FROM ${numberInboundPages} WHERE ${numberInboundPages.accountId} = ${a.accountId} AND ${numberInboundPages.numberId} = ${a.numberId} AND ${numberInboundPages.month} = ${a.month})`;
  const claimed = sql`EXISTS (SELECT 1 FROM ${numberTierAlerts} WHERE ${numberTierAlerts.numberId} = ${a.numberId} AND ${numberTierAlerts.month} = ${a.month} AND ${numberTierAlerts.tier} = ${a.tier})`;
  const reached = sql`(NOT ${claimed} AND ${total} >= ${a.includedPages})`;
  // INSERT … SELECT names every column in the table's order.
  const claim = db
    .insert(numberTierAlerts)
    .select(sql`SELECT ${a.accountId}, ${a.numberId}, ${a.month}, ${a.tier}, ${a.includedPages}, ${total}, ${new Date().toISOString()} WHERE ${total} >= ${a.includedPages}`)
    .onConflictDoNothing()
    .returning();
  const items: BatchItem<"sqlite">[] = [...alongside(reached), claim];
  const results = await db.batch(items as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  return (results.at(-1) as TierAlertRow[])[0] ?? null;
}
