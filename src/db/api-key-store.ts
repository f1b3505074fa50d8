/**
 * API keys as a resource (issue 17 point 5): list, create, revoke. The key itself is returned once, by
 * createApiKey; only its SHA-256 and first characters are stored (see account-store.ts for lookups).
 */
import { and, desc, eq, isNull, lt, sql } from "drizzle-orm";
import { randomToken, sha256Hex } from "../lib/crypto";
import { newId } from "../lib/ids";
import type { ApiKeyScope } from "./account-store";
import type { Db } from "./client";
import { accessTokens, apiKeys } from "./schema";

export type ApiKeyRow = typeof apiKeys.$inferSelect;

/** `mode`: only the keys of that mode (the portal's context, a test key); all when absent (a live key). */
export async function listApiKeys(db: Db, accountId: string, limit: number, afterId?: string, mode?: "test" | "live"): Promise<{ data: ApiKeyRow[]; hasMore: boolean }> {
  const rows = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.accountId, accountId), afterId ? lt(apiKeys.id, afterId) : undefined, mode ? eq(apiKeys.mode, mode) : undefined))
    .orderBy(desc(apiKeys.id))
    .limit(limit + 1)
    .all();
  return { data: rows.slice(0, limit), hasMore: rows.length > limit };
}

export async function findApiKey(db: Db, accountId: string, id: string): Promise<ApiKeyRow | undefined> {
  return db.select().from(apiKeys).where(and(eq(apiKeys.accountId, accountId), eq(apiKeys.id, id))).get();
}

export async function createApiKey(
  db: Db,
  options: { accountId: string; mode: "test" | "live"; scope: ApiKeyScope; name: string | null },
): Promise<{ row: ApiKeyRow; key: string }> {
  const key = randomToken(`fx_${options.mode}_`, 24);
  const row = await db
    .insert(apiKeys)
    .values({
      id: newId("key"),
      accountId: options.accountId,
      mode: options.mode,
      scope: options.scope,
      name: options.name,
      keyHash: await sha256Hex(key),
      keyPrefix: key.slice(0, 12),
      rateLimitPerMinute: null,
      createdAt: new Date().toISOString(),
    })
    .returning()
    .get();
  return { row, key };
}

export type RevokeResult = { revoked: ApiKeyRow } | { refused: "not_found" | "last_key" };

/**
 * Revokes a key and deletes the OAuth tokens issued from it, in one batch. The count of the account's
 * other active keys is part of the UPDATE's condition, so two concurrent revocations cannot both pass
 * the "not the last key" check and leave the account with none.
 * Call it only through the key's ApiKeyObject (src/db/api-key-object.ts revoke): the auth middleware asks that
 * object, not D1, whether a key it has seen may still be used, so a revocation made around it is not seen
 * at once (only after the object's REREAD_MS).
 */
export async function revokeApiKey(db: Db, accountId: string, keyId: string, mode?: "test" | "live"): Promise<RevokeResult> {
  const ofMode = mode ? eq(apiKeys.mode, mode) : undefined;
  const now = new Date().toISOString();
  const [updated] = await db.batch([
    db
      .update(apiKeys)
      .set({ revokedAt: now })
      .where(
        and(
          eq(apiKeys.id, keyId),
          eq(apiKeys.accountId, accountId),
          ofMode,
          isNull(apiKeys.revokedAt),
          sql`(SELECT count(*) FROM api_keys AS other WHERE other.account_id = ${accountId} AND other.revoked_at IS NULL AND other.id <> ${keyId}) > 0`,
        ),
      )
      .returning(),
    db.delete(accessTokens).where(and(eq(accessTokens.keyId, keyId), eq(accessTokens.accountId, accountId), sql`EXISTS (SELECT 1 FROM api_keys k WHERE k.id = ${keyId} AND k.revoked_at IS NOT NULL)`)),
  ]);
  if (updated[0]) return { revoked: updated[0] };
  const existing = await db.select().from(apiKeys).where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId), ofMode)).get();
  if (!existing) return { refused: "not_found" };
  // Already revoked: revoking again answers the same revoked key (DELETE is idempotent).
  if (existing.revokedAt) return { revoked: existing };
  return { refused: "last_key" };
}
