/**
 * The account's low-balance threshold. The account settings (`low_balance_threshold`, helper "partners"'
 * settings table) are its home; until they reach main this is the one place that reads it, so pointing it
 * at the settings is a change here only.
 */
import { DEFAULT_LOW_BALANCE_THRESHOLD } from "./prices";

export async function lowBalanceThreshold(_env: Env, _accountId: string): Promise<number> {
  return DEFAULT_LOW_BALANCE_THRESHOLD;
}
