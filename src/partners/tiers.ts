/**
 * Number tiers (issue 15 point 2): the one table of what a partner's user gets per number. An operator
 * changes the figures with PARTNER_TIERS (JSON, e.g. `{"personal":{"included_pages":300}}`); the tier
 * names are the API's and stay fixed. Inbound pages are counted per number per calendar month (UTC);
 * a fax is never refused for them, reaching the allowance only emits usage.tier_limit_reached.
 */
import { z } from "@hono/zod-openapi";
import { NUMBER_TIERS } from "../db/schema";

export const TIER_NAMES = NUMBER_TIERS;
export type TierName = (typeof TIER_NAMES)[number];

export interface Tier {
  /** Inbound pages included per number per calendar month. */
  includedPages: number;
  /** Days a finished fax of the number keeps its files before the retention purge. */
  retentionDays: number;
}

export const DEFAULT_TIERS: Record<TierName, Tier> = {
  personal: { includedPages: 200, retentionDays: 60 },
  business: { includedPages: 1_000, retentionDays: 180 },
};

const TierOverride = z.strictObject({ included_pages: z.number().int().min(1).optional(), retention_days: z.number().int().min(1).optional() });
const TiersOverride = z.strictObject({ personal: TierOverride.optional(), business: TierOverride.optional() });

const parsed = new Map<string, Record<TierName, Tier>>();

/** The tier table with the operator's PARTNER_TIERS applied; a malformed value is a deployment error, not a silent default. */
export function tiers(env: Env): Record<TierName, Tier> {
  const raw = env.PARTNER_TIERS ?? "";
  let table = parsed.get(raw);
  if (!table) {
    const override = raw.trim() ? TiersOverride.parse(JSON.parse(raw)) : {};
    table = { ...DEFAULT_TIERS };
    for (const name of TIER_NAMES) {
      const o = override[name];
      if (o) table[name] = { includedPages: o.included_pages ?? table[name].includedPages, retentionDays: o.retention_days ?? table[name].retentionDays };
    }
    parsed.set(raw, table);
  }
  return table;
}

/** The calendar month (UTC) a time counts in: "2026-12". */
export function usageMonth(iso: string): string {
  return iso.slice(0, 7);
}

function positiveNumber(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(n) && n >= 0 ? n : fallback;
}

/**
 * What happens to a released number: calls still reach its former holder for the grace period (a
 * sender with an old cover sheet is not cut off mid-move), then the gateway answers SIP 404; and nobody
 * else gets the number during the quarantine, so faxes meant for the old holder never reach a stranger.
 */
export function releasePolicy(env: Env): { graceMs: number; quarantineMs: number } {
  const graceMs = positiveNumber(env.NUMBER_RELEASE_GRACE_HOURS, 72) * 3600 * 1000;
  const quarantineMs = positiveNumber(env.NUMBER_QUARANTINE_DAYS, 90) * 24 * 3600 * 1000;
  // The quarantine covers the grace at least: a number still routing to its old holder is never handed out.
  return { graceMs, quarantineMs: Math.max(quarantineMs, graceMs) };
}
