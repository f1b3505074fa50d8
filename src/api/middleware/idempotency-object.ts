/**
 * IdempotencyObject: one Durable Object per (account, Idempotency-Key), following the IETF httpapi
 * draft "The Idempotency-Key HTTP Header Field". A Durable Object handles one call at a time, so
 * the first request takes the lock and every concurrent duplicate sees it: exactly one fax, however
 * many retries race.
 */
import { DurableObject } from "cloudflare:workers";
import { fieldCipher, isSealedField, sealedKeyId } from "../../storage/fields";

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

/** What a stored reply's seal is bound to: the account and the key (a reply copied to another key does not open). */
export function idempotentReplyContext(accountId: string, key: string): string {
  return `idempotent response\n${accountId}\n${key}`;
}

/** What a re-seal did: the key id the reply is under now, none to re-seal (gone), or under a key no longer listed. */
export type ReplyReseal = { outcome: "sealed"; keyId: string } | { outcome: "gone" } | { outcome: "unavailable"; keyId: string };

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

  /**
   * `npm run documents:rewrap` (POST /internal/documents/reseal): the stored reply sealed under the current key
   * of DOCUMENT_ENCRYPTION_KEY (a reply stored in clear before encryption is sealed too).
   */
  async resealReply(accountId: string, key: string): Promise<ReplyReseal> {
    const record = await this.ctx.storage.get<KeyRecord>("record");
    if (!record?.response) return { outcome: "gone" };
    const cipher = fieldCipher(this.env);
    const current = await cipher.currentKeyId();
    const body = record.response.body;
    const context = idempotentReplyContext(accountId, key);
    if (isSealedField(body)) {
      const kid = sealedKeyId(body);
      if (kid === current) return { outcome: "sealed", keyId: kid };
      if (!(await cipher.keyIds()).includes(kid)) return { outcome: "unavailable", keyId: kid };
    }
    const plain = isSealedField(body) ? await cipher.open(context, body) : body;
    await this.ctx.storage.put<KeyRecord>("record", { ...record, response: { ...record.response, body: await cipher.seal(context, plain) } });
    return { outcome: "sealed", keyId: current };
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}
