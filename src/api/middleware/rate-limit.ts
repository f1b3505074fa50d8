/**
 * Per-key rate limit (default RATE_LIMIT_PER_MINUTE, or the key's own limit): 429 with Retry-After,
 * and RateLimit headers on every response (IETF httpapi "RateLimit header fields", draft-07 names).
 * Each isolate leases a small batch of requests from the key's RateLimiterObject and spends it locally.
 */
import { createMiddleware } from "hono/factory";
import { settings } from "../../config";
import { ApiError } from "../../errors/api-error";
import type { AppEnv } from "../context";
import type { RateLimiterObject } from "./rate-limiter-object";

interface LocalBucket {
  tokens: number;
  remaining: number;
  windowEndsMs: number;
}
const buckets = new Map<string, LocalBucket>();

/** 5% of the limit per lease: few calls to the Durable Object, little overshoot across isolates. */
function leaseSize(limit: number): number {
  return Math.max(1, Math.floor(limit / 20));
}

const pendingLeases = new Map<string, Promise<void>>();

/** One lease request per key at a time: concurrent requests wait for it instead of each leasing. */
async function refill(env: Env, keyId: string, limit: number): Promise<void> {
  let pending = pendingLeases.get(keyId);
  if (!pending) {
    pending = (async () => {
      const ns = env.RATE_LIMITER as DurableObjectNamespace<RateLimiterObject>;
      const lease = await ns.get(ns.idFromName(keyId)).lease(limit, leaseSize(limit));
      const current = buckets.get(keyId);
      const sameWindow = current && current.windowEndsMs === lease.windowEndsMs;
      buckets.set(keyId, {
        tokens: (sameWindow ? current.tokens : 0) + lease.granted,
        remaining: lease.remaining,
        windowEndsMs: lease.windowEndsMs,
      });
    })().finally(() => pendingLeases.delete(keyId));
    pendingLeases.set(keyId, pending);
  }
  await pending;
}

export const rateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const caller = c.get("caller");
  const limit = caller.rateLimitPerMinute ?? settings(c.env).rateLimitPerMinute;
  const now = Date.now();
  let bucket = buckets.get(caller.keyId);
  if (!bucket || bucket.windowEndsMs <= now || bucket.tokens === 0) {
    if (bucket && bucket.windowEndsMs <= now) buckets.delete(caller.keyId);
    await refill(c.env, caller.keyId, limit);
    bucket = buckets.get(caller.keyId)!;
  }
  const resetSeconds = Math.max(1, Math.ceil((bucket.windowEndsMs - now) / 1000));
  const headers = {
    "ratelimit-limit": String(limit),
    "ratelimit-remaining": String(Math.max(0, bucket.remaining + bucket.tokens - 1)),
    "ratelimit-reset": String(resetSeconds),
    "ratelimit-policy": `${limit};w=60`,
  };
  if (bucket.tokens === 0) {
    throw new ApiError("rate_limit.exceeded", {
      detail: `This key may make ${limit} requests a minute; the window resets in ${resetSeconds} s.`,
      headers: { ...headers, "ratelimit-remaining": "0", "retry-after": String(resetSeconds) },
    });
  }
  bucket.tokens -= 1;
  await next();
  for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
});
