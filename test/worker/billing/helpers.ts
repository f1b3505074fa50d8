/** Billing test helpers: a live account with exactly the credits a test gives it, its ledger rows, a closed statement. */
import { env } from "cloudflare:test";
import { ledger } from "../../../src/billing/ledger";
import { createAccountWithKey } from "../../../src/db/account-store";
import { database } from "../../../src/db/client";
import { insertInvoice } from "../../../src/db/invoice-store";
import { provisionNumber } from "../../../src/db/number-store";
import { newId } from "../../../src/lib/ids";
import { callbackSecretSealer } from "../../../src/webhooks/secrets";
import type { TestAccount } from "../helpers";

export async function accountWithCredits(mode: "test" | "live", credits: number): Promise<TestAccount> {
  const created = await createAccountWithKey(env.DB, { name: "Billing", mode, rateLimitPerMinute: 100_000, callbackSecret: callbackSecretSealer(env) });
  const own = `+1555703${String(crypto.getRandomValues(new Uint32Array(1))[0]! % 10_000).padStart(4, "0")}`;
  const number = await provisionNumber(database(env.DB), created.accountId, mode, [own], null);
  const scope = { accountId: created.accountId, mode };
  const start = await ledger(env, created.accountId, mode).balance(scope);
  if (credits !== start) {
    await ledger(env, created.accountId, mode).append(scope, { kind: "adjustment", amount: credits - start, reference: "test:credits", description: "Test credits" });
  }
  return { accountId: created.accountId, keyId: created.keyId, key: created.key, number: number?.number ?? "", callbackSecret: created.callbackSecret! };
}

export interface LedgerRow {
  seq: number;
  kind: string;
  amount: number;
  balance_after: number;
  fax_id: string | null;
  pages: number | null;
}

export async function ledgerRows(accountId: string, mode: "test" | "live", faxId?: string): Promise<LedgerRow[]> {
  const sql = `SELECT seq, kind, amount, balance_after, fax_id, pages FROM credit_transactions WHERE account_id = ? AND mode = ?${faxId ? " AND fax_id = ?" : ""} ORDER BY seq`;
  const stmt = faxId ? env.DB.prepare(sql).bind(accountId, mode, faxId) : env.DB.prepare(sql).bind(accountId, mode);
  return (await stmt.all<LedgerRow>()).results;
}

/** A statement the cron closed: a business number's month, $7.50 due. */
export async function closedStatement(accountId: string, mode: "test" | "live", period: string, status: "open" | "past_due"): Promise<string> {
  const id = newId("inv");
  const lines = [{ type: "number", description: "+15557200001 (business, $7.50/month): the whole month", quantity: 1, amount: 750, paid: false }];
  await insertInvoice(database(env.DB), {
    id,
    accountId,
    mode,
    period,
    status,
    currency: "usd",
    total: 750,
    amountPaid: 0,
    lines: JSON.stringify(lines),
    createdAt: `${period}-28T00:00:00.000Z`,
    dueAt: `${period}-28T00:00:00.000Z`,
    paidAt: null,
  });
  return id;
}
