/** Accounts, API keys and OAuth access tokens. Secrets are stored only as SHA-256 hashes. */
import { and, asc, eq, gt, isNull } from "drizzle-orm";
import { sha256Hex, randomToken } from "../lib/crypto";
import { newId } from "../lib/ids";
import { database, type Db } from "./client";
import { accessTokens, accountSecrets, accounts, apiKeys, type API_KEY_SCOPES } from "./schema";

export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** Who is calling: the account and key an API key or access token resolves to. Routes scope every query by it. */
export interface Caller {
  accountId: string;
  keyId: string;
  mode: "test" | "live";
  rateLimitPerMinute: number | null;
  /** What the key may do (src/api/middleware/scopes.ts); an OAuth token has its key's scope. */
  scope: ApiKeyScope;
}

export async function findCaller(d1: D1Database, secretHash: string, nowIso: string): Promise<{ caller: Caller; expiresMs: number } | null> {
  const db = database(d1);
  const key = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, secretHash), isNull(apiKeys.revokedAt)))
    .get();
  if (key) {
    return {
      caller: { accountId: key.accountId, keyId: key.id, mode: key.mode, rateLimitPerMinute: key.rateLimitPerMinute, scope: key.scope },
      expiresMs: Infinity,
    };
  }
  const token = await db
    .select({ token: accessTokens, rateLimitPerMinute: apiKeys.rateLimitPerMinute, scope: apiKeys.scope })
    .from(accessTokens)
    .innerJoin(apiKeys, eq(apiKeys.id, accessTokens.keyId))
    .where(and(eq(accessTokens.tokenHash, secretHash), gt(accessTokens.expiresAt, nowIso), isNull(apiKeys.revokedAt)))
    .get();
  if (!token) return null;
  return {
    caller: { accountId: token.token.accountId, keyId: token.token.keyId, mode: token.token.mode, rateLimitPerMinute: token.rateLimitPerMinute, scope: token.scope },
    expiresMs: Date.parse(token.token.expiresAt),
  };
}

export interface NewKey {
  accountId: string;
  keyId: string;
  key: string;
  mode: "test" | "live";
  /** The account's callback secret (whsec_…), shown here once beside the key; absent when no sealer was given. */
  callbackSecret?: string;
}

/**
 * Makes the account's callback secret (it signs deliveries to a fax's own webhook_url) and its
 * encrypted form for storage, bound to the account id (src/webhooks/secrets.ts callbackSecretSealer).
 */
export type CallbackSecretSealer = (accountId: string) => Promise<{ secret: string; sealed: string }>;

export async function createAccountWithKey(
  d1: D1Database,
  options: { name: string; mode: "test" | "live"; rateLimitPerMinute?: number | null; callbackSecret?: CallbackSecretSealer },
): Promise<NewKey> {
  const db = database(d1);
  const now = new Date().toISOString();
  const accountId = newId("acct");
  const keyId = newId("key");
  const key = randomToken(`fx_${options.mode}_`, 24);
  const callback = await options.callbackSecret?.(accountId);
  // Created with the account and shown with the key (issue 13 point 2), so it counts as revealed.
  const secretRow = callback ? [db.insert(accountSecrets).values({ accountId, callbackSecret: callback.sealed, revealedAt: now, createdAt: now })] : [];
  await db.batch([
    db.insert(accounts).values({ id: accountId, name: options.name, createdAt: now }),
    db.insert(apiKeys).values({
      id: keyId,
      accountId,
      mode: options.mode,
      keyHash: await sha256Hex(key),
      keyPrefix: key.slice(0, 12),
      rateLimitPerMinute: options.rateLimitPerMinute ?? null,
      createdAt: now,
    }),
    ...secretRow,
  ]);
  return { accountId, keyId, key, mode: options.mode, ...(callback ? { callbackSecret: callback.secret } : {}) };
}

/** OAuth 2.0 client credentials (RFC 6749 §4.4): client_id is the key id, client_secret the key. */
export async function issueAccessToken(
  d1: D1Database,
  clientId: string,
  clientSecret: string,
  ttlSeconds: number,
): Promise<{ accessToken: string; expiresIn: number; accountId: string; keyId: string } | null> {
  const db = database(d1);
  const key = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, clientId), eq(apiKeys.keyHash, await sha256Hex(clientSecret)), isNull(apiKeys.revokedAt)))
    .get();
  if (!key) return null;
  const accessToken = randomToken("fxat_", 32);
  await db.insert(accessTokens).values({
    tokenHash: await sha256Hex(accessToken),
    keyId: key.id,
    accountId: key.accountId,
    mode: key.mode,
    expiresAt: new Date(Date.now() + ttlSeconds * 1000).toISOString(),
  });
  return { accessToken, expiresIn: ttlSeconds, accountId: key.accountId, keyId: key.id };
}

/** One page of account ids, across accounts (an operator's command, e.g. documents:rewrap's Durable Objects). */
export async function accountIdsPage(db: Db, o: { cursor?: string; limit: number }): Promise<string[]> {
  const rows = await db.select({ id: accounts.id }).from(accounts).where(o.cursor ? gt(accounts.id, o.cursor) : undefined).orderBy(asc(accounts.id)).limit(o.limit).all();
  return rows.map((r) => r.id);
}
