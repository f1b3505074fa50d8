/**
 * Counting a number's inbound pages against its tier (issue 15 point 6). A fax is never refused for
 * quota (losing a fax is worse than a bill); reaching the allowance is recorded once per number, month
 * and tier, which is what usage.tier_limit_reached reports.
 */
import type { Db } from "../db/client";
import type { NumberRow } from "../db/number-store";
import { claimTierAlert, monthlyInboundPages, recordInboundPages, type TierAlertRow } from "../db/number-usage-store";
import { tiers, usageMonth } from "./tiers";

export interface ReceivedFaxPages {
  id: string;
  page_count: number;
  created_at: string;
}

/** Counts a received fax (a repeat counts nothing); returns the allowance alert when this fax reached it. */
export async function countInboundPages(env: Env, db: Db, number: NumberRow, fax: ReceivedFaxPages): Promise<TierAlertRow | null> {
  const month = usageMonth(fax.created_at);
  await recordInboundPages(db, { faxId: fax.id, accountId: number.accountId, numberId: number.id, month, pages: fax.page_count });
  if (number.tier === null) return null;
  const includedPages = tiers(env)[number.tier].includedPages;
  return claimTierAlert(db, { accountId: number.accountId, numberId: number.id, month, tier: number.tier, includedPages });
}

/** What the number has used this month, as GET /v1/numbers/{id} shows it. */
export async function numberUsage(env: Env, db: Db, number: NumberRow, nowIso: string = new Date().toISOString()) {
  const month = usageMonth(nowIso);
  const inboundPages = await monthlyInboundPages(db, number.accountId, number.id, month);
  const includedPages = number.tier === null ? null : tiers(env)[number.tier].includedPages;
  return { month, inbound_pages: inboundPages, included_pages: includedPages, tier_limit_reached: includedPages !== null && inboundPages >= includedPages };
}
