/**
 * When to try a failed delivery again: exponential backoff with jitter over about three days, as
 * Standard Webhooks and Svix recommend, one delay per retry from WEBHOOK_RETRY_SCHEDULE (seconds,
 * comma-separated). A receiver's Retry-After (RFC 9110 §10.2.3) replaces the scheduled delay.
 * Cloudflare Queues delay a retry by at most 12 h, so no single delay is longer.
 *
 * The webhooks consumer's `max_retries` in wrangler.toml must be the schedule's length minus one:
 * the first attempt runs inline when the event is fanned out, the others ride one queue message,
 * and the queue moves that message to the dead-letter queue after its last retry.
 */

/** 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, 12 h ×4: 12 attempts over ~3.1 days. */
export const DEFAULT_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000, 43200, 43200, 43200, 43200] as const;

/** Cloudflare Queues: `delaySeconds` may be at most 43,200 (12 h). */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;

export function retrySchedule(env: Env): number[] {
  const raw = env.WEBHOOK_RETRY_SCHEDULE;
  const parsed = (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number);
  if (parsed.length === 0 || parsed.some((n) => !Number.isFinite(n) || n < 0)) return [...DEFAULT_RETRY_SCHEDULE];
  return parsed.map((n) => Math.min(Math.round(n), MAX_QUEUE_DELAY_SECONDS));
}

/**
 * Seconds to wait after failed retry step `step` (0 = after the first attempt), or null when the
 * schedule is used up. Jitter adds up to 10 % so endpoints that failed together do not retry in step.
 */
export function retryDelaySeconds(schedule: number[], step: number, retryAfterSeconds: number | null, random: () => number = Math.random): number | null {
  const base = schedule[step];
  if (base === undefined) return null;
  if (retryAfterSeconds !== null) return Math.min(Math.max(0, Math.ceil(retryAfterSeconds)), MAX_QUEUE_DELAY_SECONDS);
  return Math.min(Math.round(base * (1 + random() * 0.1)), MAX_QUEUE_DELAY_SECONDS);
}

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}
