/**
 * Cron work: the sweep (a fax in `sending` that nobody reports on is retried or failed, and one whose
 * rendering died with its isolate is failed: neither is left where it is) and the retention purge (the
 * files of faxes finished longer ago than their retention: document, TIFF-F, previews, and a received fax's text;
 * the retention is the number's tier's, else the account's retention_days, else RETENTION_DAYS).
 */
import { recordAudit } from "../audit/recorder";
import { settings } from "../config";
import { database } from "../db/client";
import { findExpiredDocuments, findStaleFaxes } from "../db/fax-store";
import { deleteFaxText } from "../db/fax-text-store";
import { tiers } from "../partners/tiers";
import { documentStore } from "../storage/documents";
import { sweepWebhooks } from "../webhooks/publish";
import { faxObject } from "./fax-stub";
import { deleteFaxFiles } from "./render/keys";

export async function runScheduledMaintenance(env: Env, nowMs: number): Promise<{ swept: number; purged: number }> {
  const config = settings(env);
  const db = database(env.DB);
  const staleMs = config.sweepStaleSeconds * 1000;
  const stale = await findStaleFaxes(db, new Date(nowMs - staleMs).toISOString());
  for (const id of stale) await faxObject(env, id).sweep(staleMs);

  const daysAgo = (days: number) => new Date(nowMs - days * 24 * 3600 * 1000).toISOString();
  const tierCutoffs = Object.fromEntries(Object.entries(tiers(env)).map(([name, tier]) => [name, daysAgo(tier.retentionDays)]));
  const expired = await findExpiredDocuments(db, { now: new Date(nowMs).toISOString(), tiers: tierCutoffs, defaultDays: config.retentionDays });
  const auditWrites: Promise<unknown>[] = [];
  for (const fax of expired) {
    if (fax.documentKey) await deleteFaxFiles(documentStore(env), fax.documentKey);
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
