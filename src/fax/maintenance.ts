/**
 * Cron work: the sweep (a fax in `sending` that nobody reports on is retried or failed, never left
 * there) and the retention purge (documents of faxes finished more than RETENTION_DAYS ago).
 */
import { settings } from "../config";
import { database } from "../db/client";
import { findExpiredDocuments, findStaleSendingFaxes } from "../db/fax-store";
import { faxObject } from "./fax-stub";

export async function runScheduledMaintenance(env: Env, nowMs: number): Promise<{ swept: number; purged: number }> {
  const config = settings(env);
  const db = database(env.DB);
  const staleMs = config.sweepStaleSeconds * 1000;
  const stale = await findStaleSendingFaxes(db, new Date(nowMs - staleMs).toISOString());
  for (const id of stale) await faxObject(env, id).sweep(staleMs);

  const cutoff = new Date(nowMs - config.retentionDays * 24 * 3600 * 1000).toISOString();
  const expired = await findExpiredDocuments(db, cutoff);
  for (const fax of expired) {
    if (fax.documentKey) await env.DOCUMENTS.delete(fax.documentKey);
    await faxObject(env, fax.id).documentPurged();
  }
  return { swept: stale.length, purged: expired.length };
}
