/**
 * One pipeline for every received fax (issue 14 point 1), run by the `fax-jobs` queue once the TIFF-F is stored:
 * read each page (OCR: text and a confidence), index the text (FTS5), extract the schema's fields, and report
 * each stage to the FaxObject, which emits fax.received and fax.extracted through its outbox.
 *
 * Every stage ends with a status, whatever happens to a page: a damaged page, an engine error or a page over
 * OCR_PAGE_TIMEOUT_SECONDS becomes a failed page, not a failed job. A redelivered job does no work twice:
 * pages already stored in `fax_page_texts` are not read again, and the FaxObject refuses a second result for
 * a stage that is no longer pending (or for an extraction run that was superseded).
 */
import { inboundSettings, isoNow, type InboundSettings } from "../config";
import { database, type Db } from "../db/client";
import { indexFaxText, listPageTexts, savePageText, type PageTextRow } from "../db/fax-text-store";
import { findAccountNumber } from "../db/number-store";
import type { Tenant } from "../db/tenant";
import { readAccountSettings } from "../db/settings-store";
import { forEachBounded } from "../lib/bounded";
import { log } from "../lib/log";
import { faxObject } from "../fax/fax-stub";
import type { InboundJob } from "../fax/jobs";
import { faxFileKeys } from "../fax/render/keys";
import type { ExtractedFields, Fax } from "../fax/schema";
import { documentStore } from "../storage/documents";
import { parseStoredSchema, schemaVersion, type ExtractionSchema } from "./extraction-schema";
import { conformToSchema } from "./extracted-values";
import { extractByLabels } from "./label-extractor";
import { pageReader } from "./ocr-provider";
import { DamagedPageError, decodeReceivedPage, readTiffPages } from "./page-images";
import { ProviderUnavailableError, TransientPageError } from "./page-reader";
import { extractWithWorkersAi } from "./workers-ai";

/** A queue delay of more than this is pointless: the FaxObject's give-up alarm (OCR_GIVE_UP_SECONDS) comes first. */
const MAX_RETRY_DELAY_SECONDS = 300;

export async function handleInboundJob(job: InboundJob, env: Env): Promise<void> {
  const stub = faxObject(env, job.faxId);
  const claim = await stub.readingClaim();
  if (!claim) return;
  const db = database(env.DB);
  const s = inboundSettings(env);
  if (claim.fax.ocr?.status === "pending") {
    // No schema anywhere: extraction is skipped before the pages are read, so fax.received already says so
    // and a fax stream, which waits for extraction to settle, ends with it (src/webhooks/event-stream.ts).
    if (claim.fax.extraction?.status === "pending" && !(await extractionSchemaFor(db, { accountId: claim.accountId, mode: claim.fax.mode }, claim.fax.to))) {
      await stub.extractionFinished({ run: claim.extractionRun, ...NO_SCHEMA });
    }
    await readPages(env, db, s, claim.accountId, claim.fax);
  }
  const run = job.kind === "extract" ? job.run : claim.extractionRun;
  if (run !== claim.extractionRun) return;
  const current = await stub.read();
  if (current?.extraction?.status !== "pending" || current.ocr?.status === "pending") return;
  await stub.extractionFinished({ run, ...(await extractFields(env, db, s, claim.accountId, current)) });
}

/**
 * OCR of every page not read yet, `pageConcurrency` at a time, then the index and the FaxObject's ocr stage. A
 * page the OCR service could not take (TransientPageError) is stored as `retrying` and a later job reads it
 * again, after OCR_RETRY_SECONDS doubled per attempt; after OCR_PAGE_ATTEMPTS readings it fails.
 */
async function readPages(env: Env, db: Db, s: InboundSettings, accountId: string, fax: Fax): Promise<void> {
  const stored = await documentStore(env).get(faxFileKeys(accountId, fax.id).tiff);
  const earlier = new Map((await listPageTexts(db, accountId, fax.id)).map((r) => [r.page, r]));
  const reader = pageReader(env, s);
  let unavailable: string | null = null;
  let retryAttempt = 0;
  if (stored) {
    const raws = readTiffPages(await stored.bytes());
    const unread = raws.map((raw, i) => ({ raw, number: i + 1 })).filter((p) => (earlier.get(p.number)?.status ?? "retrying") === "retrying");
    await forEachBounded(unread, s.pageConcurrency, async ({ raw, number }) => {
      const attempts = (earlier.get(number)?.attempts ?? 0) + 1;
      const base = { accountId, faxId: fax.id, page: number, engine: reader.engine, createdAt: isoNow(), attempts };
      try {
        if (unavailable) throw new ProviderUnavailableError(unavailable);
        // Decoded one page at a time per lane: a 20-page fax holds at most pageConcurrency bitmaps.
        const page = decodeReceivedPage(raw, number);
        const reading = await withTimeout(s.pageTimeoutMs, (signal) => reader.readPage(fax.id, page, signal));
        const flagged = reading.confidence !== null && reading.confidence < s.minConfidence;
        await savePageText(db, { ...base, status: "done", text: reading.text, confidence: reading.confidence, flagged, engine: reading.engine });
      } catch (error) {
        if (error instanceof ProviderUnavailableError) unavailable = error.message;
        const detail = error instanceof Error ? error.message : String(error);
        const unreadable = { ...base, text: "", confidence: null, flagged: false };
        if (error instanceof TransientPageError && attempts < s.pageAttempts) {
          retryAttempt = Math.max(retryAttempt, attempts);
          await savePageText(db, { ...unreadable, status: "retrying", error: detail.slice(0, 500) });
          return;
        }
        const known = error instanceof DamagedPageError || error instanceof ProviderUnavailableError || error instanceof TransientPageError;
        if (!known) log.warn("page not read", { fax_id: fax.id, error: detail });
        const final = error instanceof TransientPageError ? `${detail} (${attempts} attempts)` : detail;
        await savePageText(db, { ...unreadable, status: "failed", error: final.slice(0, 500) });
      }
    });
  }
  if (retryAttempt > 0) {
    const delaySeconds = Math.min(MAX_RETRY_DELAY_SECONDS, Math.round(s.retryBaseSeconds * 2 ** (retryAttempt - 1)));
    log.info("pages wait for the OCR service", { fax_id: fax.id, page_attempt: retryAttempt, delay_seconds: delaySeconds });
    await env.FAX_JOBS.send({ faxId: fax.id, kind: "read" } satisfies InboundJob, { delaySeconds });
    return;
  }
  const rows = await listPageTexts(db, accountId, fax.id);
  const text = pagesText(rows);
  await indexFaxText(db, { accountId, faxId: fax.id, from: fax.from, remoteIdent: fax.remote_ident, body: text });
  const read = rows.filter((r) => r.status === "done");
  const failed = rows.filter((r) => r.status === "failed");
  const confidences = read.map((r) => r.confidence).filter((c): c is number => c !== null);
  await faxObject(env, fax.id).ocrFinished({
    status: stored && read.length > 0 ? "done" : "failed",
    confidence: confidences.length > 0 ? Math.round((confidences.reduce((a, b) => a + b, 0) / confidences.length) * 10) / 10 : null,
    engine: read[0]?.engine ?? reader.engine,
    pages_failed: failed.map((r) => r.page),
    pages_flagged: read.filter((r) => r.flagged).map((r) => r.page),
    detail: !stored ? "The received TIFF-F is no longer stored." : failed.length > 0 ? `${failed.length} of ${rows.length} pages could not be read: ${failed[0]!.error}` : null,
    text,
  });
}

/** The fax's text as one string, pages in order, separated by a form feed (the page break of plain text). */
export function pagesText(rows: PageTextRow[]): string {
  return rows
    .filter((r) => r.status === "done")
    .map((r) => r.text.trim())
    .join("\n\f\n");
}

/** The schema the fax's number carries, or else the account's. */
export async function extractionSchemaFor(db: Db, tenant: Tenant, to: string): Promise<ExtractionSchema | null> {
  const number = await findAccountNumber(db, tenant, to);
  return parseStoredSchema(number?.extractionSchema) ?? parseStoredSchema((await readAccountSettings(db, tenant.accountId)).extractionSchema);
}

const NO_SCHEMA = { status: "skipped" as const, data: null, schema_version: null, detail: "Neither the number nor the account has an extraction_schema." };

async function extractFields(env: Env, db: Db, s: InboundSettings, accountId: string, fax: Fax) {
  const schema = await extractionSchemaFor(db, { accountId, mode: fax.mode }, fax.to);
  if (!schema) return NO_SCHEMA;
  const version = await schemaVersion(schema);
  const text = pagesText(await listPageTexts(db, accountId, fax.id));
  if (s.provider === "workers-ai") {
    const answer = await extractWithWorkersAi(env, s, schema, text);
    if (!answer.ok) return { status: "failed" as const, data: conformToSchema(schema, {}) as ExtractedFields, schema_version: version, detail: answer.detail };
    return { status: "done" as const, data: answer.data as ExtractedFields, schema_version: version, detail: answer.attempts > 1 ? "Answered on the retry." : null };
  }
  return { status: "done" as const, data: extractByLabels(schema, text) as ExtractedFields, schema_version: version, detail: null };
}

/** Runs `work` with an AbortSignal that fires after `ms`; rejects then even if the work ignores the signal. */
async function withTimeout<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`the OCR engine did not answer within ${Math.round(ms / 1000)} s`));
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
