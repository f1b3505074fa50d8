/**
 * Account settings (issue 15 point 7): one row per account, absent until the first change. Readers call
 * readAccountSettings and get every default filled in; writers call updateAccountSettings with the
 * columns they change (an upsert, so the first change creates the row).
 */
import { eq } from "drizzle-orm";
import type { Db } from "./client";
import { accountSettings } from "./schema";

export type AccountSettingsRow = typeof accountSettings.$inferSelect;
export type AccountSettingsChanges = Partial<Omit<AccountSettingsRow, "accountId" | "updatedAt">>;

/** The defaults of an account that never changed a setting (the column defaults of migration 0004). */
export function defaultAccountSettings(accountId: string): AccountSettingsRow {
  return {
    accountId,
    defaultWebhookEndpointId: null,
    defaultTestWebhookEndpointId: null,
    retentionDays: null,
    lowBalanceThreshold: 10,
    extractionSchema: null,
    extractionSchemaVersion: 0,
    updatedAt: new Date(0).toISOString(),
  };
}

export async function readAccountSettings(db: Db, accountId: string): Promise<AccountSettingsRow> {
  const row = await db.select().from(accountSettings).where(eq(accountSettings.accountId, accountId)).get();
  return row ?? defaultAccountSettings(accountId);
}

export async function updateAccountSettings(db: Db, accountId: string, changes: AccountSettingsChanges): Promise<AccountSettingsRow> {
  const updatedAt = new Date().toISOString();
  return db
    .insert(accountSettings)
    .values({ ...defaultAccountSettings(accountId), ...changes, updatedAt })
    .onConflictDoUpdate({ target: accountSettings.accountId, set: { ...changes, updatedAt } })
    .returning()
    .get();
}
