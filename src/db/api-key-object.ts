/**
 * ApiKeyObject: one Durable Object per API key, the key's standing (who it is and whether it may still be
 * used) held in memory and the one place its revocation is made (issue 17 point 5, "revoked at once").
 *
 * Why: every /v1 request must be refused from the moment its key is revoked, in every isolate, so each request
 * needs one question answered by something that has seen every revocation. Asking D1 costs a read per round
 * trip (README "API keys and scopes" gives the figures); asking this object costs a call answered from memory.
 * It is exact because every product path that revokes a key (DELETE /v1/api-keys/{id}, the portal's Revoke,
 * and with the key every OAuth token issued from it) goes through revoke() here, which writes D1 and changes
 * the standing in one step: a check that arrives while the write is in flight waits for its outcome. A key has
 * no expiry; an access token's expiry is checked by the caller (src/api/middleware/auth.ts).
 *
 * D1 stays the record: the standing is loaded from it on first use, after the object was evicted, and again
 * when it is older than REREAD_MS, so a revocation made by hand in D1 (not a product path) is seen within that.
 */
import { DurableObject } from "cloudflare:workers";
import { and, eq, isNull } from "drizzle-orm";
import type { Caller } from "./account-store";
import { revokeApiKey, type RevokeResult } from "./api-key-store";
import { database } from "./client";
import { apiKeys } from "./schema";

/** How old the standing loaded from D1 may be before a check reads D1 again (only a hand edit of D1 needs it). */
export const REREAD_MS = 30_000;

interface Standing {
  caller: Caller | null;
  loadedAtMs: number;
}

export class ApiKeyObject extends DurableObject<Env> {
  private keyId: string | undefined;
  private standing: Promise<Standing> | undefined;
  /** A revocation whose D1 write is in flight: checks wait for it, so none is answered from before it. */
  private revoking: Promise<unknown> | undefined;

  /** The key's caller, or null when it is revoked or does not exist. */
  async check(keyId: string): Promise<Caller | null> {
    this.own(keyId);
    for (;;) {
      if (this.revoking) {
        await this.revoking.catch(() => undefined);
        continue;
      }
      // First use, or after a failed load: read D1 (the checks that arrive meanwhile share the read).
      const standing = (this.standing ??= this.load(keyId));
      const loaded = await standing.catch((error: unknown) => {
        if (this.standing === standing) this.standing = undefined;
        throw error;
      });
      // A revocation began or ended meanwhile: answer from what it left, not from before it.
      if (this.revoking || this.standing !== standing) continue;
      if (Date.now() - loaded.loadedAtMs >= REREAD_MS) {
        this.standing = this.load(keyId);
        continue;
      }
      return loaded.caller;
    }
  }

  /**
   * Revokes the key in D1 (revokeApiKey: with its OAuth tokens, never the account's last key) and, when that
   * succeeds or the key was revoked already, refuses it from then on. An unknown outcome (D1 failed) drops
   * the standing, so the next check reads D1.
   */
  async revoke(accountId: string, keyId: string, mode?: "test" | "live"): Promise<RevokeResult> {
    this.own(keyId);
    const write = revokeApiKey(database(this.env.DB), accountId, keyId, mode);
    this.revoking = write;
    try {
      const result = await write;
      if ("revoked" in result) this.standing = Promise.resolve({ caller: null, loadedAtMs: Number.POSITIVE_INFINITY });
      return result;
    } catch (error) {
      this.standing = undefined;
      throw error;
    } finally {
      if (this.revoking === write) this.revoking = undefined;
    }
  }

  private async load(keyId: string): Promise<Standing> {
    const loadedAtMs = Date.now();
    return { caller: await readStanding(this.env.DB, keyId), loadedAtMs };
  }

  /** One object per key id (idFromName(keyId)): a call naming another key is a bug, not a question to answer. */
  private own(keyId: string): void {
    this.keyId ??= keyId;
    if (this.keyId !== keyId) throw new Error(`ApiKeyObject of ${this.keyId} asked about ${keyId}`);
  }
}

/** The key's caller from D1 when it is not revoked: the same fields findCaller gives. */
async function readStanding(d1: D1Database, keyId: string): Promise<Caller | null> {
  const key = await database(d1)
    .select({ accountId: apiKeys.accountId, mode: apiKeys.mode, rateLimitPerMinute: apiKeys.rateLimitPerMinute, scope: apiKeys.scope })
    .from(apiKeys)
    .where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt)))
    .get();
  return key ? { ...key, keyId } : null;
}

/** The key's object: every check and every revocation of one key meets in it. */
export function apiKeyObject(env: Env, keyId: string): DurableObjectStub<ApiKeyObject> {
  const ns = env.API_KEYS as DurableObjectNamespace<ApiKeyObject>;
  return ns.get(ns.idFromName(keyId));
}
