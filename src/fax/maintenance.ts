/**
 * Cron work: the sweep (a fax in `sending` that nobody reports on is retried or failed, and one whose
 * rendering died with its isolate is failed: neither is left where it is) and the retention purge (the
 * files of faxes finished more than RETENTION_DAYS ago: document, TIFF-F, previews, and a received fax's text).
 */
import { recordAudit } from "../audit/recorder";
import { settings } from "../config";
import { database } from "../db/client";
import { findExpiredDocuments, findStaleFaxes } from "../db/fax-store";
import { deleteFaxText } from "../db/fax-text-store";
import { sweepWebhooks } from "../webhooks/publish";
import { faxObject } from "./fax-stub";
import { deleteFaxFiles } from "./render/keys";

export async function runScheduledMaintenance(env: Env, nowMs: number): Promise<{ swept: number; purged: number }> {
  const config = settings(env);
  const db = database(env.DB);
  const staleMs = config.sweepStaleSeconds * 1000;
  const stale = await findStaleFaxes(db, new Date(nowMs - staleMs).toISOString());
  for (const id of stale) await faxObject(env, id).sweep(staleMs);

  const cutoff = new Date(nowMs - config.retentionDays * 24 * 3600 * 1000).toISOString();
  const expired = await findExpiredDocuments(db, cutoff);
  const auditWrites: Promise<unknown>[] = [];
  for (const fax of expired) {
    if (fax.documentKey) await deleteFaxFiles(env.DOCUMENTS, fax.documentKey);
    // A received fax's OCR text is as much its content as the pages are (issue 14).
    await deleteFaxText(db, fax.accountId, fax.id);
    await faxObject(env, fax.id).documentPurged();
    const scope = { env, waitUntil: (work: Promise<unknown>) => auditWrites.push(work), accountId: fax.accountId, actor: { type: "system" as const, id: "retention" } };
    recordAudit(scope, "retention.purge", { type: "fax", id: fax.id });
  }
  await Promise.all(auditWrites);
  await sweepWebhooks(env, nowMs);
  return { swept: stale.length, purged: expired.length };
}
