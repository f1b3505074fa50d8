/**
 * Bearer authentication: an API key (fx_test_…/fx_live_…) or an OAuth access token. Both are stored
 * only as SHA-256 hashes; looking up a hash is a constant-time question for the database, and the
 * raw secret is never compared byte by byte in our code.
 */
import { createMiddleware } from "hono/factory";
import { findCaller, type Caller } from "../../db/account-store";
import { apiKeyObject } from "../../db/api-key-object";
import { ApiError } from "../../errors/api-error";
import { sha256Hex } from "../../lib/crypto";
import { log, type Logger } from "../../lib/log";
import type { AppEnv } from "../context";

/**
 * Revoked at once (issue 17 point 5): every request's answer comes from a question asked after it arrived.
 * - A credential this isolate has not seen yet is looked up in D1 (findCaller). What the answer says about
 *   which key the hash belongs to never changes, so the isolate keeps that (`sightings`), never the answer
 *   "valid": a key or token found here is not trusted again without asking.
 * - A credential seen before is asked of its key's ApiKeyObject (src/db/api-key-object.ts), which holds the
 *   key's standing in memory and through which every revocation by the API or the portal is made: a key
 *   revoked anywhere, and every OAuth token issued from it, is refused by every isolate from the next request
 *   on. An access token's own expiry is checked here, against the time it was issued with.
 * Concurrent requests with the same credential share questions: while one is in flight, the requests that
 * arrive wait for the next one, which starts when it ends (one question per round trip per credential).
 */
interface Sighting {
  keyId: string;
  /** Infinity for an API key (keys do not expire); an access token's expiry. */
  expiresMs: number;
}
const MAX_SIGHTINGS = 10_000;
const sightings = new Map<string, Sighting>();

type Answer = Caller | null;
const inFlight = new Map<string, Promise<Answer>>();
const nextAsk = new Map<string, Promise<Answer>>();

/** Runs `ask` for this credential, or joins the one that starts after the question in flight has ended. */
function shared(hash: string, ask: () => Promise<Answer>): Promise<Answer> {
  const queued = nextAsk.get(hash);
  if (queued) return queued;
  const start = (): Promise<Answer> => {
    nextAsk.delete(hash);
    const question = ask().finally(() => {
      if (inFlight.get(hash) === question) inFlight.delete(hash);
    });
    inFlight.set(hash, question);
    return question;
  };
  const running = inFlight.get(hash);
  if (!running) return start();
  // Begins after the question in flight (which may have begun before this request arrived) has ended.
  const next = running.then(start, start);
  nextAsk.set(hash, next);
  return next;
}

async function ask(env: Env, hash: string): Promise<Answer> {
  const seen = sightings.get(hash);
  if (seen) {
    if (Date.now() >= seen.expiresMs) {
      sightings.delete(hash);
      return null;
    }
    const caller = await apiKeyObject(env, seen.keyId).check(seen.keyId);
    if (!caller) sightings.delete(hash);
    return caller;
  }
  const found = await findCaller(env.DB, hash, new Date().toISOString());
  if (!found) return null;
  if (sightings.size >= MAX_SIGHTINGS) sightings.delete(sightings.keys().next().value!);
  sightings.set(hash, { keyId: found.caller.keyId, expiresMs: found.expiresMs });
  return found.caller;
}

export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (!match?.[1]) {
    throw new ApiError("auth.missing", { headers: { "www-authenticate": 'Bearer realm="edgefax"' } });
  }
  const hash = await sha256Hex(match[1]);
  const caller = await shared(hash, () => ask(c.env, hash));
  if (!caller) {
    throw new ApiError("auth.invalid", { headers: { "www-authenticate": 'Bearer realm="edgefax", error="invalid_token"' } });
  }
  c.set("caller", caller);
  // The request-id middleware runs first in the app; a bare use of this middleware starts from the root logger.
  c.set("log", ((c.get("log") as Logger | undefined) ?? log).child({ account_id: caller.accountId }));
  await next();
});
