/**
 * Inbound pages per number per calendar month (issue 15 point 6). One row per received fax, so a
 * repeated upload of the same call counts once; the allowance alert is one row per number, month and
 * tier, claimed by a single conditional insert, so concurrent receives emit it exactly once.
 */
import { and, eq, sql } from "drizzle-orm";
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

/**
 * Records that the number reached `includedPages` this month, unless that was recorded already.
 * Returns the new alert row only to the one caller whose insert made it: the count and the claim are
 * one statement, which SQLite runs alone.
 */
export async function claimTierAlert(
  db: Db,
  a: { accountId: string; numberId: string; month: string; tier: string; includedPages: number },
): Promise<TierAlertRow | null> {
  const now = new Date().toISOString();
  const rows = await db.all<{ account_id: string; number_id: string; month: string; tier: string; included_pages: number; inbound_pages: number; created_at: string }>(sql`
    INSERT INTO number_tier_alerts (account_id, number_id, month, tier, included_pages, inbound_pages, created_at)
    SELECT ${a.accountId}, ${a.numberId}, ${a.month}, ${a.tier}, ${a.includedPages}, total, ${now}
    FROM (SELECT COALESCE(SUM(pages), 0) AS total FROM number_inbound_pages WHERE account_id = ${a.accountId} AND number_id = ${a.numberId} AND month = ${a.month})
    WHERE total >= ${a.includedPages}
    ON CONFLICT DO NOTHING
    RETURNING *`);
  const row = rows[0];
  if (!row) return null;
  return {
    accountId: row.account_id,
    numberId: row.number_id,
    month: row.month,
    tier: row.tier,
    includedPages: row.included_pages,
    inboundPages: row.inbound_pages,
    createdAt: row.created_at,
  };
}
