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
 * No credential cache: every request's answer comes from a D1 read that began after the request arrived, so
 * a key revoked anywhere, by any path (the API, the portal, an operator in D1), and every OAuth token issued
 * from it are refused by every isolate from the next request on (issue 17 point 5, "revoked at once").
 * Concurrent requests with the same credential share reads: while one read is in flight, the requests that
 * arrive wait for the next one, which starts when it ends (one read per round trip per credential, not per
 * request; `npm run bench:api`, README "API keys and scopes").
 */
type Found = Awaited<ReturnType<typeof findCaller>>;
const inFlight = new Map<string, Promise<Found>>();
const nextRead = new Map<string, Promise<Found>>();

function lookUp(db: D1Database, hash: string): Promise<Found> {
  const queued = nextRead.get(hash);
  if (queued) return queued;
  const start = (): Promise<Found> => {
    nextRead.delete(hash);
    const read = findCaller(db, hash, new Date().toISOString()).finally(() => {
      if (inFlight.get(hash) === read) inFlight.delete(hash);
    });
    inFlight.set(hash, read);
    return read;
  };
  const running = inFlight.get(hash);
  if (!running) return start();
  // Begins after the read in flight (which may have begun before this request arrived) has ended.
  const next = running.then(start, start);
  nextRead.set(hash, next);
  return next;
}

export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (!match?.[1]) {
    throw new ApiError("auth.missing", { headers: { "www-authenticate": 'Bearer realm="edgefax"' } });
  }
  const hash = await sha256Hex(match[1]);
  const hit = await lookUp(c.env.DB, hash);
  if (!hit) {
    throw new ApiError("auth.invalid", { headers: { "www-authenticate": 'Bearer realm="edgefax", error="invalid_token"' } });
  }
  c.set("caller", hit.caller);
  // The request-id middleware runs first in the app; a bare use of this middleware starts from the root logger.
  c.set("log", ((c.get("log") as Logger | undefined) ?? log).child({ account_id: hit.caller.accountId }));
  await next();
});
