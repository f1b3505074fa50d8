/**
 * Bearer authentication: an API key (fx_test_…/fx_live_…) or an OAuth access token. Both are stored
 * only as SHA-256 hashes; looking up a hash is a constant-time question for the database, and the
 * raw secret is never compared byte by byte in our code.
 */
import { createMiddleware } from "hono/factory";
import { findCaller } from "../../db/account-store";
import { ApiError } from "../../errors/api-error";
import { sha256Hex } from "../../lib/crypto";
import { log, type Logger } from "../../lib/log";
import type { AppEnv, Caller } from "../context";

/**
 * A short in-isolate cache so a busy key costs one hash, not one D1 read, per request. It bounds how late a
 * revocation reaches other isolates: an entry lives CACHE_MS from the start of its lookup, so a key revoked
 * elsewhere is refused here at most CACHE_MS after the revocation (README "API keys and scopes").
 */
const CACHE_MS = 30_000;
type CachedCredential = { caller: Caller | null; expiresMs: number; tokenExpiresMs: number };
const cache = new Map<string, CachedCredential>();
/** One D1 lookup per hash at a time: when a busy key's entry expires, the requests in flight share it. */
const pendingLookups = new Map<string, Promise<CachedCredential>>();

function lookUp(db: D1Database, hash: string, now: number): Promise<CachedCredential> {
  let pending = pendingLookups.get(hash);
  if (!pending) {
    pending = findCaller(db, hash, new Date(now).toISOString())
      .then((found) => {
        const entry = { caller: found?.caller ?? null, expiresMs: now + CACHE_MS, tokenExpiresMs: found?.expiresMs ?? Infinity };
        if (cache.size > 10_000) cache.clear();
        cache.set(hash, entry);
        return entry;
      })
      .finally(() => pendingLookups.delete(hash));
    pendingLookups.set(hash, pending);
  }
  return pending;
}

export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (!match?.[1]) {
    throw new ApiError("auth.missing", { headers: { "www-authenticate": 'Bearer realm="edgefax"' } });
  }
  const hash = await sha256Hex(match[1]);
  const now = Date.now();
  let hit = cache.get(hash);
  if (!hit || hit.expiresMs < now || hit.tokenExpiresMs < now) hit = await lookUp(c.env.DB, hash, now);
  if (!hit.caller) {
    throw new ApiError("auth.invalid", { headers: { "www-authenticate": 'Bearer realm="edgefax", error="invalid_token"' } });
  }
  c.set("caller", hit.caller);
  // The request-id middleware runs first in the app; a bare use of this middleware starts from the root logger.
  c.set("log", ((c.get("log") as Logger | undefined) ?? log).child({ account_id: hit.caller.accountId }));
  await next();
});

/** Forget cached credentials (a key was revoked in this isolate). */
export function forgetCachedCredentials(): void {
  cache.clear();
  pendingLookups.clear();
}
