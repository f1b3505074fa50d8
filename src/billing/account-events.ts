/**
 * Events about an account rather than a fax (`balance.low`). They are meant for the account-level outbox
 * helper "events" is building; until it is on main this is the one place that sends them, straight to the
 * webhooks queue as the FaxObject's outbox does (src/webhooks/publish.ts).
 */
import { isoNow } from "../config";
import type { PlatformEvent } from "../events/catalog";
import { newId } from "../lib/ids";
import { publishEvents } from "../webhooks/publish";

export interface BalanceLowData {
  mode: "test" | "live";
  credits: number;
  low_balance_threshold: number;
}

export async function emitBalanceLow(env: Env, accountId: string, balance: BalanceLowData): Promise<void> {
  const event: PlatformEvent = { id: newId("evt"), type: "balance.low", created_at: isoNow(), data: { balance } };
  await publishEvents(env, accountId, [event]);
}
