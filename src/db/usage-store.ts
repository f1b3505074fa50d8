/**
 * Usage of an account (issue 16 point 5): faxes and pages in and out, and credits, over a time range, grouped.
 * Credits of a fax are what its ledger rows took in the end (reserve minus settle or refund; a fax still
 * in progress counts what it holds). Every query carries the account id and the mode.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "./client";
import type { Mode } from "./credit-store";

/**
 * What a usage row is grouped by: the one place to change. `external_user` groups by the user record
 * (faxes.user_id, `usr_…`), not the partner's external_user_id: a partner may delete a user and give its id to
 * a new one, who is someone else. The row names the partner's id beside it and whether that record is deleted
 * (or gone); a fax of no user record groups under null, by the external_user_id it carries if any.
 */
export const USAGE_GROUPS = {
  day: { key: sql`substr(f.created_at, 1, 10)` },
  number: { key: sql`CASE f.direction WHEN 'outbound' THEN f."from" ELSE f."to" END` },
  external_user: {
    key: sql`f.user_id`,
    alsoBy: sql`, CASE WHEN f.user_id IS NULL THEN f.external_user_id END`,
    // Bare columns of the one joined row: u is the same for every fax of the group (u.id = f.user_id).
    columns: sql`, COALESCE(u.external_user_id, f.external_user_id) AS external_user_id, (u.id IS NULL OR u.deleted_at IS NOT NULL) AS user_deleted`,
    join: sql`LEFT JOIN external_users u ON u.account_id = f.account_id AND u.id = f.user_id`,
  },
} as const satisfies Record<string, { key: SQL; alsoBy?: SQL; columns?: SQL; join?: SQL }>;

export type UsageGroup = keyof typeof USAGE_GROUPS;

export interface UsageRow {
  group: string | null;
  faxes_sent: number;
  faxes_received: number;
  pages_sent: number;
  pages_received: number;
  credits: number;
  /** group_by external_user: the partner's id for the group's user (null: faxes of no user). */
  external_user_id?: string | null;
  /** group_by external_user: 1 when the user record is deleted (or gone). */
  user_deleted?: number;
}

export async function usageBetween(db: Db, accountId: string, mode: Mode, fromIso: string, toIso: string, groupBy: UsageGroup): Promise<UsageRow[]> {
  const group: { key: SQL; alsoBy?: SQL; columns?: SQL; join?: SQL } = USAGE_GROUPS[groupBy];
  return db.all<UsageRow>(sql`
    SELECT ${group.key} AS "group"${group.columns ?? sql``},
      COALESCE(SUM(f.direction = 'outbound'), 0) AS faxes_sent,
      COALESCE(SUM(f.direction = 'inbound' AND f.status = 'received'), 0) AS faxes_received,
      COALESCE(SUM(CASE WHEN f.direction = 'outbound' THEN f.pages_sent ELSE 0 END), 0) AS pages_sent,
      COALESCE(SUM(CASE WHEN f.direction = 'inbound' AND f.status = 'received' THEN f.page_count ELSE 0 END), 0) AS pages_received,
      COALESCE(SUM((SELECT -SUM(t.amount) FROM credit_transactions t WHERE t.account_id = f.account_id AND t.mode = f.mode AND t.fax_id = f.id)), 0) AS credits
    FROM faxes f ${group.join ?? sql``}
    WHERE f.account_id = ${accountId} AND f.mode = ${mode} AND f.created_at >= ${fromIso} AND f.created_at < ${toIso}
    GROUP BY 1${group.alsoBy ?? sql``}
    ORDER BY 1${group.alsoBy ?? sql``}`);
}
