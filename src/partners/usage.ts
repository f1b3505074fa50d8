/**
 * Counting a number's inbound pages against its tier (issue 15 point 6). A fax is never refused for
 * quota (losing a fax is worse than a bill); reaching the allowance is recorded once per number, month
 * and tier, and usage.tier_limit_reached is stored in the same batch, so it exists exactly when the record does.
 */
import type { Db } from "../db/client";
import type { NumberRow } from "../db/number-store";
import { claimTierAlert, monthlyInboundPages, recordInboundPages, type TierAlertRow } from "../db/number-usage-store";
import type { PlatformEvent } from "../events/catalog";
import { accountEvent, publishAccountEvents } from "../webhooks/account-events";
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
  const user = number.externalUserId ? { external_user_id: number.externalUserId } : {};
  const data = { ...user, number: { id: number.id, number: number.number, tier: number.tier }, month, included_pages: includedPages };
  const recorded: PlatformEvent[] = [];
  const alert = await claimTierAlert(db, { accountId: number.accountId, numberId: number.id, month, tier: number.tier, includedPages }, (reached) => {
    const { event, statement } = accountEvent(db, { accountId: number.accountId, mode: number.mode, type: "usage.tier_limit_reached", data }, reached);
    recorded.push(event);
    return [statement];
  });
  if (alert) await publishAccountEvents(env, number.accountId, recorded);
  return alert;
}

/** What the number has used this month, as GET /v1/numbers/{id} shows it. */
export async function numberUsage(env: Env, db: Db, number: NumberRow, nowIso: string = new Date().toISOString()) {
  const month = usageMonth(nowIso);
  const inboundPages = await monthlyInboundPages(db, number.accountId, number.id, month);
  const includedPages = number.tier === null ? null : tiers(env)[number.tier].includedPages;
  return { month, inbound_pages: inboundPages, included_pages: includedPages, tier_limit_reached: includedPages !== null && inboundPages >= includedPages };
}
