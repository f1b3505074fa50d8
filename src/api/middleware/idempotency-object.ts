/**
 * IdempotencyObject: one Durable Object per (account, Idempotency-Key), following the IETF httpapi
 * draft "The Idempotency-Key HTTP Header Field". A Durable Object handles one call at a time, so
 * the first request takes the lock and every concurrent duplicate sees it: exactly one fax, however
 * many retries race.
 */
import { DurableObject } from "cloudflare:workers";

export interface StoredResponse {
  status: number;
  headers: [string, string][];
  body: string;
}

interface KeyRecord {
  fingerprint: string;
  state: "in_flight" | "done";
  lockedAtMs: number;
  response: StoredResponse | null;
}

export type BeginResult =
  | { outcome: "proceed" }
  | { outcome: "replay"; response: StoredResponse }
  | { outcome: "mismatch" }
  | { outcome: "in_flight" };

/** Records expire 24 h after the first request (draft §2.4 leaves this to the resource; Stripe uses 24 h). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A lock older than this belongs to a request that died; the next retry may run instead. */
const STALE_LOCK_MS = 60 * 1000;

export class IdempotencyObject extends DurableObject<Env> {
  async begin(fingerprint: string): Promise<BeginResult> {
    const now = Date.now();
    const record = await this.ctx.storage.get<KeyRecord>("record");
    if (record) {
      if (record.fingerprint !== fingerprint) return { outcome: "mismatch" };
      if (record.state === "done" && record.response) return { outcome: "replay", response: record.response };
      if (now - record.lockedAtMs < STALE_LOCK_MS) return { outcome: "in_flight" };
    }
    await this.ctx.storage.put<KeyRecord>("record", { fingerprint, state: "in_flight", lockedAtMs: now, response: null });
    if (!record) await this.ctx.storage.setAlarm(now + IDEMPOTENCY_TTL_MS);
    return { outcome: "proceed" };
  }

  async complete(fingerprint: string, response: StoredResponse): Promise<void> {
    const record = await this.ctx.storage.get<KeyRecord>("record");
    if (!record || record.fingerprint !== fingerprint) return;
    await this.ctx.storage.put<KeyRecord>("record", { ...record, state: "done", response });
  }

  /** The request failed on our side (5xx): release the lock so a retry can run it again. */
  async release(fingerprint: string): Promise<void> {
    const record = await this.ctx.storage.get<KeyRecord>("record");
    if (record && record.fingerprint === fingerprint && record.state === "in_flight") await this.ctx.storage.delete("record");
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}
