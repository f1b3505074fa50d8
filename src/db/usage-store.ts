/**
 * Usage of an account (issue 16 point 5): faxes and pages in and out, and credits, over a time range, grouped.
 * Credits of a fax are what its ledger rows took in the end (reserve minus settle or refund; a fax still
 * in progress counts what it holds). Every query carries the account id and the mode.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "./client";
import type { Mode } from "./credit-store";

/**
 * What a usage row is grouped by: the one place to change. `external_user` reads the fax's own
 * external_user_id (partners put it on every fax of a user's number; null otherwise).
 */
export const USAGE_GROUPS = {
  day: sql`substr(f.created_at, 1, 10)`,
  number: sql`CASE f.direction WHEN 'outbound' THEN f."from" ELSE f."to" END`,
  external_user: sql`json_extract(f.body, '$.external_user_id')`,
} as const satisfies Record<string, SQL>;

export type UsageGroup = keyof typeof USAGE_GROUPS;

export interface UsageRow {
  group: string | null;
  faxes_sent: number;
  faxes_received: number;
  pages_sent: number;
  pages_received: number;
  credits: number;
}

export async function usageBetween(db: Db, accountId: string, mode: Mode, fromIso: string, toIso: string, groupBy: UsageGroup): Promise<UsageRow[]> {
  const key = USAGE_GROUPS[groupBy];
  return db.all<UsageRow>(sql`
    SELECT ${key} AS "group",
      COALESCE(SUM(f.direction = 'outbound'), 0) AS faxes_sent,
      COALESCE(SUM(f.direction = 'inbound' AND f.status = 'received'), 0) AS faxes_received,
      COALESCE(SUM(CASE WHEN f.direction = 'outbound' THEN f.pages_sent ELSE 0 END), 0) AS pages_sent,
      COALESCE(SUM(CASE WHEN f.direction = 'inbound' AND f.status = 'received' THEN f.page_count ELSE 0 END), 0) AS pages_received,
      COALESCE(SUM((SELECT -SUM(t.amount) FROM credit_transactions t WHERE t.account_id = f.account_id AND t.mode = f.mode AND t.fax_id = f.id)), 0) AS credits
    FROM faxes f
    WHERE f.account_id = ${accountId} AND f.mode = ${mode} AND f.created_at >= ${fromIso} AND f.created_at < ${toIso}
    GROUP BY 1
    ORDER BY 1`);
}
