/**
 * Rate limits on the forms anyone can post (sign-up, sign-in): per client address and per email, in the
 * same one-minute windows the API's per-key limit uses (RateLimiterObject, one per name).
 */
import type { RateLimiterObject } from "../api/middleware/rate-limiter-object";

/** Requests a minute from one address, and emails a minute to one address. */
export const PORTAL_LIMITS = { perAddress: 10, perEmail: 3 } as const;

/** Takes one request from the named window; false when the window is spent. */
export async function withinLimit(env: Env, name: string, limit: number): Promise<boolean> {
  const ns = env.RATE_LIMITER as DurableObjectNamespace<RateLimiterObject>;
  const lease = await ns.get(ns.idFromName(`portal:${name}`)).lease(limit, 1);
  return lease.granted === 1;
}

export function clientAddress(req: { header(name: string): string | undefined }): string {
  return req.header("cf-connecting-ip") ?? "local";
}
