/**
 * The Durable Object half of POST /internal/documents/reseal (data-protection gaps point 2): what objects keep
 * sealed under DOCUMENT_ENCRYPTION_KEY besides each fax's own storage: the replies an Idempotency-Key replays
 * (24 h, one IdempotencyObject per key, found through the idempotency_replies registry) and each account's
 * event-stream log (one EventStreamObject per account and mode, for Last-Event-ID). Once both are re-sealed,
 * an old key can leave the secret at once.
 */
import { accountIdsPage } from "../db/account-store";
import type { Db } from "../db/client";
import type { ResealPage } from "../db/fax-reseal";
import { idempotentRepliesPage, setIdempotentReplyKey } from "../db/idempotency-store";
import { ApiError } from "../errors/api-error";
import type { FieldCipher } from "../storage/fields";
import { eventStreamObject } from "../webhooks/event-stream";
import type { IdempotencyObject } from "./middleware/idempotency-object";

/** One page of the registry: each reply not known to be under the current key is re-sealed by its object. */
export async function resealIdempotentReplies(env: Env, db: Db, cipher: FieldCipher, o: { cursor?: string; limit: number }): Promise<ResealPage> {
  // This table's cursor is a rowid (the registry's key is two columns): what an earlier page returned.
  if (o.cursor !== undefined && !/^\d{1,15}$/.test(o.cursor)) {
    throw new ApiError("request.invalid", { detail: "The idempotency cursor is a row number from an earlier page.", errors: [{ pointer: "/cursor", detail: "a row number from an earlier page" }] });
  }
  const current = await cipher.currentKeyId();
  const rows = await idempotentRepliesPage(db, new Date().toISOString(), o);
  const ns = env.IDEMPOTENCY as DurableObjectNamespace<IdempotencyObject>;
  let resealed = 0;
  let unavailable = 0;
  for (const row of rows) {
    if (row.keyId === current) continue;
    const done = await ns.get(ns.idFromName(`${row.accountId}:${row.idempotencyKey}`)).resealReply(row.accountId, row.idempotencyKey);
    if (done.outcome === "unavailable") {
      unavailable++;
      continue;
    }
    await setIdempotentReplyKey(db, row, done.outcome === "gone" ? null : done.keyId);
    if (done.outcome === "sealed") resealed++;
  }
  return { scanned: rows.length, resealed, unavailable, cursor: rows.length === o.limit ? String(rows.at(-1)!.rowid) : null };
}

/** One page of accounts: both modes' event-stream logs re-sealed; `resealed` counts log entries. */
export async function resealStreamLogs(env: Env, db: Db, o: { cursor?: string; limit: number }): Promise<ResealPage> {
  const ids = await accountIdsPage(db, o);
  let resealed = 0;
  let unavailable = 0;
  for (const accountId of ids) {
    for (const mode of ["test", "live"] as const) {
      const done = await eventStreamObject(env, accountId, mode).resealLog();
      resealed += done.resealed;
      unavailable += done.unavailable;
    }
  }
  return { scanned: ids.length, resealed, unavailable, cursor: ids.length === o.limit ? ids.at(-1)! : null };
}
