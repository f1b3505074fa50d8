/**
 * RateLimiterObject: one Durable Object per API key, counting requests in one-minute windows.
 * Workers lease tokens in small batches (see rate-limit.ts) so that most requests need no call here;
 * the count is exact to within one lease per isolate.
 */
import { DurableObject } from "cloudflare:workers";

export interface Lease {
  granted: number;
  /** Requests left in this window after the grant. */
  remaining: number;
  windowEndsMs: number;
}

const WINDOW_MS = 60_000;

export class RateLimiterObject extends DurableObject<Env> {
  private windowEndsMs = 0;
  private used = 0;

  async lease(limit: number, want: number): Promise<Lease> {
    const now = Date.now();
    // A window opens with the key's first request after the last one closed, so a burst is never
    // split across two clock-aligned minutes (which would allow twice the limit in a moment).
    if (now >= this.windowEndsMs) {
      this.windowEndsMs = now + WINDOW_MS;
      this.used = 0;
    }
    const granted = Math.max(0, Math.min(want, limit - this.used));
    this.used += granted;
    return { granted, remaining: limit - this.used, windowEndsMs: this.windowEndsMs };
  }
}
