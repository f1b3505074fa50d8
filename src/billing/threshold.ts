/** The account's low-balance threshold: `low_balance_threshold` of its settings (default 10, PATCH /v1/settings). */
import { database } from "../db/client";
import { readAccountSettings } from "../db/settings-store";

export async function lowBalanceThreshold(env: Env, accountId: string): Promise<number> {
  return (await readAccountSettings(database(env.DB), accountId)).lowBalanceThreshold;
}
